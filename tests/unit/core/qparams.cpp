// core/qparams.hpp: validation names the field, the value and what was expected.
#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "support/floats.hpp"

#include <mixq/core/qparams.hpp>

namespace {
using namespace mixq;
namespace s = mixq::schemes;
using Catch::Contains;
using mixq::test::inf_f;
using mixq::test::nan_f;
}  // namespace

TEST_CASE("qparams: defaults and aggregate initialisation", "[core][qparams]") {
  CHECK(qparams<s::int8_asym>{}.scale == 1.0f);
  CHECK(qparams<s::uint8_sym>{}.zero_point == 128);
  const qparams<s::int8_sym_per_channel> pc{.scale = {0.5f, 0.25f, 2.0f}};
  CHECK(pc.zero_point == std::vector<std::int32_t>{0, 0, 0});
  CHECK(channels(pc) == 3);
  CHECK(scale_of(pc, 2) == 2.0f);
  const qparams<s::int8_pow2_per_channel> pp{.exponent = {-3, 0, 4}};
  CHECK(pp.scale == std::vector<float>{0.125f, 1.0f, 16.0f});
  CHECK(pp.zero_point.size() == 3);
  CHECK(channels(qparams<s::int4_sym>{}) == 1);
  REQUIRE_NOTHROW(validate(pc));
  REQUIRE_NOTHROW(validate(pp));
  REQUIRE_NOTHROW(validate(qparams<s::uint8_asym>{0.1f, 255}));
}

TEST_CASE("qparams: invalid scales", "[core][qparams][errors]") {
  for (float bad : {0.0f, -0.5f, nan_f, inf_f, -inf_f}) {
    INFO("scale = " << bad);
    CHECK_THROWS_AS(validate(qparams<s::int8_asym>{bad, 0}), mixq::error);
  }
  CHECK_THROWS_WITH(validate(qparams<s::int8_asym>{-0.5f, 0}, "mixq::quantize"),
                    Contains("mixq::quantize") && Contains("qparams.scale = -0.5") && Contains("finite scale > 0"));
  CHECK_THROWS_WITH(validate(qparams<s::int8_sym_per_channel>{.scale = {0.1f, nan_f}}),
                    Contains("qparams.scale[1] = nan"));
}

TEST_CASE("qparams: zero points", "[core][qparams][errors]") {
  CHECK_THROWS_WITH(validate(qparams<s::uint8_asym>{0.1f, 256}),
                    Contains("qparams.zero_point = 256") && Contains("0 <= zero_point <= 255"));
  CHECK_THROWS_WITH(validate(qparams<s::int4_asym>{0.1f, -9}), Contains("-8 <= zero_point <= 7"));
  // Symmetric schemes fix the zero point.
  CHECK_THROWS_WITH(validate(qparams<s::int8_sym>{0.1f, 3}),
                    Contains("qparams.zero_point = 3") && Contains("symmetric signed scheme fixes it at 0"));
  CHECK_THROWS_WITH(validate(qparams<s::uint8_sym>{0.1f, 0}), Contains("fixes it at 128"));
  CHECK_THROWS_WITH(validate(qparams<s::int8_sym_per_channel>{{0.1f, 0.2f}, {0, 1}}),
                    Contains("qparams.zero_point[1] = 1"));
}

TEST_CASE("qparams: per-channel lengths and power-of-two exponents", "[core][qparams][errors]") {
  CHECK_THROWS_WITH(validate(qparams<s::int8_sym_per_channel>{{0.1f, 0.2f}, {0}}),
                    Contains("zero_point has 1 entries but qparams.scale has 2"));
  CHECK_THROWS_WITH(validate_channels(qparams<s::int8_sym_per_channel>{.scale = {0.1f, 0.2f}}, 3, "mixq::quantize"),
                    Contains("qparams has 2 channels but the tensor has 3 along axis 0"));
  // The scale of a power-of-two scheme follows its exponent.
  qparams<s::int8_pow2> p{.exponent = -2};
  p.scale = 0.3f;
  CHECK_THROWS_WITH(validate(p), Contains("qparams.scale = 0.3 does not match 2^exponent = 2^-2 = 0.25"));
  CHECK_THROWS_WITH(validate(qparams<s::int8_pow2>{.exponent = 127}),
                    Contains("qparams.exponent = 127 is out of range") && Contains("-126 <= exponent <= 126"));
  CHECK_THROWS_WITH(validate(qparams<s::int8_pow2_per_channel>{.exponent = {0, -130}}),
                    Contains("qparams.exponent[1] = -130"));
}

TEST_CASE("scheme_problem names the broken rule at run time", "[core][scheme]") {
  CHECK(scheme_problem(scheme{.bits = 9}) == std::string("bits must be in 1..8"));
  CHECK_THAT(scheme_problem(scheme{.is_signed = false, .narrow = true}), Contains("signed symmetric"));
  CHECK_THAT(scheme_problem(scheme{.bits = 1, .symmetric = false}), Contains("binary"));
  CHECK(scheme_problem(schemes::int8_sym_per_channel) == nullptr);
}
