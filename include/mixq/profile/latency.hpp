#pragma once
// On-chip latency of each layer at each precision (OHQ's on-chip
// quantization awareness): the network runs on this device with its
// deployed kernels, the whole of it, one sample at a time, and every layer's
// steps are timed where they run -- in sequence, with the cache state the
// layers before them leave. For each candidate precision p the network runs
// with every layer at p (where a kernel exists) until each layer's median
// settles; the median is that layer's latency at p, the 10th-90th
// percentile range its spread. What no plan changes -- the layers without
// weights, the executor itself -- is kept apart as `other_us`.
//
//   mixq::latency_table t = mixq::profile_latency(model, one_input);
//   double us = t.layers[3].options[1].median_us;
//
// check_latency() compares the table's prediction for whole plans with
// their measured end-to-end latency.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

#include <mixq/config.hpp>
#include <mixq/model/model.hpp>
#include <mixq/model/network_interface.hpp>
#include <mixq/model/precision.hpp>

namespace mixq {

struct profile_options {
  /// Candidate precisions; a layer gets those it has a kernel for.
  std::vector<precision> precisions = {{8, 8}, {4, 8}, {2, 8}, {4, 4}, {2, 2}};
  std::size_t warmup_runs = 10;
  std::size_t min_runs = 40;      ///< timed runs per precision, at least
  std::size_t max_runs = 2000;    ///< and at most
  double max_seconds = 4.0;       ///< per precision
  /// Stop when no layer's median moved by more than this share of itself
  /// (or 0.2 % of the whole network) over the last round of runs.
  double settle = 0.01;
  bool pin_thread = true;         ///< pin the measuring thread to its CPU (Linux)
};

struct latency_option {
  precision bits;
  double median_us = 0, p10_us = 0, p90_us = 0;
  layer_cost cost;
};

struct latency_layer {
  std::string name;
  std::vector<latency_option> options;
};

struct latency_table {
  std::vector<latency_layer> layers;
  std::vector<precision> precisions;  ///< the uniform plans measured
  std::vector<double> end_to_end_us;  ///< median whole-network latency of each
  std::vector<double> other_us;       ///< its part outside the layers with weights
  std::size_t runs = 0;               ///< timed runs in all
  double seconds = 0;                 ///< the profile's wall time
  bool pinned = false;

  /// other_us of the all-8-bit plan (the first measured, if w8a8 was not).
  double fixed_us() const {
    for (std::size_t k = 0; k < precisions.size(); ++k) {
      if (precisions[k] == precision{8, 8}) return other_us[k];
    }
    return other_us.empty() ? 0.0 : other_us.front();
  }
};

namespace detail {

// Pins the calling thread to the CPU it runs on for its lifetime, where the OS allows.
class thread_pin {
public:
  explicit thread_pin(bool enable) {
#if defined(__linux__)
    if (!enable) return;
    if (sched_getaffinity(0, sizeof saved_, &saved_) != 0) return;
    const int cpu = sched_getcpu();
    if (cpu < 0) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(static_cast<std::size_t>(cpu), &one);
    pinned_ = sched_setaffinity(0, sizeof one, &one) == 0;
#else
    (void)enable;
#endif
  }
  thread_pin(const thread_pin&) = delete;
  thread_pin& operator=(const thread_pin&) = delete;
  ~thread_pin() {
#if defined(__linux__)
    if (pinned_) sched_setaffinity(0, sizeof saved_, &saved_);
#endif
  }
  bool pinned() const noexcept { return pinned_; }

private:
  bool pinned_ = false;
#if defined(__linux__)
  cpu_set_t saved_{};
#endif
};

inline double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

// Timed runs of one sample until every layer's median settles: per plan layer
// (and, last, the rest and the whole) the list of times in microseconds.
template <QuantizableNetwork N>
std::vector<std::vector<double>> timed_runs(N& net, std::span<const float> input, const profile_options& o) {
  const std::size_t L = net.layer_count();
  std::vector<float> out(net.output_elements());
  std::vector<double> seconds;  // sized by the network: one entry per layer it times
  for (std::size_t r = 0; r < o.warmup_runs; ++r) net.run(input, 1, out);
  std::vector<std::vector<double>> times(L + 2);
  std::vector<double> last_median(L + 2, -1.0);
  const auto start = std::chrono::steady_clock::now();
  constexpr std::size_t round = 10;
  for (std::size_t r = 1; r <= o.max_runs; ++r) {
    std::fill(seconds.begin(), seconds.end(), 0.0);
    const auto t0 = std::chrono::steady_clock::now();
    net.run(input, 1, out, &seconds);
    const double whole = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    std::vector<double> per(L + 2, 0.0);
    for (std::size_t i = 0; i < seconds.size(); ++i) per[std::min(net.weighted_index(i), L)] += seconds[i] * 1e6;
    per[L + 1] = whole;
    per[L] = std::max(0.0, whole - [&] {
      double s = 0;
      for (std::size_t l = 0; l < L; ++l) s += per[l];
      return s;
    }());
    for (std::size_t k = 0; k < L + 2; ++k) times[k].push_back(per[k]);
    if (r % round != 0) continue;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bool settled = r >= o.min_runs;
    const double total = quantile(times[L + 1], 0.5);
    for (std::size_t k = 0; k < L + 2; ++k) {
      const double m = quantile(times[k], 0.5);
      if (std::fabs(m - last_median[k]) > std::max(o.settle * m, 0.002 * total)) settled = false;
      last_median[k] = m;
    }
    if (settled || elapsed > o.max_seconds) break;
  }
  return times;
}

}  // namespace detail

/// Each layer's latency at each of options.precisions, measured on this
/// device on `input` (one sample). The network's plan is restored after.
/// `on_precision(k, total)` reports progress.
template <QuantizableNetwork N>
latency_table profile_latency(N& net, std::span<const float> input, const profile_options& options = {},
                              const std::function<void(std::size_t, std::size_t)>& on_precision = {}) {
  const std::size_t L = net.layer_count();
  if (input.size() != net.input_elements()) {
    MIXQ_THROW(error, "mixq::profile_latency: the input has {} floats; expected one sample of {}", input.size(),
               net.input_elements());
  }
  if (options.precisions.empty()) MIXQ_THROW(error, "mixq::profile_latency: no precisions to measure");
  const auto start = std::chrono::steady_clock::now();
  std::vector<precision> saved(L);
  for (std::size_t l = 0; l < L; ++l) saved[l] = net.layer_precision(l);
  detail::thread_pin pin(options.pin_thread);

  latency_table t;
  t.pinned = pin.pinned();
  t.layers.resize(L);
  for (std::size_t l = 0; l < L; ++l) t.layers[l].name = std::string(net.layer_name(l));
  for (std::size_t k = 0; k < options.precisions.size(); ++k) {
    const precision p = options.precisions[k];
    if (on_precision) on_precision(k, options.precisions.size());
    bool any = false;
    for (std::size_t l = 0; l < L; ++l) {
      const bool ok = net.supports(l, p);
      any = any || ok;
      net.set_precision(l, ok ? p : saved[l]);
    }
    if (!any) continue;
    const auto times = detail::timed_runs(net, input, options);
    for (std::size_t l = 0; l < L; ++l) {
      if (!net.supports(l, p)) continue;
      t.layers[l].options.push_back({p, detail::quantile(times[l], 0.5), detail::quantile(times[l], 0.1),
                                     detail::quantile(times[l], 0.9), net.cost(l, p)});
    }
    t.precisions.push_back(p);
    t.other_us.push_back(detail::quantile(times[L], 0.5));
    t.end_to_end_us.push_back(detail::quantile(times[L + 1], 0.5));
    t.runs += times[L + 1].size();
  }
  for (std::size_t l = 0; l < L; ++l) net.set_precision(l, saved[l]);
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return t;
}

/// A plan's latency: as the table predicts it, and as measured end to end.
struct latency_check {
  double predicted_us = 0;
  double measured_us = 0;
  double p10_us = 0, p90_us = 0;  ///< the measurement's spread
  double relative_error() const { return measured_us > 0 ? (predicted_us - measured_us) / measured_us : 0.0; }
};

/// The table's prediction for a plan: the fixed part plus each layer's option.
inline double predict_latency(const latency_table& t, const std::vector<precision>& plan) {
  double us = t.fixed_us();
  for (std::size_t l = 0; l < t.layers.size(); ++l) {
    const auto& opts = t.layers[l].options;
    const auto it = std::find_if(opts.begin(), opts.end(), [&](const latency_option& o) { return o.bits == plan.at(l); });
    if (it == opts.end()) {
      MIXQ_THROW(error, "mixq::predict_latency: layer '{}' was not measured at {}", t.layers[l].name, to_string(plan[l]));
    }
    us += it->median_us;
  }
  return us;
}

/// Measures `plan` end to end (median of timed single-sample runs, pinned
/// like the profile) and compares it with the table's prediction. The
/// network's plan is restored after.
template <QuantizableNetwork N>
latency_check check_latency(N& net, const latency_table& t, const std::vector<precision>& plan,
                            std::span<const float> input, const profile_options& options = {}) {
  const std::size_t L = net.layer_count();
  std::vector<precision> saved(L);
  for (std::size_t l = 0; l < L; ++l) {
    saved[l] = net.layer_precision(l);
    net.set_precision(l, plan.at(l));
  }
  detail::thread_pin pin(options.pin_thread);
  std::vector<float> out(net.output_elements());
  for (std::size_t r = 0; r < options.warmup_runs; ++r) net.run(input, 1, out);
  std::vector<double> times;
  const auto start = std::chrono::steady_clock::now();
  while (times.size() < std::max<std::size_t>(options.min_runs, 50)) {
    const auto t0 = std::chrono::steady_clock::now();
    net.run(input, 1, out);
    times.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > options.max_seconds) break;
  }
  for (std::size_t l = 0; l < L; ++l) net.set_precision(l, saved[l]);
  return {predict_latency(t, plan), detail::quantile(times, 0.5), detail::quantile(times, 0.1),
          detail::quantile(times, 0.9)};
}

}  // namespace mixq
