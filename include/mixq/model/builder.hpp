#pragma once
// Writing a network in C++: each call adds a layer, checks it and returns
// the value it writes, so shapes are known as the network grows.
//
//   mixq::network_builder b({28, 28, 1});
//   auto x = b.conv(b.input(), "conv1", {.kernel = 3, .padding = 1}, 16, w1, b1, mixq::fused_clamp::relu());
//   x = b.global_average_pool(x, "pool");
//   x = b.dense(b.flatten(x, "flatten"), "fc", 10, w2, b2);
//   mixq::network net = std::move(b).build(x);

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <mixq/config.hpp>
#include <mixq/model/graph.hpp>

namespace mixq {

/// A square window with symmetric padding, the common case (`window` for the rest).
struct conv_params {
  std::size_t kernel = 1;
  std::size_t stride = 1;
  std::size_t padding = 0;
  std::size_t dilation = 1;

  constexpr window geometry() const noexcept {
    return {kernel, kernel, stride, stride, padding, padding, padding, padding, dilation, dilation, false};
  }
};

class network_builder {
public:
  /// A network whose input is an image of `input` (H x W x C) or, with
  /// `input.image = false`, a vector of input.channels features.
  explicit network_builder(tensor_shape input, std::string name = "input") {
    values_.push_back({name, input, std::nullopt});
    layers_.push_back({std::move(name), input_op{}, {}, 0});
    // The input's own checks run when the network is built; catch an empty one now.
    if (input.elements() == 0) MIXQ_THROW(error, "mixq::network_builder: the input shape has no elements");
  }

  value_id input() const noexcept { return 0; }
  const tensor_shape& shape(value_id v) const { return values_.at(v).shape; }

  /// Convolution, groups 1: weights O x KH x KW x C (OHWI), bias O (empty: zeros).
  value_id conv(value_id x, std::string name, const window& w, std::size_t out_channels, std::vector<float> weights,
                std::vector<float> bias = {}, fused_clamp clamp = {}) {
    if (bias.empty()) bias.assign(out_channels, 0.0f);
    return append(std::move(name), conv_op{w, out_channels, false, std::move(weights), std::move(bias), clamp, {}}, {x});
  }
  value_id conv(value_id x, std::string name, const conv_params& p, std::size_t out_channels,
                std::vector<float> weights, std::vector<float> bias = {}, fused_clamp clamp = {}) {
    return conv(x, std::move(name), p.geometry(), out_channels, std::move(weights), std::move(bias), clamp);
  }

  /// Depthwise convolution (one filter per channel): weights C x KH x KW x 1, bias C (empty: zeros).
  value_id depthwise_conv(value_id x, std::string name, const conv_params& p, std::vector<float> weights,
                          std::vector<float> bias = {}, fused_clamp clamp = {}) {
    const std::size_t c = shape(x).channels;
    if (bias.empty()) bias.assign(c, 0.0f);
    return append(std::move(name), conv_op{p.geometry(), c, true, std::move(weights), std::move(bias), clamp, {}}, {x});
  }

  /// Fully connected: weights N x K, bias N (empty: zeros).
  value_id dense(value_id x, std::string name, std::size_t out_features, std::vector<float> weights,
                 std::vector<float> bias = {}, fused_clamp clamp = {}) {
    if (bias.empty()) bias.assign(out_features, 0.0f);
    return append(std::move(name), dense_op{out_features, std::move(weights), std::move(bias), clamp, {}}, {x});
  }

  value_id add(value_id a, value_id b, std::string name, fused_clamp clamp = {}) {
    return append(std::move(name), add_op{clamp}, {a, b});
  }
  value_id concat(std::vector<value_id> xs, std::string name) { return append(std::move(name), concat_op{}, std::move(xs)); }
  value_id max_pool(value_id x, std::string name, const window& w) {
    return append(std::move(name), pool_op{true, w, false}, {x});
  }
  value_id average_pool(value_id x, std::string name, const window& w, bool count_include_pad = false) {
    return append(std::move(name), pool_op{false, w, count_include_pad}, {x});
  }
  value_id global_average_pool(value_id x, std::string name) { return append(std::move(name), global_pool_op{}, {x}); }
  value_id flatten(value_id x, std::string name) { return append(std::move(name), flatten_op{}, {x}); }
  value_id clamp(value_id x, std::string name, fused_clamp c) { return append(std::move(name), clamp_op{c}, {x}); }
  value_id affine(value_id x, std::string name, std::vector<float> scale, std::vector<float> shift) {
    return append(std::move(name), affine_op{std::move(scale), std::move(shift)}, {x});
  }

  /// Any operator: the general form of the calls above.
  value_id append(std::string name, layer_op op, std::vector<value_id> inputs) {
    layer l{std::move(name), std::move(op), std::move(inputs), values_.size()};
    std::vector<tensor_shape> in;
    for (const value_id v : l.inputs) {
      if (v >= values_.size()) {
        MIXQ_THROW(error, "mixq::network_builder: {} reads value {}, which does not exist yet",
                   detail::layer_where(l), v);
      }
      in.push_back(values_[v].shape);
    }
    for (const auto& existing : layers_) {
      if (existing.name == l.name) {
        MIXQ_THROW(error, "mixq::network_builder: a layer named '{}' exists already; expected unique names", l.name);
      }
    }
    const tensor_shape out = detail::infer_shape(l, in);
    values_.push_back({l.name, out, std::nullopt});
    layers_.push_back(std::move(l));
    return values_.size() - 1;
  }

  /// The network whose output is `output`. The builder is spent.
  network build(value_id output) && { return network(std::move(layers_), std::move(values_), output); }

private:
  std::vector<layer> layers_;
  std::vector<value_info> values_;
};

}  // namespace mixq
