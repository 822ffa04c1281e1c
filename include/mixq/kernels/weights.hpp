#pragma once
// Weights packed once, outside any timed loop, into the layout a GEMM kernel
// reads: panels of `panel` output channels, each panel one contiguous block.
//
// 8-, 4- and 2-bit weights (signed two's complement codes). K is cut into
// groups of 4 (the width of vpdpbusd / sdot); 8/bits consecutive groups
// share one block of panel*4 bytes:
//
//   byte[(kb * panel + c) * 4 + i] = sum over j < 8/bits of
//       field(w[n0 + c][(kb * (8/bits) + j) * 4 + i]) << (j * bits)
//
// so for 4 bits the low nibbles hold group 2kb and the high nibbles group
// 2kb+1. Codes past K and channels past N are 0.
//
// Binary weights {-1, +1}: K is cut into 64-bit words, bit t of word kw of
// channel c is 1 when w[n0 + c][kw * 64 + t] = +1, and words are stored
// panel-interleaved: word[kw * panel + c]. Bits past K are 0.
//
// Each packed matrix also keeps its column sums (sum over k of w[n][k]) for
// the zero-point and sign-shift corrections, and the layout it was packed
// for: a kernel given weights packed for another one throws mixq::error.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <mixq/config.hpp>
#include <mixq/core/scheme.hpp>
#include <mixq/kernels/arch.hpp>
#include <mixq/storage/packed.hpp>

namespace mixq {

/// How a GEMM kernel wants its weights laid out.
struct weight_layout {
  int bits = 8;  ///< 8, 4, 2 (signed codes) or 1 (binary)
  int panel = 8;  ///< output channels per panel
  kernel_path path = kernel_path::scalar;
  constexpr bool operator==(const weight_layout&) const = default;
};

constexpr const char* to_string(kernel_path p) noexcept {
  switch (p) {
    case kernel_path::avx512vnni: return "avx512vnni";
    case kernel_path::avx2: return "avx2";
    case kernel_path::neon: return "neon";
    case kernel_path::scalar: return "scalar";
  }
  return "?";
}

/// Whether the GEMM kernels take weights of this many bits.
constexpr bool is_weight_bits(int bits) noexcept { return bits == 8 || bits == 4 || bits == 2 || bits == 1; }

/// The layout the kernels of `path` read `bits`-bit weights in.
constexpr weight_layout weight_layout_for(kernel_path path, int bits) noexcept {
  int panel = 8;
  switch (path) {
    case kernel_path::avx512vnni: panel = bits == 1 ? 32 : 64; break;
    case kernel_path::avx2: panel = bits == 1 ? 8 : 32; break;
    case kernel_path::neon: panel = bits == 1 ? 8 : 16; break;
    case kernel_path::scalar: panel = 8; break;
  }
  return {bits, panel, path};
}

template <class Arch>
constexpr weight_layout weight_layout_for(int bits) noexcept {
  return weight_layout_for(kernel_path_of<Arch>, bits);
}

/// Codes of K per block: 4 * (8 / bits) for 8/4/2 bits, 64 for binary.
constexpr std::size_t k_per_block(int bits) noexcept {
  return bits == 1 ? 64 : 4 * static_cast<std::size_t>(8 / bits);
}

/// Bytes of one block of one panel.
constexpr std::size_t block_bytes(const weight_layout& l) noexcept {
  return static_cast<std::size_t>(l.panel) * (l.bits == 1 ? 8 : 4);
}

/// An N x K weight matrix (N output channels, K the reduction) packed for one kernel layout.
class packed_weight_matrix {
public:
  packed_weight_matrix() = default;

  /// Zero weights of the given size.
  packed_weight_matrix(weight_layout layout, std::size_t n, std::size_t k)
      : layout_(layout), n_(n), k_(k) {
    if (!is_weight_bits(layout.bits)) {
      MIXQ_THROW(error, "mixq::packed_weight_matrix: layout.bits = {}; expected 8, 4, 2 or 1", layout.bits);
    }
    if (layout.panel <= 0) {
      MIXQ_THROW(error, "mixq::packed_weight_matrix: layout.panel = {}; expected > 0", layout.panel);
    }
    k_blocks_ = (k + k_per_block(layout.bits) - 1) / k_per_block(layout.bits);
    panels_ = (n + static_cast<std::size_t>(layout.panel) - 1) / static_cast<std::size_t>(layout.panel);
    panel_bytes_ = k_blocks_ * block_bytes(layout);
    storage_.assign(panels_ * panel_bytes_ + packed_buffer<code_format<8, true>>::tail_padding, 0);
    column_sums_.assign(panels_ * static_cast<std::size_t>(layout.panel), 0);
  }

  const weight_layout& layout() const noexcept { return layout_; }
  std::size_t n() const noexcept { return n_; }
  std::size_t k() const noexcept { return k_; }
  std::size_t panels() const noexcept { return panels_; }
  std::size_t k_blocks() const noexcept { return k_blocks_; }
  std::size_t panel_bytes() const noexcept { return panel_bytes_; }
  /// Bytes of packed weights (without the padding kernels may read past the end).
  std::size_t bytes() const noexcept { return panels_ * panel_bytes_; }

  const std::uint8_t* panel(std::size_t p) const noexcept { return storage_.data() + p * panel_bytes_; }
  std::uint8_t* panel(std::size_t p) noexcept { return storage_.data() + p * panel_bytes_; }
  const std::uint8_t* data() const noexcept { return storage_.data(); }

  /// sum_k w[n][k] for n < panels() * panel (0 past N).
  const std::int32_t* column_sums() const noexcept { return column_sums_.data(); }
  std::int32_t* column_sums() noexcept { return column_sums_.data(); }

  /// Code (n, k), read back from the packed bytes.
  std::int32_t code(std::size_t n, std::size_t k) const noexcept {
    const std::size_t panel_width = static_cast<std::size_t>(layout_.panel);
    const std::size_t p = n / panel_width, c = n % panel_width;
    const std::uint8_t* base = panel(p);
    if (layout_.bits == 1) {
      const std::size_t kw = k / 64, t = k % 64;
      std::uint64_t word = 0;
      std::memcpy(&word, base + (kw * panel_width + c) * 8, 8);
      return ((word >> t) & 1u) ? 1 : -1;
    }
    const std::size_t groups = static_cast<std::size_t>(8 / layout_.bits);
    const std::size_t group = k / 4, i = k % 4;
    const std::size_t kb = group / groups, j = group % groups;
    const std::uint32_t byte = base[(kb * panel_width + c) * 4 + i];
    const std::uint32_t mask = (1u << layout_.bits) - 1u;
    const std::uint32_t field = (byte >> (j * static_cast<std::size_t>(layout_.bits))) & mask;
    const std::uint32_t sign = 1u << (layout_.bits - 1);
    return static_cast<std::int32_t>(field ^ sign) - static_cast<std::int32_t>(sign);
  }

  /// Stores code (n, k); the caller has checked its range. Column sums are not updated.
  void set_code(std::size_t n, std::size_t k, std::int32_t code) noexcept {
    const std::size_t panel_width = static_cast<std::size_t>(layout_.panel);
    const std::size_t p = n / panel_width, c = n % panel_width;
    std::uint8_t* base = panel(p);
    if (layout_.bits == 1) {
      const std::size_t kw = k / 64, t = k % 64;
      std::uint8_t* byte = base + (kw * panel_width + c) * 8 + t / 8;
      const auto bit = static_cast<std::uint8_t>(1u << (t % 8));
      *byte = static_cast<std::uint8_t>(code > 0 ? (*byte | bit) : (*byte & ~bit));
      return;
    }
    const std::size_t groups = static_cast<std::size_t>(8 / layout_.bits);
    const std::size_t group = k / 4, i = k % 4;
    const std::size_t kb = group / groups, j = group % groups;
    std::uint8_t& byte = base[(kb * panel_width + c) * 4 + i];
    const unsigned shift = static_cast<unsigned>(j * static_cast<std::size_t>(layout_.bits));
    const std::uint32_t mask = ((1u << layout_.bits) - 1u) << shift;
    const std::uint32_t field = (static_cast<std::uint32_t>(code) << shift) & mask;
    byte = static_cast<std::uint8_t>((byte & ~mask) | field);
  }

private:
  weight_layout layout_{};
  std::size_t n_ = 0;
  std::size_t k_ = 0;
  std::size_t k_blocks_ = 0;
  std::size_t panels_ = 0;
  std::size_t panel_bytes_ = 0;
  std::vector<std::uint8_t, detail::aligned_allocator<std::uint8_t, 64>> storage_;
  std::vector<std::int32_t> column_sums_;
};

namespace detail {

inline void check_weight_code(int bits, std::int32_t code, std::size_t n, std::size_t k) {
  const code_range codes = code_range_of(bits, true);
  if (bits == 1 && code != 1 && code != -1) {
    MIXQ_THROW(error, "mixq::pack_weights: weight ({}, {}) = {} is not a binary code; expected -1 or +1", n, k, code);
  }
  if (!codes.contains(code)) {
    MIXQ_THROW(error, "mixq::pack_weights: weight ({}, {}) = {} does not fit {} bits; expected {} <= code <= {}", n, k,
               code, bits, codes.lo, codes.hi);
  }
}

}  // namespace detail

/// Packs weights given by a callable `code(n, k) -> std::int32_t` (signed
/// codes; -1/+1 for binary). Throws mixq::error for a code that does not fit
/// the layout's bits.
template <class CodeOf>
packed_weight_matrix pack_weights(weight_layout layout, std::size_t n, std::size_t k, CodeOf&& code_of) {
  packed_weight_matrix out(layout, n, k);
  std::int32_t* sums = out.column_sums();
  for (std::size_t row = 0; row < n; ++row) {
    std::int64_t sum = 0;
    for (std::size_t col = 0; col < k; ++col) {
      const std::int32_t code = static_cast<std::int32_t>(code_of(row, col));
      detail::check_weight_code(layout.bits, code, row, col);
      out.set_code(row, col, code);
      sum += code;
    }
    sums[row] = static_cast<std::int32_t>(sum);
  }
  return out;
}

/// Packs an N x K row-major matrix of int8 codes (row n at `w + n * stride`).
inline packed_weight_matrix pack_weights(weight_layout layout, const std::int8_t* w, std::size_t n, std::size_t k,
                                         std::size_t stride) {
  return pack_weights(layout, n, k, [&](std::size_t row, std::size_t col) { return w[row * stride + col]; });
}

}  // namespace mixq
