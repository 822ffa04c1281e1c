// requant/tensor.hpp and requant/weights.hpp: each conversion against a
// float64 working of the same rule, exactness where it is claimed (property
// tests over random codes), round trips, and the weight correction's
// least-squares scale and bias shift against their definitions.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include <xtensor/xtensor.hpp>

#include <mixq/requant/tensor.hpp>
#include <mixq/requant/weights.hpp>

namespace {
using namespace mixq;
using Catch::Contains;

constexpr scheme uint8_asym{.is_signed = false, .symmetric = false};
constexpr scheme int8_asym{.symmetric = false};
constexpr scheme int8_sym{};
constexpr scheme uint8_sym{.is_signed = false};
constexpr scheme int8_sym_ch0{.axis = 0};
constexpr scheme int8_pow2{.scale = scale_kind::pow2};
constexpr scheme int4_sym{.bits = 4};
constexpr scheme int2_sym{.bits = 2};
constexpr scheme int4_pow2{.bits = 4, .scale = scale_kind::pow2};

template <scheme S>
xt::xtensor<std::int32_t, 2> random_codes(std::mt19937& rng, std::size_t rows, std::size_t cols, std::int32_t lo,
                                          std::int32_t hi) {
  std::uniform_int_distribution<std::int32_t> d(lo, hi);
  xt::xtensor<std::int32_t, 2> c({rows, cols});
  for (auto& x : c) x = d(rng);
  return c;
}

template <scheme S, std::size_t R>
std::vector<double> values_of(const qtensor<S, R>& q) {
  const auto v = reference::dequantize(q);
  return {v.begin(), v.end()};
}

// The largest error and SQNR of b against a, in double.
std::pair<double, double> error_of(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0, sig = 0, noise = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    m = std::max(m, std::fabs(a[i] - b[i]));
    sig += a[i] * a[i];
    noise += (a[i] - b[i]) * (a[i] - b[i]);
  }
  return {m, noise == 0 ? std::numeric_limits<double>::infinity() : 10 * std::log10(sig / noise)};
}

}  // namespace

TEST_CASE("requant: conversions that keep the scale are exact, and say so", "[requant]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    const std::size_t rows = 1 + rng() % 5, cols = 1 + rng() % 19;
    {  // uint8 asymmetric -> int8 asymmetric: the codes and the zero point move by 128
      const std::int32_t zp = static_cast<std::int32_t>(rng() % 256);
      const auto q = from_int_repr(random_codes<uint8_asym>(rng, rows, cols, 0, 255), qparams<uint8_asym>{0.037f, zp});
      const auto r = requantize<int8_asym>(q);
      CHECK(r.report.exact);
      CHECK(r.report.max_abs_error == 0.0);
      CHECK(r.tensor.params().scale == 0.037f);
      CHECK(r.tensor.params().zero_point == zp - 128);
      CHECK(values_of(r.tensor) == values_of(q));
    }
    {  // int8 symmetric <-> uint8 symmetric
      const auto q = from_int_repr(random_codes<int8_sym>(rng, rows, cols, -128, 127), qparams<int8_sym>{0.5f});
      const auto u = requantize<uint8_sym>(q);
      CHECK(u.report.exact);
      const auto back = requantize<int8_sym>(u.tensor);
      CHECK(back.report.exact);
      CHECK(back.tensor == q);
    }
    {  // per-tensor -> per-channel, 4 -> 8 bits, a power-of-two real scale -> pow2
      const auto q = from_int_repr(random_codes<int4_sym>(rng, rows, cols, -8, 7), qparams<int4_sym>{0.125f});
      const auto ch = requantize<int8_sym_ch0>(q);
      CHECK(ch.report.exact);
      CHECK(ch.tensor.params().scale == std::vector<float>(rows, 0.125f));
      const auto p2 = requantize<int8_pow2>(q);
      CHECK(p2.report.exact);
      CHECK(p2.tensor.params().exponent == -3);
      const auto real = requantize<int8_sym>(p2.tensor);
      CHECK(real.report.exact);
      CHECK(values_of(real.tensor) == values_of(q));
    }
    {  // symmetric -> asymmetric -> symmetric: identical
      const auto q = from_int_repr(random_codes<int8_sym>(rng, rows, cols, -128, 127), qparams<int8_sym>{0.01f});
      const auto a = requantize<int8_asym>(q);
      CHECK(a.report.exact);
      const auto s = requantize<int8_sym>(a.tensor);
      CHECK(s.report.exact);
      CHECK(s.tensor == q);
    }
  }
}

TEST_CASE("requant: asymmetric -> symmetric refits the scale to the range, one rounding", "[requant]") {
  std::mt19937 rng(11);
  for (int round = 0; round < 50; ++round) {
    const std::int32_t zp = static_cast<std::int32_t>(rng() % 256);
    const float scale = 0.001f + static_cast<float>(rng() % 1000) * 1e-4f;
    auto codes = random_codes<uint8_asym>(rng, 3, 33, 0, 255);
    codes(0, 0) = 0;  // the whole uint8 range: no shift of the codes fits int8
    codes(0, 1) = 255;
    const auto q = from_int_repr(codes, qparams<uint8_asym>{scale, zp});
    const auto r = requantize<int8_sym>(q);
    // float64 working of the rule: scale = max |v| / 127, codes = round(v / scale).
    const std::vector<double> v = values_of(q);
    double amax = 0;
    for (const double x : v) amax = std::max(amax, std::fabs(x));
    const double s = amax / 127.0;
    CHECK(static_cast<double>(r.tensor.params().scale) == Approx(s).epsilon(1e-6));
    const std::vector<double> got = values_of(r.tensor);
    const auto rc = int_repr(r.tensor);
    for (std::size_t i = 0; i < v.size(); ++i) {
      CHECK(std::fabs(got[i] - v[i]) <= 0.5 * s * (1 + 1e-5));  // no value clipped: at most half a step
      const double want = std::nearbyint(v[i] / s);
      CHECK(std::fabs(static_cast<double>(rc.data()[i]) - want) <= 1.0);  // a tie may round either way in float
    }
    const auto [m, sqnr] = error_of(v, got);
    CHECK(r.report.max_abs_error == Approx(m).margin(1e-12));
    CHECK(r.report.sqnr_db == Approx(sqnr).margin(1e-9));
    CHECK(r.report.exact == (m == 0.0));
  }
}

TEST_CASE("requant: real -> power-of-two scales, by no-clip ceiling and by least squares", "[requant]") {
  std::mt19937 rng(13);
  for (int round = 0; round < 50; ++round) {
    const float scale = 0.0013f + static_cast<float>(rng() % 1000) * 3e-4f;
    const auto q = from_int_repr(random_codes<int8_sym>(rng, 2, 40, -127, 127), qparams<int8_sym>{scale});
    const std::vector<double> v = values_of(q);
    double amax = 0;
    for (const double x : v) amax = std::max(amax, std::fabs(x));
    const int ceil_e = static_cast<int>(std::ceil(std::log2(amax / 127.0)));

    const auto nc = requantize<int8_pow2>(q);
    CHECK(nc.tensor.params().exponent == ceil_e);
    for (std::size_t i = 0; i < v.size(); ++i) CHECK(std::fabs(values_of(nc.tensor)[i] - v[i]) <= std::ldexp(0.5, ceil_e));

    // Least squares: brute force over the same candidates, in double.
    const auto ls = requantize<int8_pow2>(q, {.exponent = exponent_rule::least_squares});
    int best = ceil_e;
    double best_err = -1;
    for (int e = ceil_e; e >= ceil_e - 3; --e) {
      double err = 0;
      for (const double x : v) {
        const double c = std::clamp(std::nearbyint(x / std::ldexp(1.0, e)), -128.0, 127.0);
        err += (x - c * std::ldexp(1.0, e)) * (x - c * std::ldexp(1.0, e));
      }
      if (best_err < 0 || err < best_err) {
        best_err = err;
        best = e;
      }
    }
    CHECK(ls.tensor.params().exponent == best);
    CHECK(ls.report.sqnr_db >= nc.report.sqnr_db - 1e-9);
  }
}

TEST_CASE("requant: 8 -> 4 -> 2 bits, refitted and by the nested view", "[requant]") {
  std::mt19937 rng(17);
  const auto q = from_int_repr(random_codes<int8_sym>(rng, 4, 64, -128, 127), qparams<int8_sym>{0.02f});
  // Nested: scale x 16, codes by a rounding shift, ties up, saturating.
  const auto n4 = requantize<int4_sym>(q, {.narrowing = narrowing_rule::nested});
  CHECK(n4.tensor.params().scale == 0.32f);
  const auto c8 = int_repr(q), c4 = int_repr(n4.tensor);
  for (std::size_t i = 0; i < q.size(); ++i) {
    const double want = std::clamp(std::floor(c8.data()[i] / 16.0 + 0.5), -8.0, 7.0);
    CHECK(c4.data()[i] == static_cast<std::int32_t>(want));
  }
  const auto n2 = requantize<int2_sym>(n4.tensor, {.narrowing = narrowing_rule::nested});
  CHECK(n2.tensor.params().scale == 1.28f);
  // Refit: scale = max |v| / 7, never worse than the nested view in SQNR here (it covers the range).
  const auto r4 = requantize<int4_sym>(q);
  double amax = 0;
  for (const double x : values_of(q)) amax = std::max(amax, std::fabs(x));
  CHECK(static_cast<double>(r4.tensor.params().scale) == Approx(amax / 7.0).epsilon(1e-6));
  CHECK_FALSE(r4.report.exact);
  // A pow2 4-bit target from a pow2 8-bit store: the nested view is a power of two too.
  const auto p8 = from_int_repr(random_codes<int8_pow2>(rng, 2, 10, -128, 127), qparams<int8_pow2>{.exponent = -6});
  CHECK(requantize<int4_pow2>(p8, {.narrowing = narrowing_rule::nested}).tensor.params().exponent == -2);
}

TEST_CASE("requant: per-channel -> per-tensor takes the largest channel's range", "[requant]") {
  std::mt19937 rng(19);
  const auto q = from_int_repr(random_codes<int8_sym_ch0>(rng, 3, 20, -127, 127),
                               qparams<int8_sym_ch0>{.scale = {0.01f, 0.5f, 0.02f}});
  const auto r = requantize<int8_sym>(q);
  double amax = 0;
  for (const double x : values_of(q)) amax = std::max(amax, std::fabs(x));
  CHECK(static_cast<double>(r.tensor.params().scale) == Approx(amax / 127.0).epsilon(1e-6));
  CHECK_FALSE(r.report.exact);
  CHECK(r.report.sqnr_db > 10.0);
}

TEST_CASE("requant: an exponent a power-of-two target cannot hold is an error", "[requant]") {
  const auto q = from_int_repr(xt::xtensor<std::int32_t, 1>{100, -3}, qparams<int8_sym>{1e-41f});
  CHECK_THROWS_WITH(requantize<int8_pow2>(q), Contains("needs exponent") && Contains("expected -126 <= exponent"));
}

TEST_CASE("requant: weight correction fits scales by least squares and shifts the bias by -sum dW E[x]",
          "[requant]") {
  std::mt19937 rng(23);
  std::normal_distribution<double> g(0.0, 0.05);
  const std::size_t n = 6, k = 50;
  std::vector<double> w(n * k);
  for (auto& x : w) x = g(rng);
  w[3] = 0.4;  // an outlier: no-clip scales waste range on it
  std::vector<double> mean(k);
  for (auto& m : mean) m = std::fabs(g(rng)) * 10;
  const weight_format f4{.bits = 4, .narrow = true, .per_channel = true, .pow2 = false};
  const auto plain = convert_weights(w, n, k, f4, nullptr, false, {}, "test");
  const auto fit = convert_weights(w, n, k, f4, nullptr, true, mean, "test");
  auto sse = [&](const converted_weights& c, std::size_t r) {
    double e = 0;
    for (std::size_t j = 0; j < k; ++j) {
      const double d = c.scale[r] * c.codes[r * k + j] - w[r * k + j];
      e += d * d;
    }
    return e;
  };
  for (std::size_t r = 0; r < n; ++r) {
    double amax = 0;
    for (std::size_t j = 0; j < k; ++j) amax = std::max(amax, std::fabs(w[r * k + j]));
    CHECK(static_cast<double>(plain.scale[r]) == Approx(amax / 7).epsilon(1e-6));
    CHECK(sse(fit, r) <= sse(plain, r) * (1 + 1e-9));
    // The shift, from its definition.
    double shift = 0;
    for (std::size_t j = 0; j < k; ++j) shift -= (fit.scale[r] * fit.codes[r * k + j] - w[r * k + j]) * mean[j];
    CHECK(fit.bias_shift[r] == Approx(shift).margin(1e-12));
    CHECK(plain.bias_shift[r] == 0.0);
  }
  CHECK(fit.sqnr_db > plain.sqnr_db);
  // Source codes that fit the target are kept exactly; a -128 does not fit a narrow target.
  source_weights src{8, std::vector<std::int8_t>(n * k, 5), {0.25f}, {}, {}};
  std::vector<double> sw(n * k, 1.25);
  const weight_format f8pc{8, true, true, false};
  CHECK(convert_weights(sw, n, k, f8pc, &src, true, {}, "test").exact);
  src.codes[0] = -128;
  sw[0] = -32.0;
  const auto moved = convert_weights(sw, n, k, f8pc, &src, false, {}, "test");
  CHECK_FALSE(moved.exact);
  CHECK(moved.scale[1] == 0.25f);  // the other channels keep theirs
}
