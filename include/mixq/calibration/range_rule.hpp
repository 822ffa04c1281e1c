#pragma once
// From a clipping range to quantization parameters, shared by every observer.
//
// The real-scale rule is PyTorch 1.13's (`_calculate_qparams`), in float32:
//   lo' = min(lo, 0), hi' = max(hi, 0)                       the range always holds 0
//   affine:     scale = (hi' - lo') / (qmax - qmin)
//               zp    = clamp(qmin - nearbyint(lo' / scale), qmin, qmax)   ties to even
//   symmetric:  scale = max(-lo', hi') / ((qmax - qmin) / 2)  -> /127.5 int8, /127 narrow
//               zp    = 0 (signed) or 2^(bits-1) (unsigned)
//   scale = max(scale, 2^-23)                                float32 epsilon, as PyTorch
//
// Power-of-two schemes take that real scale s and choose among the exponents
// floor(log2 s) - 1, floor(log2 s), floor(log2 s) + 1 the one whose
// quantizer has the smallest expected squared error under the observer's
// model of the data (a histogram, or the uniform distribution over [min, max]
// for the min-max observers); ties go to the exponent nearest log2 s, then to
// the larger. Asymmetric pow2 schemes recompute the zero point for each.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include <mixq/config.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/core/scheme.hpp>

namespace mixq::detail {

/// What the rule needs to know about a scheme, as run-time values so the
/// search code is compiled once rather than once per scheme.
struct scheme_limits {
  std::int32_t qmin;
  std::int32_t qmax;
  bool symmetric;
  bool binary;
  bool pow2;
  std::int32_t fixed_zero_point;
  int bits;
};

template <scheme S>
constexpr scheme_limits scheme_limits_of() noexcept {
  return {qmin(S), qmax(S), S.symmetric, is_binary(S), is_pow2(S), symmetric_zero_point(S), S.bits};
}

}  // namespace mixq::detail

namespace mixq {

/// A clipping range [lo, hi] an observer settled on for one channel (before
/// the range rule widens it to include 0).
struct clip_range {
  float lo = 0.0f;
  float hi = 0.0f;
  bool operator==(const clip_range&) const = default;
};

}  // namespace mixq

namespace mixq::detail {

/// One channel's parameters; `exponent` is meaningful for pow2 schemes only.
struct channel_qparams {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
  int exponent = 0;
};

/// float32 epsilon, PyTorch's floor for scales.
inline constexpr float scale_floor = 1.1920928955078125e-07f;

// PyTorch rounds the product before the sum; a fused multiply-add (which GCC
// forms at -ffp-contract=fast, its default, wherever FMA exists) would not.
inline float rounded_product(float a, float b) noexcept {
  volatile float p = a * b;
  return p;
}

inline std::int32_t affine_zero_point(const scheme_limits& r, float lo_neg, float scale) noexcept {
  const float shifted = std::nearbyint(lo_neg / scale);  // in [-(qmax - qmin), 0]: the scale covers lo'
  const auto zp = static_cast<std::int64_t>(r.qmin) - static_cast<std::int64_t>(shifted);
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(zp, r.qmin, r.qmax));
}

/// The real-scale rule above for one channel. Throws when the range is too
/// wide for a finite float32 scale.
inline channel_qparams real_params(const scheme_limits& r, float lo, float hi, std::string_view where, std::size_t channel) {
  const float lo_neg = std::min(lo, 0.0f);
  const float hi_pos = std::max(hi, 0.0f);
  channel_qparams p;
  if (r.symmetric) {
    const float amax = std::max(-lo_neg, hi_pos);
    p.scale = std::max(amax / (static_cast<float>(r.qmax - r.qmin) / 2.0f), scale_floor);
    p.zero_point = r.fixed_zero_point;
  } else {
    p.scale = std::max((hi_pos - lo_neg) / static_cast<float>(r.qmax - r.qmin), scale_floor);
  }
  if (!std::isfinite(p.scale)) {
    MIXQ_THROW(error,
               "{}: channel {}: the clipping range [{}, {}] needs scale = {}, which float32 cannot hold; expected a "
               "range narrower than about 3.4e38 * {}",
               where, channel, lo, hi, p.scale, r.qmax - r.qmin);
  }
  if (!r.symmetric) p.zero_point = affine_zero_point(r, lo_neg, p.scale);
  return p;
}

/// A channel's quantizer in double precision, for error models:
/// Q(x) = scale * clamp(round(x / scale), qmin - zp, qmax - zp), or
/// scale * sign(x) for the binary code.
struct quantizer_model {
  double scale;
  double low;   // (qmin - zp) * scale, the lowest value Q takes
  double high;  // (qmax - zp) * scale
  bool binary;
};

inline quantizer_model model_of(const scheme_limits& r, float scale, std::int32_t zero_point) noexcept {
  const double s = scale;
  return {s, s * static_cast<double>(r.qmin - zero_point), s * static_cast<double>(r.qmax - zero_point), r.binary};
}

inline double cube(double x) noexcept { return x * x * x; }

// G(u) = integral over [-1/2, u] of (t - round(t))^2 dt: each whole cell adds 1/12.
inline double rounding_error_primitive(double u) noexcept {
  const double shifted = u + 0.5;
  const double cells = std::floor(shifted);
  const double r = shifted - cells;
  return cells / 12.0 + (cube(r - 0.5) + 0.125) / 3.0;
}

/// Integral over [a, b] of (x - Q(x))^2 dx, exact for the model.
inline double squared_error_integral(const quantizer_model& q, double a, double b) noexcept {
  if (!(a < b)) return 0.0;
  if (q.binary) {
    double e = 0.0;
    if (a < 0.0) e += (cube(std::min(b, 0.0) + q.scale) - cube(a + q.scale)) / 3.0;
    if (b > 0.0) e += (cube(b - q.scale) - cube(std::max(a, 0.0) - q.scale)) / 3.0;
    return e;
  }
  double e = 0.0;
  if (a < q.low) e += (cube(std::min(b, q.low) - q.low) - cube(a - q.low)) / 3.0;
  if (b > q.high) e += (cube(b - q.high) - cube(std::max(a, q.high) - q.high)) / 3.0;
  const double m0 = std::max(a, q.low), m1 = std::min(b, q.high);
  if (m0 < m1) {
    e += cube(q.scale) * (rounding_error_primitive(m1 / q.scale) - rounding_error_primitive(m0 / q.scale));
  }
  return e;
}

/// (x - Q(x))^2 for one value.
inline double squared_error_at(const quantizer_model& q, double x) noexcept {
  double y;
  if (q.binary) {
    y = x >= 0.0 ? q.scale : -q.scale;
  } else {
    y = std::clamp(std::nearbyint(x / q.scale) * q.scale, q.low, q.high);
  }
  return (x - y) * (x - y);
}

/// Mean squared error of the model over values spread uniformly on [lo, hi]
/// (a point mass when lo == hi): the min-max observers' view of their data.
inline double uniform_mean_squared_error(const quantizer_model& q, double lo, double hi) noexcept {
  if (!(lo < hi)) return squared_error_at(q, lo);
  return squared_error_integral(q, lo, hi) / (hi - lo);
}

/// Total squared error of the model over a histogram of `bins` bins on
/// [lo, hi], each bin's mass spread uniformly over it (all mass at lo when
/// lo == hi).
inline double histogram_squared_error(const quantizer_model& q, const double* counts, std::size_t bins, double lo,
                                      double hi) noexcept {
  if (!(lo < hi)) {
    double total = 0.0;
    for (std::size_t i = 0; i < bins; ++i) total += counts[i];
    return total * squared_error_at(q, lo);
  }
  const double width = (hi - lo) / static_cast<double>(bins);
  double e = 0.0;
  for (std::size_t i = 0; i < bins; ++i) {
    if (counts[i] == 0.0) continue;
    const double a = lo + static_cast<double>(i) * width;
    e += counts[i] * squared_error_integral(q, a, a + width);
  }
  return e / width;
}

/// A borrowed callable, quantizer_model -> expected error under an
/// observer's model of its data. Type-erased so that the rule below is
/// compiled once rather than once per observer and scheme.
class error_model_ref {
public:
  template <class F>
  error_model_ref(const F& f) noexcept  // NOLINT: implicit, like a function_ref
      : self_(&f), call_([](const void* self, const quantizer_model& q) { return (*static_cast<const F*>(self))(q); }) {}
  double operator()(const quantizer_model& q) const { return call_(self_, q); }

private:
  const void* self_;
  double (*call_)(const void*, const quantizer_model&);
};

/// The pow2 rule above for one channel, given its real parameters.
inline channel_qparams pow2_params(const scheme_limits& r, float lo, const channel_qparams& real, std::string_view where,
                                  std::size_t channel, error_model_ref model_error) {
  int e2 = 0;
  (void)std::frexp(real.scale, &e2);  // scale = f * 2^e2, f in [0.5, 1): floor(log2 scale) = e2 - 1
  const int base = e2 - 1;
  const double log2_scale = std::log2(static_cast<double>(real.scale));
  const float lo_neg = std::min(lo, 0.0f);
  channel_qparams best;
  double best_error = std::numeric_limits<double>::infinity();
  double best_distance = std::numeric_limits<double>::infinity();
  bool found = false;
  for (int e = base - 1; e <= base + 1; ++e) {
    if (e < pow2_exponent_min || e > pow2_exponent_max) continue;
    channel_qparams c;
    c.exponent = e;
    c.scale = exp2i(e);
    c.zero_point = r.symmetric ? r.fixed_zero_point : affine_zero_point(r, lo_neg, c.scale);
    const double err = model_error(model_of(r, c.scale, c.zero_point));
    const double distance = std::fabs(static_cast<double>(e) - log2_scale);
    // Candidates come in increasing order, so "<=" on distance prefers the larger.
    if (!found || err < best_error || (err == best_error && distance <= best_distance)) {
      best = c;
      best_error = err;
      best_distance = distance;
      found = true;
    }
  }
  if (!found) {
    MIXQ_THROW(error, "{}: channel {}: a power-of-two scale near {} needs an exponent outside [{}, {}]", where,
               channel, real.scale, pow2_exponent_min, pow2_exponent_max);
  }
  return best;
}

/// The whole rule for one channel: real scale, then the pow2 choice when the
/// scheme asks for it.
inline channel_qparams range_params(const scheme_limits& r, float lo, float hi, std::string_view where, std::size_t channel,
                                   error_model_ref model_error) {
  const channel_qparams real = real_params(r, lo, hi, where, channel);
  if (!r.pow2) return real;
  return pow2_params(r, lo, real, where, channel, model_error);
}

/// Assembles qparams<S> from one channel_qparams per channel.
template <scheme S>
qparams<S> assemble_qparams(const std::vector<channel_qparams>& channels) {
  qparams<S> p;
  if constexpr (is_per_channel(S)) {
    p.scale.clear();
    p.zero_point.clear();
    for (const channel_qparams& c : channels) {
      if constexpr (is_pow2(S)) p.exponent.push_back(c.exponent);
      p.scale.push_back(c.scale);
      p.zero_point.push_back(c.zero_point);
    }
  } else {
    if constexpr (is_pow2(S)) p.exponent = channels.front().exponent;
    p.scale = channels.front().scale;
    p.zero_point = channels.front().zero_point;
  }
  return p;
}

}  // namespace mixq::detail
