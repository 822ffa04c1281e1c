#pragma once
// Scalar twin of kernels/quantize.hpp: the rules of core/quantize_rule.hpp
// applied one value at a time.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <mixq/core/bit_width.hpp>
#include <mixq/core/quantize_rule.hpp>
#include <mixq/core/scheme.hpp>
#include <mixq/kernels/args.hpp>
#include <mixq/kernels/reference/codes.hpp>

namespace mixq::reference {

namespace detail {
inline std::size_t channel_of(channel_axis axis, std::size_t r, std::size_t c) noexcept {
  return axis == channel_axis::tensor ? 0 : axis == channel_axis::row ? r : c;
}
}  // namespace detail

/// The codes quantize_kernel writes for `a`, as packed rows
/// packed_row_bytes(cols, scheme.bits) apart.
inline std::vector<std::uint8_t> quantize(const quantize_args& a) {
  const scheme s = a.scheme;
  const std::size_t row_bytes = packed_row_bytes(a.cols, s.bits);
  std::vector<std::uint8_t> out(a.rows * row_bytes, 0);
  for (std::size_t r = 0; r < a.rows; ++r) {
    for (std::size_t c = 0; c < a.cols; ++c) {
      const std::size_t ch = detail::channel_of(a.channels.axis, r, c);
      const float v = a.x[r * a.x_stride + c];
      const std::int32_t q = is_binary(s) ? quantize_binary(v)
                                          : quantize_code(v, 1.0f / a.channels.scale[ch], a.channels.zero_point[ch],
                                                          qmin(s), qmax(s));
      write_code(out.data() + r * row_bytes, c, s.bits, q);
    }
  }
  return out;
}

/// The floats dequantize_kernel writes for `a`, rows of `cols` without padding.
inline std::vector<float> dequantize(const dequantize_args& a) {
  const scheme s = a.scheme;
  std::vector<float> out(a.rows * a.cols);
  for (std::size_t r = 0; r < a.rows; ++r) {
    for (std::size_t c = 0; c < a.cols; ++c) {
      const std::size_t ch = detail::channel_of(a.channels.axis, r, c);
      out[r * a.cols + c] = dequantize_code(read_code(a.q + r * a.q_stride, c, s.bits, s.is_signed),
                                            a.channels.scale[ch], a.channels.zero_point[ch]);
    }
  }
  return out;
}

}  // namespace mixq::reference
