// io/onnx.hpp and io/onnx_export.hpp on the graphs in tests/golden/onnx/graphs:
// one per operator and attribute combination the importer takes, at opsets
// 11, 13 and 17, and QDQ graphs as PyTorch and ONNX Runtime write them.
// gen_graphs.py made them and computed the expected outputs with its own
// numpy references of the ONNX operator definitions.
//
// Each graph imports and runs at fp32 within 1e-5 x (1 + |expected|). QDQ
// graphs give the codes, scales and widths they store, the parameters of
// their activations and their native plan. A model at an integer plan (a QDQ
// graph's own, a float graph's w8a8 and w4a8) exports to a file that
// onnx::checker accepts and that reads back to the same codes and parameters
// and the same outputs, bit for bit.

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <onnx/checker.h>

#include <mixq/io/npy.hpp>
#include <mixq/requant/network.hpp>
#include <mixq/io/onnx.hpp>
#include <mixq/io/onnx_export.hpp>
#include <mixq/model/activation_params.hpp>
#include <mixq/model/calibrate.hpp>

#include "unit/io/onnx_support.hpp"

namespace {

using namespace mixq_test::onnx;
namespace fs = std::filesystem;

const std::string graph_dir = MIXQ_TEST_ONNX_GRAPHS;

// ---- the committed files

struct graph_entry {
  std::string name;
  bool qdq = false;
  int opset = 0;
  std::string description;
  std::string path(const std::string& suffix) const { return graph_dir + "/" + name + suffix; }
};

// index.txt: "NAME float|qdq OPSET DESCRIPTION" per line.
std::vector<graph_entry> read_index() {
  std::ifstream in(graph_dir + "/index.txt");
  REQUIRE(in.good());
  std::vector<graph_entry> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    INFO("index.txt: " << line);
    std::istringstream s(line);
    graph_entry e;
    std::string kind;
    s >> e.name >> kind >> e.opset;
    std::getline(s >> std::ws, e.description);
    REQUIRE((kind == "qdq" || kind == "float"));
    e.qdq = kind == "qdq";
    out.push_back(std::move(e));
  }
  REQUIRE(!out.empty());
  return out;
}

struct samples {
  std::vector<float> x, expected;
  std::size_t n = 0;
  std::vector<std::size_t> out_shape;  ///< N x C x H x W or N x F
};

samples load_samples(const graph_entry& g) {
  mixq::io::float_array x = mixq::io::read_npy_floats(g.path(".input.npy"));
  mixq::io::float_array y = mixq::io::read_npy_floats(g.path(".output.npy"));
  REQUIRE(x.shape.size() >= 2);
  REQUIRE(y.shape.size() >= 2);
  REQUIRE(x.shape[0] == y.shape[0]);
  samples s;
  s.n = x.shape[0];
  s.out_shape = y.shape;
  s.x = std::move(x.data);
  s.expected = std::move(y.data);
  return s;
}

// NAME.expect.txt of a QDQ graph (gen_graphs.py writes it):
//   value LAYER SCALE ZERO_POINT BITS SIGNED   the parameters of the value LAYER writes ("x": the input)
//   weights LAYER BITS COUNT SCALE...          the stored weights' width and scales
//   codes LAYER COUNT CODE...                  their codes in mixq's layout (OHWI; dense N x K)
//   bias LAYER COUNT CODE... COUNT UNIT...     the int32 bias and the unit of its codes
//   plan LAYER W_BITS A_BITS                   the native plan
struct weight_expect {
  int bits = 0;
  std::vector<float> scale;
  std::vector<std::int8_t> codes;
  std::vector<std::int32_t> bias;
  std::vector<float> bias_scale;
};

struct expectations {
  std::map<std::string, mixq::activation_params> values;
  std::map<std::string, weight_expect> weights;
  std::map<std::string, mixq::precision> plan;
};

expectations read_expect(const graph_entry& g) {
  std::ifstream in(g.path(".expect.txt"));
  REQUIRE(in.good());
  expectations e;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    INFO(g.name << ".expect.txt: " << line.substr(0, 120));
    std::istringstream s(line);
    std::string kind, layer;
    s >> kind >> layer;
    auto real = [&] {
      std::string t;
      s >> t;
      return std::strtof(t.c_str(), nullptr);  // %.9g text: the float32 itself
    };
    auto integer = [&] {
      long long v = 0;
      s >> v;
      return v;
    };
    auto count = [&] { return static_cast<std::size_t>(integer()); };
    if (kind == "value") {
      mixq::activation_params p;
      p.scale = real();
      p.zero_point = static_cast<std::int32_t>(integer());
      p.bits = static_cast<int>(integer());
      p.is_signed = integer() != 0;
      e.values[layer] = p;
    } else if (kind == "weights") {
      weight_expect& w = e.weights[layer];
      w.bits = static_cast<int>(integer());
      w.scale.resize(count());
      for (float& v : w.scale) v = real();
    } else if (kind == "codes") {
      weight_expect& w = e.weights[layer];
      w.codes.resize(count());
      for (std::int8_t& v : w.codes) v = static_cast<std::int8_t>(integer());
    } else if (kind == "bias") {
      weight_expect& w = e.weights[layer];
      w.bias.resize(count());
      for (std::int32_t& v : w.bias) v = static_cast<std::int32_t>(integer());
      w.bias_scale.resize(count());
      for (float& v : w.bias_scale) v = real();
    } else if (kind == "plan") {
      const int w_bits = static_cast<int>(integer());
      e.plan[layer] = mixq::precision{w_bits, static_cast<int>(integer())};
    } else {
      FAIL("unknown line kind '" << kind << "'");
    }
    REQUIRE(!s.fail());
  }
  return e;
}


// ---- the network's parts

// Codes as numbers (Catch prints std::int8_t as characters).
std::vector<int> numbers(const std::vector<std::int8_t>& codes) { return {codes.begin(), codes.end()}; }

const std::optional<mixq::source_weights>& source_of(const mixq::layer& l) {
  if (const auto* c = std::get_if<mixq::conv_op>(&l.op)) return c->source;
  return std::get<mixq::dense_op>(l.op).source;
}

void require_checker_accepts(const std::string& bytes) {
  ::onnx::ModelProto proto;
  REQUIRE(proto.ParseFromString(bytes));
  try {
    ::onnx::checker::check_model(proto);
  } catch (const std::exception& e) {
    FAIL("onnx::checker::check_model rejects the exported model: " << e.what());
  }
}

// Exports m (at an integer plan), checks the file, reads it back: the same
// codes, scales, widths, biases and activation parameters, the same plan
// from the file alone, and the same outputs bit for bit.
void check_round_trip(mixq::model& m, const samples& s, const std::string& what) {
  const std::vector<float> y = m.run(s.x, s.n);
  const std::string bytes = mixq::export_onnx_bytes(m);
  require_checker_accepts(bytes);
  const auto back = std::make_shared<const mixq::network>(mixq::import_onnx_bytes(bytes.data(), bytes.size(), what));
  const mixq::network& net = m.graph();
  const mixq::precision_plan plan = mixq::native_plan(*back);
  for (std::size_t w = 0; w < m.layer_count(); ++w) {
    const std::size_t i = net.weighted_layers()[w];
    const std::string name(m.layer_name(w));
    INFO("layer '" << name << "' at " << mixq::to_string(m.layer_precision(w)));
    const std::size_t j = back->find_layer(name);
    REQUIRE(j < back->layers().size());
    const mixq::layer& l = back->layers()[j];
    REQUIRE(l.has_weights());
    const auto& src = source_of(l);
    REQUIRE(src.has_value());
    const auto [q, bias] = m.integer_layer(i);
    CHECK(src->bits == q->bits);
    CHECK(numbers(src->codes) == numbers(q->codes));
    std::vector<float> scales(q->n);
    for (std::size_t c = 0; c < q->n; ++c) scales[c] = src->scale_of(c);
    CHECK(scales == q->scale);
    CHECK(src->bias == *bias);
    if (const auto p = m.writes(i)) CHECK(back->value(l.output).source == p);
    CHECK(plan.of(name) == m.layer_precision(w));
  }
  mixq::model again(back, mixq::source_calibration(*back), plan);
  require_identical(again.run(s.x, s.n), y);
}

}  // namespace

TEST_CASE("onnx graphs: index.txt lists every committed graph, and each has its files", "[onnx]") {
  std::set<std::string> listed;
  std::set<int> opsets;
  std::size_t qdq = 0;
  for (const graph_entry& g : read_index()) {
    INFO(g.name);
    CHECK(listed.insert(g.name).second);
    opsets.insert(g.opset);
    CHECK(fs::is_regular_file(g.path(".onnx")));
    CHECK(fs::is_regular_file(g.path(".input.npy")));
    CHECK(fs::is_regular_file(g.path(".output.npy")));
    CHECK(fs::is_regular_file(g.path(".expect.txt")) == g.qdq);
    qdq += g.qdq ? 1 : 0;
  }
  for (const auto& f : fs::directory_iterator(graph_dir)) {
    if (f.path().extension() == ".onnx") CHECK(listed.count(f.path().stem().string()) == 1);
  }
  CHECK(opsets == std::set<int>{11, 13, 17});
  CHECK(qdq >= 5);
}

TEST_CASE("onnx graphs: each graph imports and runs at fp32 as the reference computes", "[onnx]") {
  for (const graph_entry& g : read_index()) {
    DYNAMIC_SECTION(g.name << " (opset " << g.opset << "): " << g.description) {
      const mixq::network net = mixq::import_onnx(g.path(".onnx"));
      const samples s = load_samples(g);
      const mixq::tensor_shape& out = net.output_shape();
      if (s.out_shape.size() == 4) {
        CHECK(out == mixq::tensor_shape{s.out_shape[2], s.out_shape[3], s.out_shape[1], true});
      } else {
        REQUIRE(s.out_shape.size() == 2);
        CHECK(out == mixq::tensor_shape{1, 1, s.out_shape[1], false});
      }
      CHECK(net.is_quantized() == g.qdq);
      if (!g.qdq) {
        for (const mixq::value_info& v : net.values()) CHECK_FALSE(v.source.has_value());
      }
      require_close(run_fp32(net, s.x, s.n), s.expected);
    }
  }
}

TEST_CASE("onnx graphs: QDQ graphs give their stored weights, activation parameters and native plan", "[onnx]") {
  for (const graph_entry& g : read_index()) {
    if (!g.qdq) continue;
    DYNAMIC_SECTION(g.name << ": " << g.description) {
      const mixq::network net = mixq::import_onnx(g.path(".onnx"));
      const expectations e = read_expect(g);
      std::size_t weighted = 0;
      for (const std::size_t i : net.weighted_layers()) {
        const mixq::layer& l = net.layers()[i];
        INFO("layer '" << l.name << "'");
        const auto it = e.weights.find(l.name);
        REQUIRE(it != e.weights.end());
        const weight_expect& w = it->second;
        const auto& src = source_of(l);
        REQUIRE(src.has_value());
        CHECK(src->bits == w.bits);
        CHECK(src->scale == w.scale);
        CHECK(numbers(src->codes) == numbers(w.codes));
        CHECK(src->bias == w.bias);
        CHECK(src->bias_scale == w.bias_scale);
        ++weighted;
      }
      CHECK(weighted == e.weights.size());
      // The parameters of every value the graph quantizes, and of no other.
      std::size_t annotated = 0;
      for (const mixq::layer& l : net.layers()) {
        const mixq::value_info& v = net.value(l.output);
        INFO("value '" << v.name << "' written by layer '" << l.name << "'");
        const auto it = e.values.find(l.name);
        if (it == e.values.end()) {
          CHECK_FALSE(v.source.has_value());
          continue;
        }
        ++annotated;
        REQUIRE(v.source.has_value());
        CHECK(v.source->scale == it->second.scale);
        CHECK(v.source->zero_point == it->second.zero_point);
        CHECK(v.source->bits == it->second.bits);
        CHECK(v.source->is_signed == it->second.is_signed);
      }
      CHECK(annotated == e.values.size());
      const mixq::precision_plan plan = mixq::native_plan(net);
      CHECK(plan.layers.size() == e.plan.size());
      for (const auto& [name, p] : e.plan) {
        INFO("layer '" << name << "'");
        CHECK(plan.of(name) == p);
      }
    }
  }
}

TEST_CASE("onnx graphs: a QDQ graph at its native plan exports and reads back to the same model", "[onnx]") {
  for (const graph_entry& g : read_index()) {
    if (!g.qdq) continue;
    DYNAMIC_SECTION(g.name) {
      const auto net = std::make_shared<const mixq::network>(mixq::import_onnx(g.path(".onnx")));
      const samples s = load_samples(g);
      mixq::model m(net, mixq::source_calibration(*net), mixq::native_plan(*net));
      // The stored codes are the ones that run.
      for (std::size_t w = 0; w < m.layer_count(); ++w) {
        const std::size_t i = net->weighted_layers()[w];
        INFO("layer '" << m.layer_name(w) << "'");
        CHECK(m.integer_layer(i).first->from_source);
        CHECK(numbers(m.integer_layer(i).first->codes) == numbers(source_of(net->layers()[i])->codes));
      }
      check_round_trip(m, s, g.name + " exported");
    }
  }
}

TEST_CASE("onnx graphs: a float graph calibrated at w8a8 and w4a8 exports and reads back to the same model", "[onnx]") {
  for (const graph_entry& g : read_index()) {
    if (g.qdq) continue;
    const auto net = std::make_shared<const mixq::network>(mixq::import_onnx(g.path(".onnx")));
    if (net->weighted_layers().empty()) continue;
    for (const mixq::precision p : {mixq::precision{8, 8}, mixq::precision{4, 8}}) {
      DYNAMIC_SECTION(g.name << " at " << mixq::to_string(p)) {
        const samples s = load_samples(g);
        mixq::model m(net, mixq::calibrate(net, s.x, s.n), mixq::precision_plan{.all = p});
        check_round_trip(m, s, g.name + " at " + mixq::to_string(p) + " exported");
      }
    }
  }
}

// A QDQ file may quantize a Flatten's output although it leaves its input in
// float: the Flatten runs in float and its own parameters quantize the output.
TEST_CASE("onnx graphs: a QDQ graph quantizing after a Flatten runs at its native plan", "[onnx]") {
  const graph_entry g{"qdq_quantize_after_flatten", true, 13, ""};
  const auto net = std::make_shared<const mixq::network>(mixq::import_onnx(g.path(".onnx")));
  // (The structure test above checks that the parameters are the Flatten's and that the plan reads them.)
  const samples s = load_samples(g);
  mixq::model m(net, mixq::source_calibration(*net), mixq::native_plan(*net));
  check_round_trip(m, s, g.name + " exported");
}

// requant/network.hpp on every QDQ graph: each preset converts it, the result
// stays close to the source on the graph's samples, and it exports and reads
// back as itself.
TEST_CASE("onnx graphs: every QDQ graph re-quantizes to each preset and reads back to the same model",
          "[onnx][requant]") {
  for (const graph_entry& g : read_index()) {
    if (!g.qdq) continue;
    const auto net = std::make_shared<const mixq::network>(mixq::import_onnx(g.path(".onnx")));
    const samples s = load_samples(g);
    mixq::model source(net, mixq::source_calibration(*net), mixq::native_plan(*net));
    const std::vector<float> y0 = source.run(s.x, s.n);
    for (const auto& [name, preset] : mixq::requant_presets) {
      DYNAMIC_SECTION(g.name << " to " << name) {
        const auto r = mixq::requantize(*net, preset, {}, mixq::propagate_means(*net));
        const auto converted = std::make_shared<const mixq::network>(r.net);
        mixq::model m(converted, mixq::source_calibration(*converted), mixq::native_plan(*converted));
        const std::vector<float> y = m.run(s.x, s.n);
        // The graphs' outputs are a few codes large: allow 3 output steps (of the
        // coarser of the two scales) plus 10 % of the largest output.
        double step = 0, largest = 0;
        for (const auto* n : {net.get(), converted.get()}) {
          if (const auto& p = n->value(n->output()).source) step = std::max(step, static_cast<double>(p->scale));
        }
        for (const float v : y0) largest = std::max(largest, std::fabs(static_cast<double>(v)));
        for (std::size_t i = 0; i < y.size(); ++i) {
          CHECK(std::fabs(static_cast<double>(y[i]) - y0[i]) <= 3 * step + 0.1 * largest);
        }
        check_round_trip(m, s, g.name + " to " + std::string(name) + " exported");
      }
    }
  }
}
