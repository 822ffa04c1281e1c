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
#include <mixq/model/model.hpp>

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
