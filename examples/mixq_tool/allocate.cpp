// mixq allocate PROBLEM.json [--time-limit S] [--pareto BUDGET]
//
// Reads an allocation table (JSON), solves it exactly with mixq::alloc and
// prints the plan as JSON on stdout; with --pareto, every non-dominated
// (total of that cost, objective) point from the file's budget down. The
// input format and the output are described in docs/allocator.md.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <mixq/alloc/alloc.hpp>

#include "commands.hpp"
#include "json_input.hpp"
#include "problem_input.hpp"

namespace mixq_tool {
namespace {

constexpr std::string_view allocate_help = R"(usage: mixq allocate PROBLEM.json [--time-limit S] [--pareto BUDGET]

Chooses one option per layer so that the total sensitivity is least and every
budget is met, tied layers share a precision and pinned layers keep theirs.
Prints the plan as JSON on stdout. PROBLEM.json may be - for stdin.

  --time-limit S    stop after S seconds with status "limit", the best plan and its gap
  --pareto BUDGET   instead, every non-dominated (total of BUDGET, objective) point,
                    from BUDGET's value in the file (or unbounded, for a cost
                    without a budget) down to the least total it can reach

Exit status: 0 with a plan, a "limit" or an "infeasible" answer; 2 for bad
usage or malformed input (the message names the JSON path at fault).
)";

struct arguments {
  std::string file;
  double time_limit = alloc::solve_options{}.time_limit_seconds;
  std::optional<std::string> pareto;
};

arguments parse_arguments(std::span<const std::string_view> args) {
  arguments a;
  bool have_file = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    auto value = [&](std::string_view option) {
      if (i + 1 >= args.size()) throw input_error(fmt::format("{} needs a value (try --help)", option));
      return std::string(args[++i]);
    };
    if (arg == "--time-limit") {
      const std::string v = value(arg);
      double seconds = 0.0;
      std::size_t used = 0;
      try {
        seconds = std::stod(v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != v.size() || !(seconds > 0.0) || !std::isfinite(seconds)) {
        throw input_error(fmt::format("--time-limit is '{}'; expected a number of seconds > 0", v));
      }
      a.time_limit = seconds;
    } else if (arg == "--pareto") {
      a.pareto = value(arg);
    } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
      throw input_error(fmt::format("unknown option '{}' (try --help)", arg));
    } else if (!have_file) {
      a.file = std::string(arg);
      have_file = true;
    } else {
      throw input_error(fmt::format("one problem file expected, got '{}' and '{}'", a.file, arg));
    }
  }
  if (!have_file) throw input_error("no problem file given (try --help)");
  return a;
}

std::string read_input(const std::string& file) {
  std::ostringstream text;
  if (file == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw input_error(fmt::format("{}: cannot open the file", file));
  text << in.rdbuf();
  return text.str();
}

json choices_json(const alloc::problem& p, const std::vector<alloc::choice>& choices) {
  json out = json::array();
  for (std::size_t l = 0; l < choices.size(); ++l) {
    out.push_back({{"layer", p.layers[l].name},
                   {"option", choices[l].option},
                   {"w_bits", choices[l].w_bits},
                   {"a_bits", choices[l].a_bits}});
  }
  return out;
}

json totals_json(const table& t, const std::vector<double>& totals, bool budgets_only) {
  json out = json::object();
  for (std::size_t k = 0; k < t.problem.cost_names.size(); ++k) {
    if (!budgets_only || t.problem.budgets[k] < alloc::no_budget) out[t.problem.cost_names[k]] = totals[k] + t.fixed[k];
  }
  return out;
}

json plan_json(const table& t, const alloc::plan& plan) {
  const alloc::problem& p = t.problem;
  json out = {{"status", std::string(alloc::to_string(plan.status))}};
  if (plan.has_choices) {
    out["objective"] = plan.objective;
    out["bound"] = plan.bound;
    if (plan.status == alloc::status::limit) out["gap"] = plan.gap();
    out["choices"] = choices_json(p, plan.choices);
    out["totals"] = totals_json(t, plan.totals, false);
  } else if (plan.status == alloc::status::limit) {
    out["bound"] = plan.bound;
  }
  if (plan.status == alloc::status::infeasible) out["minimum_totals"] = totals_json(t, plan.minimum_totals, true);
  out["nodes"] = plan.nodes;
  out["solve_seconds"] = plan.solve_seconds;
  return out;
}

json pareto_json(const table& t, const alloc::pareto_front& front, const alloc::plan& least) {
  const alloc::problem& p = t.problem;
  json out = {{"status", std::string(alloc::to_string(front.status))}, {"budget", p.cost_names[front.cost]}};
  json points = json::array();
  for (const auto& point : front.points) {
    points.push_back({{"objective", point.objective},
                      {"totals", totals_json(t, point.totals, false)},
                      {"choices", choices_json(p, point.choices)}});
  }
  out["points"] = std::move(points);
  if (front.status == alloc::status::infeasible) out["minimum_totals"] = totals_json(t, least.minimum_totals, true);
  out["nodes"] = front.nodes;
  out["solve_seconds"] = front.solve_seconds;
  return out;
}

}  // namespace

int allocate(std::span<const std::string_view> args) {
  for (const auto a : args) {
    if (a == "--help" || a == "-h") {
      fmt::print("{}", allocate_help);
      return 0;
    }
  }
  const arguments a = parse_arguments(args);
  const json doc = parse_json(read_input(a.file), a.file == "-" ? "the input" : a.file);
  const table t = read_problem(doc);
  const alloc::problem& p = t.problem;

  alloc::solve_options options;
  options.time_limit_seconds = a.time_limit;
  json out;
  try {
    if (a.pareto) {
      std::size_t cost = 0;
      while (cost < p.cost_names.size() && p.cost_names[cost] != *a.pareto) ++cost;
      if (cost == p.cost_names.size()) {
        std::string names;
        for (const auto& n : p.cost_names) names += fmt::format("{}{}", names.empty() ? "" : ", ", n);
        throw input_error(fmt::format("--pareto: '{}' is not one of the problem's costs ({})", *a.pareto, names));
      }
      alloc::pareto_options po;
      po.solve = options;
      const alloc::pareto_front front = alloc::pareto(p, cost, po);
      alloc::plan least;
      if (front.status == alloc::status::infeasible) least = alloc::solve(p, options);
      out = pareto_json(t, front, least);
    } else {
      out = plan_json(t, alloc::solve(p, options));
    }
  } catch (const mixq::error& e) {
    // read_problem checks every rule the library does; this is a fallback.
    throw input_error(fmt::format("$: {}", e.what()));
  }
  fmt::print("{}\n", render(out));
  return 0;
}

}  // namespace mixq_tool
