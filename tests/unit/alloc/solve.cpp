// mixq::alloc::solve against independent references: exhaustive enumeration
// of every plan on thousands of small random problems (ties, pins, carried
// costs, integer and real data) and a dynamic program over both budgets on
// larger ones; limits, static problems and bad input.
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
