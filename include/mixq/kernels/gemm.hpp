#pragma once
// Integer GEMM with int32 accumulation:
//
//   r[m][n] = sum_k (a[m][k] - a_zero_point) * w[n][k] + bias[n]
//
// A (M x K activations) holds 8-bit codes, packed 4/2-bit codes, or binary
// codes; W (N x K weights) is packed once by pack_weights() for the kernel
// path that runs (kernels/weights.hpp). The result is written as int32, or
// requantized (kernels/requantize.hpp) to 8/4/2-bit codes in the same pass.
//
// Combinations: weights of 8, 4 or 2 bits with activations of 8, 4 or 2 bits
// (signed or unsigned, any zero point); binary weights with binary
// activations (XNOR-popcount). K is at most gemm_max_k for the former.
//
// `rows` selects a range of A's rows, so an engine can split M over its own
// threads: every call is single-threaded and writes only its rows.

#include <algorithm>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <mixq/config.hpp>
#include <mixq/core/bit_width.hpp>
#include <mixq/core/scheme.hpp>
#include <mixq/kernels/arch.hpp>
#include <mixq/kernels/args.hpp>
#include <mixq/kernels/pack.hpp>
#include <mixq/kernels/requantize.hpp>
#include <mixq/kernels/scratch.hpp>
#include <mixq/kernels/weights.hpp>

namespace mixq {

/// Largest K for which no kernel's int32 accumulator can overflow: every
/// path accumulates products of an unsigned 8-bit lane (at most 255) and a
/// signed lane of magnitude at most 128, so K * 255 * 128 < 2^31.
inline constexpr std::size_t gemm_max_k = (std::size_t{1} << 31) / (255 * 128);

/// Largest K of the binary kernels: |r| <= K.
inline constexpr std::size_t gemm_max_k_binary = std::numeric_limits<std::int32_t>::max();

namespace detail {

inline std::int32_t wrap_add(std::int32_t a, std::int32_t b) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) + static_cast<std::uint32_t>(b));
}
inline std::int32_t wrap_mul(std::int32_t a, std::int32_t b) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) * static_cast<std::uint32_t>(b));
}

// Expands one panel of sub-byte weights into the 8-bit layout (blocks of
// panel*4 bytes per group of 4 k), for the paths that do not read sub-byte
// fields in place.
inline void expand_panel(const std::uint8_t* packed, const weight_layout& l, std::size_t k_blocks,
                         std::uint8_t* out) noexcept {
  const std::size_t groups = static_cast<std::size_t>(8 / l.bits);
  const std::size_t block = static_cast<std::size_t>(l.panel) * 4;
  const unsigned bits = static_cast<unsigned>(l.bits);
  const unsigned top_mask = (0xffu << (8u - bits)) & 0xffu;
  for (std::size_t kb = 0; kb < k_blocks; ++kb) {
    const std::uint8_t* src = packed + kb * block;
    for (std::size_t j = 0; j < groups; ++j) {
      std::uint8_t* dst = out + (kb * groups + j) * block;
      const unsigned up = 8u - bits - static_cast<unsigned>(j) * bits;  // field j to the top of the byte
      for (std::size_t b = 0; b < block; ++b) {
        // The field at the top of the byte is the code times 2^(8 - bits) as int8.
        const auto top = static_cast<std::int8_t>(static_cast<std::uint8_t>((static_cast<unsigned>(src[b]) << up) & top_mask));
        dst[b] = static_cast<std::uint8_t>(static_cast<std::int8_t>(top >> (8u - bits)));
      }
    }
  }
}

// The arguments every path's tile function receives.
struct tile_args {
  const std::uint8_t* a = nullptr;  // first row of the block: 8-bit lanes
  std::size_t lda = 0;
  std::size_t rows = 0;  // <= the path's mr
  bool a_signed = false;
  const std::uint8_t* b = nullptr;  // the panel in the path's layout (8-bit unless bits says otherwise)
  int bits = 8;                     // bits of the panel data at b: 8 (true codes), or 4/2 read in place
  int code_bits = 8;                // bits of the weight codes (before any expansion)
  int panel = 0;
  std::size_t panels = 1;        // consecutive panels to compute (direct reads only)
  std::size_t columns = 0;       // real columns in them (the last panel may be partly padding)
  std::size_t panel_stride = 0;  // bytes from one panel to the next at b
  std::size_t k = 0;
  const std::int32_t* column_sums = nullptr;  // of the first panel
  std::int32_t* tile = nullptr;               // rows x (panels * panel), exact sum_k a * w
  // When set, paths with direct_output write r + direct_offsets[n] straight
  // into the output (columns [0, direct_width), rows direct_stride elements
  // apart) instead of the tile: int32 values at `direct`, or at
  // `direct_codes` their 8-bit codes under `direct_plan` (one that
  // requantizes_by_lanes accepts; its channels from direct_channel on).
  std::int32_t* direct = nullptr;
  std::uint8_t* direct_codes = nullptr;
  const requantize_plan* direct_plan = nullptr;
  std::size_t direct_channel = 0;
  std::size_t direct_stride = 0;
  const std::int32_t* direct_offsets = nullptr;
  std::size_t direct_width = 0;
};

// What the GEMM driver asks of a path (gemm_path<P>, one per kernel_path):
//   mr_for(bits)          rows per tile for panels of `bits`-bit data
//   mr_for(bits, columns) rows per tile when only `columns` of a panel are real
//   max_mr                the most rows any tile takes
//   reads_subbyte(rows)   whether tiles of `rows` rows read 4/2-bit panels in place
//   expand(w, l, kb, out) a sub-byte panel expanded to the 8-bit layout
//   panels_for(bits, m)   consecutive panels a single block of m rows takes at once
//   direct_output         whether tile() can write results itself (tile_args::direct, direct_codes)
//   tile(t)               the sums of one tile, exact, into t.tile (or the output through t.direct*)
template <class Path>
concept GemmPath = requires(int bits, std::size_t rows, const std::uint8_t* packed, const weight_layout& layout,
                            std::uint8_t* out, const tile_args& t) {
  { Path::mr_for(bits) } -> std::same_as<std::size_t>;
  { Path::mr_for(bits, rows) } -> std::same_as<std::size_t>;
  { Path::max_mr } -> std::convertible_to<std::size_t>;
  { Path::reads_subbyte(rows) } -> std::same_as<bool>;
  { Path::expand(packed, layout, rows, out) } -> std::same_as<void>;
  { Path::panels_for(bits, rows) } -> std::same_as<std::size_t>;
  { Path::direct_output } -> std::convertible_to<bool>;
  { Path::tile(t) } -> std::same_as<void>;
};

template <kernel_path P>
struct gemm_path;

// What the paths whose tiles read only 8-bit panels share: sub-byte panels
// are expanded to bytes first, a tile takes one panel of Mr rows and leaves
// its sums in t.tile.
template <std::size_t Mr>
struct bytewise_gemm_path {
  static constexpr std::size_t mr_for(int) noexcept { return Mr; }
  static constexpr std::size_t mr_for(int, std::size_t) noexcept { return Mr; }
  static constexpr std::size_t max_mr = Mr;
  static constexpr bool reads_subbyte(std::size_t) noexcept { return false; }
  static void expand(const std::uint8_t* packed, const weight_layout& l, std::size_t k_blocks,
                     std::uint8_t* out) noexcept {
    expand_panel(packed, l, k_blocks, out);
  }
  static constexpr std::size_t panels_for(int, std::size_t) noexcept { return 1; }
  static constexpr bool direct_output = false;
};

// Portable path: plain loops over the 8-bit layout.
template <>
struct gemm_path<kernel_path::scalar> : bytewise_gemm_path<4> {
  static void tile(const tile_args& t) noexcept {
    const std::size_t panel = static_cast<std::size_t>(t.panel);
    const std::size_t groups = (t.k + 3) / 4;
    for (std::size_t r = 0; r < t.rows; ++r) {
      const std::uint8_t* a = t.a + r * t.lda;
      std::int32_t* out = t.tile + r * panel;
      for (std::size_t c = 0; c < panel; ++c) out[c] = 0;
      for (std::size_t g = 0; g < groups; ++g) {
        const std::size_t kk = std::min<std::size_t>(4, t.k - 4 * g);
        std::int32_t av[4] = {0, 0, 0, 0};
        for (std::size_t i = 0; i < kk; ++i) {
          av[i] = t.a_signed ? static_cast<std::int8_t>(a[4 * g + i]) : static_cast<std::int32_t>(a[4 * g + i]);
        }
        const auto* b = reinterpret_cast<const std::int8_t*>(t.b + g * panel * 4);
        for (std::size_t c = 0; c < panel; ++c) {
          out[c] += av[0] * b[4 * c] + av[1] * b[4 * c + 1] + av[2] * b[4 * c + 2] + av[3] * b[4 * c + 3];
        }
      }
    }
  }
};

// Binary weights and activations: r = K - 2 * popcount(a xor w). Counts
// are at most K <= gemm_max_k_binary, so neither they nor r overflow.
template <kernel_path P>
struct binary_path {
  // `rows` (<= binary_block_rows) rows of k_words 64-bit words each,
  // a_stride bytes apart (bits past K zero), against one panel of `width`
  // channels: out[r * out_stride + c] = offset[c] + K - 2 * popcount, for
  // every c < width (the panel's padding channels included).
  static void rows(const std::uint8_t* a, std::size_t a_stride, std::size_t rows, std::size_t k_words,
                   const std::uint8_t* panel, std::size_t width, std::size_t k, const std::int32_t* offset,
                   std::int32_t* out, std::size_t out_stride) noexcept {
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c < width; ++c) {
        std::uint64_t ones = 0;
        for (std::size_t kw = 0; kw < k_words; ++kw) {
          std::uint64_t x, w;
          std::memcpy(&x, a + r * a_stride + kw * 8, 8);
          std::memcpy(&w, panel + (kw * width + c) * 8, 8);
          ones += static_cast<std::uint64_t>(std::popcount(x ^ w));
        }
        const auto sum = static_cast<std::int32_t>(static_cast<std::int64_t>(k) - 2 * static_cast<std::int64_t>(ones));
        out[r * out_stride + c] = wrap_add(sum, offset[c]);
      }
    }
  }
};

/// Rows of A the binary kernels take per call of binary_path::rows.
inline constexpr std::size_t binary_block_rows = 6;
/// Bytes of unpacked sub-byte activation rows the GEMM makes at a time.
inline constexpr std::size_t gemm_unpack_chunk_bytes = 256 * 1024;
/// Bytes of weight panels the binary GEMM keeps in L1 at once.
inline constexpr std::size_t binary_group_bytes = 24 * 1024;

}  // namespace detail
}  // namespace mixq

#include <mixq/kernels/x86/gemm_avx2.hpp>
#include <mixq/kernels/x86/gemm_avx512vnni.hpp>
#include <mixq/kernels/arm/gemm_neon.hpp>

namespace mixq {
namespace detail {

// Throws unless an operand's codes are 8, 4 or 2 bits wide and its zero
// point is one of them; `operand` names it in the message.
inline void check_operand_codes(std::string_view where, std::string_view operand, int bits, bool is_signed,
                                std::int32_t zero_point, std::string_view other_bits = "") {
  if (bits != 8 && bits != 4 && bits != 2) {
    MIXQ_THROW(error, "{}: {} bits = {}; expected 8, 4 or 2{}", where, operand, bits, other_bits);
  }
  const code_range codes = code_range_of(bits, is_signed);
  if (!codes.contains(zero_point)) {
    MIXQ_THROW(error, "{}: {} zero_point = {} is out of range; expected {} <= zero_point <= {}", where, operand,
               zero_point, codes.lo, codes.hi);
  }
}

inline std::size_t check_gemm_args(std::string_view where, const weight_layout& expected, const activation_matrix& a,
                                   const packed_weight_matrix& w, row_range& rows) {
  const weight_layout& l = w.layout();
  if (!(l == expected)) {
    MIXQ_THROW(error,
               "{}: the weights were packed for the '{}' kernel ({}-bit, panel {}) but this call runs the '{}' kernel "
               "(panel {}); pack them with weight_layout_for<Arch>({}) for the Arch you call with",
               where, to_string(l.path), l.bits, l.panel, to_string(expected.path), expected.panel, l.bits);
  }
  if (a.cols != w.k()) {
    MIXQ_THROW(error, "{}: activations have K = {} columns but the weights have K = {}; expected equal", where, a.cols,
               w.k());
  }
  const bool binary = l.bits == 1;
  if (binary != (a.bits == 1)) {
    MIXQ_THROW(error, "{}: {}-bit activations with {}-bit weights; binary (1-bit) weights need binary activations "
                      "and the other way round",
               where, a.bits, l.bits);
  }
  if (binary) {
    if (!a.is_signed || a.zero_point != 0) {
      MIXQ_THROW(error, "{}: 1-bit activations must be binary codes (-1/+1: is_signed = true, zero_point = 0); got "
                        "is_signed = {}, zero_point = {}",
                 where, a.is_signed, a.zero_point);
    }
  } else {
    check_operand_codes(where, "activation", a.bits, a.is_signed, a.zero_point, " (or 1 with binary weights)");
  }
  const std::size_t max_k = binary ? gemm_max_k_binary : gemm_max_k;
  if (a.cols > max_k) {
    MIXQ_THROW(error, "{}: K = {} is beyond the kernel's overflow bound; expected K <= {}", where, a.cols, max_k);
  }
  if (rows.end == std::numeric_limits<std::size_t>::max()) rows.end = a.rows;
  if (rows.begin > rows.end || rows.end > a.rows) {
    MIXQ_THROW(error, "{}: row range [{}, {}) is invalid; expected 0 <= begin <= end <= {} (rows of A)", where,
               rows.begin, rows.end, a.rows);
  }
  if (rows.begin < rows.end && a.cols > 0) {
    if (a.data == nullptr) MIXQ_THROW(error, "{}: activation data is null", where);
    if (a.stride < packed_row_bytes(a.cols, a.bits)) {
      MIXQ_THROW(error, "{}: activation stride = {} bytes is smaller than a row ({} bytes)", where, a.stride,
                 packed_row_bytes(a.cols, a.bits));
    }
  }
  return rows.end - rows.begin;
}

inline void check_output(std::string_view where, const int32_output& out, std::size_t n) {
  if (out.data == nullptr) MIXQ_THROW(error, "{}: output data is null", where);
  if (out.stride < n) {
    MIXQ_THROW(error, "{}: output stride = {} elements is smaller than N = {}; the output buffer is too small", where,
               out.stride, n);
  }
}

inline void check_output(std::string_view where, const requantized_output& out, std::size_t n) {
  check_requantize_params(out.params, where);
  if (out.params.offset != nullptr) {
    MIXQ_THROW(error, "{}: requantize_params.offset must be null in a GEMM; pass the bias argument instead", where);
  }
  if (out.data == nullptr) MIXQ_THROW(error, "{}: output data is null", where);
  if (out.stride < packed_row_bytes(n, out.params.bits)) {
    MIXQ_THROW(error, "{}: output stride = {} bytes is smaller than a row of {} {}-bit codes ({} bytes)", where,
               out.stride, n, out.params.bits, packed_row_bytes(n, out.params.bits));
  }
}

// Writes rows x width results of a tile (offsets already applied) for columns [n0, n0 + width).
template <kernel_path P>
void store_tile(const std::int32_t* tile, std::size_t panel, std::size_t rows, std::size_t n0, std::size_t width,
                const std::int32_t* offset, std::size_t m0, const int32_output& out) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    const std::int32_t* t = tile + r * panel;
    std::int32_t* o = out.data + (m0 + r) * out.stride + n0;
    for (std::size_t c = 0; c < width; ++c) o[c] = wrap_add(t[c], offset[c]);
  }
}

// A requantized output with its plan, made once per call.
struct planned_output {
  const requantized_output& out;
  requantize_plan plan;
};

inline int32_output plan_output(const int32_output& out, std::size_t) { return out; }
inline planned_output plan_output(const requantized_output& out, std::size_t channels) {
  return {out, plan_requantize(out.params, channels)};
}

template <kernel_path P>
void store_tile(const std::int32_t* tile, std::size_t panel, std::size_t rows, std::size_t n0, std::size_t width,
                const std::int32_t* offset, std::size_t m0, const planned_output& planned) noexcept {
  const requantized_output& out = planned.out;
  requantize_plan plan = planned.plan;
  plan.params.offset = offset - n0;  // requantize_lanes indexes channels from n0
  const int bits = plan.params.bits;
  alignas(64) std::uint8_t lanes[512];
  if (bits == 8) {
    requantize_rows<P>(tile, panel, rows, width, n0, plan, out.data + m0 * out.stride + n0, out.stride);
    return;
  }
  // Through `lanes` in runs of 512 (a depthwise row has all C channels);
  // a run of 512 codes fills whole bytes at any width.
  for (std::size_t r = 0; r < rows; ++r) {
    std::uint8_t* o = out.data + (m0 + r) * out.stride;
    for (std::size_t j = 0; j < width; j += sizeof lanes) {
      const std::size_t run = std::min(width - j, sizeof lanes);
      requantize_lanes<P>(tile + r * panel + j, run, n0 + j, plan, lanes);
      pack_lanes<P>(lanes, run, bits, o + (n0 + j) * static_cast<std::size_t>(bits) / 8);
    }
  }
}

template <kernel_path P, class Output>
void gemm_binary(const activation_matrix& a, const packed_weight_matrix& w, const std::int32_t* offsets,
                 const Output& out, row_range rows) {
  const std::size_t k = w.k();
  const std::size_t k_words = w.k_blocks();
  const std::size_t panel = static_cast<std::size_t>(w.layout().panel);
  const std::size_t m_count = rows.end - rows.begin;
  // Rows of whole words are read in place; otherwise a copy of the rows
  // with the bits past K cleared (as large as the operand, made once).
  const std::uint8_t* words = a.data + rows.begin * a.stride;
  std::size_t words_stride = a.stride;
  if (k % 64 != 0) {
    auto* copy = scratch<std::uint64_t, 0>(m_count * k_words);
    const std::size_t row_bytes = packed_row_bytes(k, 1);
    for (std::size_t r = 0; r < m_count; ++r) {
      std::uint64_t* row = copy + r * k_words;
      std::memset(row, 0, k_words * 8);
      std::memcpy(row, a.data + (rows.begin + r) * a.stride, row_bytes);
      row[k_words - 1] &= (std::uint64_t{1} << (k % 64)) - 1u;
    }
    words = reinterpret_cast<const std::uint8_t*>(copy);
    words_stride = k_words * 8;
  }
  // int32 results of whole panels go straight to the output with their
  // offsets; the rest through a tile and store_tile.
  auto* tile = scratch<std::int32_t, 1>(binary_block_rows * panel);
  auto* zeros = scratch<std::int32_t, 3>(panel);
  std::fill(zeros, zeros + panel, 0);
  // Groups of panels whose words fit in L1 together; within a group, each
  // block of rows meets every panel while it is in L1 too.
  const std::size_t panel_bytes = k_words * panel * 8;
  const std::size_t group = std::max<std::size_t>(1, binary_group_bytes / panel_bytes);
  for (std::size_t p0 = 0; p0 < w.panels(); p0 += group) {
    const std::size_t p_end = std::min(w.panels(), p0 + group);
    for (std::size_t m0 = 0; m0 < m_count; m0 += binary_block_rows) {
      const std::size_t count = std::min(binary_block_rows, m_count - m0);
      const std::uint8_t* block = words + m0 * words_stride;
      for (std::size_t p = p0; p < p_end; ++p) {
        const std::size_t n0 = p * panel;
        const std::size_t width = std::min(panel, w.n() - n0);
        if constexpr (std::is_same_v<Output, int32_output>) {
          if (width == panel) {
            binary_path<P>::rows(block, words_stride, count, k_words, w.panel(p), panel, k, offsets + n0,
                                 out.data + (rows.begin + m0) * out.stride + n0, out.stride);
            continue;
          }
        }
        binary_path<P>::rows(block, words_stride, count, k_words, w.panel(p), panel, k, zeros, tile, panel);
        store_tile<P>(tile, panel, count, n0, width, offsets + n0, rows.begin + m0, out);
      }
    }
  }
}

template <kernel_path P, class Output>
  requires GemmPath<gemm_path<P>>
void gemm_driver(const activation_matrix& a_in, const packed_weight_matrix& w, const std::int32_t* bias,
                 const Output& raw_out, row_range rows) {
  const auto out = plan_output(raw_out, w.n());
  using path = gemm_path<P>;
  const std::size_t n = w.n();
  const std::size_t k = w.k();
  const weight_layout& layout = w.layout();
  const std::size_t panel = static_cast<std::size_t>(layout.panel);
  const std::size_t padded_n = w.panels() * panel;
  if (rows.begin == rows.end || n == 0) return;

  // Per-column offsets: bias - zero_point * column sum (mod 2^32, like the
  // lanes). The bias test stays out of the loop: vectorized with it, a
  // masked load from a null bias costs a microcode assist per vector.
  auto* offsets = scratch<std::int32_t, 2>(padded_n);
  const std::int32_t* sums = w.column_sums();
  const std::int32_t zero_point = a_in.zero_point;
  for (std::size_t c = 0; c < padded_n; ++c) offsets[c] = -wrap_mul(zero_point, sums[c]);
  if (bias != nullptr) {
    for (std::size_t c = 0; c < n; ++c) offsets[c] = wrap_add(offsets[c], bias[c]);
  }
  if (layout.bits == 1) {
    gemm_binary<P>(a_in, w, offsets, out, rows);
    return;
  }
  if (k == 0) {
    // Empty sums: every result is the offset.
    auto* zeros = scratch<std::int32_t, 1>(panel);
    std::fill(zeros, zeros + panel, 0);
    for (std::size_t m = rows.begin; m < rows.end; ++m) {
      for (std::size_t p = 0; p < w.panels(); ++p) {
        store_tile<P>(zeros, panel, 1, p * panel, std::min(panel, n - p * panel), offsets + p * panel, m, out);
      }
    }
    return;
  }

  // Activations as 8-bit lanes: sub-byte rows are unpacked a chunk of rows
  // at a time (each chunk's lanes stay in L2 while every panel meets them).
  const std::size_t m_count = rows.end - rows.begin;
  const std::uint8_t* a_rows = a_in.data + rows.begin * a_in.stride;
  const bool unpack = a_in.bits != 8;
  const std::size_t lda = unpack ? (k + 63) / 64 * 64 : a_in.stride;
  const std::size_t groups = (k + 3) / 4;
  const bool expand = layout.bits != 8 && !path::reads_subbyte(m_count);
  const std::size_t mr = path::mr_for(expand ? 8 : layout.bits);  // rows per tile
  const bool few_rows = m_count <= mr;
  std::uint8_t* expanded = expand ? scratch<std::uint8_t, 4>(groups * 4 * panel + 4 * panel * 8) : nullptr;
  // A single block of rows may take several panels at once (more independent sums in flight).
  const std::size_t group = expand || !few_rows ? 1 : path::panels_for(layout.bits, m_count);
  auto* tile = scratch<std::int32_t, 5>(std::max(mr, path::max_mr) * panel * group);
  tile_args t;
  t.lda = lda;
  t.a_signed = a_in.is_signed;
  t.panel = layout.panel;
  t.panel_stride = w.panel_bytes();
  t.k = k;
  t.code_bits = layout.bits;
  // Tiles that can write the output themselves do: int32 results, or 8-bit
  // codes under a rule they run on their own sums.
  bool direct = false;
  if constexpr (path::direct_output) {
    if constexpr (std::is_same_v<Output, int32_output>) {
      direct = true;
      t.direct_stride = out.stride;
    } else {
      direct = requantizes_by_lanes(out.plan);
      t.direct_plan = &out.plan;
      t.direct_stride = out.out.stride;
    }
  }
  const std::size_t chunk =
      unpack ? std::max<std::size_t>(mr, gemm_unpack_chunk_bytes / lda / mr * mr) : std::max<std::size_t>(m_count, 1);
  auto* lanes = unpack ? scratch<std::uint8_t, 3>(std::min(chunk, m_count) * lda) : nullptr;
  for (std::size_t c0 = 0; c0 < m_count; c0 += chunk) {
    const std::size_t c_end = std::min(m_count, c0 + chunk);
    const std::uint8_t* a = a_rows + c0 * a_in.stride;
    if (unpack) {
      for (std::size_t m = c0; m < c_end; ++m) {
        unpack_lanes<P>(a_rows + m * a_in.stride, k, a_in.bits, a_in.is_signed, lanes + (m - c0) * lda);
      }
      a = lanes;
    }
    for (std::size_t p = 0; p < w.panels();) {
      const std::size_t count = w.panels() - p >= group ? group : 1;
      const std::size_t n0 = p * panel;
      const std::size_t width = std::min(panel * count, n - n0);
      t.column_sums = sums + n0;
      t.panels = count;
      t.columns = width;
      if (expand) {
        path::expand(w.panel(p), layout, w.k_blocks(), expanded);
        t.b = expanded;
        t.bits = 8;
      } else {
        t.b = w.panel(p);
        t.bits = layout.bits;
      }
      // A panel with few real columns needs fewer accumulators per row, and
      // takes more rows at once.
      const std::size_t tile_mr = path::mr_for(t.bits, width);
      for (std::size_t m = c0; m < c_end; m += tile_mr) {
        t.a = a + (m - c0) * lda;
        t.rows = std::min(tile_mr, c_end - m);
        t.tile = tile;
        if (direct) {
          if constexpr (std::is_same_v<Output, int32_output>) {
            t.direct = out.data + (rows.begin + m) * out.stride + n0;
          } else {
            t.direct_codes = out.out.data + (rows.begin + m) * out.out.stride + n0;
          }
          t.direct_channel = n0;
          t.direct_offsets = offsets + n0;
          t.direct_width = width;
          path::tile(t);
        } else {
          path::tile(t);
          store_tile<P>(tile, panel * count, t.rows, n0, width, offsets + n0, rows.begin + m, out);
        }
      }
      p += count;
    }
  }
}

}  // namespace detail

/// The GEMM kernel functor: gemm_kernel(arch, a, w, bias, out[, rows]).
/// `bias` may be null. Throws mixq::error (once per call, before any work)
/// for a shape mismatch, K beyond the overflow bound, a too-small output,
/// or weights packed for another kernel.
struct gemm_fn : detail::kernel_functor<> {
  using detail::kernel_functor<>::operator();

  template <KernelArch Arch, class Output>
  void operator()(Arch, const activation_matrix& a, const packed_weight_matrix& w, const std::int32_t* bias,
                  const Output& out, row_range rows = {}) const {
    constexpr kernel_path P = kernel_path_of<Arch>;
    const std::size_t m = detail::check_gemm_args("mixq::gemm_kernel", weight_layout_for(P, w.layout().bits), a, w, rows);
    if (m == 0 || w.n() == 0) return;
    detail::check_output("mixq::gemm_kernel", out, w.n());
    detail::gemm_driver<P>(a, w, bias, out, rows);
  }
};

inline constexpr gemm_fn gemm_kernel{};

}  // namespace mixq
