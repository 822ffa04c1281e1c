// mixq profile MODEL.onnx [--options w8a8,w4a8,...] [--data DIR] [--check N]
// mixq sensitivity MODEL.onnx --data DIR [--metric kl|mse|sqnr|flips] [--samples N]
//
// The two halves of an allocation table, measured on this device: each
// layer's latency at each precision (with size and BOPs), and each layer's
// sensitivity at each precision. Both print the `allocate` problem shape.
#include <random>

#include <fmt/format.h>

#include <mixq/profile/latency.hpp>
#include <mixq/sensitivity/mqe.hpp>

#include "commands.hpp"
#include "network_session.hpp"
#include "ohq_session.hpp"

namespace mixq_tool {
namespace {

constexpr std::string_view profile_help = R"(usage: mixq profile MODEL.onnx [options]

Measures, on this machine with the deployed kernels, each layer's latency at
each candidate precision: the network runs one sample at a time with every
layer at one precision -- the precisions in turn, a few runs each, for at
least a second -- each layer's steps timed where they run, until the medians
settle. Prints an allocation problem without sensitivities (docs/ohq.md):
layers[].options[].{w_bits, a_bits, costs.{latency_us, size_bytes, bops}},
with "fixed" holding what no plan changes.

MODEL.onnx may also be zoo:resnet18 or zoo:mobilenet_v2, optionally with an
image size (zoo:mobilenet_v2:160): the reference architecture with random
weights, 224 x 224 x 3 by default (latency does not depend on weights).

  --options LIST     precisions to measure (default w8a8,w4a8,w2a8,w4a4,w2a2)
  --data DIR         calibration images for a float model (default: activation
                     ranges from synthetic inputs; latency does not depend on them)
  --check N          also measure N random mixed plans end to end against the
                     table's prediction, each interleaved with all-INT8 (the
                     error of the plan's latency and of its ratio to INT8)
  --threads T        worker threads (default 1)
  --progress         progress on stderr even when it is not a terminal
)";

constexpr std::string_view sensitivity_help = R"(usage: mixq sensitivity MODEL.onnx (--data DIR | --data-free) [options]

Estimates each layer's accuracy impact at each precision with forward passes
only: the network with that one layer at that precision on the deployed
integer kernels, the rest at the reference, against the network all at the
reference, on N training images. Prints layers[].options[].sensitivity in
the allocation problem's shape.

  --metric M         kl (default), mse, sqnr, flips, or weight (the weight-only
                     error |Q(W) - W|^2, which needs no samples)
  --samples N        training images to run (default 256)
  --reference R      fp32 (default) or w8a8: what the other layers run at
  --options LIST     precisions (default w8a8,w4a8,w2a8,w4a4,w2a2)
  --data-free        synthetic inputs matched to the input's range instead of data
  --calibration N    images that calibrate a float model (default 1024)
  --check N          also check the proxy against reality: N random mixed plans,
                     each one's summed sensitivity under every metric against its
                     accuracy drop measured on the test images of --data;
                     Spearman's rank correlation per metric
  --check-images N   test images for each plan of --check (default 2000)
  --progress         progress on stderr even when it is not a terminal
)";

}  // namespace

int profile(std::span<const std::string_view> args) {
  for (const auto a : args) {
    if (a == "--help" || a == "-h") {
      fmt::print("{}", profile_help);
      return 0;
    }
  }
  const arguments_of a(args, {"--options", "--data", "--check", "--threads", "--calibration"}, {"--progress"});
  const progress p(progress::wanted(a));
  ohq_session s(a, p, /*need_data=*/false);
  const auto options = parse_options(a.value("--options"));
  mixq::latency_table t = s.profile(options);
  json out = problem_json(s, &t, nullptr);
  if (const auto checks = a.count("--check", true); checks && *checks > 0) {
    out["check"] = check_json(s, t, *checks);
  }
  fmt::print("{}\n", render(out));
  return 0;
}

int sensitivity(std::span<const std::string_view> args) {
  for (const auto a : args) {
    if (a == "--help" || a == "-h") {
      fmt::print("{}", sensitivity_help);
      return 0;
    }
  }
  const arguments_of a(args,
                       {"--data", "--metric", "--samples", "--reference", "--options", "--calibration", "--check",
                        "--check-images"},
                       {"--data-free", "--progress"});
  const progress p(progress::wanted(a));
  const bool data_free = a.has("--data-free");
  if (!data_free && !a.value("--data")) {
    throw input_error("--data DIR is required (the training images to run), or --data-free for synthetic inputs");
  }
  ohq_session s(a, p, !data_free);
  const auto options = parse_options(a.value("--options"));
  const sensitivity_choice metric = parse_metric(a.value("--metric"));
  const mixq::sensitivity_table t = s.sensitivity(options, metric, a.count("--samples").value_or(256),
                                                  parse_reference(a.value("--reference")));
  json out = problem_json(s, nullptr, &t);
  if (const auto checks = a.count("--check", true); checks && *checks > 0) {
    // Every metric ranks the same plans: the data metrics from one table, the weight-only error from another.
    const mixq::sensitivity_table data =
        metric.weight_only ? s.sensitivity(options, parse_metric("kl"), a.count("--samples").value_or(256),
                                           parse_reference(a.value("--reference")))
                           : t;
    const mixq::sensitivity_table weight =
        metric.weight_only ? t : s.sensitivity(options, parse_metric("weight"), 0, parse_reference(a.value("--reference")));
    out["check"] = rank_check_json(s, data, &weight, *checks, a.count("--check-images").value_or(2000));
  }
  fmt::print("{}\n", render(out));
  return 0;
}

}  // namespace mixq_tool
