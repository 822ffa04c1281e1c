// mixq ohq MODEL.onnx --data DIR --budget latency=R [--budget size=R] [--metric kl] [--out DIR]
//
// OHQ on this device, end to end: each layer's latency at each precision
// measured here, each layer's sensitivity by forward passes, the exact plan
// within the budgets, then the mixed network measured -- accuracy on the
// test images and latency end to end -- against FP32 and all-INT8 measured
// in the same run.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include <mixq/profile/problem.hpp>

#include "commands.hpp"
#include "ohq_report.hpp"
#include "ohq_session.hpp"

namespace mixq_tool {
namespace {

constexpr std::string_view ohq_help = R"(usage: mixq ohq MODEL.onnx --data DIR --budget latency=R [options]

On-chip hardware-aware quantization: measures every layer's latency at every
precision on this machine, estimates every layer's accuracy impact with
forward passes only, solves for the plan of least total sensitivity within
the budgets (exactly, then spends leftover budget on precision), and
measures the mixed network's accuracy on the test images of DIR and its
latency end to end, next to FP32 and all-INT8. Prints a JSON report.

  --budget B         latency=R or size=R: R times the all-INT8 network's measured
                     latency (as the profile measured it; the plan is then
                     checked against all-INT8 measured beside it) or size;
                     latency_us=V, size_bytes=V: absolute; bops=R. Repeat for
                     several budgets (at least one)
  --metric M         sensitivity metric: kl (default), mse, sqnr, flips, weight
  --samples N        training images for the sensitivities (default 256)
  --reference R      fp32 (default) or w8a8: what the other layers run at while
                     one layer's sensitivity is measured
  --options LIST     candidate precisions (default w8a8,w4a8,w2a8,w4a4,w2a2)
  --calibration N    training images that calibrate a float model (default 1024)
  --limit N          the first N test images only
  --out DIR          also write plan.json, table.json, report.json, report.md and
                     plot.svg (accuracy against measured latency for FP32, INT8,
                     w4a8, the OHQ plans over a sweep of latency budgets, and the
                     plans BOPs- and size-proxies pick at the same budgets)
  --sweep N          budgets in that sweep (default 6), each plan measured on
  --sweep-images N   that many test images (default 2000)
  --threads T        worker threads (default 1)
  --progress         progress on stderr even when it is not a terminal

Exit status: 0 done; 2 bad usage, model or data, or budgets no plan can meet
(the message gives the least reachable totals); 1 an internal error.
)";

struct budget_spec {
  std::string cost;  // latency_us, size_bytes or bops
  double value = 0;  // as given
  bool relative = true;
  std::string text;
};

budget_spec parse_budget(const std::string& text) {
  const auto eq = text.find('=');
  const std::string key = eq == std::string::npos ? text : text.substr(0, eq);
  const std::string number = eq == std::string::npos ? "" : text.substr(eq + 1);
  double v = 0;
  std::size_t used = 0;
  try {
    v = std::stod(number, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != number.size() || !(v > 0) || !std::isfinite(v)) {
    throw input_error(fmt::format("--budget '{}': expected latency=R, size=R, bops=R (R > 0, a multiple of the "
                                  "all-INT8 network's) or latency_us=V, size_bytes=V (absolute, > 0)",
                                  text));
  }
  if (key == "latency") return {"latency_us", v, true, text};
  if (key == "size") return {"size_bytes", v, true, text};
  if (key == "bops") return {"bops", v, true, text};
  if (key == "latency_us") return {"latency_us", v, false, text};
  if (key == "size_bytes") return {"size_bytes", v, false, text};
  throw input_error(fmt::format("--budget '{}': unknown budget '{}'; expected latency, size, bops, latency_us or "
                                "size_bytes",
                                text, key));
}

}  // namespace

int ohq(std::span<const std::string_view> args) {
  for (const auto a : args) {
    if (a == "--help" || a == "-h") {
      fmt::print("{}", ohq_help);
      return 0;
    }
  }
  const arguments_of a(args, {"--data", "--budget", "--metric", "--samples", "--reference", "--options", "--calibration",
                              "--limit", "--out", "--sweep", "--sweep-images", "--threads"},
                       {"--progress"});
  const auto budget_texts = a.values("--budget");
  if (budget_texts.empty()) throw input_error("--budget is required, e.g. --budget latency=0.8 (try --help)");
  std::vector<budget_spec> budgets;
  for (const auto& t : budget_texts) budgets.push_back(parse_budget(t));
  const progress p(progress::wanted(a));
  const auto started = std::chrono::steady_clock::now();
  ohq_session s(a, p, true);
  const auto options = parse_options(a.value("--options"));
  const sensitivity_choice metric = parse_metric(a.value("--metric"));
  const mixq::io::dataset test = load_data(*s.data(), mixq::io::split::test, a.count("--limit").value_or(0), s.net());
  if (test.labels.size() != test.size()) throw input_error(fmt::format("{}: the test images have no labels", *s.data()));

  ohq_run run(s, test, a.value("--out"));
  run.measure_tables(options, metric, a.count("--samples").value_or(256), parse_reference(a.value("--reference")));
  for (const auto& b : budgets) run.add_budget(b.cost, b.value, b.relative, b.text);
  run.solve_and_evaluate();
  if (const auto out = a.value("--out")) {
    run.sweep(a.count("--sweep").value_or(6), a.count("--sweep-images").value_or(2000));
    run.write_files(*out);
  }
  json result = run.result_json();
  result["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  fmt::print("{}\n", render(result));
  return 0;
}

}  // namespace mixq_tool
