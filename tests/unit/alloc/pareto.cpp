// mixq::alloc::pareto and free_bits against their definitions: the
// non-dominated points of every enumerated plan, and a Free Bits pass that
// only spends slack on precision.
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

#include "unit/alloc/references.hpp"

namespace {

namespace alloc = mixq::alloc;
using Catch::Matchers::Contains;
using namespace mixq::test;

}  // namespace

namespace {

// The non-dominated (total of cost k, objective) points of every plan that
// meets ties, pins and the other budgets, with the total within [low, high].
std::vector<std::pair<double, double>> reference_front(const alloc::problem& p, std::size_t k, double high) {
  alloc::problem q = p;
  q.budgets[k] = alloc::no_budget;
  const reference ref = enumerate(q, true);
  std::vector<std::pair<double, double>> points;
  for (const auto& x : ref.feasible_plans) {
    const double t = total(p, x, k);
    if (t <= high) points.emplace_back(t, objective(p, x));
  }
  std::sort(points.begin(), points.end());
  std::vector<std::pair<double, double>> front;
  for (const auto& pt : points) {
    if (front.empty() || pt.second < front.back().second) {
      if (!front.empty() && front.back().first == pt.first) front.pop_back();
      front.push_back(pt);
    }
  }
  return front;
}

}  // namespace

TEST_CASE("pareto returns exactly the non-dominated points", "[alloc][pareto]") {
  std::mt19937_64 rng(31);
  std::size_t fronts = 0;
  for (int instance = 0; instance < 500; ++instance) {
    shape s;
    s.max_layers = 6;
    s.max_costs = 2;
    alloc::problem p = random_problem(rng, s);
    if (p.cost_names.empty() || !enumerate(p).structurally_possible) continue;
    const std::size_t k = static_cast<std::size_t>(rng() % p.cost_names.size());
    const auto expected = reference_front(p, k, p.budgets[k]);
    const alloc::pareto_front front = alloc::pareto(p, k);
    INFO("instance " << instance);
    if (expected.empty()) {
      CHECK(front.status == alloc::status::infeasible);
      CHECK(front.points.empty());
      continue;
    }
    REQUIRE(front.status == alloc::status::optimal);
    REQUIRE(front.points.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      CHECK(front.points[i].total == expected[i].first);
      CHECK(front.points[i].objective == expected[i].second);
      // The point's plan is what it says it is.
      std::vector<std::size_t> x;
      for (const auto& c : front.points[i].choices) x.push_back(c.option);
      CHECK(meets_ties_and_pins(p, x));
      CHECK(total(p, x, k) == front.points[i].total);
      CHECK(objective(p, x) == front.points[i].objective);
      for (std::size_t c = 0; c < p.cost_names.size(); ++c) {
        if (c != k) CHECK(total(p, x, c) <= p.budgets[c]);
      }
    }
    // Mutually non-dominated: totals rise while objectives fall.
    for (std::size_t i = 1; i < front.points.size(); ++i) {
      CHECK(front.points[i - 1].total < front.points[i].total);
      CHECK(front.points[i - 1].objective > front.points[i].objective);
    }
    ++fronts;
  }
  CHECK(fronts > 250);
}

namespace {

// Layers that choose together: joined by ties, directly or through a shared layer.
std::vector<std::vector<std::size_t>> tie_groups(const alloc::problem& p) {
  std::vector<std::size_t> root(p.layers.size());
  for (std::size_t l = 0; l < root.size(); ++l) root[l] = l;
  auto find = [&](std::size_t x) {
    while (root[x] != x) x = root[x];
    return x;
  };
  for (const auto& tie : p.ties) {
    for (const auto& name : tie) root[find(layer_index(p, name))] = find(layer_index(p, tie[0]));
  }
  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t l = 0; l < root.size(); ++l) {
    if (find(l) != l) continue;
    groups.emplace_back();
    for (std::size_t m = 0; m < root.size(); ++m) {
      if (find(m) == l) groups.back().push_back(m);
    }
  }
  return groups;
}

}  // namespace

TEST_CASE("the Free Bits pass only spends slack on precision", "[alloc][free-bits]") {
  std::mt19937_64 rng(5);
  std::size_t raised = 0;
  for (int instance = 0; instance < 600; ++instance) {
    shape s;
    s.max_layers = 6;
    s.integral = instance % 2 == 0;
    const alloc::problem p = random_problem(rng, s);
    const reference ref = enumerate(p, true);
    if (!ref.feasible) continue;
    // Any feasible plan, not only optimal ones.
    const auto& x = ref.feasible_plans[rng() % ref.feasible_plans.size()];
    const std::vector<std::size_t> y = alloc::free_bits(p, x);
    INFO("instance " << instance);
    REQUIRE(y.size() == x.size());
    CHECK(meets_ties_and_pins(p, y));
    CHECK(within_budgets(p, y));
    CHECK(objective(p, y) <= objective(p, x));
    for (std::size_t l = 0; l < x.size(); ++l) {
      const auto &a = p.layers[l].options[x[l]], &b = p.layers[l].options[y[l]];
      if (x[l] == y[l]) continue;
      // A layer that moved raised its precision.
      CHECK(b.w_bits >= a.w_bits);
      CHECK(b.a_bits >= a.a_bits);
      CHECK(!same_bits(a, b));
      ++raised;
    }
    // Nothing is left to raise: no layer, with the layers tied to it, can
    // move to a higher precision of lower sensitivity within the budgets.
    for (const auto& group : tie_groups(p)) {
      const auto& now = p.layers[group[0]].options[y[group[0]]];
      std::vector<std::size_t> z = y, pick(group.size(), 0);
      for (;;) {
        bool raise = true;
        for (std::size_t g = 0; g < group.size(); ++g) {
          z[group[g]] = pick[g];
          const auto& o = p.layers[group[g]].options[pick[g]];
          raise = raise && o.w_bits >= now.w_bits && o.a_bits >= now.a_bits && !same_bits(o, now);
        }
        if (raise && meets_ties_and_pins(p, z) && within_budgets(p, z)) CHECK_FALSE(objective(p, z) < objective(p, y));
        std::size_t g = 0;
        while (g < group.size() && ++pick[g] == p.layers[group[g]].options.size()) pick[g++] = 0;
        if (g == group.size()) break;
      }
    }
  }
  CHECK(raised > 50);
}
