#pragma once
// Scalar twin of kernels/requantize.hpp.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <mixq/core/bit_width.hpp>
#include <mixq/core/fixed_point.hpp>
#include <mixq/kernels/args.hpp>
#include <mixq/kernels/reference/codes.hpp>

namespace mixq::reference {

/// One value: clamp(zp + multiply_by_quantized_multiplier(x + offset, m), min, max).
inline std::int32_t requantize_value(std::int32_t x, std::int32_t offset, fixed_multiplier m, std::int32_t zero_point,
                                     std::int32_t min, std::int32_t max) {
  const auto sum = static_cast<std::int32_t>(static_cast<std::int64_t>(x) + offset);
  const std::int64_t q = std::int64_t{zero_point} + multiply_by_quantized_multiplier(sum, m);
  return static_cast<std::int32_t>(q < min ? min : (q > max ? max : q));
}

/// One value under requantize_rule::float32: float(x + offset) * scale (fp32
/// arithmetic), clamped to [min, max] - zero_point (a NaN goes to min),
/// rounded half to even, plus zero_point.
inline std::int32_t requantize_value_fp32(std::int32_t x, std::int32_t offset, float scale, std::int32_t zero_point,
                                          std::int32_t min, std::int32_t max) {
  const auto sum = static_cast<std::int32_t>(static_cast<std::int64_t>(x) + offset);
  const float f = static_cast<float>(sum) * scale;
  if (!(f > static_cast<float>(min - zero_point))) return min;
  if (!(f < static_cast<float>(max - zero_point))) return max;
  // Half to even, spelled out: f lies within a few hundred of zero, so
  // f - floor(f) is exact.
  const float whole = std::floor(f);
  const float fraction = f - whole;
  auto q = static_cast<std::int32_t>(whole);
  if (fraction > 0.5f || (fraction == 0.5f && (q & 1) != 0)) ++q;
  return q + zero_point;
}

/// The codes requantize_kernel writes for `a`, as packed rows
/// packed_row_bytes(cols, params.bits) apart.
inline std::vector<std::uint8_t> requantize(const requantize_args& a) {
  const requantize_params& p = a.params;
  const std::size_t row_bytes = packed_row_bytes(a.cols, p.bits);
  std::vector<std::uint8_t> out(a.rows * row_bytes, 0);
  for (std::size_t r = 0; r < a.rows; ++r) {
    for (std::size_t c = 0; c < a.cols; ++c) {
      const std::size_t k = p.per_channel ? c : 0;
      const std::int32_t x = a.x[r * a.x_stride + c], offset = p.offset ? p.offset[c] : 0;
      const std::int32_t q =
          p.rule == requantize_rule::float32
              ? requantize_value_fp32(x, offset, p.scale[k], p.zero_point, p.min, p.max)
              : requantize_value(x, offset, p.multiplier[k], p.zero_point, p.min, p.max);
      write_code(out.data() + r * row_bytes, c, p.bits, q);
    }
  }
  return out;
}

}  // namespace mixq::reference
