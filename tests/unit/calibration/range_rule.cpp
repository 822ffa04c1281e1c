// calibration/range_rule.hpp: the error model against numerical integration, and
// PyTorch's range, moving-average and power-of-two rules worked by hand.
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
#include "unit/calibration/observer_data.hpp"
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


namespace {
using namespace mixq;
namespace s = mixq::schemes;
}  // namespace

namespace {

using mixq::test::integrate;

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
