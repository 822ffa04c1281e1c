#pragma once
// The machine's memory limits, measured in the same run as the kernels so a
// result can be stated as a share of what the chip can do: a read loop (sum
// of 64-bit words) and a copy loop (memcpy). Both report bytes/s through
// Google Benchmark's `bytes_per_second`.

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace mixq_bench {

/// 64 MB: far beyond the last-level cache of the machines we measure on.
inline constexpr std::size_t large_bytes = std::size_t{64} << 20;

/// Reads `bytes` once per iteration with independent accumulators.
inline void read_bandwidth(benchmark::State& state, std::size_t bytes = large_bytes) {
  std::vector<std::uint64_t> buffer(bytes / sizeof(std::uint64_t), 1);
  for (auto _ : state) {
    std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    const std::uint64_t* p = buffer.data();
    for (std::size_t i = 0; i + 8 <= buffer.size(); i += 8) {
      s0 += p[i];
      s1 += p[i + 1];
      s2 += p[i + 2];
      s3 += p[i + 3];
      s4 += p[i + 4];
      s5 += p[i + 5];
      s6 += p[i + 6];
      s7 += p[i + 7];
    }
    std::uint64_t total = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
    benchmark::DoNotOptimize(total);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

/// Copies `bytes` once per iteration; counts bytes read + written.
inline void copy_bandwidth(benchmark::State& state, std::size_t bytes = large_bytes) {
  std::vector<std::uint8_t> from(bytes, 1), to(bytes, 0);
  for (auto _ : state) {
    std::memcpy(to.data(), from.data(), bytes);
    benchmark::DoNotOptimize(to.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * static_cast<std::int64_t>(bytes));
}

}  // namespace mixq_bench
