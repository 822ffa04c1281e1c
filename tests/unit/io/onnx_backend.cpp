// io/onnx.hpp against the ONNX backend node tests of Debian's libonnx-testdata
// (ONNX 1.12): each test's model.onnx with test_data_set_0, where mixq can
// express it. A mixq network takes one float input of rank 4 (N x C x H x W)
// or 2 (N x F), batch 1 or symbolic, and gives one output; weights a test
// feeds as graph inputs are made initializers here (the ModelProto is
// rewritten before import). Every node test considered is listed below, each
// run (fp32, within 1e-5 x (1 + |expected|) of output_0), rejected (the
// importer must refuse it with a mixq::error naming the file) or skipped,
// with its reason; docs/onnx_conformance.md is that list as a table, checked
// here to match it.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <mixq/io/onnx.hpp>

#include "unit/io/onnx_support.hpp"

namespace {

using namespace mixq_test::onnx;
namespace fs = std::filesystem;

const std::string node_dir = MIXQ_TEST_ONNX_NODE_DATA;
const std::string conformance_doc = MIXQ_TEST_CONFORMANCE_DOC;

enum class verdict { run, reject, skip };
constexpr verdict run = verdict::run, reject = verdict::reject, skip = verdict::skip;

struct node_test {
  std::string_view name;
  verdict status;
  std::string_view reason;   ///< skip, reject: why; run: what the test adapts
  std::string_view message = {};  ///< reject: a piece of the importer's message
};

// The node tests of the operators mixq imports (and of their integer and
// training forms), in the order of the data folder.
constexpr node_test node_tests[] = {
    {"test_add", skip, "rank-3 input and two activation inputs"},
    {"test_add_bcast", skip, "rank-3 input and two activation inputs"},
    {"test_add_uint8", skip, "uint8 input; expected float"},
    {"test_averagepool_1d_default", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_averagepool_2d_ceil", run, ""},
    {"test_averagepool_2d_default", run, ""},
    {"test_averagepool_2d_pads", run, ""},
    {"test_averagepool_2d_pads_count_include_pad", run, ""},
    {"test_averagepool_2d_precomputed_pads", run, ""},
    {"test_averagepool_2d_precomputed_pads_count_include_pad", run, ""},
    {"test_averagepool_2d_precomputed_same_upper", run, ""},
    {"test_averagepool_2d_precomputed_strides", run, ""},
    {"test_averagepool_2d_same_lower", run, ""},
    {"test_averagepool_2d_same_upper", run, ""},
    {"test_averagepool_2d_strides", run, ""},
    {"test_averagepool_3d_default", skip, "rank-5 input; expected rank 4 or 2"},
    {"test_basic_conv_with_padding", run, "the weights W, fed as a graph input, made an initializer"},
    {"test_basic_conv_without_padding", run, "the weights W, fed as a graph input, made an initializer"},
    {"test_basic_convinteger", skip, "uint8 input; expected float"},
    {"test_batchnorm_epsilon", skip, "batch fixed at 2; expected 1 or symbolic"},
    {"test_batchnorm_epsilon_training_mode", skip, "training mode (training_mode = 1 or a training_mode input); 3 outputs"},
    {"test_batchnorm_example", skip, "batch fixed at 2; expected 1 or symbolic"},
    {"test_batchnorm_example_training_mode", skip, "training mode (training_mode = 1 or a training_mode input); 3 outputs"},
    {"test_cast_BFLOAT16_to_FLOAT", skip, "bfloat16 input; expected float"},
    {"test_cast_DOUBLE_to_FLOAT", skip, "double input; expected float"},
    {"test_cast_FLOAT16_to_FLOAT", skip, "float16 input; expected float"},
    {"test_cast_STRING_to_FLOAT", skip, "string input; expected float"},
    {"test_castlike_BFLOAT16_to_FLOAT", skip, "bfloat16 input; expected float"},
    {"test_castlike_DOUBLE_to_FLOAT", skip, "double input; expected float"},
    {"test_castlike_FLOAT16_to_FLOAT", skip, "float16 input; expected float"},
    {"test_castlike_STRING_to_FLOAT", skip, "string input; expected float"},
    {"test_clip", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_clip_default_inbounds", skip, "rank-1 input; expected rank 4 or 2"},
    {"test_clip_default_int8_inbounds", skip, "int8 input; expected float"},
    {"test_clip_default_int8_max", skip, "int8 input; expected float"},
    {"test_clip_default_int8_min", skip, "int8 input; expected float"},
    {"test_clip_default_max", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_clip_default_min", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_clip_example", skip, "rank-1 input; expected rank 4 or 2"},
    {"test_clip_inbounds", skip, "rank-1 input; expected rank 4 or 2"},
    {"test_clip_outbounds", skip, "rank-1 input; expected rank 4 or 2"},
    {"test_clip_splitbounds", skip, "rank-1 input; expected rank 4 or 2"},
    {"test_concat_1d_axis_0", skip, "rank-1 input and two activation inputs"},
    {"test_concat_1d_axis_negative_1", skip, "rank-1 input and two activation inputs"},
    {"test_concat_2d_axis_0", skip, "two activation inputs"},
    {"test_concat_2d_axis_1", skip, "two activation inputs"},
    {"test_concat_2d_axis_negative_1", skip, "two activation inputs"},
    {"test_concat_2d_axis_negative_2", skip, "two activation inputs"},
    {"test_concat_3d_axis_0", skip, "rank-3 input and two activation inputs"},
    {"test_concat_3d_axis_1", skip, "rank-3 input and two activation inputs"},
    {"test_concat_3d_axis_2", skip, "rank-3 input and two activation inputs"},
    {"test_concat_3d_axis_negative_1", skip, "rank-3 input and two activation inputs"},
    {"test_concat_3d_axis_negative_2", skip, "rank-3 input and two activation inputs"},
    {"test_concat_3d_axis_negative_3", skip, "rank-3 input and two activation inputs"},
    {"test_conv_with_autopad_same", run, "the weights W, fed as a graph input, made an initializer"},
    {"test_conv_with_strides_and_asymmetric_padding", run, "the weights W, fed as a graph input, made an initializer"},
    {"test_conv_with_strides_no_padding", run, "the weights W, fed as a graph input, made an initializer"},
    {"test_conv_with_strides_padding", run, "the weights W, fed as a graph input, made an initializer"},
    {"test_convinteger_with_padding", skip, "uint8 input; expected float"},
    {"test_convinteger_without_padding", skip, "uint8 input; expected float"},
    {"test_dequantizelinear", skip, "uint8 input; expected float"},
    {"test_dequantizelinear_axis", skip, "uint8 input; expected float"},
    {"test_div", skip, "rank-3 input and two activation inputs"},
    {"test_div_bcast", skip, "rank-3 input and two activation inputs"},
    {"test_div_example", skip, "rank-1 input and two activation inputs"},
    {"test_div_uint8", skip, "uint8 input; expected float"},
    {"test_dropout_default", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_dropout_default_mask", skip, "rank-3 input; expected rank 4 or 2; 2 outputs"},
    {"test_dropout_default_mask_ratio", skip, "rank-3 input; expected rank 4 or 2; 2 outputs"},
    {"test_dropout_default_old", skip, "rank-1 input; expected rank 4 or 2"},
    {"test_dropout_default_ratio", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_dropout_random_old", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_flatten_axis0", skip, "batch fixed at 2; expected 1 or symbolic"},
    {"test_flatten_axis1", skip, "batch fixed at 2; expected 1 or symbolic"},
    {"test_flatten_axis2", skip, "batch fixed at 2; expected 1 or symbolic"},
    {"test_flatten_axis3", skip, "batch fixed at 2; expected 1 or symbolic"},
    {"test_flatten_default_axis", skip, "batch fixed at 5; expected 1 or symbolic"},
    {"test_flatten_negative_axis1", skip, "batch fixed at 2; expected 1 or symbolic"},
    {"test_flatten_negative_axis2", skip, "batch fixed at 2; expected 1 or symbolic"},
    {"test_flatten_negative_axis3", skip, "batch fixed at 2; expected 1 or symbolic"},
    {"test_flatten_negative_axis4", skip, "batch fixed at 2; expected 1 or symbolic"},
    {"test_gemm_all_attributes", skip, "batch fixed at 4; expected 1 or symbolic"},
    {"test_gemm_alpha", skip, "batch fixed at 3; expected 1 or symbolic"},
    {"test_gemm_beta", skip, "batch fixed at 2; expected 1 or symbolic"},
    {"test_gemm_default_matrix_bias", skip, "batch fixed at 3; expected 1 or symbolic"},
    {"test_gemm_default_no_bias", skip, "batch fixed at 2; expected 1 or symbolic"},
    {"test_gemm_default_scalar_bias", skip, "batch fixed at 2; expected 1 or symbolic"},
    {"test_gemm_default_single_elem_vector_bias", skip, "batch fixed at 3; expected 1 or symbolic"},
    {"test_gemm_default_vector_bias", skip, "batch fixed at 2; expected 1 or symbolic"},
    {"test_gemm_default_zero_bias", skip, "batch fixed at 3; expected 1 or symbolic"},
    {"test_gemm_transposeA", skip, "batch fixed at 6; expected 1 or symbolic"},
    {"test_gemm_transposeB", skip, "batch fixed at 3; expected 1 or symbolic"},
    {"test_globalaveragepool", run, "opset 1 raised to 11 (GlobalAveragePool has one version)"},
    {"test_globalaveragepool_precomputed", run, "opset 1 raised to 11 (GlobalAveragePool has one version)"},
    {"test_globalmaxpool", run, "opset 1 raised to 11 (GlobalMaxPool has one version)"},
    {"test_globalmaxpool_precomputed", run, "opset 1 raised to 11 (GlobalMaxPool has one version)"},
    {"test_identity", reject, "the graph computes nothing (its output is its input); a mixq network has at least one layer", "the output is the input"},
    {"test_identity_opt", skip, "the input is an optional or a sequence, not a tensor"},
    {"test_identity_sequence", skip, "the input is an optional or a sequence, not a tensor"},
    {"test_matmul_2d", skip, "batch fixed at 3; expected 1 or symbolic"},
    {"test_matmul_3d", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_matmul_4d", reject, "MatMul by a rank-4 tensor (a batched matrix product); mixq takes MatMul by a matrix", "expected a float matrix"},
    {"test_matmulinteger", skip, "uint8 input; expected float"},
    {"test_maxpool_1d_default", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_maxpool_2d_ceil", run, ""},
    {"test_maxpool_2d_default", run, ""},
    {"test_maxpool_2d_dilations", run, ""},
    {"test_maxpool_2d_pads", run, ""},
    {"test_maxpool_2d_precomputed_pads", run, ""},
    {"test_maxpool_2d_precomputed_same_upper", run, ""},
    {"test_maxpool_2d_precomputed_strides", run, ""},
    {"test_maxpool_2d_same_lower", run, ""},
    {"test_maxpool_2d_same_upper", run, ""},
    {"test_maxpool_2d_strides", run, ""},
    {"test_maxpool_2d_uint8", skip, "uint8 input; expected float"},
    {"test_maxpool_3d_default", skip, "rank-5 input; expected rank 4 or 2"},
    {"test_maxpool_with_argmax_2d_precomputed_pads", reject, "the Indices output is used (two outputs)", "the Indices output is used"},
    {"test_maxpool_with_argmax_2d_precomputed_strides", reject, "the Indices output is used (two outputs), storage_order = 1", "the Indices output is used"},
    {"test_mul", skip, "rank-3 input and two activation inputs"},
    {"test_mul_bcast", skip, "rank-3 input and two activation inputs"},
    {"test_mul_example", skip, "rank-1 input and two activation inputs"},
    {"test_mul_uint8", skip, "uint8 input; expected float"},
    {"test_qlinearconv", skip, "uint8 input; expected float"},
    {"test_qlinearmatmul_2D", skip, "uint8 input; expected float"},
    {"test_qlinearmatmul_3D", skip, "uint8 input; expected float"},
    {"test_quantizelinear", skip, "rank-1 input; expected rank 4 or 2"},
    {"test_quantizelinear_axis", reject, "per-channel QuantizeLinear of an activation, and integer output", "per-channel quantization of activations"},
    {"test_relu", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_reshape_allowzero_reordered", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_reshape_extended_dims", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_reshape_negative_dim", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_reshape_negative_extended_dims", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_reshape_one_dim", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_reshape_reduced_dims", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_reshape_reordered_all_dims", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_reshape_reordered_last_dims", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_reshape_zero_and_negative_dim", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_reshape_zero_dim", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_shape", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_shape_clip_end", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_shape_clip_start", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_shape_end_1", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_shape_end_negative_1", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_shape_example", skip, "batch fixed at 2; expected 1 or symbolic"},
    {"test_shape_start_1", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_shape_start_1_end_2", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_shape_start_1_end_negative_1", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_shape_start_negative_1", skip, "rank-3 input; expected rank 4 or 2"},
    {"test_squeeze", reject, "Squeeze of the batch axis (output rank 3); mixq squeezes N x C x 1 x 1 only", "a Squeeze of"},
    {"test_squeeze_negative_axes", reject, "Squeeze of axis -2 (output rank 3); mixq squeezes N x C x 1 x 1 only", "a Squeeze of"},
    {"test_sub", skip, "rank-3 input and two activation inputs"},
    {"test_sub_bcast", skip, "rank-3 input and two activation inputs"},
    {"test_sub_example", skip, "rank-1 input and two activation inputs"},
    {"test_sub_uint8", skip, "uint8 input; expected float"},
    {"test_training_dropout", skip, "training mode (training_mode = 1 or a training_mode input)"},
    {"test_training_dropout_default", skip, "training mode (training_mode = 1 or a training_mode input)"},
    {"test_training_dropout_default_mask", skip, "training mode (training_mode = 1 or a training_mode input); 2 outputs"},
    {"test_training_dropout_mask", skip, "training mode (training_mode = 1 or a training_mode input); 2 outputs"},
    {"test_training_dropout_zero_ratio", skip, "training mode (training_mode = 1 or a training_mode input)"},
    {"test_training_dropout_zero_ratio_mask", skip, "training mode (training_mode = 1 or a training_mode input); 2 outputs"},
};

std::string_view name_of(verdict v) {
  switch (v) {
    case verdict::run: return "run";
    case verdict::reject: return "rejected";
    case verdict::skip: return "skipped";
  }
  return "?";
}

// A tensor's floats (float32 data, raw or in float_data).
std::vector<float> floats_of(const ::onnx::TensorProto& t) {
  REQUIRE(t.data_type() == ::onnx::TensorProto::FLOAT);
  std::size_t n = 1;
  for (const auto d : t.dims()) n *= static_cast<std::size_t>(d);
  std::vector<float> v(n);
  if (t.has_raw_data()) {
    REQUIRE(t.raw_data().size() == n * sizeof(float));
    std::memcpy(v.data(), t.raw_data().data(), n * sizeof(float));
  } else {
    REQUIRE(static_cast<std::size_t>(t.float_data_size()) == n);
    std::copy(t.float_data().begin(), t.float_data().end(), v.begin());
  }
  return v;
}

::onnx::TensorProto read_tensor(const std::string& path) {
  ::onnx::TensorProto t;
  INFO(path);
  REQUIRE(t.ParseFromString(read_bytes(path)));
  return t;
}

// The test's model with its inputs after the first made initializers (the
// values of test_data_set_0), and its opset raised to 11 where older.
// Returns the serialized model; `raised` says whether the opset changed.
std::string prepared_model(const std::string& dir, bool& raised) {
  ::onnx::ModelProto m;
  REQUIRE(m.ParseFromString(read_bytes(dir + "/model.onnx")));
  ::onnx::GraphProto& g = *m.mutable_graph();
  for (int k = 1; k < g.input_size(); ++k) {
    ::onnx::TensorProto t = read_tensor(fmt::format("{}/test_data_set_0/input_{}.pb", dir, k));
    t.set_name(g.input(k).name());
    *g.add_initializer() = std::move(t);
  }
  if (g.input_size() > 1) g.mutable_input()->DeleteSubrange(1, g.input_size() - 1);
  raised = false;
  for (auto& o : *m.mutable_opset_import()) {
    if ((o.domain().empty() || o.domain() == "ai.onnx") && o.version() < 11) {
      o.set_version(11);
      raised = true;
    }
  }
  std::string bytes;
  REQUIRE(m.SerializeToString(&bytes));
  return bytes;
}

// docs/onnx_conformance.md as the list above makes it.
std::string conformance_table() {
  std::size_t counts[3] = {0, 0, 0};
  for (const node_test& t : node_tests) ++counts[static_cast<int>(t.status)];
  std::string s =
      "# ONNX backend node tests\n\n"
      "<!-- Generated from the list in tests/unit/io/onnx_backend.cpp; after changing it, run\n"
      "     MIXQ_UPDATE_CONFORMANCE=1 build/release/tests/mixq_tests \"onnx backend: docs*\" -->\n\n"
      "`tests/unit/io/onnx_backend.cpp` runs the ONNX backend node tests that Debian's\n"
      "`libonnx-testdata` ships (ONNX 1.12, `/usr/share/libonnx-testdata/data/node`)\n"
      "through `mixq::import_onnx_bytes` and a model at fp32, and compares each with\n"
      "its `test_data_set_0/output_0.pb` (within 1e-5 x (1 + |expected|)). The list\n"
      "holds the tests of the operators mixq imports, with their integer and training\n"
      "forms.\n\n"
      "A mixq network takes one float input of rank 4 (N x C x H x W) or 2 (N x F),\n"
      "with the batch fixed at 1 or symbolic, and gives one float output. Weights a\n"
      "test feeds as graph inputs become initializers before the import. A test is\n"
      "*run*; *rejected* when its input fits but mixq does not take what it computes\n"
      "(the test checks that the importer says so with a `mixq::error`); or\n"
      "*skipped* when its inputs or outputs are outside that form.\n\n";
  s += fmt::format("{} run, {} rejected, {} skipped, of {} considered.\n\n", counts[0], counts[1], counts[2],
                   std::size(node_tests));
  s += "| test | status | reason |\n|---|---|---|\n";
  for (const node_test& t : node_tests) s += fmt::format("| `{}` | {} | {} |\n", t.name, name_of(t.status), t.reason);
  return s;
}

}  // namespace

TEST_CASE("onnx backend: the node tests mixq can express run and match their outputs", "[onnx]") {
  if (!fs::is_directory(node_dir)) {
    WARN("no ONNX backend test data at " << node_dir << " (Debian package libonnx-testdata); skipped");
    return;
  }
  for (const node_test& t : node_tests) {
    const std::string dir = node_dir + "/" + std::string(t.name);
    DYNAMIC_SECTION(t.name << " (" << name_of(t.status) << ")") {
      INFO(t.reason);
      REQUIRE(fs::is_regular_file(dir + "/model.onnx"));
      if (t.status == skip) continue;
      bool raised = false;
      const std::string bytes = prepared_model(dir, raised);
      // A raised opset is said in the reason, as the table shows it.
      CHECK(raised == (t.reason.find("opset") != std::string_view::npos));
      const std::string where = std::string(t.name) + "/model.onnx";
      if (t.status == reject) {
        const std::string message = error_message([&] { mixq::import_onnx_bytes(bytes.data(), bytes.size(), where); });
        CHECK_THAT(message, Catch::Contains(where) && Catch::Contains(std::string(t.message)));
        continue;
      }
      const mixq::network net = mixq::import_onnx_bytes(bytes.data(), bytes.size(), where);
      const ::onnx::TensorProto in = read_tensor(dir + "/test_data_set_0/input_0.pb");
      const ::onnx::TensorProto out = read_tensor(dir + "/test_data_set_0/output_0.pb");
      REQUIRE(in.dims_size() >= 2);
      const auto n = static_cast<std::size_t>(in.dims(0));
      // The output's shape: N x C x H x W or N x F.
      const mixq::tensor_shape& s = net.output_shape();
      REQUIRE(out.dims_size() == (s.image ? 4 : 2));
      CHECK(static_cast<std::size_t>(out.dims(0)) == n);
      CHECK(static_cast<std::size_t>(out.dims(1)) == s.channels);
      if (s.image) {
        CHECK(static_cast<std::size_t>(out.dims(2)) == s.height);
        CHECK(static_cast<std::size_t>(out.dims(3)) == s.width);
      }
      require_close(run_fp32(net, floats_of(in), n), floats_of(out));
    }
  }
}

TEST_CASE("onnx backend: docs/onnx_conformance.md is the list in onnx_backend.cpp", "[onnx]") {
  const std::string table = conformance_table();
  if (std::getenv("MIXQ_UPDATE_CONFORMANCE")) {
    std::ofstream(conformance_doc, std::ios::binary) << table;
    WARN("wrote " << conformance_doc);
  }
  std::ifstream in(conformance_doc, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream doc;
  doc << in.rdbuf();
  INFO(conformance_doc << " differs from the list; regenerate it with MIXQ_UPDATE_CONFORMANCE=1 mixq_tests "
                          "\"onnx backend: docs*\"");
  CHECK(doc.str() == table);
}

TEST_CASE("onnx backend: the list names each test once, with a reason where it is not run as is", "[onnx]") {
  std::vector<std::string_view> names;
  for (const node_test& t : node_tests) {
    names.push_back(t.name);
    INFO(t.name);
    CHECK((t.status == reject) == !t.message.empty());
    if (t.status != run) CHECK(!t.reason.empty());
  }
  std::sort(names.begin(), names.end());
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
}
