// report.md and plot.svg of `mixq ohq --out DIR`, from its JSON report.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ohq_report.hpp"

namespace mixq_tool {
namespace {

struct point {
  double latency, accuracy;
};

std::string row(const std::string& name, const json& m, double int8_latency) {
  const double us = m["latency_us"]["median"].get<double>();
  return fmt::format("| {} | {:.2f} % | {:.1f} us | {:.2f}x | {:.0f} |\n", name, 100.0 * m["accuracy"].get<double>(), us,
                     int8_latency / us, m["size_bytes"].get<double>());
}

}  // namespace

std::string ohq_markdown(const json& r) {
  std::string md = fmt::format("# OHQ report: {}\n\nCPU: {} (kernels: {}); one image, one thread, pinned; accuracy on "
                               "{} test images. Sensitivity metric: {}.\n\n",
                               r["model"].get<std::string>(), r["cpu"].get<std::string>(),
                               r["kernels"].get<std::string>(), r["images"].get<std::size_t>(),
                               r["metric"].get<std::string>());
  md += "Budgets:";
  for (const auto& b : r["budgets"]) md += fmt::format(" {} ({} <= {:.6g});", b["budget"].get<std::string>(),
                                                      b["cost"].get<std::string>(), b["total"].get<double>());
  md += "\n\n| network | accuracy | latency (median) | speed-up vs INT8 | size (bytes) |\n|---|---|---|---|---|\n";
  const double int8_us = r["int8"]["latency_us"]["median"].get<double>();
  md += row("FP32", r["fp32"], int8_us);
  md += row("all INT8 (w8a8)", r["int8"], int8_us);
  md += row("OHQ plan", r, int8_us);
  if (r.contains("sweep")) {
    md += row(fmt::format("all w4a8 ({} images)", r["sweep"]["images"].get<std::size_t>()), r["sweep"]["w4a8"], int8_us);
  }
  md += fmt::format("\nPredicted OHQ latency {:.1f} us, measured {:.1f} us (10th-90th percentile {:.1f}-{:.1f}); budgets "
                    "met as measured: {}.\n",
                    r["predicted_latency_us"].get<double>(), r["latency_us"]["median"].get<double>(),
                    r["latency_us"]["p10"].get<double>(), r["latency_us"]["p90"].get<double>(),
                    r["meets_budgets"].get<bool>() ? "yes" : "no");
  md += "\n## The plan\n\n| layer | weights | activations |\n|---|---|---|\n";
  for (const auto& c : r["plan"]["choices"]) {
    md += fmt::format("| {} | {} bits | {} bits |\n", c["layer"].get<std::string>(), c["w_bits"].get<int>(),
                      c["a_bits"].get<int>());
  }
  if (r.contains("sweep")) {
    md += fmt::format("\n## Sweep: OHQ against the BOPs and size proxies at the same budgets\n\n"
                      "Each proxy solves the same problem with its own cost (BOPs, or bytes) budgeted in place of the "
                      "measured latency; every plan is then measured here, accuracy on {} test images.\n\n"
                      "| budget (x INT8) | method | accuracy | measured latency | predicted | plan |\n"
                      "|---|---|---|---|---|---|\n",
                      r["sweep"]["images"].get<std::size_t>());
    for (const auto& p : r["sweep"]["points"]) {
      md += fmt::format("| {:.2f} | {} | {:.2f} % | {:.1f} us | {:.1f} us | {} |\n", p["budget_times_int8"].get<double>(),
                        p["method"].get<std::string>(), 100.0 * p["accuracy"].get<double>(),
                        p["latency_us"]["median"].get<double>(), p.value("predicted_latency_us", 0.0),
                        p.value("precisions", std::string()));
    }
  }
  const auto& t = r["timings_s"];
  md += fmt::format("\nTimings: profile {:.1f} s, sensitivity {:.1f} s, solve {:.2f} ms, evaluation {:.1f} s.\n",
                    t["profile"].get<double>(), t["sensitivity"].get<double>(), 1e3 * t["solve"].get<double>(),
                    t["evaluate"].get<double>());
  return md;
}

std::string ohq_svg(const json& r) {
  // Accuracy against measured latency: one series per method, FP32 / INT8 / w4a8 as single points.
  struct series {
    std::string name, color;
    std::vector<point> points;
    bool line;
  };
  std::vector<series> all = {{"OHQ (latency budgets)", "#d62728", {}, true},
                             {"BOPs proxy", "#1f77b4", {}, true},
                             {"size proxy", "#2ca02c", {}, true},
                             {"FP32", "#7f7f7f", {}, false},
                             {"all INT8", "#000000", {}, false},
                             {"all w4a8", "#9467bd", {}, false}};
  auto pt = [](const json& m) { return point{m["latency_us"]["median"].get<double>(), 100.0 * m["accuracy"].get<double>()}; };
  // The sweep's own measurements (one image set), or the main ones without a sweep.
  const json& ref = r.contains("sweep") ? r["sweep"] : r;
  if (r.contains("sweep")) {
    for (const auto& p : r["sweep"]["points"]) {
      const std::string m = p["method"].get<std::string>();
      (m == "ohq" ? all[0] : m == "bops_proxy" ? all[1] : all[2]).points.push_back(pt(p));
    }
    all[5].points.push_back(pt(ref["w4a8"]));
  } else {
    all[0].points.push_back(pt(r));
  }
  all[3].points.push_back(pt(ref["fp32"]));
  all[4].points.push_back(pt(ref["int8"]));
  for (auto& s : all) {
    std::sort(s.points.begin(), s.points.end(), [](point a, point b) { return a.latency < b.latency; });
  }
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto& s : all) {
    for (const auto& p : s.points) {
      x0 = std::min(x0, p.latency), x1 = std::max(x1, p.latency);
      y0 = std::min(y0, p.accuracy), y1 = std::max(y1, p.accuracy);
    }
  }
  const double dx = std::max(x1 - x0, 1e-9), dy = std::max(y1 - y0, 0.1);
  x0 -= 0.05 * dx, x1 += 0.05 * dx, y0 -= 0.05 * dy, y1 += 0.05 * dy;
  const double W = 720, H = 460, L = 70, R = 200, T = 40, B = 50;
  auto X = [&](double v) { return L + (v - x0) / (x1 - x0) * (W - L - R); };
  auto Y = [&](double v) { return H - B - (v - y0) / (y1 - y0) * (H - T - B); };
  std::string svg = fmt::format(R"svg(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="22" font-size="14">{}: accuracy against latency measured on {}</text>
<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="black"/><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="black"/>
<text x="{}" y="{}" text-anchor="middle">latency of one image (us, median, measured)</text>
<text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle">test accuracy (%)</text>
)svg",
                                W, H, L, r["model"].get<std::string>(), r["cpu"].get<std::string>(), L, H - B, W - R, H - B,
                                L, T, L, H - B, (L + W - R) / 2, H - 12, (T + H - B) / 2, (T + H - B) / 2);
  for (int k = 0; k <= 4; ++k) {
    const double xv = x0 + (x1 - x0) * k / 4, yv = y0 + (y1 - y0) * k / 4;
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.0f}</text>\n", X(xv), H - B + 16, xv);
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.2f}</text>\n", L - 6, Y(yv) + 4, yv);
  }
  double legend_y = T + 10;
  for (const auto& s : all) {
    if (s.points.empty()) continue;
    if (s.line && s.points.size() > 1) {
      std::string path;
      for (const auto& p : s.points) path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "" : " ", X(p.latency), Y(p.accuracy));
      svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>\n", path, s.color);
    }
    for (const auto& p : s.points) {
      svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\"/>\n", X(p.latency), Y(p.accuracy), s.color);
    }
    svg += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>\n", W - R + 15,
                       legend_y, s.color, W - R + 25, legend_y + 4, s.name);
    legend_y += 20;
  }
  return svg + "</svg>\n";
}

}  // namespace mixq_tool
