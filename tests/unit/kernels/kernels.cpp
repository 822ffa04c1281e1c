// Differential tests of every kernel against its scalar twin in
// kernels/reference, for every architecture compiled into this binary and
// available on this CPU: bit-exact, on random shapes with ragged tails and on
// extreme codes.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <mixq/kernels/reference/add.hpp>
#include <mixq/kernels/reference/conv.hpp>
#include <mixq/kernels/reference/gemm.hpp>
#include <mixq/kernels/reference/pack.hpp>
#include <mixq/kernels/reference/quantize.hpp>
#include <mixq/kernels/reference/requantize.hpp>

#include "kernel_table.hpp"

namespace {

using mixq_test::kernel_table;

// The tables this CPU can run; every table's name is logged with its results.
std::vector<kernel_table> runnable_tables() {
  std::vector<kernel_table> out;
  for (const auto& t : mixq_test::compiled_kernel_tables()) {
    if (t.available()) {
      out.push_back(t);
    } else {
      WARN("kernel path " << t.name << " is compiled in but this CPU cannot run it");
    }
  }
  return out;
}

struct random_source {
  std::mt19937 rng;
  explicit random_source(unsigned seed) : rng(seed) {}
  int integer(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  std::size_t size(std::size_t lo, std::size_t hi) { return std::uniform_int_distribution<std::size_t>(lo, hi)(rng); }
  bool coin() { return integer(0, 1) == 1; }
  float real(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); }
};

std::int32_t code_min(int bits, bool is_signed) { return mixq::code_range_of(bits, is_signed).lo; }
std::int32_t code_max(int bits, bool is_signed) { return mixq::code_range_of(bits, is_signed).hi; }

// A random code of the width (binary: -1 or +1).
std::int32_t random_code(random_source& r, int bits, bool is_signed) {
  if (bits == 1 && is_signed) return r.coin() ? 1 : -1;
  return r.integer(code_min(bits, is_signed), code_max(bits, is_signed));
}

// rows x cols random codes as packed rows, `stride` bytes apart (stride >= row bytes).
std::vector<std::uint8_t> random_packed(random_source& r, std::size_t rows, std::size_t cols, std::size_t stride,
                                        int bits, bool is_signed) {
  std::vector<std::uint8_t> out(rows * stride + 1, 0);
  for (std::size_t m = 0; m < rows; ++m) {
    for (std::size_t k = 0; k < cols; ++k) mixq::reference::write_code(out.data() + m * stride, k, bits, random_code(r, bits, is_signed));
  }
  return out;
}

std::vector<mixq::fixed_multiplier> random_multipliers(random_source& r, std::size_t n) {
  std::vector<mixq::fixed_multiplier> m(n);
  for (auto& x : m) x = mixq::quantize_multiplier(std::ldexp(static_cast<double>(r.real(0.5f, 1.0f)), r.integer(-20, 0)));
  return m;
}

mixq::requantize_params random_requantize(random_source& r, const std::vector<mixq::fixed_multiplier>& m,
                                          int bits, bool is_signed) {
  mixq::requantize_params p;
  p.multiplier = m.data();
  p.per_channel = m.size() > 1;
  p.bits = bits;
  p.is_signed = is_signed;
  const std::int32_t lo = code_min(bits, is_signed), hi = code_max(bits, is_signed);
  p.zero_point = r.integer(lo, hi);
  p.min = lo;
  p.max = hi;
  if (r.coin()) {  // a ReLU-like clamp
    p.min = std::min(std::max(p.zero_point, lo), hi);
  }
  return p;
}

// The float32 rule's scales for the same real multipliers as m.
std::vector<float> scales_of(const std::vector<mixq::fixed_multiplier>& m) {
  std::vector<float> scales(m.size());
  for (std::size_t c = 0; c < m.size(); ++c) scales[c] = static_cast<float>(mixq::to_real(m[c]));
  return scales;
}

// Half the time, p under the float32 rule with the same real multipliers as m
// (the scales live in `scales`).
void fp32_sometimes(random_source& r, mixq::requantize_params& p, const std::vector<mixq::fixed_multiplier>& m,
                    std::vector<float>& scales) {
  if (!r.coin()) return;
  scales = scales_of(m);
  p.rule = mixq::requantize_rule::float32;
  p.scale = scales.data();
}

}  // namespace

TEST_CASE("pack and unpack match the reference for every width", "[kernels][pack]") {
  random_source r(11);
  for (const auto& table : runnable_tables()) {
    DYNAMIC_SECTION("arch " << table.name) {
      for (int bits = 1; bits <= 8; ++bits) {
        for (bool is_signed : {false, true}) {
          for (int trial = 0; trial < 6; ++trial) {
            const std::size_t rows = r.size(1, 4), cols = r.size(1, 300);
            const std::size_t row_bytes = mixq::packed_row_bytes(cols, bits);
            std::vector<std::uint8_t> lanes(rows * cols);
            for (auto& l : lanes) l = static_cast<std::uint8_t>(random_code(r, bits, is_signed));
            INFO("bits " << bits << " signed " << is_signed << " rows " << rows << " cols " << cols);

            std::vector<std::uint8_t> packed(rows * (row_bytes + 3), 0xAB);
            const mixq::pack_args pa{.lanes = lanes.data(), .rows = rows, .cols = cols, .lane_stride = cols, .bits = bits,
                                     .out = packed.data(), .out_stride = row_bytes + 3};
            table.pack(pa);
            const auto expected = mixq::reference::pack(pa);
            for (std::size_t m = 0; m < rows; ++m) {
              const std::vector<std::uint8_t> got(packed.begin() + static_cast<std::ptrdiff_t>(m * (row_bytes + 3)),
                                                  packed.begin() + static_cast<std::ptrdiff_t>(m * (row_bytes + 3) + row_bytes));
              const std::vector<std::uint8_t> want(expected.begin() + static_cast<std::ptrdiff_t>(m * row_bytes),
                                                   expected.begin() + static_cast<std::ptrdiff_t>((m + 1) * row_bytes));
              REQUIRE(got == want);
              // Bytes past the row are left alone.
              REQUIRE(packed[m * (row_bytes + 3) + row_bytes] == 0xAB);
            }

            std::vector<std::uint8_t> back(rows * cols, 0);
            const mixq::unpack_args ua{.packed = packed.data(), .rows = rows, .cols = cols, .packed_stride = row_bytes + 3,
                                       .bits = bits, .is_signed = is_signed, .lanes = back.data(), .lane_stride = cols};
            table.unpack(ua);
            REQUIRE(back == mixq::reference::unpack(ua));
            REQUIRE(back == lanes);
          }
        }
      }
    }
  }
}

TEST_CASE("quantize and dequantize match the reference rule", "[kernels][quantize]") {
  random_source r(12);
  const std::vector<mixq::scheme> schemes = {
      mixq::schemes::int8_asym,    mixq::schemes::uint8_asym, mixq::schemes::int8_sym_narrow,
      mixq::schemes::int8_pow2,    mixq::schemes::uint8_sym,  mixq::schemes::int4_sym,
      mixq::schemes::uint4_asym,   mixq::schemes::int2_sym,   mixq::schemes::uint2_asym,
      mixq::schemes::binary,       mixq::schemes::uint1,      mixq::scheme{.bits = 3, .symmetric = false},
      mixq::scheme{.bits = 6, .is_signed = false, .symmetric = false}};
  const float special[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(), 0.0f, -0.0f, 1e30f, -1e30f};
  for (const auto& table : runnable_tables()) {
    DYNAMIC_SECTION("arch " << table.name) {
      for (const auto& s : schemes) {
        for (auto axis : {mixq::channel_axis::tensor, mixq::channel_axis::row, mixq::channel_axis::column}) {
          const std::size_t rows = r.size(1, 5), cols = r.size(1, 140);
          const std::size_t channels = axis == mixq::channel_axis::tensor ? 1 : axis == mixq::channel_axis::row ? rows : cols;
          std::vector<float> scale(channels);
          std::vector<std::int32_t> zp(channels);
          for (std::size_t c = 0; c < channels; ++c) {
            scale[c] = mixq::is_pow2(s) ? std::ldexp(1.0f, r.integer(-8, 0)) : r.real(0.01f, 0.5f);
            zp[c] = s.symmetric ? mixq::symmetric_zero_point(s) : r.integer(mixq::qmin(s), mixq::qmax(s));
          }
          // Values around the codes, exact ties (code + 0.5) * scale, and the special values.
          const std::size_t stride = cols + 2;
          std::vector<float> x(rows * stride);
          for (std::size_t m = 0; m < rows; ++m) {
            for (std::size_t k = 0; k < cols; ++k) {
              const std::size_t c = axis == mixq::channel_axis::tensor ? 0 : axis == mixq::channel_axis::row ? m : k;
              float v = r.real(-1.2f, 1.2f) * scale[c] * static_cast<float>(1 << s.bits);
              const int kind = r.integer(0, 9);
              if (kind == 0) v = special[r.integer(0, 6)];
              if (kind == 1) v = (static_cast<float>(r.integer(-130, 130)) + 0.5f) * scale[c];
              x[m * stride + k] = v;
            }
          }
          INFO("scheme bits " << s.bits << " signed " << s.is_signed << " symmetric " << s.symmetric << " axis "
                              << static_cast<int>(axis) << " rows " << rows << " cols " << cols);
          const std::size_t row_bytes = mixq::packed_row_bytes(cols, s.bits);
          std::vector<std::uint8_t> q(rows * row_bytes, 0);
          const mixq::channel_params params{scale.data(), zp.data(), axis};
          const mixq::quantize_args qa{.scheme = s, .x = x.data(), .rows = rows, .cols = cols, .x_stride = stride,
                                       .channels = params, .out = q.data(), .out_stride = row_bytes};
          table.quantize(qa);
          REQUIRE(q == mixq::reference::quantize(qa));

          std::vector<float> back(rows * cols, -7.0f);
          const mixq::dequantize_args da{.scheme = s, .q = q.data(), .rows = rows, .cols = cols, .q_stride = row_bytes,
                                         .channels = params, .out = back.data(), .out_stride = cols};
          table.dequantize(da);
          const auto want = mixq::reference::dequantize(da);
          for (std::size_t i = 0; i < back.size(); ++i) {
            // Bit-identical floats (no NaN can come out of dequantize).
            REQUIRE(std::memcmp(&back[i], &want[i], sizeof(float)) == 0);
          }
        }
      }
    }
  }
}

TEST_CASE("quantize kernels reject invalid parameters once per call", "[kernels][quantize][errors]") {
  for (const auto& table : runnable_tables()) {
    DYNAMIC_SECTION("arch " << table.name) {
      const float x[4] = {0.1f, 0.2f, 0.3f, 0.4f};
      std::uint8_t q[4];
      // One row of four values, per tensor.
      const auto quantize_4 = [&](mixq::scheme s, const float* scale, const std::int32_t* zero_point, std::uint8_t* out,
                                  std::size_t out_stride) {
        return mixq::quantize_args{.scheme = s, .x = x, .rows = 1, .cols = 4, .x_stride = 4,
                                   .channels = {scale, zero_point, mixq::channel_axis::tensor}, .out = out,
                                   .out_stride = out_stride};
      };
      const float bad_scales[] = {0.0f, -1.0f, std::numeric_limits<float>::infinity(),
                                  std::numeric_limits<float>::quiet_NaN()};
      const std::int32_t zp = 0;
      for (float sc : bad_scales) {
        CHECK_THROWS_WITH(table.quantize(quantize_4(mixq::schemes::int8_asym, &sc, &zp, q, 4)),
                          Catch::Contains("scale[0]") && Catch::Contains("finite scale > 0"));
      }
      const float sc = 0.1f;
      const std::int32_t big = 300;
      CHECK_THROWS_WITH(table.quantize(quantize_4(mixq::schemes::int8_asym, &sc, &big, q, 4)),
                        Catch::Contains("zero_point[0] = 300"));
      const std::int32_t three = 3;
      CHECK_THROWS_WITH(table.quantize(quantize_4(mixq::schemes::int4_sym, &sc, &three, q, 4)),
                        Catch::Contains("symmetric"));
      CHECK_THROWS_WITH(table.quantize(quantize_4(mixq::schemes::int8_pow2, &sc, &zp, q, 4)),
                        Catch::Contains("power of two"));
      CHECK_THROWS_WITH(table.quantize(quantize_4(mixq::schemes::int8_asym, &sc, &zp, q, 3)),
                        Catch::Contains("too small"));
      CHECK_THROWS_WITH(table.quantize(quantize_4(mixq::scheme{.bits = 9}, &sc, &zp, q, 4)),
                        Catch::Contains("bits must be in 1..8"));
    }
  }
}

TEST_CASE("requantize matches TFLite's rule lane by lane", "[kernels][requantize]") {
  random_source r(13);
  for (const auto& table : runnable_tables()) {
    DYNAMIC_SECTION("arch " << table.name) {
      for (int bits : {8, 4, 2}) {
        for (bool is_signed : {false, true}) {
          for (int trial = 0; trial < 4; ++trial) {
            const std::size_t rows = r.size(1, 3), cols = r.size(1, 100);
            std::vector<std::int32_t> x(rows * cols);
            for (auto& v : x) v = r.integer(-(1 << 22), 1 << 22);
            x[0] = std::numeric_limits<std::int32_t>::min() / 2;  // far below the range
            const auto m = random_multipliers(r, r.coin() ? cols : 1);
            auto p = random_requantize(r, m, bits, is_signed);
            std::vector<std::int32_t> offset(cols);
            for (auto& o : offset) o = r.integer(-1000, 1000);
            if (r.coin()) p.offset = offset.data();
            const std::size_t row_bytes = mixq::packed_row_bytes(cols, bits);
            std::vector<std::uint8_t> out(rows * row_bytes, 0);
            const mixq::requantize_args ra{.x = x.data(), .rows = rows, .cols = cols, .x_stride = cols, .params = p,
                                           .out = out.data(), .out_stride = row_bytes};
            table.requantize(ra);
            INFO("bits " << bits << " signed " << is_signed << " cols " << cols << " per-channel " << p.per_channel);
            REQUIRE(out == mixq::reference::requantize(ra));
          }
        }
      }
      SECTION("multipliers above one, ties and the saturating case") {
        // shift > 0 (real multipliers >= 1), x * multiplier ties, and INT32_MIN * INT32_MIN.
        const std::vector<mixq::fixed_multiplier> m = {
            mixq::quantize_multiplier(1.5), mixq::quantize_multiplier(0.5), {std::numeric_limits<std::int32_t>::min(), 0},
            mixq::quantize_multiplier(0.25), mixq::quantize_multiplier(3.0), mixq::quantize_multiplier(0.75),
            mixq::quantize_multiplier(1e-9), mixq::quantize_multiplier(0.999999999)};
        const std::vector<std::int32_t> x = {1000, 3, std::numeric_limits<std::int32_t>::min(), -6, 7, -5, 100000, -129,
                                             -1000, -3, 5, 6, -7, 5, -100000, 129};
        mixq::requantize_params p;
        p.multiplier = m.data();
        p.per_channel = true;
        p.min = -128;
        p.max = 127;
        std::vector<std::uint8_t> out(x.size(), 0);
        const mixq::requantize_args ra{.x = x.data(), .rows = 2, .cols = 8, .x_stride = 8, .params = p,
                                       .out = out.data(), .out_stride = 8};
        table.requantize(ra);
        REQUIRE(out == mixq::reference::requantize(ra));
      }
      SECTION("multipliers above one without the saturating case") {
        // shift > 0 on the vector paths (on AVX-512 the case above runs in
        // scalar code because of its INT32_MIN multiplier): per channel and
        // per tensor, with a tail.
        for (bool per_channel : {true, false}) {
          const std::size_t cols = 37;
          std::vector<mixq::fixed_multiplier> m(per_channel ? cols : 1);
          for (auto& v : m) v = mixq::quantize_multiplier(std::ldexp(static_cast<double>(r.real(0.5f, 1.0f)), r.integer(-3, 3)));
          m[0] = mixq::quantize_multiplier(3.0);
          std::vector<std::int32_t> x(2 * cols);
          for (auto& v : x) v = r.integer(-300, 300);
          mixq::requantize_params p;
          p.multiplier = m.data();
          p.per_channel = per_channel;
          p.min = -128;
          p.max = 127;
          std::vector<std::uint8_t> out(x.size(), 0);
          const mixq::requantize_args ra{.x = x.data(), .rows = 2, .cols = cols, .x_stride = cols, .params = p,
                                         .out = out.data(), .out_stride = cols};
          table.requantize(ra);
          INFO("per-channel " << per_channel);
          REQUIRE(out == mixq::reference::requantize(ra));
        }
      }
    }
  }
}

TEST_CASE("requantize under the float32 rule matches its twin and the arithmetic", "[kernels][requantize]") {
  random_source r(16);
  for (const auto& table : runnable_tables()) {
    DYNAMIC_SECTION("arch " << table.name) {
      for (int bits : {8, 4, 2}) {
        for (bool is_signed : {false, true}) {
          for (int trial = 0; trial < 4; ++trial) {
            const std::size_t rows = r.size(1, 3), cols = r.size(1, 100);
            std::vector<std::int32_t> x(rows * cols);
            for (auto& v : x) v = r.integer(-(1 << 22), 1 << 22);
            x[0] = std::numeric_limits<std::int32_t>::min();
            const auto m = random_multipliers(r, r.coin() ? cols : 1);
            auto p = random_requantize(r, m, bits, is_signed);
            const std::vector<float> scales = scales_of(m);
            auto tflite = p;
            p.rule = mixq::requantize_rule::float32;
            p.scale = scales.data();
            std::vector<std::int32_t> offset(cols);
            for (auto& o : offset) o = r.integer(-1000, 1000);
            if (r.coin()) p.offset = tflite.offset = offset.data();
            const std::size_t row_bytes = mixq::packed_row_bytes(cols, bits);
            std::vector<std::uint8_t> out(rows * row_bytes, 0);
            const mixq::requantize_args ra{.x = x.data(), .rows = rows, .cols = cols, .x_stride = cols, .params = p,
                                           .out = out.data(), .out_stride = row_bytes};
            table.requantize(ra);
            INFO("bits " << bits << " signed " << is_signed << " cols " << cols << " per-channel " << p.per_channel);
            REQUIRE(out == mixq::reference::requantize(ra));
            // The same real multipliers under TFLite's rule: a code apart at most.
            auto ta = ra;
            ta.params = tflite;
            const auto other = mixq::reference::requantize(ta);
            for (std::size_t i = 0; i < rows; ++i) {
              for (std::size_t c = 0; c < cols; ++c) {
                const auto a = mixq::reference::read_code(out.data() + i * row_bytes, c, bits, is_signed);
                const auto b = mixq::reference::read_code(other.data() + i * row_bytes, c, bits, is_signed);
                REQUIRE(std::abs(a - b) <= 1);
              }
            }
          }
        }
      }
      SECTION("ties to even, the clamp, and scales that are not finite") {
        const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
        // x * scale, then the code the rule gives, zero point 3 and clamp [-128, 127].
        const std::vector<std::int32_t> x = {1, 3, 5, -1, -3, -5, 7, 1000, -1000, 1, 0, -1, 2, 0, 0, 9};
        const std::vector<float> s = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.25f, 1.0f,
                                      1.0f, nan, nan, inf,  inf,  0.0f, 1.0f, 1.0f / 3.0f};
        const std::vector<int> want = {3, 5, 5, 3, 1, 1, 5, 127, -128, -128, -128, -128, 127, 3, 3, 6};
        mixq::requantize_params p;
        p.rule = mixq::requantize_rule::float32;
        p.scale = s.data();
        p.per_channel = true;
        p.zero_point = 3;
        std::vector<std::uint8_t> out(x.size(), 0);
        const mixq::requantize_args ra{.x = x.data(), .rows = 1, .cols = x.size(), .x_stride = x.size(), .params = p,
                                       .out = out.data(), .out_stride = x.size()};
        table.requantize(ra);
        for (std::size_t i = 0; i < x.size(); ++i) {
          INFO("x " << x[i] << " scale " << s[i]);
          CHECK(static_cast<std::int8_t>(out[i]) == want[i]);
        }
        REQUIRE(out == mixq::reference::requantize(ra));
      }
      SECTION("a null scale is an error") {
        mixq::requantize_params p;
        p.rule = mixq::requantize_rule::float32;
        std::vector<std::int32_t> x(4, 0);
        std::vector<std::uint8_t> out(4, 0);
        REQUIRE_THROWS_WITH(table.requantize({.x = x.data(), .rows = 1, .cols = 4, .x_stride = 4, .params = p,
                                              .out = out.data(), .out_stride = 4}),
                            Catch::Contains("scale is null"));
      }
    }
  }
}

TEST_CASE("the residual add matches its twin lane by lane", "[kernels][add]") {
  random_source r(23);
  // The multipliers a network's add has (from scales: the terms at most 1/2,
  // 20 bits of headroom), or any the rule's preconditions allow.
  const auto random_args = [&](bool from_scales, std::size_t n) {
    mixq::add_args a;
    a.n = n;
    a.a.is_signed = r.coin();
    a.b.is_signed = r.coin();
    a.is_signed = r.coin();
    const auto zero_point = [&](bool is_signed) { return is_signed ? r.integer(-128, 127) : r.integer(0, 255); };
    a.a.zero_point = zero_point(a.a.is_signed);
    a.b.zero_point = zero_point(a.b.is_signed);
    a.zero_point = zero_point(a.is_signed);
    if (from_scales) {
      const double sa = std::ldexp(r.real(0.5f, 1.0f), r.integer(-12, 0)), sb = std::ldexp(r.real(0.5f, 1.0f), r.integer(-12, 0));
      const double so = std::ldexp(r.real(0.5f, 1.0f), r.integer(-12, 0)), twice_max = 2 * std::max(sa, sb);
      a.left_shift = 20;
      a.a.multiplier = mixq::quantize_multiplier(sa / twice_max);
      a.b.multiplier = mixq::quantize_multiplier(sb / twice_max);
      a.multiplier = mixq::quantize_multiplier(twice_max / (std::ldexp(1.0, 20) * so));
      a.a.scale = static_cast<float>(sa / so);
      a.b.scale = static_cast<float>(sb / so);
    } else {
      a.left_shift = r.integer(0, 22);
      const auto below_one = [&] {
        return mixq::fixed_multiplier{r.coin() ? r.integer(0, std::numeric_limits<std::int32_t>::max()) : (1 << 30),
                                      r.integer(-31, 0)};
      };
      a.a.multiplier = below_one();
      a.b.multiplier = below_one();
      // A left shift only as far as sums of 510 * 2^left_shift allow.
      int max_shift = 0;
      while (max_shift < 30 && 510.0 * std::ldexp(1.0, a.left_shift + max_shift + 1) <= 2147483647.0) ++max_shift;
      a.multiplier = {r.integer(0, std::numeric_limits<std::int32_t>::max()), r.integer(-31, max_shift)};
    }
    const int lo = a.is_signed ? -128 : 0, hi = a.is_signed ? 127 : 255;
    a.min = r.coin() ? lo : r.integer(lo, hi);
    a.max = r.coin() ? hi : r.integer(a.min, hi);
    return a;
  };
  for (const auto& table : runnable_tables()) {
    DYNAMIC_SECTION("arch " << table.name) {
      for (int trial = 0; trial < 200; ++trial) {
        // Short tensors and long ones (the portable path switches to tables of terms).
        const std::size_t n = trial % 4 == 3 ? r.size(1000, 3000) : r.size(1, 70);
        mixq::add_args a = random_args(trial % 2 == 0, n);
        std::vector<std::uint8_t> x(n), y(n), out(n + 1, 0x5a);
        for (auto& v : x) v = static_cast<std::uint8_t>(r.integer(0, 255));
        for (auto& v : y) v = static_cast<std::uint8_t>(r.integer(0, 255));
        if (trial % 5 == 1) std::fill(x.begin(), x.end(), a.a.is_signed ? 0x80 : 0x00);  // extreme codes
        if (trial % 5 == 2) std::fill(y.begin(), y.end(), a.b.is_signed ? 0x7f : 0xff);
        a.a.data = x.data();
        a.b.data = y.data();
        a.out = out.data();
        INFO("trial " << trial << " n " << n << " left_shift " << a.left_shift << " multipliers " << a.a.multiplier.multiplier
                      << "/" << a.a.multiplier.shift << ", " << a.b.multiplier.multiplier << "/" << a.b.multiplier.shift
                      << ", " << a.multiplier.multiplier << "/" << a.multiplier.shift);
        // The float32 rule on every third trial from scales: within one code of TFLite's.
        std::vector<std::uint8_t> tflite;
        if (trial % 6 == 4) {
          tflite = mixq::reference::add(a);
          a.rule = mixq::requantize_rule::float32;
        }
        const std::vector<std::uint8_t> want = mixq::reference::add(a);
        table.add(a);
        REQUIRE(std::equal(want.begin(), want.end(), out.begin()));
        REQUIRE(out[n] == 0x5a);  // nothing written past n
        for (std::size_t i = 0; i < tflite.size(); ++i) {
          const auto lane = [&](std::uint8_t v) { return a.is_signed ? int{static_cast<std::int8_t>(v)} : int{v}; };
          REQUIRE(std::abs(lane(tflite[i]) - lane(want[i])) <= 1);
        }
        // In place: the output may be one of the inputs.
        a.out = x.data();
        table.add(a);
        REQUIRE(x == want);
      }
    }
  }
  SECTION("the arithmetic: equal scales and zero points add codes") {
    // Scales s, s, 2s: out = (a + b) / 2, halves away from zero.
    mixq::add_args a;
    const std::uint8_t x[4] = {0, 3, 5, 255}, y[4] = {0, 2, 6, 255};
    std::uint8_t out[4];
    a.n = 4;
    a.a = {x, false, 0, mixq::quantize_multiplier(0.5)};
    a.b = {y, false, 0, mixq::quantize_multiplier(0.5)};
    a.multiplier = mixq::quantize_multiplier(2.0 / (std::ldexp(1.0, 20) * 2.0));
    a.out = out;
    for (const auto& table : runnable_tables()) {
      table.add(a);
      CHECK(std::vector<int>(out, out + 4) == std::vector<int>{0, 3, 6, 255});  // 2.5 -> 3, 5.5 -> 6
    }
  }
  SECTION("parameters outside the rule are errors") {
    for (const auto& table : runnable_tables()) {
      std::uint8_t x[1] = {0}, out[1];
      mixq::add_args good;
      good.n = 1;
      good.a = {x, false, 0, mixq::quantize_multiplier(0.5)};
      good.b = good.a;
      good.multiplier = mixq::quantize_multiplier(1e-6);
      good.out = out;
      REQUIRE_NOTHROW(table.add(good));
      auto bad = good;
      bad.left_shift = 23;
      CHECK_THROWS_WITH(table.add(bad), Catch::Contains("left_shift = 23"));
      bad = good;
      bad.b.zero_point = 256;
      CHECK_THROWS_WITH(table.add(bad), Catch::Contains("input b zero_point = 256"));
      bad = good;
      bad.a.multiplier = mixq::quantize_multiplier(1.5);
      CHECK_THROWS_WITH(table.add(bad), Catch::Contains("below one"));
      bad = good;
      bad.multiplier = {1 << 30, 3};
      CHECK_THROWS_WITH(table.add(bad), Catch::Contains("output multiplier"));
      bad = good;
      bad.is_signed = true;
      bad.max = 200;
      CHECK_THROWS_WITH(table.add(bad), Catch::Contains("clamp [min, max] = [0, 200]"));
      bad = good;
      bad.a.data = nullptr;
      CHECK_THROWS_WITH(table.add(bad), Catch::Contains("input a data is null"));
      bad = good;
      bad.rule = mixq::requantize_rule::float32;
      bad.a.scale = 1.0f;
      bad.b.scale = std::numeric_limits<float>::infinity();
      CHECK_THROWS_WITH(table.add(bad), Catch::Contains("input b scale = inf"));
      bad.b.scale = 0.5f;
      REQUIRE_NOTHROW(table.add(bad));  // the float32 rule reads no multiplier
      bad.rule = static_cast<mixq::requantize_rule>(7);
      CHECK_THROWS_WITH(table.add(bad), Catch::Contains("rule = 7"));
    }
  }
}

namespace {

struct gemm_case {
  int wbits;
  int abits;
  bool a_signed;
};

// Runs one random GEMM through a table, int32 and requantized, and compares with the twin.
void check_gemm(const kernel_table& table, random_source& r, const gemm_case& gc, std::size_t m, std::size_t n,
                std::size_t k) {
  const bool binary = gc.wbits == 1;
  const std::size_t stride = mixq::packed_row_bytes(k, gc.abits) + r.size(0, 5);
  const auto a_data = random_packed(r, m, k, stride, gc.abits, gc.a_signed);
  mixq::activation_matrix a{a_data.data(), m, k, stride, gc.abits, gc.a_signed, 0};
  if (!binary && r.coin()) a.zero_point = r.integer(code_min(gc.abits, gc.a_signed), code_max(gc.abits, gc.a_signed));
  std::vector<std::int8_t> w(n * k);
  for (auto& v : w) v = static_cast<std::int8_t>(random_code(r, gc.wbits, true));
  const auto packed = mixq::pack_weights(table.layout(gc.wbits), w.data(), n, k, k);
  std::vector<std::int32_t> bias(n);
  for (auto& b : bias) b = r.integer(-5000, 5000);
  const std::int32_t* bias_ptr = r.coin() ? bias.data() : nullptr;
  mixq::row_range rows{0, m};
  if (m > 2 && r.coin()) rows = {1, m - 1};
  const std::size_t rm = rows.end - rows.begin;
  INFO("w" << gc.wbits << "a" << gc.abits << (gc.a_signed ? " signed" : " unsigned") << " M " << m << " N " << n
           << " K " << k << " zero point " << a.zero_point << " rows [" << rows.begin << ", " << rows.end << ")");

  const auto want = mixq::reference::gemm(a, w.data(), n, bias_ptr, rows);
  const std::size_t ldc = n + 3;
  std::vector<std::int32_t> c((rows.begin + rm) * ldc, 0x7eadbeef);
  table.gemm_i32(a, packed, bias_ptr, {c.data(), ldc}, rows);
  for (std::size_t i = 0; i < rm; ++i) {
    const std::vector<std::int32_t> got(c.begin() + static_cast<std::ptrdiff_t>((rows.begin + i) * ldc),
                                        c.begin() + static_cast<std::ptrdiff_t>((rows.begin + i) * ldc + n));
    const std::vector<std::int32_t> expect(want.begin() + static_cast<std::ptrdiff_t>(i * n),
                                           want.begin() + static_cast<std::ptrdiff_t>((i + 1) * n));
    REQUIRE(got == expect);
    REQUIRE(c[(rows.begin + i) * ldc + n] == 0x7eadbeef);
  }
  if (rows.begin > 0) REQUIRE(c[0] == 0x7eadbeef);  // rows outside the range are not written

  for (int obits : {8, 4, 2}) {
    const bool out_signed = r.coin();
    const auto mult = random_multipliers(r, r.coin() ? n : 1);
    auto p = random_requantize(r, mult, obits, out_signed);
    std::vector<float> scales;
    fp32_sometimes(r, p, mult, scales);
    INFO("requantize rule " << (p.rule == mixq::requantize_rule::float32 ? "fp32" : "tflite"));
    const std::size_t row_bytes = mixq::packed_row_bytes(n, obits);
    std::vector<std::uint8_t> q((rows.begin + rm) * row_bytes, 0);
    table.gemm_rq(a, packed, bias_ptr, {q.data(), row_bytes, p}, rows);
    const auto expect = mixq::reference::requantize({.x = want.data(), .rows = rm, .cols = n, .x_stride = n, .params = p});
    REQUIRE(std::equal(expect.begin(), expect.end(), q.begin() + static_cast<std::ptrdiff_t>(rows.begin * row_bytes)));
  }
}

}  // namespace

TEST_CASE("GEMM matches the reference on random shapes", "[kernels][gemm]") {
  random_source r(14);
  const std::vector<gemm_case> cases = {{8, 8, false}, {8, 8, true}, {4, 8, false}, {4, 8, true}, {2, 8, false},
                                        {2, 8, true},  {4, 4, false}, {4, 4, true}, {2, 2, false}, {2, 2, true},
                                        {8, 4, true},  {4, 2, false}, {1, 1, true}};
  for (const auto& table : runnable_tables()) {
    DYNAMIC_SECTION("arch " << table.name) {
      for (const auto& gc : cases) {
        for (int trial = 0; trial < 5; ++trial) {
          const std::size_t m = r.size(1, 14), n = r.size(1, 150), k = r.size(1, 200);
          check_gemm(table, r, gc, m, n, k);
        }
        check_gemm(table, r, gc, 7, 64 * 4 + 64 + 3, 257);  // several panels, multi-panel tiles and tails
        check_gemm(table, r, gc, 1, 300, 129);             // GEMV
        check_gemm(table, r, gc, 2, 130, 35);
        // Sub-byte activations are unpacked in chunks of rows (about 256 KiB
        // of lanes): 130 rows of K = 4608 take three.
        if (gc.abits != 8 && gc.wbits != 1) check_gemm(table, r, gc, 130, 70, 4608);
      }
    }
  }
}

TEST_CASE("GEMM tiles of panels with few real channels take every row count", "[kernels][gemm]") {
  // A panel with at most 48 real channels (N <= 48, or the last panel of a
  // wider N) runs tiles of fewer accumulators and more rows on some paths:
  // every row count up to two such tiles, each width class, 8-bit and
  // expanded sub-byte weights, packed and 8-bit activations.
  random_source r(77);
  const std::vector<gemm_case> cases = {{8, 8, false}, {8, 8, true}, {4, 8, true}, {2, 2, false}, {8, 4, true}};
  for (const auto& table : runnable_tables()) {
    DYNAMIC_SECTION("arch " << table.name) {
      for (const auto& gc : cases) {
        for (std::size_t n : {r.size(1, 16), r.size(17, 32), r.size(33, 48), std::size_t{64 + 16}, r.size(65, 112)}) {
          for (std::size_t m = 1; m <= 25; ++m) check_gemm(table, r, gc, m, n, r.size(1, 70));
        }
      }
    }
  }
}

TEST_CASE("binary GEMM matches the reference across row blocks, panel groups and whole-word rows", "[kernels][gemm]") {
  // The popcount kernels take rows in blocks of six, panels in groups that
  // fit L1, read rows of whole 64-bit words in place and write whole panels
  // of int32 results straight to the output: shapes that cross each of
  // those edges, and strides that are not multiples of eight bytes.
  random_source r(41);
  const gemm_case binary{1, 1, true};
  for (const auto& table : runnable_tables()) {
    DYNAMIC_SECTION("arch " << table.name) {
      for (std::size_t k : {64u, 640u, 1000u, 4608u}) {
        for (std::size_t m : {1u, 6u, 13u}) {
          for (std::size_t n : {32u, 96u, 100u}) check_gemm(table, r, binary, m, n, k);
        }
      }
      check_gemm(table, r, binary, 20, 512, 640);  // panels in two groups
      check_gemm(table, r, binary, 8, 160, 4608);  // a group per panel
      check_gemm(table, r, binary, 5, 9, 4100 * 64 + 5);  // NEON widens its 16-bit counts every 4095 words
    }
  }
}

TEST_CASE("GEMM is exact with extreme codes at the largest K", "[kernels][gemm]") {
  for (const auto& table : runnable_tables()) {
    DYNAMIC_SECTION("arch " << table.name) {
      const std::size_t k = mixq::gemm_max_k, n = 3;
      for (int wbits : {8, 4, 2}) {
        for (bool a_signed : {false, true}) {
          const std::uint8_t a_lo = a_signed ? 0x80 : 0x00, a_hi = a_signed ? 0x7f : 0xff;
          const auto w_lo = static_cast<std::int8_t>(code_min(wbits, true));
          const auto w_hi = static_cast<std::int8_t>(code_max(wbits, true));
          for (std::uint8_t av : {a_lo, a_hi}) {
            for (std::int8_t wv : {w_lo, w_hi}) {
              const std::vector<std::int8_t> w(n * k, wv);
              const auto packed = mixq::pack_weights(table.layout(wbits), w.data(), n, k, k);
              // 2 rows: the few-row tiles (sub-byte weights read in place);
              // 13: a tile of many rows and one of a single row.
              for (std::size_t m : {2u, 13u}) {
                const std::vector<std::uint8_t> a(m * k, av);
                const mixq::activation_matrix am{a.data(), m, k, k, 8, a_signed, 0};
                std::vector<std::int32_t> c(m * n);
                table.gemm_i32(am, packed, nullptr, {c.data(), n}, {});
                const std::int64_t code = a_signed ? static_cast<std::int8_t>(av) : av;
                const std::int64_t expect = code * wv * static_cast<std::int64_t>(k);
                INFO("w" << wbits << " a " << code << " w " << int(wv) << " M " << m);
                REQUIRE(expect >= std::numeric_limits<std::int32_t>::min());
                REQUIRE(expect <= std::numeric_limits<std::int32_t>::max());
                for (auto v : c) REQUIRE(v == expect);
              }
            }
          }
        }
      }
    }
  }
}

TEST_CASE("GEMM rejects bad arguments before any work", "[kernels][gemm][errors]") {
  const auto tables = runnable_tables();
  for (const auto& table : tables) {
    DYNAMIC_SECTION("arch " << table.name) {
      std::vector<std::int8_t> w(4 * 8, 1);
      const auto packed = mixq::pack_weights(table.layout(8), w.data(), 4, 8, 8);
      std::vector<std::uint8_t> a(2 * 8, 1);
      std::vector<std::int32_t> c(2 * 4, 0);
      const mixq::activation_matrix am{a.data(), 2, 8, 8, 8, false, 0};
      const mixq::int32_output out{c.data(), 4};

      SECTION("shape mismatch") {
        const mixq::activation_matrix bad{a.data(), 2, 7, 8, 8, false, 0};
        CHECK_THROWS_WITH(table.gemm_i32(bad, packed, nullptr, out, {}), Catch::Contains("K = 7") && Catch::Contains("K = 8"));
      }
      SECTION("output too small") {
        CHECK_THROWS_WITH(table.gemm_i32(am, packed, nullptr, {c.data(), 3}, {}), Catch::Contains("too small"));
        mixq::requantize_params p;
        const auto m = mixq::quantize_multiplier(0.01);
        p.multiplier = &m;
        std::vector<std::uint8_t> q(8);
        CHECK_THROWS_WITH(table.gemm_rq(am, packed, nullptr, {q.data(), 3, p}, {}), Catch::Contains("stride = 3"));
      }
      SECTION("K beyond the overflow bound") {
        const std::size_t k = mixq::gemm_max_k + 1;
        std::vector<std::int8_t> big(k, 1);
        const auto wide = mixq::pack_weights(table.layout(8), big.data(), 1, k, k);
        std::vector<std::uint8_t> row(k, 1);
        const mixq::activation_matrix ak{row.data(), 1, k, k, 8, false, 0};
        CHECK_THROWS_WITH(table.gemm_i32(ak, wide, nullptr, out, {}), Catch::Contains("overflow bound"));
      }
      SECTION("weights packed for another kernel") {
        for (const auto& other : tables) {
          if (other.layout(8) == table.layout(8)) continue;
          const auto foreign = mixq::pack_weights(other.layout(8), w.data(), 4, 8, 8);
          CHECK_THROWS_WITH(table.gemm_i32(am, foreign, nullptr, out, {}), Catch::Contains("were packed for the"));
        }
        const auto scalar_layout = mixq::weight_layout_for(mixq::kernel_path::scalar, 8);
        if (!(scalar_layout == table.layout(8))) {
          CHECK_THROWS(table.gemm_i32(am, mixq::pack_weights(scalar_layout, w.data(), 4, 8, 8), nullptr, out, {}));
        }
      }
      SECTION("row range, zero point and binary mismatch") {
        CHECK_THROWS_WITH(table.gemm_i32(am, packed, nullptr, out, {1, 3}), Catch::Contains("row range"));
        const mixq::activation_matrix zp{a.data(), 2, 8, 8, 8, false, 256};
        CHECK_THROWS_WITH(table.gemm_i32(zp, packed, nullptr, out, {}), Catch::Contains("zero_point = 256"));
        const mixq::activation_matrix bin{a.data(), 2, 8, 1, 1, true, 0};
        CHECK_THROWS_WITH(table.gemm_i32(bin, packed, nullptr, out, {}), Catch::Contains("binary"));
      }
      SECTION("weight codes out of range are rejected at packing") {
        std::vector<std::int8_t> w4(8, 8);
        CHECK_THROWS_WITH(mixq::pack_weights(table.layout(4), w4.data(), 1, 8, 8),
                          Catch::Contains("weight (0, 0) = 8 does not fit 4 bits"));
      }
    }
  }
}

namespace {

void check_conv(const kernel_table& table, random_source& r, const mixq::conv2d_shape& s, int wbits, bool a_signed,
                std::size_t out_channels) {
  const std::size_t pixels_in = s.batch * s.height * s.width;
  const int abits = r.integer(0, 3) == 0 ? 4 : 8;
  const std::size_t stride = mixq::packed_row_bytes(s.channels, abits);
  const auto input = random_packed(r, pixels_in, s.channels, stride, abits, a_signed);
  mixq::conv_input in{input.data(), stride, abits, a_signed, 0};
  in.zero_point = r.integer(code_min(abits, a_signed), code_max(abits, a_signed));
  std::vector<std::int8_t> w(out_channels * s.patch());
  for (auto& v : w) v = static_cast<std::int8_t>(random_code(r, wbits, true));
  std::vector<std::int32_t> bias(out_channels);
  for (auto& b : bias) b = r.integer(-3000, 3000);
  const auto packed = mixq::pack_weights(table.layout(wbits), w.data(), out_channels, s.patch(), s.patch());
  INFO("conv " << s.batch << "x" << s.height << "x" << s.width << "x" << s.channels << " kernel " << s.kernel_h << "x"
               << s.kernel_w << " stride " << s.stride_h << "x" << s.stride_w << " pad " << s.pad_top << "," << s.pad_left
               << "," << s.pad_bottom << "," << s.pad_right << " dilation " << s.dilation_h << "x" << s.dilation_w
               << " O " << out_channels << " w" << wbits << " a" << abits);
  const auto want = mixq::reference::conv2d(s, in, w.data(), out_channels, bias.data());
  std::vector<std::int32_t> c(s.out_pixels() * out_channels, 0);
  table.conv_i32(s, in, packed, bias.data(), {c.data(), out_channels}, {});
  REQUIRE(c == want);
  // A range of output pixels (a caller's thread's share), starting and
  // ending anywhere in a row: those rows as in the whole, nothing else written.
  if (s.out_pixels() > 2) {
    const std::size_t b = r.size(1, s.out_pixels() - 2), e = r.size(b + 1, s.out_pixels() - 1);
    std::vector<std::int32_t> part(c.size(), 0);
    table.conv_i32(s, in, packed, bias.data(), {part.data(), out_channels}, {b, e});
    for (std::size_t i = 0; i < part.size(); ++i) {
      const std::size_t pixel = i / out_channels;
      INFO("pixels [" << b << ", " << e << "), value " << i);
      REQUIRE(part[i] == (pixel >= b && pixel < e ? want[i] : 0));
    }
  }

  const auto mult = random_multipliers(r, out_channels);
  auto p = random_requantize(r, mult, 8, true);
  std::vector<float> scales;
  fp32_sometimes(r, p, mult, scales);
  std::vector<std::uint8_t> q(s.out_pixels() * out_channels, 0);
  table.conv_rq(s, in, packed, bias.data(), {q.data(), out_channels, p}, {});
  REQUIRE(q == mixq::reference::requantize(
                   {.x = want.data(), .rows = s.out_pixels(), .cols = out_channels, .x_stride = out_channels, .params = p}));
}

}  // namespace

TEST_CASE("convolution matches the reference", "[kernels][conv]") {
  random_source r(15);
  for (const auto& table : runnable_tables()) {
    DYNAMIC_SECTION("arch " << table.name) {
      for (int trial = 0; trial < 12; ++trial) {
        mixq::conv2d_shape s;
        s.batch = r.size(1, 2);
        s.height = r.size(1, 7);
        s.width = r.size(1, 7);
        s.channels = r.size(1, 19);
        s.kernel_h = r.size(1, 3);
        s.kernel_w = r.size(1, 3);
        s.stride_h = r.size(1, 2);
        s.stride_w = r.size(1, 2);
        s.dilation_h = r.size(1, 2);
        s.dilation_w = r.size(1, 2);
        s.pad_top = r.size(0, 2);
        s.pad_bottom = r.size(0, 2);
        s.pad_left = r.size(0, 2);
        s.pad_right = r.size(0, 2);
        if (s.out_height() == 0 || s.out_width() == 0) continue;
        check_conv(table, r, s, trial % 3 == 0 ? 4 : 8, r.coin(), r.size(1, 70));
      }
      mixq::conv2d_shape pointwise{.batch = 1, .height = 5, .width = 6, .channels = 33};
      check_conv(table, r, pointwise, 8, false, 67);  // 1x1, stride 1: the GEMM over pixels directly
      mixq::conv2d_shape same{.batch = 1, .height = 9, .width = 9, .channels = 8, .kernel_h = 3, .kernel_w = 3,
                              .pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1};
      check_conv(table, r, same, 2, true, 16);
      // Wide patch rows (kernel rows of 3 x 40 bytes: the copies past 64 bytes).
      mixq::conv2d_shape wide{.batch = 1, .height = 6, .width = 7, .channels = 40, .kernel_h = 3, .kernel_w = 3,
                              .pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1};
      check_conv(table, r, wide, 8, false, 24);
    }
  }
}

TEST_CASE("convolution patches of 8-bit inputs: whole kernel rows at every size and border", "[kernels][conv]") {
  // Undilated 8-bit inputs are copied a kernel row (kernel_w x C bytes) at a
  // time, the pixels clear of the left and right padding in one strided
  // run: kernel rows of 1 to 120 bytes, strides, pads wider than the kernel,
  // inputs narrower than it.
  random_source r(16);
  const std::size_t channel_counts[] = {1, 2, 3, 5, 8, 11, 16, 21, 24, 40};
  for (const auto& table : runnable_tables()) {
    DYNAMIC_SECTION("arch " << table.name) {
      for (int trial = 0; trial < 60; ++trial) {
        mixq::conv2d_shape s;
        s.batch = r.size(1, 2);
        s.height = r.size(1, 5);
        s.width = r.size(1, 12);
        s.channels = channel_counts[r.size(0, std::size(channel_counts) - 1)];
        s.kernel_h = r.size(1, 3);
        s.kernel_w = r.size(1, 5);
        s.stride_h = r.size(1, 2);
        s.stride_w = r.size(1, 3);
        s.pad_top = r.size(0, 2);
        s.pad_bottom = r.size(0, 2);
        s.pad_left = r.size(0, 3);
        s.pad_right = r.size(0, 3);
        if (s.height + s.pad_top + s.pad_bottom < s.kernel_h || s.width + s.pad_left + s.pad_right < s.kernel_w) continue;
        check_conv(table, r, s, 8, r.coin(), r.size(1, 20));
      }
    }
  }
}

TEST_CASE("depthwise 3x3 matches the reference", "[kernels][conv]") {
  random_source r(16);
  for (const auto& table : runnable_tables()) {
    DYNAMIC_SECTION("arch " << table.name) {
      for (int trial = 0; trial < 16; ++trial) {
        mixq::conv2d_shape s;
        s.batch = r.size(1, 2);
        // Few channels, more than the 64 of one AVX-512 block, and (trial 2,
        // never skipped below) more than the 512 lanes a sub-byte output row
        // is requantized in at once.
        // Rows of up to 20 pixels: several runs of the AVX-512 path per row.
        s.height = r.size(trial == 2 ? 3 : 1, 9);
        s.width = r.size(trial == 2 ? 3 : 1, 20);
        s.channels = trial == 2 ? r.size(513, 600) : trial % 2 ? r.size(1, 40) : r.size(60, 150);
        s.kernel_h = s.kernel_w = 3;
        s.stride_h = r.size(1, 2);
        s.stride_w = r.size(1, 2);
        s.pad_top = r.size(0, 2);
        s.pad_left = r.size(0, 2);
        s.pad_bottom = r.size(0, 2);
        s.pad_right = r.size(0, 2);
        if (s.out_height() == 0 || s.out_width() == 0) continue;
        const bool a_signed = r.coin();
        auto input = random_packed(r, s.batch * s.height * s.width, s.channels, s.channels, 8, a_signed);
        const mixq::conv_input in{input.data(), s.channels, 8, a_signed,
                                  r.integer(code_min(8, a_signed), code_max(8, a_signed))};
        std::vector<std::int8_t> w(9 * s.channels);
        for (auto& v : w) v = static_cast<std::int8_t>(r.integer(-128, 127));
        if (trial >= 12) {  // extreme codes: every input at qmin or qmax, every weight -128 or 127
          const auto code = trial % 2 ? code_max(8, a_signed) : code_min(8, a_signed);
          std::fill(input.begin(), input.end(), static_cast<std::uint8_t>(code));
          std::fill(w.begin(), w.end(), static_cast<std::int8_t>(trial % 4 < 2 ? -128 : 127));
        }
        std::vector<std::int32_t> bias(s.channels);
        for (auto& b : bias) b = r.integer(-3000, 3000);
        const std::int32_t* bias_ptr = r.coin() ? bias.data() : nullptr;
        INFO("depthwise " << s.batch << "x" << s.height << "x" << s.width << "x" << s.channels << " stride "
                          << s.stride_h << "x" << s.stride_w << " pad " << s.pad_top << "/" << s.pad_left << "/"
                          << s.pad_bottom << "/" << s.pad_right);
        const auto want = mixq::reference::depthwise(s, in, w.data(), bias_ptr);
        std::vector<std::int32_t> c(s.out_pixels() * s.channels, 0);
        table.depthwise_i32(s, in, w.data(), bias_ptr, {c.data(), s.channels}, {});
        REQUIRE(c == want);
        {  // a range of pixels that starts and ends inside output rows, as threads split them
          const std::size_t begin = r.size(0, s.out_pixels() - 1), end = r.size(begin + 1, s.out_pixels());
          INFO("pixels [" << begin << ", " << end << ")");
          std::vector<std::int32_t> part(s.out_pixels() * s.channels, 7);
          table.depthwise_i32(s, in, w.data(), bias_ptr, {part.data(), s.channels}, {begin, end});
          for (std::size_t i = 0; i < part.size(); ++i) {
            const bool written = i >= begin * s.channels && i < end * s.channels;
            REQUIRE(part[i] == (written ? want[i] : 7));
          }
        }
        // Codes of 8 bits (which the AVX-512 path requantizes in registers)
        // and of 4, for all the pixels and for a range of them.
        for (int obits : {8, 4}) {
          const auto mult = random_multipliers(r, r.coin() ? s.channels : 1);
          auto p = random_requantize(r, mult, obits, r.coin());
          std::vector<float> scales;
          fp32_sometimes(r, p, mult, scales);
          INFO(obits << "-bit codes, rule " << (p.rule == mixq::requantize_rule::float32 ? "fp32" : "tflite")
                     << (p.per_channel ? ", per channel" : ", per tensor"));
          const std::size_t row_bytes = mixq::packed_row_bytes(s.channels, obits);
          const auto expect = mixq::reference::requantize(
              {.x = want.data(), .rows = s.out_pixels(), .cols = s.channels, .x_stride = s.channels, .params = p});
          std::vector<std::uint8_t> q(s.out_pixels() * row_bytes, 0);
          table.depthwise_rq(s, in, w.data(), bias_ptr, {q.data(), row_bytes, p}, {});
          REQUIRE(q == expect);
          const std::size_t begin = r.size(0, s.out_pixels() - 1), end = r.size(begin + 1, s.out_pixels());
          INFO("pixels [" << begin << ", " << end << ")");
          std::fill(q.begin(), q.end(), std::uint8_t{0xa5});
          table.depthwise_rq(s, in, w.data(), bias_ptr, {q.data(), row_bytes, p}, {begin, end});
          for (std::size_t i = 0; i < q.size(); ++i) {
            const bool written = i >= begin * row_bytes && i < end * row_bytes;
            REQUIRE(q[i] == (written ? expect[i] : 0xa5));
          }
        }
      }
      SECTION("bad shapes") {
        mixq::conv2d_shape s{.batch = 1, .height = 4, .width = 4, .channels = 2, .kernel_h = 5, .kernel_w = 5};
        std::vector<std::uint8_t> input(32, 0);
        std::vector<std::int8_t> w(50, 0);
        std::vector<std::int32_t> c(64, 0);
        const mixq::conv_input in{input.data(), 2, 8, false, 0};
        CHECK_THROWS_WITH(table.depthwise_i32(s, in, w.data(), nullptr, {c.data(), 2}, {}), Catch::Contains("smaller than"));
        s.kernel_h = s.kernel_w = 3;
        s.stride_h = 3;
        CHECK_THROWS_WITH(table.depthwise_i32(s, in, w.data(), nullptr, {c.data(), 2}, {}), Catch::Contains("stride 3x1"));
        s.stride_h = 1;
        const auto packed = mixq::pack_weights(table.layout(8), w.data(), 2, 17, 17);
        CHECK_THROWS_WITH(table.conv_i32(s, in, packed, nullptr, {c.data(), 2}, {}), Catch::Contains("K = 17"));
      }
    }
  }
}
