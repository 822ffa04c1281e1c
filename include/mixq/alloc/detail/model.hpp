#pragma once
// Validation of a problem and its flat copy: option tables in contiguous
// arrays, and ties and pins resolved into classes of layers that choose one
// precision together. Works alike on `problem` and `static_problem`, at run
// time and in constant evaluation.

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include <mixq/alloc/problem.hpp>
#include <mixq/config.hpp>
#include <mixq/core/finite.hpp>

namespace mixq::alloc {

/// A problem that breaks a rule inside a constant evaluation calls one of
/// these (never constexpr), so the compiler's diagnostic names the rule.
namespace compile_time_error {
inline void problem_needs_at_least_one_layer() {}
inline void budgets_must_match_cost_names() {}
inline void budget_must_not_be_nan() {}
inline void cost_names_must_be_unique() {}
inline void option_count_exceeds_layer_capacity() {}
inline void layer_needs_at_least_one_option() {}
inline void option_bits_must_be_in_1_to_32() {}
inline void option_needs_one_cost_per_cost_name() {}
inline void sensitivity_must_be_finite_and_non_negative() {}
inline void cost_must_be_finite_and_non_negative() {}
inline void pin_matches_no_option() {}
inline void layer_names_must_be_unique() {}
inline void tie_needs_two_layer_names() {}
inline void tie_names_an_unknown_layer() {}
inline void tie_has_no_common_precision() {}
inline void tie_has_too_many_option_combinations() {}
inline void solve_options_are_invalid() {}
}  // namespace compile_time_error

}  // namespace mixq::alloc

// In a constant evaluation the call to the rule's function is the error; at
// run time the message (fmt arguments) is thrown as mixq::error.
#define MIXQ_ALLOC_REJECT(rule, ...)                                \
  do {                                                              \
    if (std::is_constant_evaluated()) ::mixq::alloc::compile_time_error::rule(); \
    MIXQ_THROW(::mixq::error, __VA_ARGS__);                         \
  } while (false)

namespace mixq::alloc::detail {

using index = std::size_t;

inline constexpr double infinity = std::numeric_limits<double>::infinity();

using mixq::detail::is_finite;
constexpr double abs(double x) noexcept { return x < 0.0 ? -x : x; }

template <class Layer>
constexpr std::span<const typename decltype(std::declval<const Layer&>().options)::value_type> options_of(
    const Layer& l) noexcept {
  if constexpr (requires { l.option_count; }) {
    return {l.options.data(), std::min(l.option_count, l.options.size())};
  } else {
    return {l.options.data(), l.options.size()};
  }
}

/// The problem in flat arrays. Options of all layers are numbered
/// consecutively: layer l owns options [first[l], first[l + 1]).
struct flat_problem {
  index layers = 0;
  index costs = 0;
  std::vector<index> first;
  std::vector<precision> bits;
  std::vector<double> sens;
  std::vector<double> cost;  ///< option * costs + k
  std::vector<double> budget;
  std::vector<std::optional<precision>> pin;
  std::vector<index> tie_root;  ///< union-find representative of each layer's tie

  constexpr double value(index option, int source) const noexcept {
    return source < 0 ? sens[option] : cost[option * costs + static_cast<index>(source)];
  }
};

/// The objective: sensitivity (-1) or the cost of that index.
inline constexpr int sensitivity_source = -1;

constexpr index find_root(std::vector<index>& parent, index x) noexcept {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

/// Layer indices sorted by name (empty names left out), for duplicate checks and lookups.
template <class Problem>
constexpr std::vector<index> sorted_names(const Problem& p) {
  std::vector<index> order;
  for (index l = 0; l < p.layers.size(); ++l) {
    if (!std::string_view(p.layers[l].name).empty()) order.push_back(l);
  }
  std::sort(order.begin(), order.end(), [&](index a, index b) {
    const std::string_view na(p.layers[a].name), nb(p.layers[b].name);
    return na < nb || (na == nb && a < b);
  });
  return order;
}

template <class Problem>
constexpr index find_layer(const Problem& p, const std::vector<index>& sorted, std::string_view name) {
  const auto it = std::lower_bound(sorted.begin(), sorted.end(), name,
                                   [&](index a, std::string_view n) { return std::string_view(p.layers[a].name) < n; });
  if (it == sorted.end() || std::string_view(p.layers[*it].name) != name) return p.layers.size();
  return *it;
}

/// Checks every rule of the problem and copies it into flat arrays.
template <class Problem>
constexpr flat_problem flatten(const Problem& p) {
  flat_problem f;
  const index L = p.layers.size();
  const index C = p.cost_names.size();
  if (L == 0) {
    MIXQ_ALLOC_REJECT(problem_needs_at_least_one_layer,
                      "mixq::alloc: problem.layers is empty; expected at least one layer");
  }
  if (p.budgets.size() != C) {
    MIXQ_ALLOC_REJECT(budgets_must_match_cost_names,
                      "mixq::alloc: problem.budgets has {} entries; expected {}, one per entry of problem.cost_names "
                      "(no_budget for a cost that is only carried)",
                      p.budgets.size(), C);
  }
  for (index k = 0; k < C; ++k) {
    if (p.budgets[k] != p.budgets[k]) {
      MIXQ_ALLOC_REJECT(budget_must_not_be_nan,
                        "mixq::alloc: problem.budgets[{}] (\"{}\") is NaN; expected a number, or no_budget",
                        k, std::string_view(p.cost_names[k]));
    }
    for (index k2 = 0; k2 < k; ++k2) {
      if (std::string_view(p.cost_names[k]) == std::string_view(p.cost_names[k2])) {
        MIXQ_ALLOC_REJECT(cost_names_must_be_unique,
                          "mixq::alloc: problem.cost_names[{}] and [{}] are both \"{}\"; expected unique names", k2,
                          k, std::string_view(p.cost_names[k]));
      }
    }
  }
  f.layers = L;
  f.costs = C;
  f.budget.assign(p.budgets.begin(), p.budgets.end());
  f.first.assign(L + 1, 0);
  f.pin.assign(L, std::nullopt);

  for (index l = 0; l < L; ++l) {
    const auto& layer = p.layers[l];
    const std::string_view name(layer.name);
    if constexpr (requires { layer.option_count; }) {
      if (layer.option_count > layer.options.size()) {
        MIXQ_ALLOC_REJECT(option_count_exceeds_layer_capacity,
                          "mixq::alloc: problem.layers[{}] (\"{}\").option_count is {}; expected at most {}", l,
                          name, layer.option_count, layer.options.size());
      }
    }
    const auto options = options_of(layer);
    if (options.empty()) {
      MIXQ_ALLOC_REJECT(layer_needs_at_least_one_option,
                        "mixq::alloc: problem.layers[{}] (\"{}\") has no options; expected at least one", l, name);
    }
    f.first[l + 1] = f.first[l] + options.size();
    for (index j = 0; j < options.size(); ++j) {
      const auto& o = options[j];
      if (o.w_bits < 1 || o.w_bits > max_option_bits || o.a_bits < 1 || o.a_bits > max_option_bits) {
        MIXQ_ALLOC_REJECT(option_bits_must_be_in_1_to_32,
                          "mixq::alloc: problem.layers[{}] (\"{}\").options[{}] has w_bits = {}, a_bits = {}; "
                          "expected both in 1..{}",
                          l, name, j, o.w_bits, o.a_bits, max_option_bits);
      }
      if (!(is_finite(o.sensitivity) && o.sensitivity >= 0.0)) {
        MIXQ_ALLOC_REJECT(sensitivity_must_be_finite_and_non_negative,
                          "mixq::alloc: problem.layers[{}] (\"{}\").options[{}].sensitivity is {}; expected a finite "
                          "number >= 0",
                          l, name, j, o.sensitivity);
      }
      if (o.costs.size() != C) {
        MIXQ_ALLOC_REJECT(option_needs_one_cost_per_cost_name,
                          "mixq::alloc: problem.layers[{}] (\"{}\").options[{}].costs has {} entries; expected {}, "
                          "one per entry of problem.cost_names",
                          l, name, j, o.costs.size(), C);
      }
      for (index k = 0; k < C; ++k) {
        if (!(is_finite(o.costs[k]) && o.costs[k] >= 0.0)) {
          MIXQ_ALLOC_REJECT(cost_must_be_finite_and_non_negative,
                            "mixq::alloc: problem.layers[{}] (\"{}\").options[{}].costs[{}] (\"{}\") is {}; "
                            "expected a finite number >= 0",
                            l, name, j, k, std::string_view(p.cost_names[k]), o.costs[k]);
        }
      }
      f.bits.push_back(o.bits());
      f.sens.push_back(o.sensitivity);
      for (index k = 0; k < C; ++k) f.cost.push_back(o.costs[k]);
    }
    if (layer.pin) {
      const precision want = *layer.pin;
      const bool found = std::any_of(options.begin(), options.end(), [&](const auto& o) { return o.bits() == want; });
      if (!found) {
        MIXQ_ALLOC_REJECT(pin_matches_no_option,
                          "mixq::alloc: problem.layers[{}] (\"{}\").pin is w_bits = {}, a_bits = {}; expected the "
                          "precision of one of its {} options",
                          l, name, want.w_bits, want.a_bits, options.size());
      }
      f.pin[l] = want;
    }
  }

  const std::vector<index> sorted = sorted_names(p);
  for (index i = 1; i < sorted.size(); ++i) {
    const std::string_view a(p.layers[sorted[i - 1]].name), b(p.layers[sorted[i]].name);
    if (a == b) {
      MIXQ_ALLOC_REJECT(layer_names_must_be_unique,
                        "mixq::alloc: problem.layers[{}] and problem.layers[{}] are both named \"{}\"; expected "
                        "unique layer names",
                        sorted[i - 1], sorted[i], a);
    }
  }

  f.tie_root.resize(L, {});
  for (index l = 0; l < L; ++l) f.tie_root[l] = l;
  auto unite = [&](index a, index b) {
    const index ra = find_root(f.tie_root, a), rb = find_root(f.tie_root, b);
    if (ra != rb) f.tie_root[std::max(ra, rb)] = std::min(ra, rb);
  };
  auto lookup = [&](index t, index i, std::string_view name) {
    const index l = find_layer(p, sorted, name);
    if (l == L) {
      MIXQ_ALLOC_REJECT(tie_names_an_unknown_layer,
                        "mixq::alloc: problem.ties[{}][{}] is \"{}\"; expected the name of a layer", t, i, name);
    }
    return l;
  };
  for (index t = 0; t < p.ties.size(); ++t) {
    const auto& tie = p.ties[t];
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(tie)>, std::array<std::string_view, 2>>) {
      if (tie[0].empty() && tie[1].empty()) continue;  // unused slot
    }
    index named = 0;
    for (const auto& n : tie) named += std::string_view(n).empty() ? index{0} : index{1};
    if (tie.size() < 2 || named < tie.size()) {
      MIXQ_ALLOC_REJECT(tie_needs_two_layer_names,
                        "mixq::alloc: problem.ties[{}] has {} names ({} empty); expected two or more layer names", t,
                        tie.size(), tie.size() - named);
    }
    const index head = lookup(t, 0, std::string_view(tie[0]));
    for (index i = 1; i < tie.size(); ++i) unite(head, lookup(t, i, std::string_view(tie[i])));
  }
  for (index l = 0; l < L; ++l) f.tie_root[l] = find_root(f.tie_root, l);
  return f;
}

/// Classes of layers that choose together (a tie, or one layer), and the
/// options of each class: one per allowed precision and combination of the
/// members' options of that precision ("merged options").
struct class_table {
  index count = 0;
  std::vector<index> member_first;  ///< count + 1
  std::vector<index> members;       ///< layers, in input order within a class
  std::vector<index> layer_class;
  std::vector<index> option_first;  ///< count + 1
  std::vector<precision> option_bits;
  std::vector<index> pick_first;    ///< merged options + 1
  std::vector<index> picks;         ///< a flat option index per member

  constexpr index size(index c) const noexcept { return member_first[c + 1] - member_first[c]; }
  constexpr index options(index c) const noexcept { return option_first[c + 1] - option_first[c]; }
  constexpr index merged_count() const noexcept { return option_first[count]; }

  /// Total of `source` over the members' picks of merged option o.
  constexpr double value(const flat_problem& f, index o, int source) const noexcept {
    double s = 0.0;
    for (index t = pick_first[o]; t < pick_first[o + 1]; ++t) s += f.value(picks[t], source);
    return s;
  }
};

/// Whether flat option a is at least as good as b in sensitivity and every
/// cost, preferring the lower index among equals.
constexpr bool option_dominates(const flat_problem& f, index a, index b) noexcept {
  bool strictly = false;
  if (f.sens[a] > f.sens[b]) return false;
  strictly = strictly || f.sens[a] < f.sens[b];
  for (index k = 0; k < f.costs; ++k) {
    const double ca = f.cost[a * f.costs + k], cb = f.cost[b * f.costs + k];
    if (ca > cb) return false;
    strictly = strictly || ca < cb;
  }
  return strictly || a < b;
}

/// Tie combinations beyond this many per precision are rejected: a tie of
/// layers that each offer several same-precision options multiplies them.
inline constexpr index max_tie_combinations = index{1} << 16;

template <class Problem>
constexpr class_table make_classes(const Problem& p, const flat_problem& f) {
  class_table ct;
  const index L = f.layers;
  ct.layer_class.assign(L, L);
  std::vector<index> root_class(L, L);
  for (index l = 0; l < L; ++l) {
    const index r = f.tie_root[l];
    if (root_class[r] == L) root_class[r] = ct.count++;
    ct.layer_class[l] = root_class[r];
  }
  ct.member_first.assign(ct.count + 1, 0);
  for (index l = 0; l < L; ++l) ++ct.member_first[ct.layer_class[l] + 1];
  for (index c = 0; c < ct.count; ++c) ct.member_first[c + 1] += ct.member_first[c];
  ct.members.resize(L, {});
  {
    std::vector<index> fill(ct.member_first.begin(), ct.member_first.end() - 1);
    for (index l = 0; l < L; ++l) ct.members[fill[ct.layer_class[l]]++] = l;
  }

  ct.option_first.push_back(0);
  ct.pick_first.push_back(0);
  std::vector<precision> allowed;
  std::vector<index> lists, list_first, digit;
  for (index c = 0; c < ct.count; ++c) {
    const index m0 = ct.member_first[c], m1 = ct.member_first[c + 1];
    allowed.clear();
    const index lead = ct.members[m0];
    for (index o = f.first[lead]; o < f.first[lead + 1]; ++o) {
      const precision b = f.bits[o];
      if (std::find(allowed.begin(), allowed.end(), b) != allowed.end()) continue;
      bool ok = true;
      for (index m = m0; m < m1 && ok; ++m) {
        const index l = ct.members[m];
        if (f.pin[l] && !(*f.pin[l] == b)) ok = false;
        bool has = false;
        for (index o2 = f.first[l]; o2 < f.first[l + 1]; ++o2) has = has || f.bits[o2] == b;
        ok = ok && has;
      }
      if (ok) allowed.push_back(b);
    }
    if (allowed.empty()) {
      // Only a tie gets here: a lone pinned layer always matches one of its options.
      if (std::is_constant_evaluated()) compile_time_error::tie_has_no_common_precision();
      std::string layers, pins;
      for (index m = m0; m < m1; ++m) {
        const index l = ct.members[m];
        layers += fmt::format("{}\"{}\"", m == m0 ? "" : ", ", std::string_view(p.layers[l].name));
        if (f.pin[l]) pins += fmt::format("; \"{}\" is pinned to {}/{}", std::string_view(p.layers[l].name),
                                          f.pin[l]->w_bits, f.pin[l]->a_bits);
      }
      MIXQ_THROW(::mixq::error,
                 "mixq::alloc: the tie of layers {} has no (w_bits, a_bits) that every one of them offers{}; "
                 "expected at least one common precision",
                 layers, pins);
    }
    for (const precision b : allowed) {
      // Per member: its options of precision b that no other of them dominates.
      lists.clear();
      list_first.assign(1, 0);
      for (index m = m0; m < m1; ++m) {
        const index l = ct.members[m];
        for (index o = f.first[l]; o < f.first[l + 1]; ++o) {
          if (!(f.bits[o] == b)) continue;
          bool dominated = false;
          for (index o2 = f.first[l]; o2 < f.first[l + 1] && !dominated; ++o2) {
            dominated = o2 != o && f.bits[o2] == b && option_dominates(f, o2, o);
          }
          if (!dominated) lists.push_back(o);
        }
        list_first.push_back(lists.size());
      }
      index combos = 1;
      for (index m = 0; m + 1 < list_first.size(); ++m) {
        combos *= list_first[m + 1] - list_first[m];
        if (combos > max_tie_combinations) {
          MIXQ_ALLOC_REJECT(tie_has_too_many_option_combinations,
                            "mixq::alloc: the tie of layer \"{}\" has more than {} combinations of its layers' "
                            "{}/{}-bit options; expected fewer same-precision options per tied layer",
                            std::string_view(p.layers[lead].name), max_tie_combinations, b.w_bits, b.a_bits);
        }
      }
      // Every combination, first member slowest.
      const index width = m1 - m0;
      digit.assign(width, 0);
      for (index n = 0; n < combos; ++n) {
        for (index m = 0; m < width; ++m) ct.picks.push_back(lists[list_first[m] + digit[m]]);
        ct.pick_first.push_back(ct.picks.size());
        ct.option_bits.push_back(b);
        for (index m = width; m-- > 0;) {
          if (++digit[m] < list_first[m + 1] - list_first[m]) break;
          digit[m] = 0;
        }
      }
    }
    ct.option_first.push_back(ct.option_bits.size());
  }
  return ct;
}

/// The flat option each layer takes when each class takes the merged option `choice[c]`.
constexpr std::vector<index> layer_options(const class_table& ct, const std::vector<index>& choice) {
  std::vector<index> out(ct.layer_class.size(), 0);
  for (index c = 0; c < ct.count; ++c) {
    const index o = choice[c];
    for (index m = ct.member_first[c], t = ct.pick_first[o]; m < ct.member_first[c + 1]; ++m, ++t) {
      out[ct.members[m]] = ct.picks[t];
    }
  }
  return out;
}

/// Total of `source` over the layers' options, summed in layer order: the one
/// order every total and every budget check of mixq uses.
constexpr double layer_total(const flat_problem& f, const std::vector<index>& layer_option, int source) noexcept {
  double s = 0.0;
  for (index l = 0; l < f.layers; ++l) s += f.value(layer_option[l], source);
  return s;
}

}  // namespace mixq::alloc::detail
