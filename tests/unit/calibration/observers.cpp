// calibration/: the observers against PyTorch 1.13 golden vectors, the SIMD
// kernels against their scalar twins, the error models against numerical
// integration, the properties that tie the observers together, and the
// bad-input policy.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "support/floats.hpp"
#include <fmt/format.h>
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include <mixq/calibration/entropy.hpp>
#include <mixq/calibration/histogram.hpp>
#include <mixq/calibration/kernels.hpp>
#include <mixq/calibration/minmax.hpp>
#include <mixq/calibration/mse.hpp>
#include <mixq/calibration/observer_concepts.hpp>
#include <mixq/calibration/percentile.hpp>
#include <mixq/calibration/reference.hpp>
#include <mixq/calibration/report.hpp>
#include <mixq/tensor/quantize.hpp>

#include "golden/torch_observers.inc"

namespace {
using namespace mixq;
namespace s = mixq::schemes;
using Catch::Contains;
using mixq::test::inf_f;
using mixq::test::nan_f;

using mixq::test::bits_of;

// The schemes of the golden cases, by the names the generator uses.
constexpr std::array<std::string_view, 7> golden_names = {"uint8_asym", "uint8_sym",       "int8_asym", "int8_sym",
                                                          "int8_sym_narrow", "int4_sym", "uint4_asym"};

constexpr scheme golden_scheme(std::string_view name, int axis) {
  scheme r{.axis = axis};
  if (name == "uint8_asym") r = {.is_signed = false, .symmetric = false, .axis = axis};
  if (name == "uint8_sym") r = {.is_signed = false, .axis = axis};
  if (name == "int8_asym") r = {.symmetric = false, .axis = axis};
  if (name == "int8_sym_narrow") r = {.narrow = true, .axis = axis};
  if (name == "int4_sym") r = {.bits = 4, .axis = axis};
  if (name == "uint4_asym") r = {.bits = 4, .is_signed = false, .symmetric = false, .axis = axis};
  return r;
}

// Calls f.template operator()<S>() for the golden scheme called `name` along
// `axis` (axes 1 and 2 only for the two schemes the generator uses there).
template <class F>
void with_golden_scheme(std::string_view name, int axis, F&& f) {
  bool found = false;
  auto one = [&]<std::size_t I, int Axis>() {
    constexpr std::string_view n = golden_names[I];
    if constexpr (Axis <= 0 || n == "uint8_asym" || n == "int8_sym") {
      if (!found && name == n && axis == Axis) {
        found = true;
        f.template operator()<golden_scheme(n, Axis)>();
      }
    }
  };
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (one.template operator()<I, -1>(), ...);
    (one.template operator()<I, 0>(), ...);
    (one.template operator()<I, 1>(), ...);
    (one.template operator()<I, 2>(), ...);
  }(std::make_index_sequence<golden_names.size()>{});
  if (!found) FAIL("no golden scheme " << name << " along axis " << axis);
}

// Feeds every batch of a golden data set to an observer.
template <class Observer>
void observe_dataset(Observer& o, const torch_observer_dataset& d) {
  std::vector<std::size_t> shape(d.shape, d.shape + d.rank);
  std::size_t size = 1;
  for (std::size_t e : shape) size *= e;
  for (std::size_t b = 0; b < d.batches; ++b) {
    o.observe(xt::adapt(d.values + b * size, size, xt::no_ownership(), shape));
  }
}

template <scheme S>
void require_params(const qparams<S>& p, std::size_t channels, const float* scale, const std::int32_t* zp) {
  REQUIRE(mixq::channels(p) == channels);
  for (std::size_t c = 0; c < channels; ++c) {
    INFO("channel " << c);
    CHECK(bits_of(scale_of(p, c)) == bits_of(scale[c]));
    CHECK(zero_point_of(p, c) == zp[c]);
  }
}

template <class Observer>
void check_minmax_case(const torch_minmax_case& k) {
  const torch_minmax_state& st = torch_minmax_states[k.state];
  Observer o;
  observe_dataset(o, torch_observer_datasets[st.dataset]);
  REQUIRE(o.min_values().size() == st.channels);
  for (std::size_t c = 0; c < st.channels; ++c) {
    INFO("channel " << c);
    CHECK(bits_of(o.min_values()[c]) == bits_of(st.min[c]));
    CHECK(bits_of(o.max_values()[c]) == bits_of(st.max[c]));
  }
  require_params(o.qparams(), st.channels, k.scale, k.zero_point);
}

}  // namespace

TEST_CASE("min-max and moving-average observers match PyTorch 1.13 bit for bit", "[calibration][golden]") {
  for (const auto& k : torch_minmax_cases) {
    const torch_minmax_state& st = torch_minmax_states[k.state];
    const torch_observer_dataset& d = torch_observer_datasets[st.dataset];
    INFO(st.observer << " " << k.scheme << " on " << d.name << " (axis " << d.axis << ")");
    with_golden_scheme(k.scheme, d.axis, [&]<scheme S>() {
      if (std::string_view(st.observer) == "minmax") {
        check_minmax_case<minmax_observer<S>>(k);
      } else {
        check_minmax_case<moving_average_minmax_observer<S>>(k);
      }
    });
  }
}

namespace {

template <scheme S>
histogram_observer<S> observe_histogram_dataset(const torch_histogram_dataset& d) {
  histogram_observer<S> o;
  for (std::size_t b = 0; b < d.batches; ++b) {
    o.observe(xt::adapt(d.values + b * d.batch_size, d.batch_size, xt::no_ownership(),
                        std::array<std::size_t, 1>{d.batch_size}));
  }
  return o;
}

template <scheme S>
void require_histogram_result(const histogram_observer<S>& o, const torch_histogram_result& want) {
  const auto [lo, hi] = o.clipping_range(0);
  CHECK(bits_of(lo) == bits_of(want.clip_min));
  CHECK(bits_of(hi) == bits_of(want.clip_max));
  const qparams<S> p = o.qparams();
  CHECK(bits_of(p.scale) == bits_of(want.scale));
  CHECK(p.zero_point == want.zero_point);
}

}  // namespace

TEST_CASE("histogram observer: PyTorch 1.13's L2 search, bit for bit", "[calibration][golden]") {
  for (const auto& k : torch_histogram_cases) {
    const torch_histogram_dataset& d = torch_histogram_datasets[k.dataset];
    const std::string_view name = d.name;
    INFO(k.scheme << " on " << name);
    with_golden_scheme(k.scheme, -1, [&]<scheme S>() {
      if constexpr (!is_per_channel(S)) {
      const histogram_observer<S> o = observe_histogram_dataset<S>(d);
      // Where int(min) .. int(max) is the real range (integer extremes), or
      // int(min) == int(max) (torch.histc then takes the data's extremes),
      // 1.13's truncation changes nothing.
      if (name == "integer_range" || name == "within_one") {
        INFO("stock 1.13");
        require_histogram_result(o, k.stock);
      }
      // The same search over a histogram of the real range.
      if (k.has_fixed) {
        require_histogram_result(o, k.fixed);
      }
      }
    });
  }
}

TEST_CASE("histogram observer: PyTorch 1.13's truncated histogram, within the bound it implies",
          "[calibration][golden]") {
  // 1.13 bins over [a, b] = [int(min), int(max)] but reads the bins as if they
  // spanned [min, max]. So it drops the values outside [a, b], and the rest
  // move by at most d = max(|min - a|, |max - b|) data units, i.e. by at most
  // m = floor(bins * d / min(max - min, b - a)) + 2 bins (one more for the
  // float rounding of each index). Cumulative counts must then satisfy
  //   C_torch[j] <= C_mixq[j + m]   and   C_torch[j] >= C_mixq[j - m] - dropped.
  for (const auto& stock : torch_stock_histograms) {
    const torch_histogram_dataset& d = torch_histogram_datasets[stock.dataset];
    INFO(d.name);
    const histogram_observer<s::uint8_asym> o = observe_histogram_dataset<s::uint8_asym>(d);
    const auto& h = o.histograms();
    const std::size_t bins = h.bins();
    const float lo = h.lo(0), hi = h.hi(0);
    const float a = std::trunc(lo), b = std::trunc(hi);
    std::size_t dropped = 0;
    for (std::size_t i = 0; i < d.batch_size; ++i) dropped += (d.values[i] < a || d.values[i] > b) ? 1 : 0;
    std::vector<double> torch_counts(bins, 0.0);
    double torch_total = 0;
    for (std::size_t k = 0; k < stock.nonempty; ++k) {
      torch_counts[stock.bin[k]] = stock.count[k];
      torch_total += stock.count[k];
    }
    CHECK(torch_total == h.total(0) - static_cast<double>(dropped));
    const double shift = std::max(std::fabs(lo - a), std::fabs(hi - b));
    const double narrowest = std::min(static_cast<double>(hi) - lo, static_cast<double>(b) - a);
    const auto m = static_cast<std::size_t>(std::floor(static_cast<double>(bins) * shift / narrowest)) + 2;
    INFO("dropped " << dropped << ", bound " << m << " bins");
    CHECK(m < bins / 8);  // the bound says something
    std::vector<double> mixq_cum(bins), torch_cum(bins);
    double run_m = 0, run_t = 0;
    for (std::size_t j = 0; j < bins; ++j) {
      mixq_cum[j] = (run_m += h.counts(0)[j]);
      torch_cum[j] = (run_t += torch_counts[j]);
    }
    for (std::size_t j = 0; j < bins; ++j) {
      INFO("bin " << j);
      REQUIRE(torch_cum[j] <= mixq_cum[std::min(j + m, bins - 1)]);
      if (j >= m) REQUIRE(torch_cum[j] >= mixq_cum[j - m] - static_cast<double>(dropped));
    }
  }
}

// ---------------------------------------------------------------------------
// Kernels against their scalar twins.

TEST_CASE("kernels: SIMD min/max and histogram equal their scalar twins", "[calibration][kernels]") {
  using arch = xsimd::default_arch;
  INFO("architecture " << arch::name());
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.5f, 3.0f);
  for (std::size_t n : {0u, 1u, 3u, 15u, 16u, 17u, 63u, 64u, 65u, 127u, 1000u, 4099u}) {
    for (int bad = 0; bad < 4; ++bad) {
      INFO("n = " << n << ", case " << bad);
      std::vector<float> x(n);
      for (float& v : x) v = normal(rng);
      if (bad > 0 && n > 0) {
        const float poison[] = {nan_f, inf_f, -inf_f};
        x[std::uniform_int_distribution<std::size_t>(0, n - 1)(rng)] = poison[bad - 1];
      }
      const detail::span_range ref = mixq::reference::minmax_span(x.data(), n);
      const detail::span_range got = detail::minmax_span_kernel{}(arch{}, x.data(), n);
      REQUIRE(got.all_finite == ref.all_finite);
      if (ref.all_finite) {
        CHECK(bits_of(got.lo) == bits_of(ref.lo));
        CHECK(bits_of(got.hi) == bits_of(ref.hi));
      }
      // The same values as rows of every length that divides n.
      for (std::size_t length = 1; length <= n; ++length) {
        if (n % length != 0 || (length > 40 && length != n)) continue;
        INFO("rows of " << length);
        std::vector<float> lo_ref(length, 1.0f), hi_ref(length, -1.0f), lo_got(lo_ref), hi_got(hi_ref);
        const bool rows_ref = mixq::reference::minmax_rows(x.data(), n / length, length, lo_ref.data(), hi_ref.data());
        const bool rows_got =
            detail::minmax_rows_kernel{}(arch{}, x.data(), n / length, length, lo_got.data(), hi_got.data());
        REQUIRE(rows_got == rows_ref);
        if (rows_ref) {
          CHECK(lo_got == lo_ref);
          CHECK(hi_got == hi_ref);
        }
      }
      if (!ref.all_finite || n == 0) continue;
      for (const bool magnitude : {false, true}) {
        for (const std::uint32_t bins : {1u, 7u, 2048u}) {
          const float base = magnitude ? 0.0f : ref.lo;
          const float top = magnitude ? std::max(-ref.lo, ref.hi) : ref.hi;
          const detail::bin_rule rule(base, top - base, bins);
          std::vector<std::uint32_t> want(bins, 0), got1(bins, 0), got4(4 * bins, 0);
          mixq::reference::histogram(x.data(), n, rule, magnitude, want.data());
          detail::histogram_kernel{}(arch{}, x.data(), n, rule, magnitude, got1.data(), 1);
          detail::histogram_kernel{}(arch{}, x.data(), n, rule, magnitude, got4.data(), 4);
          for (std::uint32_t k = 0; k < bins; ++k) {
            INFO("bins " << bins << ", magnitude " << magnitude << ", bin " << k);
            REQUIRE(got1[k] == want[k]);
            REQUIRE(got4[k] + got4[bins + k] + got4[2 * bins + k] + got4[3 * bins + k] == want[k]);
          }
        }
      }
    }
  }
}

TEST_CASE("kernels: the bin rule is torch.histc's, at the edges and for huge ranges", "[calibration][kernels]") {
  // trunc((x - lo) * bins / width): 0.25 of the way into 4 bins is the start of bin 1.
  const detail::bin_rule r(-1.0f, 2.0f, 4);
  CHECK(r(-1.0f) == 0);
  CHECK(r(-0.5f) == 1);
  CHECK(r(-0.50001f) == 0);
  CHECK(r(0.0f) == 2);
  CHECK(r(1.0f) == 3);  // the top edge goes to the last bin
  CHECK(detail::bin_rule(5.0f, 0.0f, 8)(5.0f) == 0);  // a one-point range
  // A range wider than FLT_MAX / bins divides first instead of overflowing.
  const detail::bin_rule wide(-1e38f, 2e38f, 2048);
  CHECK(wide.divide_first);
  CHECK(wide(-1e38f) == 0);
  CHECK(wide(0.0f) == 1024);
  CHECK(wide(1e38f) == 2047);
  std::vector<float> x = {-1e38f, 0.0f, 1e38f, 5e37f, -5e37f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f,
                          9.0f,   1e37f, 2e37f, 3e37f};
  std::vector<std::uint32_t> want(2048, 0), got(2048, 0);
  mixq::reference::histogram(x.data(), x.size(), wide, false, want.data());
  detail::histogram_kernel{}(xsimd::default_arch{}, x.data(), x.size(), wide, false, got.data(), 1);
  CHECK(got == want);
  // Every bin edge of an awkward range and its float neighbours: where a
  // multiply by bins / width would round differently from the division.
  const float lo = -1.3f, hi = 2.9f;
  const detail::bin_rule edges(lo, hi - lo, 2048);
  std::vector<float> y;
  for (int k = 0; k <= 2048; ++k) {
    const float v = lo + (hi - lo) * static_cast<float>(k) / 2048.0f;
    for (float w : {std::nextafter(v, -inf_f), v, std::nextafter(v, inf_f)}) y.push_back(std::clamp(w, lo, hi));
  }
  std::vector<std::uint32_t> ref(2048, 0), simd(2048, 0);
  std::size_t differ = 0;
  for (float v : y) {
    ++ref[edges(v)];
    const float t = (v - lo) * (2048.0f / (hi - lo));
    differ += std::min(static_cast<std::uint32_t>(t), 2047u) != edges(v) ? 1u : 0u;
  }
  CHECK(differ > 0);  // the data can tell the two formulas apart
  detail::histogram_kernel{}(xsimd::default_arch{}, y.data(), y.size(), edges, false, simd.data(), 1);
  CHECK(simd == ref);
}

// ---------------------------------------------------------------------------
// Error models against numerical integration.

namespace {

// Midpoint rule with n points.
double integrate(const detail::quantizer_model& q, double a, double b, std::size_t n = 200000) {
  const double h = (b - a) / static_cast<double>(n);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += detail::squared_error_at(q, a + (static_cast<double>(i) + 0.5) * h);
  return sum * h;
}

}  // namespace

TEST_CASE("error model: the closed-form integral of (x - Q(x))^2 equals numerical integration",
          "[calibration][model]") {
  const detail::scheme_limits int8 = detail::scheme_limits_of<s::int8_asym>();
  const detail::scheme_limits bin = detail::scheme_limits_of<s::binary>();
  struct interval {
    double a, b;
  };
  for (const auto& [scale, zp] : std::vector<std::pair<float, std::int32_t>>{{0.1f, 0}, {0.037f, -20}, {1.5f, 100}}) {
    const auto q = detail::model_of(int8, scale, zp);
    for (const interval& iv : {interval{-0.31, 0.77}, interval{q.low - 3.0, q.low + 0.4}, interval{q.high - 0.5, q.high + 7.0},
                               interval{q.low - 1.0, q.high + 1.0}, interval{0.049, 0.051}, interval{2.0, 2.0}}) {
      INFO("scale " << scale << " zp " << zp << " on [" << iv.a << ", " << iv.b << "]");
      const double exact = detail::squared_error_integral(q, iv.a, iv.b);
      CHECK(exact == Approx(integrate(q, iv.a, iv.b)).epsilon(1e-6).margin(1e-15));
    }
  }
  const auto qb = detail::model_of(bin, 0.75f, 0);
  CHECK(detail::squared_error_integral(qb, -2.0, 1.5) == Approx(integrate(qb, -2.0, 1.5)).epsilon(1e-6));
  // A whole cell of width s inside the range contributes s^3 / 12.
  const auto q = detail::model_of(int8, 0.5f, 0);
  CHECK(detail::squared_error_integral(q, 10.25, 10.75) == Approx(0.125 / 12.0).epsilon(1e-12));
}

// ---------------------------------------------------------------------------
// Hand-worked rules.

TEST_CASE("range rule: PyTorch's formulas worked by hand", "[calibration]") {
  minmax_observer<s::uint8_asym> a;
  a.observe(xt::xtensor<float, 1>{-1.0f, 2.0f, 0.5f});
  // scale = (2 - -1) / 255; zp = 0 - round(-1 / scale) = round(85) = 85.
  CHECK(a.qparams().scale == 3.0f / 255.0f);
  CHECK(a.qparams().zero_point == 85);
  minmax_observer<s::int8_sym> b;
  b.observe(xt::xtensor<float, 1>{-1.0f, 2.0f});
  CHECK(b.qparams().scale == 2.0f / 127.5f);  // max |x| / ((127 - -128) / 2)
  minmax_observer<s::int8_sym_narrow> c;
  c.observe(xt::xtensor<float, 1>{-1.0f, 2.0f});
  CHECK(c.qparams().scale == 2.0f / 127.0f);
  minmax_observer<s::uint8_sym> u;
  u.observe(xt::xtensor<float, 1>{3.0f});
  CHECK(u.qparams().zero_point == 128);
  CHECK(u.qparams().scale == 3.0f / 127.5f);
  minmax_observer<scheme{.bits = 4, .is_signed = false}> u4;
  u4.observe(xt::xtensor<float, 1>{3.0f});
  CHECK(u4.qparams().zero_point == 8);  // 2^(bits-1)
  // Positive-only data still includes 0; a tiny range is floored at 2^-23.
  minmax_observer<s::uint8_asym> pos;
  pos.observe(xt::xtensor<float, 1>{2.0f, 3.0f});
  CHECK(pos.qparams().scale == 3.0f / 255.0f);
  CHECK(pos.qparams().zero_point == 0);
  minmax_observer<s::int8_asym> zero;
  zero.observe(xt::xtensor<float, 1>{0.0f, 0.0f});
  CHECK(zero.qparams().scale == std::ldexp(1.0f, -23));
  CHECK(zero.qparams().zero_point == -128);
  minmax_observer<s::binary> bin;
  bin.observe(xt::xtensor<float, 1>{-0.5f, 0.25f});
  CHECK(bin.qparams().scale == 0.5f);  // max |x| / ((1 - -1) / 2)
}

TEST_CASE("moving average: min <- min + c * (batch_min - min), worked by hand", "[calibration]") {
  moving_average_minmax_observer<s::int8_asym> o({.averaging_constant = 0.5f});
  o.observe(xt::xtensor<float, 1>{0.0f, 2.0f});
  o.observe(xt::xtensor<float, 1>{-2.0f, 4.0f});
  o.observe(xt::xtensor<float, 1>{0.0f, 0.0f});
  CHECK(o.min_values() == std::vector<float>{-0.5f});
  CHECK(o.max_values() == std::vector<float>{1.5f});
  CHECK(o.averaging_constant() == 0.5f);
  CHECK(moving_average_minmax_observer<s::int8_asym>().averaging_constant() == 0.01f);
}

TEST_CASE("pow2: the exponent rule worked by hand", "[calibration][pow2]") {
  // [-1, 1] on int8: real scale 1/127.5, log2 = -6.99. 2^-7 clips [0.992, 1]
  // a little, 2^-6 doubles the step everywhere: -7 wins.
  minmax_observer<s::int8_pow2> o;
  o.observe(xt::xtensor<float, 1>{-1.0f, 1.0f});
  CHECK(o.qparams().exponent == -7);
  CHECK(o.qparams().scale == 0.0078125f);
  // All zeros: every candidate is exact; the tie goes to the exponent nearest
  // log2(2^-23) = -23.
  minmax_observer<s::int8_pow2> z;
  z.observe(xt::xtensor<float, 1>{0.0f});
  CHECK(z.qparams().exponent == -23);
  // An asymmetric pow2 scheme recomputes the zero point for the chosen scale.
  minmax_observer<scheme{.bits = 4, .is_signed = false, .symmetric = false, .scale = scale_kind::pow2}> a;
  a.observe(xt::xtensor<float, 1>{-1.0f, 3.0f});
  const auto p = a.qparams();
  CHECK(p.scale == std::ldexp(1.0f, p.exponent));
  CHECK(p.zero_point == static_cast<std::int32_t>(-std::nearbyint(-1.0f / p.scale)));
}

// ---------------------------------------------------------------------------
// Properties.

namespace {

xt::xtensor<float, 1> heavy_tailed(std::size_t n, unsigned seed, float shift = 0.0f) {
  std::mt19937 rng(seed);
  std::student_t_distribution<float> t(2.0f);
  xt::xtensor<float, 1> x = xt::zeros<float>({n});
  for (auto& v : x) v = t(rng) + shift;
  return x;
}

xt::xtensor<float, 3> normal_tensor(std::array<std::size_t, 3> shape, unsigned seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.2f, sigma);
  xt::xtensor<float, 3> x(shape);
  for (auto& v : x) v = d(rng);
  return x;
}

template <scheme S, class E>
double noise(const E& x, const qparams<S>& p) {
  return measure_quantization_error(x, p).noise;
}

}  // namespace

TEST_CASE("property: min-max parameters cover the data", "[calibration][property]") {
  const xt::xtensor<float, 3> x = normal_tensor({3, 4, 80}, 21, 2.0f);
  auto covers = [&]<scheme S>() {
    INFO(fmt::format("{}", S));
    minmax_observer<S> o;
    o.observe(x);
    const qparams<S> p = o.qparams();
    const auto back = mixq::reference::dequantize(mixq::reference::quantize(x, p));
    // Every value is within half a step of its code: nothing is clipped.
    detail::float_batch b(x, S.axis);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const float step = scale_of(p, is_per_channel(S) ? b.channel_of(i) : 0);
      REQUIRE(std::fabs(x.data()[i] - back.data()[i]) <= 0.5f * step * (1.0f + 1e-5f));
    }
  };
  covers.template operator()<s::int8_asym>();
  covers.template operator()<s::int8_sym>();
  covers.template operator()<s::int8_sym_narrow>();
  covers.template operator()<s::uint8_sym>();
  covers.template operator()<s::int4_asym>();
  covers.template operator()<scheme{.bits = 3, .axis = 1}>();
  covers.template operator()<scheme{.is_signed = false, .symmetric = false, .axis = 2}>();
}

TEST_CASE("property: on heavy-tailed data the MSE observer's error is at most min-max's", "[calibration][property]") {
  auto compare = [&]<scheme S>(const auto& x, double ratio) {
    INFO(fmt::format("{}", S));
    minmax_observer<S> mm;
    mse_observer<S> mse;
    mm.observe(x);
    mse.observe(x);
    const double e_mm = noise(x, mm.qparams()), e_mse = noise(x, mse.qparams());
    INFO("min-max " << e_mm << ", mse " << e_mse);
    CHECK(e_mse <= ratio * e_mm);
  };
  // Student's t with 2 degrees of freedom: infinite variance, so clipping the
  // outliers costs about what the finer step saves.
  const auto x = heavy_tailed(8192, 31);
  compare.template operator()<s::int8_sym>(x, 1.0);
  compare.template operator()<s::int8_asym>(x, 1.0);
  compare.template operator()<s::int4_sym>(x, 1.0);
  compare.template operator()<s::uint8_asym>(heavy_tailed(8192, 32, 3.0f), 1.0);
  const xt::xtensor<float, 2> w = xt::reshape_view(heavy_tailed(4 * 2048, 33), {4, 2048});
  compare.template operator()<s::int8_sym_per_channel>(w, 1.0);
  // Laplace at 4 bits: the L2-optimal clip is near 5 scale units against ~9
  // for the extremes of 8192 draws, which roughly halves the error.
  std::mt19937 rng(34);
  std::exponential_distribution<float> e(1.0f);
  xt::xtensor<float, 1> laplace = xt::zeros<float>({8192});
  for (auto& v : laplace) v = (rng() & 1u) ? e(rng) : -e(rng);
  compare.template operator()<s::int4_sym>(laplace, 0.7);
  compare.template operator()<s::int4_asym>(laplace, 0.7);
}

TEST_CASE("property: pow2 scales are exact powers of two, at the best of the candidate exponents",
          "[calibration][property][pow2]") {
  const xt::xtensor<float, 3> x = normal_tensor({2, 3, 300}, 41, 1.7f);
  auto check = [&]<class Observer>(Observer o) {
    constexpr scheme S = Observer::scheme_value;
    INFO(Observer::name << " " << fmt::format("{}", S));
    o.observe(x);
    const auto p = o.qparams();
    REQUIRE_NOTHROW(validate(p));
    for (std::size_t c = 0; c < channels(p); ++c) {
      const float scale = scale_of(p, c);
      int e = 0;
      CHECK(std::frexp(scale, &e) == 0.5f);  // a power of two
      if constexpr (is_per_channel(S)) {
        CHECK(scale == std::ldexp(1.0f, p.exponent[c]));
      } else {
        CHECK(scale == std::ldexp(1.0f, p.exponent));
      }
    }
  };
  constexpr scheme pt = s::int8_pow2;
  constexpr scheme pc{.bits = 4, .scale = scale_kind::pow2, .axis = 1};
  constexpr scheme asym{.bits = 6, .symmetric = false, .scale = scale_kind::pow2};
  check(minmax_observer<pt>());
  check(moving_average_minmax_observer<pc>());
  check(histogram_observer<asym>());
  check(percentile_observer<pt>());
  check(mse_observer<pc>());
  check(entropy_observer<asym>());

  // The chosen exponent's error, integrated numerically over the model (the
  // uniform distribution on [min, max] for min-max), is the least of the three.
  const auto y = heavy_tailed(4096, 43);
  minmax_observer<pt> mm;
  mm.observe(y);
  const auto p = mm.qparams();
  const double lo = mm.min_values()[0], hi = mm.max_values()[0];
  const detail::scheme_limits r = detail::scheme_limits_of<pt>();
  auto model_error = [&](int e) {
    return integrate(detail::model_of(r, std::ldexp(1.0f, e), 0), lo, hi, 400000) / (hi - lo);
  };
  for (int e = p.exponent - 1; e <= p.exponent + 1; e += 2) {
    INFO("exponent " << p.exponent << " against " << e);
    CHECK(model_error(p.exponent) <= model_error(e) * (1 + 1e-6));
  }
  // For a histogram observer the model is the histogram, sampled here bin by bin.
  histogram_observer<pt> ho;
  ho.observe(y);
  const auto hp = ho.qparams();
  const auto& h = ho.histograms();
  auto histogram_error = [&](int e) {
    const auto q = detail::model_of(r, std::ldexp(1.0f, e), 0);
    const double width = (static_cast<double>(h.hi(0)) - h.lo(0)) / static_cast<double>(h.bins());
    double total = 0;
    for (std::size_t i = 0; i < h.bins(); ++i) {
      if (h.counts(0)[i] == 0) continue;
      const double a = h.lo(0) + static_cast<double>(i) * width;
      total += h.counts(0)[i] * integrate(q, a, a + width, 200) / width;
    }
    return total;
  };
  for (int e = hp.exponent - 1; e <= hp.exponent + 1; e += 2) {
    INFO("exponent " << hp.exponent << " against " << e);
    CHECK(histogram_error(hp.exponent) <= histogram_error(e) * (1 + 1e-4));
  }
}

namespace {

// Two batches with the same extremes (so histograms share one grid) and
// different bulk.
std::pair<xt::xtensor<float, 2>, xt::xtensor<float, 2>> twin_batches(unsigned seed) {
  xt::xtensor<float, 2> a = xt::view(normal_tensor({1, 6, 90}, seed, 1.0f), 0);
  xt::xtensor<float, 2> b = xt::view(normal_tensor({1, 6, 90}, seed + 1, 0.5f), 0);
  for (std::size_t c = 0; c < 6; ++c) {
    a(c, 0) = b(c, 1) = -5.0f - static_cast<float>(c);
    a(c, 1) = b(c, 0) = 6.0f + static_cast<float>(c);
  }
  return {a, b};
}

template <class Observer>
void check_merge_equals_sequential() {
  INFO(Observer::name << " " << fmt::format("{}", Observer::scheme_value));
  const auto [a, b] = twin_batches(51);
  Observer seq, left, right;
  seq.observe(a);
  seq.observe(b);
  left.observe(a);
  right.observe(b);
  left.merge(right);
  CHECK(left.count() == seq.count());
  CHECK(left.batches() == 2);
  CHECK(left.qparams() == seq.qparams());
  if constexpr (requires { seq.histograms(); }) {
    const auto &h = left.histograms(), &g = seq.histograms();
    for (std::size_t c = 0; c < g.channels(); ++c) {
      CHECK(std::equal(h.counts(c), h.counts(c) + h.bins(), g.counts(c)));
    }
  }
  // Merging into an empty observer copies; merging an empty one changes nothing.
  Observer empty, copy;
  copy.merge(seq);
  CHECK(copy.qparams() == seq.qparams());
  seq.merge(empty);
  CHECK(seq.qparams() == copy.qparams());
}

}  // namespace

TEST_CASE("property: merge(a, b) equals observing both", "[calibration][property][merge]") {
  constexpr scheme pt = s::uint8_asym;
  constexpr scheme pc{.axis = 0};
  check_merge_equals_sequential<minmax_observer<pt>>();
  check_merge_equals_sequential<minmax_observer<pc>>();
  check_merge_equals_sequential<histogram_observer<pt>>();
  check_merge_equals_sequential<percentile_observer<pc>>();
  check_merge_equals_sequential<mse_observer<pt>>();
  check_merge_equals_sequential<entropy_observer<pc>>();

  SECTION("min-max: any two streams") {
    const auto x = normal_tensor({2, 3, 50}, 52, 1.0f), y = normal_tensor({2, 3, 50}, 53, 3.0f);
    minmax_observer<pc> seq, left, right;
    seq.observe(x);
    seq.observe(y);
    left.observe(x);
    right.observe(y);
    left.merge(right);
    CHECK(left.min_values() == seq.min_values());
    CHECK(left.max_values() == seq.max_values());
    CHECK(left.qparams() == seq.qparams());
  }
  SECTION("histograms of different ranges: each value's mass moves by at most one bin") {
    const xt::xtensor<float, 1> narrow = xt::view(normal_tensor({1, 1, 3000}, 54, 0.5f), 0, 0);
    const xt::xtensor<float, 1> wide = xt::view(normal_tensor({1, 1, 3000}, 55, 3.0f), 0, 0);
    histogram_observer<pt> seq, left, right, direct;
    seq.observe(narrow);
    seq.observe(wide);
    left.observe(narrow);
    right.observe(wide);
    left.merge(right);
    direct.observe(xt::concatenate(xt::xtuple(narrow, wide)));
    const auto& d = direct.histograms();
    for (const auto* o : {&seq, &left}) {
      const auto& h = o->histograms();
      REQUIRE(h.lo(0) == d.lo(0));
      REQUIRE(h.hi(0) == d.hi(0));
      CHECK(h.total(0) == Approx(6000.0).epsilon(1e-12));
      double ch = 0, cd = 0, cd_prev = 0;
      for (std::size_t j = 0; j + 1 < h.bins(); ++j) {
        ch += h.counts(0)[j];
        cd_prev = cd;
        cd += d.counts(0)[j];
        const double cd_next = cd + d.counts(0)[j + 1];
        INFO("bin " << j);
        REQUIRE(cd_prev <= ch + 1e-9);
        REQUIRE(ch <= cd_next + 1e-9);
      }
    }
  }
}

TEST_CASE("histograms: moving mass onto a wider range, worked by hand", "[calibration][merge]") {
  // Four bins on [0, 4] with masses 1, 2, 3, 4, onto four bins on [-0.5, 7.5]
  // (width 2): old bin [1, 2] straddles the new edge 1.5 and splits in half,
  // so does [3, 4] at 3.5.
  const detail::channel_histograms h(4, false);
  const std::array<double, 4> from = {1, 2, 3, 4};
  std::array<double, 4> to = {0, 0, 0, 0};
  h.regrid(from.data(), 0.0f, 4.0f, to.data(), -0.5f, 7.5f);
  CHECK(to == std::array<double, 4>{2, 6, 2, 0});
  // A one-point range moves as a point, to the bin the data rule gives it.
  std::array<double, 4> point = {0, 0, 0, 0};
  h.regrid(std::array<double, 4>{5, 0, 0, 0}.data(), 3.0f, 3.0f, point.data(), 0.0f, 4.0f);
  CHECK(point == std::array<double, 4>{0, 0, 0, 5});
}

TEST_CASE("mse: the search finds the optimum of a brute-force scan", "[calibration][property]") {
  std::mt19937 rng(63);
  std::exponential_distribution<float> e(1.0f);
  xt::xtensor<float, 1> x = xt::zeros<float>({8192});
  for (auto& v : x) v = (rng() & 1u) ? e(rng) : -0.5f * e(rng);
  auto check = [&]<scheme S>() {
    INFO(fmt::format("{}", S));
    mse_observer<S> o({.bins = 256});  // a coarse histogram keeps the scan cheap
    o.observe(x);
    const auto& h = o.histograms();
    const detail::scheme_limits r = detail::scheme_limits_of<S>();
    auto model = [&](double a, double b) {
      const auto p = detail::real_params(r, static_cast<float>(a), static_cast<float>(b), "test", 0);
      return detail::histogram_squared_error(detail::model_of(r, p.scale, p.zero_point), h.counts(0), h.bins(),
                                             h.lo(0), h.hi(0));
    };
    const auto [lo, hi] = o.clipping_range(0);
    const double found = model(lo, hi);
    double best = std::numeric_limits<double>::infinity();
    const double top = std::max(-double(h.lo(0)), double(h.hi(0)));
    if constexpr (S.symmetric) {
      for (int k = 1; k <= 4000; ++k) best = std::min(best, model(-top * k / 4000, top * k / 4000));
    } else {
      for (int i = 1; i <= 80; ++i) {
        for (int k = 1; k <= 80; ++k) best = std::min(best, model(double(h.lo(0)) * i / 80, double(h.hi(0)) * k / 80));
      }
    }
    INFO("search " << found << ", scan " << best);
    CHECK(found <= best * (1 + 1e-4));
  };
  check.template operator()<s::int4_sym>();
  check.template operator()<s::int4_asym>();
}

TEST_CASE("property: moving-average merge is the batch-weighted mean of the two averages",
          "[calibration][property][merge]") {
  const auto x = normal_tensor({2, 3, 40}, 61), y = normal_tensor({2, 3, 40}, 62, 4.0f);
  moving_average_minmax_observer<s::int8_asym> a, b, same;
  a.observe(x);
  a.observe(y);
  same.observe(x);
  same.observe(y);
  b.observe(y);
  moving_average_minmax_observer<s::int8_asym> merged = a;
  merged.merge(same);  // identical statistics: unchanged
  CHECK(merged.min_values() == a.min_values());
  CHECK(merged.qparams() == a.qparams());
  merged = a;
  merged.merge(b);  // weights 2 : 1
  const double want = (2.0 * a.min_values()[0] + b.min_values()[0]) / 3.0;
  CHECK(merged.min_values()[0] == Approx(want).epsilon(1e-6));
  moving_average_minmax_observer<s::int8_asym> other_way = b;
  other_way.merge(a);
  CHECK(other_way.min_values()[0] == merged.min_values()[0]);
  CHECK_THROWS_WITH(a.merge(moving_average_minmax_observer<s::int8_asym>({.averaging_constant = 0.1f})),
                    Contains("c = 0.1") && Contains("c = 0.01"));
}

TEST_CASE("property: per-channel equals per-tensor run on each channel", "[calibration][property]") {
  const xt::xtensor<float, 3> x = normal_tensor({3, 4, 70}, 71, 1.3f);
  const xt::xtensor<float, 3> y = normal_tensor({3, 4, 70}, 72, 0.4f);
  auto check = [&]<template <scheme> class Observer, int Axis>() {
    constexpr scheme pc{.bits = 4, .symmetric = Axis == 1, .axis = Axis};
    constexpr scheme pt{.bits = 4, .symmetric = Axis == 1};
    INFO(Observer<pc>::name << " along axis " << Axis);
    Observer<pc> per_channel;
    per_channel.observe(x);
    per_channel.observe(y);
    const auto p = per_channel.qparams();
    REQUIRE(channels(p) == x.shape()[Axis]);
    for (std::size_t c = 0; c < x.shape()[Axis]; ++c) {
      Observer<pt> per_tensor;
      if constexpr (Axis == 1) {
        per_tensor.observe(xt::view(x, xt::all(), c, xt::all()));
        per_tensor.observe(xt::view(y, xt::all(), c, xt::all()));
      } else {
        per_tensor.observe(xt::view(x, xt::all(), xt::all(), c));
        per_tensor.observe(xt::view(y, xt::all(), xt::all(), c));
      }
      const auto q = per_tensor.qparams();
      INFO("channel " << c);
      CHECK(p.scale[c] == q.scale);
      CHECK(p.zero_point[c] == q.zero_point);
    }
  };
  // Axis 1 reads 70-value spans, axis 2 (the last) one value per channel per row.
  check.template operator()<minmax_observer, 1>();
  check.template operator()<minmax_observer, 2>();
  check.template operator()<moving_average_minmax_observer, 2>();
  check.template operator()<histogram_observer, 1>();
  check.template operator()<histogram_observer, 2>();
  check.template operator()<percentile_observer, 1>();
  check.template operator()<mse_observer, 2>();
  check.template operator()<entropy_observer, 1>();
}

TEST_CASE("percentile: within one bin width of the data's own percentile", "[calibration]") {
  std::mt19937 rng(81);
  std::normal_distribution<float> d(1.0f, 2.0f);
  xt::xtensor<float, 1> x = xt::zeros<float>({20000});
  for (auto& v : x) v = d(rng);
  std::vector<float> sorted(x.begin(), x.end()), magnitudes(x.size());
  std::sort(sorted.begin(), sorted.end());
  std::transform(x.begin(), x.end(), magnitudes.begin(), [](float v) { return std::fabs(v); });
  std::sort(magnitudes.begin(), magnitudes.end());
  auto at = [](const std::vector<float>& v, double q) {
    return v[static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1];
  };
  for (double pct : {99.99, 99.9, 99.0, 90.0}) {
    INFO("percentile " << pct);
    percentile_observer<s::int8_asym> asym({.percentile = pct});
    asym.observe(x);
    const auto [lo, hi] = asym.clipping_range(0);
    const double width = (static_cast<double>(sorted.back()) - sorted.front()) / 2048.0;
    CHECK(std::fabs(hi - at(sorted, pct / 100)) <= width);
    CHECK(std::fabs(lo - at(sorted, 1 - pct / 100)) <= width);
    percentile_observer<s::int8_sym> sym({.percentile = pct});
    sym.observe(x);
    const float t = sym.clipping_range(0).hi;
    CHECK(std::fabs(t - at(magnitudes, pct / 100)) <= magnitudes.back() / 2048.0);
    CHECK(sym.qparams().scale == std::max(t / 127.5f, detail::scale_floor));
  }
  // 100 reads the min-max range back from the histogram.
  percentile_observer<s::int8_asym> all({.percentile = 100});
  all.observe(x);
  CHECK(all.clipping_range(0) == clip_range{sorted.front(), sorted.back()});
}

namespace {

// KL(P_i || Q_i) computed directly from the definition, one candidate at a time.
double direct_divergence(const std::vector<double>& h, std::size_t i, std::size_t levels) {
  std::vector<double> p(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(i));
  for (std::size_t k = i; k < h.size(); ++k) p[i - 1] += h[k];
  std::vector<double> q(i, 0.0);
  const std::size_t group = i / levels;
  for (std::size_t g = 0; g < levels; ++g) {
    const std::size_t begin = g * group, end = g + 1 == levels ? i : begin + group;
    double mass = 0, support = 0;
    for (std::size_t k = begin; k < end; ++k) {
      mass += h[k];
      support += p[k] != 0 ? 1 : 0;
    }
    for (std::size_t k = begin; k < end; ++k) q[k] = p[k] != 0 ? mass / support : 0.0;
  }
  double sp = 0, sq = 0;
  for (std::size_t k = 0; k < i; ++k) {
    sp += p[k];
    sq += q[k];
  }
  double kl = 0;
  for (std::size_t k = 0; k < i; ++k) {
    if (p[k] == 0) continue;
    if (q[k] == 0) return std::numeric_limits<double>::infinity();
    kl += p[k] / sp * std::log((p[k] / sp) / (q[k] / sq));
  }
  return kl;
}

}  // namespace

TEST_CASE("entropy: divergences from prefix sums equal the definition", "[calibration][entropy]") {
  std::mt19937 rng(91);
  for (const std::size_t bins : {40u, 300u}) {
    const std::size_t levels = 8;
    std::vector<double> h(bins);
    std::exponential_distribution<double> mass(0.05);
    for (std::size_t k = 0; k < bins; ++k) h[k] = (k % 7 == 3) ? 0.0 : std::floor(mass(rng)) * double(bins - k);
    h[bins - 1] = 2;  // an outlier
    h[bins / 2 + 1] = 0;
    const auto kl = detail::entropy_divergences(h.data(), bins, levels);
    REQUIRE(kl.size() == bins - levels);
    for (std::size_t i = levels; i < bins; ++i) {
      INFO("bins " << bins << ", candidate " << i);
      const double want = direct_divergence(h, i, levels);
      if (std::isinf(want)) {
        CHECK(std::isinf(kl[i - levels]));
      } else {
        CHECK(kl[i - levels] == Approx(want).epsilon(1e-9).margin(1e-12));
      }
    }
  }
  // Everything beyond the candidates: every divergence is infinite, so the
  // threshold is the whole range.
  std::vector<double> last(64, 0.0);
  last[63] = 10;
  CHECK(detail::entropy_threshold(last.data(), 64, 5.0f, 8) == 5.0f);
}

TEST_CASE("entropy: clips outliers, threshold (i + 0.5) bins", "[calibration][entropy]") {
  std::mt19937 rng(92);
  std::normal_distribution<float> d(0.0f, 1.0f);
  xt::xtensor<float, 1> x = xt::zeros<float>({50000});
  for (auto& v : x) v = d(rng);
  x(0) = 40.0f;  // one outlier sets the range
  entropy_observer<s::int8_sym> o;
  o.observe(x);
  const float t = o.clipping_range(0).hi;
  const auto& h = o.histograms();
  std::vector<double> counts(h.counts(0), h.counts(0) + h.bins());
  std::size_t best = 128;
  double best_kl = std::numeric_limits<double>::infinity();
  for (std::size_t i = 128; i < h.bins(); ++i) {
    const double kl = direct_divergence(counts, i, 128);
    if (kl < best_kl) {
      best_kl = kl;
      best = i;
    }
  }
  CHECK(t == Approx((static_cast<double>(best) + 0.5) * 40.0 / 2048.0).epsilon(1e-6));
  CHECK(t > 2.5f);
  CHECK(t < 10.0f);  // far below the outlier
}

// ---------------------------------------------------------------------------
// Bad input.

namespace {

// Plain blocks, not SECTIONs: this runs for several observers in one test
// case, and Catch would enter sections at the same source line only once.
template <class Observer>
void check_bad_input() {
  constexpr scheme S = Observer::scheme_value;
  INFO(Observer::name << " " << fmt::format("{}", S));
  const xt::xtensor<float, 2> x = xt::view(normal_tensor({1, 4, 100}, 101), 0);

  {
    INFO("qparams() before any data");
    Observer o;
    CHECK_THROWS_WITH(o.qparams(), Contains("qparams") && Contains("no data observed yet"));
    o.observe(xt::xtensor<float, 2>::from_shape({0, 100}));  // an empty tensor is a no-op
    CHECK(o.batches() == 0);
    CHECK_THROWS_AS(o.qparams(), mixq::error);
  }
  {
    INFO("NaN or inf throws, naming the value and where it is, and changes nothing");
    Observer o;
    o.observe(x);
    const auto before = o.qparams();
    for (const float bad : {nan_f, inf_f, -inf_f}) {
      xt::xtensor<float, 2> y = x;
      y(2, 77) = bad;
      CHECK_THROWS_WITH(o.observe(y), Contains("observe") && Contains(fmt::format("x[flat index 277] = {}", bad)) &&
                                          Contains("non_finite_policy::ignore"));
    }
    CHECK(o.batches() == 1);
    CHECK(o.count() == x.size());
    CHECK(o.qparams() == before);
  }
  {
    INFO("non_finite_policy::ignore leaves them out and counts them");
    Observer clean, dirty({.non_finite = non_finite_policy::ignore});
    xt::xtensor<float, 2> y = x;
    y(0, 3) = nan_f;
    y(1, 99) = inf_f;
    y(3, 50) = -inf_f;
    dirty.observe(y);
    CHECK(dirty.non_finite_count() == 3);
    CHECK(dirty.count() == x.size() - 3);
    // The same data without them (as a flat list for per-tensor schemes).
    if constexpr (!is_per_channel(S)) {
      std::vector<float> kept;
      for (float v : y) {
        if (std::isfinite(v)) kept.push_back(v);
      }
      clean.observe(xt::adapt(kept, std::array<std::size_t, 1>{kept.size()}));
      CHECK(dirty.qparams() == clean.qparams());
    } else {
      // A channel with nothing finite cannot be calibrated.
      Observer all_bad({.non_finite = non_finite_policy::ignore});
      xt::xtensor<float, 2> z = x;
      xt::view(z, 1, xt::all()) = nan_f;
      all_bad.observe(z);
      CHECK_THROWS_WITH(all_bad.qparams(), Contains("channel 1 has seen no finite value"));
    }
  }
  if constexpr (is_per_channel(S)) {
    {
    INFO("a different extent along the axis throws");
      Observer o;
      o.observe(x);
      CHECK_THROWS_WITH(o.observe(xt::xtensor<float, 2>::from_shape({5, 100})),
                        Contains("extent 5 along axis 0 but earlier batches had 4"));
      Observer other;
      other.observe(xt::xtensor<float, 2>::from_shape({3, 10}));
      CHECK_THROWS_WITH(o.merge(other), Contains("saw 3 channels but this one 4"));
    }
  }
}

}  // namespace

TEST_CASE("bad input: NaN and inf, no data, empty tensors, changing channel counts", "[calibration][errors]") {
  check_bad_input<minmax_observer<s::int8_asym>>();
  check_bad_input<moving_average_minmax_observer<scheme{.axis = 0}>>();
  check_bad_input<histogram_observer<scheme{.is_signed = false, .symmetric = false, .axis = 0}>>();
  check_bad_input<percentile_observer<s::int8_sym>>();
  check_bad_input<mse_observer<s::uint8_asym>>();
  check_bad_input<entropy_observer<scheme{.symmetric = false, .axis = 0}>>();
}

TEST_CASE("bad input: options, ranks, ranges and merges", "[calibration][errors]") {
  CHECK_THROWS_WITH(moving_average_minmax_observer<s::int8_asym>({.averaging_constant = 0.0f}),
                    Contains("options.averaging_constant = 0") && Contains("0 < c <= 1"));
  CHECK_THROWS_AS(moving_average_minmax_observer<s::int8_asym>({.averaging_constant = 1.5f}), mixq::error);
  CHECK_THROWS_AS(moving_average_minmax_observer<s::int8_asym>({.averaging_constant = nan_f}), mixq::error);
  CHECK_NOTHROW(moving_average_minmax_observer<s::int8_asym>({.averaging_constant = 1.0f}));
  CHECK_THROWS_WITH(histogram_observer<s::int8_asym>({.bins = 0}), Contains("options.bins = 0"));
  CHECK_THROWS_WITH(entropy_observer<s::int8_sym>({.bins = 128}), Contains("options.bins = 128") && Contains("129 <= bins"));
  CHECK_NOTHROW(entropy_observer<s::int4_sym>({.bins = 9}));
  CHECK_THROWS_WITH(percentile_observer<s::int8_sym>({.percentile = 40.0}),
                    Contains("options.percentile = 40") && Contains("50 <= p <= 100"));
  CHECK_THROWS_AS(percentile_observer<s::int8_sym>({.percentile = 100.5}), mixq::error);

  // A per-channel scheme on a dynamic-rank tensor without that axis.
  minmax_observer<scheme{.axis = 1}> o;
  CHECK_THROWS_WITH(o.observe(xt::xarray<float>(xt::zeros<float>({4}))),
                    Contains("x has rank 1 but the scheme's channel axis is 1"));

  // Ranges float32 cannot span.
  const xt::xtensor<float, 1> wide = {-3e38f, 3e38f};
  minmax_observer<s::int8_asym> mm;
  mm.observe(wide);
  CHECK_THROWS_WITH(mm.qparams(), Contains("[-3e+38, 3e+38]") && Contains("float32 cannot hold"));
  histogram_observer<s::int8_asym> h;
  CHECK_THROWS_WITH(h.observe(wide), Contains("wider than float32"));
  CHECK(h.batches() == 0);

  histogram_observer<s::int8_asym> a({.bins = 100}), b;
  b.observe(xt::xtensor<float, 1>{1.0f});
  CHECK_THROWS_WITH(a.merge(b), Contains("2048 bins but this one 100"));
  percentile_observer<s::int8_sym> p1({.percentile = 99.0}), p2;
  CHECK_THROWS_WITH(p1.merge(p2), Contains("99.99th") && Contains("99th"));

  // The report measures finite data with matching parameters only.
  CHECK_THROWS_WITH(measure_quantization_error(xt::xtensor<float, 1>{1.0f, nan_f}, qparams<s::int8_sym>{0.1f}),
                    Contains("x[flat index 1] = nan"));
  CHECK_THROWS_WITH(measure_quantization_error(xt::xtensor<float, 2>::from_shape({3, 2}),
                                               qparams<s::int8_sym_per_channel>{.scale = {0.1f, 0.2f}}),
                    Contains("qparams has 2 channels but the tensor has 3"));
}

TEST_CASE("input forms: views, other value types and column-major tensors read the logical values",
          "[calibration]") {
  const xt::xtensor<float, 3> x = normal_tensor({3, 5, 20}, 111);
  minmax_observer<scheme{.axis = 1}> direct, doubles, column, view;
  direct.observe(x);
  doubles.observe(xt::xtensor<double, 3>(xt::cast<double>(x)));
  xt::xtensor<float, 3, xt::layout_type::column_major> cm = x;
  column.observe(cm);
  view.observe(xt::view(x, xt::all(), xt::all(), xt::range(0, 20)));
  CHECK(doubles.qparams() == direct.qparams());
  CHECK(column.qparams() == direct.qparams());
  CHECK(view.qparams() == direct.qparams());
  direct.reset();
  CHECK(direct.batches() == 0);
  CHECK(direct.channels() == 0);
  CHECK_THROWS_AS(direct.qparams(), mixq::error);
  direct.observe(xt::xtensor<float, 2>::from_shape({2, 7}) * 0.0f + 1.0f);
  CHECK(direct.channels() == 7);
}

// ---------------------------------------------------------------------------
// The report.

static_assert(ObserverOf<minmax_observer<s::int8_sym>, s::int8_sym>);
static_assert(ObserverOf<moving_average_minmax_observer<s::int8_sym>, s::int8_sym>);
static_assert(ObserverOf<histogram_observer<s::int8_sym>, s::int8_sym>);
static_assert(ObserverOf<percentile_observer<s::int8_sym>, s::int8_sym>);
static_assert(ObserverOf<mse_observer<s::int8_sym>, s::int8_sym>);
static_assert(ObserverOf<entropy_observer<s::int8_sym>, s::int8_sym>);
static_assert(!ObserverOf<entropy_observer<s::int8_sym>, s::int8_asym>);
static_assert(!CalibrationObserver<qparams<s::int8_sym>>);

TEST_CASE("report: SQNR of each observer and the best one", "[calibration][report]") {
  std::mt19937 rng(121);
  std::exponential_distribution<float> laplace(1.0f);
  xt::xtensor<float, 2> w = xt::zeros<float>({8, 512});
  for (auto& v : w) v = (rng() & 1u) ? laplace(rng) : -laplace(rng);
  const auto report = calibrate_and_report<s::int4_sym>(w);
  REQUIRE(report.entries.size() == 6);
  const std::vector<std::string> names = {"minmax", "moving_average", "histogram", "percentile", "mse", "entropy"};
  for (std::size_t i = 0; i < 6; ++i) {
    const auto& e = report.entries[i];
    INFO(e.observer);
    CHECK(e.observer == names[i]);
    // SQNR from the reference quantize / dequantize of the whole tensor.
    const auto back = mixq::reference::dequantize(mixq::reference::quantize(w, e.params));
    double signal = 0, err = 0;
    for (std::size_t k = 0; k < w.size(); ++k) {
      signal += double(w.data()[k]) * w.data()[k];
      err += (double(w.data()[k]) - back.data()[k]) * (double(w.data()[k]) - back.data()[k]);
    }
    CHECK(e.sqnr_db() == Approx(10 * std::log10(signal / err)).epsilon(1e-12));
    CHECK(e.sqnr_db() <= report.best().sqnr_db());
  }
  // Laplace at 4 bits: clipping pays, so min-max is well below the best.
  CHECK(report.best().sqnr_db() > report.entries[0].sqnr_db() + 2.0);

  const std::string text = fmt::format("{}", report);
  CHECK_THAT(text, Contains("calibration report: int4 symmetric, 4096 values"));
  CHECK_THAT(text, Contains("observer") && Contains("SQNR (dB)") && Contains("parameters"));
  CHECK_THAT(text, Contains(fmt::format("best: {} ({:.2f} dB)", report.best().observer, report.best().sqnr_db())));

  // Observers calibrated elsewhere, judged on one tensor.
  minmax_observer<s::int4_sym> mm;
  percentile_observer<s::int4_sym> pct({.percentile = 99.9});
  mm.observe(xt::view(w, xt::range(0, 4), xt::all()));
  pct.observe(xt::view(w, xt::range(0, 4), xt::all()));
  const auto judged = make_calibration_report(xt::view(w, xt::range(4, 8), xt::all()), mm, pct);
  REQUIRE(judged.entries.size() == 2);
  CHECK(judged.entries[1].params == pct.qparams());
  CHECK(judged.entries[0].error.size == 2048);
}

TEST_CASE("report: the printed table", "[calibration][report]") {
  calibration_report<s::int8_asym> r;
  r.entries.push_back({"minmax", {0.5f, 3}, {100.0, 1.0, 4}});
  r.entries.push_back({"mse", {0.25f, -1}, {100.0, 0.0, 4}});
  CHECK(fmt::format("{}", r) ==
        "calibration report: int8 asymmetric, 4 values\n"
        "observer          SQNR (dB)          MSE  parameters\n"
        "minmax                20.00         0.25  scale=0.5 zero_point=3\n"
        "mse                     inf            0  scale=0.25 zero_point=-1\n"
        "best: mse (inf dB)");
  CHECK_THROWS_WITH(calibration_report<s::int8_asym>{}.best(), Contains("no entries"));
}
