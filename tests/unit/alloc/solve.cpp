// mixq::alloc::solve, free_bits and pareto against independent references:
// exhaustive enumeration of every plan on thousands of small random problems
// (ties, pins, carried costs, integer and real data), a dynamic program over
// both budgets on larger ones, and the definitions of the Pareto front and
// of the Free Bits pass.
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

namespace {

namespace alloc = mixq::alloc;
using Catch::Matchers::Contains;

constexpr double inf = std::numeric_limits<double>::infinity();

// ---------------------------------------------------------------------------
// The reference: every assignment of one option per layer, in odometer order.

struct reference {
  bool structurally_possible = false;  ///< some assignment meets every tie and pin
  bool feasible = false;               ///< ... and every budget
  double best = inf;                   ///< least objective over feasible assignments
  std::vector<double> least;           ///< per cost: least total over assignments meeting ties and pins
  std::vector<std::vector<std::size_t>> feasible_plans;
};

bool same_bits(const alloc::option& a, const alloc::option& b) { return a.w_bits == b.w_bits && a.a_bits == b.a_bits; }

std::size_t layer_index(const alloc::problem& p, const std::string& name) {
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    if (p.layers[l].name == name) return l;
  }
  return p.layers.size();
}

bool meets_ties_and_pins(const alloc::problem& p, const std::vector<std::size_t>& x) {
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

double total(const alloc::problem& p, const std::vector<std::size_t>& x, std::size_t cost) {
  double s = 0.0;
  for (std::size_t l = 0; l < p.layers.size(); ++l) s += p.layers[l].options[x[l]].costs[cost];
  return s;
}

double objective(const alloc::problem& p, const std::vector<std::size_t>& x) {
  double s = 0.0;
  for (std::size_t l = 0; l < p.layers.size(); ++l) s += p.layers[l].options[x[l]].sensitivity;
  return s;
}

bool within_budgets(const alloc::problem& p, const std::vector<std::size_t>& x) {
  for (std::size_t k = 0; k < p.cost_names.size(); ++k) {
    if (!(total(p, x, k) <= p.budgets[k])) return false;
  }
  return true;
}

reference enumerate(const alloc::problem& p, bool keep_plans = false) {
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

alloc::problem random_problem(std::mt19937_64& rng, const shape& s) {
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
alloc::problem hard_problem(std::mt19937_64& rng) {
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

std::vector<std::size_t> options_of(const alloc::plan& plan) {
  std::vector<std::size_t> x;
  for (const auto& c : plan.choices) x.push_back(c.option);
  return x;
}

double tolerance(double best, bool integral) { return integral ? 0.0 : 1e-9 * std::max(1.0, std::abs(best)); }

// Everything a plan claims, checked against the problem directly.
void check_plan(const alloc::problem& p, const alloc::plan& plan) {
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

}  // namespace

TEST_CASE("solve finds the optimum that enumerating every plan finds", "[alloc][brute-force]") {
  std::mt19937_64 rng(20260);
  std::size_t optimal = 0, infeasible = 0, rejected = 0;
  for (int instance = 0; instance < 3000; ++instance) {
    shape s;
    s.integral = instance % 2 == 0;
    s.bad_pin_chance = 0.05;
    const alloc::problem p = random_problem(rng, s);
    const reference ref = enumerate(p);
    INFO("instance " << instance);
    if (!ref.structurally_possible) {
      // Ties and pins that no assignment meets are a malformed problem, not an infeasible one.
      CHECK_THROWS_AS(alloc::solve(p), mixq::error);
      ++rejected;
      continue;
    }
    const alloc::plan plan = alloc::solve(p);
    REQUIRE(plan.minimum_totals.size() == p.cost_names.size());
    for (std::size_t k = 0; k < p.cost_names.size(); ++k) {
      CHECK_THAT(plan.minimum_totals[k], Catch::Matchers::WithinAbs(ref.least[k], 1e-9 * (1.0 + ref.least[k])));
    }
    if (!ref.feasible) {
      CHECK(plan.status == alloc::status::infeasible);
      CHECK(!plan.has_choices);
      CHECK(plan.choices.empty());
      ++infeasible;
      continue;
    }
    REQUIRE(plan.status == alloc::status::optimal);
    check_plan(p, plan);
    CHECK(std::abs(plan.objective - ref.best) <= tolerance(ref.best, s.integral));
    CHECK(plan.bound >= ref.best - tolerance(ref.best, s.integral) - 1e-9 * std::abs(ref.best));
    // Without the Free Bits pass the optimum is the same.
    alloc::solve_options no_free_bits;
    no_free_bits.free_bits = false;
    CHECK(std::abs(alloc::solve(p, no_free_bits).objective - ref.best) <= tolerance(ref.best, s.integral));
    ++optimal;
  }
  // The generator must exercise every outcome.
  CHECK(optimal > 1500);
  CHECK(infeasible > 100);
  CHECK(rejected > 20);
}

TEST_CASE("solve matches enumeration where branch and bound has to branch", "[alloc][brute-force]") {
  std::mt19937_64 rng(4242);
  std::size_t branched = 0;
  for (int instance = 0; instance < 300; ++instance) {
    const alloc::problem p = hard_problem(rng);
    const reference ref = enumerate(p);
    INFO("instance " << instance);
    const alloc::plan plan = alloc::solve(p);
    if (!ref.feasible) {
      CHECK(plan.status == alloc::status::infeasible);
      continue;
    }
    REQUIRE(plan.status == alloc::status::optimal);
    check_plan(p, plan);
    CHECK(std::abs(plan.objective - ref.best) <= 1e-9 * std::max(1.0, ref.best));
    branched += plan.nodes > 1 ? 1 : 0;
  }
  // The point of these instances: most are settled by the search, not by the root.
  CHECK(branched > 100);
}

namespace {

// Least objective within two integer budgets, by a dynamic program over the
// two totals: states[c1][c2] = least objective of the layers so far.
double dynamic_program(const alloc::problem& p) {
  const auto b1 = static_cast<std::size_t>(p.budgets[0]), b2 = static_cast<std::size_t>(p.budgets[1]);
  std::vector<double> states((b1 + 1) * (b2 + 1), inf), next;
  states[0] = 0.0;
  for (const auto& layer : p.layers) {
    next.assign(states.size(), inf);
    for (std::size_t c1 = 0; c1 <= b1; ++c1) {
      for (std::size_t c2 = 0; c2 <= b2; ++c2) {
        const double here = states[c1 * (b2 + 1) + c2];
        if (here == inf) continue;
        for (const auto& o : layer.options) {
          const auto n1 = c1 + static_cast<std::size_t>(o.costs[0]), n2 = c2 + static_cast<std::size_t>(o.costs[1]);
          if (n1 > b1 || n2 > b2) continue;
          double& t = next[n1 * (b2 + 1) + n2];
          t = std::min(t, here + o.sensitivity);
        }
      }
    }
    states.swap(next);
  }
  return *std::min_element(states.begin(), states.end());
}

}  // namespace

TEST_CASE("solve matches a dynamic program over both budgets on larger problems", "[alloc][dp]") {
  std::mt19937_64 rng(99);
  for (int instance = 0; instance < 24; ++instance) {
    alloc::problem p;
    p.cost_names = {"latency", "bytes"};
    const std::size_t layers = 12 + static_cast<std::size_t>(instance % 8);
    double most[2] = {0, 0};
    for (std::size_t l = 0; l < layers; ++l) {
      alloc::layer layer{"l" + std::to_string(l), {}, {}};
      // Costs fall and sensitivity rises with fewer bits, with noise: many near-ties.
      const double size = static_cast<double>(1 + rng() % 4);
      const int bits[] = {8, 6, 4, 2};
      for (std::size_t j = 0; j < 4; ++j) {
        const double w = bits[j];
        const double s = std::round((std::pow(2.0, 8.0 - w) - 1.0) * size * (0.8 + 0.4 * double(rng() % 100) / 100.0));
        layer.options.push_back(
            {bits[j], 8, s, {std::round(w * size / 2.0) + double(rng() % 2), std::round(w * size / 4.0) + double(rng() % 2)}});
      }
      for (std::size_t k = 0; k < 2; ++k) {
        double m = 0;
        for (const auto& o : layer.options) m = std::max(m, o.costs[k]);
        most[k] += m;
      }
      p.layers.push_back(std::move(layer));
    }
    p.budgets = {std::floor(most[0] * 0.55), std::floor(most[1] * (0.5 + 0.02 * instance))};
    INFO("instance " << instance);
    const double best = dynamic_program(p);
    const alloc::plan plan = alloc::solve(p);
    if (best == inf) {
      CHECK(plan.status == alloc::status::infeasible);
      continue;
    }
    REQUIRE(plan.status == alloc::status::optimal);
    check_plan(p, plan);
    CHECK(plan.objective == best);
  }
}

TEST_CASE("solve matches a dynamic program where the search runs to tens of thousands of nodes",
          "[alloc][dp][long-search]") {
  // Layers of 1-3 units, each with 8 precisions whose costs are exact
  // multiples of the unit and whose sensitivities differ by 1% noise: the LP
  // bound sits close to a great many plans. These two need 40,000-60,000
  // nodes, enough to fill the search's open list (it then goes depth-first)
  // and to have its tree collected several times.
  struct seeded {
    std::size_t layers;
    std::uint64_t seed;
  };
  for (const seeded which : {seeded{50, 500}, seeded{60, 535}}) {
    std::mt19937_64 rng(which.seed);
    alloc::problem p;
    p.cost_names = {"latency", "bytes"};
    double most[2] = {0, 0};
    for (std::size_t l = 0; l < which.layers; ++l) {
      alloc::layer layer{"l" + std::to_string(l), {}, {}};
      const double size = static_cast<double>(1 + rng() % 3);
      for (const int a : {8, 4}) {
        for (const int w : {8, 6, 4, 2}) {
          const double s = (std::pow(2.0, 8.0 - w) + std::pow(2.0, 8.0 - a) - 2.0) * size *
                           (0.99 + 0.02 * static_cast<double>(rng() % 100000) / 100000.0);
          layer.options.push_back({w, a, s, {w * size + a, w * size}});
        }
      }
      for (std::size_t k = 0; k < 2; ++k) {
        double m = 0;
        for (const auto& o : layer.options) m = std::max(m, o.costs[k]);
        most[k] += m;
      }
      p.layers.push_back(std::move(layer));
    }
    p.budgets = {std::floor(most[0] * 0.58), std::floor(most[1] * 0.53)};
    INFO("layers " << which.layers << ", seed " << which.seed);
    const double best = dynamic_program(p);
    REQUIRE(best < inf);
    const alloc::plan plan = alloc::solve(p);
    REQUIRE(plan.status == alloc::status::optimal);
    check_plan(p, plan);
    CHECK(std::abs(plan.objective - best) <= 1e-9 * best);
    // Stopped halfway, the open nodes still bound every plan.
    alloc::solve_options halfway;
    halfway.node_limit = plan.nodes / 2;
    const alloc::plan cut = alloc::solve(p, halfway);
    REQUIRE(cut.status == alloc::status::limit);
    CHECK(cut.bound <= best + 1e-9 * best);
    if (cut.has_choices) {
      check_plan(p, cut);
      CHECK(cut.objective >= best - 1e-9 * best);
    }
  }
}

TEST_CASE("a larger budget never gives a worse plan", "[alloc][property]") {
  std::mt19937_64 rng(7);
  for (int instance = 0; instance < 400; ++instance) {
    shape s;
    s.integral = instance % 2 == 0;
    alloc::problem p = random_problem(rng, s);
    if (!enumerate(p).structurally_possible) continue;
    const alloc::plan before = alloc::solve(p);
    for (auto& b : p.budgets) {
      if (b < alloc::no_budget) b += static_cast<double>(rng() % 10);
    }
    const alloc::plan after = alloc::solve(p);
    INFO("instance " << instance);
    if (before.has_choices) {
      REQUIRE(after.optimal());
      CHECK(after.objective <= before.objective + tolerance(before.objective, s.integral));
    }
  }
}

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

TEST_CASE("limits stop the search with a valid bound", "[alloc][limits]") {
  std::mt19937_64 rng(17);
  std::size_t limited = 0;
  for (int instance = 0; instance < 300; ++instance) {
    shape s;
    s.max_layers = 8;
    s.max_options = 4;
    s.max_costs = 3;
    s.integral = false;
    s.tie_chance = 0.0;
    s.pin_chance = 0.0;
    const alloc::problem p = random_problem(rng, s);
    const reference ref = enumerate(p);
    alloc::solve_options options;
    options.node_limit = static_cast<std::uint64_t>(instance % 3);
    const alloc::plan plan = alloc::solve(p, options);
    INFO("instance " << instance);
    if (plan.status == alloc::status::infeasible) {
      CHECK(!ref.feasible);
      continue;
    }
    if (!ref.feasible) {
      // A limit may stop the search before infeasibility is proven, never with a plan.
      CHECK(plan.status == alloc::status::limit);
      CHECK(!plan.has_choices);
      continue;
    }
    CHECK(plan.bound <= ref.best + 1e-9 * std::abs(ref.best));
    if (plan.status == alloc::status::limit) {
      ++limited;
      CHECK(plan.nodes <= options.node_limit);
      if (plan.has_choices) {
        check_plan(p, plan);
        CHECK(plan.gap() >= 0.0);
        CHECK(plan.objective >= ref.best - 1e-9 * std::abs(ref.best));
      }
    } else {
      CHECK(std::abs(plan.objective - ref.best) <= 1e-9 * std::max(1.0, ref.best));
    }
  }
  CHECK(limited > 10);
}

TEST_CASE("a static problem solves at run time like its run-time twin", "[alloc][static]") {
  constexpr alloc::static_problem<3, 3, 2> sp{
      .cost_names = {"latency", "bytes"},
      .budgets = {9.0, alloc::no_budget},
      .layers = {{
          {.name = "a", .options = {{{8, 8, 0.0, {4.0, 8.0}}, {4, 8, 2.0, {2.0, 4.0}}, {2, 8, 5.0, {1.0, 2.0}}}}},
          {.name = "b", .options = {{{8, 8, 0.0, {3.0, 8.0}}, {4, 8, 1.0, {2.0, 4.0}}}}, .option_count = 2},
          {.name = "c", .options = {{{8, 8, 0.0, {4.0, 8.0}}, {4, 8, 3.0, {1.0, 4.0}}, {2, 8, 6.0, {0.5, 2.0}}}}},
      }},
      .ties = {{{"a", "c"}}},
  };
  alloc::problem p{{"latency", "bytes"}, {9.0, alloc::no_budget}, {}, {{"a", "c"}}};
  for (const auto& l : sp.layers) {
    alloc::layer layer{std::string(l.name), {}, l.pin};
    for (std::size_t j = 0; j < l.option_count; ++j) {
      const auto& o = l.options[j];
      layer.options.push_back({o.w_bits, o.a_bits, o.sensitivity, {o.costs.begin(), o.costs.end()}});
    }
    p.layers.push_back(std::move(layer));
  }
  const auto fixed = alloc::solve(sp);
  const alloc::plan dynamic = alloc::solve(p);
  REQUIRE(fixed.optimal());
  REQUIRE(dynamic.optimal());
  CHECK(fixed.objective == dynamic.objective);
  for (std::size_t l = 0; l < 3; ++l) CHECK(fixed.choices[l] == dynamic.choices[l]);
  CHECK(fixed.objective == enumerate(p).best);
  // The tie keeps a and c at one precision: a 4-bit, c 4-bit (latency 2 + 3 + 1 = 6) beats
  // a 8-bit, c 8-bit (8 + b's 2 = 10 > 9).
  CHECK(fixed.choices[0].w_bits == fixed.choices[2].w_bits);
}

TEST_CASE("bad problems are rejected with the argument, the value and what was expected", "[alloc][errors]") {
  auto base = [] {
    alloc::problem p{{"latency_us"}, {10.0}, {}, {}};
    p.layers.push_back({"conv", {{8, 8, 0.0, {4.0}}, {4, 8, 0.5, {2.0}}}, {}});
    p.layers.push_back({"fc", {{8, 8, 0.0, {3.0}}, {4, 8, 0.2, {1.0}}}, {}});
    return p;
  };
  REQUIRE_NOTHROW(alloc::solve(base()));

  SECTION("negative or NaN sensitivity") {
    auto p = base();
    p.layers[1].options[0].sensitivity = -1.0;
    CHECK_THROWS_WITH(alloc::solve(p), Contains("problem.layers[1] (\"fc\").options[0].sensitivity is -1") &&
                                           Contains("expected a finite number >= 0"));
    p.layers[1].options[0].sensitivity = std::nan("");
    CHECK_THROWS_WITH(alloc::solve(p), Contains("sensitivity is nan"));
  }
  SECTION("negative, infinite or NaN cost") {
    auto p = base();
    p.layers[0].options[1].costs[0] = -2.0;
    CHECK_THROWS_WITH(alloc::solve(p), Contains("problem.layers[0] (\"conv\").options[1].costs[0] (\"latency_us\") is -2"));
    p.layers[0].options[1].costs[0] = inf;
    CHECK_THROWS_WITH(alloc::solve(p), Contains("is inf; expected a finite number >= 0"));
  }
  SECTION("a layer with no options") {
    auto p = base();
    p.layers[1].options.clear();
    CHECK_THROWS_WITH(alloc::solve(p), Contains("problem.layers[1] (\"fc\") has no options"));
  }
  SECTION("a budget naming a cost an option lacks") {
    auto p = base();
    p.layers[0].options[0].costs.clear();
    CHECK_THROWS_WITH(alloc::solve(p), Contains("options[0].costs has 0 entries; expected 1"));
  }
  SECTION("budgets and cost names disagree, or a budget is NaN") {
    auto p = base();
    p.budgets.push_back(3.0);
    CHECK_THROWS_WITH(alloc::solve(p), Contains("problem.budgets has 2 entries; expected 1"));
    p.budgets = {std::nan("")};
    CHECK_THROWS_WITH(alloc::solve(p), Contains("problem.budgets[0] (\"latency_us\") is NaN"));
  }
  SECTION("duplicate layer names") {
    auto p = base();
    p.layers[1].name = "conv";
    CHECK_THROWS_WITH(alloc::solve(p), Contains("are both named \"conv\""));
  }
  SECTION("ties naming unknown layers, or too few") {
    auto p = base();
    p.ties = {{"conv", "fc2"}};
    CHECK_THROWS_WITH(alloc::solve(p), Contains("problem.ties[0][1] is \"fc2\"; expected the name of a layer"));
    p.ties = {{"conv"}};
    CHECK_THROWS_WITH(alloc::solve(p), Contains("problem.ties[0] has 1 names"));
  }
  SECTION("a tie with no common precision") {
    auto p = base();
    p.layers[1].options[1].w_bits = 2;
    p.layers[0].pin = alloc::precision{4, 8};
    p.ties = {{"conv", "fc"}};
    CHECK_THROWS_WITH(alloc::solve(p), Contains("the tie of layers \"conv\", \"fc\" has no (w_bits, a_bits)") &&
                                           Contains("\"conv\" is pinned to 4/8"));
  }
  SECTION("a pin matching no option") {
    auto p = base();
    p.layers[0].pin = alloc::precision{6, 8};
    CHECK_THROWS_WITH(alloc::solve(p), Contains("problem.layers[0] (\"conv\").pin is w_bits = 6, a_bits = 8"));
  }
  SECTION("bit-widths out of range and an empty problem") {
    auto p = base();
    p.layers[0].options[0].w_bits = 0;
    CHECK_THROWS_WITH(alloc::solve(p), Contains("has w_bits = 0, a_bits = 8; expected both in 1..32"));
    p.layers.clear();
    CHECK_THROWS_WITH(alloc::solve(p), Contains("problem.layers is empty"));
  }
  SECTION("solve options") {
    alloc::solve_options o;
    o.time_limit_seconds = 0.0;
    CHECK_THROWS_WITH(alloc::solve(base(), o), Contains("options.time_limit_seconds is 0"));
    o = {};
    o.relative_tolerance = std::nan("");
    CHECK_THROWS_WITH(alloc::solve(base(), o), Contains("options.relative_tolerance is nan"));
  }
  SECTION("free_bits on choices that break the problem") {
    auto p = base();
    p.budgets = {5.0};
    CHECK_THROWS_WITH(alloc::free_bits(p, std::vector<std::size_t>{0, 0}), Contains("total of \"latency_us\" is 7"));
    CHECK_NOTHROW(alloc::free_bits(p, std::vector<std::size_t>{1, 1}));
    CHECK_THROWS_WITH(alloc::free_bits(p, std::vector<std::size_t>{1, 5}), Contains("is 5; expected an index below 2"));
    CHECK_THROWS_WITH(alloc::free_bits(p, std::vector<std::size_t>{1}), Contains("1 option indices given; expected 2"));
  }
  SECTION("pareto of a cost that does not exist") {
    CHECK_THROWS_WITH(alloc::pareto(base(), 3), Contains("cost is 3; expected the index of one of the problem's 1"));
  }
  SECTION("budgets no plan meets are not an error") {
    auto p = base();
    p.budgets = {2.5};  // the least latency is 2 + 1
    const alloc::plan plan = alloc::solve(p);
    CHECK(plan.status == alloc::status::infeasible);
    CHECK(plan.minimum_totals[0] == 3.0);
  }
}
