#pragma once
// Reference architectures written with the builder, with random weights:
// what benchmarks and latency profiles run when the question is the shape
// of the work, not the answers (a layer's latency does not depend on its
// weights' values).
//
//   mixq::network r = mixq::zoo::resnet18();                  // 224 x 224 x 3, 1000 classes
//   mixq::network m = mixq::zoo::mobilenet_v2({.image = 160});
//
// ResNet-18 (He et al. 2016): 7x7/2 stem, 3x3/2 max pool, four stages of
// two basic blocks (64, 128, 256, 512 channels; 1x1/2 projections where the
// shape changes), global average pool, dense. MobileNetV2 (Sandler et al.
// 2018, width 1.0): 3x3/2 stem of 32, seventeen inverted residual blocks
// (expansion 6, ReLU6, depthwise 3x3, linear projection; residual where
// stride 1 keeps the width), 1x1 to 1280, global average pool, dense.
// BatchNormalization is taken as folded into the convolutions, as mixq's
// importer folds it. Weights are He-normal, biases small: activations keep
// a sane range through the depth, so calibration and integer runs behave.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <mixq/config.hpp>
#include <mixq/model/builder.hpp>
#include <mixq/model/graph.hpp>

namespace mixq::zoo {

struct zoo_options {
  std::size_t image = 224;    ///< input height and width
  std::size_t channels = 3;   ///< input channels
  std::size_t classes = 1000;
  std::uint32_t seed = 1;
};

namespace detail {

class random_weights {
public:
  explicit random_weights(std::uint32_t seed) : rng_(seed) {}
  /// He-normal weights for `fan_in` inputs per output.
  std::vector<float> he(std::size_t n, std::size_t fan_in) {
    std::normal_distribution<float> d(0.0f, std::sqrt(2.0f / static_cast<float>(fan_in)));
    std::vector<float> w(n);
    for (auto& x : w) x = d(rng_);
    return w;
  }
  std::vector<float> bias(std::size_t n) {
    std::normal_distribution<float> d(0.0f, 0.01f);
    std::vector<float> b(n);
    for (auto& x : b) x = d(rng_);
    return b;
  }

private:
  std::mt19937 rng_;
};

inline void check(const zoo_options& o, std::size_t smallest, const char* what) {
  if (o.image < smallest || o.image > 4096 || o.channels == 0 || o.channels > 64 || o.classes == 0 ||
      o.classes > 100000) {
    MIXQ_THROW(error,
               "mixq::zoo::{}: image {}, channels {}, classes {}; expected an image of {}..4096, 1..64 channels "
               "and 1..100000 classes",
               what, o.image, o.channels, o.classes, smallest);
  }
}

}  // namespace detail

/// ResNet-18 with random weights.
inline network resnet18(const zoo_options& o = {}) {
  detail::check(o, 32, "resnet18");
  detail::random_weights r(o.seed);
  network_builder b({o.image, o.image, o.channels});
  auto conv = [&](value_id x, const std::string& name, std::size_t k, std::size_t stride, std::size_t out,
                  fused_clamp clamp) {
    const std::size_t in = b.shape(x).channels;
    return b.conv(x, name, {.kernel = k, .stride = stride, .padding = k / 2}, out, r.he(out * k * k * in, k * k * in),
                  r.bias(out), clamp);
  };
  value_id x = conv(b.input(), "conv1", 7, 2, 64, fused_clamp::relu());
  x = b.max_pool(x, "maxpool", conv_params{.kernel = 3, .stride = 2, .padding = 1}.geometry());
  std::size_t width = 64;
  for (std::size_t stage = 1; stage <= 4; ++stage) {
    for (std::size_t block = 0; block < 2; ++block) {
      const std::string name = fmt::format("layer{}.{}", stage, block);
      const std::size_t stride = stage > 1 && block == 0 ? 2 : 1;
      value_id y = conv(x, name + ".conv1", 3, stride, width, fused_clamp::relu());
      y = conv(y, name + ".conv2", 3, 1, width, fused_clamp::none());
      const value_id shortcut = b.shape(x).channels == width && stride == 1
                                    ? x
                                    : conv(x, name + ".downsample", 1, stride, width, fused_clamp::none());
      x = b.add(y, shortcut, name + ".add", fused_clamp::relu());
    }
    width *= 2;
  }
  x = b.flatten(b.global_average_pool(x, "avgpool"), "flatten");
  const std::size_t features = b.shape(x).channels;
  x = b.dense(x, "fc", o.classes, r.he(o.classes * features, features), r.bias(o.classes));
  return std::move(b).build(x);
}

/// MobileNetV2 (width 1.0) with random weights.
inline network mobilenet_v2(const zoo_options& o = {}) {
  detail::check(o, 32, "mobilenet_v2");
  detail::random_weights r(o.seed);
  network_builder b({o.image, o.image, o.channels});
  auto pointwise = [&](value_id x, const std::string& name, std::size_t out, fused_clamp clamp) {
    const std::size_t in = b.shape(x).channels;
    return b.conv(x, name, {.kernel = 1}, out, r.he(out * in, in), r.bias(out), clamp);
  };
  value_id x = b.conv(b.input(), "features.0", {.kernel = 3, .stride = 2, .padding = 1}, 32,
                      r.he(32 * 9 * o.channels, 9 * o.channels), r.bias(32), fused_clamp::relu6());
  struct stage {
    std::size_t expansion, channels, repeats, stride;
  };
  constexpr stage stages[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                              {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  std::size_t index = 1;
  for (const stage& s : stages) {
    for (std::size_t k = 0; k < s.repeats; ++k, ++index) {
      const std::string name = fmt::format("features.{}", index);
      const std::size_t in = b.shape(x).channels, hidden = in * s.expansion, stride = k == 0 ? s.stride : 1;
      value_id y = s.expansion == 1 ? x : pointwise(x, name + ".expand", hidden, fused_clamp::relu6());
      y = b.depthwise_conv(y, name + ".depthwise", {.kernel = 3, .stride = stride, .padding = 1}, r.he(hidden * 9, 9),
                           r.bias(hidden), fused_clamp::relu6());
      y = pointwise(y, name + ".project", s.channels, fused_clamp::none());
      x = stride == 1 && in == s.channels ? b.add(y, x, name + ".add") : y;
    }
  }
  x = pointwise(x, "features.18", 1280, fused_clamp::relu6());
  x = b.flatten(b.global_average_pool(x, "avgpool"), "flatten");
  x = b.dense(x, "classifier", o.classes, r.he(o.classes * 1280, 1280), r.bias(o.classes));
  return std::move(b).build(x);
}

/// A zoo network by name: "resnet18" or "mobilenet_v2".
inline network by_name(const std::string& name, const zoo_options& o = {}) {
  if (name == "resnet18") return resnet18(o);
  if (name == "mobilenet_v2") return mobilenet_v2(o);
  MIXQ_THROW(error, "mixq::zoo::by_name: '{}' is not a zoo network; expected resnet18 or mobilenet_v2", name);
}

}  // namespace mixq::zoo
