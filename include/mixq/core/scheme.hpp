#pragma once
// A quantization scheme: bit-width, signedness, zero-point policy, range,
// scale kind and granularity. It is a structural value, so it is used as a
// template argument and every property it implies is known at compile time.

#include <cstdint>

namespace mixq {

enum class scale_kind { real, pow2 };

struct scheme {
  int bits = 8;          ///< 1..8
  bool is_signed = true;
  bool symmetric = true; ///< zero point fixed: 0 (signed) or 2^(bits-1) (unsigned)
  bool narrow = false;   ///< symmetric signed only: drops the most negative code
  scale_kind scale = scale_kind::real;
  int axis = -1;         ///< -1 per-tensor, else per-channel along this axis
  constexpr bool operator==(const scheme&) const = default;
};

// Each rule a scheme must follow is a named concept, so a compiler that
// rejects a scheme names the rule it broke.

template <scheme S>
concept SchemeBitsFrom1To8 = (S.bits >= 1 && S.bits <= 8);

template <scheme S>
concept NarrowRangeNeedsSignedSymmetric = (!S.narrow || (S.is_signed && S.symmetric));

/// Signed 1-bit is the binary code {-1, +1}: symmetric with zero point 0, never narrow.
template <scheme S>
concept SignedOneBitIsSymmetricBinary = (S.bits != 1 || !S.is_signed || (S.symmetric && !S.narrow));

template <scheme S>
concept AxisIsMinusOneOrChannel = (S.axis >= -1);

template <scheme S>
concept ScaleIsRealOrPow2 = (S.scale == scale_kind::real || S.scale == scale_kind::pow2);

template <scheme S>
concept ValidScheme = SchemeBitsFrom1To8<S> && NarrowRangeNeedsSignedSymmetric<S> &&
                      SignedOneBitIsSymmetricBinary<S> && AxisIsMinusOneOrChannel<S> &&
                      ScaleIsRealOrPow2<S>;

/// Why `s` is not a valid scheme, or nullptr when it is. Usable at run time
/// (for schemes read from files); `valid()` is the compile-time form.
constexpr const char* scheme_problem(scheme s) noexcept {
  if (s.bits < 1 || s.bits > 8) return "bits must be in 1..8";
  if (s.narrow && !(s.is_signed && s.symmetric)) return "narrow range needs a signed symmetric scheme";
  if (s.bits == 1 && s.is_signed && (!s.symmetric || s.narrow))
    return "signed 1-bit is the symmetric binary code {-1, +1}: set symmetric = true, narrow = false";
  if (s.axis < -1) return "axis must be -1 (per-tensor) or a channel axis >= 0";
  if (s.scale != scale_kind::real && s.scale != scale_kind::pow2) return "scale must be scale_kind::real or pow2";
  return nullptr;
}

consteval bool valid(scheme s) { return scheme_problem(s) == nullptr; }

constexpr bool is_per_channel(scheme s) noexcept { return s.axis >= 0; }
constexpr bool is_pow2(scheme s) noexcept { return s.scale == scale_kind::pow2; }
/// Signed 1-bit: codes {-1, +1}, stored as bit 0 = -1 and bit 1 = +1.
constexpr bool is_binary(scheme s) noexcept { return s.bits == 1 && s.is_signed; }

/// The codes a b-bit integer field holds: [-2^(b-1), 2^(b-1) - 1] when
/// signed (narrow: without the most negative one), [0, 2^b - 1] when
/// unsigned; signed 1-bit is binary, {-1, +1}. The one rule qmin/qmax,
/// code_format and the kernels' argument checks derive their ranges from.
struct code_range {
  std::int32_t lo = 0;
  std::int32_t hi = 0;
  constexpr bool contains(std::int32_t code) const noexcept { return code >= lo && code <= hi; }
};

constexpr code_range code_range_of(int bits, bool is_signed, bool narrow = false) noexcept {
  if (bits == 1 && is_signed) return {-1, 1};
  if (!is_signed) return {0, (std::int32_t{1} << bits) - 1};
  const std::int32_t half = std::int32_t{1} << (bits - 1);
  return {narrow ? -(half - 1) : -half, half - 1};
}

constexpr code_range code_range_of(scheme s) noexcept { return code_range_of(s.bits, s.is_signed, s.narrow); }

constexpr std::int32_t qmin(scheme s) noexcept { return code_range_of(s).lo; }
constexpr std::int32_t qmax(scheme s) noexcept { return code_range_of(s).hi; }

/// Number of distinct codes: 2^bits, one fewer when narrow.
constexpr std::int32_t code_count(scheme s) noexcept {
  return (std::int32_t{1} << s.bits) - (s.narrow ? 1 : 0);
}

/// The zero point a symmetric scheme fixes: 0 when signed, 2^(bits-1) when unsigned.
constexpr std::int32_t symmetric_zero_point(scheme s) noexcept {
  return s.is_signed ? 0 : (std::int32_t{1} << (s.bits - 1));
}

/// The zero point a fresh qparams carries: the fixed one, or 0 for asymmetric schemes.
constexpr std::int32_t default_zero_point(scheme s) noexcept {
  return s.symmetric ? symmetric_zero_point(s) : 0;
}

/// Whether `code` is one of the scheme's codes (binary has no code 0).
constexpr bool is_code(scheme s, std::int32_t code) noexcept {
  return code_range_of(s).contains(code) && !(is_binary(s) && code == 0);
}

namespace schemes {
// Activations as TFLite quantizes them.
inline constexpr scheme int8_asym{.symmetric = false};
// PyTorch quint8 activations, gemmlowp.
inline constexpr scheme uint8_asym{.is_signed = false, .symmetric = false};
// Weights as TFLite quantizes them: symmetric, [-127, 127], one scale per output channel.
inline constexpr scheme int8_sym_per_channel{.narrow = true, .axis = 0};
inline constexpr scheme int8_sym{};
inline constexpr scheme int8_sym_narrow{.narrow = true};
inline constexpr scheme int8_pow2{.scale = scale_kind::pow2};
inline constexpr scheme int8_pow2_per_channel{.scale = scale_kind::pow2, .axis = 0};
inline constexpr scheme uint8_sym{.is_signed = false};
inline constexpr scheme int4_sym{.bits = 4};
inline constexpr scheme int4_sym_per_channel{.bits = 4, .axis = 0};
inline constexpr scheme int4_asym{.bits = 4, .symmetric = false};
// PyTorch quint4x2 (embedding tables), ONNX UINT4.
inline constexpr scheme uint4_asym{.bits = 4, .is_signed = false, .symmetric = false};
inline constexpr scheme int2_sym{.bits = 2};
// Ternary weights {-1, 0, +1}.
inline constexpr scheme int2_ternary{.bits = 2, .narrow = true};
// PyTorch quint2x4.
inline constexpr scheme uint2_asym{.bits = 2, .is_signed = false, .symmetric = false};
// XNOR-style binary weights and activations {-1, +1}.
inline constexpr scheme binary{.bits = 1};
inline constexpr scheme uint1{.bits = 1, .is_signed = false, .symmetric = false};
}  // namespace schemes

}  // namespace mixq
