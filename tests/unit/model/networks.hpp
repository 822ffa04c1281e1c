#pragma once
// Small networks built with the builder that between them use every
// operator and both paths of each (direct 1x1 and im2col convolutions, the
// 3x3 depthwise kernel and the general depthwise loop, float-only layers in
// the middle of an integer plan), and a float reference evaluator written
// out from the definitions, in double, that shares no code with the executors.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <variant>
#include <vector>

#include <mixq/model/builder.hpp>

namespace mixq_test {

inline std::vector<float> random_values(std::mt19937& rng, std::size_t n, float sigma) {
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

/// Every operator: convolutions (3x3, dilated, 1x1, asymmetric pads, stride 2), depthwise (3x3 kernel path
/// and 5x5 general path), residual add, concat, max and average pooling, a standalone clamp, global pooling,
/// flatten, an affine map between integer layers, dense layers.
inline mixq::network all_operators(unsigned seed) {
  using namespace mixq;
  std::mt19937 rng(seed);
  network_builder b({10, 10, 3});
  const auto c1 = b.conv(b.input(), "c1", conv_params{3, 1, 1}, 8, random_values(rng, 8 * 9 * 3, 0.35f),
                         random_values(rng, 8, 0.1f), fused_clamp::relu());
  const auto c2 = b.conv(c1, "c2", conv_params{3, 1, 2, 2}, 8, random_values(rng, 8 * 9 * 8, 0.15f),
                         random_values(rng, 8, 0.1f));
  const auto a1 = b.add(c1, c2, "a1", fused_clamp::relu());
  const auto dw = b.depthwise_conv(a1, "dw", conv_params{3, 2, 1}, random_values(rng, 8 * 9, 0.4f),
                                   random_values(rng, 8, 0.05f), fused_clamp::relu6());
  const auto dw5 = b.depthwise_conv(a1, "dw5", conv_params{5, 1, 2}, random_values(rng, 8 * 25, 0.2f),
                                    random_values(rng, 8, 0.05f));
  const auto mp = b.max_pool(dw5, "mp", window{2, 2, 2, 2});
  const auto cat = b.concat({dw, mp}, "cat");
  const auto c3 = b.conv(cat, "c3", conv_params{1}, 12, random_values(rng, 12 * 16, 0.3f), random_values(rng, 12, 0.1f));
  const auto ap = b.average_pool(c3, "ap", window{3, 3, 1, 1, 1, 1, 1, 1});
  const auto c4 = b.conv(ap, "c4", window{3, 3, 2, 2, 0, 0, 1, 1}, 10, random_values(rng, 10 * 9 * 12, 0.2f),
                         random_values(rng, 10, 0.1f));
  const auto cl = b.clamp(c4, "cl", {-0.5f, 1.5f});
  const auto gp = b.global_average_pool(cl, "gp");
  const auto fl = b.flatten(gp, "fl");
  const auto af = b.affine(fl, "af", random_values(rng, 10, 1.0f), random_values(rng, 10, 0.2f));
  const auto d1 = b.dense(af, "d1", 7, random_values(rng, 7 * 10, 0.4f), random_values(rng, 7, 0.1f),
                          fused_clamp::relu());
  const auto out = b.dense(d1, "out", 5, random_values(rng, 5 * 7, 0.4f), random_values(rng, 5, 0.1f));
  return std::move(b).build(out);
}

/// A normalising affine map on the input, a multi-channel image flattened into dense layers (the NHWC ->
/// CHW reorder), ceil-mode and count-include-pad pooling.
inline mixq::network flatten_head(unsigned seed) {
  using namespace mixq;
  std::mt19937 rng(seed);
  network_builder b({7, 7, 2});
  const auto norm = b.affine(b.input(), "norm", {2.0f, -1.5f}, {-0.5f, 0.25f});
  const auto c1 = b.conv(norm, "c1", conv_params{3, 1, 1}, 4, random_values(rng, 4 * 9 * 2, 0.3f),
                         random_values(rng, 4, 0.1f), fused_clamp::relu());
  window pool{2, 2, 2, 2};
  pool.ceil_mode = true;
  const auto mp = b.max_pool(c1, "mp", pool);
  window avg{3, 3, 1, 1, 1, 1, 1, 1};
  const auto ap = b.average_pool(mp, "ap", avg, true);
  const auto fl = b.flatten(ap, "fl");
  const auto out = b.dense(fl, "out", 6, random_values(rng, 6 * 64, 0.2f), random_values(rng, 6, 0.1f));
  return std::move(b).build(out);
}

/// An image of many channels (the input's reorder runs in several blocks of
/// pixels), a depthwise layer of more than 256 channels, global pooling.
inline mixq::network wide_input(unsigned seed) {
  using namespace mixq;
  std::mt19937 rng(seed);
  constexpr std::size_t c = 300;
  network_builder b({5, 5, c});
  const auto dw = b.depthwise_conv(b.input(), "dw", conv_params{3, 1, 1}, random_values(rng, c * 9, 0.4f),
                                   random_values(rng, c, 0.1f), fused_clamp::relu());
  const auto gp = b.global_average_pool(dw, "gp");
  const auto out = b.dense(gp, "out", 4, random_values(rng, 4 * c, 0.1f), random_values(rng, 4, 0.1f));
  return std::move(b).build(out);
}

/// The network's float outputs from the definitions, in double: NCHW inputs, NHWC values.
inline std::vector<double> reference_float(const mixq::network& net, const std::vector<float>& input, std::size_t n) {
  using namespace mixq;
  std::vector<std::vector<double>> values(net.values().size());
  const tensor_shape& is = net.input_shape();
  const std::size_t hw = is.height * is.width;
  values[net.input()].resize(n * is.elements());
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t c = 0; c < is.channels; ++c) {
      for (std::size_t p = 0; p < hw; ++p) {
        values[net.input()][(i * hw + p) * is.channels + c] = input[(i * is.channels + c) * hw + p];
      }
    }
  }
  auto clamp = [](double v, const fused_clamp& c) { return std::min<double>(std::max<double>(v, c.lo), c.hi); };
  for (std::size_t li = 1; li < net.layers().size(); ++li) {
    const layer& l = net.layers()[li];
    const tensor_shape& in = net.value(l.inputs[0]).shape;
    const tensor_shape& out = net.value(l.output).shape;
    const std::vector<double>& x = values[l.inputs[0]];
    std::vector<double> y(n * out.elements());
    auto at = [&](std::size_t img, std::ptrdiff_t yy, std::ptrdiff_t xx, std::size_t c, bool& inside) {
      inside = yy >= 0 && xx >= 0 && yy < static_cast<std::ptrdiff_t>(in.height) && xx < static_cast<std::ptrdiff_t>(in.width);
      return inside ? x[((img * in.height + static_cast<std::size_t>(yy)) * in.width + static_cast<std::size_t>(xx)) * in.channels + c] : 0.0;
    };
    auto windows = [&](const window& w, auto&& f) {
      for (std::size_t img = 0; img < n; ++img) {
        for (std::size_t oy = 0; oy < out.height; ++oy) {
          for (std::size_t ox = 0; ox < out.width; ++ox) {
            f(img, oy, ox, static_cast<std::ptrdiff_t>(oy * w.stride_h) - static_cast<std::ptrdiff_t>(w.pad_top),
              static_cast<std::ptrdiff_t>(ox * w.stride_w) - static_cast<std::ptrdiff_t>(w.pad_left),
              ((img * out.height + oy) * out.width + ox) * out.channels);
          }
        }
      }
    };
    if (const auto* conv = std::get_if<conv_op>(&l.op)) {
      const window& w = conv->geometry;
      const std::size_t cin = conv->depthwise ? 1 : in.channels;
      windows(w, [&](std::size_t img, std::size_t, std::size_t, std::ptrdiff_t y0, std::ptrdiff_t x0, std::size_t o0) {
        for (std::size_t o = 0; o < out.channels; ++o) {
          double s = conv->bias[o];
          for (std::size_t ky = 0; ky < w.kernel_h; ++ky) {
            for (std::size_t kx = 0; kx < w.kernel_w; ++kx) {
              for (std::size_t ci = 0; ci < cin; ++ci) {
                bool inside = false;
                const double v = at(img, y0 + static_cast<std::ptrdiff_t>(ky * w.dilation_h),
                                    x0 + static_cast<std::ptrdiff_t>(kx * w.dilation_w), conv->depthwise ? o : ci, inside);
                s += v * conv->weights[((o * w.kernel_h + ky) * w.kernel_w + kx) * cin + ci];
              }
            }
          }
          y[o0 + o] = clamp(s, conv->clamp);
        }
      });
    } else if (const auto* dense = std::get_if<dense_op>(&l.op)) {
      const std::size_t k = in.elements();
      for (std::size_t img = 0; img < n; ++img) {
        for (std::size_t o = 0; o < dense->out_features; ++o) {
          double s = dense->bias[o];
          for (std::size_t i = 0; i < k; ++i) s += x[img * k + i] * dense->weights[o * k + i];
          y[img * dense->out_features + o] = clamp(s, dense->clamp);
        }
      }
    } else if (const auto* add = std::get_if<add_op>(&l.op)) {
      const std::vector<double>& x2 = values[l.inputs[1]];
      for (std::size_t i = 0; i < y.size(); ++i) y[i] = clamp(x[i] + x2[i], add->clamp);
    } else if (std::holds_alternative<concat_op>(l.op)) {
      const std::size_t pixels = n * out.height * out.width;
      std::size_t offset = 0;
      for (const value_id v : l.inputs) {
        const std::size_t c = net.value(v).shape.channels;
        for (std::size_t p = 0; p < pixels; ++p) {
          for (std::size_t i = 0; i < c; ++i) y[p * out.channels + offset + i] = values[v][p * c + i];
        }
        offset += c;
      }
    } else if (const auto* pool = std::get_if<pool_op>(&l.op)) {
      const window& w = pool->geometry;
      windows(w, [&](std::size_t img, std::size_t, std::size_t, std::ptrdiff_t y0, std::ptrdiff_t x0, std::size_t o0) {
        for (std::size_t c = 0; c < out.channels; ++c) {
          double acc = pool->max ? -std::numeric_limits<double>::infinity() : 0.0;
          std::size_t count = 0, padded = 0;
          for (std::size_t ky = 0; ky < w.kernel_h; ++ky) {
            for (std::size_t kx = 0; kx < w.kernel_w; ++kx) {
              const std::ptrdiff_t yy = y0 + static_cast<std::ptrdiff_t>(ky * w.dilation_h);
              const std::ptrdiff_t xx = x0 + static_cast<std::ptrdiff_t>(kx * w.dilation_w);
              bool inside = false;
              const double v = at(img, yy, xx, c, inside);
              // Taps inside the padded input count for count_include_pad.
              padded += yy < static_cast<std::ptrdiff_t>(in.height + w.pad_bottom) &&
                        xx < static_cast<std::ptrdiff_t>(in.width + w.pad_right);
              if (!inside) continue;
              ++count;
              acc = pool->max ? std::max(acc, v) : acc + v;
            }
          }
          y[o0 + c] = pool->max ? acc : acc / static_cast<double>(pool->count_include_pad ? padded : count);
        }
      });
    } else if (std::holds_alternative<global_pool_op>(l.op)) {
      const std::size_t hw2 = in.height * in.width;
      for (std::size_t img = 0; img < n; ++img) {
        for (std::size_t c = 0; c < in.channels; ++c) {
          double s = 0;
          for (std::size_t p = 0; p < hw2; ++p) s += x[(img * hw2 + p) * in.channels + c];
          y[img * in.channels + c] = s / static_cast<double>(hw2);
        }
      }
    } else if (std::holds_alternative<flatten_op>(l.op)) {
      const std::size_t hw2 = in.height * in.width;
      for (std::size_t img = 0; img < n; ++img) {
        for (std::size_t c = 0; c < in.channels; ++c) {
          for (std::size_t p = 0; p < hw2; ++p) y[img * in.elements() + c * hw2 + p] = x[(img * hw2 + p) * in.channels + c];
        }
      }
    } else if (const auto* cl = std::get_if<clamp_op>(&l.op)) {
      for (std::size_t i = 0; i < y.size(); ++i) y[i] = clamp(x[i], cl->clamp);
    } else if (const auto* af = std::get_if<affine_op>(&l.op)) {
      for (std::size_t i = 0; i < y.size(); ++i) {
        const std::size_t c = i % in.channels;
        y[i] = x[i] * af->scale_of(c) + af->shift_of(c);
      }
    }
    values[l.output] = std::move(y);
  }
  // Outputs in ONNX order (C, H, W) per sample.
  const tensor_shape& os = net.output_shape();
  const std::size_t ohw = os.height * os.width;
  std::vector<double> out(n * os.elements());
  const std::vector<double>& v = values[net.output()];
  for (std::size_t img = 0; img < n; ++img) {
    for (std::size_t c = 0; c < os.channels; ++c) {
      for (std::size_t p = 0; p < ohw; ++p) out[img * os.elements() + c * ohw + p] = v[(img * ohw + p) * os.channels + c];
    }
  }
  return out;
}

}  // namespace mixq_test
