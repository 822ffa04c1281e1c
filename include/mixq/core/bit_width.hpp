#pragma once
// How a b-bit code is held in its bit field: the storage/value split of
// sub-byte integers. Signed codes are two's complement in their b bits,
// except signed 1-bit (binary), where bit 1 is +1 and bit 0 is -1.

#include <cstddef>
#include <cstdint>

#include <mixq/core/scheme.hpp>

namespace mixq {

template <int Bits, bool Signed>
struct code_format {
  static_assert(Bits >= 1 && Bits <= 8, "mixq::code_format: a code has 1 to 8 bits.");

  static constexpr int bits = Bits;
  static constexpr bool is_signed = Signed;
  static constexpr bool binary = Bits == 1 && Signed;
  static constexpr std::uint32_t mask = (1u << Bits) - 1u;
  static constexpr std::int32_t lowest = code_range_of(Bits, Signed).lo;
  static constexpr std::int32_t highest = code_range_of(Bits, Signed).hi;

  /// The bit field of a code; codes outside [lowest, highest] lose their high bits.
  static constexpr std::uint32_t encode(std::int32_t code) noexcept {
    if constexpr (binary) {
      return code > 0 ? 1u : 0u;
    } else {
      return static_cast<std::uint32_t>(code) & mask;
    }
  }

  /// The code a bit field holds (bits above `Bits` are ignored).
  static constexpr std::int32_t decode(std::uint32_t field) noexcept {
    field &= mask;
    if constexpr (binary) {
      return field ? 1 : -1;
    } else if constexpr (Signed) {
      constexpr std::uint32_t sign = 1u << (Bits - 1);
      return static_cast<std::int32_t>(field ^ sign) - static_cast<std::int32_t>(sign);
    } else {
      return static_cast<std::int32_t>(field);
    }
  }
};

template <scheme S>
using code_format_of = code_format<S.bits, S.is_signed>;

/// Bits one code of the scheme occupies in packed storage.
template <scheme S>
inline constexpr int sizeof_bits_v = S.bits;

/// Bytes of a packed row of `length` codes of `bits` bits (rows start on byte boundaries).
constexpr std::size_t packed_row_bytes(std::size_t length, int bits) noexcept {
  return (length * static_cast<std::size_t>(bits) + 7u) / 8u;
}

}  // namespace mixq
