#pragma once
// A quantized network (an imported QDQ model) re-quantized into a target
// preset: every weight, bias and activation, from the codes and parameters
// the source stores (float weights are not needed).
//
//   auto r = mixq::requantize(net, mixq::requant_preset::sym_pow2, {}, means);
//   r.net      -- runs on mixq::model at native_plan(r.net), exports as QDQ
//   r.report   -- per layer and per value: source and target scheme, error
//
// Activations: the target's parameters cover the range the source's codes
// represent; exact where the target can hold the source's codes at their
// scale (uint8 asymmetric -> int8 asymmetric is a shift of 128). Inputs of a
// concatenation share the output's parameters (the codes are copied); a
// residual add rescales each input, so its inputs keep their own.
// Weights: requant/weights.hpp, with weight correction unless switched off.
// Biases: the source's real bias (plus the correction's shift) rounded once
// into the new unit, input scale x weight scale.
// Folding: a layer that computes new codes writes them at the target's
// parameters directly -- the change of scale is folded into its
// requantization multiplier and bias, one rounding. Without folding (for
// the ablation) it writes at the source's parameters and a conversion layer
// re-rounds the codes: two roundings.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <mixq/config.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/model/activation_params.hpp>
#include <mixq/model/graph.hpp>
#include <mixq/model/model.hpp>
#include <mixq/requant/weights.hpp>

namespace mixq {

/// The schemes `mixq requant --to` offers.
enum class requant_preset {
  sym,              ///< int8 symmetric per-tensor weights (narrow) and activations (zero point 0)
  sym_per_channel,  ///< int8 symmetric per-channel weights (narrow), symmetric activations
  sym_pow2,         ///< as sym, every scale a power of two
  tflite,           ///< int8 symmetric per-channel weights (narrow), int8 asymmetric activations
};

inline constexpr std::pair<std::string_view, requant_preset> requant_presets[] = {
    {"sym", requant_preset::sym},
    {"sym-per-channel", requant_preset::sym_per_channel},
    {"sym-pow2", requant_preset::sym_pow2},
    {"tflite", requant_preset::tflite}};

inline std::string_view to_string(requant_preset p) {
  for (const auto& [name, q] : requant_presets) {
    if (q == p) return name;
  }
  return "?";
}

inline std::optional<requant_preset> parse_requant_preset(std::string_view text) {
  for (const auto& [name, q] : requant_presets) {
    if (name == text) return q;
  }
  return std::nullopt;
}

/// What a preset asks of weights and activations.
struct requant_target {
  weight_format weights;
  bool activation_symmetric = true;  ///< int8, zero point 0; else int8 asymmetric
  bool activation_pow2 = false;
};

/// The target of a preset, with weights of `weight_bits` (8, 4 or 2).
inline requant_target target_of(requant_preset p, int weight_bits = 8) {
  switch (p) {
    case requant_preset::sym: return {{weight_bits, true, false, false}, true, false};
    case requant_preset::sym_per_channel: return {{weight_bits, true, true, false}, true, false};
    case requant_preset::sym_pow2: return {{weight_bits, true, false, true}, true, true};
    case requant_preset::tflite: return {{weight_bits, true, true, false}, false, false};
  }
  return {};
}

struct network_requant_options {
  bool weight_correction = true;  ///< least-squares scales and the bias shift (needs means for the shift)
  bool folding = true;            ///< one rounding per produced value; off: two (ablation)
  int weight_bits = 8;
};

/// Per-channel means of values in real units, indexed by value_id (empty: unknown).
using value_means = std::vector<std::vector<double>>;

/// An activation's parameters before and after.
struct requant_value_report {
  std::string name;
  activation_params from, to;
  bool exact = false;  ///< every source code represented as it was
};

/// A layer with weights: its schemes before and after and what the weights lost.
struct requant_layer_report {
  std::string name;
  std::string_view op;
  std::string weights_from, weights_to;
  std::string input_from, input_to;
  bool weights_exact = false;
  double weight_sqnr_db = 0, weight_max_abs_error = 0;
  double max_bias_shift = 0;              ///< largest |correction| added to a bias, in real units
  std::optional<double> output_sqnr_db;   ///< on calibration inputs, when measured
};

struct network_requant_report {
  std::vector<requant_layer_report> layers;
  std::vector<requant_value_report> values;
};

struct requantized_network {
  network net;
  network_requant_report report;
};

/// Text of an activation's scheme: "uint8 asym", "int8 sym pow2", ...
inline std::string scheme_text(const activation_params& p) {
  int e = 0;
  const bool pow2 = std::frexp(p.scale, &e) == 0.5f;
  return fmt::format("{}int{} {}{}", p.is_signed ? "" : "u", p.bits, p.zero_point == 0 && p.is_signed ? "sym" : "asym",
                     pow2 ? " pow2" : "");
}

/// Text of stored weights' scheme: "int8 sym per-channel", "int4 sym per-tensor pow2", ...
inline std::string scheme_text(const source_weights& w) {
  bool pow2 = true;
  for (const float s : w.scale) {
    int e = 0;
    pow2 = pow2 && std::frexp(s, &e) == 0.5f;
  }
  return fmt::format("int{} {} {}{}", w.bits, w.symmetric() ? "sym" : "asym",
                     w.scale.size() > 1 ? "per-channel" : "per-tensor", pow2 ? " pow2" : "");
}

namespace detail {

// The value whose parameters the codes of v have: v, or through max pooling
// and flatten back to the first value the source quantizes.
inline value_id quantized_origin(const network& net, value_id v) {
  for (;;) {
    if (net.value(v).source) return v;
    const layer& producer = net.layers()[net.producer(v)];
    if (!preserves_codes(producer)) return v;
    v = producer.inputs[0];
  }
}

// Target parameters for a set of source parameters sharing one target.
inline activation_params activation_target(std::span<const activation_params> sources, const requant_target& t,
                                           std::string_view where) {
  const activation_params& first = sources.front();
  const bool one = std::all_of(sources.begin(), sources.end(), [&](const auto& p) { return p == first; });
  if (one && first.bits == 8) {
    // Exact: the source's codes at their scale.
    int e = 0;
    const bool pow2 = std::frexp(first.scale, &e) == 0.5f;
    if (t.activation_symmetric && first.is_signed && first.zero_point == 0 && (!t.activation_pow2 || pow2)) return first;
    if (!t.activation_symmetric && first.is_signed) return first;
    if (!t.activation_symmetric) return {first.scale, first.zero_point - 128, 8, true};
  }
  float lo = 0.0f, hi = 0.0f;
  for (const auto& p : sources) {
    const auto [a, b] = represented_range(p);
    lo = std::min(lo, a);
    hi = std::max(hi, b);
  }
  if (t.activation_symmetric) {
    float s = std::max(-lo, hi) / 127.0f;
    if (!(s > 0.0f)) s = first.scale;
    if (t.activation_pow2) {
      const int e = static_cast<int>(std::ceil(std::log2(static_cast<double>(s))));
      if (e < pow2_exponent_min || e > pow2_exponent_max) {
        MIXQ_THROW(error, "{}: values in [{}, {}] need a power-of-two scale 2^{}; expected {} <= exponent <= {}", where,
                   lo, hi, e, pow2_exponent_min, pow2_exponent_max);
      }
      s = exp2i(e);
    }
    return {s, 0, 8, true};
  }
  float s = (hi - lo) / 255.0f;
  if (!(s > 0.0f)) s = first.scale;
  const auto zp = static_cast<std::int32_t>(std::clamp(-128.0f - std::nearbyint(lo / s), -128.0f, 127.0f));
  return {s, zp, 8, true};
}

inline bool represents_exactly(const activation_params& from, const activation_params& to) {
  if (from.scale != to.scale || from.bits > to.bits) return false;
  return from.qmin() - from.zero_point + to.zero_point >= to.qmin() &&
         from.qmax() - from.zero_point + to.zero_point <= to.qmax();
}

inline void check_samples(std::span<const float> samples, std::size_t count, std::size_t per, std::string_view where) {
  if (count == 0 || samples.size() / per < count) {
    MIXQ_THROW(error, "{}: {} samples of {} floats asked for, {} floats given; expected at least one sample, all given",
               where, count, per, samples.size());
  }
}

inline std::size_t find_root(std::vector<std::size_t>& parent, std::size_t v) {
  while (parent[v] != v) v = parent[v] = parent[parent[v]];
  return v;
}

// E[x_k] for each of K weight columns (OHWI or dense: column k reads channel k % C).
inline std::vector<double> column_means(std::size_t k, const std::vector<double>& channel_mean) {
  std::vector<double> out(k);
  for (std::size_t j = 0; j < k; ++j) out[j] = channel_mean[j % channel_mean.size()];
  return out;
}

}  // namespace detail

/// Data-free estimates of each value's per-channel mean: the input at the
/// middle of its quantized range, then each layer applied to the means (a
/// layer's clamp to its mean), with the source's own weights and biases.
/// Coarse -- a ReLU of a mean is not the mean of a ReLU -- and measured as such
/// in docs/requant.md; means from data (requant_means below) are better.
inline value_means propagate_means(const network& net) {
  value_means m(net.values().size());
  for (std::size_t i = 0; i < net.layers().size(); ++i) {
    const layer& l = net.layers()[i];
    const tensor_shape& out = net.value(l.output).shape;
    std::vector<double>& y = m[l.output];
    y.assign(out.channels, 0.0);
    auto in = [&](std::size_t k) -> const std::vector<double>& { return m[l.inputs.at(k)]; };
    auto clamp_all = [&](const fused_clamp& c) {
      for (double& v : y) v = std::clamp(v, static_cast<double>(c.lo), static_cast<double>(c.hi));
    };
    std::visit(
        [&](const auto& op) {
          using T = std::remove_cvref_t<decltype(op)>;
          if constexpr (std::is_same_v<T, input_op>) {
            const auto& src = net.value(l.output).source;
            const auto [lo, hi] = src ? represented_range(*src) : std::pair<float, float>{0.0f, 0.0f};
            std::fill(y.begin(), y.end(), 0.5 * (static_cast<double>(lo) + static_cast<double>(hi)));
          } else if constexpr (std::is_same_v<T, conv_op> || std::is_same_v<T, dense_op>) {
            const auto wm = detail::weight_matrix_of(l);
            const source_weights* s = op.source ? &*op.source : nullptr;
            const tensor_shape& xs = net.value(l.inputs[0]).shape;
            for (std::size_t n = 0; n < wm.n; ++n) {
              double acc = s && !s->bias.empty() ? static_cast<double>(s->bias[n]) * s->bias_unit_of(n)
                                                  : static_cast<double>(op.bias[n]);
              for (std::size_t j = 0; j < wm.k; ++j) {
                const double w = s ? static_cast<double>(s->scale_of(n)) * (s->codes[n * wm.k + j] - s->zero_point_of(n))
                                   : static_cast<double>(op.weights[n * wm.k + j]);
                const std::size_t c = [&] {
                  if constexpr (std::is_same_v<T, conv_op>) {
                    if (op.depthwise) return n;
                  }
                  return j % xs.channels;
                }();
                acc += w * in(0)[c];
              }
              y[n] = acc;
            }
            clamp_all(op.clamp);
          } else if constexpr (std::is_same_v<T, add_op>) {
            for (std::size_t c = 0; c < y.size(); ++c) y[c] = in(0)[c] + in(1)[c];
            clamp_all(op.clamp);
          } else if constexpr (std::is_same_v<T, concat_op>) {
            y.clear();
            for (std::size_t k = 0; k < l.inputs.size(); ++k) y.insert(y.end(), in(k).begin(), in(k).end());
          } else if constexpr (std::is_same_v<T, flatten_op>) {
            const tensor_shape& xs = net.value(l.inputs[0]).shape;
            for (std::size_t j = 0; j < y.size(); ++j) y[j] = in(0)[j / (xs.height * xs.width)];
          } else if constexpr (std::is_same_v<T, clamp_op>) {
            y = in(0);
            clamp_all(op.clamp);
          } else if constexpr (std::is_same_v<T, affine_op>) {
            for (std::size_t c = 0; c < y.size(); ++c) y[c] = in(0)[c] * op.scale_of(c) + op.shift_of(c);
          } else {  // pooling passes the mean on
            y = in(0);
          }
        },
        l.op);
  }
  return m;
}

/// Per-channel means of every value a layer with weights reads, measured by
/// running `m` (the source network at its native plan) on `count` samples.
template <class Backend>
value_means requant_means(basic_model<Backend>& m, std::span<const float> samples, std::size_t count) {
  const network& net = m.graph();
  detail::check_samples(samples, count, m.input_elements(), "mixq::requant_means");
  value_means sums(net.values().size());
  std::vector<value_id> wanted;
  for (const std::size_t i : net.weighted_layers()) wanted.push_back(net.layers()[i].inputs[0]);
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  for (const value_id v : wanted) sums[v].assign(net.value(v).shape.channels, 0.0);
  const std::size_t per = m.input_elements(), batch = 64;
  for (std::size_t at = 0; at < count; at += batch) {
    const std::size_t n = std::min(batch, count - at);
    (void)m.run(samples.subspan(at * per, n * per), n);
    for (const value_id v : wanted) {
      const std::vector<float> x = m.capture(v);
      const std::size_t c = net.value(v).shape.channels;
      for (std::size_t e = 0; e < x.size(); ++e) sums[v][e % c] += x[e];
    }
  }
  for (const value_id v : wanted) {
    const double pixels = static_cast<double>(count) * static_cast<double>(net.value(v).shape.elements() /
                                                                            net.value(v).shape.channels);
    for (double& s : sums[v]) s /= pixels;
  }
  return sums;
}

/// Re-quantizes a quantized network into `preset`. `means` (from
/// requant_means or propagate_means; may be empty) feed the weight
/// correction's bias shift. `float_source`, when given, is the same network in
/// float: its weights replace the source's codes (the upper bound of the
/// ablation: quantizing from float with the source's activation ranges).
/// Throws mixq::error naming the layer and tensor for a network that is not
/// quantized, a value a layer reads in codes without parameters, or a target
/// that cannot hold the source (a scale whose exponent is out of range, a
/// bias beyond int32).
inline requantized_network requantize(const network& src, requant_preset preset,
                                      const network_requant_options& opt = {}, const value_means& means = {},
                                      const network* float_source = nullptr) {
  const requant_target t = target_of(preset, opt.weight_bits);
  for (const std::size_t i : src.weighted_layers()) {
    const layer& l = src.layers()[i];
    if (!detail::weight_matrix_of(l).source->has_value()) {
      MIXQ_THROW(error,
                 "mixq::requantize: layer '{}' has float weights: the network is not quantized; expected a QDQ model "
                 "(weights through DequantizeLinear) -- a float model is quantized from float, e.g. `mixq eval "
                 "--precision w8a8`",
                 l.name);
    }
    const value_id origin = detail::quantized_origin(src, l.inputs[0]);
    if (!src.value(origin).source) {
      MIXQ_THROW(error,
                 "mixq::requantize: layer '{}' reads value '{}', which the model does not quantize (no scale or zero "
                 "point: no QuantizeLinear/DequantizeLinear on it); expected every input of a layer with weights "
                 "quantized",
                 l.name, src.value(l.inputs[0]).name);
    }
  }
  if (src.weighted_layers().empty()) {
    MIXQ_THROW(error, "mixq::requantize: the network has no layer with weights; nothing to re-quantize");
  }
  std::vector<std::size_t> float_layers;
  if (float_source) {
    float_layers = float_source->weighted_layers();
    if (float_layers.size() != src.weighted_layers().size()) {
      MIXQ_THROW(error, "mixq::requantize: the float network has {} layers with weights, the quantized one {}; expected "
                        "the same network",
                 float_layers.size(), src.weighted_layers().size());
    }
  }

  // Activations: one target per group of values that must share parameters.
  const std::size_t nv = src.values().size();
  std::vector<std::size_t> parent(nv);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  for (const layer& l : src.layers()) {
    if (!std::holds_alternative<concat_op>(l.op)) continue;
    for (const value_id v : l.inputs) parent[detail::find_root(parent, v)] = detail::find_root(parent, l.output);
  }
  std::vector<std::vector<value_id>> groups(nv);
  for (value_id v = 0; v < nv; ++v) {
    if (src.value(v).source) groups[detail::find_root(parent, v)].push_back(v);
  }
  std::vector<std::optional<activation_params>> target(nv);
  network_requant_report report;
  for (const auto& g : groups) {
    if (g.empty()) continue;
    std::vector<activation_params> sources;
    for (const value_id v : g) sources.push_back(*src.value(v).source);
    const auto to = detail::activation_target(sources, t, fmt::format("mixq::requantize: value '{}'",
                                                                      src.value(g.front()).name));
    for (const value_id v : g) target[v] = to;
  }
  for (value_id v = 0; v < nv; ++v) {
    if (!target[v]) continue;
    const activation_params& from = *src.value(v).source;
    report.values.push_back({src.value(v).name, from, *target[v], detail::represents_exactly(from, *target[v])});
  }

  // Weights and biases.
  std::vector<layer> layers = src.layers();
  std::vector<value_info> values = src.values();
  for (std::size_t idx = 0; idx < src.weighted_layers().size(); ++idx) {
    const std::size_t i = src.weighted_layers()[idx];
    layer& l = layers[i];
    const auto wm = detail::weight_matrix_of(src.layers()[i]);
    const source_weights& s = **wm.source;
    const std::string where = fmt::format("mixq::requantize: layer '{}'", l.name);
    std::vector<double> w(wm.n * wm.k), bias(wm.n);
    const layer* fl = float_source ? &float_source->layers()[float_layers[idx]] : nullptr;
    if (fl) {
      const auto fm = detail::weight_matrix_of(*fl);
      if (fm.n != wm.n || fm.k != wm.k) {
        MIXQ_THROW(error, "{}: the float network's layer '{}' has {} x {} weights; expected {} x {}", where, fl->name,
                   fm.n, fm.k, wm.n, wm.k);
      }
      for (std::size_t e = 0; e < w.size(); ++e) w[e] = (*fm.weights)[e];
      for (std::size_t n = 0; n < wm.n; ++n) bias[n] = (*fm.bias)[n];
    } else {
      for (std::size_t n = 0; n < wm.n; ++n) {
        for (std::size_t j = 0; j < wm.k; ++j) {
          w[n * wm.k + j] = static_cast<double>(s.scale_of(n)) * (s.codes[n * wm.k + j] - s.zero_point_of(n));
        }
        bias[n] = s.bias.empty() ? static_cast<double>((*wm.bias)[n])
                                 : static_cast<double>(s.bias[n]) * static_cast<double>(s.bias_unit_of(n));
      }
    }
    const value_id in_v = l.inputs[0];
    const tensor_shape& in_shape = src.value(in_v).shape;
    const bool have_means =
        opt.weight_correction && in_v < means.size() && means[in_v].size() == in_shape.channels;
    const auto* conv = std::get_if<conv_op>(&l.op);
    converted_weights cw;
    if (conv && conv->depthwise && have_means) {
      // Each channel reads one input channel: correct row by row.
      cw = convert_weights(w, wm.n, wm.k, t.weights, fl ? nullptr : &s, opt.weight_correction, {}, where);
      for (std::size_t n = 0; n < wm.n; ++n) {
        const double sc = cw.scale[t.weights.per_channel ? n : 0];
        double d = 0.0;
        for (std::size_t j = 0; j < wm.k; ++j) d += sc * cw.codes[n * wm.k + j] - w[n * wm.k + j];
        cw.bias_shift[n] = -d * means[in_v][n];
      }
    } else {
      const std::vector<double> col = have_means ? detail::column_means(wm.k, means[in_v]) : std::vector<double>{};
      cw = convert_weights(w, wm.n, wm.k, t.weights, fl ? nullptr : &s, opt.weight_correction, col, where);
    }

    const activation_params& in_to = *target[detail::quantized_origin(src, in_v)];
    source_weights out;
    out.bits = t.weights.bits;
    out.codes = cw.codes;
    out.scale = cw.scale;
    out.bias.resize(wm.n);
    out.bias_scale.resize(wm.n);
    std::vector<float> float_w(wm.n * wm.k), float_b(wm.n);
    double max_shift = 0.0;
    for (std::size_t n = 0; n < wm.n; ++n) {
      const float ws = out.scale_of(n);
      const double unit = static_cast<double>(in_to.scale) * static_cast<double>(ws);
      const double real = bias[n] + cw.bias_shift[n];
      max_shift = std::max(max_shift, std::fabs(cw.bias_shift[n]));
      const double q = std::nearbyint(real / unit);
      if (!(std::fabs(q) < 2147483647.0)) {
        MIXQ_THROW(error, "{}: bias[{}] = {} in units of input scale x weight scale ({}) is {}, beyond int32; the "
                          "target cannot hold it",
                   where, n, real, unit, q);
      }
      out.bias[n] = static_cast<std::int32_t>(q);
      out.bias_scale[n] = static_cast<float>(unit);
      float_b[n] = static_cast<float>(q * unit);
      for (std::size_t j = 0; j < wm.k; ++j) float_w[n * wm.k + j] = ws * static_cast<float>(out.codes[n * wm.k + j]);
    }
    requant_layer_report lr;
    lr.name = l.name;
    lr.op = op_name(l.op);
    lr.weights_from = fl ? std::string("fp32") : scheme_text(s);
    lr.weights_to = scheme_text(out);
    lr.input_from = scheme_text(*src.value(detail::quantized_origin(src, in_v)).source);
    lr.input_to = scheme_text(in_to);
    lr.weights_exact = cw.exact;
    lr.weight_sqnr_db = cw.sqnr_db;
    lr.weight_max_abs_error = cw.max_abs_error;
    lr.max_bias_shift = max_shift;
    report.layers.push_back(std::move(lr));
    std::visit(
        [&](auto& op) {
          if constexpr (requires { op.source; }) {
            op.source = std::move(out);
            op.weights = std::move(float_w);
            op.bias = std::move(float_b);
          }
        },
        l.op);
  }

  // Activations take their targets; without folding, a value a layer
  // computes keeps the source's parameters and a conversion layer follows.
  std::vector<layer> result_layers;
  std::vector<value_id> renamed(nv);
  std::iota(renamed.begin(), renamed.end(), value_id{0});
  value_id output = src.output();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    layer l = layers[i];
    for (value_id& v : l.inputs) v = renamed[v];
    const value_id v = l.output;
    result_layers.push_back(l);
    if (!target[v]) continue;
    const bool computes = !(detail::preserves_codes(l) || std::holds_alternative<concat_op>(l.op));
    if (!opt.folding && computes && !(*target[v] == *src.value(v).source)) {
      value_info converted = values[v];
      converted.name = values[v].name + "_requant";
      converted.source = target[v];
      values.push_back(converted);
      const value_id nv2 = values.size() - 1;
      result_layers.push_back({l.name + "_requant", clamp_op{}, {v}, nv2});
      renamed[v] = nv2;
      if (v == output) output = nv2;
    } else {
      values[v].source = target[v];
    }
  }
  return {network(std::move(result_layers), std::move(values), output), std::move(report)};
}

/// Output SQNR of every layer with weights: `converted` (at its native plan)
/// against `source` (at its), on `count` samples; fills the report.
template <class Backend>
void measure_output_sqnr(basic_model<Backend>& source, basic_model<Backend>& converted, std::span<const float> samples,
                         std::size_t count, network_requant_report& report) {
  const network& net = source.graph();
  detail::check_samples(samples, count, source.input_elements(), "mixq::measure_output_sqnr");
  const auto& wl = net.weighted_layers();
  std::vector<double> signal(wl.size(), 0.0), noise(wl.size(), 0.0);
  const std::size_t per = source.input_elements(), batch = 64;
  for (std::size_t at = 0; at < count; at += batch) {
    const std::size_t n = std::min(batch, count - at);
    (void)source.run(samples.subspan(at * per, n * per), n);
    (void)converted.run(samples.subspan(at * per, n * per), n);
    for (std::size_t k = 0; k < wl.size(); ++k) {
      const value_id v = net.layers()[wl[k]].output;
      const std::vector<float> a = source.capture(v), b = converted.capture(v);
      for (std::size_t e = 0; e < a.size(); ++e) {
        const double d = static_cast<double>(b[e]) - a[e];
        signal[k] += static_cast<double>(a[e]) * a[e];
        noise[k] += d * d;
      }
    }
  }
  for (std::size_t k = 0; k < wl.size() && k < report.layers.size(); ++k) {
    report.layers[k].output_sqnr_db = noise[k] == 0.0 ? std::numeric_limits<double>::infinity()
                                                      : 10.0 * std::log10(signal[k] / noise[k]);
  }
}

}  // namespace mixq
