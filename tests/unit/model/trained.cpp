// The committed Fashion-MNIST networks (models/) against what PyTorch 1.13
// measured on them (models/*.torch.json, written by models/train.py):
//   - the float executor gives torch's float top-1 on every test image and
//     its logits within 1e-4 (relative to the largest logit);
//   - the QDQ model, run by the integer executor at its own quantization,
//     agrees with torch's quantized predictions on >= 99.5 % of the images
//     (MobileNet: >= 99.4 %, see below) and its accuracy is within 0.1
//     points of torch's;
//   - mixq's own w8a8 (min-max calibration on 1024 training images) is at
//     most 0.3 points below float.
// And requant/network.hpp on the same models (the cases named "requant
// networks"): they live in this translation unit because every unit that
// runs networks instantiates the whole executor, minutes of compilation under
// the sanitizers.
// MIXQ_TEST_TRAINED_IMAGES test images are used (all 10,000 in Release
// builds); the accuracy targets are checked only on the whole test set.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <mixq/io/dataset.hpp>
#include <mixq/io/onnx.hpp>
#include <mixq/model/calibrate.hpp>
#include <mixq/io/onnx_export.hpp>
#include <mixq/model/model.hpp>
#include <mixq/requant/network.hpp>

namespace {

const std::string models_dir = MIXQ_TEST_MODELS;
const std::string data_dir = MIXQ_TEST_FASHION_MNIST;
constexpr std::size_t test_images = MIXQ_TEST_TRAINED_IMAGES;

// What torch measured, read from the few keys of the JSON train.py writes.
struct torch_reference {
  double float_accuracy = 0, int8_accuracy = 0;
  std::string float_predictions, int8_predictions;  // one digit per test image
  std::vector<std::vector<double>> float_logits;    // the first 16 images
};

std::string after_key(const std::string& text, const std::string& key) {
  const auto at = text.find("\"" + key + "\":");
  REQUIRE(at != std::string::npos);
  return text.substr(at + key.size() + 3);
}

torch_reference read_reference(const std::string& name) {
  std::ifstream f(models_dir + "/" + name + ".torch.json");
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  torch_reference r;
  r.float_accuracy = std::stod(after_key(text, "float_accuracy"));
  r.int8_accuracy = std::stod(after_key(text, "int8_accuracy"));
  auto digits = [&](const std::string& key) {
    const std::string rest = after_key(text, key);
    const auto open = rest.find('"');
    return rest.substr(open + 1, rest.find('"', open + 1) - open - 1);
  };
  r.float_predictions = digits("float_predictions");
  r.int8_predictions = digits("int8_predictions");
  std::istringstream logits(after_key(text, "float_logits_first16"));
  char c = 0;
  logits >> c;  // [
  REQUIRE(c == '[');
  while (logits >> c && c == '[') {
    std::vector<double> row;
    double v = 0;
    while (logits >> v) {
      row.push_back(v);
      logits >> c;  // , or ]
      if (c == ']') break;
    }
    r.float_logits.push_back(row);
    logits >> c;  // , or ]
    if (c == ']') break;
  }
  REQUIRE(r.float_logits.size() == 16);
  REQUIRE(r.float_predictions.size() == 10000);
  REQUIRE(r.int8_predictions.size() == 10000);
  return r;
}

const mixq::io::dataset& test_set() {
  static const mixq::io::dataset d = mixq::io::load_dataset(data_dir, mixq::io::split::test, test_images);
  return d;
}

std::vector<std::size_t> top1(const std::vector<float>& logits, std::size_t classes) {
  std::vector<std::size_t> out(logits.size() / classes);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto row = logits.begin() + static_cast<std::ptrdiff_t>(i * classes);
    out[i] = static_cast<std::size_t>(std::max_element(row, row + static_cast<std::ptrdiff_t>(classes)) - row);
  }
  return out;
}

template <class Model>
std::vector<float> run_all(Model& m) {
  const auto& d = test_set();
  return m.run(d.images, d.size());
}

double accuracy(const std::vector<std::size_t>& classes) {
  const auto& d = test_set();
  std::size_t correct = 0;
  for (std::size_t i = 0; i < classes.size(); ++i) correct += classes[i] == static_cast<std::size_t>(d.labels[i]);
  return static_cast<double>(correct) / static_cast<double>(classes.size());
}

std::shared_ptr<const mixq::network> load(const std::string& file) {
  return std::make_shared<const mixq::network>(mixq::import_onnx(models_dir + "/" + file));
}

}  // namespace

TEST_CASE("trained networks: the float executor reproduces torch's logits and predictions", "[model][trained]") {
  for (const std::string name : {"resnet", "mobilenet", "fcnet"}) {
    DYNAMIC_SECTION(name) {
      const torch_reference ref = read_reference(name);
      const auto net = load(name + ".onnx");
      mixq::model m(net, {}, {.all = mixq::fp32}, {.max_batch = 64});
      const std::vector<float> logits = run_all(m);
      const std::size_t classes = m.output_elements();
      REQUIRE(classes == 10);
      for (std::size_t i = 0; i < 16; ++i) {
        double largest = 0, worst = 0;
        for (std::size_t k = 0; k < classes; ++k) largest = std::max(largest, std::fabs(ref.float_logits[i][k]));
        for (std::size_t k = 0; k < classes; ++k) {
          worst = std::max(worst, std::fabs(static_cast<double>(logits[i * classes + k]) - ref.float_logits[i][k]));
        }
        INFO("image " << i);
        CHECK(worst <= 1e-4 * largest);
      }
      const auto classes_of = top1(logits, classes);
      std::size_t differ = 0;
      for (std::size_t i = 0; i < classes_of.size(); ++i) {
        differ += classes_of[i] != static_cast<std::size_t>(ref.float_predictions[i] - '0');
      }
      CHECK(differ == 0);
      if (classes_of.size() == 10000) CHECK(std::fabs(accuracy(classes_of) - ref.float_accuracy) < 1e-6);
    }
  }
}

TEST_CASE("trained networks: the QDQ model at its own quantization agrees with torch's quantized model",
          "[model][trained]") {
  for (const std::string name : {"resnet", "mobilenet", "fcnet"}) {
    DYNAMIC_SECTION(name) {
      const torch_reference ref = read_reference(name);
      const auto net = load(name + ".qdq.onnx");
      mixq::model m(net, mixq::source_calibration(*net), mixq::native_plan(*net), {.max_batch = 64});
      const auto classes_of = top1(run_all(m), m.output_elements());
      std::size_t agree = 0;
      for (std::size_t i = 0; i < classes_of.size(); ++i) {
        agree += classes_of[i] == static_cast<std::size_t>(ref.int8_predictions[i] - '0');
      }
      const double agreement = static_cast<double>(agree) / static_cast<double>(classes_of.size());
      INFO("agreement " << agreement << " on " << classes_of.size() << " images");
      // torch's quantized runtime and the QDQ file it exports disagree on
      // MobileNet: the file itself, evaluated with ONNX's QDQ semantics in
      // float (models/qdq_semantics.py), gives torch's quantized prediction
      // on only 99.46 % of the test images. No faithful executor of the file
      // reaches 99.5 % there; docs/models.md has the measurements.
      // On a subset (sanitizer and Debug builds) a looser floor: the first
      // 1,000 images hold more of MobileNet's disagreements than the rest.
      const bool whole = classes_of.size() == 10000;
      const double floor = !whole ? 0.99 : name == "mobilenet" ? 0.994 : 0.995;
      CHECK(agreement >= floor);
      if (whole) {
        INFO("accuracy " << accuracy(classes_of) << ", torch's " << ref.int8_accuracy);
        CHECK(std::fabs(accuracy(classes_of) - ref.int8_accuracy) <= 0.001 + 1e-9);
      }
    }
  }
}

TEST_CASE("trained networks: w8a8 with mixq's own calibration stays within 0.3 points of float",
          "[model][trained]") {
  const mixq::io::dataset train = mixq::io::load_dataset(data_dir, mixq::io::split::train, 1024);
  for (const std::string name : {"resnet", "mobilenet", "fcnet"}) {
    DYNAMIC_SECTION(name) {
      const torch_reference ref = read_reference(name);
      const auto net = load(name + ".onnx");
      mixq::model m(net, mixq::calibrate(net, train.images, train.size()), {.all = {8, 8}}, {.max_batch = 64});
      const auto classes_of = top1(run_all(m), m.output_elements());
      std::size_t agree = 0;
      for (std::size_t i = 0; i < classes_of.size(); ++i) {
        agree += classes_of[i] == static_cast<std::size_t>(ref.float_predictions[i] - '0');
      }
      // Agreement with float: a loose floor that holds on any subset.
      CHECK(static_cast<double>(agree) >= 0.98 * static_cast<double>(classes_of.size()));
      if (classes_of.size() == 10000) {
        INFO("w8a8 accuracy " << accuracy(classes_of) << ", float " << ref.float_accuracy);
        CHECK(accuracy(classes_of) >= ref.float_accuracy - 0.003 - 1e-9);
      }
    }
  }
}

// requant/network.hpp on the committed PyTorch QDQ exports:
//   - a conversion whose every fold is exact (uint8 -> int8 asymmetric
//     activations, weights that fit) gives bit-identical outputs;
//   - export -> import gives the same codes, parameters and outputs, and the
//     file passes onnx.checker's rules as import_onnx reads them;
//   - sym and sym-pow2 stay within 0.5 points of the source on 2,000 test
//     images (the 0.3-point target is measured on all 10,000 in docs/requant.md);
//   - bad sources are errors that name the layer and the tensor.
namespace requant_networks {

using Catch::Contains;

const std::string models = MIXQ_TEST_MODELS;
const std::string data = MIXQ_TEST_FASHION_MNIST;

std::shared_ptr<const mixq::network> quantized(const std::string& name) {
  return std::make_shared<const mixq::network>(mixq::import_onnx(models + "/" + name + ".qdq.onnx"));
}

mixq::model native(std::shared_ptr<const mixq::network> net) {
  auto cal = mixq::source_calibration(*net);
  auto plan = mixq::native_plan(*net);
  return mixq::model(std::move(net), std::move(cal), plan, {.max_batch = 64});
}

double accuracy(mixq::model& m, const mixq::io::dataset& d) {
  std::size_t correct = 0;
  const std::size_t per = m.input_elements(), classes = m.output_elements();
  for (std::size_t at = 0; at < d.size(); at += 64) {
    const std::size_t n = std::min<std::size_t>(64, d.size() - at);
    const auto y = m.run(std::span<const float>(d.images).subspan(at * per, n * per), n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto row = y.begin() + static_cast<std::ptrdiff_t>(i * classes);
      correct += static_cast<std::int64_t>(std::max_element(row, row + static_cast<std::ptrdiff_t>(classes)) - row) ==
                 d.labels[at + i];
    }
  }
  return static_cast<double>(correct) / static_cast<double>(d.size());
}

}  // namespace requant_networks

using namespace requant_networks;

TEST_CASE("requant networks: where every fold is exact, the outputs are bit-identical", "[requant]") {
  // fcnet with every weight code moved off -128 (a narrow target cannot hold
  // it): then tflite keeps every weight, moves each uint8 zero point by -128
  // and each bias unit stays -- the accumulators are the same integers.
  mixq::network net = *quantized("fcnet");
  for (const std::size_t i : net.weighted_layers()) {
    std::visit(
        [](auto& op) {
          if constexpr (requires { op.source; }) {
            for (auto& c : op.source->codes) c = std::max<std::int8_t>(c, -127);
          }
        },
        net.layer_at(i).op);
  }
  const auto src = std::make_shared<const mixq::network>(net);
  const auto r = mixq::requantize(*src, mixq::requant_preset::tflite, {.weight_correction = false});
  for (const auto& l : r.report.layers) CHECK(l.weights_exact);
  for (const auto& v : r.report.values) {
    CHECK(v.exact);
    CHECK(v.to.is_signed);
  }
  auto a = native(src);
  auto b = native(std::make_shared<const mixq::network>(r.net));
  const auto test = mixq::io::load_dataset(data, mixq::io::split::test, 256);
  CHECK(a.run(test.images, test.size()) == b.run(test.images, test.size()));
}

TEST_CASE("requant networks: export -> import gives the same codes and outputs", "[requant]") {
  for (const char* name : {"resnet", "mobilenet"}) {
    INFO(name);
    const auto src = quantized(name);
    const auto r = mixq::requantize(*src, mixq::requant_preset::sym_pow2);
    const auto converted = std::make_shared<const mixq::network>(r.net);
    auto m = native(converted);
    const auto again = std::make_shared<const mixq::network>([&] { const std::string b = mixq::export_onnx_bytes(m); return mixq::import_onnx_bytes(b.data(), b.size(), "re"); }());
    REQUIRE(again->weighted_layers().size() == converted->weighted_layers().size());
    for (std::size_t w = 0; w < converted->weighted_layers().size(); ++w) {
      const auto s1 = *mixq::detail::weight_matrix_of(converted->layers()[converted->weighted_layers()[w]]).source;
      const auto s2 = *mixq::detail::weight_matrix_of(again->layers()[again->weighted_layers()[w]]).source;
      CHECK(s1->codes == s2->codes);
      for (std::size_t c = 0; c < s1->bias.size(); ++c) {
        CHECK(s1->scale_of(c) == s2->scale_of(c));
        int e = 0;
        CHECK(std::frexp(s2->scale_of(c), &e) == 0.5f);  // powers of two
        CHECK(s1->bias[c] == s2->bias[c]);
      }
    }
    auto m2 = native(again);
    const auto test = mixq::io::load_dataset(data, mixq::io::split::test, 128);
    CHECK(m.run(test.images, test.size()) == m2.run(test.images, test.size()));
    for (const auto& v : r.report.values) {
      int e = 0;
      CHECK(std::frexp(v.to.scale, &e) == 0.5f);
      CHECK(v.to.zero_point == 0);
    }
  }
}

TEST_CASE("requant networks: sym and sym-pow2 stay within 0.5 points of the source (2,000 images)", "[requant]") {
  const auto train = mixq::io::load_dataset(data, mixq::io::split::train, 256);
  const auto test = mixq::io::load_dataset(data, mixq::io::split::test, 2000);
  for (const char* name : {"fcnet", "resnet", "mobilenet"}) {
    const auto src = quantized(name);
    auto before = native(src);
    const double acc0 = accuracy(before, test);
    const auto means = mixq::requant_means(before, train.images, train.size());
    for (const auto preset : {mixq::requant_preset::sym, mixq::requant_preset::sym_pow2}) {
      INFO(name << " " << mixq::to_string(preset));
      const auto r = mixq::requantize(*src, preset, {}, means);
      auto after = native(std::make_shared<const mixq::network>(r.net));
      const double acc1 = accuracy(after, test);
      INFO("source " << acc0 << ", converted " << acc1);
      CHECK(acc1 >= acc0 - 0.005);
      mixq::network_requant_report rep = r.report;
      mixq::measure_output_sqnr(before, after, train.images, 64, rep);
      for (const auto& l : rep.layers) CHECK(*l.output_sqnr_db > 12.0);
    }
  }
}

TEST_CASE("requant networks: bad sources are errors naming the layer and tensor", "[requant]") {
  const auto float_net = mixq::import_onnx(models + "/fcnet.onnx");
  CHECK_THROWS_WITH(mixq::requantize(float_net, mixq::requant_preset::sym),
                    Contains("has float weights: the network is not quantized"));

  mixq::network net = *quantized("fcnet");
  const std::size_t first = net.weighted_layers().front();
  const mixq::value_id in = net.layers()[first].inputs[0];
  net.value_at(mixq::detail::quantized_origin(net, in)).source.reset();
  CHECK_THROWS_WITH(mixq::requantize(net, mixq::requant_preset::sym),
                    Contains("reads value") && Contains("no scale or zero point"));

  mixq::network tiny = *quantized("fcnet");
  std::visit(
      [](auto& op) {
        if constexpr (requires { op.source; }) {
          for (auto& s : op.source->scale) s = 1e-41f;
        }
      },
      tiny.layer_at(tiny.weighted_layers().back()).op);
  CHECK_THROWS_WITH(mixq::requantize(tiny, mixq::requant_preset::sym_pow2, {.weight_correction = false}),
                    Contains(tiny.layers()[tiny.weighted_layers().back()].name) && Contains("power-of-two scale"));
}
