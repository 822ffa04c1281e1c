#pragma once
// Rounding policies, rounding shifts and saturating casts: the integer
// building blocks of requantization.

#include <concepts>
#include <cstdint>
#include <limits>
#include <utility>

#include <mixq/config.hpp>

namespace mixq {

/// Rounding policies, passed as tag objects.
struct ties_away_t {};  ///< halves go away from zero (TFLite RoundingDivideByPOT)
struct ties_even_t {};  ///< halves go to the even neighbour (nearbyint in the default FP mode)
struct ties_up_t {};    ///< halves go towards +infinity (add half, floor)
inline constexpr ties_away_t ties_away{};
inline constexpr ties_even_t ties_even{};
inline constexpr ties_up_t ties_up{};

template <class R>
concept RoundingPolicy =
    std::same_as<R, ties_away_t> || std::same_as<R, ties_even_t> || std::same_as<R, ties_up_t>;

/// x / 2^exponent rounded to nearest with the given tie rule; exponent in [0, 31].
/// With ties_away this is TFLite's RoundingDivideByPOT.
template <RoundingPolicy R = ties_away_t>
constexpr std::int32_t rounding_divide_by_pot(std::int32_t x, int exponent, R = {}) noexcept {
  MIXQ_ASSERT(exponent >= 0 && exponent <= 31, "rounding_divide_by_pot: exponent must be in [0, 31]");
  if (exponent == 0) return x;
  const std::int64_t wide = x;
  const std::int64_t floor_q = wide >> exponent;  // arithmetic shift: floor division
  const std::int64_t remainder = wide - (floor_q << exponent);  // in [0, 2^exponent)
  const std::int64_t half = std::int64_t{1} << (exponent - 1);
  bool up = remainder > half;
  if (remainder == half) {
    if constexpr (std::same_as<R, ties_away_t>) {
      up = x >= 0;
    } else if constexpr (std::same_as<R, ties_even_t>) {
      up = (floor_q & 1) != 0;
    } else {
      up = true;
    }
  }
  return static_cast<std::int32_t>(floor_q + (up ? 1 : 0));
}

/// Converts an integer to `To`, saturating at its limits.
template <std::integral To, std::integral From>
constexpr To saturate_cast(From x) noexcept {
  using lim = std::numeric_limits<To>;
  if (std::cmp_less(x, lim::min())) return lim::min();
  if (std::cmp_greater(x, lim::max())) return lim::max();
  return static_cast<To>(x);
}

/// x * 2^shift with rounding for negative shifts (any shift) and saturation
/// to int32 for positive ones: the requantization step of power-of-two scales.
template <RoundingPolicy R = ties_away_t>
constexpr std::int32_t rounding_shift(std::int32_t x, int shift, R rounding = {}) noexcept {
  if (shift >= 0) {
    if (x == 0) return 0;
    if (shift >= 32) return x > 0 ? std::numeric_limits<std::int32_t>::max() : std::numeric_limits<std::int32_t>::min();
    return saturate_cast<std::int32_t>(static_cast<std::int64_t>(x) * (std::int64_t{1} << shift));
  }
  if (shift < -31) {
    // |x| < 2^31 <= half of 2^-shift: everything rounds to 0 except the tie
    // -2^31 / 2^32 = -0.5, which only ties_away sends to -1.
    if constexpr (std::same_as<R, ties_away_t>) {
      return (shift == -32 && x == std::numeric_limits<std::int32_t>::min()) ? -1 : 0;
    } else {
      return 0;
    }
  }
  return rounding_divide_by_pot(x, -shift, rounding);
}

}  // namespace mixq
