// The plan JSON of `mixq eval --plan` (the output of `mixq allocate` or
// `mixq ohq`), read against a small network: any text is a plan the model
// accepts, or an input_error naming the JSON path at fault.
#include <string>
#include <vector>

#include <mixq/model/builder.hpp>
#include <mixq/model/model.hpp>

#include "../../../examples/mixq_tool/plan_input.hpp"
#include "../fuzz_target.hpp"

namespace {

// input (4 features) -> fc1 (8) -> relu -> fc2 (3)
const mixq::network& small_network() {
  static const mixq::network net = [] {
    mixq::network_builder b(mixq::tensor_shape{.height = 1, .width = 1, .channels = 4, .image = false});
    const auto h = b.dense(b.input(), "fc1", 8, std::vector<float>(32, 0.25f), {}, mixq::fused_clamp::relu());
    return std::move(b).build(b.dense(h, "fc2", 3, std::vector<float>(24, -0.5f)));
  }();
  return net;
}

}  // namespace

MIXQ_FUZZ_TARGET(plan_json) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  mixq::precision_plan plan;
  try {
    mixq_tool::add_plan_choices(small_network(), text, "plan.json", plan);
  } catch (const mixq_tool::input_error&) {
    return;
  }
  // What add_plan_choices accepts, the model takes (fp32 layers need no calibration).
  bool integer = false;
  for (const auto& [name, p] : plan.layers) integer = integer || !mixq::is_float(p);
  if (integer) return;
  plan.all = mixq::fp32;
  try {
    const mixq::model m(small_network(), {}, plan);
  } catch (const mixq::error& e) {
    mixq_fuzz::fail("a plan add_plan_choices accepted is refused by the model: {}", e.what());
  }
}
