#pragma once
// The bit-width allocation problem of a network, from what was measured on
// the device: each layer's options with the latency profile_latency()
// measured, the size and BOPs they cost, and the sensitivity
// measure_sensitivity() found. The allocator (alloc/) then picks the plan.
//
//   alloc::problem p = mixq::allocation_problem(latency, sensitivity, {.latency_us = budget - latency.fixed_us()});
//   alloc::plan plan = alloc::solve(p);
//   std::vector<precision> bits = mixq::plan_precisions(p, plan);

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include <mixq/alloc/alloc.hpp>
#include <mixq/config.hpp>
#include <mixq/profile/latency.hpp>
#include <mixq/sensitivity/mqe.hpp>

namespace mixq {

/// The costs every problem carries, in this order.
inline const std::vector<std::string> allocation_costs = {"latency_us", "size_bytes", "bops"};

/// Budgets on the layers' totals (alloc::no_budget for none). A latency
/// budget here excludes the fixed part (latency_table::fixed_us()).
struct allocation_budgets {
  double latency_us = alloc::no_budget;
  double size_bytes = alloc::no_budget;
  double bops = alloc::no_budget;
};

/// One layer per profiled layer, one option per precision both tables have.
inline alloc::problem allocation_problem(const latency_table& latency, const sensitivity_table& sensitivity,
                                         const allocation_budgets& budgets = {}) {
  if (latency.layers.size() != sensitivity.layers.size()) {
    MIXQ_THROW(error, "mixq::allocation_problem: the latency table has {} layers and the sensitivity table {}; expected "
                      "the same network",
               latency.layers.size(), sensitivity.layers.size());
  }
  alloc::problem p;
  p.cost_names = allocation_costs;
  p.budgets = {budgets.latency_us, budgets.size_bytes, budgets.bops};
  for (std::size_t l = 0; l < latency.layers.size(); ++l) {
    alloc::layer layer;
    layer.name = latency.layers[l].name;
    for (const latency_option& o : latency.layers[l].options) {
      const auto& sens = sensitivity.layers[l];
      const auto it = std::find_if(sens.begin(), sens.end(), [&](const sensitivity_entry& e) { return e.bits == o.bits; });
      if (it == sens.end()) continue;
      layer.options.push_back({o.bits.w_bits, o.bits.a_bits, it->of(sensitivity.metric),
                               {o.median_us, o.cost.size_bytes, o.cost.bops}});
    }
    if (layer.options.empty()) {
      MIXQ_THROW(error, "mixq::allocation_problem: layer '{}' has no precision measured in both tables",
                 latency.layers[l].name);
    }
    p.layers.push_back(std::move(layer));
  }
  return p;
}

/// The precision a plan gives each layer of its problem.
inline std::vector<precision> plan_precisions(const alloc::problem& p, const alloc::plan& plan) {
  if (!plan.has_choices) MIXQ_THROW(error, "mixq::plan_precisions: the plan has no choices (status {})", alloc::to_string(plan.status));
  std::vector<precision> out;
  for (std::size_t l = 0; l < p.layers.size(); ++l) out.push_back({plan.choices[l].w_bits, plan.choices[l].a_bits});
  return out;
}

/// The totals of a uniform precision over the problem's layers (each cost, in problem order).
inline std::vector<double> uniform_totals(const alloc::problem& p, precision bits) {
  std::vector<double> t(p.cost_names.size(), 0.0);
  for (const auto& layer : p.layers) {
    const auto it = std::find_if(layer.options.begin(), layer.options.end(),
                                 [&](const alloc::option& o) { return o.bits() == bits; });
    if (it == layer.options.end()) {
      MIXQ_THROW(error, "mixq::uniform_totals: layer '{}' has no {} option", layer.name, to_string(bits));
    }
    for (std::size_t k = 0; k < t.size(); ++k) t[k] += it->costs[k];
  }
  return t;
}

}  // namespace mixq
