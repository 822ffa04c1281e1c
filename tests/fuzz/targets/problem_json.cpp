// The allocation-problem JSON of `mixq allocate`: any text is either a
// problem (then solved, briefly, and the plan checked against the budgets)
// or an input_error naming the JSON path at fault.
#include <cmath>
#include <string>

#include <mixq/alloc/alloc.hpp>

#include "../../../examples/mixq_tool/problem_input.hpp"
#include "../fuzz_target.hpp"

MIXQ_FUZZ_TARGET(problem_json) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  mixq_tool::table t;
  try {
    t = mixq_tool::read_problem(mixq_tool::parse_json(text, "problem.json"));
  } catch (const mixq_tool::input_error&) {
    return;
  }
  // Solving is checked on problems a search of 2000 nodes covers quickly.
  if (t.problem.layers.size() > 24) return;
  mixq::alloc::solve_options options;
  options.node_limit = 2000;
  mixq::alloc::plan plan;
  try {
    plan = mixq::alloc::solve(t.problem, options);
  } catch (const mixq::error& e) {
    // read_problem promises to check every rule the solver does.
    mixq_fuzz::fail("read_problem accepted a problem the solver rejects: {}", e.what());
  }
  if (!plan.has_choices) return;
  const auto& p = t.problem;
  if (plan.choices.size() != p.layers.size()) mixq_fuzz::fail("the plan has {} choices for {} layers", plan.choices.size(), p.layers.size());
  for (std::size_t k = 0; k < p.cost_names.size(); ++k) {
    double total = 0;
    for (std::size_t l = 0; l < p.layers.size(); ++l) total += p.layers[l].options.at(plan.choices[l].option).costs.at(k);
    const double slack = 1e-9 * (1.0 + std::abs(p.budgets[k]));
    if (total > p.budgets[k] + slack) mixq_fuzz::fail("cost {} totals {} over the budget {}", p.cost_names[k], total, p.budgets[k]);
  }
}
