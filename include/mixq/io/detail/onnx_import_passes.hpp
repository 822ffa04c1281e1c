#pragma once
// The ONNX importer after the walk (included by onnx_import.hpp): affine
// maps (BatchNormalization, Add or Mul by constants) fold into the
// convolution or dense layer before them; ReLU and Clip fuse into the layer
// before them; layers that do not reach the output are dropped; values are
// renumbered.

#include <algorithm>
#include <vector>

namespace mixq::onnx_io {

namespace detail_import {

inline std::vector<std::size_t> reader_counts(const std::vector<layer>& layers, const std::vector<bool>& removed,
                                              std::size_t values) {
  std::vector<std::size_t> readers(values, 0);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (removed[i]) continue;
    for (const value_id v : layers[i].inputs) ++readers[v];
  }
  return readers;
}

inline fused_clamp* clamp_of(layer& l) {
  if (auto* c = std::get_if<conv_op>(&l.op)) return &c->clamp;
  if (auto* d = std::get_if<dense_op>(&l.op)) return &d->clamp;
  if (auto* a = std::get_if<add_op>(&l.op)) return &a->clamp;
  return nullptr;
}

}  // namespace detail_import

inline network importer::finish(value_id output) {
  std::vector<bool> removed(layers_.size(), false);
  std::vector<std::size_t> producer(values_.size(), layers_.size());
  for (std::size_t i = 0; i < layers_.size(); ++i) producer[layers_[i].output] = i;

  std::vector<std::size_t> readers = detail_import::reader_counts(layers_, removed, values_.size());
  // Whether `next` is the only reader of v, which is not the network's output.
  auto sole_reader = [&](std::size_t next, value_id v) {
    return v != output && readers[v] == 1 && producer[v] < layers_.size() && producer[v] != next;
  };
  auto merge = [&](std::size_t into, std::size_t next) {
    // `into` now writes what `next` wrote; `next` goes.
    --readers[layers_[next].inputs[0]];
    layers_[into].output = layers_[next].output;
    producer[layers_[next].output] = into;
    removed[next] = true;
  };

  for (std::size_t i = 1; i < layers_.size(); ++i) {
    if (removed[i]) continue;
    layer& l = layers_[i];
    const value_id in = l.inputs.empty() ? 0 : l.inputs[0];
    if (l.inputs.size() != 1 || !sole_reader(i, in)) continue;
    layer& prev = layers_[producer[in]];
    const auto& in_source = values_[in].source;
    if (const auto* a = std::get_if<affine_op>(&l.op)) {
      // y = s * (W x + b) + t  ->  W' = s W, b' = s b + t, exact in float.
      auto* conv = std::get_if<conv_op>(&prev.op);
      auto* dense = std::get_if<dense_op>(&prev.op);
      fused_clamp* clamp = detail_import::clamp_of(prev);
      if ((!conv && !dense) || in_source || !clamp || !clamp->is_none()) continue;
      std::vector<float>& w = conv ? conv->weights : dense->weights;
      std::vector<float>& b = conv ? conv->bias : dense->bias;
      std::optional<source_weights>& src = conv ? conv->source : dense->source;
      const std::size_t per = w.size() / b.size();
      bool unit = true;
      for (std::size_t c = 0; c < b.size(); ++c) {
        const float s = a->scale_of(c);
        unit = unit && s == 1.0f;
        for (std::size_t k = 0; k < per; ++k) w[c * per + k] *= s;
        b[c] = b[c] * s + a->shift_of(c);
      }
      // Codes stay valid under a pure shift; under a scale the weights are quantized anew.
      if (src) {
        if (unit) {
          src->bias.clear();
          src->bias_scale.clear();
        } else {
          src.reset();
        }
      }
      merge(producer[in], i);
    } else if (const auto* c = std::get_if<clamp_op>(&l.op)) {
      fused_clamp* clamp = detail_import::clamp_of(prev);
      auto& out_source = values_[l.output].source;
      if (!clamp || (in_source && out_source && !(*in_source == *out_source))) continue;
      *clamp = clamp->then(c->clamp);
      if (in_source && !out_source) out_source = in_source;
      merge(producer[in], i);
    }
  }

  // Keep what reaches the output, in order; renumber the values they write.
  std::vector<bool> needed(values_.size(), false);
  needed[output] = true;
  for (std::size_t i = layers_.size(); i-- > 1;) {
    if (removed[i] || !needed[layers_[i].output]) {
      removed[i] = true;
      continue;
    }
    for (const value_id v : layers_[i].inputs) needed[v] = true;
  }
  std::vector<value_id> renumber(values_.size(), values_.size());
  std::vector<value_info> values;
  std::vector<layer> layers;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (removed[i]) continue;
    layer l = std::move(layers_[i]);
    renumber[l.output] = values.size();
    values.push_back(values_[l.output]);
    for (value_id& v : l.inputs) v = renumber[v];
    l.output = renumber[l.output];
    layers.push_back(std::move(l));
  }
  try {
    return network(std::move(layers), std::move(values), renumber[output]);
  } catch (const error& e) {
    MIXQ_THROW(error, "{}: {}", file_, e.what());
  }
}

}  // namespace mixq::onnx_io
