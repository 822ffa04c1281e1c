// What profile, sensitivity and ohq share (ohq_session.hpp).
#include "ohq_session.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include <mixq/model/detail/layer_weights.hpp>

namespace mixq_tool {

std::vector<mixq::precision> parse_options(const std::optional<std::string>& list) {
  if (!list) return mixq::profile_options{}.precisions;
  std::vector<mixq::precision> out;
  std::stringstream in(*list);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto p = mixq::parse_precision(item);
    if (!p || !mixq::has_kernel(*p)) {
      throw input_error(fmt::format("--options: '{}' is not a precision with a kernel; expected wWaA with W and A in "
                                    "8, 4, 2 (e.g. w8a8,w4a8,w2a2)",
                                    item));
    }
    if (std::find(out.begin(), out.end(), *p) == out.end()) out.push_back(*p);
  }
  if (out.empty()) throw input_error("--options is empty; expected a comma-separated list such as w8a8,w4a8");
  return out;
}

sensitivity_choice parse_metric(const std::optional<std::string>& name) {
  if (!name) return {};
  if (*name == "weight") return {true, mixq::sensitivity_metric::kl, "weight"};
  for (const auto m : {mixq::sensitivity_metric::kl, mixq::sensitivity_metric::mse, mixq::sensitivity_metric::sqnr,
                       mixq::sensitivity_metric::flips}) {
    if (*name == mixq::to_string(m)) return {false, m, *name};
  }
  throw input_error(fmt::format("--metric is '{}'; expected kl, mse, sqnr, flips or weight", *name));
}

mixq::precision parse_reference(const std::optional<std::string>& name) {
  if (!name || *name == "fp32") return mixq::fp32;
  if (*name == "w8a8") return {8, 8};
  throw input_error(fmt::format("--reference is '{}'; expected fp32 or w8a8", *name));
}

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

ohq_session::ohq_session(const arguments_of& a, const progress& p, bool need_data) : progress_(p) {
  if (a.positional().size() != 1) {
    throw input_error(a.positional().empty() ? "no model file given (try --help)"
                                             : fmt::format("one model file expected, got {}", a.positional().size()));
  }
  model_path_ = a.positional()[0];
  net_ = load_network(model_path_);
  data_ = a.value("--data");
  if (need_data && !data_) throw input_error("--data DIR is required: the folder with the training and test images");
  calibration_images_ = a.count("--calibration").value_or(1024);
  threads_ = a.count("--threads").value_or(1);
  base_plan_ = net_->is_quantized() ? mixq::native_plan(*net_) : mixq::precision_plan{.all = {8, 8}};

  // Activation parameters for every width: the model's own, calibration where it has none.
  if (data_) {
    calibration_ = calibration_for(net_, {.all = {8, 8}}, data_, calibration_images_, mixq::activation_observer::minmax, p);
    const auto train = load_data(*data_, mixq::io::split::train, 1, *net_);
    sample_.assign(train.images.begin(), train.images.end());
  } else {
    sample_ = synthetic_inputs(1);
    calibration_ = mixq::source_calibration(*net_);
    if (!net_->is_quantized()) {
      p.line("no --data: activation ranges from 64 synthetic inputs (enough for timing, not for accuracy)");
      const auto x = synthetic_inputs(64);
      calibration_.merge_missing(mixq::calibrate(net_, x, 64));
    }
  }
  model_ = std::make_unique<mixq::model>(net_, calibration_, base_plan_, mixq::model_options{.max_batch = 64, .threads = threads_});
}

std::vector<mixq::precision> ohq_session::base_precisions() const {
  std::vector<mixq::precision> out;
  for (const std::size_t i : net_->weighted_layers()) out.push_back(base_plan_.of(net_->layers()[i].name));
  return out;
}

std::vector<float> ohq_session::synthetic_inputs(std::size_t n) const {
  // Uniform over the input's range: a quantized model's input parameters, else [0, 1] (images as x / 255).
  float lo = 0.0f, hi = 1.0f;
  if (const auto& src = net_->value(net_->input()).source) std::tie(lo, hi) = mixq::represented_range(*src);
  std::mt19937 rng(20261202);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> x(n * net_->input_shape().elements());
  for (auto& v : x) v = d(rng);
  return x;
}

mixq::latency_table ohq_session::profile(const std::vector<mixq::precision>& options) {
  mixq::profile_options o;
  o.precisions = options;
  mixq::model single(net_, calibration_, base_plan_, {.max_batch = 1, .threads = threads_});
  std::vector<float> out(single.output_elements());
  single.run(sample_, 1, out);
  return mixq::profile_latency(single, sample_, o, [&](std::size_t k, std::size_t total) {
    if (k < total) progress_.status(fmt::format("profile: {} precisions in turn, until the medians settle", total));
  });
}

mixq::sensitivity_table ohq_session::sensitivity(const std::vector<mixq::precision>& options,
                                                 const sensitivity_choice& metric, std::size_t samples,
                                                 mixq::precision reference) {
  mixq::sensitivity_table t;
  t.reference = reference;
  if (metric.weight_only) {
    // |Q(W) - W|^2 of each layer at each weight width: no samples, no forward passes.
    t.metric = mixq::sensitivity_metric::mse;
    for (const std::size_t i : net_->weighted_layers()) {
      const mixq::layer& l = net_->layers()[i];
      t.names.push_back(l.name);
      const auto m = mixq::detail::weight_matrix_of(l);
      std::vector<mixq::sensitivity_entry> row;
      for (const auto p : options) {
        const auto q = mixq::detail::quantize_weights(l, p.w_bits, mixq::weight_rounding::minmax);
        double err = 0;
        for (std::size_t k = 0; k < q.codes.size(); ++k) {
          const double d = static_cast<double>((*m.weights)[k]) - static_cast<double>(q.codes[k]) * q.scale[k / q.k];
          err += d * d;
        }
        row.push_back({p, 0, err, 0, 0});
      }
      t.layers.push_back(std::move(row));
    }
    return t;
  }
  std::vector<float> inputs;
  std::size_t n = samples;
  if (data_) {
    // The training images after the calibration ones.
    const std::size_t skip = net_->is_quantized() ? 0 : calibration_images_;
    const auto train = load_data(*data_, mixq::io::split::train, skip + samples, *net_);
    const std::size_t first = std::min(skip, train.size() > samples ? train.size() - samples : 0);
    n = std::min(samples, train.size() - first);
    const std::size_t e = net_->input_shape().elements();
    inputs.assign(train.images.begin() + static_cast<std::ptrdiff_t>(first * e),
                  train.images.begin() + static_cast<std::ptrdiff_t>((first + n) * e));
  } else {
    inputs = synthetic_inputs(n);
  }
  mixq::sensitivity_options o;
  o.metric = metric.metric;
  o.reference = reference;
  o.precisions = options;
  progress_.line(fmt::format("sensitivity: {} layers x {} precisions on {} samples ({}, reference {})",
                             model_->layer_count(), options.size(), n, metric.name, mixq::to_string(reference)));
  auto result = mixq::measure_sensitivity(*model_, inputs, n, o, [&](std::size_t l, std::size_t total) {
    progress_.status(fmt::format("sensitivity: layer {}/{}", l + 1, total));
  });
  progress_.done();
  return result;
}

json problem_json(const ohq_session& s, const mixq::latency_table* latency, const mixq::sensitivity_table* sensitivity) {
  const mixq::network& net = s.net();
  json about = {{"model", s.model_path()}, {"cpu", cpu_name()}, {"kernels", std::string(kernel_arch())}};
  json layers = json::array();
  const std::size_t count = net.weighted_layers().size();
  for (std::size_t l = 0; l < count; ++l) {
    json options = json::array();
    std::vector<mixq::precision> bits;
    if (latency) {
      for (const auto& o : latency->layers[l].options) bits.push_back(o.bits);
    } else {
      for (const auto& e : sensitivity->layers[l]) bits.push_back(e.bits);
    }
    for (const auto p : bits) {
      json o = {{"w_bits", p.w_bits}, {"a_bits", p.a_bits}};
      if (sensitivity) {
        const auto& row = sensitivity->layers[l];
        const auto it = std::find_if(row.begin(), row.end(), [&](const auto& e) { return e.bits == p; });
        if (it == row.end()) continue;
        o["sensitivity"] = it->of(sensitivity->metric);
      }
      if (latency) {
        const auto& opts = latency->layers[l].options;
        const auto it = std::find_if(opts.begin(), opts.end(), [&](const auto& e) { return e.bits == p; });
        o["costs"] = {{"latency_us", it->median_us}, {"size_bytes", it->cost.size_bytes}, {"bops", it->cost.bops}};
        o["spread_us"] = {it->p10_us, it->p90_us};
      } else {
        const mixq::layer_cost c = s.model().cost(l, p);
        o["costs"] = {{"size_bytes", c.size_bytes}, {"bops", c.bops}};
      }
      if (sensitivity && !sensitivity->layers[l].empty()) {
        const auto& row = sensitivity->layers[l];
        const auto it = std::find_if(row.begin(), row.end(), [&](const auto& e) { return e.bits == p; });
        if (sensitivity->samples > 0) {
          o["metrics"] = {{"kl", it->kl}, {"mse", it->mse},
                          {"sqnr_db", it->sqnr > 0 ? -10.0 * std::log10(it->sqnr) : 999.0}, {"flips", it->flips}};
        }
      }
      options.push_back(std::move(o));
    }
    layers.push_back({{"name", std::string(s.model().layer_name(l))}, {"options", std::move(options)}});
  }
  if (latency) {
    json uniform = json::array();
    for (std::size_t k = 0; k < latency->precisions.size(); ++k) {
      uniform.push_back({{"precision", mixq::to_string(latency->precisions[k])},
                         {"end_to_end_us", latency->end_to_end_us[k]},
                         {"other_us", latency->other_us[k]}});
    }
    about["latency"] = {{"runs", latency->runs}, {"seconds", latency->seconds}, {"pinned", latency->pinned},
                        {"uniform_plans", std::move(uniform)}};
  }
  if (sensitivity) {
    about["sensitivity"] = {{"metric", sensitivity->samples ? std::string(mixq::to_string(sensitivity->metric)) : "weight"},
                            {"reference", mixq::to_string(sensitivity->reference)},
                            {"samples", sensitivity->samples},
                            {"seconds", sensitivity->seconds}};
  }
  json out = {{"about", std::move(about)}, {"budgets", json::object()}};
  if (latency) out["fixed"] = {{"latency_us", latency->fixed_us()}, {"size_bytes", 0.0}, {"bops", 0.0}};
  out["layers"] = std::move(layers);
  out["ties"] = json::array();
  return out;
}

json check_json(ohq_session& s, const mixq::latency_table& t, std::size_t n) {
  mixq::model single(s.network_ptr(), s.calibration(), s.base_plan(), {.max_batch = 1, .threads = s.threads()});
  std::mt19937 rng(20261203);
  json plans = json::array();
  double worst = 0, sum = 0, worst_ratio = 0, sum_ratio = 0;
  for (std::size_t k = 0; k < n; ++k) {
    std::vector<mixq::precision> plan;
    std::string text;
    for (const auto& layer : t.layers) {
      const auto& opts = layer.options;
      const auto pick = opts[std::uniform_int_distribution<std::size_t>(0, opts.size() - 1)(rng)].bits;
      plan.push_back(pick);
      text += fmt::format("{}{}", text.empty() ? "" : " ", mixq::to_string(pick));
    }
    s.progress_lines().status(fmt::format("check: plan {}/{}", k + 1, n));
    const auto c = mixq::check_latency(single, t, plan, s.sample());
    worst = std::max(worst, std::fabs(c.relative_error()));
    sum += std::fabs(c.relative_error());
    worst_ratio = std::max(worst_ratio, std::fabs(c.ratio_error()));
    sum_ratio += std::fabs(c.ratio_error());
    plans.push_back({{"plan", text},
                     {"predicted_us", c.predicted_us},
                     {"measured_us", c.measured_us},
                     {"measured_spread_us", {c.p10_us, c.p90_us}},
                     {"relative_error", c.relative_error()},
                     {"int8_predicted_us", c.reference_predicted_us},
                     {"int8_measured_us", c.reference_measured_us},
                     {"ratio_to_int8_error", c.ratio_error()}});
  }
  s.progress_lines().done();
  const double count = n ? static_cast<double>(n) : 1.0;
  return {{"plans", std::move(plans)},
          {"mean_abs_relative_error", sum / count},
          {"max_abs_relative_error", worst},
          {"mean_abs_ratio_to_int8_error", sum_ratio / count},
          {"max_abs_ratio_to_int8_error", worst_ratio}};
}

json rank_check_json(ohq_session& s, const mixq::sensitivity_table& data, const mixq::sensitivity_table* weight,
                     std::size_t n, std::size_t images) {
  if (!s.data()) throw input_error("--check needs --data DIR: the test images that measure each plan's accuracy");
  const mixq::io::dataset test = load_data(*s.data(), mixq::io::split::test, images, s.net());
  const std::size_t L = data.layers.size();
  auto accuracy_of = [&](const mixq::precision_plan& plan, std::string_view what) {
    mixq::model m(s.network_ptr(), s.calibration(), plan, {.max_batch = 64, .threads = s.threads()});
    const auto classes = predict(m, test, s.progress_lines(), what);
    std::size_t correct = 0;
    for (std::size_t i = 0; i < test.size(); ++i) correct += classes[i] == static_cast<std::size_t>(test.labels[i]);
    return static_cast<double>(correct) / static_cast<double>(test.size());
  };
  const double reference = accuracy_of({.all = data.reference}, "reference");

  // Plans from mild to harsh: a share q of the layers (q uniform in [0, 1])
  // draw one of their options other than w8a8 at random, the rest keep w8a8.
  std::mt19937 rng(20261204);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const mixq::sensitivity_metric metrics[] = {mixq::sensitivity_metric::kl, mixq::sensitivity_metric::mse,
                                              mixq::sensitivity_metric::sqnr, mixq::sensitivity_metric::flips};
  std::map<std::string, std::vector<double>> sums;
  std::vector<double> drops;
  json plans = json::array();
  for (std::size_t k = 0; k < n; ++k) {
    const double q = unit(rng);
    mixq::precision_plan plan{.all = {8, 8}};
    std::vector<std::size_t> pick(L, 0);
    std::string text;
    for (std::size_t l = 0; l < L; ++l) {
      const auto& row = data.layers[l];
      std::size_t eight = 0;
      while (eight < row.size() && row[eight].bits != mixq::precision{8, 8}) ++eight;
      pick[l] = eight < row.size() ? eight : 0;
      if (row.size() > 1 && unit(rng) < q) {
        do pick[l] = std::uniform_int_distribution<std::size_t>(0, row.size() - 1)(rng);
        while (pick[l] == eight);
      }
    }
    // A mixed plan: at least one layer off w8a8.
    std::vector<std::size_t> choosable;
    bool mixed = false;
    for (std::size_t l = 0; l < L; ++l) {
      if (data.layers[l].size() > 1) choosable.push_back(l);
      mixed = mixed || data.layers[l][pick[l]].bits != mixq::precision{8, 8};
    }
    if (!mixed && !choosable.empty()) {
      const std::size_t l = choosable[std::uniform_int_distribution<std::size_t>(0, choosable.size() - 1)(rng)];
      const std::size_t eight = pick[l];
      do pick[l] = std::uniform_int_distribution<std::size_t>(0, data.layers[l].size() - 1)(rng);
      while (pick[l] == eight);
    }
    for (std::size_t l = 0; l < L; ++l) {
      plan.layers.emplace_back(data.names[l], data.layers[l][pick[l]].bits);
      text += fmt::format("{}{}", text.empty() ? "" : " ", mixq::to_string(data.layers[l][pick[l]].bits));
    }
    s.progress_lines().status(fmt::format("check: plan {}/{}", k + 1, n));
    const double drop = reference - accuracy_of(plan, "plan");
    drops.push_back(drop);
    json sum_of = json::object();
    for (const auto metric : metrics) {
      double total = 0;
      for (std::size_t l = 0; l < L; ++l) total += data.layers[l][pick[l]].of(metric);
      const std::string name(mixq::to_string(metric));
      sums[name].push_back(total);
      sum_of[name] = total;
    }
    if (weight) {
      double total = 0;
      for (std::size_t l = 0; l < L; ++l) {
        const auto bits = data.layers[l][pick[l]].bits;
        for (const auto& e : weight->layers[l]) {
          if (e.bits == bits) total += e.mse;
        }
      }
      sums["weight"].push_back(total);
      sum_of["weight"] = total;
    }
    plans.push_back({{"plan", text}, {"accuracy_drop", drop}, {"summed_sensitivity", std::move(sum_of)}});
  }
  s.progress_lines().done();
  json rho = json::object();
  std::string best;
  double best_rho = -2;
  for (const auto& [name, values] : sums) {
    const double r = mixq::spearman(values, drops);
    rho[name] = r;
    if (r > best_rho) {
      best_rho = r;
      best = name;
    }
  }
  return {{"plans", n},
          {"images", test.size()},
          {"reference_accuracy", reference},
          {"spearman", std::move(rho)},
          {"best_metric", best},
          {"plan_results", std::move(plans)}};
}

}  // namespace mixq_tool
