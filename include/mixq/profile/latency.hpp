#pragma once
// On-chip latency of each layer at each precision (OHQ's on-chip
// quantization awareness): the network runs on this device with its
// deployed kernels, the whole of it, one sample at a time, and every layer's
// steps are timed where they run -- in sequence, with the cache state the
// layers before them leave. For each candidate precision p the network runs
// with every layer at p (where a kernel exists) -- the precisions in turn, a
// few runs each, so that a drift of the machine's speed touches all alike --
// until each layer's median settles; the median is that layer's latency at
// p, the 10th-90th percentile range its spread. What no plan changes -- the layers without
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
  std::size_t min_runs = 200;     ///< timed runs per precision, at least
  std::size_t max_runs = 4000;    ///< and at most
  /// Rounds go on for at least this long in all, so that the medians span
  /// more than one spell of a shared machine's speed.
  double min_seconds = 1.0;
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

inline constexpr std::size_t runs_per_round = 10;

// One series of timed runs per plan, taken in interleaved rounds (a few
// runs of each plan in turn) until every layer's median settles in every
// series: a machine whose speed drifts -- a shared host, a clock that steps --
// then slows all plans alike instead of whichever ran during the slow spell.
// Per plan, per layer (and, last, the rest and the whole), the times in
// microseconds.
template <QuantizableNetwork N>
std::vector<std::vector<std::vector<double>>> timed_rounds(N& net, std::span<const float> input,
                                                           const std::vector<std::vector<precision>>& plans,
                                                           const profile_options& o) {
  const std::size_t L = net.layer_count();
  std::vector<float> out(net.output_elements());
  std::vector<double> seconds;  // sized by the network: one entry per layer it times
  auto apply = [&](const std::vector<precision>& plan) {
    for (std::size_t l = 0; l < L; ++l) net.set_precision(l, plan[l]);
  };
  for (const auto& plan : plans) {
    apply(plan);
    for (std::size_t r = 0; r < o.warmup_runs; ++r) net.run(input, 1, out);
  }
  std::vector<std::vector<std::vector<double>>> times(plans.size(), std::vector<std::vector<double>>(L + 2));
  std::vector<std::vector<double>> last_median(plans.size(), std::vector<double>(L + 2, -1.0));
  const auto start = std::chrono::steady_clock::now();
  constexpr std::size_t round = runs_per_round;
  const double budget = o.max_seconds * static_cast<double>(plans.size());
  for (std::size_t r = round; r <= o.max_runs; r += round) {
    bool settled = r >= o.min_runs;
    for (std::size_t k = 0; k < plans.size(); ++k) {
      apply(plans[k]);
      net.run(input, 1, out);  // untimed: the caches hold the previous plan's weights
      for (std::size_t i = 0; i < round; ++i) {
        std::fill(seconds.begin(), seconds.end(), 0.0);
        const auto t0 = std::chrono::steady_clock::now();
        net.run(input, 1, out, &seconds);
        const double whole = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
        std::vector<double> per(L + 2, 0.0);
        for (std::size_t j = 0; j < seconds.size(); ++j) per[std::min(net.weighted_index(j), L)] += seconds[j] * 1e6;
        double layers = 0;
        for (std::size_t l = 0; l < L; ++l) layers += per[l];
        per[L] = std::max(0.0, whole - layers);
        per[L + 1] = whole;
        for (std::size_t j = 0; j < L + 2; ++j) times[k][j].push_back(per[j]);
      }
      const double total = quantile(times[k][L + 1], 0.5);
      for (std::size_t j = 0; j < L + 2; ++j) {
        const double m = quantile(times[k][j], 0.5);
        if (std::fabs(m - last_median[k][j]) > std::max(o.settle * m, 0.002 * total)) settled = false;
        last_median[k][j] = m;
      }
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if ((settled && elapsed >= o.min_seconds) || elapsed > budget) break;
  }
  return times;
}

}  // namespace detail

/// Each layer's latency at each of options.precisions, measured on this
/// device on `input` (one sample). The network's plan is restored after.
/// `on_precision(k, total)` reports progress: (0, total) before the
/// interleaved runs of all `total` precisions, (total, total) after.
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
  // Every layer at p where it has a kernel (its own precision elsewhere).
  std::vector<precision> measured;
  std::vector<std::vector<precision>> plans;
  for (const precision p : options.precisions) {
    std::vector<precision> plan(L);
    bool any = false;
    for (std::size_t l = 0; l < L; ++l) {
      const bool ok = net.supports(l, p);
      any = any || ok;
      plan[l] = ok ? p : saved[l];
    }
    if (!any) continue;
    measured.push_back(p);
    plans.push_back(std::move(plan));
  }
  if (on_precision) on_precision(0, plans.size());
  const auto times = detail::timed_rounds(net, input, plans, options);
  for (std::size_t k = 0; k < plans.size(); ++k) {
    const precision p = measured[k];
    for (std::size_t l = 0; l < L; ++l) {
      if (!net.supports(l, p)) continue;
      t.layers[l].options.push_back({p, detail::quantile(times[k][l], 0.5), detail::quantile(times[k][l], 0.1),
                                     detail::quantile(times[k][l], 0.9), net.cost(l, p)});
    }
    t.precisions.push_back(p);
    t.other_us.push_back(detail::quantile(times[k][L], 0.5));
    t.end_to_end_us.push_back(detail::quantile(times[k][L + 1], 0.5));
    t.runs += times[k][L + 1].size();
  }
  if (on_precision) on_precision(plans.size(), plans.size());
  for (std::size_t l = 0; l < L; ++l) net.set_precision(l, saved[l]);
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return t;
}

/// A plan's latency: as the table predicts it, and as measured end to end --
/// next to a reference plan (all 8-bit) measured in the same interleaved
/// rounds, so that a drift of the machine's speed between the profile and
/// the check shows apart from an error of the table.
struct latency_check {
  double predicted_us = 0;
  double measured_us = 0;
  double p10_us = 0, p90_us = 0;  ///< the measurement's spread
  double reference_predicted_us = 0, reference_measured_us = 0;
  /// The plan's latency over the reference's, measured: the median over
  /// rounds of the ratio of their medians in that round (runs a few
  /// milliseconds apart, so a spell of the machine's speed cancels out).
  double measured_ratio = 0;
  double relative_error() const { return measured_us > 0 ? (predicted_us - measured_us) / measured_us : 0.0; }
  /// The error of the predicted ratio to the reference: what budgets given
  /// as multiples of the all-INT8 latency depend on.
  double ratio_error() const {
    if (measured_ratio <= 0 || reference_predicted_us <= 0) return 0.0;
    return (predicted_us / reference_predicted_us - measured_ratio) / measured_ratio;
  }
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
/// like the profile), interleaved with the all-8-bit plan where every layer
/// has it, and compares both with the table's prediction. The network's
/// plan is restored after.
template <QuantizableNetwork N>
latency_check check_latency(N& net, const latency_table& t, const std::vector<precision>& plan,
                            std::span<const float> input, const profile_options& options = {}) {
  const std::size_t L = net.layer_count();
  if (plan.size() != L) {
    MIXQ_THROW(error, "mixq::check_latency: the plan has {} precisions; expected one per layer ({})", plan.size(), L);
  }
  std::vector<precision> saved(L), reference(L, precision{8, 8});
  bool has_reference = true;
  for (std::size_t l = 0; l < L; ++l) {
    saved[l] = net.layer_precision(l);
    const auto& opts = t.layers.at(l).options;
    has_reference = has_reference && std::any_of(opts.begin(), opts.end(), [](const latency_option& o) {
      return o.bits == precision{8, 8};
    });
  }
  detail::thread_pin pin(options.pin_thread);
  std::vector<std::vector<precision>> plans = {plan};
  if (has_reference) plans.push_back(reference);
  profile_options o = options;
  o.min_runs = std::max<std::size_t>(o.min_runs, 50);
  o.max_runs = o.min_runs;  // a fixed count: the medians of whole runs need no settling rule
  const auto times = detail::timed_rounds(net, input, plans, o);
  for (std::size_t l = 0; l < L; ++l) net.set_precision(l, saved[l]);
  latency_check c{predict_latency(t, plan), detail::quantile(times[0][L + 1], 0.5),
                  detail::quantile(times[0][L + 1], 0.1), detail::quantile(times[0][L + 1], 0.9)};
  if (has_reference) {
    c.reference_predicted_us = predict_latency(t, reference);
    c.reference_measured_us = detail::quantile(times[1][L + 1], 0.5);
    const auto& a = times[0][L + 1];
    const auto& b = times[1][L + 1];
    std::vector<double> ratios;
    for (std::size_t r = 0; r + detail::runs_per_round <= std::min(a.size(), b.size()); r += detail::runs_per_round) {
      const auto round_median = [&](const std::vector<double>& v) {
        return detail::quantile({v.begin() + static_cast<std::ptrdiff_t>(r),
                                 v.begin() + static_cast<std::ptrdiff_t>(r + detail::runs_per_round)}, 0.5);
      };
      ratios.push_back(round_median(a) / round_median(b));
    }
    c.measured_ratio = detail::quantile(ratios, 0.5);
  }
  return c;
}

}  // namespace mixq
