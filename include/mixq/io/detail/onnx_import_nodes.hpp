#pragma once
// The ONNX importer's walk over the graph, node by node (included by onnx_import.hpp).

#include <mixq/io/detail/onnx_fold.hpp>

namespace mixq::onnx_io {

inline value_id importer::add_layer(const onnx::NodeProto& n, layer_op op, std::vector<value_id> inputs, int output) {
  if (n.output_size() <= output || n.output(output).empty()) fail(n, "the node has no output");
  std::string name = n.name().empty() ? n.output(output) : n.name();
  if (layer_names_.count(name)) {
    std::size_t k = 2;
    while (layer_names_.count(fmt::format("{}#{}", name, k))) ++k;
    name = fmt::format("{}#{}", name, k);
  }
  layer l{name, std::move(op), std::move(inputs), values_.size()};
  std::vector<tensor_shape> in;
  for (const value_id v : l.inputs) in.push_back(values_[v].shape);
  tensor_shape out;
  try {
    out = detail::infer_shape(l, in);
  } catch (const error& e) {
    fail(n, e.what());
  }
  values_.push_back({n.output(output), out, std::nullopt});
  layer_names_.insert(name);
  layers_.push_back(std::move(l));
  activations_[n.output(output)] = {values_.size() - 1, std::nullopt};
  return values_.size() - 1;
}

inline void importer::alias(const onnx::NodeProto& n, value_id v, int output) {
  if (n.output_size() <= output || n.output(output).empty()) fail(n, "the node has no output");
  activations_[n.output(output)] = {v, std::nullopt};
}

inline void importer::define_constant(const onnx::NodeProto& n, constant c, int output) {
  if (n.output_size() <= output || n.output(output).empty()) fail(n, "the node has no output");
  constants_[n.output(output)] = std::move(c);
}

inline network importer::run() {
  const place file{file_, "", ""};
  for (const auto& o : model_.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") opset_ = o.version();
  }
  if (opset_ < 11 || opset_ > 18) {
    MIXQ_THROW(error, "{}: the model uses ONNX opset {}; expected an opset from 11 to 18 (mixq is tested on 11-17)",
               file_, opset_ ? std::to_string(opset_) : std::string("(none declared)"));
  }
  const onnx::GraphProto& g = model_.graph();
  if (static_cast<std::size_t>(g.node_size()) > limits_.max_nodes) {
    MIXQ_THROW(error, "{}: the graph has {} nodes; expected at most {} (import_limits::max_nodes)", file_,
               g.node_size(), limits_.max_nodes);
  }
  for (const auto& t : g.initializer()) constants_[t.name()] = read_tensor(t, limits_, {file_, t.name(), "initializer"});
  if (g.sparse_initializer_size() > 0) MIXQ_THROW(error, "{}: sparse initializers are not supported", file_);

  // The one graph input that is not an initializer: N x C x H x W or N x F floats.
  const onnx::ValueInfoProto* input = nullptr;
  for (const auto& i : g.input()) {
    if (constants_.count(i.name())) continue;
    if (input) {
      MIXQ_THROW(error, "{}: the graph has inputs '{}' and '{}'; expected one input (mixq networks take one tensor)",
                 file_, input->name(), i.name());
    }
    input = &i;
  }
  if (!input) MIXQ_THROW(error, "{}: the graph has no input besides its initializers; expected one", file_);
  const auto& type = input->type();
  if (!type.has_tensor_type() || type.tensor_type().elem_type() != onnx::TensorProto::FLOAT) {
    MIXQ_THROW(error, "{}: input '{}' is not a float tensor; expected float32 N x C x H x W (or N x F)", file_,
               input->name());
  }
  const auto& dims = type.tensor_type().shape().dim();
  if (!type.tensor_type().has_shape() || (dims.size() != 4 && dims.size() != 2)) {
    MIXQ_THROW(error, "{}: input '{}' has rank {}; expected rank 4 (N x C x H x W) or 2 (N x F)", file_, input->name(),
               type.tensor_type().has_shape() ? std::to_string(dims.size()) : std::string("unknown"));
  }
  if (dims[0].has_dim_value() && dims[0].dim_value() != 1) {
    MIXQ_THROW(error, "{}: input '{}' has its batch fixed at {}; expected 1 or a symbolic batch", file_, input->name(),
               dims[0].dim_value());
  }
  std::vector<std::size_t> sizes;
  for (int k = 1; k < dims.size(); ++k) {
    if (!dims[k].has_dim_value() || dims[k].dim_value() <= 0 ||
        static_cast<std::uint64_t>(dims[k].dim_value()) > limits_.max_tensor_elements) {
      MIXQ_THROW(error, "{}: input '{}' dimension {} is {}; expected a fixed size from 1 to {}", file_, input->name(), k,
                 dims[k].has_dim_value() ? std::to_string(dims[k].dim_value()) : "'" + dims[k].dim_param() + "'",
                 limits_.max_tensor_elements);
    }
    sizes.push_back(static_cast<std::size_t>(dims[k].dim_value()));
  }
  tensor_shape in_shape = sizes.size() == 3 ? tensor_shape{sizes[1], sizes[2], sizes[0], true}
                                            : tensor_shape{1, 1, sizes[0], false};
  if (in_shape.elements() > limits_.max_tensor_elements || in_shape.elements() / in_shape.channels !=
                                                               in_shape.height * in_shape.width) {
    MIXQ_THROW(error, "{}: input '{}' has too many elements; expected at most {}", file_, input->name(),
               limits_.max_tensor_elements);
  }
  values_.push_back({input->name(), in_shape, std::nullopt});
  layers_.push_back({input->name(), input_op{}, {}, 0});
  layer_names_.insert(input->name());
  activations_[input->name()] = {0, std::nullopt};

  for (const auto& n : g.node()) import_node(n);

  if (g.output_size() != 1) {
    MIXQ_THROW(error, "{}: the graph has {} outputs; expected one (mixq networks give one tensor)", file_,
               g.output_size());
  }
  const std::string& out = g.output(0).name();
  const auto it = activations_.find(out);
  if (it == activations_.end()) {
    MIXQ_THROW(error, "{}: the output '{}' is {}; expected a tensor computed from the input", file_, out,
               constants_.count(out) ? "a constant" : "not computed by any node");
  }
  if (it->second.codes) {
    MIXQ_THROW(error, "{}: the output '{}' holds quantized codes; expected float values (a DequantizeLinear last)",
               file_, out);
  }
  return finish(it->second.value);
}

inline void importer::import_node(const onnx::NodeProto& n) {
  if (!n.domain().empty() && n.domain() != "ai.onnx") {
    fail(n, fmt::format("operators of domain '{}' are not supported; expected the default ONNX domain", n.domain()));
  }
  // Every operator taken has a first output; reading it unchecked would be protobuf's CHECK failure.
  if (n.output_size() < 1 || n.output(0).empty()) fail(n, "the node has no output; expected at least one");
  if (fold_constant_node(n)) return;
  const std::string& op = n.op_type();
  if (op == "QuantizeLinear") return import_quantize(n);
  if (op == "DequantizeLinear") return import_dequantize(n);
  if (op == "Clip") return import_clip(n);
  if (op == "Relu") {
    add_layer(n, clamp_op{fused_clamp::relu()}, {float_input(n, 0)});
    return;
  }
  if (op == "Conv") return import_conv(n);
  if (op == "Gemm" || op == "MatMul") return import_dense(n);
  if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" || op == "GlobalMaxPool") {
    return import_pool(n);
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") return import_elementwise(n);
  if (op == "BatchNormalization") return import_batch_norm(n);
  if (op == "Flatten" || op == "Reshape" || op == "Squeeze") return import_reshape_like(n);
  if (op == "Concat") return import_concat(n);
  if (op == "Identity" || op == "Dropout") {
    if (op == "Dropout" && n.output_size() > 1 && !n.output(1).empty()) {
      fail(n, "the mask output is used; expected an inference graph (Dropout with one output)");
    }
    if (op == "Dropout" && has_input(n, 2)) {
      const constant& training = constant_input(n, 2, "training_mode");
      for (std::size_t k = 0; k < training.size(); ++k) {
        if (training.at(k) != 0.0) fail(n, "training_mode is true; expected an inference graph (training_mode false)");
      }
    }
    const activation_ref& a = activation_input(n, 0);
    if (n.output_size() < 1) fail(n, "the node has no output");
    activations_[n.output(0)] = a;
    return;
  }
  if (op == "Cast") {
    const activation_ref& a = activation_input(n, 0);
    const auto to = int_attribute(n, "to", 0, at(n));
    if (!a.codes && to == onnx::TensorProto::FLOAT) return alias(n, a.value);
    const int codes_type = a.codes && a.codes->is_signed ? onnx::TensorProto::INT8 : onnx::TensorProto::UINT8;
    if (a.codes && to == codes_type) {
      activations_[n.output(0)] = a;
      return;
    }
    fail(n, fmt::format("a Cast of {} to {}; expected a cast that keeps the values (float to float, or codes to "
                        "their own type)",
                        a.codes ? "quantized codes" : "float values", dtype_name(static_cast<int>(to))));
  }
  if (op == "Shape") {
    const tensor_shape& s = shape_of(float_input(n, 0));
    std::vector<std::int64_t> dims = s.image ? std::vector<std::int64_t>{1, static_cast<std::int64_t>(s.channels),
                                                                         static_cast<std::int64_t>(s.height),
                                                                         static_cast<std::int64_t>(s.width)}
                                             : std::vector<std::int64_t>{1, static_cast<std::int64_t>(s.channels)};
    const auto r = static_cast<std::int64_t>(dims.size());
    std::int64_t start = int_attribute(n, "start", 0, at(n)), end = int_attribute(n, "end", r, at(n));
    if (start < 0) start += r;
    if (end < 0) end += r;
    start = std::clamp<std::int64_t>(start, 0, r);
    end = std::clamp<std::int64_t>(end, start, r);
    std::vector<std::int64_t> part(dims.begin() + start, dims.begin() + end);
    const auto count = static_cast<std::int64_t>(part.size());
    return define_constant(n, make_ints({count}, std::move(part)));
  }
  fail(n, "this operator is not supported; mixq imports Conv (groups 1 or depthwise), Gemm, MatMul, Add, Sub, Mul, "
          "Div, Concat, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Flatten, Reshape, Squeeze, Relu, Clip, "
          "BatchNormalization, QuantizeLinear, DequantizeLinear, Identity, Dropout, Cast and constant shape arithmetic "
          "(docs/models.md)");
}

inline bool importer::fold_constant_node(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  const place p = at(n);
  if (op == "Constant") {
    for (const auto& a : n.attribute()) {
      if (a.name() == "value") {
        if (a.type() != onnx::AttributeProto::TENSOR) fail(n, "attribute 'value' is not a tensor");
        define_constant(n, read_tensor(a.t(), limits_, p));
      } else if (a.name() == "value_float") {
        define_constant(n, make_floats({}, {a.f()}));
      } else if (a.name() == "value_floats") {
        define_constant(n, make_floats({a.floats_size()}, {a.floats().begin(), a.floats().end()}));
      } else if (a.name() == "value_int") {
        define_constant(n, make_ints({}, {a.i()}));
      } else if (a.name() == "value_ints") {
        define_constant(n, make_ints({a.ints_size()}, {a.ints().begin(), a.ints().end()}));
      } else {
        fail(n, fmt::format("attribute '{}' is not supported; expected value, value_float(s) or value_int(s)", a.name()));
      }
      return true;
    }
    fail(n, "a Constant without a value");
  }
  for (int k = 0; k < n.input_size(); ++k) {
    if (!n.input(k).empty() && !is_constant(n.input(k))) return false;
  }
  if (n.input_size() == 0 && op != "ConstantOfShape") return false;
  auto in = [&](int k) -> const constant& { return constant_input(n, k, "constant"); };
  if (op == "Identity" || op == "Dropout") {
    define_constant(n, in(0));
  } else if (op == "Cast") {
    define_constant(n, cast_constant(in(0), static_cast<int>(int_attribute(n, "to", 1, p)), p));
  } else if (op == "ConstantOfShape") {
    const constant& shape = in(0);
    if (shape.is_float()) fail(n, "the shape is not integer");
    const std::size_t count = checked_elements(shape.i, limits_, p, "the result");
    constant value = make_floats({}, {0.0f});
    if (const auto* a = find_attribute(n, "value")) value = read_tensor(a->t(), limits_, p);
    if (value.size() != 1) fail(n, "attribute 'value' has more than one element");
    constant out;
    out.dims = shape.i;
    out.dtype = value.dtype;
    if (value.is_float()) {
      out.f.assign(count, value.f[0]);
    } else {
      out.i.assign(count, value.i[0]);
    }
    define_constant(n, std::move(out));
  } else if (op == "Shape") {
    const constant& c = in(0);
    define_constant(n, make_ints({static_cast<std::int64_t>(c.dims.size())}, c.dims));
  } else if (op == "Gather") {
    define_constant(n, gather_constant(in(0), in(1), int_attribute(n, "axis", 0, p), limits_, p));
  } else if (op == "Unsqueeze" || op == "Squeeze") {
    const constant& c = in(0);
    std::vector<std::int64_t> axes = has_input(n, 1) ? in(1).i : ints_attribute(n, "axes", {}, p);
    std::vector<std::int64_t> dims = c.dims;
    if (op == "Unsqueeze") {
      const std::size_t rank = dims.size() + axes.size();
      std::vector<std::size_t> at_axes;
      for (const auto a : axes) at_axes.push_back(normalized_axis(a, rank, p));
      std::sort(at_axes.begin(), at_axes.end());
      for (const std::size_t a : at_axes) dims.insert(dims.begin() + static_cast<std::ptrdiff_t>(std::min(a, dims.size())), 1);
    } else {
      std::vector<bool> drop(dims.size(), axes.empty());
      for (const auto a : axes) drop[normalized_axis(a, dims.size(), p)] = true;
      std::vector<std::int64_t> kept;
      for (std::size_t k = 0; k < dims.size(); ++k) {
        if (!drop[k] || dims[k] != 1) kept.push_back(dims[k]);
      }
      dims = kept;
    }
    define_constant(n, reshaped(c, dims, limits_, p));
  } else if (op == "Concat") {
    std::vector<const constant*> parts;
    for (int k = 0; k < n.input_size(); ++k) parts.push_back(&in(k));
    if (parts.empty()) fail(n, "a Concat of nothing");
    define_constant(n, concat_constants(parts, int_attribute(n, "axis", 0, p), limits_, p));
  } else if (op == "Reshape" || op == "Flatten") {
    const constant& c = in(0);
    std::vector<std::int64_t> dims;
    if (op == "Flatten") {
      const std::size_t axis = normalized_axis(int_attribute(n, "axis", 1, p), std::max<std::size_t>(c.dims.size(), 1) + 1, p);
      std::int64_t a = 1, b = 1;
      for (std::size_t k = 0; k < c.dims.size(); ++k) (k < axis ? a : b) *= c.dims[k];
      dims = {a, b};
    } else {
      dims = in(1).i;
      std::int64_t known = 1;
      int infer = -1;
      for (std::size_t k = 0; k < dims.size(); ++k) {
        if (dims[k] == 0 && k < c.dims.size()) dims[k] = c.dims[k];
        if (dims[k] == -1) {
          if (infer >= 0) fail(n, "the shape has two -1 entries");
          infer = static_cast<int>(k);
        } else if (dims[k] < 0) {
          fail(n, fmt::format("the shape has an entry {}; expected sizes, 0 or -1", dims[k]));
        } else {
          if (dims[k] > 0 && known > std::numeric_limits<std::int64_t>::max() / dims[k]) {
            fail(n, fmt::format("the shape's sizes multiply beyond int64 (entry {} is {})", k, dims[k]));
          }
          known *= dims[k] ? dims[k] : 1;
        }
      }
      if (infer >= 0) dims[static_cast<std::size_t>(infer)] = known ? static_cast<std::int64_t>(c.size()) / known : 0;
    }
    define_constant(n, reshaped(c, dims, limits_, p));
  } else if (op == "Transpose") {
    define_constant(n, transpose_constant(in(0), ints_attribute(n, "perm", {}, p), p));
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    define_constant(n, arithmetic_constant(in(0), in(1), op == "Add" ? '+' : op == "Sub" ? '-' : op == "Mul" ? '*' : '/', p));
  } else if (op == "QuantizeLinear" || op == "DequantizeLinear" || op == "Clip") {
    const constant& x = in(0);
    if (op == "Clip") {
      constant out = x;
      const double lo = has_input(n, 1) ? in(1).at(0) : -INFINITY, hi = has_input(n, 2) ? in(2).at(0) : INFINITY;
      if (x.is_float()) {
        for (auto& v : out.f) v = static_cast<float>(std::clamp<double>(v, lo, hi));
      } else {
        for (auto& v : out.i) v = static_cast<std::int64_t>(std::clamp<double>(static_cast<double>(v), lo, hi));
        // Codes clipped to a narrower range: fewer bits (Brevitas QCDQ, PyTorch fake-quant export).
        out.origin = quant_origin{};
        out.origin->qmin = static_cast<std::int64_t>(std::max(lo, -2147483648.0));
        out.origin->qmax = static_cast<std::int64_t>(std::min(hi, 2147483647.0));
      }
      define_constant(n, std::move(out));
      return true;
    }
    std::vector<float> scales;
    std::vector<std::int64_t> zps;
    int dtype = 2;
    read_qparams(n, 1, 2, &scales, &zps, &dtype);
    const std::int64_t axis_attr = int_attribute(n, "axis", 1, p);
    std::size_t axis = 0, inner = 1, extent = 1;
    if (scales.size() > 1) {
      axis = normalized_axis(axis_attr, x.dims.size(), p);
      extent = static_cast<std::size_t>(x.dims[axis]);
      if (extent != scales.size()) {
        fail(n, fmt::format("{} scales along axis {} of a {} tensor; expected {}", scales.size(), axis, x.shape_string(),
                            extent));
      }
      for (std::size_t k = axis + 1; k < x.dims.size(); ++k) inner *= static_cast<std::size_t>(x.dims[k]);
    }
    auto channel = [&](std::size_t k) { return scales.size() > 1 ? (k / inner) % extent : 0; };
    if (op == "QuantizeLinear") {
      if (!x.is_float()) fail(n, "quantizing integers; expected float input");
      const std::int64_t qmin = dtype == 3 ? -128 : 0, qmax = dtype == 3 ? 127 : 255;
      constant out;
      out.dims = x.dims;
      out.dtype = dtype;
      for (std::size_t k = 0; k < x.size(); ++k) {
        const std::size_t c = channel(k);
        const double q = std::nearbyint(static_cast<double>(x.f[k] / scales[c])) + static_cast<double>(zps[c]);
        out.i.push_back(static_cast<std::int64_t>(std::clamp<double>(q, static_cast<double>(qmin), static_cast<double>(qmax))));
      }
      define_constant(n, std::move(out));
    } else {
      if (x.is_float()) fail(n, "dequantizing floats; expected integer codes");
      if (x.dtype != dtype && has_input(n, 2)) {
        fail(n, fmt::format("codes of type {} with a zero point of type {}; expected the same type", dtype_name(x.dtype),
                            dtype_name(dtype)));
      }
      constant out;
      out.dims = x.dims;
      out.dtype = 1;
      quant_origin origin;
      origin.codes = x.i;
      origin.scale = scales;
      origin.zero_point = zps;
      origin.axis = scales.size() > 1 ? static_cast<int>(axis) : -1;
      origin.dtype = x.dtype;
      origin.qmin = x.dtype == 3 ? -128 : x.dtype == 2 ? 0 : std::numeric_limits<std::int32_t>::min();
      origin.qmax = x.dtype == 3 ? 127 : x.dtype == 2 ? 255 : std::numeric_limits<std::int32_t>::max();
      if (x.origin) {  // narrowed by a Clip
        origin.qmin = std::max(origin.qmin, x.origin->qmin);
        origin.qmax = std::min(origin.qmax, x.origin->qmax);
      }
      for (std::size_t k = 0; k < x.size(); ++k) {
        const std::size_t c = channel(k);
        out.f.push_back(static_cast<float>(x.i[k] - zps[c]) * scales[c]);
      }
      out.origin = std::move(origin);
      define_constant(n, std::move(out));
    }
  } else {
    return false;
  }
  return true;
}

inline activation_params importer::read_qparams(const onnx::NodeProto& n, int scale_input, int zp_input,
                                                std::vector<float>* scales, std::vector<std::int64_t>* zero_points,
                                                int* dtype) const {
  const constant& scale = constant_input(n, scale_input, "scale");
  if (!scale.is_float() || scale.size() == 0) fail(n, "the scale is not a non-empty float tensor");
  for (std::size_t k = 0; k < scale.size(); ++k) {
    if (!(std::isfinite(scale.f[k]) && scale.f[k] > 0.0f)) {
      fail(n, fmt::format("scale[{}] = {} is invalid; expected a finite scale > 0", k, scale.f[k]));
    }
  }
  std::vector<std::int64_t> zp(scale.size(), 0);
  int type = onnx::TensorProto::UINT8;
  if (has_input(n, zp_input)) {
    const constant& z = constant_input(n, zp_input, "zero point");
    type = z.dtype;
    if (type != onnx::TensorProto::UINT8 && type != onnx::TensorProto::INT8 && type != onnx::TensorProto::INT32) {
      fail(n, fmt::format("the zero point is of type {}; expected uint8, int8 (or int32 for a bias)", dtype_name(type)));
    }
    if (z.size() != scale.size()) {
      fail(n, fmt::format("{} zero points for {} scales; expected as many", z.size(), scale.size()));
    }
    zp = z.i;
  }
  if (scales) *scales = scale.f;
  if (zero_points) *zero_points = zp;
  if (dtype) *dtype = type;
  return {scale.f[0], static_cast<std::int32_t>(zp[0]), 8, type == onnx::TensorProto::INT8};
}

inline value_id importer::annotate(const onnx::NodeProto& n, value_id v, const activation_params& p) {
  if (p.bits != 8 && p.bits != 4 && p.bits != 2) {
    fail(n, fmt::format("activations of {} bits; mixq's networks take 8-, 4- or 2-bit activation codes", p.bits));
  }
  auto& source = values_[v].source;
  if (!source) {
    source = p;
    return v;
  }
  if (*source == p) return v;
  // Quantized again with other parameters: a requantization, kept as a layer of its own.
  activations_[n.output(0)] = {v, std::nullopt};
  const value_id r = add_layer(n, clamp_op{}, {v});
  values_[r].source = p;
  return r;
}

inline void importer::import_quantize(const onnx::NodeProto& n) {
  const value_id x = float_input(n, 0);
  std::vector<float> scales;
  int dtype = onnx::TensorProto::UINT8;
  const activation_params p = read_qparams(n, 1, 2, &scales, nullptr, &dtype);
  if (dtype == onnx::TensorProto::INT32) {
    fail(n, "the zero point is of type int32; expected uint8 or int8 (the type of an activation's codes)");
  }
  if (scales.size() != 1) {
    fail(n, fmt::format("{} scales: per-channel quantization of activations; expected one scale per tensor",
                        scales.size()));
  }
  if (n.output_size() < 1) fail(n, "the node has no output");
  activations_[n.output(0)] = {x, p};
}

inline void importer::import_dequantize(const onnx::NodeProto& n) {
  const activation_ref& a = activation_input(n, 0);
  if (!a.codes) fail(n, "the input holds float values; expected the codes of a QuantizeLinear");
  std::vector<float> scales;
  int dtype = 2;
  activation_params p = read_qparams(n, 1, 2, &scales, nullptr, &dtype);
  if (scales.size() != 1 || p.scale != a.codes->scale || p.zero_point != a.codes->zero_point ||
      p.is_signed != a.codes->is_signed) {
    fail(n, fmt::format("scale {} and zero point {} differ from those of the QuantizeLinear that made the codes "
                        "(scale {}, zero point {}); expected the same parameters",
                        p.scale, p.zero_point, a.codes->scale, a.codes->zero_point));
  }
  if (n.output_size() < 1 || n.output(0).empty()) fail(n, "the node has no output");
  alias(n, annotate(n, a.value, *a.codes));
}

inline void importer::import_clip(const onnx::NodeProto& n) {
  const activation_ref& a = activation_input(n, 0);
  auto bound = [&](int k, double fallback) {
    if (!has_input(n, k)) return fallback;
    const constant& c = constant_input(n, k, k == 1 ? "min" : "max");
    if (c.size() != 1) fail(n, fmt::format("{} has {} elements; expected one", k == 1 ? "min" : "max", c.size()));
    return c.at(0);
  };
  if (a.codes) {
    // Codes clipped to a narrower range: activations of fewer bits.
    activation_params p = *a.codes;
    const double lo = std::max<double>(bound(1, p.qmin()), p.qmin()), hi = std::min<double>(bound(2, p.qmax()), p.qmax());
    int bits = 0;
    for (const int b : {8, 4, 2}) {
      const activation_params t{p.scale, p.zero_point, b, p.is_signed};
      if (lo == t.qmin() && hi == t.qmax()) bits = b;
    }
    if (bits == 0) {
      fail(n, fmt::format("codes clipped to [{}, {}]; expected the full range of 8, 4 or 2-bit {} codes", lo, hi,
                          p.is_signed ? "signed" : "unsigned"));
    }
    p.bits = bits;
    if (p.zero_point < p.qmin() || p.zero_point > p.qmax()) {
      fail(n, fmt::format("zero point {} is outside the {}-bit range [{}, {}]", p.zero_point, bits, p.qmin(), p.qmax()));
    }
    activations_[n.output(0)] = {a.value, p};
    return;
  }
  const double lo = bound(1, -INFINITY), hi = bound(2, INFINITY);
  if (std::isnan(lo) || std::isnan(hi) || lo > hi) fail(n, fmt::format("min {} > max {}", lo, hi));
  add_layer(n, clamp_op{{static_cast<float>(lo), static_cast<float>(hi)}}, {a.value});
}

}  // namespace mixq::onnx_io

#include <mixq/io/detail/onnx_import_layers.hpp>
