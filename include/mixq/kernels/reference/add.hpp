#pragma once
// Scalar twin of kernels/add.hpp.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <mixq/core/fixed_point.hpp>
#include <mixq/kernels/args.hpp>

namespace mixq::reference {

/// The lanes add_kernel writes for `a`.
inline std::vector<std::uint8_t> add(const add_args& a) {
  const auto code = [](const add_input& in, std::size_t i) {
    const std::uint8_t lane = in.data[i];
    return in.is_signed ? std::int64_t{static_cast<std::int8_t>(lane)} : std::int64_t{lane};
  };
  const auto term = [&](const add_input& in, std::size_t i) {
    const std::int64_t shifted = (code(in, i) - in.zero_point) * (std::int64_t{1} << a.left_shift);
    return std::int64_t{multiply_by_quantized_multiplier(static_cast<std::int32_t>(shifted), in.multiplier)};
  };
  std::vector<std::uint8_t> out(a.n);
  for (std::size_t i = 0; i < a.n; ++i) {
    const std::int64_t sum = term(a.a, i) + term(a.b, i);
    std::int64_t q = a.zero_point + std::int64_t{multiply_by_quantized_multiplier(static_cast<std::int32_t>(sum), a.multiplier)};
    q = q < a.min ? a.min : (q > a.max ? a.max : q);
    out[i] = static_cast<std::uint8_t>(q);
  }
  return out;
}

}  // namespace mixq::reference
