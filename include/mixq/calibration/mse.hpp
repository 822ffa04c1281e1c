#pragma once
// mse_observer: the clipping range whose quantizer has the smallest L2 error
// on a 2048-bin histogram of x. The method is a fine search, not OCTAV's
// fixed point: OCTAV assumes rounding noise of step^2 / 12 and a symmetric
// clip, while the search scores each candidate with the exact quantizer the
// range rule gives it (zero point, clamping, step), integrating (x - Q(x))^2
// over every bin with its mass spread uniformly inside it.
//
//   symmetric schemes:   t over a grid of 64 points on (0, max |x|], then twice
//                        16 points around the best; the range is [-t, t].
//   asymmetric schemes:  the same 1-D search first shrinks [min, max] as a
//                        whole (both ends by one factor), then the lower end
//                        with the upper fixed, the upper with the lower fixed,
//                        and the lower once more.
//
// The min-max range is always a candidate, so on the histogram the result is
// never worse than min-max.

#include <cmath>
#include <cstddef>
#include <algorithm>
#include <limits>
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

/// Minimises f over (0, top]: a grid of 64 points, then twice 16 points
/// around the best. Returns the argument (ties go to the larger).
template <class F>
double fine_search_1d(double top, F&& f) {
  double best_x = top, best_f = f(top);
  double lo = 0.0, hi = top;
  std::size_t points = 64;
  for (int round = 0; round < 3; ++round) {
    const double step = (hi - lo) / static_cast<double>(points);
    for (std::size_t k = points; k >= 1; --k) {
      const double x = lo + step * static_cast<double>(k);
      if (!(x > 0.0) || x == best_x) continue;
      const double v = f(x);
      if (v < best_f) {
        best_f = v;
        best_x = x;
      }
    }
    lo = std::max(0.0, best_x - step);
    hi = std::min(top, best_x + step);
    points = 16;
  }
  return best_x;
}

/// The search at the top of this file for channel c of an x histogram.
inline clip_range mse_search(const channel_histograms& hs, std::size_t c, const scheme_limits& r,
                                          std::string_view where) {
  const float lo = hs.lo(c), hi = hs.hi(c);
  auto score = [&](double a, double b) {
    const auto fa = static_cast<float>(a), fb = static_cast<float>(b);
    const channel_qparams p = real_params(r, fa, fb, where, c);
    return histogram_squared_error(model_of(r, p.scale, p.zero_point), hs.counts(c), hs.bins(), lo, hi);
  };
  if (r.symmetric) {
    const double top = std::max(std::fabs(static_cast<double>(lo)), std::fabs(static_cast<double>(hi)));
    if (top == 0.0) return {0.0f, 0.0f};
    const double t = fine_search_1d(top, [&](double v) { return score(-v, v); });
    return {static_cast<float>(-t), static_cast<float>(t)};
  }
  // The rule widens every range to include 0, so search the widened ends.
  const double low = std::min(static_cast<double>(lo), 0.0), high = std::max(static_cast<double>(hi), 0.0);
  if (low == 0.0 && high == 0.0) return {0.0f, 0.0f};
  const double shrink = fine_search_1d(1.0, [&](double a) { return score(low * a, high * a); });
  double a = low * shrink, b = high * shrink;
  auto search_low = [&] {
    if (low < 0.0) a = -fine_search_1d(-low, [&](double v) { return score(-v, b); });
  };
  auto search_high = [&] {
    if (high > 0.0) b = fine_search_1d(high, [&](double v) { return score(a, v); });
  };
  search_low();
  search_high();
  search_low();
  return {static_cast<float>(a), static_cast<float>(b)};
}

}  // namespace detail

template <scheme S>
  requires ValidScheme<S>
class mse_observer : public detail::histogram_observer_base<S, mse_observer<S>> {
public:
  using options = histogram_options;
  static constexpr std::string_view name = "mse";

  explicit mse_observer(const options& o = {})
      : detail::histogram_observer_base<S, mse_observer>(o.bins, false, o.non_finite, 1) {}

  /// The clipping range for channel c.
  clip_range clipping_range(std::size_t c) const {
    return detail::mse_search(this->hist_, c, detail::scheme_limits_of<S>(), "mixq::mse_observer::qparams");
  }
};

}  // namespace mixq
