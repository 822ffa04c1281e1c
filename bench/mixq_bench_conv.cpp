// Convolution layers of ResNet-18 and MobileNetV2 (224 x 224, batch 1), one
// layer at a time: mixq against XNNPACK's convolution operator, single thread.
//
//   conv/<impl>/<precision>/<layer>        counters GMACs (multiply-adds per second / 1e9), latency_us
//
// Each layer reads an NHWC int8 input and writes int8 codes requantized with
// per-channel scales, as inside a network: mixq's convolution (im2col + the
// GEMM; a 1 x 1 layer is the GEMM itself) or its 3 x 3 depthwise kernel,
// under TFLite's rule (`mixq`) and the float32 rule (`mixq-float32`, the rule
// XNNPACK requantizes by); XNNPACK's qc8 convolution operator (a depthwise
// layer is its grouped form, one channel per group). Weights are packed once,
// outside the timed loop. Precisions: w8a8 for every implementation; mixq's
// convolutions also with 4- and 2-bit weights (w4a8, w2a8). Depthwise
// weights are 8-bit only.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <mixq/kernels/conv.hpp>

#if MIXQ_HAVE_XNNPACK
#include <xnnpack.h>
#endif

namespace {

struct layer {
  const char* name;
  std::size_t size, in_channels, out_channels, kernel, stride;
  bool depthwise = false;

  mixq::conv2d_shape shape() const {
    mixq::conv2d_shape s;
    s.height = s.width = size;
    s.channels = in_channels;
    s.kernel_h = s.kernel_w = kernel;
    s.stride_h = s.stride_w = stride;
    s.pad_top = s.pad_bottom = s.pad_left = s.pad_right = kernel / 2;
    return s;
  }
  double macs() const {
    const mixq::conv2d_shape s = shape();
    const double per_pixel = depthwise ? 9.0 * static_cast<double>(in_channels)
                                       : static_cast<double>(s.patch()) * static_cast<double>(out_channels);
    return per_pixel * static_cast<double>(s.out_pixels());
  }
};

// The layers, named <network>.<layer>: input size, channels in / out, kernel, stride.
const std::vector<layer>& layers() {
  static const std::vector<layer> all = {
      {"resnet18.conv1", 224, 3, 64, 7, 2},
      {"resnet18.layer1", 56, 64, 64, 3, 1},
      {"resnet18.layer2.down", 56, 64, 128, 3, 2},
      {"resnet18.layer2", 28, 128, 128, 3, 1},
      {"resnet18.layer3", 14, 256, 256, 3, 1},
      {"resnet18.layer4", 7, 512, 512, 3, 1},
      {"mobilenet_v2.conv1", 224, 3, 32, 3, 2},
      {"mobilenet_v2.dw112", 112, 32, 32, 3, 1, true},
      {"mobilenet_v2.dw112.s2", 112, 96, 96, 3, 2, true},
      {"mobilenet_v2.dw56", 56, 144, 144, 3, 1, true},
      {"mobilenet_v2.dw28", 28, 192, 192, 3, 1, true},
      {"mobilenet_v2.dw14", 14, 576, 576, 3, 1, true},
      {"mobilenet_v2.dw7", 7, 960, 960, 3, 1, true},
      {"mobilenet_v2.expand56", 56, 24, 144, 1, 1},
      {"mobilenet_v2.project56", 56, 144, 24, 1, 1},
      {"mobilenet_v2.project28", 28, 192, 32, 1, 1},
      {"mobilenet_v2.expand14", 14, 64, 384, 1, 1},
      {"mobilenet_v2.last", 7, 320, 1280, 1, 1},
  };
  return all;
}

template <class T>
std::vector<T> random_values(std::size_t n, int lo, int hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(dist(rng));
  return v;
}

// Per-channel multipliers and scales that keep the codes inside their range
// mostly unclamped, as calibrated layers do (the work is the same either way).
struct requantization {
  std::vector<mixq::fixed_multiplier> multipliers;
  std::vector<float> scales;
  requantization(std::size_t channels, double sum_range) {
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    for (std::size_t c = 0; c < channels; ++c) {
      const double m = 127.0 / sum_range * jitter(rng);
      multipliers.push_back(mixq::quantize_multiplier(m));
      scales.push_back(static_cast<float>(m));
    }
  }
  mixq::requantize_params params(mixq::requantize_rule rule) const {
    mixq::requantize_params p;
    p.rule = rule;
    p.multiplier = multipliers.data();
    p.scale = scales.data();
    p.per_channel = true;
    p.zero_point = -10;
    return p;
  }
};

void set_counters(benchmark::State& state, const layer& l) {
  state.counters["GMACs"] =
      benchmark::Counter(l.macs() * 1e-9 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["latency_us"] = benchmark::Counter(static_cast<double>(state.iterations()) * 1e-6,
                                                    benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void bench_mixq(benchmark::State& state, layer l, int wbits, mixq::requantize_rule rule) {
  const mixq::conv2d_shape s = l.shape();
  const auto input = random_values<std::uint8_t>(s.height * s.width * s.channels, 0, 255, 1);
  const mixq::conv_input in{input.data(), s.channels, 8, true, 3};
  const mixq::code_range codes = mixq::code_range_of(wbits, true);
  const std::size_t k = l.depthwise ? 9 : s.patch();
  const auto weights = random_values<std::int8_t>(l.out_channels * k, codes.lo, codes.hi, 2);
  const auto bias = random_values<std::int32_t>(l.out_channels, -1000, 1000, 3);
  // Sums of k products of codes up to about 128 x 2^(wbits-1), spread like a random walk.
  const requantization rq(l.out_channels, 128.0 * static_cast<double>(1 << (wbits - 1)) * std::sqrt(static_cast<double>(k)));
  std::vector<std::uint8_t> output(s.out_pixels() * l.out_channels);
  const mixq::requantized_output out{output.data(), l.out_channels, rq.params(rule)};
  if (l.depthwise) {
    for (auto _ : state) {
      mixq::depthwise_kernel(mixq::default_arch{}, s, in, weights.data(), bias.data(), out);
      benchmark::DoNotOptimize(output.data());
      benchmark::ClobberMemory();
    }
  } else {
    const auto packed = mixq::pack_weights(mixq::weight_layout_for<mixq::default_arch>(wbits), weights.data(),
                                           l.out_channels, k, k);
    for (auto _ : state) {
      mixq::conv2d_kernel(mixq::default_arch{}, s, in, packed, bias.data(), out);
      benchmark::DoNotOptimize(output.data());
      benchmark::ClobberMemory();
    }
  }
  set_counters(state, l);
  state.SetLabel(mixq::default_arch::name());
}

#if MIXQ_HAVE_XNNPACK
void bench_xnnpack(benchmark::State& state, layer l) {
  if (xnn_initialize(nullptr) != xnn_status_success) {
    state.SkipWithError("xnn_initialize failed");
    return;
  }
  const mixq::conv2d_shape s = l.shape();
  const auto input = random_values<std::int8_t>(s.height * s.width * s.channels, -128, 127, 1);
  const std::size_t groups = l.depthwise ? l.in_channels : 1;
  const std::size_t group_in = l.in_channels / groups, group_out = l.out_channels / groups;
  const auto weights = random_values<std::int8_t>(l.out_channels * l.kernel * l.kernel * group_in, -127, 127, 2);
  const auto bias = random_values<std::int32_t>(l.out_channels, -1000, 1000, 3);
  const requantization rq(l.out_channels,
                          128.0 * 128.0 * std::sqrt(static_cast<double>(l.kernel * l.kernel * group_in)));
  // XNNPACK takes the input and output scales and each channel's kernel
  // scale; their quotient is the channel's multiplier.
  std::vector<std::int8_t> output(s.out_pixels() * l.out_channels);
  const auto u32 = [](std::size_t v) { return static_cast<std::uint32_t>(v); };
  xnn_operator_t op = nullptr;
  if (xnn_create_convolution2d_nhwc_qc8(u32(s.pad_top), u32(s.pad_right), u32(s.pad_bottom), u32(s.pad_left),
                                        u32(l.kernel), u32(l.kernel), u32(l.stride), u32(l.stride), 1, 1, u32(groups),
                                        group_in, group_out, l.in_channels, l.out_channels, 3, 1.0f, rq.scales.data(),
                                        weights.data(), bias.data(), -10, 1.0f, -128, 127, 0,
                                        &op) != xnn_status_success) {
    state.SkipWithError("xnn_create_convolution2d_nhwc_qc8 failed");
    return;
  }
  if (xnn_setup_convolution2d_nhwc_qc8(op, 1, s.height, s.width, input.data(), output.data(), nullptr) !=
      xnn_status_success) {
    state.SkipWithError("xnn_setup_convolution2d_nhwc_qc8 failed");
    xnn_delete_operator(op);
    return;
  }
  for (auto _ : state) {
    xnn_run_operator(op, nullptr);
    benchmark::DoNotOptimize(output.data());
    benchmark::ClobberMemory();
  }
  xnn_delete_operator(op);
  set_counters(state, l);
  state.SetLabel(l.depthwise ? "qc8 convolution, one channel per group" : "qc8 convolution");
}
#endif

void register_all() {
  for (const layer& l : layers()) {
    for (int wbits : {8, 4, 2}) {
      if (l.depthwise && wbits != 8) continue;
      const std::string precision = fmt::format("w{}a8", wbits);
      benchmark::RegisterBenchmark(fmt::format("conv/mixq/{}/{}", precision, l.name).c_str(), bench_mixq, l, wbits,
                                   mixq::requantize_rule::tflite)
          ->Unit(benchmark::kMicrosecond);
      if (wbits == 8) {
        benchmark::RegisterBenchmark(fmt::format("conv/mixq-float32/{}/{}", precision, l.name).c_str(), bench_mixq, l,
                                     wbits, mixq::requantize_rule::float32)
            ->Unit(benchmark::kMicrosecond);
#if MIXQ_HAVE_XNNPACK
        benchmark::RegisterBenchmark(fmt::format("conv/xnnpack/{}/{}", precision, l.name).c_str(), bench_xnnpack, l)
            ->Unit(benchmark::kMicrosecond);
#endif
      }
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
