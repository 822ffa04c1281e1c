// calibration/: the entropy observer, the bad-input policy, the input forms every
// observer accepts, the observer concepts, and the calibration report.
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
#include <xtensor/xbuilder.hpp>
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
using mixq::test::inf_f;
using mixq::test::nan_f;
using mixq::test::normal_tensor;
}  // namespace

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
      // Zeros, not from_shape(): uninitialised floats may hold NaN, which the observer rightly refuses.
      CHECK_THROWS_WITH(o.observe(xt::xtensor<float, 2>(xt::zeros<float>({5, 100}))),
                        Contains("extent 5 along axis 0 but earlier batches had 4"));
      Observer other;
      other.observe(xt::xtensor<float, 2>(xt::zeros<float>({3, 10})));
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
  CHECK_THROWS_WITH(measure_quantization_error(xt::xtensor<float, 2>(xt::zeros<float>({3, 2})),
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
  direct.observe(xt::xtensor<float, 2>(xt::ones<float>({2, 7})));
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
