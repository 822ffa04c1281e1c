#pragma once
// Forward-only accuracy impact of each layer at each precision (OHQ's
// mask-guided quantization estimation): the network with only that layer at
// that precision -- computed by the deployed integer kernels -- and every
// other layer at the reference (float by default, or w8a8), run on N
// samples, compared with the network all at the reference. No labels, no
// gradients: what ranks an option is what the device will compute.
//
//   mixq::sensitivity_table s = mixq::measure_sensitivity(model, inputs, n);
//   double kl = s.value(3, 1);                           // layer 3, option 1, the chosen metric
//
// Metrics, all from the logits of the same runs (sensitivity_entry):
//   kl     KL(softmax(reference) || softmax(masked)), mean over samples
//   mse    mean squared difference of the logits
//   sqnr   noise / signal power of the logits (lower is better; -10 log10 of it is the SQNR in dB)
//   flips  the share of samples whose top-1 class changes
//
// spearman() is the check of such a proxy against reality: the rank
// correlation between plans' summed sensitivities and their measured
// accuracy drops (`mixq sensitivity --check N`).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <mixq/config.hpp>
#include <mixq/model/network_interface.hpp>
#include <mixq/model/precision.hpp>

namespace mixq {

enum class sensitivity_metric { kl, mse, sqnr, flips };

inline std::string_view to_string(sensitivity_metric m) noexcept {
  switch (m) {
    case sensitivity_metric::kl: return "kl";
    case sensitivity_metric::mse: return "mse";
    case sensitivity_metric::sqnr: return "sqnr";
    case sensitivity_metric::flips: return "flips";
  }
  return "?";
}

struct sensitivity_options {
  sensitivity_metric metric = sensitivity_metric::kl;
  precision reference = fp32;  ///< what the other layers run at
  std::vector<precision> precisions = {{8, 8}, {4, 8}, {2, 8}, {4, 4}, {2, 2}};
};

/// One layer at one precision, every metric.
struct sensitivity_entry {
  precision bits;
  double kl = 0, mse = 0, sqnr = 0, flips = 0;
  double of(sensitivity_metric m) const noexcept {
    switch (m) {
      case sensitivity_metric::kl: return kl;
      case sensitivity_metric::mse: return mse;
      case sensitivity_metric::sqnr: return sqnr;
      case sensitivity_metric::flips: return flips;
    }
    return 0;
  }
};

struct sensitivity_table {
  std::vector<std::string> names;
  std::vector<std::vector<sensitivity_entry>> layers;  ///< per layer, per precision it supports
  sensitivity_metric metric = sensitivity_metric::kl;
  precision reference = fp32;
  std::size_t samples = 0;
  double seconds = 0;

  double value(std::size_t layer, std::size_t option) const { return layers.at(layer).at(option).of(metric); }
};

namespace detail {

// The metrics of `masked` logits against `reference` ones, n samples of `classes` each.
inline sensitivity_entry compare_logits(const std::vector<float>& reference, const std::vector<float>& masked,
                                        std::size_t n, std::size_t classes) {
  sensitivity_entry e;
  double signal = 0, noise = 0, kl = 0;
  std::size_t flips = 0;
  std::vector<double> p(classes), q(classes);
  for (std::size_t i = 0; i < n; ++i) {
    const float* r = reference.data() + i * classes;
    const float* m = masked.data() + i * classes;
    // Log-softmax of each, shifted by its maximum.
    const double rmax = *std::max_element(r, r + classes), mmax = *std::max_element(m, m + classes);
    double rs = 0, ms = 0;
    for (std::size_t c = 0; c < classes; ++c) {
      rs += std::exp(r[c] - rmax);
      ms += std::exp(m[c] - mmax);
    }
    const double rlog = rmax + std::log(rs), mlog = mmax + std::log(ms);
    for (std::size_t c = 0; c < classes; ++c) {
      const double lp = r[c] - rlog, lq = m[c] - mlog;
      kl += std::exp(lp) * (lp - lq);
      const double d = static_cast<double>(r[c]) - m[c];
      noise += d * d;
      signal += static_cast<double>(r[c]) * r[c];
    }
    flips += (std::max_element(r, r + classes) - r) != (std::max_element(m, m + classes) - m);
  }
  const double count = static_cast<double>(n);
  e.kl = std::max(0.0, kl / count);  // rounding can leave a tiny negative sum
  e.mse = noise / (count * static_cast<double>(classes));
  e.sqnr = signal > 0 ? noise / signal : noise;
  e.flips = static_cast<double>(flips) / count;
  return e;
}

}  // namespace detail

/// Each layer's sensitivity at each of options.precisions it supports, from
/// n samples (n x input_elements() floats). The network's plan is restored
/// after. `on_layer(l, layers)` reports progress.
template <QuantizableNetwork N>
sensitivity_table measure_sensitivity(N& net, std::span<const float> inputs, std::size_t n,
                                      const sensitivity_options& options = {},
                                      const std::function<void(std::size_t, std::size_t)>& on_layer = {}) {
  const std::size_t L = net.layer_count();
  if (n == 0) MIXQ_THROW(error, "mixq::measure_sensitivity: no samples; expected at least one input");
  if (inputs.size() != n * net.input_elements()) {
    MIXQ_THROW(error, "mixq::measure_sensitivity: {} input floats for {} samples; expected {}", inputs.size(), n,
               n * net.input_elements());
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<precision> saved(L);
  for (std::size_t l = 0; l < L; ++l) {
    saved[l] = net.layer_precision(l);
    if (!net.supports(l, options.reference)) {
      MIXQ_THROW(error, "mixq::measure_sensitivity: layer '{}' cannot run at the reference precision {}",
                 net.layer_name(l), to_string(options.reference));
    }
    net.set_precision(l, options.reference);
  }
  const std::size_t classes = net.output_elements();
  std::vector<float> reference(n * classes), masked(n * classes);
  net.run(inputs, n, reference);

  sensitivity_table t;
  t.metric = options.metric;
  t.reference = options.reference;
  t.samples = n;
  t.layers.resize(L);
  for (std::size_t l = 0; l < L; ++l) {
    if (on_layer) on_layer(l, L);
    t.names.emplace_back(net.layer_name(l));
    for (const precision p : options.precisions) {
      if (!net.supports(l, p)) continue;
      if (p == options.reference) {
        t.layers[l].push_back({p, 0, 0, 0, 0});
        continue;
      }
      net.set_precision(l, p);
      net.run(inputs, n, masked);
      sensitivity_entry e = detail::compare_logits(reference, masked, n, classes);
      e.bits = p;
      t.layers[l].push_back(e);
    }
    net.set_precision(l, options.reference);
  }
  for (std::size_t l = 0; l < L; ++l) net.set_precision(l, saved[l]);
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return t;
}

/// Spearman's rank correlation of two equally long series (ties get their
/// average rank): how well a proxy such as a plan's summed sensitivity
/// orders plans by what it stands for, such as their measured accuracy drop.
/// 0 when either series is constant.
inline double spearman(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size()) {
    MIXQ_THROW(error, "mixq::spearman: the series have {} and {} values; expected the same number", x.size(), y.size());
  }
  const auto ranks = [](std::span<const double> v) {
    std::vector<std::size_t> order(v.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (std::size_t i = 0; i < order.size();) {
      std::size_t j = i;
      while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
      const double average = 0.5 * static_cast<double>(i + j) + 1.0;
      for (std::size_t k = i; k <= j; ++k) r[order[k]] = average;
      i = j + 1;
    }
    return r;
  };
  const std::vector<double> rx = ranks(x), ry = ranks(y);
  const double n = static_cast<double>(x.size());
  const double mean = (n + 1) / 2;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

}  // namespace mixq
