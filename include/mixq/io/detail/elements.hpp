#pragma once
// Element types as files store them (kind, size, byte order), and the checked
// arithmetic and conversions the IDX and npy readers share.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include <mixq/io/arrays.hpp>

namespace mixq::io::detail {

enum class element_kind : std::uint8_t { unsigned_int, signed_int, floating };

struct element_type {
  element_kind kind = element_kind::unsigned_int;
  std::size_t size = 1;  // bytes: 1, 2, 4 or 8
  std::endian order = std::endian::little;
  bool operator==(const element_type&) const = default;
};

constexpr bool is_integer(element_type t) noexcept { return t.kind != element_kind::floating; }

/// Calls f(std::type_identity<T>{}) with the C++ type that holds one element of t.
template <class F>
decltype(auto) visit_element(element_type t, F&& f) {
  switch (t.kind) {
    case element_kind::floating:
      if (t.size == 4) return f(std::type_identity<float>{});
      return f(std::type_identity<double>{});
    case element_kind::signed_int:
      if (t.size == 1) return f(std::type_identity<std::int8_t>{});
      if (t.size == 2) return f(std::type_identity<std::int16_t>{});
      if (t.size == 4) return f(std::type_identity<std::int32_t>{});
      return f(std::type_identity<std::int64_t>{});
    case element_kind::unsigned_int:
    default:
      if (t.size == 1) return f(std::type_identity<std::uint8_t>{});
      if (t.size == 2) return f(std::type_identity<std::uint16_t>{});
      if (t.size == 4) return f(std::type_identity<std::uint32_t>{});
      return f(std::type_identity<std::uint64_t>{});
  }
}

/// a * b, or nothing when it does not fit in size_t.
constexpr std::optional<std::size_t> checked_mul(std::size_t a, std::size_t b) noexcept {
  std::size_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

/// The number of elements of a shape, or nothing when it overflows size_t.
inline std::optional<std::size_t> element_count(std::span<const std::size_t> shape) noexcept {
  std::size_t n = 1;
  for (std::size_t d : shape) {
    const auto next = checked_mul(n, d);
    if (!next) return std::nullopt;
    n = *next;
  }
  return n;
}

/// "[60000, 28, 28]": how messages print a shape.
inline std::string shape_text(std::span<const std::size_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

/// Reverses the bytes of each element in place when the file's order is not the machine's.
template <class T>
void to_native_order(std::span<T> values, std::endian file_order) noexcept {
  if constexpr (sizeof(T) > 1) {
    if (file_order == std::endian::native) return;
    for (T& v : values) {
      auto* b = reinterpret_cast<unsigned char*>(&v);
      std::reverse(b, b + sizeof(T));
    }
  }
}

/// double -> float with IEEE round-to-nearest, also beyond float's range
/// (where a plain cast is undefined behaviour): such values become +-inf,
/// except those that round down to +-FLT_MAX.
inline float narrow_to_float(double d) noexcept {
  constexpr double max = std::numeric_limits<float>::max();
  constexpr double half_ulp = 0x1p103;  // half the gap between FLT_MAX and the next float exponent step
  if (!(std::fabs(d) > max)) return static_cast<float>(d);  // in range, or NaN
  const double magnitude = std::fabs(d) < max + half_ulp ? max : std::numeric_limits<double>::infinity();
  return static_cast<float>(std::copysign(magnitude, d));
}

/// One element's value as float: integers convert exactly or to the nearest float.
template <class T>
float to_float(T v) noexcept {
  if constexpr (std::is_same_v<T, double>) {
    return narrow_to_float(v);
  } else {
    return static_cast<float>(v);
  }
}

}  // namespace mixq::io::detail
