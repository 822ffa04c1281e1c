// Compile-time behaviour of scheme, valid(), qmin() / qmax() and the presets.
#include <mixq/core/bit_width.hpp>
#include <mixq/core/scheme.hpp>

namespace {
using namespace mixq;
namespace s = mixq::schemes;

// scheme is structural: usable as a template argument.
template <scheme S>
struct tag {};
static_assert(sizeof(tag<s::int8_asym>) == 1);

// Validity: positive cases.
static_assert(valid(scheme{}));
static_assert(valid(scheme{.bits = 1}));  // binary
static_assert(valid(scheme{.bits = 1, .is_signed = false}));
static_assert(valid(scheme{.bits = 3, .symmetric = false}));
static_assert(valid(scheme{.bits = 2, .narrow = true}));  // ternary
static_assert(valid(scheme{.scale = scale_kind::pow2, .axis = 3}));
static_assert(valid(s::int8_asym) && valid(s::uint8_asym) && valid(s::int8_sym_per_channel) && valid(s::int8_pow2) &&
              valid(s::int4_sym) && valid(s::int2_sym) && valid(s::binary) && valid(s::uint4_asym));

// Validity: negative cases, each breaking one rule.
static_assert(!valid(scheme{.bits = 0}));
static_assert(!valid(scheme{.bits = 9}));
static_assert(!valid(scheme{.bits = -3}));
static_assert(!valid(scheme{.is_signed = false, .narrow = true}));
static_assert(!valid(scheme{.symmetric = false, .narrow = true}));
static_assert(!valid(scheme{.bits = 1, .symmetric = false}));
static_assert(!valid(scheme{.bits = 1, .narrow = true}));
static_assert(!valid(scheme{.axis = -2}));
static_assert(!valid(scheme{.scale = static_cast<scale_kind>(7)}));

// The named rules agree with valid().
static_assert(!SchemeBitsFrom1To8<scheme{.bits = 9}>);
static_assert(!NarrowRangeNeedsSignedSymmetric<scheme{.is_signed = false, .narrow = true}>);
static_assert(!SignedOneBitIsSymmetricBinary<scheme{.bits = 1, .symmetric = false}>);
static_assert(!AxisIsMinusOneOrChannel<scheme{.axis = -5}>);
static_assert(ValidScheme<s::int8_sym_per_channel> && !ValidScheme<scheme{.bits = 0}>);

// Ranges: | scheme | qmin | qmax | codes |
struct range_row {
  scheme s;
  int lo, hi, count;
};
constexpr range_row ranges[] = {
    {s::int8_asym, -128, 127, 256},
    {s::uint8_asym, 0, 255, 256},
    {s::int8_sym_per_channel, -127, 127, 255},
    {s::int8_pow2, -128, 127, 256},
    {s::int4_sym, -8, 7, 16},
    {s::uint4_asym, 0, 15, 16},
    {s::int2_sym, -2, 1, 4},
    {s::int2_ternary, -1, 1, 3},
    {scheme{.bits = 3}, -4, 3, 8},
    {scheme{.bits = 3, .narrow = true}, -3, 3, 7},
    {scheme{.bits = 7, .is_signed = false}, 0, 127, 128},
    {s::binary, -1, 1, 2},
    {s::uint1, 0, 1, 2},
};
constexpr bool ranges_hold() {
  for (const auto& r : ranges) {
    if (qmin(r.s) != r.lo || qmax(r.s) != r.hi || code_count(r.s) != r.count) return false;
  }
  return true;
}
static_assert(ranges_hold());

// Zero points.
static_assert(symmetric_zero_point(s::int8_sym) == 0);
static_assert(symmetric_zero_point(s::uint8_sym) == 128);
static_assert(symmetric_zero_point(scheme{.bits = 4, .is_signed = false}) == 8);
static_assert(default_zero_point(s::int8_asym) == 0 && default_zero_point(s::uint8_asym) == 0);

// Binary has no code 0.
static_assert(is_code(s::binary, 1) && is_code(s::binary, -1) && !is_code(s::binary, 0));
static_assert(is_code(s::int2_ternary, 0) && !is_code(s::int2_ternary, -2));

// Bit fields: two's complement in b bits; binary maps bit 1 to +1.
static_assert(code_format<4, true>::encode(-1) == 0xF && code_format<4, true>::decode(0xF) == -1);
static_assert(code_format<4, true>::decode(0x8) == -8 && code_format<4, true>::decode(0x7) == 7);
static_assert(code_format<3, true>::decode(0b100) == -4 && code_format<3, false>::decode(0b100) == 4);
static_assert(code_format<1, true>::encode(1) == 1 && code_format<1, true>::encode(-1) == 0);
static_assert(code_format<1, true>::decode(1) == 1 && code_format<1, true>::decode(0) == -1);
static_assert(code_format<8, true>::decode(0x80) == -128 && code_format<8, false>::decode(0x80) == 128);
static_assert(packed_row_bytes(5, 3) == 2 && packed_row_bytes(8, 1) == 1 && packed_row_bytes(9, 1) == 2 &&
              packed_row_bytes(0, 4) == 0);

// Runtime-usable reasons name the broken rule.
static_assert(scheme_problem(scheme{.bits = 9}) != nullptr && scheme_problem(s::int4_sym) == nullptr);
}  // namespace
