// Streaming kernels on 64 MB of input, single thread, against the copy
// bandwidth measured in the same run. Rates count bytes read + written.
//
//   quantize/int8          float32 -> int8 codes (per tensor)
//   quantize/int4          float32 -> packed int4 codes
//   dequantize/int8        int8 codes -> float32
//   requantize/int8        int32 -> int8, one fixed multiplier per channel (4096 channels per row)
//   pack/int4, unpack/int4 int8 lanes <-> packed int4 rows
//   copy/64MB              memcpy, the yardstick

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include <mixq/kernels/pack.hpp>
#include <mixq/kernels/quantize.hpp>
#include <mixq/kernels/requantize.hpp>

#include "support/machine_limits.hpp"

namespace {

constexpr std::size_t cols = 4096;

void set_bytes(benchmark::State& state, std::size_t bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
}

void quantize(benchmark::State& state, mixq::scheme s) {
  const std::size_t n = mixq_bench::large_bytes / sizeof(float), rows = n / cols;
  std::vector<float> x(n);
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (auto& v : x) v = dist(rng);
  const std::size_t row_bytes = mixq::packed_row_bytes(cols, s.bits);
  std::vector<std::uint8_t> out(rows * row_bytes);
  const float scale = 0.05f;
  const std::int32_t zp = s.symmetric ? 0 : 3;
  for (auto _ : state) {
    mixq::quantize_kernel(mixq::default_arch{}, {.scheme = s, .x = x.data(), .rows = rows, .cols = cols, .x_stride = cols,
                                                 .channels = {&scale, &zp, mixq::channel_axis::tensor},
                                                 .out = out.data(), .out_stride = row_bytes});
    benchmark::ClobberMemory();
  }
  set_bytes(state, n * sizeof(float) + out.size());
}

void dequantize(benchmark::State& state) {
  const std::size_t n = mixq_bench::large_bytes / sizeof(float), rows = n / cols;
  std::vector<std::uint8_t> q(n);
  for (std::size_t i = 0; i < n; ++i) q[i] = static_cast<std::uint8_t>(i * 7);
  std::vector<float> out(n);
  const float scale = 0.05f;
  const std::int32_t zp = 3;
  for (auto _ : state) {
    mixq::dequantize_kernel(mixq::default_arch{},
                            {.scheme = mixq::schemes::int8_asym, .q = q.data(), .rows = rows, .cols = cols,
                             .q_stride = cols, .channels = {&scale, &zp, mixq::channel_axis::tensor},
                             .out = out.data(), .out_stride = cols});
    benchmark::ClobberMemory();
  }
  set_bytes(state, n + n * sizeof(float));
}

void requantize(benchmark::State& state) {
  const std::size_t n = mixq_bench::large_bytes / sizeof(std::int32_t), rows = n / cols;
  std::vector<std::int32_t> acc(n);
  std::mt19937 rng(2);
  std::uniform_int_distribution<std::int32_t> dist(-(1 << 20), 1 << 20);
  for (auto& v : acc) v = dist(rng);
  std::vector<mixq::fixed_multiplier> m(cols);
  for (std::size_t c = 0; c < cols; ++c) m[c] = mixq::quantize_multiplier(1e-4 * (1.0 + static_cast<double>(c % 17)));
  std::vector<std::uint8_t> out(n);
  mixq::requantize_params p;
  p.multiplier = m.data();
  p.per_channel = true;
  p.zero_point = -5;
  for (auto _ : state) {
    mixq::requantize_kernel(mixq::default_arch{}, {.x = acc.data(), .rows = rows, .cols = cols, .x_stride = cols,
                                                   .params = p, .out = out.data(), .out_stride = cols});
    benchmark::ClobberMemory();
  }
  set_bytes(state, n * sizeof(std::int32_t) + n);
}

void pack(benchmark::State& state) {
  const std::size_t n = mixq_bench::large_bytes, rows = n / cols;
  std::vector<std::uint8_t> lanes(n);
  for (std::size_t i = 0; i < n; ++i) lanes[i] = static_cast<std::uint8_t>((i * 5) & 0x0f);
  std::vector<std::uint8_t> out(n / 2);
  for (auto _ : state) {
    mixq::pack_kernel(mixq::default_arch{}, {.lanes = lanes.data(), .rows = rows, .cols = cols, .lane_stride = cols,
                                             .bits = 4, .out = out.data(), .out_stride = cols / 2});
    benchmark::ClobberMemory();
  }
  set_bytes(state, n + n / 2);
}

void unpack(benchmark::State& state) {
  const std::size_t n = mixq_bench::large_bytes, rows = n / cols;
  std::vector<std::uint8_t> packed(n / 2);
  for (std::size_t i = 0; i < n / 2; ++i) packed[i] = static_cast<std::uint8_t>(i * 13);
  std::vector<std::uint8_t> lanes(n);
  for (auto _ : state) {
    mixq::unpack_kernel(mixq::default_arch{}, {.packed = packed.data(), .rows = rows, .cols = cols, .packed_stride = cols / 2,
                                               .bits = 4, .is_signed = true, .lanes = lanes.data(), .lane_stride = cols});
    benchmark::ClobberMemory();
  }
  set_bytes(state, n / 2 + n);
}

void copy(benchmark::State& state) { mixq_bench::copy_bandwidth(state); }

}  // namespace

BENCHMARK(copy)->Name("copy/64MB")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(quantize, int8, mixq::schemes::int8_asym)->Name("quantize/int8")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(quantize, int4, mixq::schemes::int4_sym)->Name("quantize/int4")->Unit(benchmark::kMillisecond);
BENCHMARK(dequantize)->Name("dequantize/int8")->Unit(benchmark::kMillisecond);
BENCHMARK(requantize)->Name("requantize/int8")->Unit(benchmark::kMillisecond);
BENCHMARK(pack)->Name("pack/int4")->Unit(benchmark::kMillisecond);
BENCHMARK(unpack)->Name("unpack/int4")->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
