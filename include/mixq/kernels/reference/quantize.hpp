#pragma once
// Scalar twin of kernels/quantize.hpp: the rules of core/quantize_rule.hpp
// applied one value at a time.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <mixq/core/bit_width.hpp>
#include <mixq/core/quantize_rule.hpp>
#include <mixq/core/scheme.hpp>
#include <mixq/kernels/quantize.hpp>
#include <mixq/kernels/reference/codes.hpp>

namespace mixq::reference {

namespace detail {
inline std::size_t channel_of(channel_axis axis, std::size_t r, std::size_t c) noexcept {
  return axis == channel_axis::tensor ? 0 : axis == channel_axis::row ? r : c;
}
}  // namespace detail

/// Packed rows (packed_row_bytes(cols, s.bits) apart) of the codes of x.
inline std::vector<std::uint8_t> quantize(scheme s, const float* x, std::size_t rows, std::size_t cols,
                                          std::size_t x_stride, const float* scale, const std::int32_t* zero_point,
                                          channel_axis axis) {
  const std::size_t row_bytes = packed_row_bytes(cols, s.bits);
  std::vector<std::uint8_t> out(rows * row_bytes, 0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const std::size_t ch = detail::channel_of(axis, r, c);
      const float v = x[r * x_stride + c];
      const std::int32_t q = is_binary(s) ? quantize_binary(v)
                                          : quantize_code(v, 1.0f / scale[ch], zero_point[ch], qmin(s), qmax(s));
      write_code(out.data() + r * row_bytes, c, s.bits, q);
    }
  }
  return out;
}

/// rows x cols floats (no padding) of packed rows `q_stride` bytes apart.
inline std::vector<float> dequantize(scheme s, const std::uint8_t* q, std::size_t rows, std::size_t cols,
                                     std::size_t q_stride, const float* scale, const std::int32_t* zero_point,
                                     channel_axis axis) {
  std::vector<float> out(rows * cols);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const std::size_t ch = detail::channel_of(axis, r, c);
      out[r * cols + c] = dequantize_code(read_code(q + r * q_stride, c, s.bits, s.is_signed), scale[ch], zero_point[ch]);
    }
  }
  return out;
}

}  // namespace mixq::reference
