#pragma once
// Fixed-point multipliers for requantizing int32 accumulators, bit-identical
// to TFLite's QuantizeMultiplier / MultiplyByQuantizedMultiplier (the
// double-rounding path). Everything here is constexpr.

#include <bit>
#include <cstdint>
#include <limits>

#include <mixq/config.hpp>
#include <mixq/core/finite.hpp>
#include <mixq/core/rounding.hpp>

namespace mixq {

/// A real multiplier as a Q0.31 mantissa and a power of two:
/// real ~ multiplier * 2^(shift - 31).
struct fixed_multiplier {
  std::int32_t multiplier = 0;
  int shift = 0;
  constexpr bool operator==(const fixed_multiplier&) const = default;
};

namespace detail {

// frexp for finite non-zero doubles: real = mantissa * 2^exponent, 0.5 <= |mantissa| < 1.
struct frexp_result {
  double mantissa;
  int exponent;
};

constexpr frexp_result constexpr_frexp(double real) noexcept {
  auto bits = std::bit_cast<std::uint64_t>(real);
  int biased = static_cast<int>((bits >> 52) & 0x7ffu);
  int extra = 0;
  if (biased == 0) {  // subnormal: scale into the normal range first (exact)
    real *= 0x1p64;
    bits = std::bit_cast<std::uint64_t>(real);
    biased = static_cast<int>((bits >> 52) & 0x7ffu);
    extra = -64;
  }
  // Replace the exponent field by the one of 0.5 (biased 1022).
  const std::uint64_t mantissa_bits = (bits & ~(std::uint64_t{0x7ff} << 52)) | (std::uint64_t{1022} << 52);
  return {std::bit_cast<double>(mantissa_bits), biased - 1022 + extra};
}

// std::round for |x| < 2^62: nearest integer, halves away from zero.
constexpr std::int64_t round_half_away(double x) noexcept {
  const auto truncated = static_cast<std::int64_t>(x);
  const double fraction = x - static_cast<double>(truncated);  // exact
  if (fraction >= 0.5) return truncated + 1;
  if (fraction <= -0.5) return truncated - 1;
  return truncated;
}

}  // namespace detail

/// Splits a real multiplier as TFLite's QuantizeMultiplier does: frexp, the
/// mantissa rounded (halves away from zero) to Q0.31, a mantissa that rounds
/// to 2^31 renormalised to 2^30 with shift + 1, and shifts below -31 flushed
/// to (0, 0). 0 gives (0, 0). Throws mixq::error for NaN or infinity.
constexpr fixed_multiplier quantize_multiplier(double real) {
  if (!detail::is_finite(real)) {
    MIXQ_THROW(error, "mixq::quantize_multiplier: real = {} must be finite", real);
  }
  if (real == 0.0) return {};
  const auto [mantissa, exponent] = detail::constexpr_frexp(real);
  std::int64_t q = detail::round_half_away(mantissa * 0x1p31);
  int shift = exponent;
  if (q == (std::int64_t{1} << 31)) {
    q /= 2;
    ++shift;
  }
  if (shift < -31) return {};
  return {static_cast<std::int32_t>(q), shift};
}

/// The real value a fixed multiplier stands for.
constexpr double to_real(fixed_multiplier m) noexcept {
  double value = m.multiplier;
  int e = m.shift - 31;
  for (; e > 0; --e) value *= 2.0;
  for (; e < 0; ++e) value *= 0.5;
  return value;
}

/// round(a * b / 2^31) with halves towards +infinity, saturating the single
/// overflow case INT32_MIN * INT32_MIN to INT32_MAX (gemmlowp's
/// SaturatingRoundingDoublingHighMul).
constexpr std::int32_t saturating_rounding_doubling_high_mul(std::int32_t a, std::int32_t b) noexcept {
  constexpr std::int32_t lowest = std::numeric_limits<std::int32_t>::min();
  if (a == lowest && b == lowest) return std::numeric_limits<std::int32_t>::max();
  const std::int64_t product = static_cast<std::int64_t>(a) * b;
  const std::int64_t nudge = product >= 0 ? (std::int64_t{1} << 30) : (1 - (std::int64_t{1} << 30));
  return static_cast<std::int32_t>((product + nudge) / (std::int64_t{1} << 31));
}

/// Tag selecting the single-rounding variant of multiply_by_quantized_multiplier.
struct single_rounding_t {};
inline constexpr single_rounding_t single_rounding{};

/// x * m, bit-identical to TFLite's MultiplyByQuantizedMultiplier (double
/// rounding): a left shift for shift > 0, the saturating rounding doubling
/// high multiply, then a rounding right shift with halves away from zero.
/// Precondition (as in TFLite): x * 2^max(shift, 0) fits in int32 and shift <= 30.
constexpr std::int32_t multiply_by_quantized_multiplier(std::int32_t x, fixed_multiplier m) noexcept {
  MIXQ_ASSERT(m.shift <= 30, "multiply_by_quantized_multiplier: shift must be <= 30");
  const int left = m.shift > 0 ? m.shift : 0;
  const int right = m.shift > 0 ? 0 : -m.shift;
  const std::int64_t shifted = static_cast<std::int64_t>(x) * (std::int64_t{1} << left);
  MIXQ_ASSERT(shifted >= std::numeric_limits<std::int32_t>::min() && shifted <= std::numeric_limits<std::int32_t>::max(),
              "multiply_by_quantized_multiplier: x * 2^shift overflows int32");
  const std::int32_t high = saturating_rounding_doubling_high_mul(static_cast<std::int32_t>(shifted), m.multiplier);
  return rounding_divide_by_pot(high, right, ties_away);
}

/// x * m with one rounding: round(x * multiplier / 2^(31 - shift)), halves
/// towards +infinity (TFLite's TFLITE_SINGLE_ROUNDING variant). Needs
/// -31 <= shift <= 30; the result saturates to int32.
constexpr std::int32_t multiply_by_quantized_multiplier(std::int32_t x, fixed_multiplier m, single_rounding_t) noexcept {
  MIXQ_ASSERT(m.shift >= -31 && m.shift <= 30, "multiply_by_quantized_multiplier: shift must be in [-31, 30]");
  const int total_shift = 31 - m.shift;  // in [1, 62]
  const std::int64_t product = static_cast<std::int64_t>(x) * m.multiplier;
  const std::int64_t rounded = (product + (std::int64_t{1} << (total_shift - 1))) >> total_shift;
  return saturate_cast<std::int32_t>(rounded);
}

}  // namespace mixq
