#pragma once
// A network as a graph of layers: values (activation tensors, one per layer
// output) and layers in topological order, each layer reading values made by
// earlier ones. Float weights are always present; a network imported from a
// quantized (QDQ) model also keeps the codes and parameters as stored.
//
// Shapes are per sample (the batch is the executors' business) and NHWC:
// an image value is H x W x C, a vector value is C features. A network has one
// input (an image or a vector) and one output.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include <mixq/config.hpp>

namespace mixq {

/// One sample's activation shape: H x W x C for images (NCHW in ONNX), C for vectors.
struct tensor_shape {
  std::size_t height = 1;
  std::size_t width = 1;
  std::size_t channels = 0;
  bool image = true;  ///< rank 4 (N, C, H, W) rather than rank 2 (N, C)

  constexpr std::size_t elements() const noexcept { return height * width * channels; }
  constexpr bool operator==(const tensor_shape&) const = default;
};

inline std::string to_string(const tensor_shape& s) {
  return s.image ? fmt::format("{}x{}x{} (HxWxC)", s.height, s.width, s.channels) : fmt::format("{}", s.channels);
}

/// A clamp fused into a layer's output: ReLU is [0, inf), ReLU6 [0, 6].
struct fused_clamp {
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();

  static constexpr fused_clamp none() noexcept { return {}; }
  static constexpr fused_clamp relu() noexcept { return {0.0f, std::numeric_limits<float>::infinity()}; }
  static constexpr fused_clamp relu6() noexcept { return {0.0f, 6.0f}; }
  constexpr bool is_none() const noexcept {
    return lo == -std::numeric_limits<float>::infinity() && hi == std::numeric_limits<float>::infinity();
  }
  /// This clamp followed by `next`.
  constexpr fused_clamp then(const fused_clamp& next) const noexcept {
    fused_clamp c{lo > next.lo ? lo : next.lo, hi < next.hi ? hi : next.hi};
    if (c.lo > c.hi) c.lo = c.hi;
    return c;
  }
  constexpr bool operator==(const fused_clamp&) const = default;
};

/// How an activation tensor was quantized in the source model (QDQ), or is
/// quantized by mixq: codes of `bits` bits, real = scale * (code - zero_point).
struct activation_params {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
  int bits = 8;
  bool is_signed = false;

  constexpr std::int32_t qmin() const noexcept { return is_signed ? -(1 << (bits - 1)) : 0; }
  constexpr std::int32_t qmax() const noexcept { return is_signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1; }
  bool operator==(const activation_params&) const = default;
};

/// Weights as a quantized source model stored them: signed codes, one scale
/// per output channel (or one), zero points (usually 0: the integer kernels
/// take only symmetric weights; asymmetric ones are for mixq::requantize to
/// convert); and the bias as int32 codes in units of input_scale *
/// weight_scale[n], when the source had them. Value = scale * (code - zero point).
struct source_weights {
  int bits = 8;                        ///< the codes' range: [-(2^(bits-1)), 2^(bits-1) - 1]
  std::vector<std::int8_t> codes;      ///< same layout as the layer's float weights
  std::vector<float> scale;            ///< one per output channel, or one
  std::vector<std::int32_t> bias;      ///< one per output channel, or empty
  std::vector<float> bias_scale;       ///< the unit of each bias code: one per output channel, or one
  std::vector<std::int32_t> zero_point = {};  ///< one per output channel, or one, or empty (all 0)
  float scale_of(std::size_t n) const noexcept { return scale.size() == 1 ? scale[0] : scale[n]; }
  float bias_unit_of(std::size_t n) const noexcept { return bias_scale.size() == 1 ? bias_scale[0] : bias_scale[n]; }
  std::int32_t zero_point_of(std::size_t n) const noexcept {
    return zero_point.empty() ? 0 : zero_point.size() == 1 ? zero_point[0] : zero_point[n];
  }
  /// Whether every zero point is 0.
  bool symmetric() const noexcept {
    for (const auto z : zero_point) {
      if (z != 0) return false;
    }
    return true;
  }
};

/// Geometry of a convolution or pooling window (ONNX attribute names in comments).
struct window {
  std::size_t kernel_h = 1, kernel_w = 1;      // kernel_shape
  std::size_t stride_h = 1, stride_w = 1;      // strides
  std::size_t pad_top = 0, pad_left = 0;       // pads[0], pads[1]
  std::size_t pad_bottom = 0, pad_right = 0;   // pads[2], pads[3]
  std::size_t dilation_h = 1, dilation_w = 1;  // dilations
  bool ceil_mode = false;                      // pooling only

  constexpr std::size_t out_extent(std::size_t in, std::size_t kernel, std::size_t stride, std::size_t pad_a,
                                   std::size_t pad_b, std::size_t dilation) const noexcept {
    const std::size_t span = dilation * (kernel - 1) + 1;
    const std::size_t padded = in + pad_a + pad_b;
    if (padded < span || stride == 0) return 0;
    std::size_t out = (padded - span) / stride + 1;
    // ceil_mode: one more window when some input is left over, if it starts inside the input or left padding.
    if (ceil_mode && (padded - span) % stride != 0 && (out * stride) < in + pad_a) ++out;
    return out;
  }
  constexpr std::size_t out_height(std::size_t in) const noexcept {
    return out_extent(in, kernel_h, stride_h, pad_top, pad_bottom, dilation_h);
  }
  constexpr std::size_t out_width(std::size_t in) const noexcept {
    return out_extent(in, kernel_w, stride_w, pad_left, pad_right, dilation_w);
  }
  constexpr bool operator==(const window&) const = default;
};

/// The divisor of an average pool that counts padding: the window's taps
/// inside the padded input (a ceil_mode window may reach past it), as PyTorch.
constexpr std::size_t pool_window_size(const window& w, const tensor_shape& in, std::size_t yo, std::size_t xo) noexcept {
  auto taps = [](std::size_t start, std::size_t kernel, std::size_t dilation, std::size_t padded) {
    std::size_t n = 0;
    for (std::size_t k = 0; k < kernel; ++k) n += start + k * dilation < padded ? 1 : 0;
    return n;
  };
  return taps(yo * w.stride_h, w.kernel_h, w.dilation_h, in.height + w.pad_top + w.pad_bottom) *
         taps(xo * w.stride_w, w.kernel_w, w.dilation_w, in.width + w.pad_left + w.pad_right);
}

/// Calls f(pixel, tap) for each input pixel (an index into the N x H x W
/// pixels) that the window of output pixel (yo, xo) of image `img` covers
/// inside the input, with the tap's index in the window (ky * kernel_w +
/// kx), row by row; taps in the padding are skipped.
template <class F>
constexpr void for_each_window_pixel(const window& w, const tensor_shape& in, std::size_t img, std::size_t yo,
                                     std::size_t xo, F&& f) {
  for (std::size_t ky = 0; ky < w.kernel_h; ++ky) {
    // Signed on purpose: a tap may fall in the padding.
    const auto iy = static_cast<std::ptrdiff_t>(yo * w.stride_h + ky * w.dilation_h) -
                    static_cast<std::ptrdiff_t>(w.pad_top);
    if (iy < 0 || iy >= static_cast<std::ptrdiff_t>(in.height)) continue;
    for (std::size_t kx = 0; kx < w.kernel_w; ++kx) {
      const auto ix = static_cast<std::ptrdiff_t>(xo * w.stride_w + kx * w.dilation_w) -
                      static_cast<std::ptrdiff_t>(w.pad_left);
      if (ix < 0 || ix >= static_cast<std::ptrdiff_t>(in.width)) continue;
      f((img * in.height + static_cast<std::size_t>(iy)) * in.width + static_cast<std::size_t>(ix), ky * w.kernel_w + kx);
    }
  }
}

/// The network's input (float; a quantized model quantizes it first).
struct input_op {
  static constexpr std::string_view kind = "input";
};

/// 2-D convolution, groups 1 or depthwise (groups = input channels = output channels).
/// weights: O x KH x KW x (C / groups) (OHWI), bias: O.
struct conv_op {
  static constexpr std::string_view kind = "conv";
  window geometry;
  std::size_t out_channels = 0;
  bool depthwise = false;
  std::vector<float> weights;
  std::vector<float> bias;
  fused_clamp clamp;
  std::optional<source_weights> source;
};

/// Fully connected: y = W x + b; weights N x K (row n is output n), bias N.
struct dense_op {
  static constexpr std::string_view kind = "dense";
  std::size_t out_features = 0;
  std::vector<float> weights;
  std::vector<float> bias;
  fused_clamp clamp;
  std::optional<source_weights> source;
};

/// Elementwise sum of two values of the same shape (a residual add).
struct add_op {
  static constexpr std::string_view kind = "add";
  fused_clamp clamp;
};

/// Concatenation along the channel axis.
struct concat_op {
  static constexpr std::string_view kind = "concat";
};

/// Max or average pooling over windows.
struct pool_op {
  static constexpr std::string_view kind = "pool";
  bool max = true;
  window geometry;
  bool count_include_pad = false;  ///< average pooling: divide by the whole window
};

/// Average over H and W: H x W x C -> 1 x 1 x C.
struct global_pool_op {
  static constexpr std::string_view kind = "global_average_pool";
};

/// H x W x C -> a vector of H*W*C features in ONNX's (C, H, W) order.
struct flatten_op {
  static constexpr std::string_view kind = "flatten";
};

/// A clamp on its own (ReLU, Clip) where it could not be fused into its producer.
struct clamp_op {
  static constexpr std::string_view kind = "clamp";
  fused_clamp clamp;
};

/// y = x * scale[c] + shift[c] per channel (one entry: every channel): input
/// normalisation (Sub, Div, Mul, Add by constants) and a BatchNormalization
/// that follows no convolution. Integer runs allow it only before the first
/// quantized layer, where it is computed in float.
struct affine_op {
  static constexpr std::string_view kind = "affine";
  std::vector<float> scale;
  std::vector<float> shift;
  float scale_of(std::size_t c) const noexcept { return scale.size() == 1 ? scale[0] : scale[c]; }
  float shift_of(std::size_t c) const noexcept { return shift.size() == 1 ? shift[0] : shift[c]; }
};

using layer_op = std::variant<input_op, conv_op, dense_op, add_op, concat_op, pool_op, global_pool_op, flatten_op,
                              clamp_op, affine_op>;

/// The name of a layer's operator, for messages.
inline std::string_view op_name(const layer_op& op) {
  return std::visit([](const auto& o) -> std::string_view { return std::remove_cvref_t<decltype(o)>::kind; }, op);
}

/// Index of a value in network::values().
using value_id = std::size_t;

/// An activation tensor: the output of one layer.
struct value_info {
  std::string name;
  tensor_shape shape;
  std::optional<activation_params> source;  ///< its quantization in the source model, if any
};

/// A node of the graph: an operator, the values it reads and the value it writes.
struct layer {
  std::string name;
  layer_op op;
  std::vector<value_id> inputs;
  value_id output = 0;

  /// Whether the layer has weights (convolution or dense): the layers a precision plan assigns.
  bool has_weights() const noexcept {
    return std::holds_alternative<conv_op>(op) || std::holds_alternative<dense_op>(op);
  }
};

/// Multiply-accumulates of one sample through a layer with weights (0 for others).
std::size_t layer_macs(const layer& l, const std::vector<value_info>& values);

/// A checked graph: every input defined before use, shapes inferred and
/// consistent, one input layer first, names unique.
class network {
public:
  network() = default;

  /// Checks the layers (in topological order) and infers every value's shape
  /// from the input's. Throws mixq::error naming the first layer at fault.
  network(std::vector<layer> layers, std::vector<value_info> values, value_id output);

  const std::vector<layer>& layers() const noexcept { return layers_; }
  const std::vector<value_info>& values() const noexcept { return values_; }
  const value_info& value(value_id v) const { return values_.at(v); }
  value_id input() const noexcept { return layers_.front().output; }
  value_id output() const noexcept { return output_; }
  const tensor_shape& input_shape() const { return values_[input()].shape; }
  const tensor_shape& output_shape() const { return values_[output_].shape; }

  /// Indices (into layers()) of the layers with weights, in order: the layers of a precision plan.
  const std::vector<std::size_t>& weighted_layers() const noexcept { return weighted_; }
  /// The layer that writes value v.
  std::size_t producer(value_id v) const { return producer_.at(v); }
  /// The layers that read value v, in order.
  const std::vector<std::size_t>& consumers(value_id v) const { return consumers_.at(v); }
  /// Index in layers() of the layer named `name`, or layers().size().
  std::size_t find_layer(std::string_view name) const noexcept;

  /// Whether every layer with weights carries the source model's codes (an imported QDQ model).
  bool is_quantized() const noexcept;

  /// Mutable access for transformations (weight edits); shapes must not change.
  layer& layer_at(std::size_t i) { return layers_.at(i); }
  value_info& value_at(value_id v) { return values_.at(v); }

private:
  void check_and_infer();

  std::vector<layer> layers_;
  std::vector<value_info> values_;
  value_id output_ = 0;
  std::vector<std::size_t> weighted_;
  std::vector<std::size_t> producer_;
  std::vector<std::vector<std::size_t>> consumers_;
};

}  // namespace mixq

#include <mixq/model/detail/network_checks.hpp>
