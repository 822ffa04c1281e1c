// calibration/: the properties that tie the observers together (coverage, error
// ordering, pow2 optimality, merge, per-channel, the MSE and percentile searches).
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


#include "unit/calibration/observer_data.hpp"

namespace {
using namespace mixq;
namespace s = mixq::schemes;
using Catch::Contains;
using mixq::test::heavy_tailed;
using mixq::test::integrate;
using mixq::test::normal_tensor;

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
