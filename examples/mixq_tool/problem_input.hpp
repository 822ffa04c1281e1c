#pragma once
// The allocation table of `mixq allocate` (docs/allocator.md) read from its
// JSON document: every rule checked, each failure an input_error that names
// the JSON path at fault.

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <mixq/alloc/alloc.hpp>

#include "commands.hpp"
#include "json_input.hpp"

namespace mixq_tool {

namespace alloc = mixq::alloc;

/// A problem and what every plan of it costs besides its layers ("fixed":
/// the layers without weights, say), one entry per cost.
struct table {
  alloc::problem problem;
  std::vector<double> fixed;
};

/// The problem of the JSON document, every rule checked with its path.
/// "about" (what `mixq profile` and `mixq sensitivity` say of their
/// measurements) and "check" are read by people, not here.
inline table read_problem(const json& doc) {
  alloc::problem p;
  expect(doc, doc.is_object(), "$", "an object with \"budgets\", \"layers\" and optionally \"ties\"");
  only_keys(doc, "$", {"budgets", "layers", "ties", "fixed", "about", "check"});

  const json& budgets = member(doc, "budgets", "$", "an object of budgets, e.g. {\"latency_us\": 950.0}");
  expect(budgets, budgets.is_object(), "$.budgets", "an object of budgets, e.g. {\"latency_us\": 950.0}");
  for (const auto& [name, value] : budgets.items()) {
    p.cost_names.push_back(name);
    p.budgets.push_back(number(value, member_path("$.budgets", name), "a number"));
  }

  const json& layers = member(doc, "layers", "$", "an array of layers");
  expect(layers, layers.is_array() && !layers.empty(), "$.layers", "a non-empty array of layers");
  // Cost names beyond the budgets, in order of first appearance: carried into the totals.
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const std::string lp = element_path("$.layers", l);
    const json& layer = layers[l];
    expect(layer, layer.is_object(), lp, "an object with \"name\", \"options\" and optionally \"pin\"");
    only_keys(layer, lp, {"name", "options", "pin"});
    const json& options = member(layer, "options", lp, "an array of options");
    expect(options, options.is_array() && !options.empty(), member_path(lp, "options"), "a non-empty array of options");
    for (std::size_t j = 0; j < options.size(); ++j) {
      const std::string op = element_path(member_path(lp, "options"), j);
      expect(options[j], options[j].is_object(), op, "an object with w_bits, a_bits, sensitivity and costs");
      const json& costs = member(options[j], "costs", op, "an object of costs");
      expect(costs, costs.is_object(), member_path(op, "costs"), "an object of costs, e.g. {\"latency_us\": 98.1}");
      for (const auto& [name, value] : costs.items()) {
        if (std::find(p.cost_names.begin(), p.cost_names.end(), name) == p.cost_names.end()) {
          p.cost_names.push_back(name);
          p.budgets.push_back(alloc::no_budget);
        }
      }
    }
  }

  for (std::size_t l = 0; l < layers.size(); ++l) {
    const std::string lp = element_path("$.layers", l);
    const json& layer = layers[l];
    alloc::layer out;
    const json& name = member(layer, "name", lp, "a string");
    expect(name, name.is_string() && !name.get<std::string>().empty(), member_path(lp, "name"), "a non-empty string");
    out.name = name.get<std::string>();
    for (std::size_t prev = 0; prev < p.layers.size(); ++prev) {
      if (p.layers[prev].name == out.name) {
        throw input_error(fmt::format("{}: \"{}\" is also the name of $.layers[{}]; expected unique layer names",
                                      member_path(lp, "name"), out.name, prev));
      }
    }
    const json& options = layer.at("options");
    for (std::size_t j = 0; j < options.size(); ++j) {
      const std::string op = element_path(member_path(lp, "options"), j);
      const json& o = options[j];
      only_keys(o, op, {"w_bits", "a_bits", "sensitivity", "costs", "spread_us", "metrics"});
      alloc::option opt;
      opt.w_bits = integer(member(o, "w_bits", op, "an integer bit-width"), member_path(op, "w_bits"), 1,
                           alloc::max_option_bits);
      opt.a_bits = integer(member(o, "a_bits", op, "an integer bit-width"), member_path(op, "a_bits"), 1,
                           alloc::max_option_bits);
      const std::string sp = member_path(op, "sensitivity");
      opt.sensitivity = number(member(o, "sensitivity", op, "a number >= 0"), sp, "a number >= 0");
      if (!(opt.sensitivity >= 0.0)) {
        throw input_error(fmt::format("{}: {} is negative; expected a number >= 0", sp, opt.sensitivity));
      }
      const json& costs = o.at("costs");
      for (std::size_t k = 0; k < p.cost_names.size(); ++k) {
        const std::string& cost = p.cost_names[k];
        const auto it = costs.find(cost);
        if (it == costs.end()) {
          const bool budgeted = p.budgets[k] < alloc::no_budget;
          throw input_error(fmt::format("{}: missing; expected a number >= 0 ({}; every option lists the same costs)",
                                        member_path(member_path(op, "costs"), cost),
                                        budgeted ? "$.budgets names it" : "other options list it"));
        }
        const std::string cp = member_path(member_path(op, "costs"), cost);
        const double c = number(*it, cp, "a number >= 0");
        if (!(c >= 0.0)) throw input_error(fmt::format("{}: {} is negative; expected a number >= 0", cp, c));
        opt.costs.push_back(c);
      }
      out.options.push_back(std::move(opt));
    }
    if (const auto pin = layer.find("pin"); pin != layer.end()) {
      const std::string pp = member_path(lp, "pin");
      expect(*pin, pin->is_object(), pp, "an object {\"w_bits\": ..., \"a_bits\": ...}");
      only_keys(*pin, pp, {"w_bits", "a_bits"});
      const alloc::precision want{
          integer(member(*pin, "w_bits", pp, "an integer bit-width"), member_path(pp, "w_bits"), 1,
                  alloc::max_option_bits),
          integer(member(*pin, "a_bits", pp, "an integer bit-width"), member_path(pp, "a_bits"), 1,
                  alloc::max_option_bits)};
      bool found = false;
      for (const auto& o : out.options) found = found || o.bits() == want;
      if (!found) {
        throw input_error(fmt::format("{}: w_bits {}, a_bits {} matches none of the layer's options; expected the "
                                      "precision of one of them",
                                      pp, want.w_bits, want.a_bits));
      }
      out.pin = want;
    }
    p.layers.push_back(std::move(out));
  }

  if (const auto ties = doc.find("ties"); ties != doc.end()) {
    expect(*ties, ties->is_array(), "$.ties", "an array of ties, each an array of layer names");
    // Layers a tie joins, to check each joined group shares a precision.
    std::vector<std::size_t> group(p.layers.size());
    for (std::size_t l = 0; l < group.size(); ++l) group[l] = l;
    auto root = [&](std::size_t x) {
      while (group[x] != x) x = group[x] = group[group[x]];
      return x;
    };
    std::vector<std::size_t> first_tie(p.layers.size(), ties->size());
    for (std::size_t t = 0; t < ties->size(); ++t) {
      const std::string tp = element_path("$.ties", t);
      const json& tie = (*ties)[t];
      expect(tie, tie.is_array() && tie.size() >= 2, tp, "an array of two or more layer names");
      std::vector<std::string> names;
      std::size_t head = 0;
      for (std::size_t i = 0; i < tie.size(); ++i) {
        const std::string np = element_path(tp, i);
        expect(tie[i], tie[i].is_string(), np, "a layer name");
        const std::string n = tie[i].get<std::string>();
        std::size_t l = 0;
        while (l < p.layers.size() && p.layers[l].name != n) ++l;
        if (l == p.layers.size()) {
          throw input_error(fmt::format("{}: \"{}\" names no layer; expected the name of one of $.layers", np, n));
        }
        if (i == 0) {
          head = l;
        } else {
          const std::size_t a = root(head), b = root(l);
          group[std::max(a, b)] = std::min(a, b);
        }
        names.push_back(n);
      }
      for (const auto& n : names) {
        for (std::size_t l = 0; l < p.layers.size(); ++l) {
          if (p.layers[l].name == n && first_tie[l] == ties->size()) first_tie[l] = t;
        }
      }
      p.ties.push_back(std::move(names));
    }
    // Each joined group needs a precision every member offers and every pin allows.
    for (std::size_t l = 0; l < p.layers.size(); ++l) {
      if (root(l) != l || first_tie[l] == ties->size()) continue;
      std::vector<alloc::precision> common;
      for (const auto& o : p.layers[l].options) common.push_back(o.bits());
      std::size_t tie = first_tie[l];
      for (std::size_t m = 0; m < p.layers.size(); ++m) {
        if (root(m) != l) continue;
        tie = std::min(tie, first_tie[m]);
        std::vector<alloc::precision> kept;
        for (const auto c : common) {
          bool has = false;
          for (const auto& o : p.layers[m].options) has = has || o.bits() == c;
          if (has && (!p.layers[m].pin || *p.layers[m].pin == c)) kept.push_back(c);
        }
        common = std::move(kept);
      }
      if (common.empty()) {
        throw input_error(fmt::format("{}: the tied layers (with any ties sharing a layer) have no (w_bits, a_bits) "
                                      "that each of them offers and its pin allows; expected one in common",
                                      element_path("$.ties", tie)));
      }
    }
  }

  // Costs outside the layers: added to every plan's totals, so the layers get the budget less them.
  std::vector<double> fixed(p.cost_names.size(), 0.0);
  if (const auto f = doc.find("fixed"); f != doc.end()) {
    expect(*f, f->is_object(), "$.fixed", "an object of costs, e.g. {\"latency_us\": 120.0}");
    for (const auto& [name, value] : f->items()) {
      const std::string fp = member_path("$.fixed", name);
      const auto it = std::find(p.cost_names.begin(), p.cost_names.end(), name);
      if (it == p.cost_names.end()) {
        throw input_error(fmt::format("{}: \"{}\" is not a cost of the problem's options", fp, name));
      }
      const double v = number(value, fp, "a number >= 0");
      if (!(v >= 0.0)) throw input_error(fmt::format("{}: {} is negative; expected a number >= 0", fp, v));
      fixed[static_cast<std::size_t>(it - p.cost_names.begin())] = v;
    }
  }
  for (std::size_t k = 0; k < p.budgets.size(); ++k) {
    if (p.budgets[k] < alloc::no_budget) p.budgets[k] -= fixed[k];
  }
  return {std::move(p), std::move(fixed)};
}

}  // namespace mixq_tool
