#pragma once
// A layer's precision: the bit-widths of its weights and of its input
// activations, as the allocator's plans give them (alloc::precision), with
// {32, 32} for a layer left in float. A precision plan assigns one to every
// layer with weights, by name.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <mixq/alloc/problem.hpp>
#include <mixq/config.hpp>

namespace mixq {

using alloc::precision;

/// A layer computed in float32 (weights and activations).
inline constexpr precision fp32{32, 32};

constexpr bool is_float(precision p) noexcept { return p.w_bits == 32 && p.a_bits == 32; }

/// Whether the integer kernels run this precision in a network: weights of
/// 8, 4 or 2 bits with activations of 8, 4 or 2 bits. (Binary weights need
/// binary activations, a different quantizer; networks do not use them.)
constexpr bool has_kernel(precision p) noexcept {
  auto ok = [](int b) { return b == 8 || b == 4 || b == 2; };
  return ok(p.w_bits) && ok(p.a_bits);
}

/// The precisions a layer of a network can take: fp32 and every integer kernel.
inline constexpr precision network_precisions[] = {{8, 8}, {4, 8}, {2, 8}, {8, 4}, {4, 4}, {2, 4},
                                                   {8, 2}, {4, 2}, {2, 2}};

inline std::string to_string(precision p) {
  return is_float(p) ? std::string("fp32") : fmt::format("w{}a{}", p.w_bits, p.a_bits);
}

/// "fp32" or "wWaA" (e.g. "w4a8"); nullopt for anything else.
inline std::optional<precision> parse_precision(std::string_view text) {
  if (text == "fp32") return fp32;
  if (text.size() < 4 || text[0] != 'w') return std::nullopt;
  const std::size_t a = text.find('a');
  if (a == std::string_view::npos || a < 2 || a + 1 >= text.size()) return std::nullopt;
  auto number = [](std::string_view digits) -> std::optional<int> {
    if (digits.empty() || digits.size() > 2) return std::nullopt;
    int v = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  const auto w = number(text.substr(1, a - 1));
  const auto act = number(text.substr(a + 1));
  if (!w || !act) return std::nullopt;
  return precision{*w, *act};
}

/// One precision for every layer, except those named.
struct precision_plan {
  precision all = {8, 8};
  std::vector<std::pair<std::string, precision>> layers = {};  ///< by layer name; later entries win

  /// The precision of the layer named `name`.
  precision of(std::string_view name) const {
    precision p = all;
    for (const auto& [n, q] : layers) {
      if (n == name) p = q;
    }
    return p;
  }
};

}  // namespace mixq
