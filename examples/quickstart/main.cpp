// A tour of mixq's typed quantized tensors: one float tensor quantized at
// 8, 4, 3 and 2 bits under several schemes, with the codes, the packed bytes
// and the signal-to-quantization-noise ratio of each.
#include <algorithm>
#include <cmath>
#include <vector>

#include <xtensor/xmath.hpp>
#include <xtensor/xrandom.hpp>
#include <xtensor/xview.hpp>

#include <mixq/mixq.hpp>

namespace {

// SQNR in dB: signal power over the power of the rounding error.
double sqnr_db(const xt::xtensor<float, 2>& x, const xt::xtensor<float, 2>& y) {
  double signal = 0.0;
  double noise = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = x.data()[i];
    const double e = v - y.data()[i];
    signal += v * v;
    noise += e * e;
  }
  return 10.0 * std::log10(signal / noise);
}

// Quantizes `x` under `p` and prints the tensor, its packed bytes and its SQNR.
template <mixq::scheme S>
void show(const xt::xtensor<float, 2>& x, const mixq::qparams<S>& p) {
  const auto q = mixq::quantize(x, p);
  const auto y = mixq::dequantize(q);
  fmt::print("{}\n", q);
  fmt::print("  packed   {} bytes, row 0 = {::02x}\n", q.bytes(),
             std::vector<unsigned>(q.data(), q.data() + q.row_bytes()));
  fmt::print("  SQNR     {:.1f} dB\n\n", sqnr_db(x, y));
}

// Symmetric scale that maps the largest magnitude to the largest code.
template <mixq::scheme S>
float symmetric_scale(const xt::xtensor<float, 2>& x) {
  return xt::amax(xt::abs(x))() / static_cast<float>(mixq::qmax(S));
}

}  // namespace

int main() {
  using namespace mixq;
  xt::random::seed(2026);
  // Two rows of eight values, a small weight matrix.
  const xt::xtensor<float, 2> x = xt::random::randn<float>({2, 8}, 0.0f, 0.5f);
  fmt::print("input [2, 8]\n  {}\n\n", fmt::join(x, ", "));

  const float lo = xt::amin(x)();
  const float hi = xt::amax(x)();

  // 8 bits, asymmetric: the TFLite activation scheme. Scale and zero point cover [lo, hi] and 0.
  {
    constexpr scheme S = schemes::int8_asym;
    const float scale = (std::max(hi, 0.0f) - std::min(lo, 0.0f)) / 255.0f;
    const auto zp = static_cast<std::int32_t>(std::nearbyint(qmin(S) - std::min(lo, 0.0f) / scale));
    show(x, qparams<S>{scale, zp});
  }
  // 8 bits, symmetric narrow, one scale per row: the TFLite weight scheme.
  {
    constexpr scheme S = schemes::int8_sym_per_channel;
    qparams<S> p;
    for (std::size_t r = 0; r < x.shape(0); ++r) {
      const float m = xt::amax(xt::abs(xt::view(x, r, xt::all())))();
      p.scale.push_back(m / static_cast<float>(qmax(S)));
    }
    p.zero_point.assign(p.scale.size(), 0);
    show(x, p);
  }
  // 8 bits with a power-of-two scale: quantizing is an exact multiply, requantizing a shift.
  {
    constexpr scheme S = schemes::int8_pow2;
    const int e = static_cast<int>(std::ceil(std::log2(symmetric_scale<S>(x))));
    show(x, qparams<S>{.exponent = e});
  }
  // 4 bits, symmetric: two codes per byte, the first in the low nibble.
  show(x, qparams<schemes::int4_sym>{symmetric_scale<schemes::int4_sym>(x)});
  // 3 bits: codes straddle byte boundaries.
  show(x, qparams<scheme{.bits = 3}>{symmetric_scale<scheme{.bits = 3}>(x)});
  // 2 bits, ternary {-1, 0, +1}.
  show(x, qparams<schemes::int2_ternary>{symmetric_scale<schemes::int2_ternary>(x) * 0.6f});
  // 1 bit, binary {-1, +1}: the scale is the mean magnitude (XNOR-Net).
  show(x, qparams<schemes::binary>{static_cast<float>(xt::mean(xt::abs(x))())});
  return 0;
}
