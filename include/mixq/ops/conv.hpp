#pragma once
// The typed layer over the convolution kernels, NHWC:
//
//   auto w = mixq::pack_conv_weights(weights);                 // qtensor<SW, 4>, O x KH x KW x C (OHWI)
//   auto y = mixq::conv2d(x, w, {.stride = 2, .padding = 1}, out_params);
//   auto z = mixq::depthwise_conv2d(x, dw_weights, {.padding = 1}, out_params);   // dw: 1 x 3 x 3 x C

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <xtensor/xtensor.hpp>

#include <mixq/config.hpp>
#include <mixq/kernels/arch.hpp>
#include <mixq/kernels/conv.hpp>
#include <mixq/ops/gemm.hpp>
#include <mixq/tensor/qtensor.hpp>

namespace mixq {

/// Stride, symmetric padding and dilation of a 2-D convolution (the same along both axes).
struct conv2d_params {
  std::size_t stride = 1;
  std::size_t padding = 0;
  std::size_t dilation = 1;
};

/// Weight schemes the convolutions take: those of the GEMM but binary.
template <scheme S>
concept ConvWeightScheme = GemmWeightScheme<S> && !is_binary(S);

/// Activation schemes the convolutions take: 8, 4 or 2 bits, signed or
/// unsigned, any zero point, one scale per tensor.
template <scheme S>
concept ConvActivationScheme = (S.bits == 8 || S.bits == 4 || S.bits == 2) && S.axis == -1 && !is_binary(S);

/// The depthwise kernel's input: 8 bits, one scale per tensor.
template <scheme S>
concept DepthwiseInputScheme = S.bits == 8 && S.axis == -1;

/// The depthwise kernel's weights: signed symmetric 8-bit codes, per tensor
/// or per channel along axis 3 (1 x 3 x 3 x C).
template <scheme S>
concept DepthwiseWeightScheme = S.bits == 8 && S.is_signed && S.symmetric && (S.axis == -1 || S.axis == 3);

/// Convolution weights O x KH x KW x C (OHWI), packed once as an O x (KH*KW*C) matrix.
template <scheme SW, KernelArch Arch = default_arch>
  requires ConvWeightScheme<SW>
class packed_conv_weights {
public:
  static constexpr mixq::scheme scheme_value = SW;

  explicit packed_conv_weights(const qtensor<SW, 4>& w)
      : shape_(w.shape()),
        params_(w.params()),
        matrix_(pack_weights(weight_layout_for<Arch>(SW.bits), w.shape(0), w.shape(1) * w.shape(2) * w.shape(3),
                             [&](std::size_t o, std::size_t k) {
                               const std::size_t c = k % w.shape(3), kx = (k / w.shape(3)) % w.shape(2),
                                                 ky = k / (w.shape(3) * w.shape(2));
                               return w(o, ky, kx, c);
                             })) {}

  std::size_t out_channels() const noexcept { return shape_[0]; }
  std::size_t kernel_h() const noexcept { return shape_[1]; }
  std::size_t kernel_w() const noexcept { return shape_[2]; }
  std::size_t in_channels() const noexcept { return shape_[3]; }
  const qparams<SW>& params() const noexcept { return params_; }
  const packed_weight_matrix& matrix() const noexcept { return matrix_; }

private:
  std::array<std::size_t, 4> shape_;
  qparams<SW> params_;
  packed_weight_matrix matrix_;
};

template <KernelArch Arch = default_arch, scheme SW>
  requires ConvWeightScheme<SW>
packed_conv_weights<SW, Arch> pack_conv_weights(const qtensor<SW, 4>& w) {
  return packed_conv_weights<SW, Arch>(w);
}
template <KernelArch Arch = default_arch, scheme SW>
  requires(!ConvWeightScheme<SW>)
void pack_conv_weights(const qtensor<SW, 4>&) = delete;  // mixq::pack_conv_weights: convolution weights must be signed symmetric codes of 8, 4 or 2 bits, per tensor or per output channel (axis = 0).

namespace detail {

template <scheme SA>
conv_input conv_input_of(const qtensor<SA, 4>& x) noexcept {
  return {x.data(), x.row_bytes(), SA.bits, SA.is_signed, x.params().zero_point};
}

template <scheme SA>
conv2d_shape conv_shape_of(const qtensor<SA, 4>& x, std::size_t kh, std::size_t kw, const conv2d_params& p) {
  conv2d_shape s;
  s.batch = x.shape(0);
  s.height = x.shape(1);
  s.width = x.shape(2);
  s.channels = x.shape(3);
  s.kernel_h = kh;
  s.kernel_w = kw;
  s.stride_h = s.stride_w = p.stride;
  s.pad_top = s.pad_bottom = s.pad_left = s.pad_right = p.padding;
  s.dilation_h = s.dilation_w = p.dilation;
  check_conv_shape("mixq::conv2d", s);
  return s;
}

}  // namespace detail

/// int32 results of a convolution: N x OH x OW x O.
template <scheme SA, scheme SW, class Arch>
  requires ConvActivationScheme<SA>
xt::xtensor<std::int32_t, 4> conv2d(const qtensor<SA, 4>& x, const packed_conv_weights<SW, Arch>& w,
                                    const conv2d_params& params = {}, std::span<const std::int32_t> bias = {}) {
  if (x.shape(3) != w.in_channels()) {
    MIXQ_THROW(error, "mixq::conv2d: the input has {} channels but the weights expect {}", x.shape(3), w.in_channels());
  }
  const auto s = detail::conv_shape_of(x, w.kernel_h(), w.kernel_w(), params);
  xt::xtensor<std::int32_t, 4> out(std::array<std::size_t, 4>{s.batch, s.out_height(), s.out_width(), w.out_channels()});
  const std::int32_t* b = detail::bias_of(bias, w.out_channels(), "mixq::conv2d");
  conv2d_kernel(Arch{}, s, detail::conv_input_of(x), w.matrix(), b, int32_output{out.data(), w.out_channels()});
  return out;
}

/// A convolution requantized to scheme SO: N x OH x OW x O codes.
template <scheme SO, scheme SA, scheme SW, class Arch>
  requires ConvActivationScheme<SA> && GemmOutputScheme<SO>
qtensor<SO, 4> conv2d(const qtensor<SA, 4>& x, const packed_conv_weights<SW, Arch>& w, const conv2d_params& params,
                      const qparams<SO>& out_params, const gemm_options& options = {}) {
  validate(out_params, "mixq::conv2d");
  if (x.shape(3) != w.in_channels()) {
    MIXQ_THROW(error, "mixq::conv2d: the input has {} channels but the weights expect {}", x.shape(3), w.in_channels());
  }
  const auto s = detail::conv_shape_of(x, w.kernel_h(), w.kernel_w(), params);
  qtensor<SO, 4> out(std::array<std::size_t, 4>{s.batch, s.out_height(), s.out_width(), w.out_channels()}, out_params);
  const auto m = detail::output_multipliers(x.params().scale, w.params(), out_params, w.out_channels());
  const auto p = detail::output_params<SW>(m, out_params, options.activation);
  const std::int32_t* b = detail::bias_of(options.bias, w.out_channels(), "mixq::conv2d");
  conv2d_kernel(Arch{}, s, detail::conv_input_of(x), w.matrix(), b, requantized_output{out.data(), out.row_bytes(), p});
  return out;
}

/// Depthwise 3x3 convolution of an 8-bit NHWC input with 8-bit weights
/// 1 x 3 x 3 x C (per tensor, or per channel along axis 3), requantized to SO.
template <KernelArch Arch = default_arch, scheme SO, scheme SA, scheme SW>
  requires DepthwiseInputScheme<SA> && DepthwiseWeightScheme<SW> && GemmOutputScheme<SO>
qtensor<SO, 4> depthwise_conv2d(const qtensor<SA, 4>& x, const qtensor<SW, 4>& w, const conv2d_params& params,
                                const qparams<SO>& out_params, const gemm_options& options = {}) {
  validate(out_params, "mixq::depthwise_conv2d");
  if (w.shape(0) != 1 || w.shape(1) != 3 || w.shape(2) != 3 || w.shape(3) != x.shape(3)) {
    MIXQ_THROW(error, "mixq::depthwise_conv2d: weights have shape [{}, {}, {}, {}]; expected [1, 3, 3, {}]", w.shape(0),
               w.shape(1), w.shape(2), w.shape(3), x.shape(3));
  }
  if (params.dilation != 1) {
    MIXQ_THROW(error, "mixq::depthwise_conv2d: dilation = {}; the depthwise kernel has none", params.dilation);
  }
  const auto s = detail::conv_shape_of(x, 3, 3, params);
  const std::size_t c = x.shape(3);
  std::vector<std::int8_t> codes(9 * c);
  for (std::size_t i = 0; i < 9 * c; ++i) codes[i] = static_cast<std::int8_t>(w(0, i / (3 * c), (i / c) % 3, i % c));
  std::vector<fixed_multiplier> m(is_per_channel(SW) ? c : 1);
  for (std::size_t i = 0; i < m.size(); ++i) {
    m[i] = quantize_multiplier(static_cast<double>(x.params().scale) * static_cast<double>(scale_of(w.params(), i)) /
                               static_cast<double>(out_params.scale));
  }
  const auto p = detail::output_params<SW>(m, out_params, options.activation);
  qtensor<SO, 4> out(std::array<std::size_t, 4>{s.batch, s.out_height(), s.out_width(), c}, out_params);
  const std::int32_t* b = detail::bias_of(options.bias, c, "mixq::depthwise_conv2d");
  depthwise_kernel(Arch{}, s, detail::conv_input_of(x), codes.data(), b,
                   requantized_output{out.data(), out.row_bytes(), p});
  return out;
}

// What no convolution kernel takes: deleted, so `requires` sees it, with the
// reason on the line the compiler shows. Each mirrors one form above.
template <scheme SA, scheme SW, class Arch>
  requires(!ConvActivationScheme<SA>)
void conv2d(const qtensor<SA, 4>&, const packed_conv_weights<SW, Arch>&, const conv2d_params& = {}, std::span<const std::int32_t> = {}) = delete;  // mixq::conv2d: activations must have 8, 4 or 2 bits (signed or unsigned, any zero point) and one scale per tensor (axis = -1).
template <scheme SO, scheme SA, scheme SW, class Arch>
  requires(!ConvActivationScheme<SA>)
void conv2d(const qtensor<SA, 4>&, const packed_conv_weights<SW, Arch>&, const conv2d_params&, const qparams<SO>&, const gemm_options& = {}) = delete;  // mixq::conv2d: activations must have 8, 4 or 2 bits (signed or unsigned, any zero point) and one scale per tensor (axis = -1).
template <scheme SO, scheme SA, scheme SW, class Arch>
  requires(ConvActivationScheme<SA> && !GemmOutputScheme<SO>)
void conv2d(const qtensor<SA, 4>&, const packed_conv_weights<SW, Arch>&, const conv2d_params&, const qparams<SO>&, const gemm_options& = {}) = delete;  // mixq::conv2d: the output must have 8, 4 or 2 bits and one scale per tensor.
template <class Arch = default_arch, scheme SO, scheme SA, scheme SW>
  requires(!DepthwiseInputScheme<SA>)
void depthwise_conv2d(const qtensor<SA, 4>&, const qtensor<SW, 4>&, const conv2d_params&, const qparams<SO>&, const gemm_options& = {}) = delete;  // mixq::depthwise_conv2d: the input must have 8 bits (signed or unsigned) and one scale per tensor.
template <class Arch = default_arch, scheme SO, scheme SA, scheme SW>
  requires(DepthwiseInputScheme<SA> && !DepthwiseWeightScheme<SW>)
void depthwise_conv2d(const qtensor<SA, 4>&, const qtensor<SW, 4>&, const conv2d_params&, const qparams<SO>&, const gemm_options& = {}) = delete;  // mixq::depthwise_conv2d: weights must be signed symmetric 8-bit codes, per tensor or per channel along axis 3 (1 x 3 x 3 x C), e.g. scheme{.narrow = true, .axis = 3}.
template <class Arch = default_arch, scheme SO, scheme SA, scheme SW>
  requires(DepthwiseInputScheme<SA> && DepthwiseWeightScheme<SW> && !GemmOutputScheme<SO>)
void depthwise_conv2d(const qtensor<SA, 4>&, const qtensor<SW, 4>&, const conv2d_params&, const qparams<SO>&, const gemm_options& = {}) = delete;  // mixq::depthwise_conv2d: the output must have 8, 4 or 2 bits and one scale.

}  // namespace mixq
