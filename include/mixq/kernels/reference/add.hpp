#pragma once
// Scalar twin of kernels/add.hpp.

#include <cmath>
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
  if (a.rule == requantize_rule::float32) {
    for (std::size_t i = 0; i < a.n; ++i) {
      const float x = static_cast<float>(code(a.a, i) - a.a.zero_point);
      const float y = static_cast<float>(code(a.b, i) - a.b.zero_point);
      const float f = std::fma(x, a.a.scale, y * a.b.scale);
      // Clamp, then half to even spelled out (f is within a few thousand of zero).
      std::int64_t q;
      if (!(f > static_cast<float>(a.min - a.zero_point))) {
        q = a.min;
      } else if (!(f < static_cast<float>(a.max - a.zero_point))) {
        q = a.max;
      } else {
        const float whole = std::floor(f);
        const float fraction = f - whole;
        q = static_cast<std::int64_t>(whole);
        if (fraction > 0.5f || (fraction == 0.5f && (q & 1) != 0)) ++q;
        q += a.zero_point;
      }
      out[i] = static_cast<std::uint8_t>(q);
    }
    return out;
  }
  for (std::size_t i = 0; i < a.n; ++i) {
    const std::int64_t sum = term(a.a, i) + term(a.b, i);
    std::int64_t q = a.zero_point + std::int64_t{multiply_by_quantized_multiplier(static_cast<std::int32_t>(sum), a.multiplier)};
    q = q < a.min ? a.min : (q > a.max ? a.max : q);
    out[i] = static_cast<std::uint8_t>(q);
  }
  return out;
}

}  // namespace mixq::reference
