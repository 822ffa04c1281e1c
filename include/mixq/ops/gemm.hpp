#pragma once
// The typed layer over the GEMM kernels: quantized tensors in, quantized (or
// int32) tensors out, with the scheme combinations checked at compile time.
//
//   auto w = mixq::pack_gemm_weights(weights);     // qtensor<SW, 2>, N x K, once
//   auto y = mixq::gemm(x, w, out_params);         // qtensor<SX, 2> (M x K) -> qtensor<SO, 2> (M x N)
//   auto acc = mixq::gemm(x, w);                   // xt::xtensor<int32_t, 2>: sum (x - zx) * w
//
// The requantized form multiplies channel n by x_scale * w_scale[n] /
// out_scale as a TFLite fixed-point multiplier; a bias is in units of
// x_scale * w_scale[n], as in TFLite.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <xtensor/xtensor.hpp>

#include <mixq/config.hpp>
#include <mixq/core/fixed_point.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/core/scheme.hpp>
#include <mixq/kernels/arch.hpp>
#include <mixq/kernels/gemm.hpp>
#include <mixq/tensor/qtensor.hpp>

namespace mixq {

/// Weight schemes the GEMM kernels take: signed symmetric codes of 8, 4 or
/// 2 bits, or binary, per tensor or per output channel (axis 0), with a real
/// or power-of-two scale.
template <scheme S>
concept GemmWeightScheme = S.is_signed && S.symmetric && (S.bits == 8 || S.bits == 4 || S.bits == 2 || S.bits == 1) &&
                           (S.axis == -1 || S.axis == 0);

/// Activation schemes the GEMM kernels take: 8, 4 or 2 bits, signed or
/// unsigned, any zero point, one scale per tensor; or binary.
template <scheme S>
concept GemmActivationScheme = (S.bits == 8 || S.bits == 4 || S.bits == 2 || is_binary(S)) && S.axis == -1;

/// A pair a kernel exists for: binary weights go with binary activations,
/// the other widths with each other.
template <scheme SA, scheme SW>
concept GemmSchemes = GemmActivationScheme<SA> && GemmWeightScheme<SW> && (is_binary(SA) == is_binary(SW));

/// Output schemes of the requantized GEMM: 8, 4 or 2 bits, one scale per tensor.
template <scheme S>
concept GemmOutputScheme = (S.bits == 8 || S.bits == 4 || S.bits == 2) && S.axis == -1 && !is_binary(S);

/// Weights of scheme SW (an N x K tensor: N output channels) packed once for
/// the kernels of Arch, with their quantization parameters.
template <scheme SW, KernelArch Arch = default_arch>
  requires GemmWeightScheme<SW>
class packed_weights {
public:
  static constexpr mixq::scheme scheme_value = SW;
  using arch_type = Arch;

  explicit packed_weights(const qtensor<SW, 2>& w)
      : params_(w.params()),
        matrix_(pack_weights(weight_layout_for<Arch>(SW.bits), w.shape(0), w.shape(1),
                             [&](std::size_t n, std::size_t k) { return w(n, k); })) {}

  std::size_t n() const noexcept { return matrix_.n(); }
  std::size_t k() const noexcept { return matrix_.k(); }
  const qparams<SW>& params() const noexcept { return params_; }
  const packed_weight_matrix& matrix() const noexcept { return matrix_; }

private:
  qparams<SW> params_;
  packed_weight_matrix matrix_;
};

/// Packs an N x K weight tensor for the kernels of Arch (default: the best this build allows).
template <KernelArch Arch = default_arch, scheme SW>
  requires GemmWeightScheme<SW>
packed_weights<SW, Arch> pack_gemm_weights(const qtensor<SW, 2>& w) {
  return packed_weights<SW, Arch>(w);
}
template <KernelArch Arch = default_arch, scheme SW>
  requires(!GemmWeightScheme<SW>)
void pack_gemm_weights(const qtensor<SW, 2>&) = delete;  // mixq::pack_gemm_weights: no kernel takes these weights; weights must be signed symmetric codes of 8, 4 or 2 bits (or binary), per tensor or per output channel (axis = 0): e.g. schemes::int8_sym_per_channel, int4_sym_per_channel, int2_sym, binary. Re-quantize them with mixq::convert first.

/// The clamp fused into a requantized output.
enum class fused_activation { none, relu, relu6 };

/// Options of the requantized GEMM and convolutions.
struct gemm_options {
  std::span<const std::int32_t> bias{};  ///< one per output channel, in units of x_scale * w_scale[n]; or empty
  fused_activation activation = fused_activation::none;
};

namespace detail {

template <scheme SA>
activation_matrix activations_of(const qtensor<SA, 2>& a) noexcept {
  return {a.data(), a.rows(), a.row_length(), a.row_bytes(), SA.bits, SA.is_signed, a.params().zero_point};
}

inline const std::int32_t* bias_of(std::span<const std::int32_t> bias, std::size_t n, std::string_view where) {
  if (bias.empty()) return nullptr;
  if (bias.size() != n) {
    MIXQ_THROW(error, "{}: bias has {} entries; expected one per output channel ({})", where, bias.size(), n);
  }
  return bias.data();
}

// The fixed multipliers x_scale * w_scale[n] / out_scale, one per channel or one.
template <scheme SW, scheme SO>
std::vector<fixed_multiplier> output_multipliers(float x_scale, const qparams<SW>& w, const qparams<SO>& out,
                                                 std::size_t n) {
  std::vector<fixed_multiplier> m(is_per_channel(SW) ? n : 1);
  for (std::size_t c = 0; c < m.size(); ++c) {
    const double real = static_cast<double>(x_scale) * static_cast<double>(scale_of(w, c)) /
                        static_cast<double>(out.scale);
    m[c] = quantize_multiplier(real);
  }
  return m;
}

// [min, max] of the output codes under an activation, as TFLite computes it.
template <scheme SO>
std::pair<std::int32_t, std::int32_t> activation_range(fused_activation act, const qparams<SO>& out) {
  std::int32_t lo = qmin(SO), hi = qmax(SO);
  if (act == fused_activation::relu || act == fused_activation::relu6) lo = std::max(lo, out.zero_point);
  if (act == fused_activation::relu6) {
    const double six = std::round(6.0 / static_cast<double>(out.scale));
    hi = static_cast<std::int32_t>(std::min<double>(hi, out.zero_point + six));
  }
  if (lo > hi) lo = hi;
  return {lo, hi};
}

template <scheme SW, scheme SO>
requantize_params output_params(const std::vector<fixed_multiplier>& m, const qparams<SO>& out, fused_activation act) {
  requantize_params p;
  p.multiplier = m.data();
  p.per_channel = m.size() > 1;
  p.zero_point = out.zero_point;
  std::tie(p.min, p.max) = activation_range(act, out);
  p.bits = SO.bits;
  p.is_signed = SO.is_signed;
  return p;
}

}  // namespace detail

/// int32 results: r[m][n] = sum_k (a[m][k] - a_zero_point) * w[n][k] (+ bias[n]).
template <scheme SA, scheme SW, class Arch>
  requires GemmSchemes<SA, SW>
xt::xtensor<std::int32_t, 2> gemm(const qtensor<SA, 2>& a, const packed_weights<SW, Arch>& w,
                                  std::span<const std::int32_t> bias = {}) {
  xt::xtensor<std::int32_t, 2> out(std::array<std::size_t, 2>{a.shape(0), w.n()});
  const std::int32_t* b = detail::bias_of(bias, w.n(), "mixq::gemm");
  gemm_kernel(Arch{}, detail::activations_of(a), w.matrix(), b, int32_output{out.data(), w.n()});
  return out;
}

/// Requantized results in scheme SO: q = clamp(zp + (r * a_scale * w_scale[n] / out_scale)).
template <scheme SO, scheme SA, scheme SW, class Arch>
  requires GemmSchemes<SA, SW> && GemmOutputScheme<SO>
qtensor<SO, 2> gemm(const qtensor<SA, 2>& a, const packed_weights<SW, Arch>& w, const qparams<SO>& out_params,
                    const gemm_options& options = {}) {
  validate(out_params, "mixq::gemm");
  qtensor<SO, 2> out(std::array<std::size_t, 2>{a.shape(0), w.n()}, out_params);
  const auto m = detail::output_multipliers(a.params().scale, w.params(), out_params, w.n());
  const auto p = detail::output_params<SW>(m, out_params, options.activation);
  const std::int32_t* b = detail::bias_of(options.bias, w.n(), "mixq::gemm");
  gemm_kernel(Arch{}, detail::activations_of(a), w.matrix(), b, requantized_output{out.data(), out.row_bytes(), p});
  return out;
}

// What no GEMM kernel takes: deleted, so `requires` sees it, with the reason
// on the line the compiler shows. Each mirrors one form above.
template <scheme SA, scheme SW, class Arch>
  requires(!GemmActivationScheme<SA>)
void gemm(const qtensor<SA, 2>&, const packed_weights<SW, Arch>&, std::span<const std::int32_t> = {}) = delete;  // mixq::gemm: no kernel takes these activations. Activations must have 8, 4 or 2 bits (signed or unsigned, any zero point) or be binary, with one scale per tensor (axis = -1).
template <scheme SO, scheme SA, scheme SW, class Arch>
  requires(!GemmActivationScheme<SA>)
void gemm(const qtensor<SA, 2>&, const packed_weights<SW, Arch>&, const qparams<SO>&, const gemm_options& = {}) = delete;  // mixq::gemm: no kernel takes these activations. Activations must have 8, 4 or 2 bits (signed or unsigned, any zero point) or be binary, with one scale per tensor (axis = -1).
template <scheme SA, scheme SW, class Arch>
  requires(GemmActivationScheme<SA> && is_binary(SA) != is_binary(SW))
void gemm(const qtensor<SA, 2>&, const packed_weights<SW, Arch>&, std::span<const std::int32_t> = {}) = delete;  // mixq::gemm: binary weights need binary activations (XNOR-popcount) and the other way round; the kernels are w8/w4/w2 x a8/a4/a2 and w1 x a1.
template <scheme SO, scheme SA, scheme SW, class Arch>
  requires(GemmActivationScheme<SA> && is_binary(SA) != is_binary(SW))
void gemm(const qtensor<SA, 2>&, const packed_weights<SW, Arch>&, const qparams<SO>&, const gemm_options& = {}) = delete;  // mixq::gemm: binary weights need binary activations (XNOR-popcount) and the other way round; the kernels are w8/w4/w2 x a8/a4/a2 and w1 x a1.
template <scheme SO, scheme SA, scheme SW, class Arch>
  requires(GemmSchemes<SA, SW> && !GemmOutputScheme<SO>)
void gemm(const qtensor<SA, 2>&, const packed_weights<SW, Arch>&, const qparams<SO>&, const gemm_options& = {}) = delete;  // mixq::gemm: the requantized output must have 8, 4 or 2 bits and one scale per tensor (axis = -1).

}  // namespace mixq
