#pragma once
// percentile_observer: clip at a percentile of the observed distribution
// (99.99 by default), read from a 2048-bin histogram with linear
// interpolation inside the bin.
//
//   symmetric schemes:   a histogram of |x| (as TensorRT's percentile
//                        calibration); the range is [-t, t], t the p-th
//                        percentile of |x|.
//   asymmetric schemes:  a histogram of x; the range is from the (100 - p)-th
//                        to the p-th percentile of x.
//
// The estimate is within one bin width ((max - min) / bins) of the exact
// percentile of the data; on heavy tails that width is set by the outliers.

#include <algorithm>
#include <cstddef>
#include <string_view>

#include <xtensor/xexpression.hpp>

#include <mixq/calibration/histogram.hpp>
#include <mixq/calibration/observer_options.hpp>
#include <mixq/calibration/range_rule.hpp>
#include <mixq/config.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/core/scheme.hpp>

namespace mixq {

namespace detail {

/// The value below which a fraction q of a histogram's mass lies, mass
/// uniform inside each bin. q = 0 gives the start of the first non-empty bin.
inline float histogram_quantile(const double* h, std::size_t bins, float lo, float hi, double q) noexcept {
  if (!(lo < hi)) return lo;
  double total = 0.0;
  for (std::size_t i = 0; i < bins; ++i) total += h[i];
  const double target = q * total;
  const double width = (static_cast<double>(hi) - lo) / static_cast<double>(bins);
  double below = 0.0;
  for (std::size_t i = 0; i < bins; ++i) {
    if (h[i] > 0.0 && below + h[i] >= target) {
      const double inside = std::clamp((target - below) / h[i], 0.0, 1.0);
      const double v = static_cast<double>(lo) + (static_cast<double>(i) + inside) * width;
      return std::clamp(static_cast<float>(v), lo, hi);
    }
    below += h[i];
  }
  return hi;
}

}  // namespace detail

template <scheme S>
  requires ValidScheme<S>
class percentile_observer : public detail::histogram_observer_base<S, percentile_observer<S>> {
public:
  using options = percentile_options;
  static constexpr std::string_view name = "percentile";

  explicit percentile_observer(const options& o = {})
      : detail::histogram_observer_base<S, percentile_observer>(o.bins, S.symmetric, o.non_finite, 1),
        percentile_(o.percentile) {
    if (!(percentile_ >= 50.0 && percentile_ <= 100.0)) {
      MIXQ_THROW(error, "mixq::percentile_observer: options.percentile = {} is invalid; expected 50 <= p <= 100",
                 percentile_);
    }
  }

  /// The clipping range for channel c.
  clip_range clipping_range(std::size_t c) const {
    const auto& h = this->hist_;
    const double q = percentile_ / 100.0;
    if constexpr (S.symmetric) {
      const float t = detail::histogram_quantile(h.counts(c), h.bins(), h.lo(c), h.hi(c), q);
      return {-t, t};
    } else {
      return {detail::histogram_quantile(h.counts(c), h.bins(), h.lo(c), h.hi(c), 1.0 - q),
              detail::histogram_quantile(h.counts(c), h.bins(), h.lo(c), h.hi(c), q)};
    }
  }

  /// merge() takes only an observer that clips at the same percentile.
  void check_same_options(const percentile_observer& other, std::string_view where) const {
    if (other.percentile_ != percentile_) {
      MIXQ_THROW(error, "{}: the other observer clips at the {}th percentile but this one at the {}th; expected the "
                 "same", where, other.percentile_, percentile_);
    }
  }

  double percentile() const noexcept { return percentile_; }

private:
  double percentile_;
};

}  // namespace mixq
