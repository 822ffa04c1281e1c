#pragma once
// What the tool's network commands (eval, run, profile, sensitivity, ohq,
// requant) share: their arguments, loading a model and data, the precision
// plan, calibration, accuracy and latency, progress on stderr.

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <mixq/io/dataset.hpp>
#include <mixq/io/onnx.hpp>
#include <mixq/model/calibrate.hpp>
#include <mixq/model/model.hpp>
#include <mixq/requant/network.hpp>

#include "commands.hpp"
#include "json_input.hpp"
#include "plan_input.hpp"

namespace mixq_tool {

/// Options and positional arguments as given.
class arguments_of {
public:
  /// `with_value`: options taking a value (repeatable); `switches`: options without.
  arguments_of(std::span<const std::string_view> args, std::initializer_list<std::string_view> with_value,
               std::initializer_list<std::string_view> switches);

  const std::vector<std::string>& positional() const noexcept { return positional_; }
  bool has(std::string_view option) const { return switches_.count(std::string(option)) || values_.count(std::string(option)); }
  std::optional<std::string> value(std::string_view option) const;
  std::vector<std::string> values(std::string_view option) const;

  /// A count >= 1 (or >= 0 when zero_ok).
  std::optional<std::size_t> count(std::string_view option, bool zero_ok = false) const;

private:
  std::vector<std::string> positional_;
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> switches_;
};

/// Progress lines on stderr: shown when stderr is a terminal, or with --progress.
class progress {
public:
  explicit progress(bool enabled) : enabled_(enabled) {}
  static bool wanted(const arguments_of& a);
  bool enabled() const noexcept { return enabled_; }
  void line(std::string_view text) const;     ///< a line of its own
  void status(std::string_view text) const;   ///< overwritten by the next status (on a terminal)
  void done() const;

private:
  bool enabled_;
};

/// The model file, imported; input errors (a bad file) become input_error.
std::shared_ptr<const mixq::network> load_network(const std::string& path);

/// A split of --data DIR, the first `limit` images (0: all); checked against the network's input.
mixq::io::dataset load_data(const std::string& folder, mixq::io::split split, std::size_t limit,
                            const mixq::network& net);

/// The plan of --precision P and --plan FILE: P for every layer (default: the
/// model's own quantization for a QDQ model, w8a8 for a float one), then the
/// plan file's layers.
mixq::precision_plan resolve_plan(const mixq::network& net, const std::optional<std::string>& precision,
                                  const std::optional<std::string>& plan_file);

/// "fp32", "w8a8", ..., or "native" / "plan" for mixed plans, for reports.
std::string plan_label(const mixq::network& net, const mixq::precision_plan& plan,
                       const std::optional<std::string>& precision, const std::optional<std::string>& plan_file);

/// A plan as the `allocate` output's "choices" array.
json plan_choices(const mixq::network& net, const mixq::precision_plan& plan);

/// --observer NAME.
mixq::activation_observer observer_of(const std::optional<std::string>& name);

/// --requantize RULE (tflite by default), and the name that selects a rule.
mixq::requantize_rule requantize_rule_of(const std::optional<std::string>& name);
std::string_view requantize_rule_name(mixq::requantize_rule rule);

/// Activation parameters for `plan`: the source model's, then calibration on
/// `calibration_images` of the data's train split where still needed.
mixq::activation_calibration calibration_for(const std::shared_ptr<const mixq::network>& net,
                                             const mixq::precision_plan& plan, const std::optional<std::string>& data,
                                             std::size_t calibration_images, mixq::activation_observer observer,
                                             const progress& p);

/// Whether `plan` needs activation parameters (some layer is integer).
bool needs_calibration(const mixq::network& net, const mixq::precision_plan& plan);

/// Class predictions of the network under a plan for every image.
std::vector<std::size_t> predict(mixq::model& m, const mixq::io::dataset& data, const progress& p,
                                 std::string_view what);

/// requant's measurements, kept here with the other runs of a network (each
/// file that runs one compiles the whole executor): the means of each
/// weighted layer's input, and each weighted layer's output SQNR of
/// `converted` against `source`, on the images of `data`.
mixq::value_means requant_means(mixq::model& source, const mixq::io::dataset& data);
void output_sqnr(mixq::model& source, mixq::model& converted, const mixq::io::dataset& data,
                 mixq::network_requant_report& report);

/// Median and spread of one image's latency (single pass of one sample), in microseconds.
struct latency_stats {
  double median = 0, p10 = 0, p90 = 0;
  std::size_t runs = 0;
};
latency_stats measure_latency(mixq::model& m, std::span<const float> samples, std::size_t count,
                              std::size_t repetitions = 200);
json latency_json(const latency_stats& s);

/// The architecture the kernels of this build use.
std::string_view kernel_arch();

}  // namespace mixq_tool
