#pragma once
// Float values the tests feed in, and the bit patterns they compare.
#include <cstdint>
#include <cstring>
#include <limits>

namespace mixq::test {

inline constexpr float nan_f = std::numeric_limits<float>::quiet_NaN();
inline constexpr float inf_f = std::numeric_limits<float>::infinity();

/// The IEEE bits of x: compares floats exactly, NaN and -0 included.
inline std::uint32_t bits_of(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

}  // namespace mixq::test
