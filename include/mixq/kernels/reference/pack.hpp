#pragma once
// Scalar twin of kernels/pack.hpp.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <mixq/core/bit_width.hpp>
#include <mixq/kernels/reference/codes.hpp>

namespace mixq::reference {

/// Packs rows of one-byte lanes (codes as int8/uint8 bit patterns) into rows of `row_bytes` bytes.
inline std::vector<std::uint8_t> pack(const std::uint8_t* lanes, std::size_t rows, std::size_t cols, int bits,
                                      bool is_signed) {
  const std::size_t row_bytes = packed_row_bytes(cols, bits);
  std::vector<std::uint8_t> out(rows * row_bytes, 0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const std::uint8_t lane = lanes[r * cols + c];
      const std::int32_t code = is_signed ? static_cast<std::int8_t>(lane) : static_cast<std::int32_t>(lane);
      write_code(out.data() + r * row_bytes, c, bits, code);
    }
  }
  return out;
}

/// Unpacks rows of packed codes (rows `stride` bytes apart) into one byte per code.
inline std::vector<std::uint8_t> unpack(const std::uint8_t* packed, std::size_t rows, std::size_t cols,
                                        std::size_t stride, int bits, bool is_signed) {
  std::vector<std::uint8_t> out(rows * cols);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      out[r * cols + c] = static_cast<std::uint8_t>(read_code(packed + r * stride, c, bits, is_signed));
    }
  }
  return out;
}

}  // namespace mixq::reference
