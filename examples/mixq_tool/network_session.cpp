// What the network commands share (network_session.hpp).
#include "network_session.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include <mixq/model/zoo.hpp>

namespace mixq_tool {

// ---- arguments

arguments_of::arguments_of(std::span<const std::string_view> args, std::initializer_list<std::string_view> with_value,
                           std::initializer_list<std::string_view> switches) {
  auto in = [](std::initializer_list<std::string_view> set, std::string_view s) {
    return std::find(set.begin(), set.end(), s) != set.end();
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a.size() > 1 && a[0] == '-' && a != "-") {
      if (in(with_value, a)) {
        if (i + 1 >= args.size()) throw input_error(fmt::format("{} needs a value (try --help)", a));
        values_[std::string(a)].emplace_back(args[++i]);
      } else if (in(switches, a)) {
        switches_.emplace(a);
      } else {
        throw input_error(fmt::format("unknown option '{}' (try --help)", a));
      }
    } else {
      positional_.emplace_back(a);
    }
  }
}

std::optional<std::string> arguments_of::value(std::string_view option) const {
  const auto it = values_.find(std::string(option));
  if (it == values_.end()) return std::nullopt;
  if (it->second.size() > 1) {
    throw input_error(fmt::format("{} is given {} times; expected once", option, it->second.size()));
  }
  return it->second.front();
}

std::vector<std::string> arguments_of::values(std::string_view option) const {
  const auto it = values_.find(std::string(option));
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::optional<std::size_t> arguments_of::count(std::string_view option, bool zero_ok) const {
  const auto v = value(option);
  if (!v) return std::nullopt;
  std::size_t used = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(*v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v->size() || v->empty() || (*v)[0] == '-' || (!zero_ok && n == 0)) {
    throw input_error(fmt::format("{} is '{}'; expected a whole number {}", option, *v, zero_ok ? ">= 0" : ">= 1"));
  }
  return static_cast<std::size_t>(n);
}

// ---- progress

bool progress::wanted(const arguments_of& a) { return a.has("--progress") || isatty(STDERR_FILENO); }

void progress::line(std::string_view text) const {
  if (enabled_) fmt::print(stderr, "{}\n", text);
}
void progress::status(std::string_view text) const {
  if (!enabled_) return;
  if (isatty(STDERR_FILENO)) {
    fmt::print(stderr, "\r{}\x1b[K", text);
  } else {
    fmt::print(stderr, "{}\n", text);
  }
}
void progress::done() const {
  if (enabled_ && isatty(STDERR_FILENO)) fmt::print(stderr, "\n");
}

// ---- model and data

std::shared_ptr<const mixq::network> load_network(const std::string& path) {
  try {
    // zoo:NAME[:IMAGE] -- a reference architecture with random weights (latency work needs no trained one).
    if (path.rfind("zoo:", 0) == 0) {
      const std::string spec = path.substr(4);
      const auto colon = spec.find(':');
      mixq::zoo::zoo_options o;
      if (colon != std::string::npos) {
        const std::string size = spec.substr(colon + 1);
        if (size.empty() || size.size() > 4 || size.find_first_not_of("0123456789") != std::string::npos) {
          throw input_error(fmt::format("{}: the image size is '{}'; expected a number such as 224", path, size));
        }
        o.image = std::stoul(size);
      }
      return std::make_shared<const mixq::network>(mixq::zoo::by_name(spec.substr(0, colon), o));
    }
    return std::make_shared<const mixq::network>(mixq::import_onnx(path));
  } catch (const mixq::error& e) {
    throw input_error(e.what());
  }
}

mixq::io::dataset load_data(const std::string& folder, mixq::io::split split, std::size_t limit,
                            const mixq::network& net) {
  mixq::io::dataset d;
  try {
    d = mixq::io::load_dataset(folder, split, limit);
  } catch (const mixq::error& e) {
    throw input_error(e.what());
  }
  const mixq::tensor_shape& in = net.input_shape();
  const std::size_t c = d.shape[1], h = d.shape[2], w = d.shape[3];
  const bool fits = in.image ? (c == in.channels && h == in.height && w == in.width) : c * h * w == in.channels;
  if (!fits) {
    throw input_error(fmt::format("{}: the {} images are {} x {} x {} (C x H x W), but the model's input is {}; "
                                  "expected images of the model's input shape",
                                  folder, mixq::io::to_string(split), c, h, w,
                                  in.image ? fmt::format("{} x {} x {}", in.channels, in.height, in.width)
                                           : fmt::format("a vector of {}", in.channels)));
  }
  if (d.size() == 0) throw input_error(fmt::format("{}: the {} split has no images", folder, mixq::io::to_string(split)));
  return d;
}

// ---- plans

mixq::precision_plan resolve_plan(const mixq::network& net, const std::optional<std::string>& precision,
                                  const std::optional<std::string>& plan_file) {
  mixq::precision_plan plan;
  if (precision && *precision != "native") {
    const auto p = mixq::parse_precision(*precision);
    if (!p || !(mixq::is_float(*p) || mixq::has_kernel(*p))) {
      throw input_error(fmt::format("--precision is '{}'; expected fp32, native or wWaA with W and A in 8, 4, 2 "
                                    "(e.g. w8a8, w4a8, w2a2)",
                                    *precision));
    }
    plan.all = *p;
  } else if (net.is_quantized() || precision) {
    plan = mixq::native_plan(net);
  }
  if (!plan_file) return plan;
  std::ifstream in(*plan_file, std::ios::binary);
  if (!in) throw input_error(fmt::format("{}: cannot open the file", *plan_file));
  std::ostringstream text;
  text << in.rdbuf();
  add_plan_choices(net, text.str(), *plan_file, plan);
  return plan;
}

std::string plan_label(const mixq::network& net, const mixq::precision_plan& plan,
                       const std::optional<std::string>& precision, const std::optional<std::string>& plan_file) {
  if (plan_file) return "plan";
  if (precision && *precision != "native") return *precision;
  if (!net.is_quantized()) return mixq::to_string(plan.all);
  // A quantized model's own plan: one precision if all layers share it.
  std::optional<mixq::precision> common;
  for (const auto& [name, p] : plan.layers) {
    if (!common) common = p;
    if (!(*common == p)) return "native";
  }
  return common ? mixq::to_string(*common) : std::string("native");
}

json plan_choices(const mixq::network& net, const mixq::precision_plan& plan) {
  json out = json::array();
  for (const std::size_t i : net.weighted_layers()) {
    const auto p = plan.of(net.layers()[i].name);
    out.push_back({{"layer", net.layers()[i].name}, {"w_bits", p.w_bits}, {"a_bits", p.a_bits}});
  }
  return out;
}

mixq::activation_observer observer_of(const std::optional<std::string>& name) {
  using mixq::activation_observer;
  if (!name) return activation_observer::minmax;
  for (const auto o : {activation_observer::minmax, activation_observer::histogram, activation_observer::percentile,
                       activation_observer::mse, activation_observer::entropy}) {
    if (*name == mixq::to_string(o)) return o;
  }
  throw input_error(fmt::format("--observer is '{}'; expected minmax, histogram, percentile, mse or entropy", *name));
}

std::string_view requantize_rule_name(mixq::requantize_rule rule) {
  return rule == mixq::requantize_rule::float32 ? "float32" : "tflite";
}

mixq::requantize_rule requantize_rule_of(const std::optional<std::string>& name) {
  if (!name) return mixq::requantize_rule::tflite;
  for (const auto rule : {mixq::requantize_rule::tflite, mixq::requantize_rule::float32}) {
    if (*name == requantize_rule_name(rule)) return rule;
  }
  throw input_error(fmt::format("--requantize is '{}'; expected tflite or float32", *name));
}

bool needs_calibration(const mixq::network& net, const mixq::precision_plan& plan) {
  for (const std::size_t i : net.weighted_layers()) {
    if (!mixq::is_float(plan.of(net.layers()[i].name))) return true;
  }
  return false;
}

mixq::activation_calibration calibration_for(const std::shared_ptr<const mixq::network>& net,
                                             const mixq::precision_plan& plan, const std::optional<std::string>& data,
                                             std::size_t calibration_images, mixq::activation_observer observer,
                                             const progress& p) {
  if (!needs_calibration(*net, plan)) return {};
  mixq::activation_calibration cal = mixq::source_calibration(*net);
  // A quantized model carries its parameters; calibration fills only what it leaves out.
  bool complete = net->is_quantized();
  for (mixq::value_id v = 0; complete && v < net->values().size(); ++v) {
    if (!net->value(v).source) {
      const auto& producer = net->layers()[net->producer(v)];
      const auto* pool = std::get_if<mixq::pool_op>(&producer.op);
      complete = std::holds_alternative<mixq::flatten_op>(producer.op) || (pool && pool->max) ||
                 std::holds_alternative<mixq::affine_op>(producer.op);
    }
  }
  if (complete) return cal;
  if (!data) {
    throw input_error(fmt::format("integer precisions of {} model need calibration images: give --data DIR (or "
                                  "--precision fp32)",
                                  net->is_quantized() ? "this partly quantized" : "a float"));
  }
  const mixq::io::dataset d = load_data(*data, mixq::io::split::train, calibration_images, *net);
  p.line(fmt::format("calibrating on {} training images ({})", d.size(), mixq::to_string(observer)));
  mixq::activation_calibration measured;
  try {
    measured = mixq::calibrate(net, d.images, d.size(), {.observer = observer});
  } catch (const mixq::error& e) {
    throw input_error(fmt::format("{}: calibration failed: {}", *data, e.what()));
  }
  cal.merge_missing(measured);
  return cal;
}

// ---- running

mixq::value_means requant_means(mixq::model& source, const mixq::io::dataset& data) {
  return mixq::requant_means(source, data.images, data.size());
}

void output_sqnr(mixq::model& source, mixq::model& converted, const mixq::io::dataset& data,
                 mixq::network_requant_report& report) {
  mixq::measure_output_sqnr(source, converted, data.images, data.size(), report);
}

std::vector<std::size_t> predict(mixq::model& m, const mixq::io::dataset& data, const progress& p,
                                 std::string_view what) {
  const std::size_t n = data.size(), in = m.input_elements(), out = m.output_elements();
  std::vector<std::size_t> classes(n);
  constexpr std::size_t chunk = 512;
  std::vector<float> logits(chunk * out);
  for (std::size_t first = 0; first < n; first += chunk) {
    const std::size_t count = std::min(chunk, n - first);
    m.run(std::span<const float>(data.images).subspan(first * in, count * in), count,
          std::span<float>(logits).first(count * out));
    for (std::size_t i = 0; i < count; ++i) {
      const float* row = logits.data() + i * out;
      classes[first + i] = static_cast<std::size_t>(std::max_element(row, row + out) - row);
    }
    p.status(fmt::format("{}: {}/{} images", what, first + count, n));
  }
  p.done();
  return classes;
}

latency_stats measure_latency(mixq::model& m, std::span<const float> samples, std::size_t count,
                              std::size_t repetitions) {
  const std::size_t in = m.input_elements();
  std::vector<float> out(m.output_elements());
  std::vector<double> times;
  const std::size_t warmup = std::min<std::size_t>(20, repetitions);
  for (std::size_t r = 0; r < warmup + repetitions; ++r) {
    const auto x = samples.subspan((r % count) * in, in);
    const auto start = std::chrono::steady_clock::now();
    m.run(x, 1, out);
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    if (r >= warmup) times.push_back(us);
  }
  std::sort(times.begin(), times.end());
  auto at = [&](double q) { return times[static_cast<std::size_t>(q * static_cast<double>(times.size() - 1) + 0.5)]; };
  return {at(0.5), at(0.1), at(0.9), times.size()};
}

json latency_json(const latency_stats& s) {
  auto round = [](double v) { return std::round(v * 100.0) / 100.0; };
  return {{"median", round(s.median)}, {"p10", round(s.p10)}, {"p90", round(s.p90)}, {"runs", s.runs}};
}

std::string_view kernel_arch() { return mixq::default_arch::name(); }

}  // namespace mixq_tool
