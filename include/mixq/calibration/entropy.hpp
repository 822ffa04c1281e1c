#pragma once
// entropy_observer: TensorRT's KL-divergence calibration (Migacz, "8-bit
// Inference with TensorRT", GTC 2017). A 2048-bin histogram of |x| over
// [0, max |x|]; for each candidate i = L .. bins - 1 (L = 2^(bits-1) levels,
// 128 for 8 bits):
//
//   P = bins [0, i), the mass beyond (the outliers) added to bin i - 1;
//   Q = bins [0, i) merged into L groups of i / L bins (the last takes the
//       rest), each group's mass spread evenly over its bins that are
//       non-empty in P;
//   KL(P || Q) on the normalised distributions; +inf if Q is 0 where P is not.
//
// The threshold is (i + 0.5) * bin width for the i of least divergence (the
// first on ties), or max |x| when every candidate is infinite. Symmetric
// schemes clip to [-t, t]; asymmetric ones to [max(min, -t), min(max, t)].
// Divergences come from prefix sums, O(L) per candidate.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string_view>
#include <vector>

#include <xtensor/xexpression.hpp>

#include <mixq/calibration/histogram.hpp>
#include <mixq/calibration/observer_options.hpp>
#include <mixq/calibration/range_rule.hpp>
#include <mixq/config.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/core/scheme.hpp>

namespace mixq {

namespace detail {

/// Levels of the quantized distribution: 2^(bits-1).
constexpr std::size_t entropy_levels(int bits) noexcept { return std::size_t{1} << (bits - 1); }

inline double x_log_x(double x) noexcept { return x > 0.0 ? x * std::log(x) : 0.0; }

/// KL(P_i || Q_i) for i = levels .. bins - 1 (entry i - levels).
inline std::vector<double> entropy_divergences(const double* h, std::size_t bins, std::size_t levels) {
  std::vector<double> out;
  if (bins <= levels) return out;
  // Prefix sums over bins [0, k): mass, sum of h log h, non-empty bins.
  std::vector<double> mass(bins + 1, 0.0), mass_log(bins + 1, 0.0), nonempty(bins + 1, 0.0);
  for (std::size_t k = 0; k < bins; ++k) {
    mass[k + 1] = mass[k] + h[k];
    mass_log[k + 1] = mass_log[k] + x_log_x(h[k]);
    nonempty[k + 1] = nonempty[k] + (h[k] > 0.0 ? 1.0 : 0.0);
  }
  const double total = mass[bins];
  out.reserve(bins - levels);
  for (std::size_t i = levels; i < bins; ++i) {
    const double outliers = total - mass[i];
    const double p_last = h[i - 1] + outliers;
    const std::size_t group = i / levels;
    double p_log_p = mass_log[i - 1] + x_log_x(p_last);
    double p_log_q = 0.0;
    bool infinite = false;
    for (std::size_t g = 0; g < levels; ++g) {
      const std::size_t begin = g * group, end = g + 1 == levels ? i : begin + group;
      const double q_mass = mass[end] - mass[begin];
      double p_mass = q_mass;
      double support = nonempty[end] - nonempty[begin];
      if (end == i) {
        // Bin i - 1 carries the outliers in P, so its emptiness is P's.
        p_mass += outliers;
        support += (p_last > 0.0 ? 1.0 : 0.0) - (h[i - 1] > 0.0 ? 1.0 : 0.0);
      }
      if (p_mass == 0.0) continue;
      if (q_mass == 0.0) {
        infinite = true;
        break;
      }
      p_log_q += p_mass * std::log(q_mass / support);
    }
    if (infinite || total == 0.0) {
      out.push_back(std::numeric_limits<double>::infinity());
      continue;
    }
    // sum p/T log((p/T) / (q/S)) with T the total mass and S = mass[i] that of Q.
    out.push_back((p_log_p - p_log_q) / total - std::log(total) + std::log(mass[i]));
  }
  return out;
}

/// The threshold of the top of this file for a magnitude histogram on [0, top].
inline float entropy_threshold(const double* h, std::size_t bins, float top, std::size_t levels) {
  const std::vector<double> kl = entropy_divergences(h, bins, levels);
  std::size_t best = kl.size();
  for (std::size_t k = 0; k < kl.size(); ++k) {
    if (kl[k] < std::numeric_limits<double>::infinity() && (best == kl.size() || kl[k] < kl[best])) best = k;
  }
  if (best == kl.size()) return top;
  const double width = static_cast<double>(top) / static_cast<double>(bins);
  return static_cast<float>((static_cast<double>(best + levels) + 0.5) * width);
}

}  // namespace detail

template <scheme S>
  requires ValidScheme<S>
class entropy_observer : public detail::histogram_observer_base<S, entropy_observer<S>> {
  static constexpr std::size_t levels = detail::entropy_levels(S.bits);

public:
  using options = histogram_options;
  static constexpr std::string_view name = "entropy";

  explicit entropy_observer(const options& o = {})
      : detail::histogram_observer_base<S, entropy_observer>(o.bins, true, o.non_finite, levels + 1) {}

  /// The clipping range for channel c.
  clip_range clipping_range(std::size_t c) const {
    const auto& h = this->hist_;
    const float t = detail::entropy_threshold(h.counts(c), h.bins(), h.hi(c), levels);
    if constexpr (S.symmetric) {
      return {-t, t};
    } else {
      return {std::max(h.min_value(c), -t), std::min(h.max_value(c), t)};
    }
  }
};

}  // namespace mixq
