// calibration/: the min-max, moving-average and histogram observers against
// PyTorch 1.13 golden vectors, bit for bit or within the bound PyTorch implies.
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
