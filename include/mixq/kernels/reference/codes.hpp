#pragma once
// Reading and writing single codes of packed rows, one bit at a time: the
// slowest, plainest statement of the packed layout (storage/packed.hpp),
// kept apart from the kernels' own unpacking so the two can be compared.

#include <cstddef>
#include <cstdint>

namespace mixq::reference {

/// Code k of a packed row of `bits`-bit codes (binary: -1 / +1).
inline std::int32_t read_code(const std::uint8_t* row, std::size_t k, int bits, bool is_signed) noexcept {
  std::uint32_t field = 0;
  for (int t = 0; t < bits; ++t) {
    const std::size_t bit = k * static_cast<std::size_t>(bits) + static_cast<std::size_t>(t);
    field |= static_cast<std::uint32_t>((row[bit / 8] >> (bit % 8)) & 1u) << t;
  }
  if (bits == 1 && is_signed) return field ? 1 : -1;
  if (is_signed && (field >> (bits - 1)) != 0) return static_cast<std::int32_t>(field) - (1 << bits);
  return static_cast<std::int32_t>(field);
}

/// Writes code k (binary: bit 1 for +1) into a packed row.
inline void write_code(std::uint8_t* row, std::size_t k, int bits, std::int32_t code) noexcept {
  const std::uint32_t field = bits == 1 ? (code > 0 ? 1u : 0u) : static_cast<std::uint32_t>(code);
  for (int t = 0; t < bits; ++t) {
    const std::size_t bit = k * static_cast<std::size_t>(bits) + static_cast<std::size_t>(t);
    const auto mask = static_cast<std::uint8_t>(1u << (bit % 8));
    if ((field >> t) & 1u) {
      row[bit / 8] = static_cast<std::uint8_t>(row[bit / 8] | mask);
    } else {
      row[bit / 8] = static_cast<std::uint8_t>(row[bit / 8] & ~mask);
    }
  }
}

}  // namespace mixq::reference
