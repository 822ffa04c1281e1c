#pragma once
// What a solve returns: the status, the choice of each layer, the totals of
// every cost, the proven bound and the search effort. `plan` (std::vector)
// answers a run-time problem, `static_plan<L, C>` (std::array) a
// compile-time one, so a constexpr plan can pick types.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

namespace mixq::alloc {

enum class status {
  optimal,    ///< no plan is better (within solve_options::relative_tolerance)
  limit,      ///< the node or time limit stopped the search: best plan found, with its gap
  infeasible  ///< no plan meets every budget; see minimum_totals
};

constexpr std::string_view to_string(status s) noexcept {
  switch (s) {
    case status::optimal: return "optimal";
    case status::limit: return "limit";
    case status::infeasible: return "infeasible";
  }
  return "unknown";
}

inline constexpr std::size_t no_option = std::numeric_limits<std::size_t>::max();

/// The option a plan gives one layer: its index in the layer's options, and its precision.
struct choice {
  std::size_t option = no_option;
  int w_bits = 0;
  int a_bits = 0;
  constexpr bool operator==(const choice&) const = default;
};

template <class Choices, class Totals>
struct basic_plan {
  alloc::status status = alloc::status::infeasible;
  /// Whether `choices` holds a plan: always when optimal, usually when the
  /// search hit a limit, never when infeasible.
  bool has_choices = false;
  /// Total sensitivity of the choices (0 without choices).
  double objective = 0.0;
  /// Proven lower bound on the objective of any plan.
  double bound = 0.0;
  /// One per layer, in the problem's layer order.
  Choices choices{};
  /// Total of every cost (budgeted or carried) over the choices, in the problem's cost order.
  Totals totals{};
  /// The smallest total each cost can reach on its own (ties and pins respected).
  Totals minimum_totals{};
  /// Branch-and-bound nodes explored.
  std::uint64_t nodes = 0;
  /// Wall time of the solve (0 in a constant evaluation).
  double solve_seconds = 0.0;

  constexpr bool optimal() const noexcept { return status == alloc::status::optimal; }
  constexpr bool infeasible() const noexcept { return status == alloc::status::infeasible; }
  /// objective - bound: how much better than this plan another could be.
  constexpr double gap() const noexcept {
    return has_choices ? objective - bound : std::numeric_limits<double>::infinity();
  }
};

/// The plan of a run-time `problem`.
using plan = basic_plan<std::vector<choice>, std::vector<double>>;

/// The plan of a `static_problem<L, M, C>`.
template <std::size_t L, std::size_t C>
using static_plan = basic_plan<std::array<choice, L>, std::array<double, C>>;

/// One point of a Pareto sweep: the least total of the swept cost that
/// reaches `objective`, and the plan that does.
struct pareto_point {
  double total = 0.0;       ///< total of the swept cost
  double objective = 0.0;   ///< total sensitivity
  std::vector<choice> choices;
  std::vector<double> totals;
};

/// Every non-dominated (total, objective) point of one cost over a range,
/// in increasing total (and decreasing objective).
struct pareto_front {
  /// `limit` when a limit cut the sweep short; `infeasible` when no plan meets the other budgets
  alloc::status status = alloc::status::optimal;
  std::size_t cost = 0;                           ///< index of the swept cost
  std::vector<pareto_point> points;
  std::uint64_t nodes = 0;
  double solve_seconds = 0.0;
};

}  // namespace mixq::alloc
