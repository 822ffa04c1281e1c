#pragma once
// The arguments of the kernels, as descriptor structs: every kernel is
// called as `kernel(arch, descriptors...)`. They depend on nothing but core,
// so the scalar twins in kernels/reference/ take the same arguments without
// including any SIMD header.
//
//   gemm_kernel(arch, activation_matrix, packed_weight_matrix, bias, int32_output | requantized_output[, row_range])
//   conv2d_kernel(arch, conv2d_shape, conv_input, packed_weight_matrix, bias, output[, row_range])
//   depthwise_kernel(arch, conv2d_shape, conv_input, weights, bias, output[, row_range])
//   quantize_kernel(arch, quantize_args)       dequantize_kernel(arch, dequantize_args)
//   requantize_kernel(arch, requantize_args)   add_kernel(arch, add_args)
//   pack_kernel(arch, pack_args)               unpack_kernel(arch, unpack_args)

#include <cstddef>
#include <cstdint>
#include <limits>

#include <mixq/core/fixed_point.hpp>
#include <mixq/core/scheme.hpp>

namespace mixq {

// ------------------------------------------------------------ GEMM and convolutions

/// The activation operand: `rows` x `cols` codes; row m starts at
/// `data + m * stride` and is a packed row of `bits`-bit codes (one byte per
/// code for 8 bits).
struct activation_matrix {
  const std::uint8_t* data = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t stride = 0;  ///< bytes from one row to the next
  int bits = 8;            ///< 8, 4, 2, or 1 (binary, with is_signed)
  bool is_signed = false;
  std::int32_t zero_point = 0;
};

/// Rows [begin, end) of an operand; the default is all of them.
struct row_range {
  std::size_t begin = 0;
  std::size_t end = std::numeric_limits<std::size_t>::max();
};

/// int32 results: r[m][n] at data[m * stride + n].
struct int32_output {
  std::int32_t* data = nullptr;
  std::size_t stride = 0;  ///< elements from one row to the next
};

/// The arithmetic that takes int32 values to codes.
enum class requantize_rule : std::uint8_t {
  /// TFLite's: a fixed-point multiplier with double rounding (bit-exact with
  /// TFLite's reference kernels; the default).
  tflite,
  /// float(x + offset) * scale in fp32, clamped to [min, max] - zero_point,
  /// rounded half to even, plus zero_point (XNNPACK's fp32 rule: fewer
  /// instructions, results within a code of the tflite rule's). A NaN
  /// product gives min.
  float32,
};

/// How int32 values are requantized to codes:
///   tflite: q = clamp(zero_point + multiply_by_quantized_multiplier(x + offset[n], multiplier[n]), min, max)
///   float32: q = zero_point + round_half_even(clamp(float(x + offset[n]) * scale[n], min - zero_point, max - zero_point))
struct requantize_params {
  const fixed_multiplier* multiplier = nullptr;  ///< tflite rule: one per channel, or one
  const float* scale = nullptr;                  ///< float32 rule: one per channel, or one
  requantize_rule rule = requantize_rule::tflite;
  bool per_channel = false;
  const std::int32_t* offset = nullptr;  ///< added before the multiply, one per channel; may be null
  std::int32_t zero_point = 0;
  std::int32_t min = -128;  ///< clamp, within the output codes' range
  std::int32_t max = 127;
  int bits = 8;  ///< 8, 4 or 2
  bool is_signed = true;
};

/// Requantized results: row m is a packed row of params.bits-bit codes at
/// data + m * stride. params.offset must be null: the bias argument and the
/// zero-point correction take its place.
struct requantized_output {
  std::uint8_t* data = nullptr;
  std::size_t stride = 0;  ///< bytes from one row to the next
  requantize_params params{};
};

/// The geometry of a 2-D convolution over an NHWC input.
struct conv2d_shape {
  std::size_t batch = 1;
  std::size_t height = 0;
  std::size_t width = 0;
  std::size_t channels = 0;  ///< input channels C
  std::size_t kernel_h = 1;
  std::size_t kernel_w = 1;
  std::size_t stride_h = 1;
  std::size_t stride_w = 1;
  std::size_t pad_top = 0;
  std::size_t pad_bottom = 0;
  std::size_t pad_left = 0;
  std::size_t pad_right = 0;
  std::size_t dilation_h = 1;
  std::size_t dilation_w = 1;

  constexpr std::size_t span_h() const noexcept { return dilation_h * (kernel_h - 1) + 1; }
  constexpr std::size_t span_w() const noexcept { return dilation_w * (kernel_w - 1) + 1; }
  constexpr std::size_t out_height() const noexcept {
    const std::size_t padded = height + pad_top + pad_bottom;
    return padded < span_h() || stride_h == 0 ? 0 : (padded - span_h()) / stride_h + 1;
  }
  constexpr std::size_t out_width() const noexcept {
    const std::size_t padded = width + pad_left + pad_right;
    return padded < span_w() || stride_w == 0 ? 0 : (padded - span_w()) / stride_w + 1;
  }
  /// Output pixels: the rows of the output (and of the GEMM).
  constexpr std::size_t out_pixels() const noexcept { return batch * out_height() * out_width(); }
  /// Codes per patch: the K of the GEMM.
  constexpr std::size_t patch() const noexcept { return kernel_h * kernel_w * channels; }
};

/// The input activations: pixel p's C codes are a packed row at
/// data + p * pixel_stride (one byte per code for 8 bits), pixels in NHWC order.
struct conv_input {
  const std::uint8_t* data = nullptr;
  std::size_t pixel_stride = 0;
  int bits = 8;
  bool is_signed = false;
  std::int32_t zero_point = 0;
};

// ------------------------------------------------------------ streaming kernels

/// Which index of a row-major block selects the quantization parameters.
enum class channel_axis {
  tensor,  ///< one scale and zero point
  row,     ///< one per row
  column,  ///< one per column
};

/// Scales and zero points of a block: one entry per channel along `axis`.
struct channel_params {
  const float* scale = nullptr;
  const std::int32_t* zero_point = nullptr;
  channel_axis axis = channel_axis::tensor;
};

/// quantize_kernel: `rows` rows of `cols` floats to codes of `scheme`, as
/// 8-bit lanes or packed rows of fewer bits.
struct quantize_args {
  mixq::scheme scheme{};
  const float* x = nullptr;     ///< row r at x + r * x_stride
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t x_stride = 0;     ///< floats from one row to the next
  channel_params channels{};
  std::uint8_t* out = nullptr;  ///< row r at out + r * out_stride
  std::size_t out_stride = 0;   ///< bytes from one row to the next
};

/// dequantize_kernel: rows of codes of `scheme` (8-bit lanes or packed rows) to floats.
struct dequantize_args {
  mixq::scheme scheme{};
  const std::uint8_t* q = nullptr;  ///< row r at q + r * q_stride
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t q_stride = 0;         ///< bytes from one row to the next
  channel_params channels{};
  float* out = nullptr;             ///< row r at out + r * out_stride
  std::size_t out_stride = 0;       ///< floats from one row to the next
};

/// requantize_kernel: rows of int32 values to codes; channels run along the row.
struct requantize_args {
  const std::int32_t* x = nullptr;  ///< row r at x + r * x_stride
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t x_stride = 0;         ///< values from one row to the next
  requantize_params params{};
  std::uint8_t* out = nullptr;      ///< row r at out + r * out_stride: 8-bit lanes or a packed row
  std::size_t out_stride = 0;       ///< bytes from one row to the next
};

// ------------------------------------------------------------ residual add

/// One input of add_kernel: n 8-bit lanes (int8 or uint8 bit patterns).
struct add_input {
  const std::uint8_t* data = nullptr;
  bool is_signed = false;
  std::int32_t zero_point = 0;
  fixed_multiplier multiplier{};  ///< tflite rule, below one: this input's scale over the common one
  float scale = 0.0f;             ///< float32 rule: this input's scale over the output's
};

/// add_kernel: the quantized add of two tensors of n codes each, written as
/// 8-bit lanes. TFLite's rule (the default), each product with
/// multiply_by_quantized_multiplier's double rounding:
///
///   out[i] = clamp(zero_point + M * (M_a * ((a[i] - zp_a) << left_shift)
///                                     + M_b * ((b[i] - zp_b) << left_shift)), min, max)
///
/// or the float32 rule, in fp32 with one fused multiply-add:
///
///   f = fma(float(a[i] - zp_a), scale_a, float(b[i] - zp_b) * scale_b)
///   out[i] = zero_point + round_half_even(clamp(f, min - zero_point, max - zero_point))
struct add_args {
  add_input a, b;
  std::size_t n = 0;
  requantize_rule rule = requantize_rule::tflite;
  int left_shift = 20;             ///< tflite rule: headroom of the common scale, 0..22
  fixed_multiplier multiplier{};   ///< tflite rule: of the sum, common scale over the output's
  std::int32_t zero_point = 0;     ///< of the output
  std::int32_t min = 0, max = 255; ///< the output's codes (a fused ReLU narrows them)
  bool is_signed = false;          ///< of the output codes
  std::uint8_t* out = nullptr;     ///< n lanes; may be a or b
};

/// pack_kernel: rows of one-byte lanes to packed rows of `bits`-bit codes.
struct pack_args {
  const std::uint8_t* lanes = nullptr;  ///< row r at lanes + r * lane_stride
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t lane_stride = 0;
  int bits = 8;
  std::uint8_t* out = nullptr;          ///< row r at out + r * out_stride
  std::size_t out_stride = 0;
};

/// unpack_kernel: packed rows of `bits`-bit codes to one-byte lanes.
struct unpack_args {
  const std::uint8_t* packed = nullptr;  ///< row r at packed + r * packed_stride
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t packed_stride = 0;
  int bits = 8;
  bool is_signed = false;
  std::uint8_t* lanes = nullptr;         ///< row r at lanes + r * lane_stride
  std::size_t lane_stride = 0;
};

}  // namespace mixq
