#pragma once
// Re-quantizing a quantized tensor into another scheme without its float
// values: the codes and parameters of the source are all there is.
//
//   auto [q4, report] = mixq::requantize<mixq::schemes::int4_sym>(q8);
//   report.exact, report.max_abs_error, report.sqnr_db
//
// requantize chooses the target's parameters; mixq::convert<To>(q, p)
// (tensor/convert.hpp) re-quantizes under parameters given, and
// conversion_error(q, converted) reports on it.
//
// The target keeps the source's scale wherever it can represent every source
// code at it (signed <-> unsigned, per-tensor -> per-channel, wider codes,
// real -> power-of-two when the scale already is one, symmetric ->
// asymmetric): those conversions are exact and the report says so. Otherwise
// the target's parameters are fitted to the source's values (the range of
// each target channel; see requant_options) and the values re-quantized by
// the quantize rule. The report is measured, never assumed.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include <xtensor/xtensor.hpp>

#include <mixq/config.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/core/scheme.hpp>
#include <mixq/tensor/qtensor.hpp>
#include <mixq/tensor/quantize.hpp>

namespace mixq {

/// How a power-of-two target chooses its exponent when it must refit.
enum class exponent_rule {
  no_clip,        ///< the smallest 2^e that covers the range: e = ceil(log2(real scale))
  least_squares,  ///< of ceil .. ceil - 3, the exponent of least squared error over the actual values
};

/// How a target with fewer bits than the source reads the codes when it must refit.
enum class narrowing_rule {
  refit,   ///< a new scale from the range of the values, then the quantize rule
  nested,  ///< the nested view: scale x 2^(from bits - to bits), codes by a rounding shift
           ///< ((q - zp + 2^(d-1)) >> d, ties up), saturating at the target's range; for a
           ///< symmetric target whose channel one source scale covers (else: refit)
};

struct requant_options {
  exponent_rule exponent = exponent_rule::no_clip;
  narrowing_rule narrowing = narrowing_rule::refit;
};

/// What a conversion did to the values, measured against the source's dequantized values.
struct requant_report {
  bool exact = true;          ///< every value identical
  double max_abs_error = 0;   ///< max |target - source|
  double sqnr_db = std::numeric_limits<double>::infinity();  ///< 10 log10(sum source^2 / sum error^2)
  std::size_t elements = 0;
};

template <scheme S, std::size_t R>
struct requantized {
  qtensor<S, R> tensor;
  requant_report report;
};

namespace detail {

// Source code, value and target channel of every element, flat in row-major order.
struct requant_elements {
  std::vector<std::int32_t> code;
  std::vector<float> scale;
  std::vector<std::int32_t> zero_point;
  std::vector<std::size_t> channel;  // the target's channel
  std::size_t channels = 1;
};

template <std::size_t R>
std::vector<std::size_t> channel_of_elements(const std::array<std::size_t, R>& shape, int axis) {
  std::size_t n = 1;
  for (const auto d : shape) n *= d;
  std::vector<std::size_t> c(n, 0);
  if (axis < 0) return c;
  std::size_t inner = 1;
  for (std::size_t a = static_cast<std::size_t>(axis) + 1; a < R; ++a) inner *= shape[a];
  const std::size_t extent = shape[static_cast<std::size_t>(axis)];
  for (std::size_t i = 0; i < n; ++i) c[i] = (i / inner) % extent;
  return c;
}

// The exponent of a power of two, or nullopt when `s` is not one.
inline std::optional<int> exact_exponent(float s) noexcept {
  int e = 0;
  const float m = std::frexp(s, &e);
  if (m != 0.5f) return std::nullopt;
  return e - 1;
}

// Quantize rule in one place for the refit paths (float32, ties to even, clamped).
inline std::int32_t requant_code(float value, float scale, std::int32_t zp, code_range r) noexcept {
  const float q = std::nearbyint(value * (1.0f / scale)) + static_cast<float>(zp);
  return static_cast<std::int32_t>(std::clamp(q, static_cast<float>(r.lo), static_cast<float>(r.hi)));
}

// One target channel's parameters and codes.
struct channel_fit {
  float scale = 1.0f;
  int exponent = 0;
  std::int32_t zero_point = 0;
};

template <scheme To>
channel_fit fit_channel(const std::vector<std::size_t>& members, const requant_elements& el,
                        const std::vector<float>& values, std::vector<std::int32_t>& codes, scheme from,
                        const requant_options& opt) {
  const int from_bits = from.bits;
  constexpr code_range r = code_range_of(To);
  channel_fit fit;
  // 1. The source's own scale, if one scale and zero point cover the channel and a shift of the codes fits.
  const float s0 = el.scale[members.front()];
  const std::int32_t z0 = el.zero_point[members.front()];
  bool uniform = true;
  std::int32_t lo = std::numeric_limits<std::int32_t>::max(), hi = std::numeric_limits<std::int32_t>::min();
  for (const std::size_t i : members) {
    uniform = uniform && el.scale[i] == s0 && el.zero_point[i] == z0;
    lo = std::min(lo, el.code[i] - z0);
    hi = std::max(hi, el.code[i] - z0);
  }
  const auto e0 = exact_exponent(s0);
  if (uniform && (!is_pow2(To) || (e0 && *e0 >= pow2_exponent_min && *e0 <= pow2_exponent_max))) {
    std::int32_t zp = default_zero_point(To);
    bool fits = lo + zp >= r.lo && hi + zp <= r.hi;
    if (!To.symmetric) {
      // Any zero point in range that keeps every code inside it; preferably the
      // source's, moved as the code range moves (uint8 z -> int8 z - 128).
      const std::int32_t zmin = std::max(r.lo, r.lo - lo), zmax = std::min(r.hi, r.hi - hi);
      fits = zmin <= zmax;
      if (fits) zp = std::clamp(z0 + (r.lo - code_range_of(from).lo), zmin, zmax);
    }
    if (fits) {
      fit = {s0, e0.value_or(0), zp};
      for (const std::size_t i : members) codes[i] = el.code[i] - z0 + zp;
      return fit;
    }
  }
  // 2. The nested view: a rounding shift of the codes.
  if (opt.narrowing == narrowing_rule::nested && uniform && To.bits < from_bits && To.symmetric) {
    const int d = from_bits - To.bits;
    const float s = std::ldexp(s0, d);
    const auto e = exact_exponent(s);
    if (!is_pow2(To) || (e && *e >= pow2_exponent_min && *e <= pow2_exponent_max)) {
      fit = {s, e.value_or(0), default_zero_point(To)};
      for (const std::size_t i : members) {
        const std::int32_t shifted = (el.code[i] - z0 + (1 << (d - 1))) >> d;
        codes[i] = std::clamp(shifted + fit.zero_point, r.lo, r.hi);
      }
      return fit;
    }
  }
  // 3. Refit to the range of the values.
  float vmin = 0.0f, vmax = 0.0f;
  for (const std::size_t i : members) {
    vmin = std::min(vmin, values[i]);
    vmax = std::max(vmax, values[i]);
  }
  float real = 0.0f;
  std::int32_t zp = default_zero_point(To);
  if (To.symmetric) {
    // Symmetric codes cover [-qmax, qmax] around the fixed zero point.
    const std::int32_t reach = std::min(r.hi - zp, zp - r.lo);
    real = std::max(std::fabs(vmin), std::fabs(vmax)) / static_cast<float>(reach);
  } else {
    real = (vmax - vmin) / static_cast<float>(r.hi - r.lo);
  }
  if (!(real > 0.0f)) real = s0;  // every value 0: any scale represents them
  auto zero_point_for = [&](float s) {
    if (To.symmetric) return zp;
    const float z = static_cast<float>(r.lo) - std::nearbyint(vmin / s);
    return static_cast<std::int32_t>(std::clamp(z, static_cast<float>(r.lo), static_cast<float>(r.hi)));
  };
  if constexpr (is_pow2(To)) {
    const int ceil_e = static_cast<int>(std::ceil(std::log2(static_cast<double>(real))));
    int best = ceil_e;
    if (opt.exponent == exponent_rule::least_squares) {
      double best_err = -1.0;
      for (int e = ceil_e; e >= ceil_e - 3; --e) {
        if (e < pow2_exponent_min || e > pow2_exponent_max) continue;
        const float s = exp2i(e);
        const std::int32_t z = zero_point_for(s);
        double err = 0.0;
        for (const std::size_t i : members) {
          const double d = static_cast<double>(values[i]) -
                           static_cast<double>(s) * static_cast<double>(requant_code(values[i], s, z, r) - z);
          err += d * d;
        }
        if (best_err < 0.0 || err < best_err) {
          best_err = err;
          best = e;
        }
      }
    }
    if (best < pow2_exponent_min || best > pow2_exponent_max) {
      MIXQ_THROW(error, "mixq::requantize: a power-of-two scale for values up to {} needs exponent {}; expected {} <= "
                        "exponent <= {}",
                 std::max(std::fabs(vmin), std::fabs(vmax)), best, pow2_exponent_min, pow2_exponent_max);
    }
    fit = {exp2i(best), best, zero_point_for(exp2i(best))};
  } else {
    fit = {real, 0, zero_point_for(real)};
  }
  for (const std::size_t i : members) codes[i] = requant_code(values[i], fit.scale, fit.zero_point, r);
  return fit;
}

template <scheme To>
qparams<To> make_qparams(const std::vector<channel_fit>& fits) {
  qparams<To> p;
  if constexpr (is_per_channel(To)) {
    p.scale.clear();
    p.zero_point.clear();
    for (const auto& f : fits) {
      if constexpr (is_pow2(To)) p.exponent.push_back(f.exponent);
      p.scale.push_back(f.scale);
      p.zero_point.push_back(f.zero_point);
    }
  } else {
    if constexpr (is_pow2(To)) p.exponent = fits[0].exponent;
    p.scale = fits[0].scale;
    p.zero_point = fits[0].zero_point;
  }
  return p;
}

}  // namespace detail

/// Measures `to` against `from` value by value: exactness, max |error| and
/// SQNR -- the report of any conversion, e.g. of mixq::convert<To>(q, p)
/// (tensor/convert.hpp), which re-quantizes under parameters you give.
template <scheme To, scheme From, std::size_t R>
requant_report conversion_error(const qtensor<From, R>& from, const qtensor<To, R>& to) {
  const auto a = reference::dequantize(from);
  const auto b = reference::dequantize(to);
  requant_report rep;
  rep.elements = a.size();
  double signal = 0.0, noise = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double x = a.data()[i];
    const double e = static_cast<double>(b.data()[i]) - x;
    signal += x * x;
    noise += e * e;
    rep.max_abs_error = std::max(rep.max_abs_error, std::fabs(e));
  }
  rep.exact = noise == 0.0;
  rep.sqnr_db = noise == 0.0 ? std::numeric_limits<double>::infinity()
                : signal == 0.0 ? -std::numeric_limits<double>::infinity()
                                : 10.0 * std::log10(signal / noise);
  return rep;
}

/// Re-quantizes `q` into scheme `To`, choosing the target's parameters from
/// the source (see the header comment), and reports the error.
template <scheme To, scheme From, std::size_t R>
  requires(ValidScheme<To> && !is_binary(To) && !is_binary(From) &&
           (!is_per_channel(To) || static_cast<std::size_t>(To.axis) < R))
requantized<To, R> requantize(const qtensor<From, R>& q, const requant_options& opt = {}) {
  detail::requant_elements el;
  const auto values_t = reference::dequantize(q);
  const std::vector<float> values(values_t.begin(), values_t.end());
  const auto src_channel = detail::channel_of_elements<R>(q.shape(), From.axis);
  el.channel = detail::channel_of_elements<R>(q.shape(), To.axis);
  el.channels = is_per_channel(To) ? q.shape(static_cast<std::size_t>(To.axis)) : 1;
  el.code.assign(q.begin(), q.end());
  el.scale.resize(el.code.size());
  el.zero_point.resize(el.code.size());
  for (std::size_t i = 0; i < el.code.size(); ++i) {
    el.scale[i] = scale_of(q.params(), src_channel[i]);
    el.zero_point[i] = zero_point_of(q.params(), src_channel[i]);
  }
  std::vector<std::vector<std::size_t>> members(el.channels);
  for (std::size_t i = 0; i < el.code.size(); ++i) members[el.channel[i]].push_back(i);
  std::vector<std::int32_t> codes(el.code.size(), 0);
  std::vector<detail::channel_fit> fits(el.channels);
  for (std::size_t c = 0; c < el.channels; ++c) {
    if (members[c].empty()) {
      fits[c] = {1.0f, 0, default_zero_point(To)};
      continue;
    }
    fits[c] = detail::fit_channel<To>(members[c], el, values, codes, From, opt);
  }
  xt::xtensor<std::int32_t, R> code_tensor(q.shape());
  std::copy(codes.begin(), codes.end(), code_tensor.begin());
  requantized<To, R> out{from_int_repr(code_tensor, detail::make_qparams<To>(fits)), {}};
  out.report = conversion_error(q, out.tensor);
  return out;
}

}  // namespace mixq
