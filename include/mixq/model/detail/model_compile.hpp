#pragma once
// basic_model: a network under a precision plan as steps over slots
// (included by model/model.hpp).
//
//   1. Domains: an integer layer writes codes; a layer without weights runs
//      on codes when all its inputs are codes; the rest is float. An integer
//      layer whose readers are all float writes float from its accumulators
//      (as does the last layer of a float model: its logits).
//   2. Widths: a value held as codes is stored at the widest width its
//      readers ask for -- an integer layer its activation bits, max pooling
//      and flatten what their own readers ask, everything else 8 bits.
//      Readers that want fewer bits get a converted copy.
//   3. Steps in layer order, with quantize / dequantize / convert steps
//      where a reader needs another form, each owned by the reader.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace mixq {

template <class Backend>
activation_params basic_model<Backend>::params_of(value_id v, int bits) const {
  const layer& producer = net_->layers()[net_->producer(v)];
  auto own = [&] { return cal_.values() > v ? cal_.get(v, bits) : std::optional<activation_params>{}; };
  // Max pooling and flatten pass their input's codes through, so their output
  // shares the input's parameters -- unless the source model quantizes the
  // output itself (a QDQ pair after the node), or the input has none.
  if (detail::preserves_codes(producer) && !net_->value(v).source) {
    const value_id in = producer.inputs[0];
    const bool input_has = net_->value(in).source || (cal_.values() > in && cal_.get(in, bits)) ||
                           detail::preserves_codes(net_->layers()[net_->producer(in)]);
    if (input_has || !own()) return params_of(in, bits);
  }
  const std::optional<activation_params> p = own();
  if (!p) {
    MIXQ_THROW(error,
               "mixq::model: value '{}' (written by layer '{}') has no {}-bit quantization parameters: the model does "
               "not quantize it and no calibration gave them; calibrate the network (mixq::calibrate, or --data)",
               net_->value(v).name, producer.name, bits);
  }
  return *p;
}

template <class Backend>
auto basic_model<Backend>::integer_weights_of(std::size_t layer_index, int bits) -> const integer_weights& {
  auto& cached = integer_weights_[{layer_index, bits}];
  if (cached) return *cached;
  const layer& l = net_->layers()[layer_index];
  auto w = std::make_unique<integer_weights>();
  w->q = detail::quantize_weights(l, bits, opt_.rounding);
  const auto* conv = std::get_if<conv_op>(&l.op);
  if (conv && conv->depthwise) {
    const std::size_t taps = w->q.k, c = w->q.n;
    w->depthwise.resize(taps * c);
    for (std::size_t ch = 0; ch < c; ++ch) {
      for (std::size_t t = 0; t < taps; ++t) w->depthwise[t * c + ch] = w->q.codes[ch * taps + t];
    }
  } else {
    const auto& q = w->q;
    w->packed = Backend::pack(bits, q.n, q.k, [&](std::size_t r, std::size_t c) { return q.codes[r * q.k + c]; });
  }
  cached = std::move(w);
  return *cached;
}

template <class Backend>
const detail::float_weights& basic_model<Backend>::float_weights_of(std::size_t layer_index) {
  auto& cached = float_weights_[layer_index];
  if (!cached) {
    cached = std::make_unique<detail::float_weights>(
        detail::prepare_float_weights<typename Backend::float_arch>(net_->layers()[layer_index]));
  }
  return *cached;
}

template <class Backend>
void basic_model<Backend>::compile() {
  const network& net = *net_;
  const auto& layers = net.layers();
  const std::size_t values = net.values().size();
  auto precision_of = [&](std::size_t i) { return precisions_[weighted_of_[i]]; };
  auto integer_layer = [&](std::size_t i) { return layers[i].has_weights() && !is_float(precision_of(i)); };
  auto where_of = [&](std::size_t i) { return fmt::format("mixq::model: layer '{}'", layers[i].name); };

  // 1. Domains.
  std::vector<char> codes(values, 0);
  std::vector<char> float_out(layers.size(), 0);
  for (std::size_t i = 1; i < layers.size(); ++i) {
    const layer& l = layers[i];
    if (l.has_weights()) {
      codes[l.output] = integer_layer(i);
    } else if (std::holds_alternative<affine_op>(l.op)) {
      codes[l.output] = 0;
    } else {
      codes[l.output] = std::all_of(l.inputs.begin(), l.inputs.end(), [&](value_id v) { return codes[v] != 0; });
    }
  }
  auto reads_float = [&](std::size_t c) {
    return layers[c].has_weights() ? !integer_layer(c) : codes[layers[c].output] == 0;
  };
  for (std::size_t i = layers.size(); i-- > 1;) {
    if (!integer_layer(i)) continue;
    const value_id v = layers[i].output;
    const auto& readers = net.consumers(v);
    const bool to_float = v == net.output() ? !net.value(v).source.has_value()
                                            : !readers.empty() && std::all_of(readers.begin(), readers.end(), reads_float);
    if (to_float) {
      float_out[i] = 1;
      codes[v] = 0;
    }
  }

  // 2. Widths.
  std::vector<int> width(values, 0);
  for (std::size_t i = layers.size(); i-- > 1;) {
    const layer& l = layers[i];
    for (const value_id v : l.inputs) {
      if (!codes[v]) continue;
      int demand = 8;
      if (integer_layer(i)) {
        demand = precision_of(i).a_bits;
      } else if (detail::preserves_codes(l) && codes[l.output]) {
        demand = width[l.output] ? width[l.output] : 8;
      }
      width[v] = std::max(width[v], demand);
    }
  }
  for (value_id v = 0; v < values; ++v) {
    if (codes[v] && width[v] == 0) width[v] = 8;
  }
  for (std::size_t i = 1; i < layers.size(); ++i) {
    if (detail::preserves_codes(layers[i]) && codes[layers[i].output]) width[layers[i].output] = width[layers[i].inputs[0]];
  }

  // 3. Slots and steps.
  slots_.clear();
  steps_.clear();
  owner_.clear();
  value_slots_.clear();
  auto find_slot = [&](value_id v, bool as_codes, int bits) -> std::size_t {
    const auto it = value_slots_.find(v);
    if (it == value_slots_.end()) return no_layer;
    for (const std::size_t s : it->second) {
      if (slots_[s].codes == as_codes && (!as_codes || slots_[s].params.bits == bits)) return s;
    }
    return no_layer;
  };
  auto new_slot = [&](value_id v, bool as_codes, int bits) {
    detail::slot s{as_codes, v, net.value(v).shape.elements(), {}};
    if (as_codes) s.params = params_of(v, bits);
    slots_.push_back(s);
    value_slots_[v].push_back(slots_.size() - 1);
    return slots_.size() - 1;
  };
  auto emit = [&](step st, std::size_t owner) {
    steps_.push_back(std::move(st));
    owner_.push_back(owner);
  };
  auto stored = [&](value_id v) { return find_slot(v, true, width[v]); };
  auto need_float = [&](value_id v, std::size_t owner) {
    std::size_t s = find_slot(v, false, 0);
    if (s != no_layer) return s;
    s = new_slot(v, false, 0);
    emit(detail::dequantize_step{stored(v), s}, owner);
    return s;
  };
  auto need_codes = [&](value_id v, int bits, std::size_t owner) {
    std::size_t s = find_slot(v, true, bits);
    if (s != no_layer) return s;
    if (codes[v]) {
      const std::size_t from = stored(v);
      s = new_slot(v, true, bits);
      const activation_params& to = slots_[s].params;
      emit(detail::convert_step{from, s,
                                detail::code_table::requantize(slots_[from].params, to, to.qmin(), to.qmax(),
                                                               where_of(owner))},
           owner);
    } else {
      const std::size_t from = need_float(v, owner);
      s = new_slot(v, true, bits);
      emit(detail::quantize_step{from, s}, owner);
    }
    return s;
  };

  input_slot_ = new_slot(net.input(), false, 0);
  for (std::size_t i = 1; i < layers.size(); ++i) {
    const layer& l = layers[i];
    if (integer_layer(i)) {
      const precision p = precision_of(i);
      const std::size_t from = need_codes(l.inputs[0], p.a_bits, i);
      const std::size_t to = float_out[i] ? new_slot(l.output, false, 0) : new_slot(l.output, true, width[l.output]);
      const integer_weights& w = integer_weights_of(i, p.w_bits);
      detail::weighted_step<kernel_choice<Backend>> st{
          i, from, to, float_out[i] != 0, detail::choose_kernel<Backend>(p, &w.packed, &w.depthwise), {}, {}, {}, {}, {}};
      const activation_params& in = slots_[from].params;
      const auto m = detail::weight_matrix_of(l);
      const source_weights* src = *m.source ? &**m.source : nullptr;
      st.bias.resize(m.n);
      for (std::size_t c = 0; c < m.n; ++c) {
        const double unit = static_cast<double>(in.scale) * static_cast<double>(w.q.scale[c]);
        // The source's int32 bias, rescaled exactly when its unit is this one (double arithmetic).
        const double real = src && !src->bias.empty() && w.q.from_source
                                ? static_cast<double>(src->bias[c]) * static_cast<double>(src->bias_unit_of(c))
                                : static_cast<double>((*m.bias)[c]);
        const double q = std::nearbyint(real / unit);
        if (!(std::fabs(q) < 2147483647.0)) {
          MIXQ_THROW(error, "mixq::model: layer '{}': bias[{}] = {} in units of input scale x weight scale ({}) is {}, "
                            "beyond int32; expected |bias| < 2^31 units",
                     l.name, c, real, unit, q);
        }
        st.bias[c] = static_cast<std::int32_t>(q);
      }
      const fused_clamp clamp = std::visit(
          [](const auto& op) {
            if constexpr (requires { op.clamp; }) {
              return op.clamp;
            } else {
              return fused_clamp{};
            }
          },
          l.op);
      if (st.float_output) {
        st.output_scale.resize(m.n);
        for (std::size_t c = 0; c < m.n; ++c) st.output_scale[c] = in.scale * w.q.scale[c];
        st.clamp = clamp;
      } else {
        const activation_params& out = slots_[to].params;
        auto real_multiplier = [&](std::size_t c) {
          return static_cast<double>(in.scale) * static_cast<double>(w.q.scale[c]) / static_cast<double>(out.scale);
        };
        if (opt_.requantize == requantize_rule::float32) {
          st.output_scale.resize(m.n);
          for (std::size_t c = 0; c < m.n; ++c) st.output_scale[c] = static_cast<float>(real_multiplier(c));
          st.requantize.scale = st.output_scale.data();
        } else {
          st.multipliers.resize(m.n);
          // The accumulators' reach: K products of codes, plus the bias.
          const double products = 255.0 * std::ldexp(1.0, p.w_bits - 1) * static_cast<double>(m.k);
          const std::string where = where_of(i);
          for (std::size_t c = 0; c < m.n; ++c) {
            st.multipliers[c] =
                detail::multiplier_of(real_multiplier(c), products + std::fabs(static_cast<double>(st.bias[c])), where);
          }
          st.requantize.multiplier = st.multipliers.data();
        }
        st.requantize.rule = opt_.requantize;
        st.requantize.per_channel = true;
        st.requantize.zero_point = out.zero_point;
        std::tie(st.requantize.min, st.requantize.max) = detail::clamp_codes(clamp, out);
        st.requantize.bits = 8;
        st.requantize.is_signed = out.is_signed;
      }
      emit(std::move(st), i);
    } else if (l.has_weights() || !codes[l.output]) {
      detail::float_step st{i, {}, 0};
      for (const value_id v : l.inputs) st.from.push_back(need_float(v, i));
      st.to = new_slot(l.output, false, 0);
      if (l.has_weights()) (void)float_weights_of(i);
      emit(std::move(st), i);
    } else {
      detail::code_step st{i, {}, 0, {}, {}, {}, {}};
      for (const value_id v : l.inputs) st.from.push_back(stored(v));
      st.to = new_slot(l.output, true, width[l.output]);
      const activation_params& out = slots_[st.to].params;
      const activation_params& in0 = slots_[st.from[0]].params;
      const tensor_shape& in_shape = net.value(l.inputs[0]).shape;
      if (detail::preserves_codes(l) && !(in0 == out)) {
        // The source quantizes the output on its own scale: the codes pass through one table.
        st.tables.push_back(detail::code_table::requantize(in0, out, out.qmin(), out.qmax(), where_of(i)));
      }
      if (const auto* add = std::get_if<add_op>(&l.op)) {
        st.add = detail::add_params(in0, slots_[st.from[1]].params, out, add->clamp, opt_.requantize, where_of(i));
      } else if (std::holds_alternative<concat_op>(l.op)) {
        for (const std::size_t f : st.from) {
          const activation_params& p = slots_[f].params;
          st.copy.push_back(p == out);
          st.tables.push_back(detail::code_table::requantize(p, out, out.qmin(), out.qmax(), where_of(i)));
        }
      } else if (const auto* pool = std::get_if<pool_op>(&l.op)) {
        if (!pool->max) {
          st.average = detail::average_params(in0, out, pool->geometry.kernel_h * pool->geometry.kernel_w, where_of(i));
        }
      } else if (std::holds_alternative<global_pool_op>(l.op)) {
        st.average = detail::average_params(in0, out, in_shape.height * in_shape.width, where_of(i));
      } else if (const auto* c = std::get_if<clamp_op>(&l.op)) {
        const auto [lo, hi] = detail::clamp_codes(c->clamp, out);
        st.tables.push_back(detail::code_table::requantize(in0, out, lo, hi, where_of(i)));
      }
      emit(std::move(st), i);
    }
  }
  output_slot_ = need_float(net.output(), net.producer(net.output()));

  // Buffers for the largest batch; codes get a cache line of slack past the end.
  float_buffers_.assign(slots_.size(), {});
  code_buffers_.assign(slots_.size(), {});
  for (std::size_t s = 0; s < slots_.size(); ++s) {
    const std::size_t n = slots_[s].elements * opt_.max_batch;
    if (slots_[s].codes) {
      code_buffers_[s].assign(n + 64, 0);
    } else {
      float_buffers_[s].assign(n, 0.0f);
    }
  }
  batch_ = 0;
}

}  // namespace mixq
