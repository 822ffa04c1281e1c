// Whole networks at batch 1, one thread: mixq against XNNPACK (the engine of
// TFLite's CPU backend) on the same weights and the same quantization.
//
// Each network is brought to the `tflite` scheme first (mixq::requantize:
// int8 asymmetric activations, per-channel symmetric int8 weights), which is
// what XNNPACK's qs8 / qc8 operators take; both runtimes then run that one
// network. Networks: the committed Fashion-MNIST models (QDQ), and ResNet-18
// and MobileNetV2 at 224 x 224 from the zoo (random weights, calibrated on
// random images: latency does not depend on the values).
//
// Benchmarks are named model/<runtime>/<network>/w8a8, with counters
// latency_us and GMAC/s; `agreement` is the share of output logits whose
// argmax matches mixq's over 16 random inputs (a check of the translation,
// not of accuracy: requantization rounding differs between the runtimes).
//
// Where libtorch is found, PyTorch's two quantized CPU engines run the same
// architectures too (model/pytorch-onednn/..., model/pytorch-qnnpack/...):
// TorchScript from bench/torch_models.py with random weights, see
// support/torch_peer.hpp.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <mixq/model/calibrate.hpp>
#include <mixq/model/model.hpp>
#include <mixq/model/zoo.hpp>
#include <mixq/requant/network.hpp>
#if MIXQ_BENCH_WITH_ONNX
#include <mixq/io/onnx.hpp>
#include <mixq/io/onnx_export.hpp>
#endif
#if MIXQ_HAVE_XNNPACK
#include <xnnpack.h>
#endif
#if MIXQ_HAVE_TORCH
#include "support/torch_peer.hpp"
#endif

namespace {

std::vector<float> random_inputs(std::size_t count, std::size_t per, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> x(count * per);
  for (auto& v : x) v = u(rng);
  return x;
}

std::size_t macs_of(const mixq::network& net) {
  std::size_t m = 0;
  for (const auto& l : net.layers()) m += mixq::layer_macs(l, net.values());
  return m;
}

// The network in the tflite scheme. A float network (the zoo's) is quantized
// at w8a8 on random images, exported and read back as QDQ first.
std::shared_ptr<const mixq::network> tflite_network(const std::string& name) {
  mixq::network source;
  if (name == "resnet18" || name == "mobilenet_v2") {
    const auto net = std::make_shared<const mixq::network>(mixq::zoo::by_name(name));
    const std::size_t per = net->input_shape().elements();
    const std::vector<float> x = random_inputs(4, per, 1);
    mixq::model m(net, mixq::calibrate(net, x, 4), mixq::precision_plan{.all = {8, 8}}, {.max_batch = 4});
#if MIXQ_BENCH_WITH_ONNX
    const std::string bytes = mixq::export_onnx_bytes(m);
    source = mixq::import_onnx_bytes(bytes.data(), bytes.size(), name);
#else
    throw mixq::error("the zoo networks need mixq::onnx to become QDQ");
#endif
  } else {
#if MIXQ_BENCH_WITH_ONNX
    source = mixq::import_onnx(std::string(MIXQ_BENCH_MODELS) + "/" + name + ".qdq.onnx");
#else
    throw mixq::error("the committed networks need mixq::onnx");
#endif
  }
  if (!source.value(source.output()).source) {
    // XNNPACK's qs8 layers write codes: give the logits parameters of their own,
    // from their range on random inputs (the same network then runs on both).
    const auto q = std::make_shared<const mixq::network>(source);
    mixq::model m(q, mixq::source_calibration(*q), mixq::native_plan(*q), {.max_batch = 8});
    const std::vector<float> y = m.run(random_inputs(8, m.input_elements(), 4), 8);
    const auto [lo, hi] = std::minmax_element(y.begin(), y.end());
    source.value_at(source.output()).source = mixq::params_from_range(*lo, *hi, 8);
  }
  auto r = mixq::requantize(source, mixq::requant_preset::tflite, {.weight_correction = false});
  // TFLite's int8 scheme (and this XNNPACK's qs8 fully connected layer) has
  // one weight scale per dense layer: re-round those weights per tensor.
  for (const std::size_t i : r.net.weighted_layers()) {
    auto* d = std::get_if<mixq::dense_op>(&r.net.layer_at(i).op);
    if (!d) continue;
    mixq::source_weights& s = *d->source;
    const std::size_t n = d->out_features, k = s.codes.size() / n;
    const auto& in = *r.net.value(mixq::detail::quantized_origin(r.net, r.net.layers()[i].inputs[0])).source;
    std::vector<double> w(n * k);
    for (std::size_t e = 0; e < w.size(); ++e) w[e] = static_cast<double>(s.scale_of(e / k)) * s.codes[e];
    const auto c = mixq::convert_weights(w, n, k, {8, true, false, false}, nullptr, false, {}, "bench");
    for (std::size_t o = 0; o < n; ++o) {
      const double real = s.bias.empty() ? d->bias[o] : static_cast<double>(s.bias[o]) * s.bias_unit_of(o);
      const double unit = static_cast<double>(in.scale) * c.scale[0];
      if (s.bias.empty()) s.bias.resize(n);
      s.bias[o] = static_cast<std::int32_t>(std::nearbyint(real / unit));
    }
    s.bias_scale.assign(1, static_cast<float>(static_cast<double>(in.scale) * c.scale[0]));
    s.codes = c.codes;
    s.scale = c.scale;
    for (std::size_t e = 0; e < w.size(); ++e) d->weights[e] = c.scale[0] * static_cast<float>(c.codes[e]);
  }
  return std::make_shared<const mixq::network>(std::move(r.net));
}

const std::shared_ptr<const mixq::network>& network_named(const std::string& name) {
  static std::map<std::string, std::shared_ptr<const mixq::network>> cache;
  auto& n = cache[name];
  if (!n) n = tflite_network(name);
  return n;
}

std::size_t argmax(const float* y, std::size_t n) { return static_cast<std::size_t>(std::max_element(y, y + n) - y); }

// Runs `step` as the timed loop; counters latency_us (wall time per run) and GMAC/s.
template <class F>
void timed(benchmark::State& state, const mixq::network& net, F&& step) {
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) step();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double runs = static_cast<double>(state.iterations());
  state.counters["latency_us"] = seconds * 1e6 / runs;
  state.counters["GMAC/s"] = static_cast<double>(macs_of(net)) * runs / seconds * 1e-9;
}

void model_mixq(benchmark::State& state, const std::string& name, mixq::requantize_rule rule) {
  try {
    const auto net = network_named(name);
    mixq::model m(net, mixq::source_calibration(*net), mixq::native_plan(*net),
                  {.max_batch = 1, .threads = 1, .requantize = rule});
    const std::vector<float> x = random_inputs(1, m.input_elements(), 2);
    std::vector<float> y(m.output_elements());
    timed(state, *net, [&] {
      m.run(x, 1, y);
      benchmark::DoNotOptimize(y.data());
    });
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// Where mixq's time goes: each step timed (run()'s layer_seconds), summed by
// operator kind, as shares of the run; `outside_steps` is what no step covers
// (the input's conversion, the output's, the loop). Timing every step costs
// two clock reads per step, so latency_us here is a little above the plain run.
void model_mixq_breakdown(benchmark::State& state, const std::string& name) {
  try {
    const auto net = network_named(name);
    mixq::model m(net, mixq::source_calibration(*net), mixq::native_plan(*net), {.max_batch = 1, .threads = 1});
    const std::vector<float> x = random_inputs(1, m.input_elements(), 2);
    std::vector<float> y(m.output_elements());
    std::vector<double> seconds(net->layers().size(), 0.0);
    const auto start = std::chrono::steady_clock::now();
    for (auto _ : state) m.run(x, 1, y, &seconds);
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::map<std::string, double> by_kind;
    double steps = 0;
    for (std::size_t i = 0; i < seconds.size(); ++i) {
      const mixq::layer& l = net->layers()[i];
      std::string kind(mixq::op_name(l.op));
      if (const auto* c = std::get_if<mixq::conv_op>(&l.op)) {
        kind = c->depthwise ? "depthwise" : c->geometry.kernel_h * c->geometry.kernel_w == 1 ? "conv1x1" : "conv";
      }
      by_kind[kind] += seconds[i];
      steps += seconds[i];
    }
    for (const auto& [kind, s] : by_kind) state.counters[kind + "_pct"] = 100.0 * s / total;
    state.counters["outside_steps_pct"] = 100.0 * (total - steps) / total;
    state.counters["latency_us"] = total * 1e6 / static_cast<double>(state.iterations());
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

#if MIXQ_HAVE_XNNPACK

// The network as an XNNPACK subgraph: NHWC, qs8 activations, qc8 weights.
class xnnpack_network {
public:
  explicit xnnpack_network(const mixq::network& net) {
    if (xnn_initialize(nullptr) != xnn_status_success) throw mixq::error("xnn_initialize failed");
    check(xnn_create_subgraph(2, 0, &subgraph_), "xnn_create_subgraph");
    std::vector<std::uint32_t> id(net.values().size(), XNN_INVALID_VALUE_ID);
    std::vector<bool> is_float(net.values().size(), true);
    auto dims_of = [](const mixq::tensor_shape& s) {
      return s.image ? std::vector<std::size_t>{1, s.height, s.width, s.channels} : std::vector<std::size_t>{1, s.channels};
    };
    auto define_q = [&](mixq::value_id v, std::uint32_t external, std::uint32_t flags) {
      const auto& p = *net.value(v).source;
      if (!p.is_signed || p.bits != 8) throw mixq::error(fmt::format("value '{}' is not int8", net.value(v).name));
      const auto d = dims_of(net.value(v).shape);
      std::uint32_t out = 0;
      check(xnn_define_quantized_tensor_value(subgraph_, xnn_datatype_qint8, p.zero_point, p.scale, d.size(), d.data(),
                                              nullptr, external, flags, &out),
            "xnn_define_quantized_tensor_value");
      return out;
    };
    auto define_f = [&](const std::vector<std::size_t>& d, const float* data, std::uint32_t external,
                        std::uint32_t flags) {
      std::uint32_t out = 0;
      check(xnn_define_tensor_value(subgraph_, xnn_datatype_fp32, d.size(), d.data(), data, external, flags, &out),
            "xnn_define_tensor_value");
      return out;
    };
    // The codes of value v: converted from float where v is float.
    auto codes_of = [&](mixq::value_id v) {
      if (!is_float[v]) return id[v];
      if (!net.value(v).source) throw mixq::error(fmt::format("value '{}' has no quantization", net.value(v).name));
      const std::uint32_t q = define_q(v, XNN_INVALID_VALUE_ID, 0);
      check(xnn_define_convert(subgraph_, id[v], q, 0), "xnn_define_convert");
      id[v] = q;
      is_float[v] = false;
      return q;
    };

    for (std::size_t i = 0; i < net.layers().size(); ++i) {
      const mixq::layer& l = net.layers()[i];
      const mixq::value_id out = l.output;
      const auto& s_out = net.value(out).shape;
      std::visit(
          [&](const auto& op) {
            using T = std::remove_cvref_t<decltype(op)>;
            if constexpr (std::is_same_v<T, mixq::input_op>) {
              id[out] = define_f(dims_of(s_out), nullptr, 0, XNN_VALUE_FLAG_EXTERNAL_INPUT);
              input_elements_ = s_out.elements();
              input_shape_ = s_out;
            } else if constexpr (std::is_same_v<T, mixq::affine_op>) {
              const std::size_t c = s_out.channels;
              auto& sc = keep(std::vector<float>(c)), &sh = keep(std::vector<float>(c));
              for (std::size_t k = 0; k < c; ++k) {
                sc[k] = op.scale_of(k);
                sh[k] = op.shift_of(k);
              }
              const std::uint32_t a = define_f({c}, sc.data(), XNN_INVALID_VALUE_ID, 0);
              const std::uint32_t b = define_f({c}, sh.data(), XNN_INVALID_VALUE_ID, 0);
              const std::uint32_t t = define_f(dims_of(s_out), nullptr, XNN_INVALID_VALUE_ID, 0);
              id[out] = define_f(dims_of(s_out), nullptr, XNN_INVALID_VALUE_ID, 0);
              check(xnn_define_multiply2(subgraph_, -INFINITY, INFINITY, id[l.inputs[0]], a, t, 0), "multiply2");
              check(xnn_define_add2(subgraph_, -INFINITY, INFINITY, t, b, id[out], 0), "add2");
            } else if constexpr (std::is_same_v<T, mixq::conv_op> || std::is_same_v<T, mixq::dense_op>) {
              const std::uint32_t x = codes_of(l.inputs[0]);
              const auto& src = *op.source;
              const auto& in_p = *net.value(mixq::detail::quantized_origin(net, l.inputs[0])).source;
              const auto wm = mixq::detail::weight_matrix_of(l);
              auto& scales = keep(std::vector<float>(wm.n));
              auto& bias = keep_i32(std::vector<std::int32_t>(wm.n));
              auto& bias_scales = keep(std::vector<float>(wm.n));
              for (std::size_t n = 0; n < wm.n; ++n) {
                scales[n] = src.scale_of(n);
                bias[n] = src.bias.empty() ? 0 : src.bias[n];
                bias_scales[n] = in_p.scale * scales[n];
              }
              auto& codes = keep_i8(std::vector<std::int8_t>(src.codes));
              const bool quantized_out = net.value(out).source.has_value();
              std::uint32_t y = 0;
              if (quantized_out) {
                y = define_q(out, XNN_INVALID_VALUE_ID, 0);
              } else {
                y = define_f(dims_of(s_out), nullptr, XNN_INVALID_VALUE_ID, 0);
              }
              const float lo = op.clamp.lo, hi = op.clamp.hi;
              std::uint32_t w = 0, b = 0;
              const std::size_t nb[1] = {wm.n};
              if constexpr (std::is_same_v<T, mixq::conv_op>) {
                const auto& g = op.geometry;
                const auto& s_in = net.value(l.inputs[0]).shape;
                if (op.depthwise) {
                  // mixq: C x KH x KW (x 1); XNNPACK: 1 x KH x KW x C, per-channel on the last axis.
                  std::vector<std::int8_t> t(codes.size());
                  const std::size_t taps = g.kernel_h * g.kernel_w;
                  for (std::size_t c = 0; c < wm.n; ++c) {
                    for (std::size_t k = 0; k < taps; ++k) t[k * wm.n + c] = codes[c * taps + k];
                  }
                  codes = t;
                  const std::size_t wd[4] = {1, g.kernel_h, g.kernel_w, wm.n};
                  check(xnn_define_channelwise_quantized_tensor_value(subgraph_, xnn_datatype_qcint8, scales.data(), 4, 3,
                                                                      wd, codes.data(), XNN_INVALID_VALUE_ID, 0, &w),
                        "filter");
                  check(xnn_define_channelwise_quantized_tensor_value(subgraph_, xnn_datatype_qcint32, bias_scales.data(),
                                                                      1, 0, nb, bias.data(), XNN_INVALID_VALUE_ID, 0, &b),
                        "bias");
                  check(xnn_define_depthwise_convolution_2d(
                            subgraph_, u32(g.pad_top), u32(g.pad_right), u32(g.pad_bottom), u32(g.pad_left),
                            u32(g.kernel_h), u32(g.kernel_w), u32(g.stride_h), u32(g.stride_w), u32(g.dilation_h),
                            u32(g.dilation_w), 1, s_in.channels, lo, hi, x, w, b, y, 0),
                        "xnn_define_depthwise_convolution_2d");
                } else {
                  const std::size_t wd[4] = {wm.n, g.kernel_h, g.kernel_w, s_in.channels};
                  check(xnn_define_channelwise_quantized_tensor_value(subgraph_, xnn_datatype_qcint8, scales.data(), 4, 0,
                                                                      wd, codes.data(), XNN_INVALID_VALUE_ID, 0, &w),
                        "filter");
                  check(xnn_define_channelwise_quantized_tensor_value(subgraph_, xnn_datatype_qcint32, bias_scales.data(),
                                                                      1, 0, nb, bias.data(), XNN_INVALID_VALUE_ID, 0, &b),
                        "bias");
                  check(xnn_define_convolution_2d(subgraph_, u32(g.pad_top), u32(g.pad_right), u32(g.pad_bottom),
                                                  u32(g.pad_left), u32(g.kernel_h), u32(g.kernel_w), u32(g.stride_h),
                                                  u32(g.stride_w), u32(g.dilation_h), u32(g.dilation_w), 1,
                                                  s_in.channels, wm.n, lo, hi, x, w, b, y, 0),
                        "xnn_define_convolution_2d");
                }
              } else {
                // Columns in the order XNNPACK's flattened NHWC input has them.
                remap_flattened_columns(net, l.inputs[0], wm.n, wm.k, codes);
                const std::size_t wd[2] = {wm.n, wm.k};
                check(xnn_define_quantized_tensor_value(subgraph_, xnn_datatype_qint8, 0, scales[0], 2, wd, codes.data(),
                                                        XNN_INVALID_VALUE_ID, 0, &w),
                      "filter");
                check(xnn_define_quantized_tensor_value(subgraph_, xnn_datatype_qint32, 0, bias_scales[0], 1, nb,
                                                        bias.data(), XNN_INVALID_VALUE_ID, 0, &b),
                      "bias");
                check(xnn_define_fully_connected(subgraph_, lo, hi, x, w, b, y, 0), "xnn_define_fully_connected");
              }
              id[out] = y;
              is_float[out] = !quantized_out;
            } else if constexpr (std::is_same_v<T, mixq::add_op>) {
              const std::uint32_t a = codes_of(l.inputs[0]), b = codes_of(l.inputs[1]);
              id[out] = define_q(out, XNN_INVALID_VALUE_ID, 0);
              is_float[out] = false;
              check(xnn_define_add2(subgraph_, op.clamp.lo, op.clamp.hi, a, b, id[out], 0), "xnn_define_add2");
            } else if constexpr (std::is_same_v<T, mixq::pool_op>) {
              if (!op.max) throw mixq::error("average pooling windows: XNNPACK's subgraph has no qs8 average pooling");
              const auto& g = op.geometry;
              const std::uint32_t x = codes_of(l.inputs[0]);
              id[out] = define_q(out, XNN_INVALID_VALUE_ID, 0);
              is_float[out] = false;
              check(xnn_define_max_pooling_2d(subgraph_, u32(g.pad_top), u32(g.pad_right), u32(g.pad_bottom),
                                              u32(g.pad_left), u32(g.kernel_h), u32(g.kernel_w), u32(g.stride_h),
                                              u32(g.stride_w), u32(g.dilation_h), u32(g.dilation_w), -INFINITY, INFINITY,
                                              x, id[out], 0),
                    "xnn_define_max_pooling_2d");
            } else if constexpr (std::is_same_v<T, mixq::global_pool_op>) {
              const std::uint32_t x = codes_of(l.inputs[0]);
              id[out] = define_q(out, XNN_INVALID_VALUE_ID, 0);
              is_float[out] = false;
              check(xnn_define_global_average_pooling_2d(subgraph_, -INFINITY, INFINITY, x, id[out], 0),
                    "xnn_define_global_average_pooling_2d");
            } else if constexpr (std::is_same_v<T, mixq::flatten_op>) {
              const std::uint32_t x = codes_of(l.inputs[0]);
              const auto d = dims_of(s_out);
              id[out] = net.value(out).source ? define_q(out, XNN_INVALID_VALUE_ID, 0)
                                              : define_q(l.inputs[0], XNN_INVALID_VALUE_ID, 0);
              // (A flatten without parameters of its own keeps its input's; define_q above used them.)
              if (!net.value(out).source) {
                const auto& p = *net.value(l.inputs[0]).source;
                std::uint32_t r = 0;
                check(xnn_define_quantized_tensor_value(subgraph_, xnn_datatype_qint8, p.zero_point, p.scale, d.size(),
                                                        d.data(), nullptr, XNN_INVALID_VALUE_ID, 0, &r),
                      "reshape output");
                id[out] = r;
              }
              is_float[out] = false;
              check(xnn_define_static_reshape(subgraph_, d.size(), d.data(), x, id[out], 0), "xnn_define_static_reshape");
            } else {
              throw mixq::error(fmt::format("layer '{}' ({}): no XNNPACK translation", l.name, mixq::op_name(l.op)));
            }
          },
          l.op);
    }
    // The logits, as floats.
    const mixq::value_id o = net.output();
    const auto d = dims_of(net.value(o).shape);
    std::uint32_t f = 0;
    check(xnn_define_tensor_value(subgraph_, xnn_datatype_fp32, d.size(), d.data(), nullptr, 1,
                                  XNN_VALUE_FLAG_EXTERNAL_OUTPUT, &f),
          "output");
    check(xnn_define_convert(subgraph_, id[o], f, 0), "xnn_define_convert (output)");
    output_elements_ = net.value(o).shape.elements();
    check(xnn_create_runtime_v2(subgraph_, nullptr, 0, &runtime_), "xnn_create_runtime_v2");
    input_.resize(input_elements_);
    output_.resize(output_elements_);
    const xnn_external_value ext[2] = {{0, input_.data()}, {1, output_.data()}};
    check(xnn_setup_runtime(runtime_, 2, ext), "xnn_setup_runtime");
  }
  xnnpack_network(const xnnpack_network&) = delete;
  xnnpack_network& operator=(const xnnpack_network&) = delete;
  ~xnnpack_network() {
    if (runtime_) xnn_delete_runtime(runtime_);
    if (subgraph_) xnn_delete_subgraph(subgraph_);
  }

  /// One sample, C x H x W floats (mixq's input order) -> logits.
  const std::vector<float>& run(const float* chw) {
    const auto& s = input_shape_;
    for (std::size_t c = 0; c < s.channels; ++c) {
      for (std::size_t p = 0; p < s.height * s.width; ++p) input_[p * s.channels + c] = chw[c * s.height * s.width + p];
    }
    invoke();
    return output_;
  }
  void invoke() { xnn_invoke_runtime(runtime_); }

private:
  static std::uint32_t u32(std::size_t v) { return static_cast<std::uint32_t>(v); }
  static void check(xnn_status s, const char* what) {
    if (s != xnn_status_success) throw mixq::error(fmt::format("XNNPACK: {} failed (status {})", what, static_cast<int>(s)));
  }
  std::vector<float>& keep(std::vector<float> v) { return *floats_.emplace_back(std::make_unique<std::vector<float>>(std::move(v))); }
  std::vector<std::int32_t>& keep_i32(std::vector<std::int32_t> v) {
    return *ints_.emplace_back(std::make_unique<std::vector<std::int32_t>>(std::move(v)));
  }
  std::vector<std::int8_t>& keep_i8(std::vector<std::int8_t> v) {
    return *bytes_.emplace_back(std::make_unique<std::vector<std::int8_t>>(std::move(v)));
  }
  // mixq flattens an image in (C, H, W) order, XNNPACK's NHWC tensor in (H, W, C).
  static void remap_flattened_columns(const mixq::network& net, mixq::value_id in, std::size_t n, std::size_t k,
                                      std::vector<std::int8_t>& codes) {
    const mixq::layer& producer = net.layers()[net.producer(in)];
    if (!std::holds_alternative<mixq::flatten_op>(producer.op)) return;
    const auto& s = net.value(producer.inputs[0]).shape;
    if (s.height * s.width == 1) return;
    std::vector<std::int8_t> t(codes.size());
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t c = 0; c < s.channels; ++c) {
        for (std::size_t p = 0; p < s.height * s.width; ++p) {
          t[r * k + p * s.channels + c] = codes[r * k + c * s.height * s.width + p];
        }
      }
    }
    codes = std::move(t);
  }

  xnn_subgraph_t subgraph_ = nullptr;
  xnn_runtime_t runtime_ = nullptr;
  std::size_t input_elements_ = 0, output_elements_ = 0;
  mixq::tensor_shape input_shape_;
  std::vector<float> input_, output_;
  std::vector<std::unique_ptr<std::vector<float>>> floats_;
  std::vector<std::unique_ptr<std::vector<std::int32_t>>> ints_;
  std::vector<std::unique_ptr<std::vector<std::int8_t>>> bytes_;
};

void model_xnnpack(benchmark::State& state, const std::string& name) {
  try {
    const auto net = network_named(name);
    xnnpack_network x(*net);
    mixq::model m(net, mixq::source_calibration(*net), mixq::native_plan(*net), {.max_batch = 1, .threads = 1});
    const std::size_t per = m.input_elements(), classes = m.output_elements();
    const std::vector<float> inputs = random_inputs(16, per, 3);
    std::size_t agree = 0;
    for (std::size_t i = 0; i < 16; ++i) {
      const auto ym = m.run(std::span<const float>(inputs).subspan(i * per, per), 1);
      const auto& yx = x.run(inputs.data() + i * per);
      agree += argmax(ym.data(), classes) == argmax(yx.data(), classes);
    }
    x.run(inputs.data());
    timed(state, *net, [&] { x.invoke(); });
    state.counters["agreement"] = static_cast<double>(agree) / 16.0;
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

#endif

const char* const networks[] = {"fcnet", "resnet", "mobilenet", "resnet18", "mobilenet_v2"};

const int registered = [] {
  for (const char* n : networks) {
    const std::string name = n;
    benchmark::RegisterBenchmark(fmt::format("model/mixq/{}/w8a8", name).c_str(),
                                 [name](benchmark::State& s) { model_mixq(s, name, mixq::requantize_rule::tflite); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    // The requantize rule the peers use (model_options::requantize).
    benchmark::RegisterBenchmark(fmt::format("model/mixq-float32/{}/w8a8", name).c_str(),
                                 [name](benchmark::State& s) { model_mixq(s, name, mixq::requantize_rule::float32); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(fmt::format("model/mixq/{}/w8a8/breakdown", name).c_str(),
                                 [name](benchmark::State& s) { model_mixq_breakdown(s, name); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
#if MIXQ_HAVE_XNNPACK
    benchmark::RegisterBenchmark(fmt::format("model/xnnpack/{}/w8a8", name).c_str(),
                                 [name](benchmark::State& s) { model_xnnpack(s, name); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
#endif
#if MIXQ_HAVE_TORCH
    mixq_bench::register_torch_peers({name}, MIXQ_BENCH_TORCH_MODELS,
                                     [](const std::string& net) { return macs_of(*network_named(net)); });
#endif
  }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
