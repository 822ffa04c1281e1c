// The stages of `mixq ohq` (ohq_report.hpp).
#include "ohq_report.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include <mixq/profile/problem.hpp>

namespace mixq_tool {
namespace {

namespace alloc = mixq::alloc;

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Median latency of one sample through `m`, pinned to a CPU like the profile.
latency_stats pinned_latency(mixq::model& m, std::span<const float> sample) {
  mixq::detail::thread_pin pin(true);
  return measure_latency(m, sample, 1, 300);
}

std::string precision_list(const std::vector<mixq::precision>& p) {
  std::string s;
  for (const auto b : p) s += fmt::format("{}{}", s.empty() ? "" : " ", mixq::to_string(b));
  return s;
}

}  // namespace

void ohq_run::measure_tables(const std::vector<mixq::precision>& options, const sensitivity_choice& metric,
                             std::size_t samples, mixq::precision reference) {
  auto t0 = std::chrono::steady_clock::now();
  std::vector<mixq::precision> measured = options;
  if (std::find(measured.begin(), measured.end(), mixq::precision{8, 8}) == measured.end()) {
    measured.insert(measured.begin(), {8, 8});  // the all-INT8 network is every budget's reference
  }
  latency_ = s_.profile(measured);
  s_.progress_lines().done();
  profile_seconds_ = since(t0);
  t0 = std::chrono::steady_clock::now();
  sensitivity_ = s_.sensitivity(measured, metric, samples, reference);
  sensitivity_seconds_ = since(t0);
  metric_name_ = metric.name;
  problem_ = mixq::allocation_problem(latency_, sensitivity_);
  int8_totals_ = mixq::uniform_totals(problem_, {8, 8});
  fixed_us_ = latency_.fixed_us();
  s_.progress_lines().line(fmt::format("profile {:.1f} s, sensitivity {:.1f} s", profile_seconds_, sensitivity_seconds_));
}

void ohq_run::add_budget(const std::string& cost, double value, bool relative, const std::string& text) {
  const auto it = std::find(problem_.cost_names.begin(), problem_.cost_names.end(), cost);
  budgets_.push_back({static_cast<std::size_t>(it - problem_.cost_names.begin()), value, text, relative ? value : 0.0});
  if (!relative) budgets_.back().factor = 0;
}

std::vector<double> ohq_run::totals_of(const std::vector<mixq::precision>& plan) const {
  std::vector<double> t(problem_.cost_names.size(), 0.0);
  for (std::size_t l = 0; l < problem_.layers.size(); ++l) {
    for (const auto& o : problem_.layers[l].options) {
      if (o.bits() != plan[l]) continue;
      for (std::size_t k = 0; k < t.size(); ++k) t[k] += o.costs[k];
    }
  }
  t[0] += fixed_us_;
  return t;
}

alloc::plan ohq_run::solve_with(const std::vector<double>& layer_budgets) const {
  alloc::problem p = problem_;
  p.budgets = layer_budgets;
  alloc::solve_options o;
  o.time_limit_seconds = 10.0;
  return alloc::solve(p, o);
}

measured_plan ohq_run::measure(const std::string& label, const std::vector<mixq::precision>& plan, std::size_t images,
                               bool fp32) {
  measured_plan r;
  r.label = label;
  r.precisions = plan;
  mixq::precision_plan pp{.all = mixq::fp32};
  if (!fp32) {
    for (std::size_t l = 0; l < plan.size(); ++l) pp.layers.emplace_back(std::string(s_.model().layer_name(l)), plan[l]);
  }
  mixq::io::dataset part;
  const mixq::io::dataset* data = &test_;
  if (images < test_.size()) {
    const std::size_t e = test_.images.size() / test_.size();
    part.shape = test_.shape;
    part.shape[0] = images;
    part.images.assign(test_.images.begin(), test_.images.begin() + static_cast<std::ptrdiff_t>(images * e));
    part.labels.assign(test_.labels.begin(), test_.labels.begin() + static_cast<std::ptrdiff_t>(images));
    data = &part;
  }
  mixq::model m(s_.network_ptr(), s_.calibration(), pp, {.max_batch = 64, .threads = s_.threads()});
  const auto classes = predict(m, *data, s_.progress_lines(), label);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < data->size(); ++i) correct += classes[i] == static_cast<std::size_t>(data->labels[i]);
  r.images = data->size();
  r.accuracy = static_cast<double>(correct) / static_cast<double>(r.images);
  mixq::model single(s_.network_ptr(), s_.calibration(), pp, {.max_batch = 1, .threads = s_.threads()});
  r.latency = pinned_latency(single, s_.sample());
  if (!fp32) {
    const auto t = totals_of(plan);
    r.predicted_us = t[0];
    r.size_bytes = t[1];
    r.bops = t[2];
  } else {
    for (std::size_t l = 0; l < s_.model().layer_count(); ++l) {
      const auto c = s_.model().cost(l, mixq::fp32);
      r.size_bytes += c.size_bytes;
      r.bops += c.bops;
    }
  }
  return r;
}

void ohq_run::solve_and_evaluate() {
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t L = problem_.layers.size();
  int8_ = measure("int8", std::vector<mixq::precision>(L, {8, 8}), test_.size());
  // Relative budgets are multiples of the all-INT8 network's latency and size. The plan is chosen
  // against the profile's own measurement of all-INT8 (the table's sum for it), so that the table
  // and its reference come from one session and latency=1 always admits INT8; the plan is then
  // judged against all-INT8 measured alongside it (meets_budgets).
  std::vector<double> layer_budgets(problem_.cost_names.size(), alloc::no_budget);
  for (auto& b : budgets_) {
    if (b.factor > 0) {
      const double reference = b.cost == 0 ? int8_totals_[0] + fixed_us_ : int8_totals_[b.cost];
      b.total = b.factor * reference;
    }
    const double layers = b.cost == 0 ? b.total - fixed_us_ : b.total;
    layer_budgets[b.cost] = std::min(layer_budgets[b.cost], layers);
  }
  plan_ = solve_with(layer_budgets);
  if (plan_.status == alloc::status::infeasible) {
    std::string least;
    for (std::size_t k = 0; k < problem_.cost_names.size(); ++k) {
      if (!(layer_budgets[k] < alloc::no_budget)) continue;
      const double extra = k == 0 ? fixed_us_ : 0.0;
      least += fmt::format("{}{} = {:.6g}", least.empty() ? "" : ", ", problem_.cost_names[k],
                           plan_.minimum_totals[k] + extra);
    }
    std::string asked;
    for (const auto& b : budgets_) asked += fmt::format("{}{} ({} = {:.6g})", asked.empty() ? "" : ", ", b.text,
                                                        problem_.cost_names[b.cost], b.total);
    throw input_error(fmt::format("no plan meets {}: the least reachable totals are {} (all-INT8: {:.6g} us as "
                                  "profiled, {:.6g} us measured, {:.0f} bytes)",
                                  asked, least, int8_totals_[0] + fixed_us_, int8_.latency.median, int8_totals_[1]));
  }
  const auto bits = mixq::plan_precisions(problem_, plan_);
  ohq_ = measure("ohq", bits, test_.size());
  fp32_ = measure("fp32", {}, test_.size(), true);
  evaluate_seconds_ = since(t0);
}

void ohq_run::sweep(std::size_t count, std::size_t images) {
  images = std::min(images, test_.size());
  sweep_images_ = images;
  const std::size_t L = problem_.layers.size();
  sweep_w4a8_ = measure("w4a8", std::vector<mixq::precision>(L, {4, 8}), images);
  sweep_int8_ = images == test_.size() ? int8_ : measure("int8", std::vector<mixq::precision>(L, {8, 8}), images);
  sweep_fp32_ = images == test_.size() ? fp32_ : measure("fp32", {}, images, true);
  // From the least reachable latency to the all-INT8 one.
  std::vector<double> none(problem_.cost_names.size(), alloc::no_budget);
  none[0] = 0;
  const double int8_predicted = int8_totals_[0] + fixed_us_;
  const double least = (solve_with(none).minimum_totals[0] + fixed_us_) / int8_predicted;
  const double lo = std::min(0.99, std::max(least * 1.01, 0.2));
  for (std::size_t k = 0; k < count; ++k) {
    const double factor = count == 1 ? 1.0 : lo + (1.0 - lo) * static_cast<double>(k) / static_cast<double>(count - 1);
    sweep_point pt{factor, {}, {}, {}};
    auto plan_for = [&](std::size_t cost, double layers_budget) -> std::optional<std::vector<mixq::precision>> {
      std::vector<double> b(problem_.cost_names.size(), alloc::no_budget);
      b[cost] = layers_budget;
      const auto plan = solve_with(b);
      if (!plan.has_choices) return std::nullopt;
      return mixq::plan_precisions(problem_, plan);
    };
    const std::string tag = fmt::format("{:.2f}", factor);
    if (auto p = plan_for(0, factor * int8_predicted - fixed_us_)) pt.ohq = measure("ohq@" + tag, *p, images);
    if (auto p = plan_for(2, factor * int8_totals_[2])) pt.bops = measure("bops@" + tag, *p, images);
    if (auto p = plan_for(1, factor * int8_totals_[1])) pt.size = measure("size@" + tag, *p, images);
    sweep_.push_back(std::move(pt));
  }
}

json ohq_run::measured_json(const measured_plan& m) const {
  json j = {{"accuracy", m.accuracy}, {"images", m.images}, {"latency_us", latency_json(m.latency)},
            {"size_bytes", m.size_bytes}, {"bops", m.bops}};
  if (m.predicted_us > 0) j["predicted_latency_us"] = m.predicted_us;
  if (!m.precisions.empty()) j["precisions"] = precision_list(m.precisions);
  return j;
}

json ohq_run::result_json() const {
  json budgets = json::array();
  for (const auto& b : budgets_) {
    json j = {{"budget", b.text}, {"cost", problem_.cost_names[b.cost]}, {"total", b.total}};
    if (b.factor > 0) j["times_int8"] = b.factor;
    budgets.push_back(std::move(j));
  }
  json choices = json::array();
  for (std::size_t l = 0; l < problem_.layers.size(); ++l) {
    choices.push_back({{"layer", problem_.layers[l].name},
                       {"option", plan_.choices[l].option},
                       {"w_bits", plan_.choices[l].w_bits},
                       {"a_bits", plan_.choices[l].a_bits}});
  }
  json totals = json::object();
  for (std::size_t k = 0; k < problem_.cost_names.size(); ++k) {
    totals[problem_.cost_names[k]] = plan_.totals[k] + (k == 0 ? fixed_us_ : 0.0);
  }
  bool meets = true;
  for (const auto& b : budgets_) {
    const double measured = b.cost == 0 ? ohq_.latency.median : (b.cost == 1 ? ohq_.size_bytes : ohq_.bops);
    // A latency budget counts as met within the measurement's own spread; a relative one against
    // all-INT8 measured in the same run.
    const double latency_limit = b.factor > 0 ? b.factor * int8_.latency.median : b.total;
    meets = meets && (b.cost == 0 ? ohq_.latency.p10 <= latency_limit : measured <= b.total * (1 + 1e-9));
  }
  json out = {{"model", s_.model_path()},
              {"cpu", cpu_name()},
              {"kernels", std::string(kernel_arch())},
              {"metric", metric_name_},
              {"budgets", std::move(budgets)},
              {"plan", {{"status", std::string(alloc::to_string(plan_.status))},
                        {"objective", plan_.objective},
                        {"choices", std::move(choices)},
                        {"totals", std::move(totals)}}},
              {"accuracy", ohq_.accuracy},
              {"images", ohq_.images},
              {"latency_us", latency_json(ohq_.latency)},
              {"predicted_latency_us", ohq_.predicted_us},
              {"size_bytes", ohq_.size_bytes},
              {"meets_budgets", meets},
              {"int8", measured_json(int8_)},
              {"fp32", measured_json(fp32_)},
              {"latency_reduction_vs_int8", 1.0 - ohq_.latency.median / int8_.latency.median},
              {"accuracy_drop_vs_int8", int8_.accuracy - ohq_.accuracy},
              {"timings_s", {{"profile", profile_seconds_}, {"sensitivity", sensitivity_seconds_},
                             {"solve", plan_.solve_seconds}, {"evaluate", evaluate_seconds_}}}};
  if (!sweep_.empty()) {
    json points = json::array();
    auto add = [&](const std::string& method, double factor, const std::optional<measured_plan>& m) {
      if (!m) return;
      json j = measured_json(*m);
      j["method"] = method;
      j["budget_times_int8"] = factor;
      points.push_back(std::move(j));
    };
    for (const auto& pt : sweep_) {
      add("ohq", pt.factor, pt.ohq);
      add("bops_proxy", pt.factor, pt.bops);
      add("size_proxy", pt.factor, pt.size);
    }
    out["sweep"] = {{"images", sweep_images_},
                    {"points", std::move(points)},
                    {"fp32", measured_json(*sweep_fp32_)},
                    {"int8", measured_json(*sweep_int8_)},
                    {"w4a8", measured_json(*sweep_w4a8_)}};
  }
  return out;
}

void ohq_run::write_files(const std::string& folder) const {
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) throw input_error(fmt::format("{}: cannot create the folder: {}", folder, ec.message()));
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = (std::filesystem::path(folder) / name).string();
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f || !(f << text)) throw input_error(fmt::format("{}: cannot write the file", path));
  };
  const json result = result_json();
  json plan = result["plan"];
  write("plan.json", render(plan) + "\n");
  json table = problem_json(s_, &latency_, &sensitivity_);
  for (const auto& b : budgets_) table["budgets"][problem_.cost_names[b.cost]] = b.total;
  write("table.json", render(table) + "\n");
  write("report.json", render(result) + "\n");
  write("report.md", ohq_markdown(result));
  write("plot.svg", ohq_svg(result));
}

}  // namespace mixq_tool
