#pragma once
// Quantization parameters of a scheme: scale(s) and zero point(s), and the
// one validation function every entry point uses.
//
//   per-tensor:             float scale;               std::int32_t zero_point;
//   per-channel:            std::vector<float> scale;  std::vector<std::int32_t> zero_point;
//   power-of-two scales:    an integer exponent e first; scale == 2^e follows from it.
//
// All four are aggregates: `qparams<S>{0.05f, 3}`, `{.scale = {...}}`,
// `{.exponent = -4}`. Symmetric schemes default the zero point to the fixed one.

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include <mixq/config.hpp>
#include <mixq/core/scheme.hpp>

namespace mixq {

/// Exponents a power-of-two scale may take: 2^e and 2^-e are both normal floats.
inline constexpr int pow2_exponent_min = -126;
inline constexpr int pow2_exponent_max = 126;

/// 2^e as a float, exact, for e in [pow2_exponent_min, pow2_exponent_max];
/// NaN outside, so an out-of-range exponent never passes validation.
constexpr float exp2i(int e) noexcept {
  if (e < pow2_exponent_min || e > pow2_exponent_max) return std::numeric_limits<float>::quiet_NaN();
  return std::bit_cast<float>(static_cast<std::uint32_t>(e + 127) << 23);
}

namespace detail {
inline std::vector<float> exp2i_all(const std::vector<int>& exponents) {
  std::vector<float> out;
  out.reserve(exponents.size());
  for (int e : exponents) out.push_back(exp2i(e));
  return out;
}
}  // namespace detail

template <scheme S>
  requires ValidScheme<S>
struct qparams;

template <scheme S>
  requires(ValidScheme<S> && !is_per_channel(S) && !is_pow2(S))
struct qparams<S> {
  static constexpr mixq::scheme scheme_value = S;
  float scale = 1.0f;
  std::int32_t zero_point = default_zero_point(S);
  bool operator==(const qparams&) const = default;
};

template <scheme S>
  requires(ValidScheme<S> && !is_per_channel(S) && is_pow2(S))
struct qparams<S> {
  static constexpr mixq::scheme scheme_value = S;
  int exponent = 0;
  float scale = exp2i(exponent);
  std::int32_t zero_point = default_zero_point(S);
  bool operator==(const qparams&) const = default;
};

template <scheme S>
  requires(ValidScheme<S> && is_per_channel(S) && !is_pow2(S))
struct qparams<S> {
  static constexpr mixq::scheme scheme_value = S;
  std::vector<float> scale;
  std::vector<std::int32_t> zero_point = std::vector<std::int32_t>(scale.size(), default_zero_point(S));
  bool operator==(const qparams&) const = default;
};

template <scheme S>
  requires(ValidScheme<S> && is_per_channel(S) && is_pow2(S))
struct qparams<S> {
  static constexpr mixq::scheme scheme_value = S;
  std::vector<int> exponent;
  std::vector<float> scale = detail::exp2i_all(exponent);
  std::vector<std::int32_t> zero_point = std::vector<std::int32_t>(exponent.size(), default_zero_point(S));
  bool operator==(const qparams&) const = default;
};

/// Number of channels the parameters describe (1 for per-tensor).
template <scheme S>
constexpr std::size_t channels(const qparams<S>& p) noexcept {
  if constexpr (is_per_channel(S)) {
    return p.scale.size();
  } else {
    return 1;
  }
}

/// Scale of channel c (per-tensor parameters ignore c).
template <scheme S>
constexpr float scale_of(const qparams<S>& p, std::size_t c) noexcept {
  if constexpr (is_per_channel(S)) {
    return p.scale[c];
  } else {
    (void)c;
    return p.scale;
  }
}

/// Zero point of channel c (per-tensor parameters ignore c).
template <scheme S>
constexpr std::int32_t zero_point_of(const qparams<S>& p, std::size_t c) noexcept {
  if constexpr (is_per_channel(S)) {
    return p.zero_point[c];
  } else {
    (void)c;
    return p.zero_point;
  }
}

namespace detail {

// Checks one channel's scale, exponent and zero point; `index` is empty for
// per-tensor parameters and "[c]" otherwise.
template <scheme S>
void validate_channel(std::string_view where, std::string_view index, float scale, const int* exponent,
                      std::int32_t zero_point) {
  if (exponent != nullptr) {
    if (*exponent < pow2_exponent_min || *exponent > pow2_exponent_max) {
      MIXQ_THROW(error, "{}: qparams.exponent{} = {} is out of range; expected {} <= exponent <= {}", where, index,
                 *exponent, pow2_exponent_min, pow2_exponent_max);
    }
    if (scale != exp2i(*exponent)) {
      MIXQ_THROW(error,
                 "{}: qparams.scale{} = {} does not match 2^exponent = 2^{} = {}; a power-of-two scheme derives the "
                 "scale from the exponent",
                 where, index, scale, *exponent, exp2i(*exponent));
    }
  }
  if (!(std::isfinite(scale) && scale > 0.0f)) {
    MIXQ_THROW(error, "{}: qparams.scale{} = {} is invalid; expected a finite scale > 0", where, index, scale);
  }
  if constexpr (S.symmetric) {
    if (zero_point != symmetric_zero_point(S)) {
      MIXQ_THROW(error, "{}: qparams.zero_point{} = {} is invalid; a symmetric {} scheme fixes it at {}", where,
                 index, zero_point, S.is_signed ? "signed" : "unsigned", symmetric_zero_point(S));
    }
  } else if (zero_point < qmin(S) || zero_point > qmax(S)) {
    MIXQ_THROW(error, "{}: qparams.zero_point{} = {} is out of range; expected {} <= zero_point <= {}", where, index,
               zero_point, qmin(S), qmax(S));
  }
}

}  // namespace detail

/// Throws mixq::error unless `p` is usable: scales finite and > 0, power-of-two
/// scales equal to 2^exponent with the exponent in range, zero points in
/// [qmin, qmax] (and equal to the fixed one for symmetric schemes), and
/// per-channel vectors of one length. `where` prefixes the message.
template <scheme S>
void validate(const qparams<S>& p, std::string_view where = "mixq::validate") {
  if constexpr (is_per_channel(S)) {
    const std::size_t n = p.scale.size();
    if (p.zero_point.size() != n) {
      MIXQ_THROW(error, "{}: qparams.zero_point has {} entries but qparams.scale has {}; expected one per channel",
                 where, p.zero_point.size(), n);
    }
    if constexpr (is_pow2(S)) {
      if (p.exponent.size() != n) {
        MIXQ_THROW(error, "{}: qparams.exponent has {} entries but qparams.scale has {}; expected one per channel",
                   where, p.exponent.size(), n);
      }
    }
    for (std::size_t c = 0; c < n; ++c) {
      const int* e = nullptr;
      if constexpr (is_pow2(S)) e = &p.exponent[c];
      detail::validate_channel<S>(where, fmt::format("[{}]", c), p.scale[c], e, p.zero_point[c]);
    }
  } else {
    const int* e = nullptr;
    if constexpr (is_pow2(S)) e = &p.exponent;
    detail::validate_channel<S>(where, "", p.scale, e, p.zero_point);
  }
}

/// Throws mixq::error unless `p` describes `expected` channels (per-channel schemes only).
template <scheme S>
void validate_channels(const qparams<S>& p, std::size_t expected, std::string_view where) {
  if constexpr (is_per_channel(S)) {
    if (p.scale.size() != expected) {
      MIXQ_THROW(error, "{}: qparams has {} channels but the tensor has {} along axis {}; expected one scale per channel",
                 where, p.scale.size(), expected, S.axis);
    }
  } else {
    (void)p, (void)expected, (void)where;
  }
}

}  // namespace mixq
