// The executors (model/model.hpp): float against the definitions in double;
// every integer plan on the deployed kernels against the same plan on the
// scalar twins (reference_model), bit for bit; batching, threads, errors.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <memory>
#include <random>
#include <vector>

#include <mixq/model/builder.hpp>
#include <mixq/model/calibrate.hpp>
#include <mixq/model/detail/code_ops.hpp>
#include <mixq/model/detail/layer_weights.hpp>
#include <mixq/model/model.hpp>
#include <mixq/model/zoo.hpp>

#include "unit/model/arch_models.hpp"
#include "unit/model/networks.hpp"

namespace {

using namespace mixq;

std::vector<float> random_inputs(const network& net, std::size_t n, unsigned seed, float lo = 0.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> x(n * net.input_shape().elements());
  for (auto& v : x) v = d(rng);
  return x;
}

std::vector<std::shared_ptr<const network>> test_networks() {
  return {std::make_shared<const network>(mixq_test::all_operators(7)),
          std::make_shared<const network>(mixq_test::flatten_head(11)),
          std::make_shared<const network>(mixq_test::wide_input(13))};
}

// Uniform plans of every kernel, fp32, and mixed plans that put layers in float between integer ones.
std::vector<precision_plan> test_plans(const network& net, unsigned seed) {
  std::vector<precision_plan> plans;
  for (const precision p : network_precisions) plans.push_back({.all = p});
  std::mt19937 rng(seed);
  for (int k = 0; k < 6; ++k) {
    precision_plan mixed{.all = {8, 8}};
    for (const std::size_t i : net.weighted_layers()) {
      const std::size_t pick = std::uniform_int_distribution<std::size_t>(0, std::size(network_precisions))(rng);
      mixed.layers.emplace_back(net.layers()[i].name, pick == std::size(network_precisions) ? fp32 : network_precisions[pick]);
    }
    plans.push_back(mixed);
  }
  return plans;
}

std::string describe(const network& net, const precision_plan& plan) {
  std::string s;
  for (const std::size_t i : net.weighted_layers()) s += to_string(plan.of(net.layers()[i].name)) + " ";
  return s;
}

}  // namespace

TEST_CASE("model: fp32 equals the definitions computed in double", "[model]") {
  for (const auto& net : test_networks()) {
    const std::size_t n = 5;
    const auto x = random_inputs(*net, n, 3);
    model m(net, {}, {.all = fp32}, {.max_batch = 2});
    const auto y = m.run(x, n);
    const auto expected = mixq_test::reference_float(*net, x, n);
    REQUIRE(y.size() == expected.size());
    for (std::size_t i = 0; i < y.size(); ++i) {
      INFO("output " << i);
      REQUIRE(std::fabs(y[i] - expected[i]) <= 1e-4 * (1.0 + std::fabs(expected[i])));
    }
  }
}

TEST_CASE("model: every plan on the deployed kernels equals the scalar twins bit for bit", "[model]") {
  for (const auto& net : test_networks()) {
    const auto calib = random_inputs(*net, 16, 5);
    const auto cal = calibrate(net, calib, 16);
    const std::size_t n = 6;
    // Wider than the calibration data: the input's quantization clamps too.
    const auto x = random_inputs(*net, n, 9, -0.5f, 1.5f);
    for (const auto& plan : test_plans(*net, 17)) {
      for (const requantize_rule rule : {requantize_rule::tflite, requantize_rule::float32}) {
        INFO("plan " << describe(*net, plan) << (rule == requantize_rule::float32 ? " (float32 requantize)" : ""));
        reference_model oracle(net, cal, plan, {.requantize = rule});
        const auto expected = oracle.run(x, n);
        model m(net, cal, plan, {.max_batch = 4, .requantize = rule});
        CHECK(m.run(x, n) == expected);
        for (const auto& arch : mixq_test::model_archs()) {
          if (!arch.available()) continue;
          INFO("kernels " << arch.name);
          CHECK(arch.run(net, cal, plan, x, n, {.max_batch = 4, .threads = 1, .requantize = rule}) == expected);
          // two threads split the rows
          CHECK(arch.run(net, cal, plan, x, n, {.max_batch = 4, .threads = 2, .requantize = rule}) == expected);
        }
      }
    }
  }
}

TEST_CASE("model: the float32 requantize rule stays close to TFLite's", "[model]") {
  for (const auto& net : test_networks()) {
    const auto calib = random_inputs(*net, 16, 41);
    const auto cal = calibrate(net, calib, 16);
    const auto x = random_inputs(*net, 4, 43);
    model a(net, cal, {.all = {8, 8}});
    model b(net, cal, {.all = {8, 8}}, {.requantize = requantize_rule::float32});
    const auto ya = a.run(x, 4), yb = b.run(x, 4);
    REQUIRE(ya.size() == yb.size());
    // The rules differ by a code at most in each layer (the kernel tests
    // show it); through the network that stays well below the 8-bit noise.
    double signal = 0, noise = 0;
    for (std::size_t i = 0; i < ya.size(); ++i) {
      signal += ya[i] * ya[i];
      noise += (ya[i] - yb[i]) * (ya[i] - yb[i]);
    }
    CHECK(noise <= signal * 1e-3);
    CHECK(ya != yb);  // the option changes something: it is not ignored
  }
}

TEST_CASE("model: w8a8 stays close to float", "[model]") {
  for (const auto& net : test_networks()) {
    const auto calib = random_inputs(*net, 64, 21);
    const auto cal = calibrate(net, calib, 64);
    const std::size_t n = 8;
    const auto x = random_inputs(*net, n, 23);
    model f(net, {}, {.all = fp32});
    model q(net, cal, {.all = {8, 8}});
    const auto yf = f.run(x, n), yq = q.run(x, n);
    double signal = 0, noise = 0;
    for (std::size_t i = 0; i < yf.size(); ++i) {
      signal += yf[i] * yf[i];
      noise += (yf[i] - yq[i]) * (yf[i] - yq[i]);
    }
    // 8-bit codes through a dozen layers: the outputs keep 25 dB of SQNR.
    CHECK(10.0 * std::log10(signal / noise) > 25.0);
  }
}

TEST_CASE("model: set_precision and set_plan give what a fresh model of that plan gives", "[model]") {
  const auto net = test_networks()[0];
  const auto calib = random_inputs(*net, 16, 31);
  const auto cal = calibrate(net, calib, 16);
  const auto x = random_inputs(*net, 3, 33);
  model m(net, cal, {.all = {8, 8}});
  m.set_precision(2, {4, 4});
  m.set_precision(0, fp32);
  precision_plan plan{.all = {8, 8}};
  plan.layers.emplace_back(std::string(m.layer_name(2)), precision{4, 4});
  plan.layers.emplace_back(std::string(m.layer_name(0)), fp32);
  CHECK(m.run(x, 3) == model(net, cal, plan).run(x, 3));
  m.set_plan({.all = {2, 8}});
  CHECK(m.run(x, 3) == model(net, cal, {.all = {2, 8}}).run(x, 3));
  CHECK(m.layer_precision(1) == precision{2, 8});
}

TEST_CASE("model: costs, capture and run_layer", "[model]") {
  const auto net = test_networks()[0];
  const auto calib = random_inputs(*net, 8, 41);
  model m(net, calibrate(net, calib, 8), {.all = {8, 8}});
  // c3 is a 1x1 convolution 16 -> 12 on 5x5 pixels.
  std::size_t c3 = 0;
  while (c3 < m.layer_count() && m.layer_name(c3) != "c3") ++c3;
  REQUIRE(c3 < m.layer_count());
  const layer_cost c = m.cost(c3, {4, 8});
  CHECK(c.macs == 5 * 5 * 12 * 16);
  CHECK(c.bops == c.macs * 32);
  CHECK(c.size_bytes == 12 * 8 + 12 * 4 + 12 * 4);  // 16 four-bit codes per row, bias, scale
  CHECK(m.cost(c3, fp32).size_bytes == 12 * 16 * 4 + 12 * 4);

  const auto x = random_inputs(*net, 2, 43);
  CHECK_THROWS_WITH(m.run_layer(c3), Catch::Contains("no run yet"));
  const auto y = m.run(x, 2);
  const auto before = m.capture(net->layers()[net->weighted_layers()[c3]].output);
  CHECK(before.size() == 2 * 5 * 5 * 12);
  m.run_layer(c3);  // the same input again: the same output
  CHECK(m.capture(net->layers()[net->weighted_layers()[c3]].output) == before);
  CHECK(m.run(x, 2) == y);
}

TEST_CASE("model: bad plans and inputs are errors that say what is wrong", "[model][errors]") {
  const auto net = test_networks()[0];
  const auto calib = random_inputs(*net, 8, 51);
  const auto cal = calibrate(net, calib, 8);
  precision_plan unknown{.all = {8, 8}};
  unknown.layers.emplace_back("no_such_layer", precision{4, 8});
  CHECK_THROWS_WITH(model(net, cal, unknown), Catch::Contains("'no_such_layer', which is not a layer"));
  precision_plan pooled{.all = {8, 8}};
  pooled.layers.emplace_back("mp", precision{4, 8});
  CHECK_THROWS_WITH(model(net, cal, pooled), Catch::Contains("a layer without weights"));
  CHECK_THROWS_WITH(model(net, cal, {.all = {1, 1}}), Catch::Contains("no kernel runs it"));
  CHECK_THROWS_WITH(model(net, cal, {.all = {3, 8}}), Catch::Contains("w3a8"));
  CHECK_THROWS_WITH(model(net, {}, {.all = {8, 8}}), Catch::Contains("no 8-bit quantization parameters"));
  CHECK_THROWS_WITH(model(nullptr, cal, {.all = {8, 8}}), Catch::Contains("the network is null"));
  CHECK_THROWS_WITH(model(net, cal, {.all = {8, 8}}, {.max_batch = 0}), Catch::Contains("options.max_batch = 0"));
  // An enum value no rule names (a cast an integrator's config code could make).
  const auto bad_rule = static_cast<requantize_rule>(7);
  CHECK_THROWS_WITH(model(net, cal, {.all = {8, 8}}, {.requantize = bad_rule}),
                    Catch::Contains("options.requantize = 7 is invalid"));
  model m(net, cal, {.all = {8, 8}});
  std::vector<float> x(10);
  CHECK_THROWS_WITH(m.run(x, 1), Catch::Contains("10 input floats for 1 samples; expected 1 x 300"));
  CHECK_THROWS_WITH(calibrate(net, x, 0), Catch::Contains("no samples"));
  std::vector<float> nan(300, std::nanf(""));
  CHECK_THROWS(calibrate(net, nan, 1));
}

TEST_CASE("model: scales out of all proportion are an error, not wrapped codes", "[model][errors]") {
  // A file may declare any scales. An output scale 2^-100 of the input's
  // makes a requantization multiplier no int32 arithmetic can apply: the
  // model refuses it and names the layer (found by the onnx_model fuzz target).
  network_builder b(tensor_shape{.height = 1, .width = 1, .channels = 4, .image = false});
  const value_id h = b.dense(b.input(), "fc1", 3, std::vector<float>(12, 0.5f));
  const network net = std::move(b).build(b.dense(h, "fc2", 2, std::vector<float>(6, 0.25f)));
  activation_calibration cal(net.values().size());
  cal.set_range(b.input(), 0.0f, 1.0f);
  cal.set_range(h, -1.0f, 1.0f);
  cal.set_range(net.output(), -1.0f, 1.0f);
  CHECK_NOTHROW(model(net, cal, {.all = {8, 8}}));
  cal.set(h, activation_params{.scale = std::ldexp(1.0f, -100), .zero_point = 0, .bits = 8, .is_signed = true});
  CHECK_THROWS_WITH(model(net, cal, {.all = {8, 8}}),
                    Catch::Contains("layer 'fc1': a requantization multiplier of") &&
                        Catch::Contains("is too large for values up to"));
}

TEST_CASE("max pooling on codes equals the maximum over each window, brute force", "[model]") {
  // Windows of 1 to 81 pixels, padding and dilation, 1 to 150 channels,
  // signed and unsigned codes.
  std::mt19937 rng(23);
  auto pick = [&](std::size_t lo, std::size_t hi) { return std::uniform_int_distribution<std::size_t>(lo, hi)(rng); };
  for (int trial = 0; trial < 40; ++trial) {
    const tensor_shape in{pick(1, 12), pick(1, 12), trial % 3 == 0 ? pick(60, 150) : pick(1, 40)};
    pool_op op;
    op.geometry.kernel_h = trial == 0 ? 9 : pick(1, 3);
    op.geometry.kernel_w = trial == 0 ? 9 : pick(1, 3);
    op.geometry.stride_h = pick(1, 2);
    op.geometry.stride_w = pick(1, 2);
    op.geometry.pad_top = op.geometry.pad_bottom = pick(0, op.geometry.kernel_h / 2);
    op.geometry.pad_left = op.geometry.pad_right = pick(0, op.geometry.kernel_w / 2);
    if (trial % 5 == 4) {  // dilated, unpadded (so no window lies wholly in the padding)
      op.geometry.dilation_h = op.geometry.dilation_w = 2;
      op.geometry.pad_top = op.geometry.pad_bottom = op.geometry.pad_left = op.geometry.pad_right = 0;
    }
    const window& w = op.geometry;
    const std::size_t oh = w.out_height(in.height), ow = w.out_width(in.width), c = in.channels;
    if (oh == 0 || ow == 0) continue;
    const bool is_signed = trial % 2 == 1;
    const std::size_t images = pick(1, 2);
    std::vector<std::uint8_t> x(images * in.elements());
    for (auto& v : x) v = static_cast<std::uint8_t>(pick(0, 255));
    std::vector<std::uint8_t> got(images * oh * ow * c, 0x5a);
    detail::code_pool(x.data(), in, op, is_signed, nullptr, got.data(), 0, images * oh * ow, nullptr);
    INFO("trial " << trial << ": " << in.height << "x" << in.width << "x" << c << " kernel " << w.kernel_h << "x"
                  << w.kernel_w << " stride " << w.stride_h << " pad " << w.pad_top << "/" << w.pad_left << " dilation "
                  << w.dilation_h << (is_signed ? " signed" : " unsigned"));
    for (std::size_t p = 0; p < images * oh * ow; ++p) {
      const std::size_t img = p / (oh * ow), yo = (p / ow) % oh, xo = p % ow;
      for (std::size_t ch = 0; ch < c; ++ch) {
        int best = is_signed ? -1000 : -1;
        for (std::size_t ky = 0; ky < w.kernel_h; ++ky) {
          for (std::size_t kx = 0; kx < w.kernel_w; ++kx) {
            const long iy = static_cast<long>(yo * w.stride_h + ky * w.dilation_h) - static_cast<long>(w.pad_top);
            const long ix = static_cast<long>(xo * w.stride_w + kx * w.dilation_w) - static_cast<long>(w.pad_left);
            if (iy < 0 || ix < 0 || iy >= static_cast<long>(in.height) || ix >= static_cast<long>(in.width)) continue;
            const std::uint8_t v = x[((img * in.height + static_cast<std::size_t>(iy)) * in.width +
                                      static_cast<std::size_t>(ix)) * c + ch];
            best = std::max(best, is_signed ? static_cast<int>(static_cast<std::int8_t>(v)) : static_cast<int>(v));
          }
        }
        REQUIRE(best > -1000);
        REQUIRE(got[p * c + ch] == static_cast<std::uint8_t>(best));
      }
    }
  }
}

TEST_CASE("zoo: ResNet-18 and MobileNetV2 have torchvision's layers, weights and multiply-accumulates", "[model]") {
  // torchvision 0.14's models at 224 x 224 (models/ has no copy; counted with
  // forward hooks): weights of every Conv2d and Linear, and their MACs.
  struct expected {
    mixq::network net;
    std::size_t layers, weights, macs;
  };
  for (auto& [net, layers, weights, macs] : {expected{mixq::zoo::resnet18(), 21, 11678912, 1814073344},
                                             expected{mixq::zoo::mobilenet_v2(), 53, 3469760, 300774272}}) {
    CHECK(net.weighted_layers().size() == layers);
    std::size_t w = 0, m = 0;
    for (const std::size_t i : net.weighted_layers()) {
      const auto& l = net.layers()[i];
      w += mixq::detail::weight_matrix_of(l).weights->size();
      m += mixq::layer_macs(l, net.values());
    }
    CHECK(w == weights);
    CHECK(m == macs);
    CHECK(net.output_shape().channels == 1000);
  }
  CHECK(mixq::zoo::mobilenet_v2({.image = 96, .classes = 10}).output_shape().channels == 10);
  CHECK_THROWS_WITH(mixq::zoo::resnet18({.image = 8}), Catch::Contains("image 8"));
  CHECK_THROWS_WITH(mixq::zoo::by_name("vgg16"), Catch::Contains("'vgg16' is not a zoo network"));
}
