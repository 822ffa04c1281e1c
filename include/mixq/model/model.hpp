#pragma once
// A network made runnable at a precision chosen per layer at run time.
//
//   mixq::model m(net, calibration, mixq::precision_plan{.all = {8, 8}});
//   std::vector<float> logits = m.run(images, n);       // n x C x H x W floats in, n x outputs out
//   m.set_precision(3, {4, 8});                          // layer 3 (of m.layer_count()) to w4a8
//
// Each layer with weights runs at its precision: fp32, or integer weights of
// 8, 4 or 2 bits (per-channel symmetric) reading activation codes of 8, 4 or
// 2 bits, through one typed kernel instantiation picked once for the layer
// (a closed std::variant). A fully integer plan quantizes the input once,
// keeps codes (one per byte) through every layer -- requantized in the
// kernels' output stage, residual adds and concatenations rescaled per input
// as TFLite does -- and dequantizes only the logits. A mixed plan converts
// where it must: codes to float before a float layer, float to codes before
// an integer one. The layers without weights run on codes when all their
// inputs are codes, in float otherwise.
//
// basic_model<Backend> runs the kernels of one architecture
// (kernel_backend<Arch>; `model` is the best this build allows) or their
// scalar twins (reference_backend: `reference_model`, the oracle of tests).

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <mixq/config.hpp>
#include <mixq/model/activation_params.hpp>
#include <mixq/model/backend.hpp>
#include <mixq/model/detail/float_ops.hpp>
#include <mixq/model/detail/layer_weights.hpp>
#include <mixq/model/detail/steps.hpp>
#include <mixq/model/detail/thread_pool.hpp>
#include <mixq/model/graph.hpp>
#include <mixq/model/network_interface.hpp>
#include <mixq/model/precision.hpp>
#include <mixq/storage/packed.hpp>

namespace mixq {

/// What a layer costs at a precision, before it runs.
struct layer_cost {
  double size_bytes = 0;  ///< weights (packed), biases and scales
  double bops = 0;        ///< multiply-accumulates x weight bits x activation bits, per sample
  double macs = 0;        ///< per sample
};

struct model_options {
  std::size_t max_batch = 32;  ///< samples per pass; larger runs go in passes of this many
  std::size_t threads = 1;     ///< worker threads for the layers (rows split among them)
  weight_rounding rounding = weight_rounding::minmax;
  /// How convolutions, dense layers and residual adds requantize to codes:
  /// TFLite's fixed-point rule (bit-exact with TFLite), or fp32 (faster,
  /// within a code of it). Pooling and code tables keep TFLite's rule.
  requantize_rule requantize = requantize_rule::tflite;
};

/// The kernel instantiation of a layer at W-bit weights and A-bit activations.
template <class Backend, int W, int A>
struct typed_kernel {
  static constexpr precision bits{W, A};
  static_assert(has_kernel(bits), "mixq::typed_kernel: no integer kernel runs this (weights, activations) pair.");
  static constexpr scheme weight_scheme{.bits = W, .narrow = true, .axis = 0};
  const typename Backend::weights* weights = nullptr;  ///< convolution (groups 1) and dense
  const std::vector<std::int8_t>* depthwise = nullptr; ///< depthwise, [ky][kx][c]
};

/// The closed set of kernel instantiations a layer can run.
template <class Backend>
using kernel_choice = std::variant<typed_kernel<Backend, 8, 8>, typed_kernel<Backend, 4, 8>, typed_kernel<Backend, 2, 8>,
                                   typed_kernel<Backend, 8, 4>, typed_kernel<Backend, 4, 4>, typed_kernel<Backend, 2, 4>,
                                   typed_kernel<Backend, 8, 2>, typed_kernel<Backend, 4, 2>, typed_kernel<Backend, 2, 2>>;

namespace detail {
template <class Backend, std::size_t I = 0>
kernel_choice<Backend> choose_kernel(precision p, const typename Backend::weights* w, const std::vector<std::int8_t>* dw) {
  if constexpr (I == std::variant_size_v<kernel_choice<Backend>>) {
    MIXQ_THROW(error, "mixq::model: no kernel runs {}", to_string(p));
  } else {
    using K = std::variant_alternative_t<I, kernel_choice<Backend>>;
    if (K::bits == p) return K{w, dw};
    return choose_kernel<Backend, I + 1>(p, w, dw);
  }
}

inline bool preserves_codes(const layer& l) {
  if (std::holds_alternative<flatten_op>(l.op)) return true;
  const auto* p = std::get_if<pool_op>(&l.op);
  return p != nullptr && p->max;
}
}  // namespace detail

template <class Backend>
class basic_model {
public:
  using backend = Backend;

  /// The network at `plan`; `calibration` gives the activation parameters
  /// integer layers need (source_calibration() for a QDQ model, calibrate()
  /// otherwise; a plan of fp32 layers needs none).
  basic_model(std::shared_ptr<const network> net, activation_calibration calibration, const precision_plan& plan,
              model_options options = {})
      : net_(std::move(net)), cal_(std::move(calibration)), opt_(options), pool_(options.threads) {
    if (!net_) MIXQ_THROW(error, "mixq::model: the network is null");
    if (opt_.max_batch == 0) MIXQ_THROW(error, "mixq::model: options.max_batch = 0; expected >= 1");
    if (opt_.requantize != requantize_rule::tflite && opt_.requantize != requantize_rule::float32) {
      MIXQ_THROW(error, "mixq::model: options.requantize = {} is invalid; expected requantize_rule::tflite or float32",
                 static_cast<int>(opt_.requantize));
    }
    const auto& layers = net_->layers();
    weighted_of_.assign(layers.size(), no_layer);
    for (std::size_t w = 0; w < net_->weighted_layers().size(); ++w) weighted_of_[net_->weighted_layers()[w]] = w;
    precisions_.resize(net_->weighted_layers().size());
    float_weights_.resize(layers.size());
    for (std::size_t w = 0; w < precisions_.size(); ++w) {
      precisions_[w] = plan.of(layers[net_->weighted_layers()[w]].name);
      check_precision(w, precisions_[w]);
    }
    for (const auto& [name, p] : plan.layers) {
      const std::size_t i = net_->find_layer(name);
      if (i == layers.size() || weighted_of_[i] == no_layer) {
        MIXQ_THROW(error, "mixq::model: the plan names layer '{}', which is {} in this network; expected one of its "
                          "{} layers with weights",
                   name, i == layers.size() ? "not a layer" : "a layer without weights", precisions_.size());
      }
    }
    compile();
  }
  basic_model(network net, activation_calibration calibration, const precision_plan& plan, model_options options = {})
      : basic_model(std::make_shared<const network>(std::move(net)), std::move(calibration), plan, options) {}

  const network& graph() const noexcept { return *net_; }
  const activation_calibration& calibration() const noexcept { return cal_; }
  const model_options& options() const noexcept { return opt_; }

  /// Floats per sample in (C x H x W, ONNX order) and out.
  std::size_t input_elements() const noexcept { return net_->input_shape().elements(); }
  std::size_t output_elements() const noexcept { return net_->output_shape().elements(); }

  // ---- the layers a plan assigns: the layers with weights, in network order

  std::size_t layer_count() const noexcept { return precisions_.size(); }
  std::string_view layer_name(std::size_t l) const { return net_->layers()[net_->weighted_layers().at(l)].name; }
  precision layer_precision(std::size_t l) const { return precisions_.at(l); }

  /// Whether layer l can run at p (fp32, or a precision with a kernel).
  bool supports(std::size_t l, precision p) const {
    (void)layer_name(l);
    return is_float(p) || has_kernel(p);
  }

  layer_cost cost(std::size_t l, precision p) const {
    const layer& ly = net_->layers()[net_->weighted_layers().at(l)];
    const auto m = detail::weight_matrix_of(ly);
    layer_cost c;
    c.macs = static_cast<double>(layer_macs(ly, net_->values()));
    c.bops = c.macs * p.w_bits * p.a_bits;
    const auto n = static_cast<double>(m.n);
    const double weight_bytes = is_float(p) ? 4.0 * n * static_cast<double>(m.k)
                                            : n * static_cast<double>(packed_row_bytes(m.k, p.w_bits));
    c.size_bytes = weight_bytes + 4.0 * n + (is_float(p) ? 0.0 : 4.0 * n);  // bias, scales
    return c;
  }

  /// Layer l at precision p from now on (its weights are quantized and packed once per width, then kept).
  void set_precision(std::size_t l, precision p) {
    check_precision(l, p);
    if (precisions_.at(l) == p) return;
    precisions_[l] = p;
    compile();
  }
  /// Every layer as `plan` says.
  void set_plan(const precision_plan& plan) {
    for (std::size_t l = 0; l < precisions_.size(); ++l) {
      precisions_[l] = plan.of(layer_name(l));
      check_precision(l, precisions_[l]);
    }
    compile();
  }
  precision_plan plan() const {
    precision_plan p;
    for (std::size_t l = 0; l < precisions_.size(); ++l) p.layers.emplace_back(std::string(layer_name(l)), precisions_[l]);
    return p;
  }

  // ---- running

  /// Runs n samples (n x input_elements() floats, C x H x W each) and writes
  /// n x output_elements() floats. With `layer_seconds` (one entry per layer
  /// of the network, added to), the time of each layer's steps.
  void run(std::span<const float> inputs, std::size_t n, std::span<float> outputs,
           std::vector<double>* layer_seconds = nullptr) {
    const std::size_t in_e = input_elements(), out_e = output_elements();
    if (inputs.size() != n * in_e) {
      MIXQ_THROW(error, "mixq::model::run: {} input floats for {} samples; expected {} x {} = {}", inputs.size(), n, n,
                 in_e, n * in_e);
    }
    if (outputs.size() != n * out_e) {
      MIXQ_THROW(error, "mixq::model::run: room for {} output floats; expected {} x {} = {}", outputs.size(), n,
                 out_e, n * out_e);
    }
    if (layer_seconds && layer_seconds->size() != net_->layers().size()) layer_seconds->assign(net_->layers().size(), 0.0);
    for (std::size_t first = 0; first < n; first += opt_.max_batch) {
      const std::size_t count = std::min(opt_.max_batch, n - first);
      load_input(inputs.data() + first * in_e, count);
      for (std::size_t s = 0; s < steps_.size(); ++s) {
        if (layer_seconds) {
          const auto start = std::chrono::steady_clock::now();
          execute(s, count);
          (*layer_seconds)[owner_[s]] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        } else {
          execute(s, count);
        }
      }
      store_output(outputs.data() + first * out_e, count);
    }
  }
  /// Runs n samples like run() and calls on_value(value, floats, count) for
  /// every value computed in float (every value under an fp32 plan), with the
  /// pass's count = samples x elements; for calibration.
  template <class OnValue>
  void run_observed(std::span<const float> inputs, std::size_t n, OnValue&& on_value) {
    const std::size_t in_e = input_elements();
    if (inputs.size() != n * in_e) {
      MIXQ_THROW(error, "mixq::model::run_observed: {} input floats for {} samples; expected {}", inputs.size(), n,
                 n * in_e);
    }
    for (std::size_t first = 0; first < n; first += opt_.max_batch) {
      const std::size_t count = std::min(opt_.max_batch, n - first);
      load_input(inputs.data() + first * in_e, count);
      on_value(net_->input(), float_buffers_[input_slot_].data(), count * in_e);
      for (std::size_t s = 0; s < steps_.size(); ++s) {
        execute(s, count);
        const std::size_t to = std::visit([](const auto& st) { return st.to; }, steps_[s]);
        if (!slots_[to].codes) on_value(slots_[to].value, float_buffers_[to].data(), count * slots_[to].elements);
      }
    }
  }

  std::vector<float> run(std::span<const float> inputs, std::size_t n) {
    std::vector<float> out(n * output_elements());
    run(inputs, n, out);
    return out;
  }

  /// Runs again only the steps of layer l (of layer_count()), on the buffers
  /// the last run left: its real input, for timing one layer.
  void run_layer(std::size_t l) {
    const std::size_t i = net_->weighted_layers().at(l);
    if (batch_ == 0) MIXQ_THROW(error, "mixq::model::run_layer: no run yet; run the network on real inputs first");
    for (std::size_t s = 0; s < steps_.size(); ++s) {
      if (owner_[s] == i) execute(s, batch_);
    }
  }

  /// Value v of the last run's samples (batch x elements, NHWC), as floats (dequantized from codes).
  std::vector<float> capture(value_id v) const {
    if (batch_ == 0) MIXQ_THROW(error, "mixq::model::capture: no run yet");
    const std::size_t e = net_->value(v).shape.elements();
    std::vector<float> out(batch_ * e);
    const auto it = value_slots_.find(v);
    if (it == value_slots_.end()) MIXQ_THROW(error, "mixq::model::capture: value {} is not computed", v);
    for (const std::size_t s : it->second) {
      if (!slots_[s].codes) {
        std::copy_n(float_buffers_[s].begin(), out.size(), out.begin());
        return out;
      }
    }
    const std::size_t s = it->second.front();
    Backend::dequantize(code_buffers_[s].data(), out.size(), slots_[s].params, out.data());
    return out;
  }

  /// Layer l's output (of layer_count()) from the last run, as floats.
  std::vector<float> capture_layer(std::size_t l) const {
    return capture(net_->layers()[net_->weighted_layers().at(l)].output);
  }

  /// The plan layer (of layer_count()) that network layer i is, or layer_count() for a layer without weights.
  std::size_t weighted_index(std::size_t i) const {
    const std::size_t w = weighted_of_.at(i);
    return w == no_layer ? layer_count() : w;
  }

  /// The parameters the codes of value v have under the current plan, if v is held as codes.
  std::optional<activation_params> value_params(value_id v) const {
    const auto it = value_slots_.find(v);
    if (it == value_slots_.end()) return std::nullopt;
    for (const std::size_t s : it->second) {
      if (slots_[s].codes) return slots_[s].params;
    }
    return std::nullopt;
  }

  // ---- what the compiled plan holds, for exporters and reports (indices into graph().layers())

  /// The parameters of the codes layer i reads at input k, or nullopt when it reads float.
  std::optional<activation_params> reads(std::size_t i, std::size_t k) const {
    for (std::size_t s = 0; s < steps_.size(); ++s) {
      if (owner_[s] != i) continue;
      std::optional<activation_params> p;
      std::visit(
          [&](const auto& st) {
            using T = std::remove_cvref_t<decltype(st)>;
            if constexpr (std::is_same_v<T, detail::weighted_step<kernel_choice<Backend>>>) {
              if (k == 0) p = slots_[st.from].params;
            } else if constexpr (std::is_same_v<T, detail::code_step>) {
              if (st.layer == i && k < st.from.size()) p = slots_[st.from[k]].params;
            }
          },
          steps_[s]);
      if (p) return p;
    }
    return std::nullopt;
  }
  /// The parameters of the codes layer i writes, or nullopt when it writes float.
  std::optional<activation_params> writes(std::size_t i) const {
    for (std::size_t s = 0; s < steps_.size(); ++s) {
      if (owner_[s] != i) continue;
      std::optional<activation_params> p;
      std::visit(
          [&](const auto& st) {
            using T = std::remove_cvref_t<decltype(st)>;
            if constexpr (std::is_same_v<T, detail::weighted_step<kernel_choice<Backend>>> ||
                          std::is_same_v<T, detail::code_step>) {
              if (st.layer == i && slots_[st.to].codes) p = slots_[st.to].params;
            }
          },
          steps_[s]);
      if (p) return p;
    }
    return std::nullopt;
  }
  /// Layer i's integer weights and int32 bias under the plan (layer i must run in integers).
  std::pair<const detail::quantized_weights*, const std::vector<std::int32_t>*> integer_layer(std::size_t i) const {
    for (std::size_t s = 0; s < steps_.size(); ++s) {
      if (const auto* st = std::get_if<detail::weighted_step<kernel_choice<Backend>>>(&steps_[s]); st && st->layer == i) {
        const int bits = std::visit([](const auto& k) { return std::remove_cvref_t<decltype(k)>::bits.w_bits; }, st->kernel);
        return {&integer_weights_.at({i, bits})->q, &st->bias};
      }
    }
    MIXQ_THROW(error, "mixq::model: layer '{}' does not run in integers under this plan", net_->layers().at(i).name);
  }

private:
  static constexpr std::size_t no_layer = static_cast<std::size_t>(-1);
  using step = std::variant<detail::quantize_step, detail::dequantize_step, detail::convert_step,
                            detail::weighted_step<kernel_choice<Backend>>, detail::float_step, detail::code_step>;

  struct integer_weights {
    detail::quantized_weights q;
    typename Backend::weights packed;
    std::vector<std::int8_t> depthwise;  // [ky][kx][c]
  };

  void check_precision(std::size_t l, precision p) const {
    if (!supports(l, p)) {
      MIXQ_THROW(error, "mixq::model: layer '{}' at {}: no kernel runs it; the kernels are fp32 and w{{8,4,2}}a{{8,4,2}} "
                        "(w8a8, w4a8, w2a8, w8a4, w4a4, w2a4, w8a2, w4a2, w2a2)",
                 layer_name(l), to_string(p));
    }
  }

  // model_compile.hpp: the plan as steps over slots.
  void compile();
  const integer_weights& integer_weights_of(std::size_t layer, int bits);
  const detail::float_weights& float_weights_of(std::size_t layer);
  activation_params params_of(value_id v, int bits) const;

  // model_execute.hpp: running the steps.
  void load_input(const float* x, std::size_t n);
  void store_output(float* y, std::size_t n) const;
  void execute(std::size_t s, std::size_t n);
  void execute(const detail::quantize_step& st, std::size_t n);
  void execute(const detail::dequantize_step& st, std::size_t n);
  void execute(const detail::convert_step& st, std::size_t n);
  void execute(const detail::weighted_step<kernel_choice<Backend>>& st, std::size_t n);
  void execute(const detail::float_step& st, std::size_t n);
  void execute(const detail::code_step& st, std::size_t n);
  template <class Out>
  void depthwise_general(const detail::weighted_step<kernel_choice<Backend>>& st, const conv_op& op,
                         const detail::slot& in, std::size_t n, const Out& out, row_range pixels);

  std::shared_ptr<const network> net_;
  activation_calibration cal_;
  model_options opt_;
  std::vector<precision> precisions_;
  std::vector<std::size_t> weighted_of_;
  std::map<std::pair<std::size_t, int>, std::unique_ptr<integer_weights>> integer_weights_;
  std::vector<std::unique_ptr<detail::float_weights>> float_weights_;

  std::vector<detail::slot> slots_;
  std::vector<std::vector<float>> float_buffers_;
  std::vector<std::vector<std::uint8_t, detail::aligned_allocator<std::uint8_t, 64>>> code_buffers_;
  std::map<value_id, std::vector<std::size_t>> value_slots_;
  std::vector<step> steps_;
  std::vector<std::size_t> owner_;
  std::size_t input_slot_ = 0, output_slot_ = 0;
  std::size_t batch_ = 0;
  std::vector<std::int32_t> accumulators_;
  detail::thread_pool pool_;
};

/// The network on the best kernels this build allows.
using model = basic_model<kernel_backend<default_arch>>;
static_assert(QuantizableNetwork<model>);
/// The network on the scalar twins of the kernels: the oracle of tests.
using reference_model = basic_model<reference_backend>;

}  // namespace mixq

#include <mixq/model/detail/model_compile.hpp>
#include <mixq/model/detail/model_execute.hpp>
