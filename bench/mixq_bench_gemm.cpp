// GEMM throughput: mixq against oneDNN, XNNPACK and gemmlowp, single thread.
//
//   gemm/<impl>/w<W>a<A>/<M>x<N>x<K>     counter GMACs = M*N*K per second / 1e9
//
// Every implementation multiplies M x K activations by N x K weights with
// int32 accumulation; weights are packed or reordered once, outside the
// timed loop. mixq and oneDNN compute exactly u8 activations x s8 weights ->
// int32. gemmlowp has no signed operand (u8 x u8 with offsets -> int32) and
// XNNPACK no int32 output (s8 x s8 fully connected, requantized to s8): the
// closest operation each offers, with the same multiply-accumulate count.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <mixq/kernels/gemm.hpp>

#if MIXQ_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
extern "C" void omp_set_num_threads(int);
#endif
#if MIXQ_HAVE_XNNPACK
#include <xnnpack.h>
#endif
#if MIXQ_HAVE_GEMMLOWP
#include <public/gemmlowp.h>
#endif

namespace {

struct shape {
  std::size_t m, n, k;
  bool operator==(const shape&) const = default;
};

std::string shape_name(const shape& s) { return fmt::format("{}x{}x{}", s.m, s.n, s.k); }

template <class T>
std::vector<T> random_bytes(std::size_t n, int lo, int hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(dist(rng));
  return v;
}

void set_counters(benchmark::State& state, const shape& s) {
  state.counters["GMACs"] = benchmark::Counter(
      static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k) * 1e-9 *
          static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}

// mixq: a-bit activations x w-bit signed weights -> int32. Activations of
// 8, 4 or 2 bits are unsigned codes (any byte is a valid packed row of
// them); 1-bit ones are binary (-1/+1), as the 1-bit weights they meet.
void bench_mixq(benchmark::State& state, shape s, int wbits, int abits) {
  const std::size_t stride = mixq::packed_row_bytes(s.k, abits);
  const auto a = random_bytes<std::uint8_t>(s.m * stride, 0, 255, 1);
  const mixq::code_range codes = mixq::code_range_of(wbits, true);
  const int lo = codes.lo, hi = codes.hi;
  auto w = random_bytes<std::int8_t>(s.n * s.k, lo, hi, 2);
  if (wbits == 1) {
    for (auto& x : w) x = x > 0 ? 1 : -1;
  }
  const auto packed = mixq::pack_weights(mixq::weight_layout_for<mixq::default_arch>(wbits), w.data(), s.n, s.k, s.k);
  std::vector<std::int32_t> c(s.m * s.n);
  const mixq::activation_matrix am{a.data(), s.m, s.k, stride, abits, abits == 1, 0};
  const mixq::int32_output out{c.data(), s.n};
  for (auto _ : state) {
    mixq::gemm_kernel(mixq::default_arch{}, am, packed, nullptr, out);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, s);
  state.SetLabel(mixq::default_arch::name());
}

#if MIXQ_HAVE_ONEDNN
// oneDNN matmul u8 x s8 -> s32; weights reordered once to the layout the primitive picks.
void bench_onednn(benchmark::State& state, shape s) {
  using namespace dnnl;
  omp_set_num_threads(1);
  engine eng(engine::kind::cpu, 0);
  stream strm(eng);
  const memory::dim m = static_cast<memory::dim>(s.m), n = static_cast<memory::dim>(s.n),
                    k = static_cast<memory::dim>(s.k);
  memory::desc a_md({m, k}, memory::data_type::u8, memory::format_tag::ab);
  memory::desc b_any({k, n}, memory::data_type::s8, memory::format_tag::any);
  memory::desc b_md({k, n}, memory::data_type::s8, memory::format_tag::ba);  // N x K row-major
  memory::desc c_md({m, n}, memory::data_type::s32, memory::format_tag::ab);
  matmul::primitive_desc pd(matmul::desc(a_md, b_any, c_md), eng);
  auto a = random_bytes<std::uint8_t>(s.m * s.k, 0, 255, 1);
  auto w = random_bytes<std::int8_t>(s.n * s.k, -128, 127, 2);
  memory a_mem(a_md, eng, a.data());
  memory b_user(b_md, eng, w.data());
  memory b_mem(pd.weights_desc(), eng);
  reorder(b_user, b_mem).execute(strm, b_user, b_mem);
  memory c_mem(c_md, eng);
  matmul prim(pd);
  for (auto _ : state) {
    prim.execute(strm, {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}});
    strm.wait();
    benchmark::ClobberMemory();
  }
  set_counters(state, s);
  state.SetLabel(pd.impl_info_str());
}
#endif

#if MIXQ_HAVE_XNNPACK
// XNNPACK fully connected s8 x s8 -> s8 (requantized): its closest operator.
void bench_xnnpack(benchmark::State& state, shape s) {
  if (xnn_initialize(nullptr) != xnn_status_success) {
    state.SkipWithError("xnn_initialize failed");
    return;
  }
  auto a = random_bytes<std::int8_t>(s.m * s.k, -128, 127, 1);
  auto w = random_bytes<std::int8_t>(s.n * s.k, -127, 127, 2);
  std::vector<std::int32_t> bias(s.n, 0);
  std::vector<std::int8_t> out(s.m * s.n);
  xnn_operator_t op = nullptr;
  const float out_scale = 1.0f;  // any scale: the accumulation is what is timed
  if (xnn_create_fully_connected_nc_qs8(s.k, s.n, s.k, s.n, 0, 1.0f, 1.0f, w.data(), bias.data(), 0, out_scale, -128,
                                        127, 0, &op) != xnn_status_success) {
    state.SkipWithError("xnn_create_fully_connected_nc_qs8 failed");
    return;
  }
  if (xnn_setup_fully_connected_nc_qs8(op, s.m, a.data(), out.data(), nullptr) != xnn_status_success) {
    state.SkipWithError("xnn_setup_fully_connected_nc_qs8 failed");
    return;
  }
  for (auto _ : state) {
    xnn_run_operator(op, nullptr);
    benchmark::ClobberMemory();
  }
  xnn_delete_operator(op);
  set_counters(state, s);
  state.SetLabel("qs8 fully connected, s8 output");
}
#endif

#if MIXQ_HAVE_GEMMLOWP
// gemmlowp u8 x u8 (with offsets) -> int32, single thread.
void bench_gemmlowp(benchmark::State& state, shape s) {
  auto a = random_bytes<std::uint8_t>(s.m * s.k, 0, 255, 1);
  auto w = random_bytes<std::uint8_t>(s.n * s.k, 0, 255, 2);
  std::vector<std::int32_t> c(s.m * s.n);
  gemmlowp::GemmContext context;
  context.set_max_num_threads(1);
  const int m = static_cast<int>(s.m), n = static_cast<int>(s.n), k = static_cast<int>(s.k);
  gemmlowp::MatrixMap<const std::uint8_t, gemmlowp::MapOrder::RowMajor> lhs(a.data(), m, k);
  gemmlowp::MatrixMap<const std::uint8_t, gemmlowp::MapOrder::ColMajor> rhs(w.data(), k, n);
  gemmlowp::MatrixMap<std::int32_t, gemmlowp::MapOrder::RowMajor> result(c.data(), m, n);
  const std::tuple<> empty_pipeline;
  for (auto _ : state) {
    gemmlowp::GemmWithOutputPipeline<std::uint8_t, std::int32_t, gemmlowp::DefaultL8R8BitDepthParams>(
        &context, lhs, rhs, &result, -128, -128, empty_pipeline);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, s);
  state.SetLabel("u8 x u8 with offsets -> int32");
}
#endif

// The GEMMs of ResNet-18's and MobileNetV2's layers at 224 x 224, batch 1
// (M output pixels, N output channels, K = kernel_h * kernel_w * C_in).
const std::vector<shape>& network_shapes() {
  static const std::vector<shape> shapes = {
      {12544, 64, 147},  // ResNet-18 conv1 7x7/2
      {3136, 64, 576},   // ResNet-18 layer1 3x3
      {784, 128, 1152},  // ResNet-18 layer2 3x3
      {196, 256, 2304},  // ResNet-18 layer3 3x3
      {49, 512, 4608},   // ResNet-18 layer4 3x3
      {3136, 144, 24},   // MobileNetV2 block 2 expand 1x1
      {784, 32, 144},    // MobileNetV2 block 3 project 1x1
      {196, 384, 64},    // MobileNetV2 block 7 expand 1x1
      {49, 1280, 320},   // MobileNetV2 last 1x1
  };
  return shapes;
}

void register_all() {
  const std::vector<shape> w8_shapes = {{1024, 1024, 1024}, {3136, 64, 576}, {49, 512, 4608}, {1, 4096, 4096}};
  for (const auto& s : w8_shapes) {
    const std::string name = shape_name(s);
    benchmark::RegisterBenchmark(("gemm/mixq/w8a8/" + name).c_str(), bench_mixq, s, 8, 8)
        ->Unit(benchmark::kMicrosecond);
#if MIXQ_HAVE_ONEDNN
    benchmark::RegisterBenchmark(("gemm/onednn/w8a8/" + name).c_str(), bench_onednn, s)->Unit(benchmark::kMicrosecond);
#endif
#if MIXQ_HAVE_XNNPACK
    benchmark::RegisterBenchmark(("gemm/xnnpack/w8a8/" + name).c_str(), bench_xnnpack, s)->Unit(benchmark::kMicrosecond);
#endif
#if MIXQ_HAVE_GEMMLOWP
    benchmark::RegisterBenchmark(("gemm/gemmlowp/w8a8/" + name).c_str(), bench_gemmlowp, s)
        ->Unit(benchmark::kMicrosecond);
#endif
  }
  // Every weight x activation combination the kernels take, on the GEMV and
  // the networks' layers (w8a8 once per shape).
  struct combo {
    int w, a;
  };
  const combo combos[] = {{8, 8}, {4, 8}, {2, 8}, {4, 4}, {2, 2}, {1, 1}};
  std::vector<shape> shapes = {{1, 4096, 4096}};
  for (const auto& s : network_shapes()) shapes.push_back(s);
  for (const auto& s : shapes) {
    for (const combo c : combos) {
      const bool registered =
          c.w == 8 && c.a == 8 && std::find(w8_shapes.begin(), w8_shapes.end(), s) != w8_shapes.end();
      if (registered) continue;
      benchmark::RegisterBenchmark(fmt::format("gemm/mixq/w{}a{}/{}", c.w, c.a, shape_name(s)).c_str(), bench_mixq, s,
                                   c.w, c.a)
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
