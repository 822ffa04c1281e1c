// core/fixed_point.hpp and core/rounding.hpp against an independent model of
// TFLite's published semantics, written with 128-bit arithmetic and the
// standard library's frexp / round.
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include <catch2/catch.hpp>

#include <mixq/core/fixed_point.hpp>
#include <mixq/core/rounding.hpp>

namespace {
using namespace mixq;
__extension__ typedef __int128 i128;  // exact products of two int32 and shifts
constexpr std::int32_t i32_min = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t i32_max = std::numeric_limits<std::int32_t>::max();

i128 floor_div(i128 a, i128 b) {  // b > 0
  i128 q = a / b;
  if (a % b != 0 && a < 0) --q;
  return q;
}

// round(a * b / 2^31), halves towards +infinity, saturating INT32_MIN^2.
std::int32_t model_high_mul(std::int32_t a, std::int32_t b) {
  if (a == i32_min && b == i32_min) return i32_max;
  return static_cast<std::int32_t>(floor_div(static_cast<i128>(a) * b + (i128{1} << 30), i128{1} << 31));
}

// round(x / 2^e), halves away from zero.
std::int32_t model_divide_by_pot(std::int32_t x, int e) {
  const i128 magnitude = x < 0 ? -static_cast<i128>(x) : static_cast<i128>(x);
  const i128 q = e == 0 ? magnitude : (magnitude + (i128{1} << (e - 1))) >> e;
  return static_cast<std::int32_t>(x < 0 ? -q : q);
}

std::int32_t model_multiply(std::int32_t x, fixed_multiplier m) {
  const int left = m.shift > 0 ? m.shift : 0;
  const int right = m.shift > 0 ? 0 : -m.shift;
  return model_divide_by_pot(model_high_mul(static_cast<std::int32_t>(x * (std::int64_t{1} << left)), m.multiplier),
                             right);
}

fixed_multiplier model_quantize_multiplier(double real) {
  if (real == 0.0) return {0, 0};
  int shift = 0;
  const double q = std::frexp(real, &shift);
  auto fixed = static_cast<std::int64_t>(std::round(q * static_cast<double>(std::int64_t{1} << 31)));
  if (fixed == (std::int64_t{1} << 31)) {
    fixed /= 2;
    ++shift;
  }
  if (shift < -31) return {0, 0};
  return {static_cast<std::int32_t>(fixed), shift};
}
}  // namespace

TEST_CASE("saturating_rounding_doubling_high_mul: the TFLite edge cases", "[core][fixed_point]") {
  CHECK(saturating_rounding_doubling_high_mul(i32_min, i32_min) == i32_max);  // the one overflow
  CHECK(saturating_rounding_doubling_high_mul(i32_min, i32_max) == -i32_max);
  CHECK(saturating_rounding_doubling_high_mul(i32_max, i32_max) == i32_max - 1);
  // Ties: products that are odd multiples of 2^30 round towards +infinity.
  CHECK(saturating_rounding_doubling_high_mul(1, 1 << 30) == 1);    //  0.5 -> 1
  CHECK(saturating_rounding_doubling_high_mul(-1, 1 << 30) == 0);   // -0.5 -> 0
  CHECK(saturating_rounding_doubling_high_mul(3, 1 << 30) == 2);    //  1.5 -> 2
  CHECK(saturating_rounding_doubling_high_mul(-3, 1 << 30) == -1);  // -1.5 -> -1
  // Just off the tie.
  CHECK(saturating_rounding_doubling_high_mul(-1, (1 << 30) + 1) == -1);
  CHECK(saturating_rounding_doubling_high_mul(1, (1 << 30) - 1) == 0);
}

TEST_CASE("rounding_divide_by_pot: halves away from zero, and the other policies", "[core][rounding]") {
  struct row {
    std::int32_t x;
    int e;
    std::int32_t away, even, up;
  };
  const row table[] = {
      {3, 1, 2, 2, 2},     {-3, 1, -2, -2, -1},  {5, 1, 3, 2, 3},   {-5, 1, -3, -2, -2},
      {2, 2, 1, 0, 1},     {-2, 2, -1, 0, 0},    {6, 2, 2, 2, 2},   {-6, 2, -2, -2, -1},
      {7, 2, 2, 2, 2},     {-7, 2, -2, -2, -2},  {0, 5, 0, 0, 0},   {i32_min, 31, -1, -1, -1},
      {i32_max, 31, 1, 1, 1}, {i32_min, 30, -2, -2, -2}, {1 << 29, 30, 1, 0, 1}, {-(1 << 29), 30, -1, 0, 0},
  };
  for (const auto& r : table) {
    INFO("x = " << r.x << ", e = " << r.e);
    CHECK(rounding_divide_by_pot(r.x, r.e) == r.away);
    CHECK(rounding_divide_by_pot(r.x, r.e, ties_even) == r.even);
    CHECK(rounding_divide_by_pot(r.x, r.e, ties_up) == r.up);
    CHECK(rounding_divide_by_pot(r.x, r.e) == model_divide_by_pot(r.x, r.e));
  }
}

TEST_CASE("quantize_multiplier: the TFLite edge cases", "[core][fixed_point]") {
  // A mantissa that rounds to 2^31 is renormalised to 2^30 with shift + 1.
  CHECK(quantize_multiplier(1.0 - 0x1p-33) == fixed_multiplier{1 << 30, 1});
  CHECK(quantize_multiplier(0.5 - 0x1p-34) == fixed_multiplier{1 << 30, 0});
  CHECK(quantize_multiplier(-(1.0 - 0x1p-33)) == fixed_multiplier{i32_min, 0});  // -2^31 fits as is
  // Just below the renormalisation threshold the mantissa stays below 2^31.
  CHECK(quantize_multiplier(1.0 - 0x1p-31) == fixed_multiplier{i32_max, 0});
  // Shift < -31 flushes to (0, 0); -31 itself is kept.
  CHECK(quantize_multiplier(0x1p-32) == fixed_multiplier{1 << 30, -31});
  CHECK(quantize_multiplier(0x1.fffffp-33) == fixed_multiplier{0, 0});
  CHECK(quantize_multiplier(1e-300) == fixed_multiplier{0, 0});
  CHECK(quantize_multiplier(0.0) == fixed_multiplier{0, 0});
  // Mantissa halves round away from zero: 0.5 + 2^-32 is exactly 2^30 + 0.5 in Q0.31.
  CHECK(quantize_multiplier(0.5 + 0x1p-32) == fixed_multiplier{(1 << 30) + 1, 0});
  CHECK(quantize_multiplier(-(0.5 + 0x1p-32)) == fixed_multiplier{-((1 << 30) + 1), 0});
  CHECK(quantize_multiplier(3.0) == fixed_multiplier{3 << 29, 2});
  CHECK_THROWS_AS(quantize_multiplier(std::numeric_limits<double>::quiet_NaN()), mixq::error);
  CHECK_THROWS_WITH(quantize_multiplier(std::numeric_limits<double>::infinity()),
                    Catch::Contains("must be finite") && Catch::Contains("inf"));
}

TEST_CASE("quantize_multiplier matches frexp/round on random multipliers", "[core][fixed_point]") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> mantissa(0.5, 1.0);
  std::uniform_int_distribution<int> exponent(-40, 20);
  for (int i = 0; i < 20000; ++i) {
    const double real = std::ldexp(mantissa(rng), exponent(rng)) * (i % 5 == 0 ? -1.0 : 1.0);
    INFO("real = " << real);
    const auto m = quantize_multiplier(real);
    REQUIRE(m == model_quantize_multiplier(real));
    if (m.multiplier != 0) CHECK(std::abs(to_real(m) - real) <= std::ldexp(1.0, m.shift - 32));
  }
}

TEST_CASE("multiply_by_quantized_multiplier matches the model", "[core][fixed_point]") {
  SECTION("ties in both rounding steps") {
    // m = 0.25: SRDHM(1, 2^30) = 0.5 -> 1, then 1 / 2 = 0.5 -> 1 (away from zero).
    CHECK(multiply_by_quantized_multiplier(1, {1 << 30, -1}) == 1);
    CHECK(multiply_by_quantized_multiplier(-1, {1 << 30, -1}) == 0);   // -0.5 -> 0 (towards +inf), then 0
    CHECK(multiply_by_quantized_multiplier(-2, {1 << 30, -1}) == -1);  // -1 exact, then -0.5 -> -1
    CHECK(multiply_by_quantized_multiplier(3, {1 << 30, -1}) == 1);    // 1.5 -> 2, then 1
    CHECK(multiply_by_quantized_multiplier(1, {1 << 30, -1}, single_rounding) == 0);
    CHECK(multiply_by_quantized_multiplier(-1, {1 << 30, -1}) == model_multiply(-1, {1 << 30, -1}));
  }
  SECTION("random accumulators and multipliers") {
    std::mt19937_64 rng(11);
    std::uniform_int_distribution<std::int32_t> acc(-(1 << 24), 1 << 24);
    std::uniform_real_distribution<double> mantissa(0.5, 1.0);
    std::uniform_int_distribution<int> exponent(-24, 0);
    for (int i = 0; i < 50000; ++i) {
      const std::int32_t x = acc(rng);
      const fixed_multiplier m = quantize_multiplier(std::ldexp(mantissa(rng), exponent(rng)));
      INFO("x = " << x << ", m = " << m.multiplier << " * 2^(" << m.shift << " - 31)");
      REQUIRE(multiply_by_quantized_multiplier(x, m) == model_multiply(x, m));
      // Either rounding lands within one of the exact product.
      const double exact = static_cast<double>(x) * to_real(m);
      CHECK(std::abs(multiply_by_quantized_multiplier(x, m, single_rounding) - exact) <= 0.5 + 1e-9);
      CHECK(std::abs(multiply_by_quantized_multiplier(x, m) - exact) <= 1.0);
    }
  }
  SECTION("left shifts (multipliers above 1)") {
    const fixed_multiplier m = quantize_multiplier(5.5);  // shift 3
    REQUIRE(m.shift == 3);
    for (std::int32_t x : {-1000, -3, -1, 0, 1, 7, 12345}) CHECK(multiply_by_quantized_multiplier(x, m) == model_multiply(x, m));
    CHECK(multiply_by_quantized_multiplier(100, m) == 550);
  }
}

TEST_CASE("rounding_shift: power-of-two requantization", "[core][rounding]") {
  std::mt19937 rng(3);
  std::uniform_int_distribution<std::int32_t> any(i32_min, i32_max);
  for (int i = 0; i < 20000; ++i) {
    const std::int32_t x = any(rng);
    const int shift = -(i % 40);
    INFO("x = " << x << ", shift = " << shift);
    // The exact quotient, rounded half away from zero.
    const i128 magnitude = x < 0 ? -static_cast<i128>(x) : static_cast<i128>(x);
    const i128 q = shift == 0 ? magnitude : (magnitude + (i128{1} << (-shift - 1))) >> -shift;
    REQUIRE(rounding_shift(x, shift) == static_cast<std::int32_t>(x < 0 ? -q : q));
  }
  CHECK(rounding_shift(3, 30) == i32_max);   // saturates
  CHECK(rounding_shift(-3, 30) == i32_min);
  CHECK(rounding_shift(1, 30) == 1 << 30);
  CHECK(rounding_shift(0, 100) == 0);
}
