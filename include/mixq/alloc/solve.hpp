#pragma once
// solve(): the exact plan of a problem; free_bits(): spend a plan's slack on
// precision; pareto(): every non-dominated (total, objective) point of one
// cost. solve() and free_bits() are constexpr: a static_problem solves in a
// constant expression.
//
//   constexpr auto plan = mixq::alloc::solve(problem);
//   static_assert(plan.optimal());

#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <limits>
#include <string_view>
#include <type_traits>
#include <vector>

#include <mixq/alloc/detail/engine.hpp>
#include <mixq/alloc/detail/model.hpp>
#include <mixq/alloc/plan.hpp>
#include <mixq/alloc/problem.hpp>
#include <mixq/config.hpp>

namespace mixq::alloc {

namespace detail {
template <class P>
struct plan_of {};
template <>
struct plan_of<problem> {
  using type = plan;
  using indices = std::vector<std::size_t>;
};
template <std::size_t L, std::size_t M, std::size_t C>
struct plan_of<static_problem<L, M, C>> {
  using type = static_plan<L, C>;
  using indices = std::array<std::size_t, L>;
};
}  // namespace detail

/// `problem` or a `static_problem<L, M, C>`.
template <class P>
concept AllocationProblem = requires { typename detail::plan_of<std::remove_cvref_t<P>>::type; };

/// The plan type a problem type solves to.
template <AllocationProblem P>
using plan_for_t = typename detail::plan_of<std::remove_cvref_t<P>>::type;

/// Option indices, one per layer: std::vector for `problem`, std::array for `static_problem`.
template <AllocationProblem P>
using option_indices_t = typename detail::plan_of<std::remove_cvref_t<P>>::indices;

namespace detail {

constexpr void check(const solve_options& o, std::string_view where) {
  if (!(o.time_limit_seconds > 0.0)) {
    MIXQ_ALLOC_REJECT(solve_options_are_invalid,
                      "{}: options.time_limit_seconds is {}; expected a number of seconds > 0 (infinity for none)",
                      where, o.time_limit_seconds);
  }
  if (!(o.relative_tolerance >= 0.0 && o.relative_tolerance < 1.0)) {
    MIXQ_ALLOC_REJECT(solve_options_are_invalid,
                      "{}: options.relative_tolerance is {}; expected a number in [0, 1)", where,
                      o.relative_tolerance);
  }
}

/// The budgeted costs as search rows.
constexpr search_spec budget_spec(const flat_problem& f) {
  search_spec spec;
  for (index k = 0; k < f.costs; ++k) {
    if (f.budget[k] < infinity) {
      spec.sources.push_back(static_cast<int>(k));
      spec.limits.push_back(f.budget[k]);
    }
  }
  return spec;
}

/// Free Bits: while some class can raise its precision (w_bits and a_bits
/// not lower, one higher) to an option of lower sensitivity and the plan stays
/// within every budget, take the raise that lowers sensitivity most.
constexpr void raise_free_bits(const flat_problem& f, const class_table& ct, std::vector<index>& chosen) {
  std::vector<index> trial;
  for (;;) {
    double best_gain = 0.0;
    index best_class = ct.count, best_option = 0;
    for (index c = 0; c < ct.count; ++c) {
      const index lead = ct.members[ct.member_first[c]];
      const precision now = f.bits[chosen[lead]];
      double now_s = 0.0;
      for (index m = ct.member_first[c]; m < ct.member_first[c + 1]; ++m) now_s += f.sens[chosen[ct.members[m]]];
      for (index o = ct.option_first[c]; o < ct.option_first[c + 1]; ++o) {
        const precision b = ct.option_bits[o];
        if (b.w_bits < now.w_bits || b.a_bits < now.a_bits || b == now) continue;
        const double gain = now_s - ct.value(f, o, sensitivity_source);
        if (!(gain > best_gain)) continue;
        trial = chosen;
        for (index m = ct.member_first[c], t = ct.pick_first[o]; m < ct.member_first[c + 1]; ++m, ++t) {
          trial[ct.members[m]] = ct.picks[t];
        }
        bool fits = true;
        for (index k = 0; k < f.costs && fits; ++k) {
          fits = !(f.budget[k] < infinity) || layer_total(f, trial, static_cast<int>(k)) <= f.budget[k];
        }
        if (fits) best_gain = gain, best_class = c, best_option = o;
      }
    }
    if (best_class == ct.count) return;
    for (index m = ct.member_first[best_class], t = ct.pick_first[best_option]; m < ct.member_first[best_class + 1];
         ++m, ++t) {
      chosen[ct.members[m]] = ct.picks[t];
    }
  }
}

template <class Plan>
constexpr void size_plan(Plan& p, index layers, index costs) {
  if constexpr (requires { p.totals.resize(costs, {}); }) {
    p.totals.assign(costs, 0.0);
    p.minimum_totals.assign(costs, 0.0);
    (void)layers;
  }
}

template <class Plan>
constexpr void set_choices(Plan& p, const flat_problem& f, const std::vector<index>& chosen) {
  if constexpr (requires { p.choices.resize(f.layers, {}); }) p.choices.resize(f.layers);
  for (index l = 0; l < f.layers; ++l) {
    p.choices[l] = choice{chosen[l] - f.first[l], f.bits[chosen[l]].w_bits, f.bits[chosen[l]].a_bits};
  }
  p.has_choices = true;
  p.objective = layer_total(f, chosen, sensitivity_source);
  for (index k = 0; k < f.costs; ++k) p.totals[k] = layer_total(f, chosen, static_cast<int>(k));
}

/// Flat option indices of user-given choices, checked against the problem: in
/// range, ties and pins respected, budgets met.
template <class Problem, class Indices>
constexpr std::vector<index> checked_choices(const Problem& p, const flat_problem& f, const class_table& ct,
                                             const Indices& options, std::string_view where) {
  if (options.size() != f.layers) {
    MIXQ_ALLOC_REJECT(solve_options_are_invalid, "{}: {} option indices given; expected {}, one per layer", where,
                      options.size(), f.layers);
  }
  std::vector<index> chosen(f.layers, 0);
  for (index l = 0; l < f.layers; ++l) {
    const index count = f.first[l + 1] - f.first[l];
    if (options[l] >= count) {
      MIXQ_ALLOC_REJECT(solve_options_are_invalid,
                        "{}: the option of layer {} (\"{}\") is {}; expected an index below {}", where, l,
                        std::string_view(p.layers[l].name), options[l], count);
    }
    chosen[l] = f.first[l] + options[l];
    if (f.pin[l] && !(f.bits[chosen[l]] == *f.pin[l])) {
      MIXQ_ALLOC_REJECT(solve_options_are_invalid,
                        "{}: layer {} (\"{}\") takes option {} ({}/{} bits); expected its pin, {}/{} bits", where, l,
                        std::string_view(p.layers[l].name), options[l], f.bits[chosen[l]].w_bits,
                        f.bits[chosen[l]].a_bits, f.pin[l]->w_bits, f.pin[l]->a_bits);
    }
  }
  for (index l = 0; l < f.layers; ++l) {
    const index lead = ct.members[ct.member_first[ct.layer_class[l]]];
    if (!(f.bits[chosen[l]] == f.bits[chosen[lead]])) {
      MIXQ_ALLOC_REJECT(solve_options_are_invalid,
                        "{}: tied layers {} (\"{}\") and {} (\"{}\") take {}/{} and {}/{} bits; expected one "
                        "precision",
                        where, lead, std::string_view(p.layers[lead].name), l, std::string_view(p.layers[l].name),
                        f.bits[chosen[lead]].w_bits, f.bits[chosen[lead]].a_bits, f.bits[chosen[l]].w_bits,
                        f.bits[chosen[l]].a_bits);
    }
  }
  for (index k = 0; k < f.costs; ++k) {
    const double total = layer_total(f, chosen, static_cast<int>(k));
    if (f.budget[k] < infinity && !(total <= f.budget[k])) {
      MIXQ_ALLOC_REJECT(solve_options_are_invalid,
                        "{}: the choices' total of \"{}\" is {}; expected at most its budget, {}", where,
                        std::string_view(p.cost_names[k]), total, f.budget[k]);
    }
  }
  return chosen;
}

}  // namespace detail

/// The plan that minimises total sensitivity within every budget, ties and
/// pins respected; or the best found and its gap when a limit stops the
/// search; or `infeasible` with the least total each cost can reach.
/// Throws mixq::error when the problem breaks a rule (in a constant
/// expression: a compile error naming the rule).
template <AllocationProblem Problem>
constexpr plan_for_t<Problem> solve(const Problem& p, const solve_options& options = {}) {
  const detail::stopwatch clock;
  detail::check(options, "mixq::alloc::solve");
  const detail::flat_problem f = detail::flatten(p);
  const detail::class_table ct = detail::make_classes(p, f);
  const detail::search_spec spec = detail::budget_spec(f);
  detail::engine search(f, ct, spec, options, clock);
  const detail::search_result r = search.run();

  plan_for_t<Problem> out{};
  detail::size_plan(out, f.layers, f.costs);
  out.status = r.status;
  out.nodes = r.nodes;
  for (detail::index k = 0; k < f.costs; ++k) {
    double least = 0.0;
    for (detail::index c = 0; c < ct.count; ++c) {
      double lo = detail::infinity;
      for (detail::index o = ct.option_first[c]; o < ct.option_first[c + 1]; ++o) {
        lo = std::min(lo, ct.value(f, o, static_cast<int>(k)));
      }
      least += lo;
    }
    out.minimum_totals[k] = least;
  }
  if (r.found) {
    std::vector<detail::index> chosen = detail::layer_options(ct, r.choice);
    if (options.free_bits) detail::raise_free_bits(f, ct, chosen);
    detail::set_choices(out, f, chosen);
    out.bound = std::min(r.bound, out.objective);
  } else {
    out.bound = r.status == status::limit ? r.bound : detail::infinity;
    if constexpr (requires { out.choices.clear(); }) out.choices.clear();
  }
  out.solve_seconds = clock.seconds();
  return out;
}

/// The Free Bits pass on a plan: raises the precision of layers (a tie as
/// one) wherever the plan stays within every budget and sensitivity falls,
/// the largest fall first, until no raise is left. Never raises a total above
/// its budget, never raises the objective. Throws mixq::error when the
/// plan's choices break the problem's pins, ties or budgets.
template <AllocationProblem Problem>
constexpr plan_for_t<Problem> free_bits(const Problem& p, plan_for_t<Problem> pl) {
  if (!pl.has_choices) return pl;
  const detail::flat_problem f = detail::flatten(p);
  const detail::class_table ct = detail::make_classes(p, f);
  option_indices_t<Problem> options{};
  if constexpr (requires { options.resize(f.layers, {}); }) options.resize(pl.choices.size());
  for (detail::index l = 0; l < pl.choices.size() && l < options.size(); ++l) options[l] = pl.choices[l].option;
  std::vector<detail::index> chosen = detail::checked_choices(p, f, ct, options, "mixq::alloc::free_bits");
  detail::raise_free_bits(f, ct, chosen);
  detail::set_choices(pl, f, chosen);
  pl.bound = std::min(pl.bound, pl.objective);
  return pl;
}

/// The Free Bits pass on option indices (one per layer).
template <AllocationProblem Problem>
constexpr option_indices_t<Problem> free_bits(const Problem& p, const option_indices_t<Problem>& options) {
  const detail::flat_problem f = detail::flatten(p);
  const detail::class_table ct = detail::make_classes(p, f);
  std::vector<detail::index> chosen = detail::checked_choices(p, f, ct, options, "mixq::alloc::free_bits");
  detail::raise_free_bits(f, ct, chosen);
  option_indices_t<Problem> out{};
  if constexpr (requires { out.resize(f.layers, {}); }) out.resize(f.layers);
  for (detail::index l = 0; l < f.layers; ++l) out[l] = chosen[l] - f.first[l];
  return out;
}

struct pareto_options {
  /// The swept cost's range: points with a total in [low, high]. NaN for
  /// `high` means the problem's budget of that cost (no_budget: unbounded).
  double low = 0.0;
  double high = std::numeric_limits<double>::quiet_NaN();
  /// Limits for the whole sweep; the tolerance of each solve.
  solve_options solve{};
  /// Points before the sweep stops with status `limit`.
  std::size_t max_points = std::numeric_limits<std::size_t>::max();
};

/// Every non-dominated (total of cost `cost`, objective) point with the
/// total in [low, high], the other budgets, ties and pins respected: for each
/// point, the least objective within that total and the least total that
/// reaches it. From the top of the range down, each step solves for the least
/// objective strictly below the last plan's total; a step whose objective
/// does not rise shows the last point dominated, and replaces it.
template <AllocationProblem Problem>
pareto_front pareto(const Problem& p, std::size_t cost, const pareto_options& options = {}) {
  const detail::stopwatch clock;
  detail::check(options.solve, "mixq::alloc::pareto");
  const detail::flat_problem f = detail::flatten(p);
  if (cost >= f.costs) {
    MIXQ_THROW(error, "mixq::alloc::pareto: cost is {}; expected the index of one of the problem's {} costs", cost,
               f.costs);
  }
  const double high = std::isnan(options.high) ? f.budget[cost] : options.high;
  if (std::isnan(options.low) || !(options.low <= high)) {
    MIXQ_THROW(error, "mixq::alloc::pareto: the range is [{}, {}]; expected numbers with low <= high", options.low,
               high);
  }
  const detail::class_table ct = detail::make_classes(p, f);
  const int swept = static_cast<int>(cost);
  detail::search_spec others;
  for (detail::index k = 0; k < f.costs; ++k) {
    if (k != cost && f.budget[k] < detail::infinity) {
      others.sources.push_back(static_cast<int>(k));
      others.limits.push_back(f.budget[k]);
    }
  }
  pareto_front front;
  front.cost = cost;
  solve_options each = options.solve;
  double limit = high;
  for (;;) {
    each.node_limit = options.solve.node_limit - std::min(options.solve.node_limit, front.nodes);
    each.time_limit_seconds = options.solve.time_limit_seconds - clock.seconds();
    if (each.node_limit == 0 || !(each.time_limit_seconds > 0.0)) {
      front.status = status::limit;
      break;
    }
    // The least objective with the swept total at most `limit`.
    detail::search_spec least_objective = others;
    if (limit < detail::infinity) {
      least_objective.sources.push_back(swept);
      least_objective.limits.push_back(limit);
    }
    const detail::search_result r = detail::engine(f, ct, least_objective, each, clock).run();
    front.nodes += r.nodes;
    if (r.status == status::infeasible) break;
    if (r.status == status::limit) {
      front.status = status::limit;
      break;
    }
    const std::vector<detail::index> chosen = detail::layer_options(ct, r.choice);
    pareto_point point;
    point.total = detail::layer_total(f, chosen, swept);
    if (point.total < options.low) break;
    point.objective = detail::layer_total(f, chosen, detail::sensitivity_source);
    for (detail::index l = 0; l < f.layers; ++l) {
      point.choices.push_back(choice{chosen[l] - f.first[l], f.bits[chosen[l]].w_bits, f.bits[chosen[l]].a_bits});
    }
    for (detail::index k = 0; k < f.costs; ++k) point.totals.push_back(detail::layer_total(f, chosen, static_cast<int>(k)));
    // Within a smaller total the objective did not rise: the previous point,
    // with its larger total, is dominated.
    while (!front.points.empty() && front.points.back().objective >= point.objective) front.points.pop_back();
    if (front.points.size() >= options.max_points) {
      front.status = status::limit;
      break;
    }
    front.points.push_back(std::move(point));
    limit = std::nextafter(front.points.back().total, -detail::infinity);
  }
  std::reverse(front.points.begin(), front.points.end());
  if (front.points.empty() && front.status == status::optimal) front.status = status::infeasible;
  front.solve_seconds = clock.seconds();
  return front;
}

}  // namespace mixq::alloc
