#pragma once
// A layer's weights in the forms the executors read: quantized to a width
// (per-channel symmetric codes, or the source model's own codes) and packed
// for a backend; or as float panels for the float layers.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <xtensor/xadapt.hpp>

#include <mixq/calibration/minmax.hpp>
#include <mixq/config.hpp>
#include <mixq/core/scheme.hpp>
#include <mixq/model/detail/float_ops.hpp>
#include <mixq/model/graph.hpp>

namespace mixq {

/// How float weights become codes of a width below the source's.
enum class weight_rounding {
  minmax,  ///< scale = max |w| / qmax per output channel (narrow symmetric), round to nearest
  mse,     ///< per channel, the clipping scale of least squared error over a grid (better at 4 and 2 bits)
};

namespace detail {

/// A layer with weights seen as an N x K matrix: N output channels; a
/// convolution's K is KH * KW * C (or KH * KW for depthwise), in OHWI order.
struct weight_matrix {
  std::size_t n = 0, k = 0;
  const std::vector<float>* weights = nullptr;
  const std::vector<float>* bias = nullptr;
  const std::optional<source_weights>* source = nullptr;
};

inline weight_matrix weight_matrix_of(const layer& l) {
  if (const auto* c = std::get_if<conv_op>(&l.op)) {
    return {c->out_channels, c->weights.size() / c->out_channels, &c->weights, &c->bias, &c->source};
  }
  const auto& d = std::get<dense_op>(l.op);
  return {d.out_features, d.weights.size() / d.out_features, &d.weights, &d.bias, &d.source};
}

/// Integer weights of one layer at one width.
struct quantized_weights {
  int bits = 8;
  bool from_source = false;           ///< the source model's codes, as stored
  std::size_t n = 0, k = 0;
  std::vector<std::int8_t> codes;     ///< N x K
  std::vector<float> scale;           ///< one per output channel
};

// Symmetric narrow scale of one channel at `qmax`: least squared error over
// clipping ratios 0.30 .. 1.00 of max |w|, or max |w| itself.
inline float channel_scale(const float* w, std::size_t k, int qmax, weight_rounding rule) {
  float amax = 0.0f;
  for (std::size_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(w[i]));
  if (amax == 0.0f) return 1.0f;  // every code 0; any scale > 0 represents the channel exactly
  const float full = amax / static_cast<float>(qmax);
  if (rule == weight_rounding::minmax) return full;
  float best = full;
  double best_err = -1.0;
  for (int step = 30; step <= 100; ++step) {
    const float s = full * static_cast<float>(step) / 100.0f;
    double err = 0.0;
    for (std::size_t i = 0; i < k; ++i) {
      const float q = std::clamp(std::nearbyint(w[i] / s), static_cast<float>(-qmax), static_cast<float>(qmax));
      const double d = static_cast<double>(w[i]) - static_cast<double>(q * s);
      err += d * d;
    }
    if (best_err < 0.0 || err < best_err) {
      best_err = err;
      best = s;
    }
  }
  return best;
}

/// The layer's weights at `bits`: the source codes when the source model
/// stored them at this width, otherwise quantized per output channel to
/// narrow symmetric codes [-(2^(bits-1) - 1), 2^(bits-1) - 1].
inline quantized_weights quantize_weights(const layer& l, int bits, weight_rounding rule) {
  const weight_matrix m = weight_matrix_of(l);
  quantized_weights q;
  q.bits = bits;
  q.n = m.n;
  q.k = m.k;
  if (*m.source && (*m.source)->bits == bits) {
    const source_weights& s = **m.source;
    if (!s.symmetric()) {
      const auto z = *std::find_if(s.zero_point.begin(), s.zero_point.end(), [](std::int32_t v) { return v != 0; });
      MIXQ_THROW(error,
                 "mixq::model: layer '{}' has asymmetric weights (zero point {}); the integer kernels take symmetric "
                 "weights: convert the model first (mixq::requantize, `mixq requant MODEL --to sym-per-channel`), "
                 "or run the layer at another width or in float",
                 l.name, z);
    }
    q.from_source = true;
    q.codes = s.codes;
    q.scale.resize(m.n);
    for (std::size_t c = 0; c < m.n; ++c) q.scale[c] = s.scale_of(c);
    return q;
  }
  const int qmax = (1 << (bits - 1)) - 1;
  q.codes.resize(m.n * m.k);
  q.scale.resize(m.n);
  const std::vector<float>& w = *m.weights;
  for (std::size_t c = 0; c < m.n; ++c) {
    const float* row = w.data() + c * m.k;
    const float s = channel_scale(row, m.k, qmax, rule);
    q.scale[c] = s;
    const float inv = 1.0f / s;
    for (std::size_t i = 0; i < m.k; ++i) {
      const float r = std::nearbyint(row[i] * inv);
      q.codes[c * m.k + i] = static_cast<std::int8_t>(std::clamp(r, static_cast<float>(-qmax), static_cast<float>(qmax)));
    }
  }
  return q;
}

/// Float weights as the float layers read them.
struct float_weights {
  float_panel panel;            ///< conv (groups 1) and dense
  std::vector<float> depthwise; ///< [ky][kx][c]
  std::vector<float> bias;      ///< padded to the panel's width
};

template <class Arch>
float_weights prepare_float_weights(const layer& l) {
  float_weights f;
  const weight_matrix m = weight_matrix_of(l);
  const std::vector<float>& w = *m.weights;
  const auto* conv = std::get_if<conv_op>(&l.op);
  if (conv && conv->depthwise) {
    const std::size_t taps = m.k, c = m.n;
    f.depthwise.resize(taps * c);
    for (std::size_t ch = 0; ch < c; ++ch) {
      for (std::size_t t = 0; t < taps; ++t) f.depthwise[t * c + ch] = w[ch * taps + t];
    }
    f.bias = *m.bias;
    return f;
  }
  f.panel = pack_float_panel<Arch>(m.n, m.k, [&](std::size_t r, std::size_t c) { return w[r * m.k + c]; });
  f.bias.assign(f.panel.padded_n, 0.0f);
  std::copy(m.bias->begin(), m.bias->end(), f.bias.begin());
  return f;
}

}  // namespace detail
}  // namespace mixq
