#pragma once
// A layer's weights re-quantized into a target format, with weight
// correction: the target's scale fitted to the source values by least
// squares, and the expected shift of each output the rounding causes,
// -sum_k dW[n][k] * E[x_k], returned for the bias to absorb.
//
// The weights are an N x K matrix of real values (source codes x scales, or
// float weights); rows are output channels.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include <mixq/config.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/model/graph.hpp>

namespace mixq {

/// Weight codes a target takes: signed, zero point 0.
struct weight_format {
  int bits = 8;             ///< 8, 4 or 2
  bool narrow = true;       ///< [-(2^(b-1) - 1), 2^(b-1) - 1] rather than from -2^(b-1)
  bool per_channel = true;  ///< one scale per output channel, else one for the layer
  bool pow2 = false;        ///< scales are powers of two
  bool operator==(const weight_format&) const = default;
};

/// One layer's weights in the target format and what the conversion cost.
struct converted_weights {
  std::vector<std::int8_t> codes;  ///< N x K
  std::vector<float> scale;        ///< one per output channel, or one (per-tensor)
  std::vector<double> bias_shift;  ///< per output channel, to add to the real bias (0 without correction)
  bool exact = false;              ///< every weight value kept
  double max_abs_error = 0;
  double sqnr_db = std::numeric_limits<double>::infinity();
};

namespace detail {

inline double group_error(std::span<const double> w, double s, std::int32_t lo, std::int32_t hi) {
  double err = 0.0;
  for (const double x : w) {
    const double q = std::clamp(std::nearbyint(x / s), static_cast<double>(lo), static_cast<double>(hi));
    err += (x - q * s) * (x - q * s);
  }
  return err;
}

// The scale of one group of weights (a channel, or the whole layer).
inline double fit_weight_scale(std::span<const double> w, const weight_format& f, bool least_squares,
                               std::string_view where) {
  const std::int32_t hi = (1 << (f.bits - 1)) - 1, lo = f.narrow ? -hi : -hi - 1;
  double amax = 0.0;
  for (const double x : w) amax = std::max(amax, std::fabs(x));
  if (amax == 0.0) return 1.0;  // every code 0
  double s = amax / hi;         // no clipping
  if (f.pow2) {
    const int e = static_cast<int>(std::ceil(std::log2(s)));
    int best = e;
    if (least_squares) {
      double best_err = -1.0;
      for (int c = e; c >= e - 2; --c) {
        const double err = group_error(w, std::ldexp(1.0, c), lo, hi);
        if (best_err < 0.0 || err < best_err) {
          best_err = err;
          best = c;
        }
      }
    }
    if (best < pow2_exponent_min || best > pow2_exponent_max) {
      MIXQ_THROW(error, "{}: weights up to {} need a power-of-two scale 2^{}; expected {} <= exponent <= {}", where,
                 amax, best, pow2_exponent_min, pow2_exponent_max);
    }
    return std::ldexp(1.0, best);
  }
  if (!least_squares) return static_cast<double>(static_cast<float>(s));
  // Alternating least squares: the best codes for a scale, then the best scale
  // for those codes; each step lowers the squared error, so it settles.
  for (int it = 0; it < 32; ++it) {
    double num = 0.0, den = 0.0;
    for (const double x : w) {
      const double q = std::clamp(std::nearbyint(x / s), static_cast<double>(lo), static_cast<double>(hi));
      num += x * q;
      den += q * q;
    }
    const double next = static_cast<double>(static_cast<float>(num / den));
    if (!(next > 0.0) || next == s) break;
    if (group_error(w, next, lo, hi) >= group_error(w, s, lo, hi)) break;
    s = next;
  }
  return s;
}

}  // namespace detail

/// Re-quantizes an N x K matrix `w` of real weight values into format `f`.
/// `source` (optional) holds the codes behind the values: where the target
/// can keep them at their scale (less their zero point), it does, exactly. With `correction`, scales
/// are fitted by least squares and, given `input_mean` (E[x_k], K entries),
/// `bias_shift[n] = -sum_k dW[n][k] * E[x_k]`. `where` names the layer in errors.
inline converted_weights convert_weights(std::span<const double> w, std::size_t n, std::size_t k,
                                         const weight_format& f, const source_weights* source, bool correction,
                                         std::span<const double> input_mean, std::string_view where) {
  if (!(f.bits == 8 || f.bits == 4 || f.bits == 2)) {
    MIXQ_THROW(error, "{}: weight bits = {}; expected 8, 4 or 2", where, f.bits);
  }
  const std::int32_t hi = (1 << (f.bits - 1)) - 1, lo = f.narrow ? -hi : -hi - 1;
  converted_weights out;
  out.codes.resize(n * k);
  out.bias_shift.assign(n, 0.0);
  const std::size_t groups = f.per_channel ? n : 1, per = f.per_channel ? k : n * k;

  // A group keeps the source's codes at their scale where every code fits
  // and the scale is allowed (one scale per group, a power of two if asked).
  auto keeps = [&](std::size_t g) {
    if (source == nullptr || source->codes.size() != n * k) return false;
    const float s = source->scale_of(g * (f.per_channel ? 1 : 0));
    int e = 0;
    if (f.pow2 && std::frexp(s, &e) != 0.5f) return false;
    for (std::size_t r = f.per_channel ? g : 0; r < (f.per_channel ? g + 1 : n); ++r) {
      if (source->scale_of(r) != s) return false;
    }
    for (std::size_t i = g * per; i < (g + 1) * per; ++i) {
      const std::int32_t c = source->codes[i] - source->zero_point_of(i / k);
      if (c < lo || c > hi) return false;
    }
    return true;
  };
  out.scale.resize(groups);
  for (std::size_t g = 0; g < groups; ++g) {
    if (keeps(g)) {
      // The zero point goes away exactly: the codes move by it at the same scale.
      out.scale[g] = source->scale_of(g * (f.per_channel ? 1 : 0));
      for (std::size_t i = g * per; i < (g + 1) * per; ++i) {
        out.codes[i] = static_cast<std::int8_t>(source->codes[i] - source->zero_point_of(i / k));
      }
      continue;
    }
    const std::span<const double> group = w.subspan(g * per, per);
    const double s = detail::fit_weight_scale(group, f, correction, where);
    out.scale[g] = static_cast<float>(s);
    for (std::size_t i = 0; i < per; ++i) {
      const double q = std::clamp(std::nearbyint(group[i] / static_cast<double>(out.scale[g])),
                                  static_cast<double>(lo), static_cast<double>(hi));
      out.codes[g * per + i] = static_cast<std::int8_t>(q);
    }
  }

  double signal = 0.0, noise = 0.0;
  for (std::size_t r = 0; r < n; ++r) {
    const double s = out.scale[f.per_channel ? r : 0];
    double shift = 0.0;
    for (std::size_t j = 0; j < k; ++j) {
      const double x = w[r * k + j];
      const double d = s * out.codes[r * k + j] - x;
      signal += x * x;
      noise += d * d;
      out.max_abs_error = std::max(out.max_abs_error, std::fabs(d));
      if (!input_mean.empty()) shift -= d * input_mean[j];
    }
    if (correction) out.bias_shift[r] = shift;
  }
  out.exact = noise == 0.0;
  out.sqnr_db = noise == 0.0 ? std::numeric_limits<double>::infinity()
                : signal == 0.0 ? -std::numeric_limits<double>::infinity()
                                : 10.0 * std::log10(signal / noise);
  return out;
}

}  // namespace mixq
