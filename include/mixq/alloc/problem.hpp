#pragma once
// The bit-width allocation problem: layers, each with options
// (w_bits, a_bits, sensitivity, costs); named costs, some of them budgeted;
// ties (layers that must share one precision) and pins (a fixed precision).
// Two spellings of the same problem: `problem` over std::vector for run time,
// `static_problem<L, M, C>` over std::array for constant expressions.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mixq::alloc {

/// Weight and activation bit-widths of one option.
struct precision {
  int w_bits = 8;
  int a_bits = 8;
  constexpr bool operator==(const precision&) const = default;
};

/// One way to quantize a layer. `costs[k]` is the layer's cost under the
/// problem's k-th cost name (latency, bytes, BOPs, energy: any unit).
template <class Costs>
struct basic_option {
  int w_bits = 8;
  int a_bits = 8;
  double sensitivity = 0.0;  ///< accuracy impact, >= 0; the objective sums it
  Costs costs{};
  constexpr precision bits() const noexcept { return {w_bits, a_bits}; }
};

using option = basic_option<std::vector<double>>;
template <std::size_t C>
using static_option = basic_option<std::array<double, C>>;

/// A budget of this value leaves its cost unconstrained: the cost is only
/// carried into the plan's totals.
inline constexpr double no_budget = std::numeric_limits<double>::infinity();

/// Bit-widths an option may have. mixq's own schemes use 1..8; wider values
/// (16, 32) let a table keep a float or half-precision alternative.
inline constexpr int max_option_bits = 32;

struct layer {
  std::string name;             ///< unique among non-empty names; ties refer to it
  std::vector<option> options;  ///< at least one
  std::optional<precision> pin; ///< when set, the layer takes an option of this precision
};

/// A run-time problem. Every option lists one cost per entry of `cost_names`;
/// `budgets[k]` bounds the plan's total of cost k (or is `no_budget`).
struct problem {
  std::vector<std::string> cost_names;
  std::vector<double> budgets;
  std::vector<layer> layers;
  /// Each tie names layers that must choose the same (w_bits, a_bits), e.g.
  /// the two inputs of a residual add. Ties sharing a layer merge.
  std::vector<std::vector<std::string>> ties;
};

/// A layer of a compile-time problem: up to M options, of which the first
/// `option_count` are used.
template <std::size_t M, std::size_t C>
struct static_layer {
  std::string_view name;
  std::array<static_option<C>, M> options{};
  std::size_t option_count = M;
  std::optional<precision> pin{};
};

/// A compile-time problem of L layers, up to M options each, and C costs.
/// Ties are pairs of layer names (a longer tie is a chain of pairs); pairs
/// left empty are unused. L pairs are always enough.
template <std::size_t L, std::size_t M, std::size_t C>
struct static_problem {
  static_assert(L >= 1, "mixq::alloc::static_problem: a problem needs at least one layer (L >= 1).");
  static_assert(M >= 1, "mixq::alloc::static_problem: a layer needs room for at least one option (M >= 1).");

  static constexpr std::size_t layer_count = L;
  static constexpr std::size_t max_options = M;
  static constexpr std::size_t cost_count = C;

  std::array<std::string_view, C> cost_names{};
  std::array<double, C> budgets{};
  std::array<static_layer<M, C>, L> layers{};
  std::array<std::array<std::string_view, 2>, L> ties{};
};

/// How a solve may spend its effort and what it calls optimal.
struct solve_options {
  /// Branch-and-bound nodes before the search stops with status `limit`.
  std::uint64_t node_limit = std::numeric_limits<std::uint64_t>::max();
  /// Seconds before the search stops with status `limit` (run time only: a
  /// constant evaluation has no clock).
  double time_limit_seconds = std::numeric_limits<double>::infinity();
  /// A plan is optimal when no plan is better by more than
  /// `relative_tolerance * |objective|` plus 1e-12 of the problem's largest
  /// possible objective (a floor for objectives near zero).
  double relative_tolerance = 1e-9;
  /// Run the Free Bits pass on the plan found (see free_bits()).
  bool free_bits = true;
};

}  // namespace mixq::alloc
