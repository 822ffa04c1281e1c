#pragma once
// The layers without weights on activation codes, for the integer
// executors. Codes travel as one 8-bit lane per code whatever their width
// (uint8 or int8 bit patterns); a b-bit tensor's codes lie in its b-bit range.
//
// Rescaling follows TFLite: fixed-point multipliers (core/fixed_point.hpp),
// a residual add scales each input by its own multiplier after a left shift
// of 20 bits, pooling divides through a multiplier per window size. An
// elementwise map of one tensor (requantize to other parameters, a clamp)
// is a 256-entry table.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>
#include <tuple>
#include <vector>

#include <mixq/config.hpp>
#include <mixq/core/fixed_point.hpp>
#include <mixq/kernels/args.hpp>
#include <mixq/kernels/requantize.hpp>
#include <mixq/model/graph.hpp>

namespace mixq::detail {

MIXQ_INLINE std::int32_t lane_code(std::uint8_t lane, bool is_signed) noexcept {
  return is_signed ? static_cast<std::int32_t>(static_cast<std::int8_t>(lane)) : static_cast<std::int32_t>(lane);
}

/// Codes [lo, hi] of a fused clamp under output parameters p, as TFLite
/// computes an activation range: quantize each bound, keep it in range.
inline std::pair<std::int32_t, std::int32_t> clamp_codes(const fused_clamp& c, const activation_params& p) {
  std::int32_t lo = p.qmin(), hi = p.qmax();
  auto code = [&](float x) {
    const double q = static_cast<double>(p.zero_point) + std::round(static_cast<double>(x) / p.scale);
    return q;
  };
  if (c.lo > -std::numeric_limits<float>::infinity()) lo = static_cast<std::int32_t>(std::max<double>(lo, code(c.lo)));
  if (c.hi < std::numeric_limits<float>::infinity()) hi = static_cast<std::int32_t>(std::min<double>(hi, code(c.hi)));
  if (lo > hi) lo = hi;
  return {lo, hi};
}

/// The fixed-point multiplier of `real` (finite, >= 0: quantize_multiplier
/// checks it) for values up to `reach` in magnitude. The requantize rule
/// needs reach * 2^shift to fit in int32: activation scales out of all
/// proportion (a file's, say) could break that, and are an error naming
/// `where` rather than codes that wrap.
inline fixed_multiplier multiplier_of(double real, double reach, std::string_view where) {
  const fixed_multiplier m = quantize_multiplier(real);
  if (m.shift > 30 || (m.shift > 0 && reach * std::ldexp(1.0, m.shift) > 2147483647.0)) {
    MIXQ_THROW(error, "{}: a requantization multiplier of {:g} (a ratio of scales) is too large for values up to {:g}; "
                      "expected at most {:g} -- are the quantization scales of this layer's input and output right?",
               where, real, reach, 2147483647.0 / reach);
  }
  return m;
}

/// q = clamp(zp_out + M * (code - zp_in), lo, hi): the elementwise map from one
/// set of parameters to another, with a clamp.
struct code_table {
  std::array<std::uint8_t, 256> map{};

  static code_table requantize(const activation_params& from, const activation_params& to, std::int32_t lo,
                               std::int32_t hi, std::string_view where) {
    code_table t;
    const bool same = from.scale == to.scale && from.zero_point == to.zero_point;
    const fixed_multiplier m =
        same ? fixed_multiplier{} : multiplier_of(static_cast<double>(from.scale) / to.scale, 255.0, where);
    for (int lane = 0; lane < 256; ++lane) {
      const std::int32_t code = lane_code(static_cast<std::uint8_t>(lane), from.is_signed);
      std::int64_t q = same ? code : std::int64_t{to.zero_point} +
                                         multiply_by_quantized_multiplier(code - from.zero_point, m);
      q = std::clamp<std::int64_t>(q, lo, hi);
      t.map[static_cast<std::size_t>(lane)] = static_cast<std::uint8_t>(q);
    }
    return t;
  }

  void apply(const std::uint8_t* in, std::size_t n, std::uint8_t* out) const noexcept {
    for (std::size_t i = 0; i < n; ++i) out[i] = map[in[i]];
  }
};

/// The quantized add (kernels/add.hpp). TFLite's rule: both inputs to a
/// common fixed-point scale (2 x the larger input scale, with 20 bits of
/// headroom), summed, then to the output:
///
///   out = clamp(zp_out + M_out * (M_a * ((a - zp_a) << 20) + M_b * ((b - zp_b) << 20)))
///
/// The float32 rule: each input's centred codes times its scale over the
/// output's, in fp32.
struct add_params {
  static constexpr int left_shift = 20;
  add_input a, b;  // without data
  requantize_rule rule = requantize_rule::tflite;
  fixed_multiplier out_multiplier{};
  std::int32_t zero_point = 0, lo = 0, hi = 255;
  bool is_signed = false;

  add_params() = default;
  add_params(const activation_params& pa, const activation_params& pb, const activation_params& out,
             const fused_clamp& clamp, requantize_rule rule_, std::string_view where)
      : rule(rule_), zero_point(out.zero_point), is_signed(out.is_signed) {
    const double twice_max = 2.0 * std::max<double>(pa.scale, pb.scale);
    const double term = 255.0 * (1 << left_shift);  // |code - zero point| * 2^left_shift
    a = {nullptr, pa.is_signed, pa.zero_point, {}, static_cast<float>(static_cast<double>(pa.scale) / out.scale)};
    b = {nullptr, pb.is_signed, pb.zero_point, {}, static_cast<float>(static_cast<double>(pb.scale) / out.scale)};
    if (rule == requantize_rule::tflite) {
      a.multiplier = multiplier_of(pa.scale / twice_max, term, where);
      b.multiplier = multiplier_of(pb.scale / twice_max, term, where);
      out_multiplier = multiplier_of(twice_max / (static_cast<double>(std::int64_t{1} << left_shift) * out.scale),
                                     2.0 * term, where);
    }
    std::tie(lo, hi) = clamp_codes(clamp, out);
  }

  /// The kernel's arguments for n codes of each input.
  add_args args(const std::uint8_t* x, const std::uint8_t* y, std::size_t n, std::uint8_t* out) const noexcept {
    add_args r{.a = a, .b = b, .n = n, .rule = rule, .left_shift = left_shift, .multiplier = out_multiplier,
               .zero_point = zero_point, .min = lo, .max = hi, .is_signed = is_signed, .out = out};
    r.a.data = x;
    r.b.data = y;
    return r;
  }
};

/// Average pooling: out = zp_out + M(count) * (sum of (code - zp_in)), where
/// M(count) = in_scale / (count * out_scale), one multiplier per window size.
struct average_params {
  activation_params in, out;
  std::vector<fixed_multiplier> by_count;  ///< index: the divisor
  std::int32_t lo = 0, hi = 255;

  average_params() = default;
  average_params(const activation_params& in_, const activation_params& out_, std::size_t max_count,
                 std::string_view where)
      : in(in_), out(out_), lo(out_.qmin()), hi(out_.qmax()) {
    by_count.resize(max_count + 1);
    for (std::size_t c = 1; c <= max_count; ++c) {
      const double count = static_cast<double>(c);
      by_count[c] = multiplier_of(static_cast<double>(in.scale) / (count * out.scale), 255.0 * count, where);
    }
  }

  /// The requantize of sums over `count` codes.
  requantize_params output(std::size_t count) const noexcept {
    requantize_params p;
    p.multiplier = &by_count[count];
    p.zero_point = out.zero_point;
    p.min = lo;
    p.max = hi;
    p.bits = 8;
    p.is_signed = out.is_signed;
    return p;
  }

  MIXQ_INLINE std::uint8_t finish(std::int32_t sum, std::size_t count) const noexcept {
    const std::int64_t q = std::int64_t{out.zero_point} + multiply_by_quantized_multiplier(sum, by_count[count]);
    return static_cast<std::uint8_t>(std::clamp<std::int64_t>(q, lo, hi));
  }
};

/// Max or average pooling on codes, pixels [first, end). Max pooling keeps
/// the input's parameters; average pooling rescales through `avg`.
inline void code_pool(const std::uint8_t* x, const tensor_shape& in, const pool_op& op, bool is_signed,
                      const average_params* avg, std::uint8_t* y, std::size_t first_pixel, std::size_t end_pixel,
                      std::int32_t* sums) noexcept {
  const window& w = op.geometry;
  const std::size_t oh = w.out_height(in.height), ow = w.out_width(in.width), c = in.channels;
  for (std::size_t p = first_pixel; p < end_pixel; ++p) {
    const std::size_t img = p / (oh * ow), yo = (p / ow) % oh, xo = p % ow;
    std::uint8_t* out = y + p * c;
    if (op.max) {
      // Max of the codes lane by lane, as bytes of the codes' own signedness
      // (loops the compiler turns into byte max instructions).
      bool any = false;
      for_each_window_pixel(w, in, img, yo, xo, [&](std::size_t pixel, std::size_t) {
        const std::uint8_t* src = x + pixel * c;
        if (!any) {
          std::memcpy(out, src, c);
        } else if (is_signed) {
          for (std::size_t i = 0; i < c; ++i) {
            out[i] = static_cast<std::uint8_t>(std::max(static_cast<std::int8_t>(out[i]), static_cast<std::int8_t>(src[i])));
          }
        } else {
          for (std::size_t i = 0; i < c; ++i) out[i] = std::max(out[i], src[i]);
        }
        any = true;
      });
      if (!any) std::memset(out, 0, c);  // a window wholly in the padding: the network's checks rule it out
      continue;
    }
    std::fill(sums, sums + c, 0);
    std::size_t count = 0;
    for_each_window_pixel(w, in, img, yo, xo, [&](std::size_t pixel, std::size_t) {
      ++count;
      const std::uint8_t* src = x + pixel * c;
      for (std::size_t i = 0; i < c; ++i) sums[i] += lane_code(src[i], is_signed) - avg->in.zero_point;
    });
    const std::size_t divisor = op.count_include_pad ? pool_window_size(w, in, yo, xo) : count;
    for (std::size_t i = 0; i < c; ++i) out[i] = avg->finish(sums[i], divisor);
  }
}

/// NHWC image -> ONNX's (C, H, W) order, for `images` images of any element type.
template <class T>
void flatten_chw(const T* x, const tensor_shape& in, std::size_t images, T* y) noexcept {
  const std::size_t hw = in.height * in.width, c = in.channels;
  if (hw == 1 || c == 1) {
    std::memcpy(y, x, images * hw * c * sizeof(T));
    return;
  }
  for (std::size_t img = 0; img < images; ++img) {
    const T* src = x + img * hw * c;
    T* dst = y + img * hw * c;
    for (std::size_t p = 0; p < hw; ++p) {
      for (std::size_t i = 0; i < c; ++i) dst[i * hw + p] = src[p * c + i];
    }
  }
}

}  // namespace mixq::detail
