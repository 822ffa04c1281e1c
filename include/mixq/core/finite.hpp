#pragma once
// A finiteness test usable in constant expressions (std::isfinite is not
// constexpr in C++20): the fixed-point helpers and the allocator both need one.

#include <bit>
#include <cstdint>

namespace mixq::detail {

/// Neither NaN nor infinite: the exponent field is not all ones.
constexpr bool is_finite(double x) noexcept { return ((std::bit_cast<std::uint64_t>(x) >> 52) & 0x7ffu) != 0x7ffu; }

}  // namespace mixq::detail
