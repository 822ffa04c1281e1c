// The typed layer (ops/): results equal the reference functions, and the
// requantized forms equal the TFLite rule applied to the reference sums.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <xtensor/xrandom.hpp>
#include <xtensor/xview.hpp>

#include <mixq/kernels/reference/conv.hpp>
#include <mixq/kernels/reference/requantize.hpp>
#include <mixq/ops/conv.hpp>
#include <mixq/ops/gemm.hpp>
#include <mixq/ops/quantize.hpp>
#include <mixq/tensor/quantize.hpp>

#include "support/tensor_matchers.hpp"

namespace {

template <mixq::scheme S, std::size_t R>
mixq::qtensor<S, R> random_tensor(const std::array<std::size_t, R>& shape, const mixq::qparams<S>& p, unsigned seed) {
  std::mt19937 rng(seed);
  mixq::qtensor<S, R> q(shape, p);
  for (auto ref : q) {
    std::int32_t code = std::uniform_int_distribution<std::int32_t>(mixq::qmin(S), mixq::qmax(S))(rng);
    if (mixq::is_binary(S)) code = code > 0 ? 1 : -1;
    ref = code;
  }
  return q;
}

// sum_k (a - za) * w + bias from the codes, in 64-bit.
template <mixq::scheme SA, mixq::scheme SW>
std::vector<std::int32_t> reference_gemm(const mixq::qtensor<SA, 2>& a, const mixq::qtensor<SW, 2>& w,
                                         const std::vector<std::int32_t>& bias) {
  std::vector<std::int32_t> out(a.shape(0) * w.shape(0));
  for (std::size_t m = 0; m < a.shape(0); ++m) {
    for (std::size_t n = 0; n < w.shape(0); ++n) {
      std::int64_t s = bias.empty() ? 0 : bias[n];
      for (std::size_t k = 0; k < a.shape(1); ++k) s += std::int64_t{a(m, k) - a.params().zero_point} * w(n, k);
      out[m * w.shape(0) + n] = static_cast<std::int32_t>(s);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("quantize and dequantize with an arch equal the reference functions", "[ops][quantize]") {
  xt::random::seed(3);
  const xt::xtensor<float, 3> x = xt::random::randn<float>({3, 5, 70});
  const auto arch = mixq::default_arch{};
  INFO("arch " << mixq::default_arch::name());

  const mixq::qparams<mixq::schemes::int8_asym> p8{0.02f, -3};
  REQUIRE((mixq::quantize(arch, x, p8) == mixq::reference::quantize(x, p8)));
  REQUIRE((mixq::quantize(x, p8) == mixq::reference::quantize(x, p8)));  // mixq::default_arch
  const mixq::qparams<mixq::schemes::uint4_asym> p4{0.3f, 7};
  const auto q4 = mixq::quantize(arch, x, p4);
  REQUIRE((q4 == mixq::reference::quantize(x, p4)));
  REQUIRE_THAT(mixq::dequantize(arch, q4), mixq::test::equals(mixq::reference::dequantize(q4)));

  constexpr mixq::scheme per_first{.bits = 4, .axis = 0};
  const mixq::qparams<per_first> pa{.scale = {0.1f, 0.2f, 0.3f}};
  const auto qa = mixq::quantize(arch, x, pa);
  REQUIRE((qa == mixq::reference::quantize(x, pa)));
  REQUIRE_THAT(mixq::dequantize(arch, qa), mixq::test::equals(mixq::reference::dequantize(qa)));

  constexpr mixq::scheme per_middle{.is_signed = false, .symmetric = false, .axis = 1};
  const mixq::qparams<per_middle> pm{.scale = {0.01f, 0.02f, 0.03f, 0.04f, 0.05f}, .zero_point = {0, 10, 100, 200, 255}};
  REQUIRE((mixq::quantize(arch, x, pm) == mixq::reference::quantize(x, pm)));

  constexpr mixq::scheme per_last{.bits = 2, .is_signed = false, .symmetric = false, .axis = 2};
  mixq::qparams<per_last> pl{.scale = std::vector<float>(70, 0.5f), .zero_point = std::vector<std::int32_t>(70, 1)};
  pl.scale[3] = 0.25f;
  pl.zero_point[5] = 3;
  const auto ql = mixq::quantize(arch, x, pl);
  REQUIRE((ql == mixq::reference::quantize(x, pl)));
  REQUIRE_THAT(mixq::dequantize(arch, ql), mixq::test::equals(mixq::reference::dequantize(ql)));

  const mixq::qparams<mixq::schemes::binary> pb{1.0f, 0};
  REQUIRE((mixq::quantize(arch, x, pb) == mixq::reference::quantize(x, pb)));
}

TEST_CASE("gemm on quantized tensors", "[ops][gemm]") {
  const mixq::qparams<mixq::schemes::int8_asym> pa{0.05f, -7};
  const auto a = random_tensor<mixq::schemes::int8_asym, 2>({5, 77}, pa, 1);

  constexpr mixq::scheme w4 = mixq::schemes::int4_sym_per_channel;
  mixq::qparams<w4> pw{.scale = std::vector<float>(19, 0.01f)};
  for (std::size_t n = 0; n < 19; ++n) pw.scale[n] = 0.01f * static_cast<float>(n + 1);
  const auto w = random_tensor<w4, 2>({19, 77}, pw, 2);
  const auto packed = mixq::pack_gemm_weights(w);

  std::vector<std::int32_t> bias(19);
  for (std::size_t n = 0; n < 19; ++n) bias[n] = static_cast<std::int32_t>(n * 37) - 300;

  SECTION("int32 output") {
    const auto r = mixq::gemm(a, packed, bias);
    const auto want = reference_gemm(a, w, bias);
    REQUIRE(r.shape(0) == 5);
    REQUIRE(r.shape(1) == 19);
    REQUIRE(std::vector<std::int32_t>(r.begin(), r.end()) == want);
  }

  SECTION("requantized output, with ReLU6") {
    const mixq::qparams<mixq::schemes::uint8_asym> po{0.04f, 20};
    const auto q = mixq::gemm(a, packed, po, {.bias = bias, .activation = mixq::fused_activation::relu6});
    const auto sums = reference_gemm(a, w, bias);
    const std::int32_t hi = std::min(255, 20 + static_cast<int>(std::round(6.0 / 0.04)));
    for (std::size_t m = 0; m < 5; ++m) {
      for (std::size_t n = 0; n < 19; ++n) {
        const auto mult = mixq::quantize_multiplier(0.05 * static_cast<double>(pw.scale[n]) / 0.04);
        const auto want = mixq::reference::requantize_value(sums[m * 19 + n], 0, mult, 20, 20, hi);
        REQUIRE(q.at(m, n) == want);
      }
    }
  }

  SECTION("sub-byte activations and 2-bit output") {
    const mixq::qparams<mixq::schemes::uint4_asym> pa4{0.1f, 3};
    const auto a4 = random_tensor<mixq::schemes::uint4_asym, 2>({3, 77}, pa4, 4);
    const mixq::qparams<mixq::schemes::int2_sym> po{0.5f};
    const auto q = mixq::gemm(a4, packed, po);
    const auto sums = reference_gemm(a4, w, {});
    for (std::size_t m = 0; m < 3; ++m) {
      for (std::size_t n = 0; n < 19; ++n) {
        const auto mult = mixq::quantize_multiplier(0.1 * static_cast<double>(pw.scale[n]) / 0.5);
        REQUIRE(q.at(m, n) == mixq::reference::requantize_value(sums[m * 19 + n], 0, mult, 0, -2, 1));
      }
    }
  }

  SECTION("binary weights and activations") {
    const auto ab = random_tensor<mixq::schemes::binary, 2>({4, 200}, {0.5f, 0}, 5);
    const auto wb = random_tensor<mixq::schemes::binary, 2>({9, 200}, {0.25f, 0}, 6);
    const auto r = mixq::gemm(ab, mixq::pack_gemm_weights(wb));
    REQUIRE(std::vector<std::int32_t>(r.begin(), r.end()) == reference_gemm(ab, wb, {}));
  }

  SECTION("bad input") {
    CHECK_THROWS_WITH(mixq::gemm(a, packed, std::vector<std::int32_t>(3)),
                      Catch::Contains("bias has 3 entries; expected one per output channel (19)"));
    const auto short_a = random_tensor<mixq::schemes::int8_asym, 2>({2, 76}, pa, 7);
    CHECK_THROWS_WITH(mixq::gemm(short_a, packed), Catch::Contains("K = 76"));
    CHECK_THROWS_WITH(mixq::gemm(a, packed, mixq::qparams<mixq::schemes::int8_asym>{0.0f, 0}),
                      Catch::Contains("qparams.scale = 0"));
  }
}

TEST_CASE("conv2d and depthwise_conv2d on quantized tensors", "[ops][conv]") {
  const mixq::qparams<mixq::schemes::uint8_asym> px{0.02f, 128};
  const auto x = random_tensor<mixq::schemes::uint8_asym, 4>({1, 7, 6, 5}, px, 8);
  constexpr mixq::scheme sw = mixq::schemes::int8_sym_per_channel;
  mixq::qparams<sw> pw{.scale = std::vector<float>(11, 0.003f)};
  const auto w = random_tensor<sw, 4>({11, 3, 3, 5}, pw, 9);
  const auto packed = mixq::pack_conv_weights(w);
  const mixq::conv2d_params params{.stride = 2, .padding = 1};

  mixq::conv2d_shape s{.batch = 1, .height = 7, .width = 6, .channels = 5, .kernel_h = 3, .kernel_w = 3,
                       .stride_h = 2, .stride_w = 2, .pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1};
  const mixq::conv_input in{x.data(), x.row_bytes(), 8, false, 128};
  std::vector<std::int8_t> w_codes(w.size());
  std::copy(w.begin(), w.end(), w_codes.begin());
  const auto want = mixq::reference::conv2d(s, in, w_codes.data(), 11, nullptr);

  const auto r = mixq::conv2d(x, packed, params);
  REQUIRE(r.shape(1) == 4);
  REQUIRE(r.shape(2) == 3);
  REQUIRE(std::vector<std::int32_t>(r.begin(), r.end()) == want);

  const mixq::qparams<mixq::schemes::int8_asym> po{0.05f, -10};
  const auto q = mixq::conv2d(x, packed, params, po, {.activation = mixq::fused_activation::relu});
  const auto mult = mixq::quantize_multiplier(0.02 * 0.003 / 0.05);
  for (std::size_t i = 0; i < want.size(); ++i) {
    const std::size_t p = i / 11, o = i % 11;
    REQUIRE(q.at(0, p / 3, p % 3, o) == mixq::reference::requantize_value(want[i], 0, mult, -10, -10, 127));
  }

  constexpr mixq::scheme sdw{.narrow = true, .axis = 3};
  mixq::qparams<sdw> pdw{.scale = std::vector<float>(5, 0.01f)};
  const auto dw = random_tensor<sdw, 4>({1, 3, 3, 5}, pdw, 10);
  std::vector<std::int8_t> dw_codes(dw.size());
  std::copy(dw.begin(), dw.end(), dw_codes.begin());
  s.stride_h = s.stride_w = 1;
  const auto want_dw = mixq::reference::depthwise(s, in, dw_codes.data(), nullptr);
  const auto qdw = mixq::depthwise_conv2d(x, dw, {.padding = 1}, po);
  const auto mdw = mixq::quantize_multiplier(0.02 * 0.01 / 0.05);
  for (std::size_t i = 0; i < want_dw.size(); ++i) {
    const std::size_t p = i / 5, c = i % 5;
    REQUIRE(qdw.at(0, p / 6, p % 6, c) == mixq::reference::requantize_value(want_dw[i], 0, mdw, -10, -128, 127));
  }

  const auto wrong = random_tensor<mixq::schemes::int8_sym, 4>({1, 3, 3, 4}, {0.01f}, 12);
  CHECK_THROWS_WITH(mixq::depthwise_conv2d(x, wrong, {.padding = 1}, po), Catch::Contains("expected [1, 3, 3, 5]"));
  const auto x4 = random_tensor<mixq::schemes::uint8_asym, 4>({1, 7, 6, 4}, px, 11);
  CHECK_THROWS_WITH(mixq::conv2d(x4, packed, params), Catch::Contains("the input has 4 channels but the weights expect 5"));
}
