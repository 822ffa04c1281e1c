#pragma once
// A per-layer plan read from its JSON document (the output of `mixq allocate`
// or `mixq ohq`), checked against the network it is for.

#include <cstddef>
#include <string>

#include <fmt/format.h>

#include <mixq/model/model.hpp>

#include "commands.hpp"
#include "json_input.hpp"

namespace mixq_tool {

/// Adds the "choices" of a plan document to `plan`: each a layer with weights
/// of `net` at a precision with a kernel. `source` names the document in messages.
inline void add_plan_choices(const mixq::network& net, const std::string& text, const std::string& source,
                      mixq::precision_plan& plan) {
  const json doc = parse_json(text, source);
  expect(doc, doc.is_object(), "$", "an object with \"choices\" (the output of mixq allocate or mixq ohq)");
  const json* choices = &member(doc, "choices", "$", "an array of {\"layer\", \"w_bits\", \"a_bits\"}");
  std::string base = "$.choices";
  expect(*choices, choices->is_array(), base, "an array of {\"layer\", \"w_bits\", \"a_bits\"}");
  for (std::size_t i = 0; i < choices->size(); ++i) {
    const std::string path = element_path(base, i);
    const json& c = (*choices)[i];
    expect(c, c.is_object(), path, "an object {\"layer\", \"w_bits\", \"a_bits\"}");
    const json& name = member(c, "layer", path, "a layer name");
    expect(name, name.is_string(), member_path(path, "layer"), "a layer name");
    const std::string layer = name.get<std::string>();
    const std::size_t index = net.find_layer(layer);
    if (index == net.layers().size() || !net.layers()[index].has_weights()) {
      throw input_error(fmt::format("{}: {}: \"{}\" is not a layer with weights of the model; expected one of its {} "
                                    "convolution and dense layers",
                                    source, member_path(path, "layer"), layer, net.weighted_layers().size()));
    }
    const mixq::precision p{integer(member(c, "w_bits", path, "an integer"), member_path(path, "w_bits"), 1, 32),
                            integer(member(c, "a_bits", path, "an integer"), member_path(path, "a_bits"), 1, 32)};
    if (!(mixq::is_float(p) || mixq::has_kernel(p))) {
      throw input_error(fmt::format("{}: {}: w_bits {}, a_bits {} has no kernel; expected 32/32 (fp32) or W and A in "
                                    "8, 4, 2",
                                    source, path, p.w_bits, p.a_bits));
    }
    plan.layers.emplace_back(layer, p);
  }
}

}  // namespace mixq_tool
