// Differential: the branch-and-bound allocator against enumeration of every
// plan, on small problems whose costs and sensitivities are exact in binary
// (integers and multiples of 1/64), so both sides decide feasibility and
// optimality without rounding: the status, the objective, the budgets and
// the least reachable totals must agree.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <mixq/alloc/alloc.hpp>

#include "../fuzz_target.hpp"

namespace alloc = mixq::alloc;

MIXQ_FUZZ_TARGET(allocator) {
  mixq_fuzz::bytes in(data, size);
  static constexpr alloc::precision precisions[] = {{8, 8}, {4, 8}, {2, 8}, {8, 4}, {4, 4}, {2, 2}};
  alloc::problem p;
  const std::size_t costs = in.in_range(1, 2), layers = in.in_range(1, 6);
  for (std::size_t k = 0; k < costs; ++k) {
    p.cost_names.push_back(k == 0 ? "latency_us" : "size_bytes");
    const auto b = in.in_range(0, 64);
    p.budgets.push_back(b == 64 ? alloc::no_budget : static_cast<double>(b));
  }
  for (std::size_t l = 0; l < layers; ++l) {
    alloc::layer layer{.name = "l" + std::to_string(l), .options = {}, .pin = std::nullopt};
    const auto mask = in.in_range(1, 63);  // which precisions the layer offers
    for (std::size_t i = 0; i < 6; ++i) {
      if (!(mask >> i & 1)) continue;
      alloc::option o{.w_bits = precisions[i].w_bits, .a_bits = precisions[i].a_bits,
                      .sensitivity = static_cast<double>(in.in_range(0, 255)) / 64.0, .costs = {}};
      for (std::size_t k = 0; k < costs; ++k) o.costs.push_back(static_cast<double>(in.in_range(0, 15)));
      layer.options.push_back(o);
    }
    if (in.in_range(0, 7) == 0) layer.pin = precisions[in.in_range(0, 5)];
    p.layers.push_back(std::move(layer));
  }
  if (layers > 1 && in.in_range(0, 3) == 0) {
    const std::size_t a = in.in_range(0, layers - 1), b = in.in_range(0, layers - 1);
    if (a != b) p.ties.push_back({p.layers[a].name, p.layers[b].name});
  }

  alloc::plan plan;
  try {
    plan = alloc::solve(p);
  } catch (const mixq::error&) {
    return;  // e.g. a pin no option matches, a tie with no common precision
  }

  // Every plan, by enumeration.
  const auto allowed = [&](std::size_t l, std::size_t o) {
    const auto& L = p.layers[l];
    return !L.pin || L.options[o].bits() == *L.pin;
  };
  std::vector<std::size_t> pick(layers, 0);
  double best = std::numeric_limits<double>::infinity();
  std::vector<double> least(costs, std::numeric_limits<double>::infinity());
  for (;;) {
    bool ok = true;
    for (std::size_t l = 0; l < layers && ok; ++l) ok = allowed(l, pick[l]);
    for (const auto& tie : p.ties) {
      const auto at = [&](const std::string& n) {
        const auto i = static_cast<std::size_t>(std::find_if(p.layers.begin(), p.layers.end(),
                                                             [&](const auto& L) { return L.name == n; }) -
                                                p.layers.begin());
        return p.layers[i].options[pick[i]].bits();
      };
      ok = ok && at(tie[0]) == at(tie[1]);
    }
    if (ok) {
      double objective = 0;
      bool within = true;
      for (std::size_t k = 0; k < costs; ++k) {
        double total = 0;
        for (std::size_t l = 0; l < layers; ++l) total += p.layers[l].options[pick[l]].costs[k];
        least[k] = std::min(least[k], total);
        within = within && total <= p.budgets[k];
      }
      for (std::size_t l = 0; l < layers; ++l) objective += p.layers[l].options[pick[l]].sensitivity;
      if (within) best = std::min(best, objective);
    }
    std::size_t l = 0;
    while (l < layers && ++pick[l] == p.layers[l].options.size()) pick[l++] = 0;
    if (l == layers) break;
  }

  const bool feasible = best < std::numeric_limits<double>::infinity();
  if (feasible != !plan.infeasible()) {
    mixq_fuzz::fail("solve says {}, enumeration {}", alloc::to_string(plan.status), feasible ? "feasible" : "infeasible");
  }
  for (std::size_t k = 0; k < costs; ++k) {
    if (plan.minimum_totals.at(k) != least[k]) {
      mixq_fuzz::fail("least total of cost {}: solve {}, enumeration {}", k, plan.minimum_totals[k], least[k]);
    }
  }
  if (!feasible) return;
  if (!plan.optimal()) mixq_fuzz::fail("status {} on a problem of {} layers", alloc::to_string(plan.status), layers);
  if (std::abs(plan.objective - best) > 1e-9 * std::max(1.0, best)) {
    mixq_fuzz::fail("objective: solve {}, enumeration {}", plan.objective, best);
  }
  double objective = 0;
  for (std::size_t l = 0; l < layers; ++l) {
    const auto& c = plan.choices.at(l);
    if (!allowed(l, c.option)) mixq_fuzz::fail("layer {} takes option {}, against its pin", l, c.option);
    objective += p.layers[l].options.at(c.option).sensitivity;
  }
  if (objective != plan.objective) mixq_fuzz::fail("the choices sum to {}, the plan says {}", objective, plan.objective);
  for (std::size_t k = 0; k < costs; ++k) {
    double total = 0;
    for (std::size_t l = 0; l < layers; ++l) total += p.layers[l].options[plan.choices[l].option].costs[k];
    if (total > p.budgets[k]) mixq_fuzz::fail("cost {} totals {} over the budget {}", k, total, p.budgets[k]);
    if (total != plan.totals.at(k)) mixq_fuzz::fail("cost {}: the choices total {}, the plan says {}", k, total, plan.totals[k]);
  }
}
