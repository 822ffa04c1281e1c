// mixq run MODEL.onnx --input X.npy -o Y.npy [--precision P] [--plan PLAN.json] [--data DIR]
//
// The network's float outputs for every input of X.npy, written to Y.npy:
// what a user compares with their framework's numbers.
#include <fmt/format.h>

#include <mixq/io/npy.hpp>

#include "commands.hpp"
#include "network_session.hpp"

namespace mixq_tool {
namespace {

constexpr std::string_view run_help = R"(usage: mixq run MODEL.onnx --input X.npy -o Y.npy [options]

Runs the network on the N inputs of X.npy (float32, laid out as the model's
input declares: N x C x H x W, or N x F) and writes its float32 outputs to
Y.npy (N x the output's shape). Prints the output shape and the median
latency of one input as JSON on stdout. A model whose batch is fixed at 1
runs the inputs one by one.

  --precision P      fp32, native, or wWaA (W, A in 8, 4, 2); default: native for a
                     quantized model, w8a8 for a float one
  --plan PLAN.json   per-layer precisions ({"choices": [{"layer", "w_bits", "a_bits"}]})
  --data DIR         training images that calibrate a float model's activations
                     (needed for its integer precisions)
  --calibration N    how many of them (default 1024)
  --observer NAME    minmax (default), histogram, percentile, mse or entropy
  --threads T        worker threads (default 1)
  --requantize RULE  how layers requantize their sums: tflite (default; TFLite's
                     fixed-point rule, bit-exact with it) or float32 (fp32 scales,
                     as XNNPACK does: faster, within a code of tflite per layer)
  --progress         progress on stderr even when it is not a terminal

Exit status: 0 done; 2 bad usage, model or input (the message names the file);
1 an internal error.
)";

}  // namespace

int run(std::span<const std::string_view> args) {
  for (const auto a : args) {
    if (a == "--help" || a == "-h") {
      fmt::print("{}", run_help);
      return 0;
    }
  }
  const arguments_of a(args, {"--input", "-o", "--output", "--precision", "--plan", "--data", "--calibration",
                              "--observer", "--threads", "--requantize"},
                       {"--progress"});
  if (a.positional().size() != 1) {
    throw input_error(a.positional().empty() ? "no model file given (try --help)"
                                             : fmt::format("one model file expected, got {}", a.positional().size()));
  }
  const auto input = a.value("--input");
  if (!input) throw input_error("--input X.npy is required");
  auto output = a.value("-o");
  if (!output) output = a.value("--output");
  if (!output) throw input_error("-o Y.npy is required: where to write the outputs");
  const progress p(progress::wanted(a));
  const std::string model_path = a.positional()[0];
  const auto net = load_network(model_path);
  const auto plan = resolve_plan(*net, a.value("--precision"), a.value("--plan"));
  const std::size_t threads = a.count("--threads").value_or(1);
  const mixq::requantize_rule rule = requantize_rule_of(a.value("--requantize"));

  mixq::io::float_array x;
  try {
    x = mixq::io::read_npy_floats(*input);
  } catch (const mixq::error& e) {
    throw input_error(e.what());
  }
  const mixq::tensor_shape& in = net->input_shape();
  const std::vector<std::size_t> per_sample =
      in.image ? std::vector<std::size_t>{in.channels, in.height, in.width} : std::vector<std::size_t>{in.channels};
  auto shape_text = [](const std::vector<std::size_t>& s) {
    std::string t;
    for (std::size_t k = 0; k < s.size(); ++k) t += fmt::format("{}{}", k ? " x " : "", s[k]);
    return t;
  };
  if (x.shape.size() != per_sample.size() + 1 || !std::equal(per_sample.begin(), per_sample.end(), x.shape.begin() + 1)) {
    throw input_error(fmt::format("{}: the inputs are {}; expected N x {} (the model's input)", *input,
                                  shape_text(x.shape), shape_text(per_sample)));
  }
  const std::size_t n = x.shape[0];
  if (n == 0) throw input_error(fmt::format("{}: no inputs (N = 0); expected at least one", *input));

  const auto cal = calibration_for(net, plan, a.value("--data"), a.count("--calibration").value_or(1024),
                                   observer_of(a.value("--observer")), p);
  mixq::model m(net, cal, plan, {.max_batch = 64, .threads = threads, .requantize = rule});
  mixq::io::float_array y;
  const mixq::tensor_shape& out = net->output_shape();
  y.shape = out.image ? std::vector<std::size_t>{n, out.channels, out.height, out.width}
                      : std::vector<std::size_t>{n, out.channels};
  y.data.resize(n * m.output_elements());
  m.run(x.data, n, y.data);
  try {
    mixq::io::write_npy(*output, y);
  } catch (const mixq::error& e) {
    throw input_error(e.what());
  }
  mixq::model single(net, cal, plan, {.max_batch = 1, .threads = threads, .requantize = rule});
  const latency_stats latency = measure_latency(single, x.data, n, std::max<std::size_t>(std::min<std::size_t>(n, 200), 50));

  json out_json = {{"model", model_path},
                   {"inputs", n},
                   {"outputs", y.shape},
                   {"precision", plan_label(*net, plan, a.value("--precision"), a.value("--plan"))},
                   {"latency_us", latency_json(latency)},
                   {"requantize", std::string(requantize_rule_name(rule))},
                   {"output_file", *output}};
  fmt::print("{}\n", render(out_json));
  return 0;
}

}  // namespace mixq_tool
