// storage/packed.hpp against an independent model of the layout: each row a
// little-endian bit stream, code k in bits [k*b, (k+1)*b), rows byte-aligned.
#include <cstdint>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include <mixq/storage/packed.hpp>

namespace {
using namespace mixq;

// The bytes a row of fields should occupy, built one bit at a time.
std::vector<std::uint8_t> model_row(const std::vector<std::uint32_t>& fields, int bits) {
  std::vector<std::uint8_t> bytes(packed_row_bytes(fields.size(), bits), 0);
  for (std::size_t k = 0; k < fields.size(); ++k) {
    for (int j = 0; j < bits; ++j) {
      const std::size_t bit = k * static_cast<std::size_t>(bits) + static_cast<std::size_t>(j);
      if ((fields[k] >> j) & 1u) bytes[bit / 8] = static_cast<std::uint8_t>(bytes[bit / 8] | (1u << (bit % 8)));
    }
  }
  return bytes;
}

template <int Bits, bool Signed>
void check_format() {
  using F = code_format<Bits, Signed>;
  INFO("bits = " << Bits << ", signed = " << Signed);
  std::mt19937 rng(static_cast<unsigned>(Bits * 2 + Signed));
  std::uniform_int_distribution<std::int32_t> code(F::lowest, F::highest);
  for (std::size_t length : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{9},
                             std::size_t{31}, std::size_t{64}, std::size_t{101}}) {
    const std::size_t rows = 3;
    packed_buffer<F> buf(rows, length);
    REQUIRE(buf.row_bytes() == packed_row_bytes(length, Bits));
    REQUIRE(buf.bytes() == rows * buf.row_bytes());
    REQUIRE(reinterpret_cast<std::uintptr_t>(buf.data()) % 64 == 0);
    std::vector<std::vector<std::int32_t>> codes(rows);
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t k = 0; k < length; ++k) {
        std::int32_t c = code(rng);
        if (F::binary && c == 0) c = 1;
        codes[r].push_back(c);
        buf(r, k) = c;
      }
    }
    for (std::size_t r = 0; r < rows; ++r) {
      INFO("row " << r << " of length " << length);
      // Layout: the bytes equal the model's bit stream, padding bits zero.
      std::vector<std::uint32_t> fields;
      for (auto c : codes[r]) fields.push_back(F::binary ? (c > 0 ? 1u : 0u) : static_cast<std::uint32_t>(c) & F::mask);
      const auto expected = model_row(fields, Bits);
      const std::vector<std::uint8_t> actual(buf.data() + r * buf.row_bytes(), buf.data() + (r + 1) * buf.row_bytes());
      REQUIRE(actual == expected);
      // Reading back: element access, the row view and its iterator.
      const auto& cbuf = buf;
      const auto row = cbuf.row(r);
      REQUIRE(row.size() == length);
      std::vector<std::int32_t> via_iterator(row.begin(), row.end());
      REQUIRE(via_iterator == codes[r]);
      for (std::size_t k = 0; k < length; ++k) REQUIRE(cbuf(r, k) == codes[r][k]);
    }
    // Whole-buffer iteration is row-major.
    std::vector<std::int32_t> all;
    for (const auto& c : codes) all.insert(all.end(), c.begin(), c.end());
    const auto& cbuf = buf;
    REQUIRE(std::vector<std::int32_t>(cbuf.begin(), cbuf.end()) == all);
    // Rewriting one code leaves its neighbours alone.
    if (length >= 3) {
      const std::int32_t replacement = F::binary ? -codes[1][1] : (codes[1][1] == F::highest ? F::lowest : codes[1][1] + 1);
      buf(1, 1) = replacement;
      CHECK(cbuf(1, 0) == codes[1][0]);
      CHECK(cbuf(1, 1) == replacement);
      CHECK(cbuf(1, 2) == codes[1][2]);
      CHECK(cbuf(0, length - 1) == codes[0][length - 1]);
      CHECK(cbuf(2, 0) == codes[2][0]);
    }
    // The tail padding stays zero.
    for (std::size_t i = 0; i < packed_buffer<F>::tail_padding; ++i) REQUIRE(buf.data()[buf.bytes() + i] == 0);
  }
}

template <int... B>
void check_all(std::integer_sequence<int, B...>) {
  (check_format<B + 1, true>(), ...);
  (check_format<B + 1, false>(), ...);
}
}  // namespace

TEST_CASE("packed rows: layout and access for 1..8 bits, signed and unsigned", "[storage]") {
  check_all(std::make_integer_sequence<int, 8>{});
}

TEST_CASE("packed rows: known bytes", "[storage]") {
  SECTION("4 bits: first code in the low nibble") {
    packed_buffer<code_format<4, true>> buf(1, 3);
    buf(0, 0) = 1;
    buf(0, 1) = -2;  // 0xE
    buf(0, 2) = 7;
    CHECK(buf.data()[0] == 0xE1);
    CHECK(buf.data()[1] == 0x07);
  }
  SECTION("3 bits straddle bytes") {
    packed_buffer<code_format<3, false>> buf(1, 3);
    buf(0, 0) = 5;  // bits 0-2
    buf(0, 1) = 3;  // bits 3-5
    buf(0, 2) = 6;  // bits 6-8: two bits in byte 0, one in byte 1
    CHECK(buf.data()[0] == (5 | 3 << 3 | (6 & 3) << 6));
    CHECK(buf.data()[1] == 1);
  }
  SECTION("binary: bit 1 is +1") {
    packed_buffer<code_format<1, true>> buf(2, 9);
    for (std::size_t k = 0; k < 9; ++k) buf(0, k) = k % 3 == 0 ? 1 : -1;
    CHECK(buf.data()[0] == 0b01001001);
    CHECK(buf.data()[1] == 0);  // code 8 is -1
    CHECK(buf.row_bytes() == 2);  // the second row starts on its own byte
  }
}

TEST_CASE("packed rows: mutable iteration assigns through proxies", "[storage]") {
  packed_buffer<code_format<5, true>> buf(2, 5);
  std::int32_t v = -16;
  for (auto ref : buf) ref = v++;
  const auto& cbuf = buf;
  std::vector<std::int32_t> back(cbuf.begin(), cbuf.end());
  CHECK(back == std::vector<std::int32_t>{-16, -15, -14, -13, -12, -11, -10, -9, -8, -7});
  auto row = buf.row(1);
  row[4] = 15;
  CHECK(cbuf(1, 4) == 15);
}
