// tensor/quantize.hpp, qtensor.hpp, convert.hpp and concatenate.hpp: golden
// vectors from PyTorch 1.13, the numeric rules worked by hand, and the
// properties that tie the operations together.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "support/floats.hpp"
#include <xtensor/xadapt.hpp>
#include <xtensor/xio.hpp>
#include <xtensor/xrandom.hpp>
#include <xtensor/xview.hpp>

#include <mixq/tensor/concatenate.hpp>
#include <mixq/tensor/convert.hpp>
#include <mixq/tensor/quantize.hpp>

#include "golden/torch_quantize.inc"
#include "support/tensor_matchers.hpp"

namespace {
using namespace mixq;
using mixq::reference::dequantize;  // the scalar definitions; ops/quantize.hpp's fast path is compared with them in ops.cpp
using mixq::reference::quantize;
namespace s = mixq::schemes;
using Catch::Contains;
using mixq::test::equals;
using mixq::test::inf_f;
using mixq::test::nan_f;

using mixq::test::bits_of;

// Runs one PyTorch per-tensor case under scheme S.
template <scheme S>
void check_per_tensor_case(const torch_per_tensor_case& c) {
  const std::size_t rows = c.size / c.row_length;
  const auto x = xt::adapt(c.x, c.size, xt::no_ownership(), std::array<std::size_t, 2>{rows, c.row_length});
  const auto q = quantize(x, qparams<S>{c.scale, c.zero_point});
  const auto codes = int_repr(q);
  const auto deq = dequantize(q);
  for (std::size_t i = 0; i < c.size; ++i) {
    INFO("element " << i << ": x = " << c.x[i]);
    REQUIRE(codes.data()[i] == c.codes[i]);
    REQUIRE(bits_of(deq.data()[i]) == bits_of(c.deq[i]));
  }
  if (c.packed_size != 0) {
    // PyTorch packs the flat tensor low bits first; with whole-byte rows that is our layout.
    REQUIRE(q.bytes() == c.packed_size);
    for (std::size_t i = 0; i < c.packed_size; ++i) {
      INFO("byte " << i);
      REQUIRE(q.data()[i] == c.packed[i]);
    }
  }
}

template <scheme S, std::size_t R>
void check_per_channel_rank(const torch_per_channel_case& c) {
  std::array<std::size_t, R> shape{};
  std::size_t size = 1;
  for (std::size_t a = 0; a < R; ++a) size *= (shape[a] = c.shape[a]);
  const auto x = xt::adapt(c.x, size, xt::no_ownership(), shape);
  qparams<S> p;
  p.scale.assign(c.scale, c.scale + shape[S.axis]);
  p.zero_point.assign(c.zero_point, c.zero_point + shape[S.axis]);
  const auto q = quantize(x, p);
  const auto codes = int_repr(q);
  const auto deq = dequantize(q);
  for (std::size_t i = 0; i < size; ++i) {
    INFO("element " << i << ": x = " << c.x[i]);
    REQUIRE(codes.data()[i] == c.codes[i]);
    REQUIRE(bits_of(deq.data()[i]) == bits_of(c.deq[i]));
  }
}

template <bool Signed, int Axis>
void check_per_channel_case(const torch_per_channel_case& c) {
  constexpr scheme S{.is_signed = Signed, .symmetric = false, .axis = Axis};
  switch (c.rank) {
    case 2: if constexpr (Axis < 2) check_per_channel_rank<S, 2>(c); break;
    case 3: if constexpr (Axis < 3) check_per_channel_rank<S, 3>(c); break;
    case 4: check_per_channel_rank<S, 4>(c); break;
    default: FAIL("unexpected rank");
  }
}

template <bool Signed>
void check_per_channel_case(const torch_per_channel_case& c) {
  switch (c.axis) {
    case 0: check_per_channel_case<Signed, 0>(c); break;
    case 1: check_per_channel_case<Signed, 1>(c); break;
    case 2: check_per_channel_case<Signed, 2>(c); break;
    case 3: check_per_channel_case<Signed, 3>(c); break;
    default: FAIL("unexpected axis");
  }
}

// Signal-to-quantization-noise ratio in dB.
double sqnr_db(const xt::xtensor<float, 1>& x, const xt::xtensor<float, 1>& y) {
  double signal = 0, noise = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    signal += double(x(i)) * x(i);
    noise += (double(x(i)) - y(i)) * (double(x(i)) - y(i));
  }
  return 10.0 * std::log10(signal / noise);
}
}  // namespace

TEST_CASE("quantize / dequantize per tensor match PyTorch 1.13", "[tensor][golden]") {
  for (const auto& c : torch_per_tensor_cases) {
    const std::string dtype = c.dtype;
    INFO(dtype << " scale = " << c.scale << " zero_point = " << c.zero_point);
    if (dtype == "quint8") {
      if (c.zero_point == 128) check_per_tensor_case<s::uint8_sym>(c);
      check_per_tensor_case<s::uint8_asym>(c);
    } else if (dtype == "qint8") {
      if (c.zero_point == 0) check_per_tensor_case<s::int8_sym>(c);
      check_per_tensor_case<s::int8_asym>(c);
    } else if (dtype == "quint4x2") {
      if (c.zero_point == 8) check_per_tensor_case<scheme{.bits = 4, .is_signed = false}>(c);
      check_per_tensor_case<s::uint4_asym>(c);
    } else if (dtype == "quint2x4") {
      check_per_tensor_case<s::uint2_asym>(c);
    } else {
      FAIL("unknown dtype " << dtype);
    }
  }
}

TEST_CASE("quantize / dequantize per channel match PyTorch 1.13", "[tensor][golden]") {
  for (const auto& c : torch_per_channel_cases) {
    INFO(c.dtype << " rank " << c.rank << " axis " << c.axis);
    if (std::string(c.dtype) == "quint8") {
      check_per_channel_case<false>(c);
    } else {
      check_per_channel_case<true>(c);
    }
  }
}

TEST_CASE("quantize: the rule worked by hand", "[tensor]") {
  SECTION("ties go to even, then the zero point is added") {
    const xt::xtensor<float, 1> x = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f};
    CHECK_THAT(int_repr(quantize(x, qparams<s::int8_asym>{1.0f, 0})), equals(xt::xtensor<std::int32_t, 1>{0, 2, 2, 0, -2, -2}));
    CHECK_THAT(int_repr(quantize(x, qparams<s::int8_asym>{1.0f, 1})), equals(xt::xtensor<std::int32_t, 1>{1, 3, 3, 1, -1, -1}));
  }
  SECTION("the reciprocal is taken in float32 and multiplied") {
    // 0.3f * (1.0f / 0.1f) = 3.0000001 -> 3; 0.35f * 10 = 3.5 -> 4 (even).
    const xt::xtensor<float, 1> x = {0.3f, 0.35f, 0.25f};
    CHECK_THAT(int_repr(quantize(x, qparams<s::int8_sym>{0.1f})), equals(xt::xtensor<std::int32_t, 1>{3, 4, 2}));
  }
  SECTION("clamping, NaN and infinities") {
    const xt::xtensor<float, 1> x = {1000.0f, -1000.0f, nan_f, inf_f, -inf_f, 3e38f, -3e38f};
    CHECK_THAT(int_repr(quantize(x, qparams<s::uint8_asym>{0.1f, 20})), equals(xt::xtensor<std::int32_t, 1>{255, 0, 20, 255, 0, 255, 0}));
    CHECK_THAT(int_repr(quantize(x, qparams<s::int4_asym>{0.5f, -3})), equals(xt::xtensor<std::int32_t, 1>{7, -8, -3, 7, -8, 7, -8}));
    CHECK_THAT(int_repr(quantize(x, qparams<s::int8_sym_narrow>{0.5f})), equals(xt::xtensor<std::int32_t, 1>{127, -127, 0, 127, -127, 127, -127}));
  }
  SECTION("a subnormal scale: 0 * inf is NaN and maps to the zero point") {
    const xt::xtensor<float, 1> x = {0.0f, 1e-30f, -1e-30f};
    CHECK_THAT(int_repr(quantize(x, qparams<s::uint8_asym>{1e-45f, 7})), equals(xt::xtensor<std::int32_t, 1>{7, 255, 0}));
  }
  SECTION("binary: x >= 0 -> +1, else -1; NaN as 0") {
    const xt::xtensor<float, 1> x = {0.0f, -0.0f, 1e-20f, -1e-20f, 5.0f, -5.0f, nan_f, inf_f, -inf_f};
    const auto q = quantize(x, qparams<s::binary>{0.75f});
    CHECK_THAT(int_repr(q), equals(xt::xtensor<std::int32_t, 1>{1, 1, 1, -1, 1, -1, 1, 1, -1}));
    CHECK_THAT(dequantize(q), equals(xt::xtensor<float, 1>{0.75f, 0.75f, 0.75f, -0.75f, 0.75f, -0.75f, 0.75f, 0.75f, -0.75f}));
    CHECK(q.bytes() == 2);
    CHECK(q.data()[0] == 0b11010111);  // code k in bit k
    CHECK(q.data()[1] == 0b0);
  }
  SECTION("ternary (2-bit narrow)") {
    const xt::xtensor<float, 1> x = {-3.0f, -0.4f, 0.6f, 2.0f};
    CHECK_THAT(int_repr(quantize(x, qparams<s::int2_ternary>{1.0f})), equals(xt::xtensor<std::int32_t, 1>{-1, 0, 1, 1}));
  }
}

TEST_CASE("quantize: power-of-two scales multiply exactly", "[tensor]") {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> value(-100.0f, 100.0f);
  for (int e : {-10, -3, 0, 2, 7}) {
    INFO("exponent " << e);
    xt::xtensor<float, 1> x = xt::zeros<float>({256});
    for (auto& v : x) v = value(rng);
    const qparams<s::int8_pow2> p{.exponent = e};
    const auto codes = int_repr(quantize(x, p));
    for (std::size_t i = 0; i < x.size(); ++i) {
      // x * 2^-e is exact in float, so this is the exact value rounded once.
      const double exact = std::ldexp(double(x(i)), -e);
      const double expected = std::clamp(std::nearbyint(exact), -128.0, 127.0);
      REQUIRE(codes(i) == static_cast<std::int32_t>(expected));
    }
  }
}

TEST_CASE("quantize: per-channel equals per-tensor run on each channel", "[tensor]") {
  xt::random::seed(9);
  const xt::xtensor<float, 3> x = xt::random::randn<float>({3, 4, 5});
  SECTION("axis 1") {
    const qparams<scheme{.symmetric = false, .axis = 1}> p{{0.01f, 0.02f, 0.05f, 0.1f}, {-3, 0, 5, 100}};
    const auto q = int_repr(quantize(x, p));
    for (std::size_t c = 0; c < 4; ++c) {
      const xt::xtensor<float, 2> slice = xt::view(x, xt::all(), c, xt::all());
      const auto ref = int_repr(quantize(slice, qparams<s::int8_asym>{p.scale[c], p.zero_point[c]}));
      const xt::xtensor<std::int32_t, 2> got = xt::view(q, xt::all(), c, xt::all());
      CHECK_THAT(got, equals(ref));
    }
  }
  SECTION("the last axis, with 3-bit codes") {
    const qparams<scheme{.bits = 3, .axis = 2}> p{.scale = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f}};
    const auto q = int_repr(quantize(x, p));
    for (std::size_t c = 0; c < 5; ++c) {
      const xt::xtensor<float, 2> slice = xt::view(x, xt::all(), xt::all(), c);
      const auto ref = int_repr(quantize(slice, qparams<scheme{.bits = 3}>{p.scale[c]}));
      const xt::xtensor<std::int32_t, 2> got = xt::view(q, xt::all(), xt::all(), c);
      CHECK_THAT(got, equals(ref));
    }
  }
}

TEST_CASE("dequantize: scale * (q - zp), and error bounds of the round trip", "[tensor]") {
  xt::random::seed(3);
  const xt::xtensor<float, 1> x = xt::random::rand<float>({4096}, -1.0f, 1.0f);
  double last = 0;
  for (int bits : {2, 3, 4, 8}) {
    // A symmetric scale covering [-1, 1]: every value is within half a step.
    const float step = 1.0f / static_cast<float>((1 << (bits - 1)) - 1);
    auto run = [&]<int B>() {
      const auto q = quantize(x, qparams<scheme{.bits = B, .narrow = true}>{step});
      const auto y = dequantize(q);
      for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(std::abs(x(i) - y(i)) <= 0.5f * step * (1 + 1e-6f));
      return sqnr_db(x, y);
    };
    const double db = bits == 2 ? run.operator()<2>() : bits == 3 ? run.operator()<3>() : bits == 4 ? run.operator()<4>() : run.operator()<8>();
    INFO(bits << " bits: " << db << " dB");
    CHECK(db > last);  // more bits, less noise
    last = db;
  }
  CHECK(last > 40.0);
}

TEST_CASE("qtensor: shape, access and storage", "[tensor]") {
  qtensor<s::int4_sym, 3> t({2, 3, 5}, {0.5f});
  CHECK(t.size() == 30);
  CHECK(t.rows() == 6);
  CHECK(t.row_length() == 5);
  CHECK(t.row_bytes() == 3);
  CHECK(t.bytes() == 18);
  t.set(-8, 1, 2, 4);
  t(0, 0, 1) = 7;
  CHECK(t.at(1, 2, 4) == -8);
  CHECK(t.at(0, 0, 1) == 7);
  CHECK(t(0, 0, 0) == 0);
  CHECK(t.data()[0] == 0x70);
  CHECK_THROWS_WITH(t.at(2, 0, 0), Contains("index 0 = 2 is out of range; expected < 2"));
  CHECK_THROWS_WITH(t.set(8, 0, 0, 0), Contains("code = 8 is not a code of this scheme; expected -8 <= code <= 7"));
  t.fill(-3);
  for (std::int32_t c : std::as_const(t)) REQUIRE(c == -3);
  CHECK_THROWS_AS(t.fill(9), mixq::error);
  qtensor<s::binary, 1> b({3}, {});
  CHECK_THROWS_WITH(b.set(0, 1), Contains("code != 0"));
}

TEST_CASE("int_repr / from_int_repr round trip", "[tensor]") {
  const xt::xtensor<int, 2> codes = {{-4, 3, 0}, {1, -1, 2}};
  const auto q = from_int_repr(codes, qparams<scheme{.bits = 3}>{0.25f});
  CHECK_THAT(int_repr(q), equals(xt::xtensor<std::int32_t, 2>(codes)));
  CHECK_THAT(dequantize(q), equals(xt::xtensor<float, 2>{{-1.0f, 0.75f, 0.0f}, {0.25f, -0.25f, 0.5f}}));
  const xt::xtensor<int, 1> bad = {0, 4};
  CHECK_THROWS_WITH(from_int_repr(bad, qparams<scheme{.bits = 3}>{0.25f}),
                    Contains("code 4 (flat index 1) is not a code of this scheme"));
  const xt::xtensor<int, 1> zero = {1, 0};
  CHECK_THROWS_AS(from_int_repr(zero, qparams<s::binary>{}), mixq::error);
}

TEST_CASE("quantize: bad input", "[tensor][errors]") {
  const xt::xtensor<float, 2> x = xt::ones<float>({2, 3});
  CHECK_THROWS_WITH(quantize(x, qparams<s::int8_asym>{0.0f, 0}),
                    Contains("mixq::quantize: qparams.scale = 0 is invalid; expected a finite scale > 0"));
  CHECK_THROWS_WITH(quantize(x, qparams<s::int8_asym>{nan_f, 0}), Contains("qparams.scale = nan"));
  CHECK_THROWS_WITH(quantize(x, qparams<s::int8_asym>{inf_f, 0}), Contains("qparams.scale = inf"));
  CHECK_THROWS_WITH(quantize(x, qparams<s::int8_asym>{-1.0f, 0}), Contains("qparams.scale = -1"));
  CHECK_THROWS_WITH(quantize(x, qparams<s::int8_asym>{0.1f, 128}), Contains("qparams.zero_point = 128 is out of range"));
  CHECK_THROWS_WITH(quantize(x, qparams<s::int8_sym>{0.1f, 5}), Contains("symmetric signed scheme fixes it at 0"));
  CHECK_THROWS_WITH(quantize(x, qparams<s::int8_sym_per_channel>{.scale = {0.1f, 0.1f, 0.1f}}),
                    Contains("qparams has 3 channels but the tensor has 2 along axis 0"));
  CHECK_THROWS_WITH((qtensor<s::int8_sym_per_channel, 2>({4, 4}, {.scale = {1.0f}})),
                    Contains("mixq::qtensor: qparams has 1 channels but the tensor has 4"));
}

TEST_CASE("convert re-quantizes through float", "[tensor]") {
  const xt::xtensor<float, 2> x = {{-1.0f, -0.26f, 0.0f, 0.3f}, {0.49f, 0.51f, 0.8f, 1.2f}};
  const auto q8 = quantize(x, qparams<s::int8_asym>{0.01f, 3});
  const auto q4 = convert<s::int4_sym>(q8, qparams<s::int4_sym>{0.125f});
  static_assert(std::same_as<decltype(q4), const qtensor<s::int4_sym, 2>>);
  CHECK(q4 == quantize(dequantize(q8), qparams<s::int4_sym>{0.125f}));
  CHECK_THAT(int_repr(q4), equals(xt::xtensor<std::int32_t, 2>{{-8, -2, 0, 2}, {4, 4, 6, 7}}));
}

TEST_CASE("concatenate joins rows and blocks", "[tensor]") {
  const qparams<scheme{.bits = 3}> p{0.5f};
  const auto a = from_int_repr(xt::xtensor<int, 2>{{1, 2, 3}, {-1, -2, -3}}, p);
  const auto b = from_int_repr(xt::xtensor<int, 2>{{0, 3}, {-4, 1}}, p);
  CHECK_THAT(int_repr(concatenate(a, b, 1)), equals(xt::xtensor<std::int32_t, 2>{{1, 2, 3, 0, 3}, {-1, -2, -3, -4, 1}}));
  const auto c = from_int_repr(xt::xtensor<int, 2>{{3, 3, 3}}, p);
  CHECK_THAT(int_repr(concatenate(a, c, 0)), equals(xt::xtensor<std::int32_t, 2>{{1, 2, 3}, {-1, -2, -3}, {3, 3, 3}}));
  SECTION("per-channel along the channel axis joins the parameters") {
    const auto pa = from_int_repr(xt::xtensor<int, 2>{{1, 2}}, qparams<s::int8_sym_per_channel>{.scale = {0.5f}});
    const auto pb = from_int_repr(xt::xtensor<int, 2>{{3, 4}, {5, 6}}, qparams<s::int8_sym_per_channel>{.scale = {0.25f, 2.0f}});
    const auto joined = concatenate(pa, pb, 0);
    CHECK(joined.params().scale == std::vector<float>{0.5f, 0.25f, 2.0f});
    CHECK_THAT(dequantize(joined), equals(xt::xtensor<float, 2>{{0.5f, 1.0f}, {0.75f, 1.0f}, {10.0f, 12.0f}}));
  }
  CHECK_THROWS_WITH(concatenate(a, from_int_repr(xt::xtensor<int, 2>{{1, 2, 3}}, qparams<scheme{.bits = 3}>{0.25f}), 0),
                    Contains("scales/zero points differ (0.5 / 0 vs 0.25 / 0)"));
  CHECK_THROWS_WITH(concatenate(a, b, 0), Contains("extent 1 differs: 3 vs 2"));
  CHECK_THROWS_WITH(concatenate(a, b, 2), Contains("axis = 2 is out of range"));
}
