// A fully connected layer in integers, the way an engine runs it: float
// activations and weights are quantized once, the weights are packed for
// this CPU's kernels, and one call computes y = relu(x W^T + b) with int32
// accumulation and a fused requantize to 8-bit codes. The same layer runs
// with 8-, 4- and 2-bit weights; each result is compared with the float
// layer (SQNR) and timed.
//
//   mixq_linear_layer [M N K]      (default 64 1024 1024)

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include <xtensor/xmath.hpp>
#include <xtensor/xrandom.hpp>
#include <xtensor/xview.hpp>

#include <mixq/mixq.hpp>

namespace {

using namespace mixq;

double sqnr_db(const xt::xtensor<float, 2>& reference, const xt::xtensor<float, 2>& y) {
  double signal = 0.0, noise = 0.0;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    const double r = reference.data()[i], e = r - y.data()[i];
    signal += r * r;
    noise += e * e;
  }
  return 10.0 * std::log10(signal / std::max(noise, 1e-30));
}

// Asymmetric 8-bit parameters that cover [lo, hi] and 0.
template <scheme S>
qparams<S> affine_params(float lo, float hi) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  const float scale = std::max(hi - lo, 1e-8f) / static_cast<float>(qmax(S) - qmin(S));
  const auto zp = static_cast<std::int32_t>(std::nearbyint(static_cast<float>(qmin(S)) - lo / scale));
  return {scale, std::clamp(zp, qmin(S), qmax(S))};
}

// Symmetric per-output-channel weights of W bits: each row's largest magnitude maps to the largest code.
template <int W>
auto quantize_weights(const xt::xtensor<float, 2>& w) {
  constexpr scheme S{.bits = W, .narrow = W > 1, .axis = 0};
  qparams<S> p{.scale = std::vector<float>(w.shape(0))};
  for (std::size_t n = 0; n < w.shape(0); ++n) {
    const float m = xt::amax(xt::abs(xt::row(w, static_cast<std::ptrdiff_t>(n))))();
    p.scale[n] = std::max(m, 1e-8f) / static_cast<float>(qmax(S));
  }
  return quantize(default_arch{}, w, p);
}

template <int W, scheme SX, scheme SO>
void run(const qtensor<SX, 2>& x, const xt::xtensor<float, 2>& w, const xt::xtensor<float, 1>& bias,
         const qparams<SO>& out, const xt::xtensor<float, 2>& reference) {
  const auto qw = quantize_weights<W>(w);
  const auto packed = pack_gemm_weights(qw);  // once, outside the timed loop

  // The bias in units of x_scale * w_scale[n], as the requantized GEMM takes it.
  std::vector<std::int32_t> qbias(w.shape(0));
  for (std::size_t n = 0; n < qbias.size(); ++n) {
    qbias[n] = static_cast<std::int32_t>(
        std::nearbyint(bias(n) / (x.params().scale * scale_of(qw.params(), n))));
  }
  const gemm_options options{.bias = qbias, .activation = fused_activation::relu};

  auto y = gemm(x, packed, out, options);
  const int repeats = 20;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) y = gemm(x, packed, out, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeats;
  const double macs = static_cast<double>(x.shape(0)) * static_cast<double>(w.shape(0)) * static_cast<double>(w.shape(1));

  fmt::print("w{}a8  weights {:>8} bytes   SQNR {:5.1f} dB   {:8.1f} us  {:6.1f} GMAC/s\n", W, packed.matrix().bytes(),
             sqnr_db(reference, dequantize(default_arch{}, y)), seconds * 1e6, macs / seconds * 1e-9);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t m = 64, n = 1024, k = 1024;
  if (argc == 4) {
    m = std::strtoul(argv[1], nullptr, 10);
    n = std::strtoul(argv[2], nullptr, 10);
    k = std::strtoul(argv[3], nullptr, 10);
  } else if (argc != 1) {
    fmt::print(stderr, "usage: {} [M N K]\n", argv[0]);
    return 2;
  }
  fmt::print("linear layer: {} x {} activations, {} x {} weights, kernels for {}\n\n", m, k, n, k, default_arch::name());

  xt::random::seed(7);
  const xt::xtensor<float, 2> input = xt::random::randn<float>({m, k}, 0.0f, 1.0f);
  const xt::xtensor<float, 2> weights = xt::random::randn<float>({n, k}, 0.0f, 1.0f / std::sqrt(static_cast<float>(k)));
  const xt::xtensor<float, 1> bias = xt::random::randn<float>({n}, 0.0f, 0.1f);

  // The float layer, for reference.
  xt::xtensor<float, 2> reference({m, n});
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      float s = bias(j);
      for (std::size_t t = 0; t < k; ++t) s += input(i, t) * weights(j, t);
      reference(i, j) = std::max(s, 0.0f);
    }
  }

  const auto px = affine_params<schemes::uint8_asym>(xt::amin(input)(), xt::amax(input)());
  const auto x = quantize(default_arch{}, input, px);
  const auto po = affine_params<schemes::uint8_asym>(0.0f, xt::amax(reference)());
  fmt::print("activations {}\noutput      {}\n\n", px, po);

  run<8>(x, weights, bias, po, reference);
  run<4>(x, weights, bias, po, reference);
  run<2>(x, weights, bias, po, reference);
  return 0;
}
