#pragma once
// Scalar twin of kernels/pack.hpp: one code at a time through codes.hpp.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <mixq/core/bit_width.hpp>
#include <mixq/kernels/args.hpp>
#include <mixq/kernels/reference/codes.hpp>

namespace mixq::reference {

/// The packed rows pack_kernel writes for `a`, packed_row_bytes(cols, bits)
/// apart. Lanes hold codes of the target width as int8 or uint8 bit patterns
/// (binary: -1 / +1).
inline std::vector<std::uint8_t> pack(const pack_args& a) {
  const std::size_t row_bytes = packed_row_bytes(a.cols, a.bits);
  std::vector<std::uint8_t> out(a.rows * row_bytes, 0);
  for (std::size_t r = 0; r < a.rows; ++r) {
    for (std::size_t c = 0; c < a.cols; ++c) {
      const std::uint8_t lane = a.lanes[r * a.lane_stride + c];
      // As int8: the same low bits for unsigned codes, the sign for binary ones.
      const std::int32_t code = static_cast<std::int8_t>(lane);
      write_code(out.data() + r * row_bytes, c, a.bits, code);
    }
  }
  return out;
}

/// The lanes unpack_kernel writes for `a`, rows of `cols` lanes without padding.
inline std::vector<std::uint8_t> unpack(const unpack_args& a) {
  std::vector<std::uint8_t> out(a.rows * a.cols);
  for (std::size_t r = 0; r < a.rows; ++r) {
    for (std::size_t c = 0; c < a.cols; ++c) {
      out[r * a.cols + c] = static_cast<std::uint8_t>(read_code(a.packed + r * a.packed_stride, c, a.bits, a.is_signed));
    }
  }
  return out;
}

}  // namespace mixq::reference
