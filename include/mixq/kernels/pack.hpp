#pragma once
// Pack and unpack between packed rows (storage/packed.hpp: a little-endian
// bit stream per row, first code in the low bits) and one code per byte.
//
// A "lane" holds a code's bit pattern in a byte: two's complement for signed
// codes, -1 / +1 for binary. Packing keeps the low `bits` bits of each lane
// (binary and unsigned 1-bit: the bit is lane > 0), so lanes must hold codes
// of the target width; the kernels do not check each element. Unpacking
// sign-extends signed codes and maps binary bits to -1 / +1. Bits past the
// last code of a packed row are written as 0.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include <mixq/config.hpp>
#include <mixq/core/bit_width.hpp>
#include <mixq/kernels/arch.hpp>
#include <mixq/kernels/args.hpp>

namespace mixq {
namespace detail {

// Field k of a packed row of `bits`-bit codes, unsigned.
inline std::uint32_t read_field(const std::uint8_t* row, std::size_t k, int bits) noexcept {
  const std::size_t bit = k * static_cast<std::size_t>(bits);
  const std::size_t byte = bit / 8;
  const unsigned offset = static_cast<unsigned>(bit % 8);
  std::uint32_t window = row[byte];
  if (offset + static_cast<unsigned>(bits) > 8) window |= static_cast<std::uint32_t>(row[byte + 1]) << 8;
  return (window >> offset) & ((1u << bits) - 1u);
}

inline std::uint8_t lane_of_field(std::uint32_t field, int bits, bool is_signed) noexcept {
  if (bits == 1 && is_signed) return field ? std::uint8_t{1} : std::uint8_t{0xff};
  if (is_signed) {
    const std::uint32_t sign = 1u << (bits - 1);
    return static_cast<std::uint8_t>((field ^ sign) - sign);
  }
  return static_cast<std::uint8_t>(field);
}

inline std::uint32_t field_of_lane(std::uint8_t lane, int bits) noexcept {
  if (bits == 1) return static_cast<std::int8_t>(lane) > 0 ? 1u : 0u;
  return lane & ((1u << bits) - 1u);
}

// Portable packing of lanes[0, n) into a row; writes packed_row_bytes(n, bits) bytes.
inline void pack_lanes_portable(const std::uint8_t* lanes, std::size_t n, int bits, std::uint8_t* out) noexcept {
  switch (bits) {
    case 8:
      std::memcpy(out, lanes, n);
      return;
    case 4: {
      const std::size_t pairs = n / 2;
      for (std::size_t i = 0; i < pairs; ++i) {
        out[i] = static_cast<std::uint8_t>((lanes[2 * i] & 0x0fu) | ((lanes[2 * i + 1] & 0x0fu) << 4));
      }
      if (n % 2) out[pairs] = static_cast<std::uint8_t>(lanes[n - 1] & 0x0fu);
      return;
    }
    case 2: {
      const std::size_t quads = n / 4;
      for (std::size_t i = 0; i < quads; ++i) {
        const std::uint8_t* l = lanes + 4 * i;
        out[i] = static_cast<std::uint8_t>((l[0] & 3u) | ((l[1] & 3u) << 2) | ((l[2] & 3u) << 4) | ((l[3] & 3u) << 6));
      }
      if (n % 4) {
        std::uint32_t byte = 0;
        for (std::size_t j = 0; j < n % 4; ++j) byte |= (lanes[4 * quads + j] & 3u) << (2 * j);
        out[quads] = static_cast<std::uint8_t>(byte);
      }
      return;
    }
    default: {
      // Any width: accumulate the bit stream in a 64-bit window.
      std::uint64_t window = 0;
      unsigned filled = 0;
      std::size_t o = 0;
      for (std::size_t k = 0; k < n; ++k) {
        window |= std::uint64_t{field_of_lane(lanes[k], bits)} << filled;
        filled += static_cast<unsigned>(bits);
        while (filled >= 8) {
          out[o++] = static_cast<std::uint8_t>(window);
          window >>= 8;
          filled -= 8;
        }
      }
      if (filled) out[o] = static_cast<std::uint8_t>(window);
      return;
    }
  }
}

inline void unpack_lanes_portable(const std::uint8_t* row, std::size_t n, int bits, bool is_signed,
                                  std::uint8_t* lanes) noexcept {
  if (bits == 8) {
    std::memcpy(lanes, row, n);
    return;
  }
  if (bits == 4) {
    const std::uint32_t sign = is_signed ? 8u : 0u;
    for (std::size_t i = 0; i < n / 2; ++i) {
      const std::uint32_t b = row[i];
      lanes[2 * i] = static_cast<std::uint8_t>(((b & 0x0fu) ^ sign) - sign);
      lanes[2 * i + 1] = static_cast<std::uint8_t>(((b >> 4) ^ sign) - sign);
    }
    if (n % 2) lanes[n - 1] = static_cast<std::uint8_t>(((row[n / 2] & 0x0fu) ^ sign) - sign);
    return;
  }
  for (std::size_t k = 0; k < n; ++k) lanes[k] = lane_of_field(read_field(row, k, bits), bits, is_signed);
}

template <kernel_path P>
inline void pack_lanes(const std::uint8_t* lanes, std::size_t n, int bits, std::uint8_t* out) noexcept {
  pack_lanes_portable(lanes, n, bits, out);
}

template <kernel_path P>
inline void unpack_lanes(const std::uint8_t* row, std::size_t n, int bits, bool is_signed,
                         std::uint8_t* lanes) noexcept {
  unpack_lanes_portable(row, n, bits, is_signed, lanes);
}

#if MIXQ_WITH_AVX512VNNI
template <>
inline void pack_lanes<kernel_path::avx512vnni>(const std::uint8_t* lanes, std::size_t n, int bits,
                                                std::uint8_t* out) noexcept {
  std::size_t i = 0;  // lanes done; a multiple of 64, so `out` stays byte aligned
  switch (bits) {
    case 4:
      for (; i + 64 <= n; i += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(lanes + i) + 8192, _MM_HINT_T0);
        const __m512i v = _mm512_and_si512(_mm512_loadu_si512(lanes + i), _mm512_set1_epi8(0x0f));
        // Pairs of lanes l0 + 16 * l1 in 16-bit lanes, then narrowed to bytes.
        const __m512i pairs = _mm512_maddubs_epi16(v, _mm512_set1_epi16(0x1001));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i / 2), _mm512_cvtepi16_epi8(pairs));
      }
      break;
    case 2:
      for (; i + 64 <= n; i += 64) {
        const __m512i v = _mm512_and_si512(_mm512_loadu_si512(lanes + i), _mm512_set1_epi8(0x03));
        const __m512i pairs = _mm512_maddubs_epi16(v, _mm512_set1_epi16(0x0401));     // l0 + 4 l1
        const __m512i quads = _mm512_madd_epi16(pairs, _mm512_set1_epi32(0x00100001));  // + 16 (l2 + 4 l3)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i / 4), _mm512_cvtepi32_epi8(quads));
      }
      break;
    case 1:
      for (; i + 64 <= n; i += 64) {
        const __mmask64 bits64 = _mm512_cmpgt_epi8_mask(_mm512_loadu_si512(lanes + i), _mm512_setzero_si512());
        const std::uint64_t word = bits64;
        std::memcpy(out + i / 8, &word, 8);
      }
      break;
    default:
      break;
  }
  pack_lanes_portable(lanes + i, n - i, bits, out + i * static_cast<std::size_t>(bits) / 8);
}

template <>
inline void unpack_lanes<kernel_path::avx512vnni>(const std::uint8_t* row, std::size_t n, int bits, bool is_signed,
                                                  std::uint8_t* lanes) noexcept {
  std::size_t i = 0;
  switch (bits) {
    case 4: {
      const __m512i sign = _mm512_set1_epi8(is_signed ? 8 : 0);
      // Low nibble to the low byte, high nibble to the high byte of each 16-bit lane.
      auto widen = [&](__m256i bytes) {
        const __m512i w = _mm512_cvtepu8_epi16(bytes);
        const __m512i v = _mm512_or_si512(_mm512_and_si512(w, _mm512_set1_epi16(0x000f)),
                                          _mm512_slli_epi16(_mm512_and_si512(w, _mm512_set1_epi16(0x00f0)), 4));
        return _mm512_sub_epi8(_mm512_xor_si512(v, sign), sign);
      };
      for (; i + 64 <= n; i += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(row + i / 2) + 4096, _MM_HINT_T0);
        _mm512_storeu_si512(lanes + i, widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + i / 2))));
      }
      if (i < n) {  // the tail under masks: no byte past the row is read, no lane past n written
        const std::size_t rest = n - i;
        const auto in_mask = static_cast<__mmask32>((std::uint64_t{1} << ((rest + 1) / 2)) - 1u);
        const __mmask64 out_mask = (std::uint64_t{1} << rest) - 1u;
        _mm512_mask_storeu_epi8(lanes + i, out_mask, widen(_mm256_maskz_loadu_epi8(in_mask, row + i / 2)));
        i = n;
      }
      break;
    }
    case 2: {
      const __m512i sign = _mm512_set1_epi8(is_signed ? 2 : 0);
      auto widen = [&](__m128i bytes) {
        const __m512i d = _mm512_cvtepu8_epi32(bytes);
        __m512i v = _mm512_and_si512(d, _mm512_set1_epi32(0x03));
        v = _mm512_or_si512(v, _mm512_slli_epi32(_mm512_and_si512(d, _mm512_set1_epi32(0x0c)), 6));
        v = _mm512_or_si512(v, _mm512_slli_epi32(_mm512_and_si512(d, _mm512_set1_epi32(0x30)), 12));
        v = _mm512_or_si512(v, _mm512_slli_epi32(_mm512_and_si512(d, _mm512_set1_epi32(0xc0)), 18));
        return _mm512_sub_epi8(_mm512_xor_si512(v, sign), sign);
      };
      for (; i + 64 <= n; i += 64) {
        _mm512_storeu_si512(lanes + i, widen(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + i / 4))));
      }
      if (i < n) {  // the tail under masks, as for 4 bits
        const std::size_t rest = n - i;
        const auto in_mask = static_cast<__mmask16>((1u << ((rest + 3) / 4)) - 1u);
        const __mmask64 out_mask = (std::uint64_t{1} << rest) - 1u;
        _mm512_mask_storeu_epi8(lanes + i, out_mask, widen(_mm_maskz_loadu_epi8(in_mask, row + i / 4)));
        i = n;
      }
      break;
    }
    case 1: {
      const __m512i one = _mm512_set1_epi8(1);
      const __m512i off = is_signed ? _mm512_set1_epi8(-1) : _mm512_setzero_si512();
      for (; i + 64 <= n; i += 64) {
        std::uint64_t word;
        std::memcpy(&word, row + i / 8, 8);
        _mm512_storeu_si512(lanes + i, _mm512_mask_blend_epi8(static_cast<__mmask64>(word), off, one));
      }
      break;
    }
    default:
      break;
  }
  unpack_lanes_portable(row + i * static_cast<std::size_t>(bits) / 8, n - i, bits, is_signed, lanes + i);
}
#endif

inline void check_pack_args(std::string_view where, int bits, std::size_t cols, std::size_t lane_stride,
                            std::size_t packed_stride, const void* a, const void* b) {
  if (bits < 1 || bits > 8) MIXQ_THROW(error, "{}: bits = {}; expected 1 <= bits <= 8", where, bits);
  if (a == nullptr || b == nullptr) MIXQ_THROW(error, "{}: null input or output", where);
  const std::size_t row_bytes = packed_row_bytes(cols, bits);
  if (lane_stride < cols || packed_stride < row_bytes) {
    MIXQ_THROW(error, "{}: strides (lanes {}, packed {}) are too small; expected >= {} and >= {}", where, lane_stride,
               packed_stride, cols, row_bytes);
  }
}

}  // namespace detail

/// Packs rows of one-byte lanes into packed rows of `bits`-bit codes (pack_args).
struct pack_fn : detail::kernel_functor<const pack_args&> {
  using detail::kernel_functor<const pack_args&>::operator();

  template <KernelArch Arch>
  void operator()(Arch, const pack_args& a) const {
    if (a.rows == 0 || a.cols == 0) return;
    detail::check_pack_args("mixq::pack_kernel", a.bits, a.cols, a.lane_stride, a.out_stride, a.lanes, a.out);
    for (std::size_t r = 0; r < a.rows; ++r) {
      detail::pack_lanes<kernel_path_of<Arch>>(a.lanes + r * a.lane_stride, a.cols, a.bits, a.out + r * a.out_stride);
    }
  }
};

/// Unpacks packed rows of `bits`-bit codes into one-byte lanes (unpack_args).
struct unpack_fn : detail::kernel_functor<const unpack_args&> {
  using detail::kernel_functor<const unpack_args&>::operator();

  template <KernelArch Arch>
  void operator()(Arch, const unpack_args& a) const {
    if (a.rows == 0 || a.cols == 0) return;
    detail::check_pack_args("mixq::unpack_kernel", a.bits, a.cols, a.lane_stride, a.packed_stride, a.lanes, a.packed);
    for (std::size_t r = 0; r < a.rows; ++r) {
      detail::unpack_lanes<kernel_path_of<Arch>>(a.packed + r * a.packed_stride, a.cols, a.bits, a.is_signed,
                                                 a.lanes + r * a.lane_stride);
    }
  }
};

inline constexpr pack_fn pack_kernel{};
inline constexpr unpack_fn unpack_kernel{};

}  // namespace mixq
