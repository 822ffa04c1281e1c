#pragma once
// network's checks and shape inference (included by model/graph.hpp).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <mixq/config.hpp>

namespace mixq {

namespace detail {

// "layer 'name' (conv)", the prefix of every message about a layer.
inline std::string layer_where(const layer& l) { return fmt::format("layer '{}' ({})", l.name, op_name(l.op)); }

inline void check_finite(const layer& l, const std::vector<float>& v, std::string_view what) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      MIXQ_THROW(error, "{}: {}[{}] = {} is invalid; expected finite values", layer_where(l), what, i, v[i]);
    }
  }
}

inline void check_window(const layer& l, const window& w, bool pooling) {
  if (w.kernel_h == 0 || w.kernel_w == 0 || w.stride_h == 0 || w.stride_w == 0 || w.dilation_h == 0 ||
      w.dilation_w == 0) {
    MIXQ_THROW(error, "{}: kernel {}x{}, strides {}x{}, dilations {}x{}; expected all >= 1", layer_where(l), w.kernel_h,
               w.kernel_w, w.stride_h, w.stride_w, w.dilation_h, w.dilation_w);
  }
  const std::size_t span_h = w.dilation_h * (w.kernel_h - 1) + 1, span_w = w.dilation_w * (w.kernel_w - 1) + 1;
  if (std::max(w.pad_top, w.pad_bottom) >= span_h || std::max(w.pad_left, w.pad_right) >= span_w) {
    // A window wholly inside the padding would average nothing (or take the max of nothing).
    MIXQ_THROW(error, "{}: pads (top {}, left {}, bottom {}, right {}) are not smaller than the {}x{} window; "
                      "expected each pad < the window's extent",
               layer_where(l), w.pad_top, w.pad_left, w.pad_bottom, w.pad_right, span_h, span_w);
  }
  if (!pooling && w.ceil_mode) MIXQ_THROW(error, "{}: ceil_mode applies to pooling only", layer_where(l));
}

inline tensor_shape window_output(const layer& l, const window& w, const tensor_shape& in, std::size_t channels) {
  const std::size_t oh = w.out_height(in.height), ow = w.out_width(in.width);
  if (oh == 0 || ow == 0) {
    MIXQ_THROW(error, "{}: a {}x{} input padded by (top {}, left {}, bottom {}, right {}) is smaller than the {}x{} "
                      "window (dilations {}x{}); expected an output of at least 1x1",
               layer_where(l), in.height, in.width, w.pad_top, w.pad_left, w.pad_bottom, w.pad_right, w.kernel_h,
               w.kernel_w, w.dilation_h, w.dilation_w);
  }
  return {oh, ow, channels, true};
}

// The shape of l's output from its inputs' shapes; throws naming l.
inline tensor_shape infer_shape(const layer& l, const std::vector<tensor_shape>& in) {
  const std::string where = layer_where(l);
  auto expect_inputs = [&](std::size_t n) {
    if (in.size() != n) MIXQ_THROW(error, "{}: {} inputs; expected {}", where, in.size(), n);
  };
  auto expect_image = [&](const tensor_shape& s) {
    if (!s.image) {
      MIXQ_THROW(error, "{}: the input is a vector of {} features; expected an image (N x C x H x W)", where,
                 s.channels);
    }
  };
  return std::visit(
      [&](const auto& op) -> tensor_shape {
        using T = std::remove_cvref_t<decltype(op)>;
        if constexpr (std::is_same_v<T, input_op>) {
          MIXQ_THROW(error, "{}: only the first layer may be the network's input", where);
        } else if constexpr (std::is_same_v<T, conv_op>) {
          expect_inputs(1);
          expect_image(in[0]);
          check_window(l, op.geometry, false);
          const std::size_t c = in[0].channels;
          if (op.out_channels == 0) MIXQ_THROW(error, "{}: 0 output channels; expected >= 1", where);
          if (op.depthwise && op.out_channels != c) {
            MIXQ_THROW(error, "{}: a depthwise convolution with {} input and {} output channels; expected equal "
                              "(channel multiplier 1)",
                       where, c, op.out_channels);
          }
          const std::size_t per_out = op.geometry.kernel_h * op.geometry.kernel_w * (op.depthwise ? 1 : c);
          if (op.weights.size() != op.out_channels * per_out) {
            MIXQ_THROW(error, "{}: {} weights; expected {} x {} x {} x {} = {} (O x KH x KW x C{})", where,
                       op.weights.size(), op.out_channels, op.geometry.kernel_h, op.geometry.kernel_w,
                       op.depthwise ? 1 : c, op.out_channels * per_out, op.depthwise ? "/groups" : "");
          }
          if (op.bias.size() != op.out_channels) {
            MIXQ_THROW(error, "{}: {} biases; expected one per output channel ({})", where, op.bias.size(),
                       op.out_channels);
          }
          check_finite(l, op.weights, "weights");
          check_finite(l, op.bias, "bias");
          return window_output(l, op.geometry, in[0], op.out_channels);
        } else if constexpr (std::is_same_v<T, dense_op>) {
          expect_inputs(1);
          if (in[0].image && in[0].height * in[0].width != 1) {
            MIXQ_THROW(error, "{}: the input is an image of {}; expected a vector (flatten it first)", where,
                       to_string(in[0]));
          }
          const std::size_t k = in[0].channels;
          if (op.out_features == 0) MIXQ_THROW(error, "{}: 0 outputs; expected >= 1", where);
          if (op.weights.size() != op.out_features * k) {
            MIXQ_THROW(error, "{}: {} weights; expected {} x {} = {} (outputs x inputs)", where, op.weights.size(),
                       op.out_features, k, op.out_features * k);
          }
          if (op.bias.size() != op.out_features) {
            MIXQ_THROW(error, "{}: {} biases; expected one per output ({})", where, op.bias.size(), op.out_features);
          }
          check_finite(l, op.weights, "weights");
          check_finite(l, op.bias, "bias");
          return {1, 1, op.out_features, false};
        } else if constexpr (std::is_same_v<T, add_op>) {
          expect_inputs(2);
          if (!(in[0] == in[1])) {
            MIXQ_THROW(error, "{}: inputs of shapes {} and {}; expected equal shapes (no broadcasting)", where,
                       to_string(in[0]), to_string(in[1]));
          }
          return in[0];
        } else if constexpr (std::is_same_v<T, concat_op>) {
          if (in.empty()) MIXQ_THROW(error, "{}: no inputs; expected at least one", where);
          tensor_shape out = in[0];
          for (std::size_t i = 1; i < in.size(); ++i) {
            if (in[i].image != in[0].image || in[i].height != in[0].height || in[i].width != in[0].width) {
              MIXQ_THROW(error, "{}: input {} has shape {} but input 0 has {}; expected equal shapes but for the "
                                "channels",
                         where, i, to_string(in[i]), to_string(in[0]));
            }
            out.channels += in[i].channels;
          }
          return out;
        } else if constexpr (std::is_same_v<T, pool_op>) {
          expect_inputs(1);
          expect_image(in[0]);
          check_window(l, op.geometry, true);
          return window_output(l, op.geometry, in[0], in[0].channels);
        } else if constexpr (std::is_same_v<T, global_pool_op>) {
          expect_inputs(1);
          expect_image(in[0]);
          return {1, 1, in[0].channels, true};
        } else if constexpr (std::is_same_v<T, flatten_op>) {
          expect_inputs(1);
          return {1, 1, in[0].elements(), false};
        } else if constexpr (std::is_same_v<T, clamp_op>) {
          expect_inputs(1);
          if (std::isnan(op.clamp.lo) || std::isnan(op.clamp.hi) || op.clamp.lo > op.clamp.hi) {
            MIXQ_THROW(error, "{}: clamp [{}, {}] is invalid; expected lo <= hi", where, op.clamp.lo, op.clamp.hi);
          }
          return in[0];
        } else {
          static_assert(std::is_same_v<T, affine_op>);
          expect_inputs(1);
          const std::size_t c = in[0].channels;
          if ((op.scale.size() != 1 && op.scale.size() != c) || (op.shift.size() != 1 && op.shift.size() != c)) {
            MIXQ_THROW(error, "{}: {} scales and {} shifts; expected 1 or one per channel ({})", where,
                       op.scale.size(), op.shift.size(), c);
          }
          check_finite(l, op.scale, "scale");
          check_finite(l, op.shift, "shift");
          return in[0];
        }
      },
      l.op);
}

inline void check_clamp(const layer& l, const fused_clamp& c) {
  if (std::isnan(c.lo) || std::isnan(c.hi) || c.lo > c.hi) {
    MIXQ_THROW(error, "{}: fused clamp [{}, {}] is invalid; expected lo <= hi", layer_where(l), c.lo, c.hi);
  }
}

}  // namespace detail

inline std::size_t layer_macs(const layer& l, const std::vector<value_info>& values) {
  if (const auto* c = std::get_if<conv_op>(&l.op)) {
    const tensor_shape& out = values[l.output].shape;
    const std::size_t cin = c->depthwise ? 1 : values[l.inputs[0]].shape.channels;
    return out.height * out.width * out.channels * c->geometry.kernel_h * c->geometry.kernel_w * cin;
  }
  if (const auto* d = std::get_if<dense_op>(&l.op)) return d->weights.size();
  return 0;
}

inline network::network(std::vector<layer> layers, std::vector<value_info> values, value_id output)
    : layers_(std::move(layers)), values_(std::move(values)), output_(output) {
  check_and_infer();
}

inline void network::check_and_infer() {
  if (layers_.empty() || !std::holds_alternative<input_op>(layers_.front().op)) {
    MIXQ_THROW(error, "mixq::network: the first layer must be the input; expected an input_op first");
  }
  producer_.assign(values_.size(), layers_.size());
  consumers_.assign(values_.size(), {});
  weighted_.clear();
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const layer& l = layers_[i];
    for (std::size_t j = 0; j < i; ++j) {
      if (layers_[j].name == l.name) {
        MIXQ_THROW(error, "mixq::network: layers {} and {} are both named '{}'; expected unique names", j, i, l.name);
      }
    }
    if (l.output >= values_.size()) {
      MIXQ_THROW(error, "mixq::network: {} writes value {}, but there are {} values", detail::layer_where(l),
                 l.output, values_.size());
    }
    if (producer_[l.output] != layers_.size()) {
      MIXQ_THROW(error, "mixq::network: {} writes value '{}', which layer '{}' writes already; expected one writer",
                 detail::layer_where(l), values_[l.output].name, layers_[producer_[l.output]].name);
    }
    std::vector<tensor_shape> in;
    for (const value_id v : l.inputs) {
      if (v >= values_.size() || producer_[v] == layers_.size()) {
        // Also what a cycle looks like in topological order: a value read before it is written.
        MIXQ_THROW(error, "mixq::network: {} reads value {}, which no earlier layer writes; expected the layers in "
                          "topological order with every input defined",
                   detail::layer_where(l), v < values_.size() ? "'" + values_[v].name + "'" : std::to_string(v));
      }
      in.push_back(values_[v].shape);
      consumers_[v].push_back(i);
    }
    if (i == 0) {
      if (!l.inputs.empty()) MIXQ_THROW(error, "mixq::network: the input layer reads values; expected none");
      const tensor_shape& s = values_[l.output].shape;
      if (s.elements() == 0) {
        MIXQ_THROW(error, "mixq::network: the input has shape {}; expected at least one element", to_string(s));
      }
    } else {
      values_[l.output].shape = detail::infer_shape(l, in);
    }
    std::visit(
        [&](const auto& op) {
          if constexpr (requires { op.clamp; }) detail::check_clamp(l, op.clamp);
        },
        l.op);
    producer_[l.output] = i;
    if (l.has_weights()) weighted_.push_back(i);
  }
  if (output_ >= values_.size() || producer_[output_] == layers_.size()) {
    MIXQ_THROW(error, "mixq::network: the output value {} is written by no layer", output_);
  }
  if (output_ == input()) MIXQ_THROW(error, "mixq::network: the output is the input; expected at least one layer");
}

inline std::size_t network::find_layer(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (layers_[i].name == name) return i;
  }
  return layers_.size();
}

inline bool network::is_quantized() const noexcept {
  if (weighted_.empty()) return false;
  for (const std::size_t i : weighted_) {
    const bool has = std::visit(
        [](const auto& op) {
          if constexpr (requires { op.source; }) {
            return op.source.has_value();
          } else {
            return false;
          }
        },
        layers_[i].op);
    if (!has) return false;
  }
  return true;
}

}  // namespace mixq
