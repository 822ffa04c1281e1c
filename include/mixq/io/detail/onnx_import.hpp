#pragma once
// ONNX graph -> mixq::network. The nodes are read in order: constants fold
// (initializers, Constant, shape arithmetic, DequantizeLinear of stored
// codes), activations become layers, and QuantizeLinear -> [Cast | Clip] ->
// DequantizeLinear pairs on activations become the quantization parameters
// of the value they wrap. Then clamps and affine maps fold into the layers
// before them, and what does not reach the output is dropped.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include <mixq/io/detail/onnx_tensors.hpp>
#include <mixq/model/graph.hpp>

namespace mixq::onnx_io {

/// A tensor of the graph that is not constant: a value of the network, or
/// the codes a QuantizeLinear made of one.
struct activation_ref {
  value_id value = 0;
  std::optional<activation_params> codes;
};

class importer {
public:
  importer(const onnx::ModelProto& m, std::string file, const import_limits& limits)
      : model_(m), file_(std::move(file)), limits_(limits) {}

  network run();

private:
  // ---- lookups

  place at(const onnx::NodeProto& n) const { return {file_, n.name(), n.op_type()}; }
  [[noreturn]] void fail(const onnx::NodeProto& n, const std::string& message) const {
    throw error(fmt::format("{}: {}", at(n).str(), message));
  }
  bool has_input(const onnx::NodeProto& n, int k) const { return n.input_size() > k && !n.input(k).empty(); }
  bool is_constant(const std::string& name) const { return constants_.count(name) != 0; }
  const constant& constant_input(const onnx::NodeProto& n, int k, std::string_view role) const {
    if (!has_input(n, k)) fail(n, fmt::format("input {} ({}) is missing", k, role));
    const auto it = constants_.find(n.input(k));
    if (it == constants_.end()) {
      if (activations_.count(n.input(k))) {
        fail(n, fmt::format("input {} ({}) '{}' is computed at run time; expected a constant (an initializer or a "
                            "Constant node)",
                            k, role, n.input(k)));
      }
      fail(n, fmt::format("input {} ({}) '{}' is not defined by any earlier node, initializer or graph input "
                          "(a dangling input, or a cycle)",
                          k, role, n.input(k)));
    }
    return it->second;
  }
  const activation_ref& activation_input(const onnx::NodeProto& n, int k) const {
    if (!has_input(n, k)) fail(n, fmt::format("input {} is missing", k));
    const auto it = activations_.find(n.input(k));
    if (it == activations_.end()) {
      if (is_constant(n.input(k))) {
        fail(n, fmt::format("input {} '{}' is a constant; expected a tensor computed from the graph input", k,
                            n.input(k)));
      }
      fail(n, fmt::format("input {} '{}' is not defined by any earlier node, initializer or graph input "
                          "(a dangling input, or a cycle)",
                          k, n.input(k)));
    }
    return it->second;
  }
  // A float activation: codes are read through a DequantizeLinear first.
  value_id float_input(const onnx::NodeProto& n, int k) const {
    const activation_ref& a = activation_input(n, k);
    if (a.codes) {
      fail(n, fmt::format("input {} '{}' holds quantized codes (a QuantizeLinear output); expected float values "
                          "(a DequantizeLinear between them)",
                          k, n.input(k)));
    }
    return a.value;
  }
  const tensor_shape& shape_of(value_id v) const { return values_[v].shape; }

  // ---- building

  value_id add_layer(const onnx::NodeProto& n, layer_op op, std::vector<value_id> inputs, int output = 0);
  void alias(const onnx::NodeProto& n, value_id v, int output = 0);
  void define_constant(const onnx::NodeProto& n, constant c, int output = 0);

  // ---- node kinds (onnx_import_nodes.hpp)
  void import_node(const onnx::NodeProto& n);
  bool fold_constant_node(const onnx::NodeProto& n);
  void import_quantize(const onnx::NodeProto& n);
  void import_dequantize(const onnx::NodeProto& n);
  void import_clip(const onnx::NodeProto& n);
  void import_conv(const onnx::NodeProto& n);
  void import_dense(const onnx::NodeProto& n);
  // The stored weight codes' width (into s.bits) and the shift that makes them signed (128 for uint8).
  std::int64_t weight_codes_of(const onnx::NodeProto& n, const quant_origin& q, source_weights& s) const;
  // A quantized bias: int32 codes, zero point 0.
  void bias_codes_of(const onnx::NodeProto& n, const quant_origin& b, source_weights& s) const;
  void import_pool(const onnx::NodeProto& n);
  void import_elementwise(const onnx::NodeProto& n);
  void import_batch_norm(const onnx::NodeProto& n);
  void import_reshape_like(const onnx::NodeProto& n);
  void import_concat(const onnx::NodeProto& n);
  window read_window(const onnx::NodeProto& n, const tensor_shape& in, std::size_t kh, std::size_t kw, bool pooling);
  activation_params read_qparams(const onnx::NodeProto& n, int scale_input, int zp_input, std::vector<float>* scales,
                                 std::vector<std::int64_t>* zero_points, int* dtype) const;
  value_id annotate(const onnx::NodeProto& n, value_id v, const activation_params& p);

  // ---- after the walk (onnx_import_passes.hpp): fold affine maps and clamps, drop dead layers
  network finish(value_id output);

  const onnx::ModelProto& model_;
  std::string file_;
  import_limits limits_;
  std::int64_t opset_ = 0;
  std::map<std::string, constant> constants_;
  std::map<std::string, activation_ref> activations_;
  std::vector<layer> layers_;
  std::vector<value_info> values_;
  std::set<std::string> layer_names_;
};

}  // namespace mixq::onnx_io

#include <mixq/io/detail/onnx_import_nodes.hpp>
#include <mixq/io/detail/onnx_import_passes.hpp>
