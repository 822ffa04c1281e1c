// mixq eval MODEL.onnx --data DIR [--precision P] [--plan PLAN.json] [--limit N] ...
//
// Accuracy of a network on the test split of DIR at a precision plan, its
// top-1 agreement with the same network in float, and the latency of one
// image (single pass of one sample, the executor's threads).
#include <chrono>

#include <fmt/format.h>

#include "commands.hpp"
#include "network_session.hpp"

namespace mixq_tool {
namespace {

constexpr std::string_view eval_help = R"(usage: mixq eval MODEL.onnx --data DIR [options]

Runs the network on the test images of DIR (t10k-images-idx3-ubyte[.gz] and
t10k-labels-idx1-ubyte[.gz], or test_images.npy / test_labels.npy) and prints
its accuracy, its top-1 agreement with the network in float, and the median
latency of one image, as JSON on stdout.

  --precision P      fp32, native (a quantized model's own), or wWaA with W, A in
                     8, 4, 2 (e.g. w8a8, w4a8, w2a2) for every layer. Default:
                     native for a quantized (QDQ) model, w8a8 for a float one
  --plan PLAN.json   per-layer precisions, as `mixq allocate` or `mixq ohq` write
                     them ({"choices": [{"layer", "w_bits", "a_bits"}, ...]});
                     layers it does not name keep --precision's
  --limit N          the first N test images only
  --calibration N    training images that calibrate a float model's activations
                     (default 1024)
  --observer NAME    minmax (default), histogram, percentile, mse or entropy
  --threads T        worker threads (default 1; latency is measured with them)
  --requantize RULE  how layers requantize their sums: tflite (default; TFLite's
                     fixed-point rule, bit-exact with it) or float32 (fp32 scales,
                     as XNNPACK does: faster, within a code of tflite per layer)
  --progress         progress on stderr even when it is not a terminal

Exit status: 0 done; 2 bad usage, model or data (the message names the file);
1 an internal error.
)";

}  // namespace

int eval(std::span<const std::string_view> args) {
  for (const auto a : args) {
    if (a == "--help" || a == "-h") {
      fmt::print("{}", eval_help);
      return 0;
    }
  }
  const arguments_of a(args, {"--data", "--precision", "--plan", "--limit", "--calibration", "--observer", "--threads",
                                 "--requantize"},
                       {"--progress"});
  if (a.positional().size() != 1) {
    throw input_error(a.positional().empty() ? "no model file given (try --help)"
                                             : fmt::format("one model file expected, got {}", a.positional().size()));
  }
  const auto data_dir = a.value("--data");
  if (!data_dir) throw input_error("--data DIR is required: the folder with the test images and labels");
  const progress p(progress::wanted(a));
  const std::string model_path = a.positional()[0];
  const auto net = load_network(model_path);
  const auto plan = resolve_plan(*net, a.value("--precision"), a.value("--plan"));
  const std::size_t threads = a.count("--threads").value_or(1);
  const mixq::requantize_rule rule = requantize_rule_of(a.value("--requantize"));
  const std::size_t calibration_images = a.count("--calibration").value_or(1024);
  const auto observer = observer_of(a.value("--observer"));

  const mixq::io::dataset test = load_data(*data_dir, mixq::io::split::test, a.count("--limit").value_or(0), *net);
  if (test.labels.size() != test.size()) throw input_error(fmt::format("{}: the test images have no labels", *data_dir));
  const auto cal = calibration_for(net, plan, data_dir, calibration_images, observer, p);

  mixq::model m(net, cal, plan, {.max_batch = 64, .threads = threads, .requantize = rule});
  const auto classes = predict(m, test, p, mixq::to_string(plan.all) == "fp32" && plan.layers.empty() ? "fp32" : "eval");
  std::vector<std::size_t> float_classes = classes;
  if (needs_calibration(*net, plan)) {
    mixq::model f(net, {}, {.all = mixq::fp32}, {.max_batch = 64, .threads = threads});
    float_classes = predict(f, test, p, "fp32 reference");
  }
  std::size_t correct = 0, agree = 0;
  for (std::size_t i = 0; i < test.size(); ++i) {
    correct += classes[i] == static_cast<std::size_t>(test.labels[i]);
    agree += classes[i] == float_classes[i];
  }
  mixq::model single(net, cal, plan, {.max_batch = 1, .threads = threads, .requantize = rule});
  const latency_stats latency = measure_latency(single, test.images, std::min<std::size_t>(test.size(), 100));

  json out = {{"model", model_path},
              {"images", test.size()},
              {"accuracy", static_cast<double>(correct) / static_cast<double>(test.size())},
              {"precision", plan_label(*net, plan, a.value("--precision"), a.value("--plan"))},
              {"top1_agreement_with_fp32", static_cast<double>(agree) / static_cast<double>(test.size())},
              {"latency_us", latency_json(latency)},
              {"threads", threads},
              {"requantize", std::string(requantize_rule_name(rule))},
              {"kernels", std::string(kernel_arch())}};
  if (needs_calibration(*net, plan)) {
    out["calibration"] = {{"observer", std::string(mixq::to_string(observer))},
                          {"images", net->is_quantized() ? 0 : calibration_images}};
  }
  out["layers"] = plan_choices(*net, plan);
  fmt::print("{}\n", render(out));
  return 0;
}

}  // namespace mixq_tool
