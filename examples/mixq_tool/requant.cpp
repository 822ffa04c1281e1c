// mixq requant MODEL.onnx --to PRESET -o OUT.onnx [--data DIR]
//
// Re-quantizes a quantized (QDQ) model into another scheme from its codes
// alone, writes it as QDQ ONNX and reports what each layer and value lost;
// with --data, the accuracy before and after and each layer's output error.
#include <chrono>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include <mixq/io/onnx_export.hpp>

#include "commands.hpp"
#include "network_session.hpp"

namespace mixq_tool {
namespace {

constexpr std::string_view requant_help = R"(usage: mixq requant MODEL.onnx --to PRESET -o OUT.onnx [options]

Converts a quantized (QDQ) model into another quantization scheme without its
float weights or retraining, writes it to OUT.onnx (QDQ, opset 13) and prints
a JSON report on stdout: per layer the source and target schemes and the
weights' error; per activation the parameters before and after.

  --to PRESET        sym              int8 symmetric per-tensor weights and activations
                     sym-per-channel  int8 symmetric per-channel weights, symmetric activations
                     sym-pow2         as sym, every scale a power of two
                     tflite           per-channel symmetric weights, int8 asymmetric activations
  -o OUT.onnx        where the converted model goes
  --data DIR         images (see `mixq eval --help`): the means of each layer's
                     input for weight correction, each layer's output SQNR, and
                     the accuracy before and after on the test images
  --calibration N    training images for means and output SQNR (default 512)
  --limit N          the first N test images for the accuracy
  --weight-bits B    8 (default), 4 or 2: re-quantize the weights to B bits
  --no-weight-correction  re-round each weight; no least-squares scale, no bias shift
  --no-folding       write each computed value at the source's parameters and
                     convert it after (two roundings; for measurement only: the
                     model keeps the source's parameters at those layers)
  --means M          where weight correction takes each layer's input means:
                     data (the default with --data), network (estimated from
                     the network alone: the default without), or none
  --from-float F.onnx  the same network in float: its weights replace the codes
                     (the bound quantizing from float reaches, for comparison)
  --progress         progress on stderr even when it is not a terminal

Without --data, weight correction estimates the means from the network itself
(docs/requant.md measures how well that works).

Exit status: 0 done; 2 bad usage, model, data or a target the model cannot be
converted to (the message names the layer and tensor); 1 an internal error.
)";

json number_or_null(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

json params_json(const mixq::activation_params& p) {
  return {{"scale", p.scale}, {"zero_point", p.zero_point}, {"bits", p.bits}, {"signed", p.is_signed},
          {"scheme", mixq::scheme_text(p)}};
}

double accuracy(mixq::model& m, const mixq::io::dataset& test, const progress& p, std::string_view what) {
  const auto classes = predict(m, test, p, what);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < test.size(); ++i) correct += classes[i] == static_cast<std::size_t>(test.labels[i]);
  return static_cast<double>(correct) / static_cast<double>(test.size());
}

}  // namespace

int requant(std::span<const std::string_view> args) {
  for (const auto a : args) {
    if (a == "--help" || a == "-h") {
      fmt::print("{}", requant_help);
      return 0;
    }
  }
  const arguments_of a(args, {"--to", "-o", "--data", "--calibration", "--limit", "--weight-bits", "--from-float", "--means"},
                       {"--no-weight-correction", "--no-folding", "--progress"});
  if (a.positional().size() != 1) {
    throw input_error(a.positional().empty() ? "no model file given (try --help)"
                                             : fmt::format("one model file expected, got {}", a.positional().size()));
  }
  const auto to = a.value("--to");
  if (!to) throw input_error("--to PRESET is required: sym, sym-per-channel, sym-pow2 or tflite");
  const auto preset = mixq::parse_requant_preset(*to);
  if (!preset) throw input_error(fmt::format("--to {}: unknown preset; expected sym, sym-per-channel, sym-pow2 or tflite", *to));
  const auto out_path = a.value("-o");
  if (!out_path) throw input_error("-o OUT.onnx is required: where the converted model goes");
  mixq::network_requant_options opt;
  opt.weight_correction = !a.has("--no-weight-correction");
  opt.folding = !a.has("--no-folding");
  if (const auto b = a.value("--weight-bits")) {
    if (*b != "8" && *b != "4" && *b != "2") throw input_error(fmt::format("--weight-bits {}: expected 8, 4 or 2", *b));
    opt.weight_bits = (*b)[0] - '0';
  }
  const progress p(progress::wanted(a));
  const std::string model_path = a.positional()[0];
  const auto net = load_network(model_path);
  std::shared_ptr<const mixq::network> float_net;
  if (const auto f = a.value("--from-float")) float_net = load_network(*f);

  const auto data_dir = a.value("--data");
  const std::size_t calibration_images = a.count("--calibration").value_or(512);
  try {
    // The library's checks of the source (quantized, every layer input with parameters), before anything runs.
    if (!net->is_quantized()) (void)mixq::requantize(*net, *preset, opt);
  } catch (const mixq::error& e) {
    throw input_error(fmt::format("{}: {}", model_path, e.what()));
  }
  // The source runs in integers at its own quantization -- unless its weights
  // are asymmetric, which the kernels do not take: then in float (the same
  // weight values), and the report says so.
  bool symmetric = true;
  for (const std::size_t i : net->weighted_layers()) {
    const auto& src = *mixq::detail::weight_matrix_of(net->layers()[i]).source;
    symmetric = symmetric && src->symmetric();
  }
  const mixq::precision_plan source_plan = symmetric ? mixq::native_plan(*net) : mixq::precision_plan{.all = mixq::fp32};
  mixq::model source(net, mixq::source_calibration(*net), source_plan, {.max_batch = 64});
  std::string means_from = a.value("--means").value_or(!opt.weight_correction ? "none" : data_dir ? "data" : "network");
  if (means_from != "data" && means_from != "network" && means_from != "none") {
    throw input_error(fmt::format("--means {}: expected data, network or none", means_from));
  }
  if (means_from == "data" && !data_dir) throw input_error("--means data needs --data DIR");
  std::optional<mixq::io::dataset> train;
  if (data_dir) train = load_data(*data_dir, mixq::io::split::train, calibration_images, *net);
  mixq::value_means means;
  if (means_from == "data") {
    p.status("means of each layer's input");
    means = requant_means(source, *train);
  } else if (means_from == "network") {
    means = mixq::propagate_means(*net);
  }

  const auto start = std::chrono::steady_clock::now();
  mixq::requantized_network r;
  try {
    r = mixq::requantize(*net, *preset, opt, means, float_net.get());
  } catch (const mixq::error& e) {
    throw input_error(fmt::format("{}: {}", model_path, e.what()));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto converted = std::make_shared<const mixq::network>(std::move(r.net));
  mixq::model after(converted, mixq::source_calibration(*converted), mixq::native_plan(*converted), {.max_batch = 64});
  mixq::export_onnx(after, *out_path);

  json out = {{"model", model_path},
              {"output", *out_path},
              {"preset", std::string(mixq::to_string(*preset))},
              {"weight_bits", opt.weight_bits},
              {"weight_correction", opt.weight_correction},
              {"folding", opt.folding},
              {"means", means_from},
              {"seconds", seconds}};
  if (float_net) out["from_float"] = *a.value("--from-float");
  if (train) {
    p.status("output error of each layer");
    output_sqnr(source, after, *train, r.report);
  }
  json layers = json::array();
  for (const auto& l : r.report.layers) {
    layers.push_back({{"name", l.name},
                      {"op", std::string(l.op)},
                      {"weights", {{"from", l.weights_from}, {"to", l.weights_to}, {"exact", l.weights_exact},
                                   {"sqnr_db", number_or_null(l.weight_sqnr_db)},
                                   {"max_abs_error", l.weight_max_abs_error}}},
                      {"input", {{"from", l.input_from}, {"to", l.input_to}}},
                      {"max_bias_shift", l.max_bias_shift},
                      {"output_sqnr_db", l.output_sqnr_db ? number_or_null(*l.output_sqnr_db) : json(nullptr)}});
  }
  out["layers"] = layers;
  json values = json::array();
  for (const auto& v : r.report.values) {
    values.push_back({{"name", v.name}, {"from", params_json(v.from)}, {"to", params_json(v.to)}, {"exact", v.exact}});
  }
  out["values"] = values;
  out["source_runs"] = symmetric ? "native" : "fp32 (asymmetric weights: the integer kernels cannot run the source)";
  if (data_dir) {
    const mixq::io::dataset test = load_data(*data_dir, mixq::io::split::test, a.count("--limit").value_or(0), *net);
    if (test.labels.size() != test.size()) throw input_error(fmt::format("{}: the test images have no labels", *data_dir));
    const double before = accuracy(source, test, p, "before");
    const double after_acc = accuracy(after, test, p, "after");
    out["accuracy"] = {{"before", before}, {"after", after_acc}, {"images", test.size()}};
  }
  p.done();
  fmt::print("{}\n", render(out));
  return 0;
}

}  // namespace mixq_tool
