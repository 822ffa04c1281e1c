// Observers on 64 MB of float32 input (16 Mi values), single thread, against
// the read bandwidth measured in the same run. Rates count bytes read.
//
//   read/64MB                      mixq_bench::read_bandwidth, the yardstick
//   minmax/observe                 min-max observer, per tensor (one pass)
//   minmax/observe_per_channel     the same, 256 channels along axis 0
//   minmax/observe_last_axis       the same, 64 channels along the last axis
//   histogram/observe              histogram observer, 2048 bins (extremes pass + binning pass)
//   histogram/observe_per_channel  the same, 256 channels along axis 0
//   entropy/observe                |x| histogram (entropy and symmetric percentile observers)
//   histogram/qparams              the L2 search on the filled histogram (not a streaming rate)
//   mse/qparams, entropy/qparams   their searches likewise

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <random>

#include <array>

#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>

#include <mixq/calibration/entropy.hpp>
#include <mixq/calibration/histogram.hpp>
#include <mixq/calibration/minmax.hpp>
#include <mixq/calibration/mse.hpp>

#include "support/machine_limits.hpp"

namespace {

constexpr std::size_t values = mixq_bench::large_bytes / sizeof(float);

// The same 64 MB for every benchmark: normal values with a few outliers.
const xt::xtensor<float, 1>& input() {
  static const xt::xtensor<float, 1> x = [] {
    xt::xtensor<float, 1> v = xt::xtensor<float, 1>::from_shape({values});
    std::mt19937 rng(7);
    std::normal_distribution<float> d(0.0f, 1.0f);
    for (auto& e : v) e = d(rng);
    v(values / 3) = 40.0f;
    v(values / 2) = -25.0f;
    return v;
  }();
  return x;
}

template <std::size_t Rank>
auto reshaped(std::array<std::size_t, Rank> shape) {
  return xt::adapt(input().data(), values, xt::no_ownership(), shape);
}

void set_bytes(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(values * sizeof(float)));
}

template <class Observer, class X>
void observe(benchmark::State& state, const X& x) {
  Observer o;
  for (auto _ : state) {
    o.observe(x);
    benchmark::DoNotOptimize(o.count());
  }
  set_bytes(state);
}

void read(benchmark::State& state) { mixq_bench::read_bandwidth(state); }

using mixq::scheme;
namespace s = mixq::schemes;

void minmax_observe(benchmark::State& state) { observe<mixq::minmax_observer<s::uint8_asym>>(state, input()); }
void minmax_per_channel(benchmark::State& state) {
  observe<mixq::minmax_observer<scheme{.axis = 0}>>(state, reshaped<2>({256, values / 256}));
}
void minmax_last_axis(benchmark::State& state) {
  observe<mixq::minmax_observer<scheme{.axis = 1}>>(state, reshaped<2>({values / 64, 64}));
}
void histogram_observe(benchmark::State& state) {
  observe<mixq::histogram_observer<s::uint8_asym>>(state, input());
}
void histogram_per_channel(benchmark::State& state) {
  observe<mixq::histogram_observer<scheme{.axis = 0}>>(state, reshaped<2>({256, values / 256}));
}
void entropy_observe(benchmark::State& state) { observe<mixq::entropy_observer<s::int8_sym>>(state, input()); }

template <class Observer>
void search(benchmark::State& state) {
  Observer o;
  o.observe(input());
  for (auto _ : state) benchmark::DoNotOptimize(o.qparams());
}

}  // namespace

BENCHMARK(read)->Name("read/64MB")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(minmax_observe)->Name("minmax/observe")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(minmax_per_channel)->Name("minmax/observe_per_channel")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(minmax_last_axis)->Name("minmax/observe_last_axis")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(histogram_observe)->Name("histogram/observe")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(histogram_per_channel)->Name("histogram/observe_per_channel")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(entropy_observe)->Name("entropy/observe")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(search<mixq::histogram_observer<s::uint8_asym>>)
    ->Name("histogram/qparams")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(search<mixq::mse_observer<s::uint8_asym>>)->Name("mse/qparams")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(search<mixq::entropy_observer<s::int8_sym>>)
    ->Name("entropy/qparams")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
