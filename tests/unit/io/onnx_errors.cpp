// io/onnx.hpp on bad input: each file, built here with libonnx's protobuf
// classes from a small valid model, is refused with a mixq::error whose
// message names the file (and the node, where one is at fault), the value
// seen and what was expected.

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <mixq/io/onnx.hpp>
#include <mixq/model/model.hpp>
#include <mixq/requant/network.hpp>

#include "unit/io/onnx_support.hpp"

namespace {

using namespace mixq_test::onnx;
using Catch::Contains;
namespace fs = std::filesystem;

constexpr std::int64_t symbolic = -1;  // a dimension given by name ("N")
const std::string file = "bad.onnx";

// A model under construction; the functions below start from valid ones.
class model_builder {
public:
  explicit model_builder(std::int64_t opset = 13) {
    m_.set_ir_version(7);
    auto* o = m_.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    m_.mutable_graph()->set_name("bad");
  }

  ::onnx::ModelProto& proto() { return m_; }
  ::onnx::GraphProto& graph() { return *m_.mutable_graph(); }

  ::onnx::ValueInfoProto& input(const std::string& name, std::initializer_list<std::int64_t> dims) {
    auto* v = graph().add_input();
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(::onnx::TensorProto::FLOAT);
    for (const std::int64_t d : dims) {
      if (d == symbolic) {
        t->mutable_shape()->add_dim()->set_dim_param("N");
      } else {
        t->mutable_shape()->add_dim()->set_dim_value(d);
      }
    }
    return *v;
  }
  void output(const std::string& name) {
    auto* v = graph().add_output();
    v->set_name(name);
    v->mutable_type()->mutable_tensor_type()->set_elem_type(::onnx::TensorProto::FLOAT);
  }

  // Floats counting up from `first` in steps of `step`.
  ::onnx::TensorProto& floats(const std::string& name, std::initializer_list<std::int64_t> dims, float first = 0.1f,
                              float step = 0.01f) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(::onnx::TensorProto::FLOAT);
    std::int64_t n = 1;
    for (const std::int64_t d : dims) {
      t->add_dims(d);
      n *= d;
    }
    for (std::int64_t k = 0; k < n; ++k) t->add_float_data(first + step * static_cast<float>(k));
    return *t;
  }
  // Integers (int8, uint8, int32 in int32_data; int64 in int64_data).
  ::onnx::TensorProto& ints(const std::string& name, int dtype, std::initializer_list<std::int64_t> dims,
                            const std::vector<std::int64_t>& values) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(dtype);
    for (const std::int64_t d : dims) t->add_dims(d);
    for (const std::int64_t v : values) {
      if (dtype == ::onnx::TensorProto::INT64) {
        t->add_int64_data(v);
      } else {
        t->add_int32_data(static_cast<std::int32_t>(v));
      }
    }
    return *t;
  }
  ::onnx::TensorProto& initializer(const std::string& name) {
    for (auto& t : *graph().mutable_initializer()) {
      if (t.name() == name) return t;
    }
    FAIL("no initializer " << name);
    throw;
  }

  ::onnx::NodeProto& node(const std::string& op, const std::string& name, std::initializer_list<std::string> inputs,
                          std::initializer_list<std::string> outputs) {
    auto* n = graph().add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return *n;
  }
  ::onnx::NodeProto& find(const std::string& name) {
    for (auto& n : *graph().mutable_node()) {
      if (n.name() == name) return n;
    }
    FAIL("no node " << name);
    throw;
  }
  static void attr(::onnx::NodeProto& n, const std::string& name, std::int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::INT);
    a->set_i(v);
  }

  std::string bytes() const {
    std::string b;
    REQUIRE(m_.SerializeToString(&b));
    return b;
  }

private:
  ::onnx::ModelProto m_;
};

// x [N, 2, 5, 5] -> Conv 'conv' (W [3, 2, 3, 3], B [3]) -> Relu 'relu' -> y
model_builder conv_model() {
  model_builder b;
  b.input("x", {symbolic, 2, 5, 5});
  b.floats("W", {3, 2, 3, 3}, -0.2f, 0.01f);
  b.floats("B", {3});
  b.node("Conv", "conv", {"x", "W", "B"}, {"c"});
  b.node("Relu", "relu", {"c"}, {"y"});
  b.output("y");
  return b;
}

// x [N, 2, 4, 4] -> Q 'quantize' -> DQ 'dequantize' (scale s, zero point z: uint8)
//   -> Conv 'conv' (weights DQ 'weight_dq' of int8 codes Wq, scales Ws [3] along axis 0, zero points Wz) -> y
model_builder qdq_model() {
  model_builder b;
  b.input("x", {symbolic, 2, 4, 4});
  b.floats("s", {}, 0.02f);
  b.ints("z", ::onnx::TensorProto::UINT8, {}, {128});
  b.node("QuantizeLinear", "quantize", {"x", "s", "z"}, {"xq"});
  b.node("DequantizeLinear", "dequantize", {"xq", "s", "z"}, {"xd"});
  std::vector<std::int64_t> codes;
  for (int k = 0; k < 3 * 2 * 3 * 3; ++k) codes.push_back(k % 19 - 9);
  b.ints("Wq", ::onnx::TensorProto::INT8, {3, 2, 3, 3}, codes);
  b.floats("Ws", {3}, 0.01f, 0.005f);
  b.ints("Wz", ::onnx::TensorProto::INT8, {3}, {0, 0, 0});
  auto& dq = b.node("DequantizeLinear", "weight_dq", {"Wq", "Ws", "Wz"}, {"W"});
  model_builder::attr(dq, "axis", 0);
  b.node("Conv", "conv", {"xd", "W"}, {"y"});
  b.output("y");
  return b;
}

std::string import_error(const model_builder& b, const mixq::import_limits& limits = {}) {
  const std::string bytes = b.bytes();
  return error_message([&] { mixq::import_onnx_bytes(bytes.data(), bytes.size(), file, limits); });
}

// A file in the system's temporary folder, removed afterwards.
class scratch_file {
public:
  explicit scratch_file(const std::string& bytes) {
    std::random_device rd;
    path_ = (fs::temp_directory_path() / fmt::format("mixq_onnx_errors_{:08x}{:08x}.onnx", rd(), rd())).string();
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  scratch_file(const scratch_file&) = delete;
  scratch_file& operator=(const scratch_file&) = delete;
  ~scratch_file() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

}  // namespace

TEST_CASE("onnx errors: the models the bad ones are made from import", "[onnx]") {
  for (model_builder b : {conv_model(), qdq_model()}) {
    const std::string bytes = b.bytes();
    const mixq::network net = mixq::import_onnx_bytes(bytes.data(), bytes.size(), file);
    CHECK(net.weighted_layers().size() == 1);
  }
}

TEST_CASE("onnx errors: truncated files, random bytes and missing files", "[onnx]") {
  const std::string bytes = conv_model().bytes();
  SECTION("a file cut in half") {
    const scratch_file f(bytes.substr(0, bytes.size() / 2));
    CHECK_THAT(error_message([&] { mixq::import_onnx(f.path()); }),
               Contains(f.path()) &&
                   Contains("not a valid ONNX model: the protobuf message is malformed or truncated"));
  }
  SECTION("a file cut one byte short") {
    const std::string cut = bytes.substr(0, bytes.size() - 1);
    CHECK_THAT(error_message([&] { mixq::import_onnx_bytes(cut.data(), cut.size(), file); }),
               Contains(file) && Contains("malformed or truncated"));
  }
  SECTION("an empty file") {
    const scratch_file f("");
    CHECK_THAT(error_message([&] { mixq::import_onnx(f.path()); }), Contains(f.path()) && Contains("has no graph"));
  }
  SECTION("random bytes") {
    std::mt19937 rng(2024);
    std::string noise(4096, '\0');
    for (char& c : noise) c = static_cast<char>(rng() & 0xFF);
    CHECK_THAT(error_message([&] { mixq::import_onnx_bytes(noise.data(), noise.size(), file); }),
               Contains(file) && Contains("not a valid ONNX model"));
  }
  SECTION("no such file") {
    CHECK_THAT(error_message([] { mixq::import_onnx("/nonexistent/mixq/model.onnx"); }),
               Contains("/nonexistent/mixq/model.onnx: cannot open the file"));
  }
  SECTION("a file larger than import_limits::max_file_bytes") {
    const scratch_file f(bytes);
    mixq::import_limits limits;
    limits.max_file_bytes = 16;
    CHECK_THAT(error_message([&] { mixq::import_onnx(f.path(), limits); }),
               Contains(f.path()) && Contains("expected at most 16 (import_limits::max_file_bytes)"));
  }
}

TEST_CASE("onnx errors: graphs that are not DAGs of defined tensors", "[onnx]") {
  SECTION("a cycle") {
    model_builder b;
    b.input("x", {1, 2, 3, 3});
    b.node("Relu", "first", {"b"}, {"a"});
    b.node("Relu", "second", {"a"}, {"b"});
    b.output("b");
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'first' (Relu): input 0 'b' is not defined by any earlier "
                                         "node, initializer or graph input (a dangling input, or a cycle)"));
  }
  SECTION("a dangling activation input") {
    model_builder b = conv_model();
    b.find("conv").set_input(0, "nowhere");
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'conv' (Conv): input 0 'nowhere' is not defined by any "
                                         "earlier node"));
  }
  SECTION("a dangling weight input") {
    model_builder b = conv_model();
    b.find("conv").set_input(1, "W_missing");
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'conv' (Conv): input 1 (weights) 'W_missing' is not defined"));
  }
  SECTION("an output no node computes") {
    model_builder b = conv_model();
    b.graph().mutable_output(0)->set_name("z");
    CHECK_THAT(import_error(b), Contains("bad.onnx: the output 'z' is not computed by any node"));
  }
  SECTION("a node without outputs") {
    model_builder b = conv_model();
    b.find("relu").clear_output();
    CHECK_THAT(import_error(b),
               Contains("bad.onnx: node 'relu' (Relu): the node has no output; expected at least one"));
  }
  SECTION("a constant where a tensor computed from the input is expected") {
    model_builder b = conv_model();
    b.floats("K", {1, 2, 5, 5});
    b.find("conv").set_input(0, "K");
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'conv' (Conv): input 0 'K' is a constant") &&
                                    Contains("expected a tensor computed from the graph input"));
  }
}

TEST_CASE("onnx errors: operators and forms mixq does not take", "[onnx]") {
  SECTION("an unsupported operator") {
    model_builder b = conv_model();
    b.find("relu").set_op_type("Softmax");
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'relu' (Softmax): this operator is not supported; mixq "
                                         "imports Conv"));
  }
  SECTION("an operator of another domain") {
    model_builder b = conv_model();
    b.find("relu").set_domain("com.microsoft");
    CHECK_THAT(import_error(b), Contains("node 'relu' (Relu): operators of domain 'com.microsoft' are not supported"));
  }
  SECTION("a grouped convolution: group 2 of 4 channels") {
    model_builder b;
    b.input("x", {1, 4, 5, 5});
    b.floats("W", {4, 2, 3, 3});
    b.node("Conv", "conv", {"x", "W"}, {"y"});
    model_builder::attr(b.find("conv"), "group", 2);
    b.output("y");
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'conv' (Conv): a grouped convolution (group = 2, 4 -> 4 "
                                         "channels); mixq takes group = 1 or depthwise"));
  }
  SECTION("Dropout in training mode") {
    model_builder b = conv_model();
    b.find("relu").set_op_type("Dropout");
    b.find("relu").add_input("ratio");
    b.find("relu").add_input("training");
    b.floats("ratio", {}, 0.5f);
    b.ints("training", ::onnx::TensorProto::BOOL, {}, {1});
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'relu' (Dropout): training_mode is true; expected an "
                                         "inference graph"));
  }
  SECTION("BatchNormalization in training mode") {
    model_builder b = conv_model();
    auto& bn = b.find("relu");
    bn.set_op_type("BatchNormalization");
    for (const char* p : {"gamma", "beta", "mean", "var"}) {
      bn.add_input(p);
      b.floats(p, {3}, 1.0f, 0.0f);
    }
    model_builder::attr(bn, "training_mode", 1);
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'relu' (BatchNormalization): training_mode = 1; expected an "
                                         "inference graph"));
  }
}

TEST_CASE("onnx errors: weights that are not finite", "[onnx]") {
  SECTION("NaN") {
    model_builder b = conv_model();
    b.initializer("W").set_float_data(4, std::numeric_limits<float>::quiet_NaN());
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'conv' (Conv)") &&
                                    Contains("weights[") && Contains("= nan is invalid; expected finite values"));
  }
  SECTION("infinite bias") {
    model_builder b = conv_model();
    b.initializer("B").set_float_data(1, -std::numeric_limits<float>::infinity());
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'conv' (Conv)") &&
                                    Contains("bias[1] = -inf is invalid; expected finite values"));
  }
  SECTION("a NaN scale in a Mul by a constant") {
    model_builder b = conv_model();
    b.find("relu").set_op_type("Mul");
    b.find("relu").add_input("k");
    b.floats("k", {}, std::numeric_limits<float>::quiet_NaN());
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'relu' (Mul)") && Contains("scale[0] = nan is invalid"));
  }
}

TEST_CASE("onnx errors: quantization parameters", "[onnx]") {
  SECTION("an activation scale of 0") {
    model_builder b = qdq_model();
    b.initializer("s").set_float_data(0, 0.0f);
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'quantize' (QuantizeLinear): scale[0] = 0 is invalid; "
                                         "expected a finite scale > 0"));
  }
  SECTION("a negative weight scale") {
    model_builder b = qdq_model();
    b.initializer("Ws").set_float_data(1, -0.5f);
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'weight_dq' (DequantizeLinear): scale[1] = -0.5 is invalid; "
                                         "expected a finite scale > 0"));
  }
  SECTION("a NaN weight scale") {
    model_builder b = qdq_model();
    b.initializer("Ws").set_float_data(2, std::numeric_limits<float>::quiet_NaN());
    CHECK_THAT(import_error(b), Contains("node 'weight_dq' (DequantizeLinear): scale[2] = nan is invalid"));
  }
  SECTION("a float zero point") {
    model_builder b = qdq_model();
    b.graph().mutable_initializer()->erase(b.graph().mutable_initializer()->begin() + 1);  // z
    b.floats("z", {}, 128.0f);
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'quantize' (QuantizeLinear): the zero point is of type float; "
                                         "expected uint8, int8"));
  }
  SECTION("an int32 zero point on an activation") {
    model_builder b = qdq_model();
    b.graph().mutable_initializer()->erase(b.graph().mutable_initializer()->begin() + 1);  // z
    b.ints("z", ::onnx::TensorProto::INT32, {}, {1000});
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'quantize' (QuantizeLinear): the zero point is of type "
                                         "int32; expected uint8 or int8"));
  }
  SECTION("per-channel quantization of an activation") {
    model_builder b = qdq_model();
    b.graph().mutable_initializer()->erase(b.graph().mutable_initializer()->begin(),
                                           b.graph().mutable_initializer()->begin() + 2);  // s, z
    b.floats("s", {2}, 0.02f);
    b.ints("z", ::onnx::TensorProto::UINT8, {2}, {128, 128});
    model_builder::attr(b.find("quantize"), "axis", 1);
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'quantize' (QuantizeLinear): 2 scales: per-channel "
                                         "quantization of activations; expected one scale per tensor"));
  }
  SECTION("a DequantizeLinear whose parameters differ from its QuantizeLinear's") {
    model_builder b = qdq_model();
    b.floats("s2", {}, 0.04f);
    b.find("dequantize").set_input(1, "s2");
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'dequantize' (DequantizeLinear): scale 0.04 and zero point "
                                         "128 differ from those of the QuantizeLinear"));
  }
}

TEST_CASE("onnx errors: declared sizes beyond what the data or the limits allow", "[onnx]") {
  SECTION("dimensions whose product overflows") {
    model_builder b = conv_model();
    auto& w = b.initializer("W");
    w.set_dims(0, std::int64_t{1} << 40);
    w.set_dims(1, std::int64_t{1} << 40);
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'W' (initializer): tensor 'W' declares more than") &&
                                    Contains("(import_limits::max_tensor_elements)"));
  }
  SECTION("a negative dimension") {
    model_builder b = conv_model();
    b.initializer("W").set_dims(2, -3);
    CHECK_THAT(import_error(b), Contains("tensor 'W' has a dimension of -3; expected dimensions >= 0"));
  }
  SECTION("more elements than import_limits::max_tensor_elements") {
    mixq::import_limits limits;
    limits.max_tensor_elements = 50;
    CHECK_THAT(import_error(conv_model(), limits),
               Contains("bad.onnx: node 'W' (initializer): tensor 'W' declares more than 50 elements; expected at most "
                        "50 (import_limits::max_tensor_elements)"));
  }
  SECTION("more nodes than import_limits::max_nodes") {
    mixq::import_limits limits;
    limits.max_nodes = 1;
    CHECK_THAT(import_error(conv_model(), limits),
               Contains("bad.onnx: the graph has 2 nodes; expected at most 1 (import_limits::max_nodes)"));
  }
  SECTION("a rank above import_limits::max_rank") {
    model_builder b = conv_model();
    b.floats("R", {1, 1, 1, 1, 1, 1, 1, 1, 1});
    CHECK_THAT(import_error(b), Contains("tensor 'R' has rank 9; expected at most 8"));
  }
  SECTION("an input dimension beyond the limit") {
    model_builder b = conv_model();
    b.graph().mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(2)->set_dim_value(
        std::int64_t{1} << 40);
    CHECK_THAT(import_error(b), Contains("bad.onnx: input 'x' dimension 2 is 1099511627776; expected a fixed size from "
                                         "1 to 268435456"));
  }
  SECTION("input dimensions whose product overflows") {
    model_builder b = conv_model();
    auto* shape = b.graph().mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
    for (int k = 1; k < 4; ++k) shape->mutable_dim(k)->set_dim_value(std::int64_t{1} << 28);
    CHECK_THAT(import_error(b), Contains("bad.onnx: input 'x' has too many elements; expected at most 268435456"));
  }
  SECTION("a Reshape whose sizes multiply beyond int64") {
    model_builder b = conv_model();
    b.ints("shape", ::onnx::TensorProto::INT64, {3}, {1, std::int64_t{1} << 40, std::int64_t{1} << 40});
    b.node("Reshape", "reshape", {"y", "shape"}, {"r"});
    b.graph().mutable_output(0)->set_name("r");
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'reshape' (Reshape): a reshape of N x 3x3x3 (HxWxC) to [1, "
                                         "1099511627776, 1099511627776]; expected the batch first and 27 elements"));
  }
  SECTION("a Reshape of a constant whose sizes multiply beyond int64") {
    model_builder b = conv_model();
    b.ints("shape", ::onnx::TensorProto::INT64, {3}, {std::int64_t{1} << 62, 4, -1});
    b.node("Reshape", "reshape", {"B", "shape"}, {"r"});
    CHECK_THAT(import_error(b),
               Contains("bad.onnx: node 'reshape' (Reshape): the shape's sizes multiply beyond int64"));
  }
  SECTION("float data shorter than the shape") {
    model_builder b = conv_model();
    b.initializer("W").mutable_float_data()->Truncate(50);
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'W' (initializer): tensor 'W' declares shape [3, 2, 3, 3] (54 "
                                         "elements) but holds 50; expected the data to match the shape"));
  }
  SECTION("raw data shorter than the shape") {
    model_builder b = conv_model();
    auto& w = b.initializer("W");
    w.clear_float_data();
    w.set_raw_data(std::string(53 * 4 + 2, '\0'));
    CHECK_THAT(import_error(b), Contains("tensor 'W' declares shape [3, 2, 3, 3] (54 elements) but holds 53"));
  }
  SECTION("int8 codes shorter than their shape") {
    model_builder b = qdq_model();
    b.initializer("Wq").mutable_int32_data()->Truncate(10);
    CHECK_THAT(import_error(b), Contains("tensor 'Wq' declares shape [3, 2, 3, 3] (54 elements) but holds 10"));
  }
  SECTION("data in an external file") {
    model_builder b = conv_model();
    auto& w = b.initializer("W");
    w.clear_float_data();
    w.set_data_location(::onnx::TensorProto::EXTERNAL);
    auto* entry = w.add_external_data();
    entry->set_key("location");
    entry->set_value("weights.bin");
    CHECK_THAT(import_error(b), Contains("bad.onnx: node 'W' (initializer): tensor 'W' keeps its data in an external "
                                         "file; expected the data inside the model"));
  }
}

TEST_CASE("onnx errors: graphs of another form than one input, one output, opset 11 to 18, batch 1", "[onnx]") {
  SECTION("two graph inputs") {
    model_builder b = conv_model();
    b.input("x2", {symbolic, 2, 5, 5});
    CHECK_THAT(import_error(b), Contains("bad.onnx: the graph has inputs 'x' and 'x2'; expected one input"));
  }
  SECTION("two outputs") {
    model_builder b = conv_model();
    b.output("c");
    CHECK_THAT(import_error(b), Contains("bad.onnx: the graph has 2 outputs; expected one"));
  }
  SECTION("opset 9") {
    model_builder b = conv_model();
    b.proto().mutable_opset_import(0)->set_version(9);
    CHECK_THAT(import_error(b), Contains("bad.onnx: the model uses ONNX opset 9; expected an opset from 11 to 18"));
  }
  SECTION("no opset") {
    model_builder b = conv_model();
    b.proto().clear_opset_import();
    CHECK_THAT(import_error(b), Contains("bad.onnx: the model uses ONNX opset (none declared)"));
  }
  SECTION("the batch fixed at 4") {
    model_builder b = conv_model();
    auto* shape = b.graph().mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
    shape->mutable_dim(0)->set_dim_value(4);
    CHECK_THAT(import_error(b),
               Contains("bad.onnx: input 'x' has its batch fixed at 4; expected 1 or a symbolic batch"));
  }
  SECTION("a rank-3 input") {
    model_builder b;
    b.input("x", {1, 3, 4});
    b.node("Relu", "relu", {"x"}, {"y"});
    b.output("y");
    CHECK_THAT(import_error(b),
               Contains("bad.onnx: input 'x' has rank 3; expected rank 4 (N x C x H x W) or 2 (N x F)"));
  }
  SECTION("an integer input") {
    model_builder b = conv_model();
    b.graph().mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(::onnx::TensorProto::UINT8);
    CHECK_THAT(import_error(b), Contains("bad.onnx: input 'x' is not a float tensor"));
  }
}

// Asymmetric weights (TF1-style QDQ): imported as stored, refused by the
// integer kernels with a pointer to requant, converted by it exactly where the
// codes less their zero point fit the target.
TEST_CASE("onnx import: asymmetric weights are kept; the kernels refuse them and requant converts them",
          "[onnx][requant]") {
  model_builder b = qdq_model();
  b.initializer("Wz").set_int32_data(1, 3);
  const std::string bytes = b.bytes();
  const auto net = std::make_shared<const mixq::network>(mixq::import_onnx_bytes(bytes.data(), bytes.size(), file));
  const auto& src = *std::get<mixq::conv_op>(net->layers()[net->weighted_layers()[0]].op).source;
  CHECK(src.zero_point == std::vector<std::int32_t>{0, 3, 0});
  CHECK_FALSE(src.symmetric());
  CHECK_THAT(error_message([&] { mixq::model(net, mixq::source_calibration(*net), mixq::native_plan(*net)); }),
             Contains("layer 'conv' has asymmetric weights (zero point 3); the integer kernels take symmetric weights") &&
                 Contains("mixq requant"));

  const auto r = mixq::requantize(*net, mixq::requant_preset::sym_per_channel, {.weight_correction = false});
  REQUIRE(r.report.layers.size() == 1);
  CHECK(r.report.layers[0].weights_from == "int8 asym per-channel");
  CHECK(r.report.layers[0].weights_to == "int8 sym per-channel");
  CHECK(r.report.layers[0].weights_exact);
  const auto& out = *std::get<mixq::conv_op>(r.net.layers()[r.net.weighted_layers()[0]].op).source;
  CHECK(out.symmetric());
  for (std::size_t i = 0; i < src.codes.size(); ++i) {
    const std::size_t n = i / (src.codes.size() / 3);
    CHECK(out.codes[i] == src.codes[i] - src.zero_point_of(n));
  }
  // The same values: the float executor gives the same outputs, and the converted model runs in integers.
  const std::vector<float> x(2 * 4 * 4, 0.25f);
  mixq::model f0(net, {}, mixq::precision_plan{.all = mixq::fp32});
  mixq::model f1(r.net, {}, mixq::precision_plan{.all = mixq::fp32});
  CHECK(f0.run(x, 1) == f1.run(x, 1));
  mixq::model q(r.net, mixq::source_calibration(r.net), mixq::native_plan(r.net));
  CHECK(q.run(x, 1).size() == 3 * 2 * 2);
}
