// This machine's limits, the yardsticks of docs/performance.md:
//
//   peak/vnni_dpbusd       vpdpbusd throughput with 24 independent accumulators (GMACs)
//   peak/read/<size>       read bandwidth (sum of 64-bit words), 16 MB (last-level cache) and 64 MB (memory)
//   peak/copy/<size>       memcpy bandwidth, bytes read + written

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>

#include "support/machine_limits.hpp"

namespace {

#if defined(__AVX512VNNI__) && defined(__x86_64__)
// 24 chains of vpdpbusd in assembly: compilers move accumulators around
// when the loop is written with intrinsics, which would measure them instead.
void vnni_peak(benchmark::State& state) {
  constexpr long iterations = 1 << 20;
  for (auto _ : state) {
    long n = iterations;
    asm volatile(
        "vpternlogd $0xff, %%zmm30, %%zmm30, %%zmm30\n"
        "vpternlogd $0xff, %%zmm31, %%zmm31, %%zmm31\n"
        "1:\n"
#define MIXQ_DP(r) "vpdpbusd %%zmm31, %%zmm30, %%zmm" #r "\n"
        MIXQ_DP(0) MIXQ_DP(1) MIXQ_DP(2) MIXQ_DP(3) MIXQ_DP(4) MIXQ_DP(5) MIXQ_DP(6) MIXQ_DP(7) MIXQ_DP(8)
        MIXQ_DP(9) MIXQ_DP(10) MIXQ_DP(11) MIXQ_DP(12) MIXQ_DP(13) MIXQ_DP(14) MIXQ_DP(15) MIXQ_DP(16)
        MIXQ_DP(17) MIXQ_DP(18) MIXQ_DP(19) MIXQ_DP(20) MIXQ_DP(21) MIXQ_DP(22) MIXQ_DP(23)
#undef MIXQ_DP
        "dec %0\n"
        "jnz 1b\n"
        : "+r"(n)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
          "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm30",
          "xmm31", "cc");
  }
  // 24 instructions x 16 lanes x 4 multiply-accumulates per iteration.
  state.counters["GMACs"] = benchmark::Counter(static_cast<double>(state.iterations()) * iterations * 24 * 64 * 1e-9,
                                               benchmark::Counter::kIsRate);
}
BENCHMARK(vnni_peak)->Name("peak/vnni_dpbusd")->Unit(benchmark::kMillisecond);
#endif

void read_l3(benchmark::State& state) { mixq_bench::read_bandwidth(state, std::size_t{16} << 20); }
void read_memory(benchmark::State& state) { mixq_bench::read_bandwidth(state); }
void copy_memory(benchmark::State& state) { mixq_bench::copy_bandwidth(state); }

BENCHMARK(read_l3)->Name("peak/read/16MB")->Unit(benchmark::kMicrosecond);
BENCHMARK(read_memory)->Name("peak/read/64MB")->Unit(benchmark::kMicrosecond);
BENCHMARK(copy_memory)->Name("peak/copy/64MB")->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
