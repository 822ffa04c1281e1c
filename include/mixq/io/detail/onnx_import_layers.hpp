#pragma once
// The ONNX importer: operators that become layers (included by onnx_import_nodes.hpp).

namespace mixq::onnx_io {

namespace detail_import {

// Bits of stored weight codes from their range: [-2^(b-1), 2^(b-1) - 1] or the narrow [-(2^(b-1) - 1), ...].
inline int weight_bits(std::int64_t qmin, std::int64_t qmax) {
  for (const int b : {2, 4, 8}) {
    const std::int64_t half = std::int64_t{1} << (b - 1);
    if (qmax <= half - 1 && qmin >= -half) return b;
  }
  return 0;
}

}  // namespace detail_import

inline window importer::read_window(const onnx::NodeProto& n, const tensor_shape& in, std::size_t kh, std::size_t kw,
                                    bool pooling) {
  const place p = at(n);
  window w;
  w.kernel_h = kh;
  w.kernel_w = kw;
  const auto strides = ints_attribute(n, "strides", {1, 1}, p);
  const auto dilations = ints_attribute(n, "dilations", {1, 1}, p);
  auto pads = ints_attribute(n, "pads", {0, 0, 0, 0}, p);
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4) {
    fail(n, "strides, dilations and pads are not 2-D; expected a 2-D window (4-D input)");
  }
  for (const auto v : strides) {
    if (v < 1 || v > 65536) fail(n, fmt::format("a stride of {}; expected 1 to 65536", v));
  }
  for (const auto v : dilations) {
    if (v < 1 || v > 65536) fail(n, fmt::format("a dilation of {}; expected 1 to 65536", v));
  }
  for (const auto v : pads) {
    if (v < 0 || v > 65536) fail(n, fmt::format("a pad of {}; expected 0 to 65536", v));
  }
  w.stride_h = static_cast<std::size_t>(strides[0]);
  w.stride_w = static_cast<std::size_t>(strides[1]);
  w.dilation_h = static_cast<std::size_t>(dilations[0]);
  w.dilation_w = static_cast<std::size_t>(dilations[1]);
  const std::string auto_pad = string_attribute(n, "auto_pad", "NOTSET", p);
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    auto same = [&](std::size_t extent, std::size_t kernel, std::size_t stride, std::size_t dilation, std::int64_t& a,
                    std::int64_t& b) {
      const std::size_t out = (extent + stride - 1) / stride;
      const std::size_t span = dilation * (kernel - 1) + 1;
      const std::size_t need = (out - 1) * stride + span;
      const std::size_t total = need > extent ? need - extent : 0;
      const std::size_t small = total / 2, large = total - small;
      a = static_cast<std::int64_t>(auto_pad == "SAME_UPPER" ? small : large);
      b = static_cast<std::int64_t>(auto_pad == "SAME_UPPER" ? large : small);
    };
    same(in.height, kh, w.stride_h, w.dilation_h, pads[0], pads[2]);
    same(in.width, kw, w.stride_w, w.dilation_w, pads[1], pads[3]);
  } else if (auto_pad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (auto_pad != "NOTSET") {
    fail(n, fmt::format("auto_pad '{}'; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID", auto_pad));
  }
  w.pad_top = static_cast<std::size_t>(pads[0]);
  w.pad_left = static_cast<std::size_t>(pads[1]);
  w.pad_bottom = static_cast<std::size_t>(pads[2]);
  w.pad_right = static_cast<std::size_t>(pads[3]);
  if (pooling) w.ceil_mode = int_attribute(n, "ceil_mode", 0, p) != 0;
  return w;
}

inline std::int64_t importer::weight_codes_of(const onnx::NodeProto& n, const quant_origin& q,
                                              source_weights& s) const {
  const bool unsigned_codes = q.dtype == onnx::TensorProto::UINT8;
  const std::int64_t shift = unsigned_codes ? 128 : 0;
  // Asymmetric weights are kept as stored (codes and zero points moved by the
  // same shift): the integer kernels refuse them, mixq::requantize converts them.
  bool asymmetric = false;
  for (const auto z : q.zero_point) asymmetric = asymmetric || z != shift;
  if (asymmetric) {
    for (const auto z : q.zero_point) s.zero_point.push_back(static_cast<std::int32_t>(z - shift));
  }
  s.bits = detail_import::weight_bits(q.qmin - shift, q.qmax - shift);
  if (s.bits == 0) fail(n, fmt::format("weight codes in [{}, {}]; expected int8 codes", q.qmin - shift, q.qmax - shift));
  return shift;
}

inline void importer::bias_codes_of(const onnx::NodeProto& n, const quant_origin& b, source_weights& s) const {
  if (b.dtype != onnx::TensorProto::INT32) fail(n, "a quantized bias that is not int32");
  for (const auto z : b.zero_point) {
    if (z != 0) fail(n, fmt::format("a bias with zero point {}; expected 0", z));
  }
  s.bias.assign(b.codes.begin(), b.codes.end());
  s.bias_scale = b.scale;
}

inline void importer::import_conv(const onnx::NodeProto& n) {
  const value_id x = float_input(n, 0);
  const tensor_shape in = shape_of(x);
  if (!in.image) fail(n, "the input is a vector; expected an image N x C x H x W");
  const constant& wt = constant_input(n, 1, "weights");
  if (wt.dims.size() != 4 || !wt.is_float()) {
    fail(n, fmt::format("weights of shape {}; expected float O x C x KH x KW (2-D convolution)", wt.shape_string()));
  }
  const auto o = static_cast<std::size_t>(wt.dims[0]), cg = static_cast<std::size_t>(wt.dims[1]),
             kh = static_cast<std::size_t>(wt.dims[2]), kw = static_cast<std::size_t>(wt.dims[3]);
  const std::int64_t group = int_attribute(n, "group", 1, at(n));
  bool depthwise = false;
  if (group == 1) {
    if (cg != in.channels) fail(n, fmt::format("weights for {} input channels, but the input has {}", cg, in.channels));
  } else if (group == static_cast<std::int64_t>(in.channels) && o == in.channels && cg == 1) {
    depthwise = true;
  } else {
    fail(n, fmt::format("a grouped convolution (group = {}, {} -> {} channels); mixq takes group = 1 or depthwise "
                        "(group = input channels = output channels)",
                        group, in.channels, o));
  }
  const auto ks = ints_attribute(n, "kernel_shape", {wt.dims[2], wt.dims[3]}, at(n));
  if (ks.size() != 2 || ks[0] != wt.dims[2] || ks[1] != wt.dims[3]) {
    fail(n, fmt::format("kernel_shape does not match the weights' {}x{}", kh, kw));
  }
  if (o == 0 || kh == 0 || kw == 0) fail(n, "weights with an empty dimension");
  conv_op op;
  op.geometry = read_window(n, in, kh, kw, false);
  op.out_channels = o;
  op.depthwise = depthwise;
  // O x C x KH x KW -> O x KH x KW x C.
  op.weights.resize(wt.f.size());
  auto ohwi = [&](std::size_t k) {
    const std::size_t c = (k / (kh * kw)) % cg, ky = (k / kw) % kh, kx = k % kw, out = k / (cg * kh * kw);
    return ((out * kh + ky) * kw + kx) * cg + c;
  };
  for (std::size_t k = 0; k < wt.f.size(); ++k) op.weights[ohwi(k)] = wt.f[k];
  op.bias.assign(o, 0.0f);
  const constant* bias = has_input(n, 2) ? &constant_input(n, 2, "bias") : nullptr;
  if (bias) {
    if (bias->size() != o || !bias->is_float()) fail(n, fmt::format("a bias of shape {}; expected {} floats", bias->shape_string(), o));
    op.bias = bias->f;
  }
  if (wt.origin) {
    source_weights s;
    const quant_origin& q = *wt.origin;
    if (q.axis != -1 && q.axis != 0) fail(n, fmt::format("weights quantized along axis {}; expected per output channel (axis 0) or per tensor", q.axis));
    const std::int64_t shift = weight_codes_of(n, q, s);
    s.codes.resize(q.codes.size());
    for (std::size_t k = 0; k < q.codes.size(); ++k) s.codes[ohwi(k)] = static_cast<std::int8_t>(q.codes[k] - shift);
    s.scale = q.scale;
    if (bias && bias->origin) bias_codes_of(n, *bias->origin, s);
    op.source = std::move(s);
  }
  add_layer(n, std::move(op), {x});
}

inline void importer::import_dense(const onnx::NodeProto& n) {
  const bool gemm = n.op_type() == "Gemm";
  const value_id x = float_input(n, 0);
  const tensor_shape in = shape_of(x);
  const constant& b = constant_input(n, 1, "weights");
  if (b.dims.size() != 2 || !b.is_float()) {
    fail(n, fmt::format("weights of shape {}; expected a float matrix", b.shape_string()));
  }
  const place p = at(n);
  if (gemm && int_attribute(n, "transA", 0, p) != 0) fail(n, "transA = 1; expected the input untransposed");
  const bool trans_b = gemm && int_attribute(n, "transB", 0, p) != 0;
  const float alpha = gemm ? float_attribute(n, "alpha", 1.0f, p) : 1.0f;
  const float beta = gemm ? float_attribute(n, "beta", 1.0f, p) : 1.0f;
  const auto rows = static_cast<std::size_t>(b.dims[0]), cols = static_cast<std::size_t>(b.dims[1]);
  const std::size_t k_in = trans_b ? cols : rows, n_out = trans_b ? rows : cols;
  if (k_in != in.elements() || (in.image && in.height * in.width != 1)) {
    fail(n, fmt::format("weights of shape {} for an input of {}; expected {} inputs", b.shape_string(),
                        to_string(in), k_in));
  }
  if (n_out == 0) fail(n, "weights with no outputs");
  dense_op op;
  op.out_features = n_out;
  op.weights.resize(n_out * k_in);
  auto index = [&](std::size_t r, std::size_t k) { return trans_b ? r * k_in + k : k * n_out + r; };
  for (std::size_t r = 0; r < n_out; ++r) {
    for (std::size_t k = 0; k < k_in; ++k) op.weights[r * k_in + k] = alpha * b.f[index(r, k)];
  }
  op.bias.assign(n_out, 0.0f);
  const constant* c = gemm && has_input(n, 2) ? &constant_input(n, 2, "bias") : nullptr;
  if (c) {
    if (!c->is_float() || (c->size() != n_out && c->size() != 1)) {
      fail(n, fmt::format("a bias of shape {}; expected {} floats (or one)", c->shape_string(), n_out));
    }
    for (std::size_t r = 0; r < n_out; ++r) op.bias[r] = beta * c->f[c->size() == 1 ? 0 : r];
  }
  if (b.origin) {
    const quant_origin& q = *b.origin;
    const int output_axis = trans_b ? 0 : 1;
    if (q.axis != -1 && q.axis != output_axis) {
      fail(n, fmt::format("weights quantized along axis {}; expected per output (axis {}) or per tensor", q.axis,
                          output_axis));
    }
    source_weights s;
    const std::int64_t shift = weight_codes_of(n, q, s);
    s.codes.resize(n_out * k_in);
    for (std::size_t r = 0; r < n_out; ++r) {
      for (std::size_t k = 0; k < k_in; ++k) s.codes[r * k_in + k] = static_cast<std::int8_t>(q.codes[index(r, k)] - shift);
    }
    s.scale = q.scale;
    for (auto& v : s.scale) v *= alpha;
    if (c && c->origin && beta == 1.0f && c->size() == n_out) bias_codes_of(n, *c->origin, s);
    op.source = std::move(s);
  }
  add_layer(n, std::move(op), {x});
}

inline void importer::import_pool(const onnx::NodeProto& n) {
  const value_id x = float_input(n, 0);
  const tensor_shape in = shape_of(x);
  if (!in.image) fail(n, "the input is a vector; expected an image N x C x H x W");
  const std::string& op = n.op_type();
  if (op == "GlobalAveragePool") {
    add_layer(n, global_pool_op{}, {x});
    return;
  }
  if (op == "GlobalMaxPool") {
    add_layer(n, pool_op{true, window{in.height, in.width}, false}, {x});
    return;
  }
  if (n.output_size() > 1 && !n.output(1).empty()) fail(n, "the Indices output is used; expected one output");
  const place p = at(n);
  if (int_attribute(n, "storage_order", 0, p) != 0) fail(n, "storage_order = 1; expected 0");
  const auto ks = ints_attribute(n, "kernel_shape", {}, p);
  if (ks.size() != 2 || ks[0] < 1 || ks[1] < 1 || ks[0] > 65536 || ks[1] > 65536) {
    fail(n, "kernel_shape is not two sizes from 1 to 65536; expected a 2-D window");
  }
  pool_op pool;
  pool.max = op == "MaxPool";
  if (!pool.max && find_attribute(n, "dilations")) fail(n, "dilations in average pooling are not supported");
  pool.geometry = read_window(n, in, static_cast<std::size_t>(ks[0]), static_cast<std::size_t>(ks[1]), true);
  pool.count_include_pad = !pool.max && int_attribute(n, "count_include_pad", 0, p) != 0;
  add_layer(n, pool, {x});
}

inline void importer::import_elementwise(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  const bool c0 = has_input(n, 0) && is_constant(n.input(0)), c1 = has_input(n, 1) && is_constant(n.input(1));
  if (!c0 && !c1) {
    if (op != "Add") fail(n, "both operands are computed at run time; mixq takes Add of two tensors, and Sub, Mul, Div by constants");
    add_layer(n, add_op{}, {float_input(n, 0), float_input(n, 1)});
    return;
  }
  const value_id x = float_input(n, c0 ? 1 : 0);
  const constant& c = constant_input(n, c0 ? 0 : 1, "constant operand");
  const tensor_shape s = shape_of(x);
  // One value, or one per channel laid out to broadcast over N x C x H x W (or N x F).
  std::size_t per = 0;
  std::vector<std::int64_t> dims = c.dims;
  while (!dims.empty() && dims.front() == 1 && dims.size() > (s.image ? 3u : 1u)) dims.erase(dims.begin());
  if (c.size() == 1) {
    per = 1;
  } else if (s.image && dims.size() == 3 && dims[0] == static_cast<std::int64_t>(s.channels) && dims[1] == 1 && dims[2] == 1) {
    per = s.channels;
  } else if (!s.image && dims.size() == 1 && dims[0] == static_cast<std::int64_t>(s.channels)) {
    per = s.channels;
  } else {
    fail(n, fmt::format("a constant of shape {} with a tensor of {}; expected one value or one per channel", c.shape_string(),
                        to_string(s)));
  }
  std::vector<float> v(per);
  for (std::size_t k = 0; k < per; ++k) v[k] = static_cast<float>(c.at(k));
  affine_op a;
  if (op == "Add") {
    a = {{1.0f}, v};
  } else if (op == "Sub") {
    if (c0) {
      a = {{-1.0f}, v};
    } else {
      for (auto& e : v) e = -e;
      a = {{1.0f}, v};
    }
  } else if (op == "Mul") {
    a = {v, {0.0f}};
  } else {
    if (c0) fail(n, "a constant divided by a tensor; expected a tensor divided by a constant");
    for (auto& e : v) {
      if (e == 0.0f) fail(n, "division by zero");
      e = 1.0f / e;
    }
    a = {v, {0.0f}};
  }
  add_layer(n, std::move(a), {x});
}

inline void importer::import_batch_norm(const onnx::NodeProto& n) {
  const value_id x = float_input(n, 0);
  const place p = at(n);
  if (int_attribute(n, "training_mode", 0, p) != 0) fail(n, "training_mode = 1; expected an inference graph");
  for (int k = 1; k < n.output_size(); ++k) {
    if (!n.output(k).empty()) fail(n, "running statistics are outputs; expected an inference graph");
  }
  const std::size_t c = shape_of(x).channels;
  const float eps = float_attribute(n, "epsilon", 1e-5f, p);
  const constant &gamma = constant_input(n, 1, "scale"), &beta = constant_input(n, 2, "bias"),
                 &mean = constant_input(n, 3, "mean"), &var = constant_input(n, 4, "var");
  for (const constant* t : {&gamma, &beta, &mean, &var}) {
    if (!t->is_float() || t->size() != c) fail(n, fmt::format("a parameter of shape {}; expected {} floats", t->shape_string(), c));
  }
  affine_op a;
  a.scale.resize(c);
  a.shift.resize(c);
  for (std::size_t k = 0; k < c; ++k) {
    if (!(var.f[k] + eps > 0.0f)) fail(n, fmt::format("var[{}] + epsilon = {}; expected > 0", k, var.f[k] + eps));
    a.scale[k] = gamma.f[k] / std::sqrt(var.f[k] + eps);
    a.shift[k] = beta.f[k] - mean.f[k] * a.scale[k];
  }
  add_layer(n, std::move(a), {x});
}

inline void importer::import_reshape_like(const onnx::NodeProto& n) {
  const value_id x = float_input(n, 0);
  const tensor_shape s = shape_of(x);
  const place p = at(n);
  const std::string& op = n.op_type();
  auto to_vector = [&] {
    if (!s.image) return alias(n, x);
    add_layer(n, flatten_op{}, {x});
  };
  if (op == "Flatten") {
    const std::size_t axis = normalized_axis(int_attribute(n, "axis", 1, p), s.image ? 5 : 3, p);
    if (axis == 1 || (!s.image && axis == 2) || (s.image && s.height * s.width == 1 && axis == 2)) return to_vector();
    fail(n, fmt::format("Flatten with axis {}; expected axis 1 (keep the batch, flatten the rest)", axis));
  }
  if (op == "Squeeze") {
    std::vector<std::int64_t> axes = has_input(n, 1) ? constant_input(n, 1, "axes").i : ints_attribute(n, "axes", {}, p);
    std::set<std::size_t> set;
    for (const auto a : axes) set.insert(normalized_axis(a, s.image ? 4 : 2, p));
    if (s.image && s.height == 1 && s.width == 1 && set == std::set<std::size_t>{2, 3}) return to_vector();
    fail(n, fmt::format("a Squeeze of {}; expected the two 1-sized spatial axes of an N x C x 1 x 1 tensor", to_string(s)));
  }
  // Reshape: the batch stays first; the rest either stays or becomes one axis.
  const constant& shape = constant_input(n, 1, "shape");
  if (shape.is_float()) fail(n, "the shape is not integer");
  std::vector<std::int64_t> full = s.image ? std::vector<std::int64_t>{1, static_cast<std::int64_t>(s.channels),
                                                                       static_cast<std::int64_t>(s.height),
                                                                       static_cast<std::int64_t>(s.width)}
                                           : std::vector<std::int64_t>{1, static_cast<std::int64_t>(s.channels)};
  std::string asked = "[";  // the shape's values, for messages
  for (std::size_t k = 0; k < shape.i.size(); ++k) asked += fmt::format("{}{}", k ? ", " : "", shape.i[k]);
  asked += "]";
  const auto total = static_cast<std::int64_t>(s.elements());
  auto mismatch = [&] {
    fail(n, fmt::format("a reshape of N x {} to {}; expected the batch first and {} elements after it", to_string(s),
                        asked, total));
  };
  std::vector<std::int64_t> target = shape.i;
  std::int64_t known = 1;
  int infer = -1;
  for (std::size_t k = 0; k < target.size(); ++k) {
    if (target[k] == 0 && k < full.size()) target[k] = full[k];
    if (target[k] == -1 && infer < 0) {
      infer = static_cast<int>(k);
    } else if (target[k] <= 0) {
      fail(n, fmt::format("the shape {} has an entry {}; expected sizes, 0 or one -1", asked, target[k]));
    } else {
      if (target[k] > total || known > total / target[k]) mismatch();  // (and no overflow below)
      known *= target[k];
    }
  }
  if (infer >= 0) target[static_cast<std::size_t>(infer)] = known ? total / known : 0;
  std::int64_t product = 1;
  for (const auto d : target) product *= d;
  if (product != total || target.empty() || target[0] != 1) mismatch();
  if (target == full) return alias(n, x);
  if (target.size() == 2) return to_vector();
  fail(n, fmt::format("a reshape of N x {} to {}; mixq takes reshapes to N x {} (flatten) only", to_string(s), asked,
                      total));
}

inline void importer::import_concat(const onnx::NodeProto& n) {
  std::vector<value_id> xs;
  for (int k = 0; k < n.input_size(); ++k) xs.push_back(float_input(n, k));
  if (xs.empty()) fail(n, "a Concat of nothing");
  const tensor_shape s = shape_of(xs[0]);
  const std::size_t axis = normalized_axis(int_attribute(n, "axis", 1, at(n)), s.image ? 4 : 2, at(n));
  if (axis != 1) fail(n, fmt::format("a Concat along axis {}; expected the channel axis (1)", axis));
  add_layer(n, concat_op{}, std::move(xs));
}

}  // namespace mixq::onnx_io
