// The fixed-point helpers run in constant expressions.
#include <cstdint>
#include <limits>

#include <mixq/core/fixed_point.hpp>
#include <mixq/core/rounding.hpp>

namespace {
using namespace mixq;
constexpr std::int32_t i32_min = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t i32_max = std::numeric_limits<std::int32_t>::max();

// quantize_multiplier: | real | multiplier | shift |
static_assert(quantize_multiplier(0.0) == fixed_multiplier{0, 0});
static_assert(quantize_multiplier(0.5) == fixed_multiplier{1 << 30, 0});
static_assert(quantize_multiplier(1.0) == fixed_multiplier{1 << 30, 1});
static_assert(quantize_multiplier(0.3) == fixed_multiplier{1288490189, -1});  // round(0.6 * 2^31)
static_assert(quantize_multiplier(-0.5) == fixed_multiplier{-(1 << 30), 0});
static_assert(quantize_multiplier(1.0 - 0x1p-33) == fixed_multiplier{1 << 30, 1});  // mantissa rounds to 2^31
static_assert(quantize_multiplier(0x1p-32) == fixed_multiplier{1 << 30, -31});      // smallest kept shift
static_assert(quantize_multiplier(0x1p-33) == fixed_multiplier{0, 0});              // shift -32 flushed
static_assert(quantize_multiplier(0x1p-1074) == fixed_multiplier{0, 0});            // subnormal
static_assert(to_real(quantize_multiplier(0.75)) == 0.75);

// A multiplier can be a template argument.
template <fixed_multiplier M>
constexpr std::int32_t apply(std::int32_t x) {
  return multiply_by_quantized_multiplier(x, M);
}
static_assert(apply<quantize_multiplier(0.25)>(400) == 100);

// Saturating rounding doubling high multiply.
static_assert(saturating_rounding_doubling_high_mul(i32_min, i32_min) == i32_max);
static_assert(saturating_rounding_doubling_high_mul(1 << 15, 1 << 15) == 1);     // +0.5 -> 1
static_assert(saturating_rounding_doubling_high_mul(-(1 << 15), 1 << 15) == 0);  // -0.5 -> 0 (towards +inf)
static_assert(saturating_rounding_doubling_high_mul(-3, 1 << 30) == -1);         // -1.5 -> -1

// Rounding divide by a power of two: halves away from zero.
static_assert(rounding_divide_by_pot(3, 1) == 2 && rounding_divide_by_pot(-3, 1) == -2);
static_assert(rounding_divide_by_pot(5, 2) == 1 && rounding_divide_by_pot(-6, 2) == -2);
static_assert(rounding_divide_by_pot(i32_min, 31) == -1 && rounding_divide_by_pot(i32_max, 31) == 1);
static_assert(rounding_divide_by_pot(-3, 1, ties_even) == -2 && rounding_divide_by_pot(5, 1, ties_even) == 2);
static_assert(rounding_divide_by_pot(-3, 1, ties_up) == -1);

// Double rounding differs from single rounding: 1 * 0.25 is a tie in both
// steps (0.5 -> 1, then 1 / 2 -> 1), while one rounding of 0.25 gives 0.
static_assert(multiply_by_quantized_multiplier(1, {1 << 30, -1}) == 1);
static_assert(multiply_by_quantized_multiplier(1, {1 << 30, -1}, single_rounding) == 0);
static_assert(multiply_by_quantized_multiplier(1, {1 << 30, -2}) == 0);

// Power-of-two requantization and saturating casts.
static_assert(rounding_shift(100, 2) == 400 && rounding_shift(i32_max, 1) == i32_max &&
              rounding_shift(-(1 << 30), 3) == i32_min);
static_assert(rounding_shift(6, -2) == 2 && rounding_shift(-6, -2) == -2 && rounding_shift(-6, -2, ties_even) == -2);
static_assert(rounding_shift(i32_min, -32) == -1 && rounding_shift(i32_min, -32, ties_even) == 0 &&
              rounding_shift(i32_min, -40) == 0);
static_assert(saturate_cast<std::int8_t>(300) == 127 && saturate_cast<std::uint8_t>(-4) == 0 &&
              saturate_cast<std::int8_t>(-5) == -5);
}  // namespace
