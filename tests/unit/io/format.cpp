// io/format.hpp: what the formatters print.
#include <catch2/catch.hpp>
#include <fmt/ranges.h>

#include <mixq/io/format.hpp>
#include <mixq/tensor/qtensor.hpp>

namespace {
using namespace mixq;
namespace s = mixq::schemes;
}  // namespace

TEST_CASE("format: schemes", "[io]") {
  CHECK(fmt::format("{}", s::int8_asym) == "int8 asymmetric");
  CHECK(fmt::format("{}", s::uint8_asym) == "uint8 asymmetric");
  CHECK(fmt::format("{}", s::int8_sym_per_channel) == "int8 symmetric narrow per-channel(axis=0)");
  CHECK(fmt::format("{}", s::int8_pow2) == "int8 symmetric pow2");
  CHECK(fmt::format("{}", s::binary) == "binary(-1/+1)");
  CHECK(fmt::format("{}", scheme{.bits = 3, .is_signed = false, .axis = 2}) == "uint3 symmetric per-channel(axis=2)");
  CHECK_THROWS_AS(fmt::format(fmt::runtime("{:x}"), s::int8_asym), fmt::format_error);
}

TEST_CASE("format: qparams and fixed multipliers", "[io]") {
  CHECK(fmt::format("{}", qparams<s::int8_asym>{0.05f, 3}) == "scale=0.05 zero_point=3");
  CHECK(fmt::format("{}", qparams<s::int8_pow2>{.exponent = -4}) == "scale=2^-4 zero_point=0");
  CHECK(fmt::format("{}", qparams<s::int8_sym_per_channel>{.scale = {0.5f, 0.25f}}) ==
        "scale=[0.5, 0.25] zero_point=[0, 0]");
  CHECK(fmt::format("{}", qparams<s::int8_pow2_per_channel>{.exponent = {-1, 2}}) ==
        "scale=2^[-1, 2] zero_point=[0, 0]");
  qparams<s::int8_sym_per_channel> many;
  many.scale.assign(10, 1.0f);
  many.zero_point.assign(10, 0);
  CHECK(fmt::format("{}", many) ==
        "scale=[1, 1, 1, 1, 1, 1, 1, 1, ... (10 in all)] zero_point=[0, 0, 0, 0, 0, 0, 0, 0, ... (10 in all)]");
  CHECK(fmt::format("{}", fixed_multiplier{1 << 30, -1}) == "1073741824 * 2^(-1 - 31) (~0.25)");
}

TEST_CASE("format: qtensor previews its codes", "[io]") {
  qtensor<s::int4_sym, 2> t({2, 3}, {0.5f});
  t(0, 0) = 1;
  t(0, 1) = -2;
  t(0, 2) = 7;
  t(1, 2) = -8;
  CHECK(fmt::format("{}", t) == "qtensor<int4 symmetric>[2, 3] scale=0.5 zero_point=0 codes=[[1, -2, 7], [0, 0, -8]]");
  qtensor<s::uint8_asym, 3> cube({2, 2, 2}, {1.0f, 4});
  CHECK(fmt::format("{}", cube) ==
        "qtensor<uint8 asymmetric>[2, 2, 2] scale=1 zero_point=4 codes=[[[0, 0], [0, 0]], [[0, 0], [0, 0]]]");
  qtensor<s::int8_asym, 1> empty;
  CHECK(fmt::format("{}", empty) == "qtensor<int8 asymmetric>[0] scale=1 zero_point=0 codes=[]");
  // Long tensors show the first 32 codes.
  qtensor<s::binary, 1> longer({40}, {});
  std::string codes = "-1";
  for (int i = 1; i < 32; ++i) codes += ", -1";
  CHECK(fmt::format("{}", longer) == "qtensor<binary(-1/+1)>[40] scale=1 zero_point=0 codes=[" + codes + ", ...]");
  // With fmt/ranges.h included a qtensor still formats through mixq's formatter.
  CHECK(fmt::format("{}", std::vector<int>{1, 2}) == "[1, 2]");
}
