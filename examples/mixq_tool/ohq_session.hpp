#pragma once
// What `mixq profile`, `mixq sensitivity` and `mixq ohq` share: a network
// ready to run at any plan (calibrated), a sample to time it on, the
// measurements, and their JSON.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <mixq/alloc/alloc.hpp>
#include <mixq/profile/latency.hpp>
#include <mixq/sensitivity/mqe.hpp>

#include "network_session.hpp"

namespace mixq_tool {

/// A sensitivity metric of the library, or the weight-only error.
struct sensitivity_choice {
  bool weight_only = false;
  mixq::sensitivity_metric metric = mixq::sensitivity_metric::kl;
  std::string name = "kl";
};

std::vector<mixq::precision> parse_options(const std::optional<std::string>& list);
sensitivity_choice parse_metric(const std::optional<std::string>& name);
mixq::precision parse_reference(const std::optional<std::string>& name);

class ohq_session {
public:
  /// Reads MODEL.onnx (the one positional argument), --data, --calibration,
  /// --threads; calibrates a float model (on --data's training images, or
  /// on synthetic inputs when there is no data and none is needed).
  ohq_session(const arguments_of& a, const progress& p, bool need_data);

  const std::string& model_path() const noexcept { return model_path_; }
  const mixq::network& net() const noexcept { return *net_; }
  const std::shared_ptr<const mixq::network>& network_ptr() const noexcept { return net_; }
  mixq::model& model() noexcept { return *model_; }
  const mixq::model& model() const noexcept { return *model_; }
  const mixq::activation_calibration& calibration() const noexcept { return calibration_; }
  const std::optional<std::string>& data() const noexcept { return data_; }
  const progress& progress_lines() const noexcept { return progress_; }
  /// The precision every layer has when nothing else is said: native for a quantized model, w8a8 otherwise.
  const mixq::precision_plan& base_plan() const noexcept { return base_plan_; }
  std::vector<mixq::precision> base_precisions() const;
  /// One sample to time the network on.
  std::span<const float> sample() const noexcept { return sample_; }
  std::size_t threads() const noexcept { return threads_; }

  mixq::latency_table profile(const std::vector<mixq::precision>& options);
  /// Sensitivities on `samples` training images after the calibration ones (or synthetic inputs without data).
  mixq::sensitivity_table sensitivity(const std::vector<mixq::precision>& options, const sensitivity_choice& metric,
                                      std::size_t samples, mixq::precision reference);

private:
  std::vector<float> synthetic_inputs(std::size_t n) const;

  std::string model_path_;
  std::shared_ptr<const mixq::network> net_;
  std::optional<std::string> data_;
  std::size_t calibration_images_ = 1024;
  std::size_t threads_ = 1;
  progress progress_;
  mixq::activation_calibration calibration_;
  mixq::precision_plan base_plan_;
  std::unique_ptr<mixq::model> model_;
  std::vector<float> sample_;
};

/// The allocation problem shape of a latency table, a sensitivity table, or both (then their options in common).
json problem_json(const ohq_session& s, const mixq::latency_table* latency, const mixq::sensitivity_table* sensitivity);

/// `n` random plans over the table's precisions, measured end to end against the table's prediction.
json check_json(ohq_session& s, const mixq::latency_table& t, std::size_t n);

/// The sensitivity proxy against reality: `n` random mixed plans over the
/// table's options, each plan's summed sensitivity under every metric (the
/// data table's four, and the weight-only table's when given) against its
/// measured accuracy drop on the first `images` test images; Spearman's rank
/// correlation per metric.
json rank_check_json(ohq_session& s, const mixq::sensitivity_table& data, const mixq::sensitivity_table* weight,
                     std::size_t n, std::size_t images);

/// The CPU's model name, from /proc/cpuinfo where there is one.
std::string cpu_name();

}  // namespace mixq_tool
