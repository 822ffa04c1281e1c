#pragma once
// The stages of `mixq ohq` after its arguments: the tables, the budgets, the
// solve, the measurements of the plans, the sweep against the BOPs and size
// proxies, and the files of --out (report.md, plot.svg, ...).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <mixq/alloc/alloc.hpp>
#include <mixq/profile/latency.hpp>
#include <mixq/sensitivity/mqe.hpp>

#include "ohq_session.hpp"

namespace mixq_tool {

/// One plan as measured on this machine.
struct measured_plan {
  std::string label;
  std::vector<mixq::precision> precisions;  ///< empty for fp32
  double accuracy = 0;
  std::size_t images = 0;
  latency_stats latency;
  double predicted_us = 0;  ///< by the latency table (0 when it cannot say)
  double size_bytes = 0;
  double bops = 0;
};

class ohq_run {
public:
  ohq_run(ohq_session& s, const mixq::io::dataset& test, std::optional<std::string> out)
      : s_(s), test_(test), out_(std::move(out)) {}

  void measure_tables(const std::vector<mixq::precision>& options, const sensitivity_choice& metric,
                      std::size_t samples, mixq::precision reference);
  /// A budget on cost `cost` (latency_us, size_bytes, bops): `value` times the all-INT8 network's, or absolute.
  void add_budget(const std::string& cost, double value, bool relative, const std::string& text);
  void solve_and_evaluate();
  /// Plans over `count` latency budgets from the least reachable to the all-INT8 latency, for OHQ and the
  /// BOPs and size proxies, each measured on the first `images` test images.
  void sweep(std::size_t count, std::size_t images);
  void write_files(const std::string& folder) const;
  json result_json() const;

private:
  struct budget {
    std::size_t cost;
    double total;  ///< of the whole network (fixed part included)
    std::string text;
    double factor = 0;  ///< the multiple of the all-INT8 network's, when given so
  };

  measured_plan measure(const std::string& label, const std::vector<mixq::precision>& plan, std::size_t images,
                        bool fp32 = false);
  /// The plan of least sensitivity within budgets on the layers' totals (one per cost), or nullopt.
  mixq::alloc::plan solve_with(const std::vector<double>& layer_budgets) const;
  std::vector<double> totals_of(const std::vector<mixq::precision>& plan) const;
  json measured_json(const measured_plan& m) const;

  ohq_session& s_;
  const mixq::io::dataset& test_;
  std::optional<std::string> out_;
  mixq::latency_table latency_;
  mixq::sensitivity_table sensitivity_;
  std::string metric_name_;
  mixq::alloc::problem problem_;
  std::vector<budget> budgets_;
  std::vector<double> int8_totals_;  ///< of the layers, per cost
  double fixed_us_ = 0;

  measured_plan fp32_, int8_, ohq_;
  // The sweep's references, on its images.
  std::optional<measured_plan> sweep_fp32_, sweep_int8_, sweep_w4a8_;
  std::size_t sweep_images_ = 0;
  mixq::alloc::plan plan_;
  double profile_seconds_ = 0, sensitivity_seconds_ = 0, evaluate_seconds_ = 0;
  struct sweep_point {
    double factor;
    std::optional<measured_plan> ohq, bops, size;
  };
  std::vector<sweep_point> sweep_;
};

/// report.md and plot.svg of a result_json().
std::string ohq_markdown(const json& result);
std::string ohq_svg(const json& result);

}  // namespace mixq_tool
