#pragma once
// A model under its precision plan -> QDQ ONNX (opset 13), which
// import_onnx() reads back to the same codes and parameters:
//
//   weights   int8 codes (OIHW) -> [Clip to the width, below 8 bits] -> DequantizeLinear(axis 0)
//   bias      int32 codes in units of input scale x weight scale -> DequantizeLinear(axis 0)
//   values    float -> QuantizeLinear -> [Clip to the width] -> DequantizeLinear, where codes are read
//
// Layers the plan keeps in float are written in float. Needs mixq::onnx.
//
//   mixq::export_onnx(model, "out.qdq.onnx");

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <mixq/config.hpp>
#include <mixq/model/model.hpp>

namespace mixq {

namespace onnx_io {

// Builds a GraphProto: initializers, nodes, unique tensor names.
class graph_writer {
public:
  explicit graph_writer(::onnx::GraphProto& g) : g_(g) {}

  std::string unique(const std::string& base) {
    std::string name = base.empty() ? "t" : base;
    if (used_.count(name)) {
      std::size_t k = 2;
      while (used_.count(fmt::format("{}#{}", name, k))) ++k;
      name = fmt::format("{}#{}", name, k);
    }
    used_[name] = true;
    return name;
  }

  std::string floats(const std::string& base, const std::vector<std::int64_t>& dims, const std::vector<float>& v) {
    auto* t = g_.add_initializer();
    t->set_name(unique(base));
    t->set_data_type(::onnx::TensorProto::FLOAT);
    for (const auto d : dims) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
    return t->name();
  }
  template <class T>
  std::string ints(const std::string& base, int dtype, const std::vector<std::int64_t>& dims, const std::vector<T>& v) {
    auto* t = g_.add_initializer();
    t->set_name(unique(base));
    t->set_data_type(dtype);
    for (const auto d : dims) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)));
    return t->name();
  }

  ::onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output_base,
                          const std::string& name_base) {
    auto* n = g_.add_node();
    n->set_op_type(op);
    n->set_name(unique(name_base));
    for (const auto& i : inputs) n->add_input(i);
    n->add_output(unique(output_base));
    return *n;
  }
  static void attr(::onnx::NodeProto& n, const std::string& name, std::int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(::onnx::NodeProto& n, const std::string& name, const std::vector<std::int64_t>& v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::INTS);
    for (const auto x : v) a->add_ints(x);
  }

private:
  ::onnx::GraphProto& g_;
  std::map<std::string, bool> used_;
};

inline std::vector<std::int64_t> window_pads(const window& w) {
  return {static_cast<std::int64_t>(w.pad_top), static_cast<std::int64_t>(w.pad_left),
          static_cast<std::int64_t>(w.pad_bottom), static_cast<std::int64_t>(w.pad_right)};
}

}  // namespace onnx_io

/// The model at its current plan as a serialized QDQ ONNX model (opset 13).
template <class Backend>
std::string export_onnx_bytes(const basic_model<Backend>& m, const std::string& graph_name = "mixq") {
  const network& net = m.graph();
  ::onnx::ModelProto proto;
  proto.set_ir_version(7);
  proto.set_producer_name("mixq");
  proto.set_producer_version(fmt::format("{}.{}.{}", MIXQ_VERSION_MAJOR, MIXQ_VERSION_MINOR, MIXQ_VERSION_PATCH));
  auto* opset = proto.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  ::onnx::GraphProto& g = *proto.mutable_graph();
  g.set_name(graph_name);
  onnx_io::graph_writer w(g);
  using I64 = std::int64_t;

  // Float tensor of each value, and its Q/DQ copies per set of parameters.
  std::vector<std::string> float_name(net.values().size());
  std::map<std::pair<value_id, std::string>, std::string> dq_names;
  std::vector<std::optional<activation_params>> stored(net.values().size());

  auto dims_of = [](const tensor_shape& s) {
    return s.image ? std::vector<I64>{1, static_cast<I64>(s.channels), static_cast<I64>(s.height), static_cast<I64>(s.width)}
                   : std::vector<I64>{1, static_cast<I64>(s.channels)};
  };
  std::function<std::string(value_id, const activation_params&)> codes_of = [&](value_id v,
                                                                                 const activation_params& p) {
    const std::string key = fmt::format("{}/{}/{}/{}", p.scale, p.zero_point, p.bits, p.is_signed);
    if (const auto it = dq_names.find({v, key}); it != dq_names.end()) return it->second;
    // A narrower copy is made from the stored codes, as the executor converts them.
    const std::string from = stored[v] && !(*stored[v] == p) ? codes_of(v, *stored[v]) : float_name[v];
    const std::string base = net.value(v).name;
    const int dtype = p.is_signed ? ::onnx::TensorProto::INT8 : ::onnx::TensorProto::UINT8;
    const std::string scale = w.floats(base + "_scale", {}, {p.scale});
    const std::string zp = p.is_signed ? w.ints(base + "_zero_point", dtype, {}, std::vector<std::int8_t>{static_cast<std::int8_t>(p.zero_point)})
                                       : w.ints(base + "_zero_point", dtype, {}, std::vector<std::uint8_t>{static_cast<std::uint8_t>(p.zero_point)});
    std::string q = w.node("QuantizeLinear", {from, scale, zp}, base + "_quantized", base + "_Quantize").output(0);
    if (p.bits < 8) {
      const std::string lo = p.is_signed ? w.ints(base + "_qmin", dtype, {}, std::vector<std::int8_t>{static_cast<std::int8_t>(p.qmin())})
                                         : w.ints(base + "_qmin", dtype, {}, std::vector<std::uint8_t>{static_cast<std::uint8_t>(p.qmin())});
      const std::string hi = p.is_signed ? w.ints(base + "_qmax", dtype, {}, std::vector<std::int8_t>{static_cast<std::int8_t>(p.qmax())})
                                         : w.ints(base + "_qmax", dtype, {}, std::vector<std::uint8_t>{static_cast<std::uint8_t>(p.qmax())});
      q = w.node("Clip", {q, lo, hi}, base + "_clipped", base + "_Clip").output(0);
    }
    const std::string dq = w.node("DequantizeLinear", {q, scale, zp}, base + "_dequantized", base + "_Dequantize").output(0);
    dq_names[{v, key}] = dq;
    return dq;
  };
  auto clamp_node = [&](const std::string& x, const fused_clamp& c, const std::string& base) {
    if (c.is_none()) return x;
    if (c == fused_clamp::relu()) return w.node("Relu", {x}, base + "_relu", base + "_Relu").output(0);
    const std::string lo = std::isinf(c.lo) ? std::string() : w.floats(base + "_min", {}, {c.lo});
    const std::string hi = std::isinf(c.hi) ? std::string() : w.floats(base + "_max", {}, {c.hi});
    return w.node("Clip", {x, lo, hi}, base + "_clip", base + "_Clip").output(0);
  };

  // The input.
  const value_id in = net.input();
  float_name[in] = w.unique(net.value(in).name);
  {
    auto* vi = g.add_input();
    vi->set_name(float_name[in]);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(::onnx::TensorProto::FLOAT);
    auto dims = dims_of(net.input_shape());
    tt->mutable_shape()->add_dim()->set_dim_param("batch");
    for (std::size_t k = 1; k < dims.size(); ++k) tt->mutable_shape()->add_dim()->set_dim_value(dims[k]);
  }

  for (std::size_t i = 1; i < net.layers().size(); ++i) {
    const layer& l = net.layers()[i];
    std::vector<std::string> x;
    for (std::size_t k = 0; k < l.inputs.size(); ++k) {
      const auto p = m.reads(i, k);
      x.push_back(p ? codes_of(l.inputs[k], *p) : float_name[l.inputs[k]]);
    }
    const std::string base = l.name;
    const std::string out_base = net.value(l.output).name;
    std::string y;
    auto weighted = [&](const std::vector<I64>& w_dims, auto&& index_of, std::size_t n_out, std::size_t per,
                        const std::vector<float>& fw, const std::vector<float>& fb) -> std::pair<std::string, std::string> {
      // index_of(o, k): position in ONNX's layout of mixq's (o, k).
      std::vector<std::size_t> order(n_out * per);
      for (std::size_t o = 0; o < n_out; ++o) {
        for (std::size_t k = 0; k < per; ++k) order[index_of(o, k)] = o * per + k;
      }
      const auto p_in = m.reads(i, 0);
      if (!p_in) {
        std::vector<float> wv(order.size());
        for (std::size_t e = 0; e < order.size(); ++e) wv[e] = fw[order[e]];
        return {w.floats(base + "_weight", w_dims, wv), w.floats(base + "_bias", {static_cast<I64>(n_out)}, fb)};
      }
      const auto [q, bias] = m.integer_layer(i);
      std::vector<std::int8_t> codes(order.size());
      for (std::size_t e = 0; e < order.size(); ++e) codes[e] = q->codes[order[e]];
      std::string wq = w.ints(base + "_weight_codes", ::onnx::TensorProto::INT8, w_dims, codes);
      if (q->bits < 8) {
        // The whole range of the width: source codes may use -2^(bits-1), which a narrow Clip would change.
        const auto half = static_cast<std::int8_t>(1 << (q->bits - 1));
        const std::string lo = w.ints(base + "_weight_min", ::onnx::TensorProto::INT8, {}, std::vector<std::int8_t>{static_cast<std::int8_t>(-half)});
        const std::string hi = w.ints(base + "_weight_max", ::onnx::TensorProto::INT8, {},
                                      std::vector<std::int8_t>{static_cast<std::int8_t>(half - 1)});
        wq = w.node("Clip", {wq, lo, hi}, base + "_weight_clipped", base + "_weight_Clip").output(0);
      }
      const std::string ws = w.floats(base + "_weight_scale", {static_cast<I64>(n_out)}, q->scale);
      const std::string wz = w.ints(base + "_weight_zero_point", ::onnx::TensorProto::INT8, {static_cast<I64>(n_out)},
                                    std::vector<std::int8_t>(n_out, 0));
      auto& wdq = w.node("DequantizeLinear", {wq, ws, wz}, base + "_weight", base + "_weight_Dequantize");
      onnx_io::graph_writer::attr(wdq, "axis", I64{0});
      std::vector<float> unit(n_out);
      for (std::size_t o = 0; o < n_out; ++o) unit[o] = p_in->scale * q->scale[o];
      const std::string bq = w.ints(base + "_bias_codes", ::onnx::TensorProto::INT32, {static_cast<I64>(n_out)}, *bias);
      const std::string bs = w.floats(base + "_bias_scale", {static_cast<I64>(n_out)}, unit);
      const std::string bz = w.ints(base + "_bias_zero_point", ::onnx::TensorProto::INT32, {static_cast<I64>(n_out)},
                                    std::vector<std::int32_t>(n_out, 0));
      auto& bdq = w.node("DequantizeLinear", {bq, bs, bz}, base + "_bias", base + "_bias_Dequantize");
      onnx_io::graph_writer::attr(bdq, "axis", I64{0});
      return {wdq.output(0), bdq.output(0)};
    };
    std::visit(
        [&](const auto& op) {
          using T = std::remove_cvref_t<decltype(op)>;
          if constexpr (std::is_same_v<T, conv_op>) {
            const tensor_shape& s = net.value(l.inputs[0]).shape;
            const std::size_t o = op.out_channels, kh = op.geometry.kernel_h, kw = op.geometry.kernel_w,
                              c = op.depthwise ? 1 : s.channels, per = kh * kw * c;
            const auto [wt, bt] = weighted(
                {static_cast<I64>(o), static_cast<I64>(c), static_cast<I64>(kh), static_cast<I64>(kw)},
                [&](std::size_t oo, std::size_t k) {  // (o, ky, kx, c) -> (o, c, ky, kx)
                  const std::size_t ci = k % c, kx = (k / c) % kw, ky = k / (c * kw);
                  return ((oo * c + ci) * kh + ky) * kw + kx;
                },
                o, per, op.weights, op.bias);
            auto& n = w.node("Conv", {x[0], wt, bt}, out_base + "_conv", base);
            onnx_io::graph_writer::attr(n, "kernel_shape", std::vector<I64>{static_cast<I64>(kh), static_cast<I64>(kw)});
            onnx_io::graph_writer::attr(n, "strides", std::vector<I64>{static_cast<I64>(op.geometry.stride_h), static_cast<I64>(op.geometry.stride_w)});
            onnx_io::graph_writer::attr(n, "dilations", std::vector<I64>{static_cast<I64>(op.geometry.dilation_h), static_cast<I64>(op.geometry.dilation_w)});
            onnx_io::graph_writer::attr(n, "pads", onnx_io::window_pads(op.geometry));
            onnx_io::graph_writer::attr(n, "group", static_cast<I64>(op.depthwise ? s.channels : 1));
            y = clamp_node(n.output(0), op.clamp, out_base);
          } else if constexpr (std::is_same_v<T, dense_op>) {
            const std::size_t k_in = op.weights.size() / op.out_features;
            const auto [wt, bt] = weighted({static_cast<I64>(op.out_features), static_cast<I64>(k_in)},
                                           [&](std::size_t o, std::size_t k) { return o * k_in + k; }, op.out_features,
                                           k_in, op.weights, op.bias);
            std::string a = x[0];
            if (net.value(l.inputs[0]).shape.image) a = w.node("Flatten", {a}, out_base + "_flat", base + "_Flatten").output(0);
            auto& n = w.node("Gemm", {a, wt, bt}, out_base + "_gemm", base);
            onnx_io::graph_writer::attr(n, "transB", I64{1});
            y = clamp_node(n.output(0), op.clamp, out_base);
          } else if constexpr (std::is_same_v<T, add_op>) {
            y = clamp_node(w.node("Add", {x[0], x[1]}, out_base + "_add", base).output(0), op.clamp, out_base);
          } else if constexpr (std::is_same_v<T, concat_op>) {
            auto& n = w.node("Concat", x, out_base, base);
            onnx_io::graph_writer::attr(n, "axis", I64{1});
            y = n.output(0);
          } else if constexpr (std::is_same_v<T, pool_op>) {
            auto& n = w.node(op.max ? "MaxPool" : "AveragePool", {x[0]}, out_base, base);
            const window& g2 = op.geometry;
            onnx_io::graph_writer::attr(n, "kernel_shape", std::vector<I64>{static_cast<I64>(g2.kernel_h), static_cast<I64>(g2.kernel_w)});
            onnx_io::graph_writer::attr(n, "strides", std::vector<I64>{static_cast<I64>(g2.stride_h), static_cast<I64>(g2.stride_w)});
            onnx_io::graph_writer::attr(n, "pads", onnx_io::window_pads(g2));
            if (op.max) {
              onnx_io::graph_writer::attr(n, "dilations", std::vector<I64>{static_cast<I64>(g2.dilation_h), static_cast<I64>(g2.dilation_w)});
            } else {
              onnx_io::graph_writer::attr(n, "count_include_pad", static_cast<I64>(op.count_include_pad));
            }
            onnx_io::graph_writer::attr(n, "ceil_mode", static_cast<I64>(g2.ceil_mode));
            y = n.output(0);
          } else if constexpr (std::is_same_v<T, global_pool_op>) {
            y = w.node("GlobalAveragePool", {x[0]}, out_base, base).output(0);
          } else if constexpr (std::is_same_v<T, flatten_op>) {
            auto& n = w.node("Flatten", {x[0]}, out_base, base);
            onnx_io::graph_writer::attr(n, "axis", I64{1});
            y = n.output(0);
          } else if constexpr (std::is_same_v<T, clamp_op>) {
            y = op.clamp.is_none() ? w.node("Identity", {x[0]}, out_base, base).output(0) : clamp_node(x[0], op.clamp, out_base);
          } else if constexpr (std::is_same_v<T, affine_op>) {
            const tensor_shape& s = net.value(l.inputs[0]).shape;
            auto dims = [&](std::size_t count) {
              return count == 1 ? std::vector<I64>{} : s.image ? std::vector<I64>{1, static_cast<I64>(count), 1, 1}
                                                               : std::vector<I64>{static_cast<I64>(count)};
            };
            const std::string sc = w.floats(base + "_scale", dims(op.scale.size()), op.scale);
            const std::string sh = w.floats(base + "_shift", dims(op.shift.size()), op.shift);
            const std::string mul = w.node("Mul", {x[0], sc}, out_base + "_scaled", base + "_Mul").output(0);
            y = w.node("Add", {mul, sh}, out_base, base + "_Add").output(0);
          }
        },
        l.op);
    float_name[l.output] = y;
    stored[l.output] = m.writes(i);
  }

  const value_id out = net.output();
  std::string result = stored[out] ? codes_of(out, *stored[out]) : float_name[out];
  auto* vo = g.add_output();
  vo->set_name(result);
  auto* tt = vo->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(::onnx::TensorProto::FLOAT);
  const auto dims = dims_of(net.output_shape());
  tt->mutable_shape()->add_dim()->set_dim_param("batch");
  for (std::size_t k = 1; k < dims.size(); ++k) tt->mutable_shape()->add_dim()->set_dim_value(dims[k]);

  std::string bytes;
  if (!proto.SerializeToString(&bytes)) MIXQ_THROW(error, "mixq::export_onnx: the model could not be serialized");
  return bytes;
}

/// Writes the model at its current plan to `path` as QDQ ONNX (opset 13).
template <class Backend>
void export_onnx(const basic_model<Backend>& m, const std::string& path) {
  const std::string bytes = export_onnx_bytes(m);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    MIXQ_THROW(error, "{}: cannot write the file", path);
  }
}

}  // namespace mixq
