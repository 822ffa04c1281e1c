#pragma once
// What the allocator tests check mixq::alloc against: every plan of a small
// problem enumerated in odometer order, random problems of several shapes,
// and the checks every returned plan must pass.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <mixq/alloc/alloc.hpp>

namespace mixq::test {

namespace alloc = mixq::alloc;

inline constexpr double inf = std::numeric_limits<double>::infinity();

// ---------------------------------------------------------------------------
// The reference: every assignment of one option per layer, in odometer order.

struct reference {
  bool structurally_possible = false;  ///< some assignment meets every tie and pin
  bool feasible = false;               ///< ... and every budget
  double best = inf;                   ///< least objective over feasible assignments
  std::vector<double> least;           ///< per cost: least total over assignments meeting ties and pins
  std::vector<std::vector<std::size_t>> feasible_plans;
};

inline bool same_bits(const alloc::option& a, const alloc::option& b) { return a.w_bits == b.w_bits && a.a_bits == b.a_bits; }

inline std::size_t layer_index(const alloc::problem& p, const std::string& name) {
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    if (p.layers[l].name == name) return l;
  }
  return p.layers.size();
}

inline bool meets_ties_and_pins(const alloc::problem& p, const std::vector<std::size_t>& x) {
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    const auto& o = p.layers[l].options[x[l]];
    if (p.layers[l].pin && !(o.w_bits == p.layers[l].pin->w_bits && o.a_bits == p.layers[l].pin->a_bits)) return false;
  }
  for (const auto& tie : p.ties) {
    const std::size_t a = layer_index(p, tie[0]);
    for (const auto& name : tie) {
      const std::size_t b = layer_index(p, name);
      if (!same_bits(p.layers[a].options[x[a]], p.layers[b].options[x[b]])) return false;
    }
  }
  return true;
}

inline double total(const alloc::problem& p, const std::vector<std::size_t>& x, std::size_t cost) {
  double s = 0.0;
  for (std::size_t l = 0; l < p.layers.size(); ++l) s += p.layers[l].options[x[l]].costs[cost];
  return s;
}

inline double objective(const alloc::problem& p, const std::vector<std::size_t>& x) {
  double s = 0.0;
  for (std::size_t l = 0; l < p.layers.size(); ++l) s += p.layers[l].options[x[l]].sensitivity;
  return s;
}

inline bool within_budgets(const alloc::problem& p, const std::vector<std::size_t>& x) {
  for (std::size_t k = 0; k < p.cost_names.size(); ++k) {
    if (!(total(p, x, k) <= p.budgets[k])) return false;
  }
  return true;
}

inline reference enumerate(const alloc::problem& p, bool keep_plans = false) {
  reference ref;
  ref.least.assign(p.cost_names.size(), inf);
  std::vector<std::size_t> x(p.layers.size(), 0);
  for (;;) {
    if (meets_ties_and_pins(p, x)) {
      ref.structurally_possible = true;
      for (std::size_t k = 0; k < p.cost_names.size(); ++k) ref.least[k] = std::min(ref.least[k], total(p, x, k));
      if (within_budgets(p, x)) {
        ref.feasible = true;
        ref.best = std::min(ref.best, objective(p, x));
        if (keep_plans) ref.feasible_plans.push_back(x);
      }
    }
    std::size_t l = 0;
    while (l < x.size() && ++x[l] == p.layers[l].options.size()) x[l++] = 0;
    if (l == x.size()) break;
  }
  return ref;
}

// ---------------------------------------------------------------------------
// Random problems.

struct shape {
  std::size_t max_layers = 8, max_options = 4, max_costs = 3;
  bool integral = true;  ///< integer sensitivities and costs: sums are exact, ties in the objective are common
  double tie_chance = 0.3, pin_chance = 0.15, bad_pin_chance = 0.0;
};

inline alloc::problem random_problem(std::mt19937_64& rng, const shape& s) {
  auto uniform = [&](std::size_t lo, std::size_t hi) {
    return lo + static_cast<std::size_t>(rng() % (hi - lo + 1));
  };
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p; };
  auto value = [&](double hi) {
    return s.integral ? static_cast<double>(uniform(0, static_cast<std::size_t>(hi)))
                      : std::uniform_real_distribution<double>(0.0, hi)(rng);
  };
  static constexpr alloc::precision precisions[] = {{8, 8}, {8, 4}, {4, 8}, {4, 4}, {2, 8}};
  alloc::problem p;
  const std::size_t layers = uniform(1, s.max_layers), costs = uniform(0, s.max_costs);
  for (std::size_t k = 0; k < costs; ++k) p.cost_names.push_back("cost" + std::to_string(k));
  for (std::size_t l = 0; l < layers; ++l) {
    alloc::layer layer{"layer" + std::to_string(l), {}, {}};
    const std::size_t options = uniform(1, s.max_options);
    for (std::size_t j = 0; j < options; ++j) {
      const alloc::precision b = precisions[uniform(0, 4)];
      alloc::option o{b.w_bits, b.a_bits, value(20.0), {}};
      for (std::size_t k = 0; k < costs; ++k) o.costs.push_back(value(20.0));
      layer.options.push_back(std::move(o));
    }
    if (chance(s.pin_chance)) {
      const auto& o = layer.options[uniform(0, options - 1)];
      layer.pin = alloc::precision{o.w_bits, o.a_bits};
      if (chance(s.bad_pin_chance)) layer.pin = alloc::precision{1, 1};
    }
    p.layers.push_back(std::move(layer));
  }
  if (layers >= 2 && chance(s.tie_chance)) {
    const std::size_t ties = uniform(1, 2);
    for (std::size_t t = 0; t < ties; ++t) {
      std::vector<std::string> tie{p.layers[uniform(0, layers - 1)].name, p.layers[uniform(0, layers - 1)].name};
      if (chance(0.3)) tie.push_back(p.layers[uniform(0, layers - 1)].name);
      p.ties.push_back(std::move(tie));
    }
  }
  // Budgets between the least and the largest total, some left out (carried costs).
  for (std::size_t k = 0; k < costs; ++k) {
    double lo = 0.0, hi = 0.0;
    for (const auto& layer : p.layers) {
      double a = inf, b = 0.0;
      for (const auto& o : layer.options) a = std::min(a, o.costs[k]), b = std::max(b, o.costs[k]);
      lo += a, hi += b;
    }
    const double f = std::uniform_real_distribution<double>(-0.05, 1.0)(rng);
    double budget = lo + f * (hi - lo);
    if (s.integral) budget = std::floor(budget);
    p.budgets.push_back(chance(0.2) ? alloc::no_budget : budget);
  }
  return p;
}

// Shaped like real tables: each option cheaper and less accurate than the
// last, costs correlated across budgets, budgets tight. Most need branching.
inline alloc::problem hard_problem(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  alloc::problem p;
  const std::size_t costs = 2 + static_cast<std::size_t>(rng() % 2), layers = 6 + static_cast<std::size_t>(rng() % 2);
  for (std::size_t k = 0; k < costs; ++k) p.cost_names.push_back("cost" + std::to_string(k));
  for (std::size_t l = 0; l < layers; ++l) {
    alloc::layer layer{"layer" + std::to_string(l), {}, {}};
    const double size = 1.0 + 9.0 * u(rng), alpha = 0.1 + u(rng);
    const int bits[] = {8, 6, 4, 2};
    for (std::size_t j = 0; j < 4; ++j) {
      alloc::option o{bits[j], 8, alpha * (std::pow(4.0, double(j)) - 1.0 + u(rng)), {}};
      for (std::size_t k = 0; k < costs; ++k) o.costs.push_back(size * double(bits[j]) * (0.8 + 0.4 * u(rng)));
      layer.options.push_back(std::move(o));
    }
    p.layers.push_back(std::move(layer));
  }
  for (std::size_t k = 0; k < costs; ++k) {
    double lo = 0.0, hi = 0.0;
    for (const auto& layer : p.layers) {
      double a = inf, b = 0.0;
      for (const auto& o : layer.options) a = std::min(a, o.costs[k]), b = std::max(b, o.costs[k]);
      lo += a, hi += b;
    }
    p.budgets.push_back(lo + (0.25 + 0.35 * u(rng)) * (hi - lo));
  }
  return p;
}

inline std::vector<std::size_t> options_of(const alloc::plan& plan) {
  std::vector<std::size_t> x;
  for (const auto& c : plan.choices) x.push_back(c.option);
  return x;
}

inline double tolerance(double best, bool integral) { return integral ? 0.0 : 1e-9 * std::max(1.0, std::abs(best)); }

// Everything a plan claims, checked against the problem directly.
inline void check_plan(const alloc::problem& p, const alloc::plan& plan) {
  REQUIRE(plan.has_choices);
  REQUIRE(plan.choices.size() == p.layers.size());
  const auto x = options_of(plan);
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    REQUIRE(x[l] < p.layers[l].options.size());
    CHECK(plan.choices[l].w_bits == p.layers[l].options[x[l]].w_bits);
    CHECK(plan.choices[l].a_bits == p.layers[l].options[x[l]].a_bits);
  }
  CHECK(meets_ties_and_pins(p, x));
  CHECK(within_budgets(p, x));
  CHECK(plan.objective == objective(p, x));
  REQUIRE(plan.totals.size() == p.cost_names.size());
  for (std::size_t k = 0; k < p.cost_names.size(); ++k) CHECK(plan.totals[k] == total(p, x, k));
  CHECK(plan.bound <= plan.objective);
}

}  // namespace mixq::test
