// calibration/kernels.hpp: the SIMD min/max and histogram kernels against their
// scalar twins (calibration/reference.hpp), and the bin rule at its edges.
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


namespace {
using namespace mixq;
using mixq::test::inf_f;
using mixq::test::nan_f;
using mixq::test::bits_of;
}  // namespace

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
