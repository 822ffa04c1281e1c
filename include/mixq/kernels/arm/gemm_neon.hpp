#pragma once
// The aarch64 NEON GEMM path. Panels are 16 channels (four q registers of
// 4 lanes, each lane one channel's 4-byte group of K).
//
// With the dot-product extension (sdot, __ARM_FEATURE_DOTPROD) a lane adds
// four signed byte products per instruction; without it, smull makes 16-bit
// products and sadalp adds their pairs into int32 lanes that hold half
// groups, summed at the end. Both multiply signed bytes, so unsigned
// activations are shifted (x ^ 0x80 = x - 128) and the tile adds
// 128 * column sum back. Sub-byte weights are expanded to bytes once per
// panel. Included by kernels/gemm.hpp.

#if MIXQ_WITH_NEON64


namespace mixq::detail {

MIXQ_INLINE int8x16_t neon_broadcast(const std::uint8_t* p, bool flip) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  if (flip) v ^= 0x80808080u;
  return vreinterpretq_s8_u32(vdupq_n_u32(v));
}

#if MIXQ_WITH_NEON_DOTPROD
inline constexpr std::size_t neon_mr = 4;

template <std::size_t Rows>
MIXQ_INLINE void neon_group(int32x4_t (&acc)[Rows][4], const std::uint8_t* a, std::size_t lda,
                            const std::uint8_t* b, bool flip) noexcept {
  int8x16_t bv[4];
  for (std::size_t q = 0; q < 4; ++q) bv[q] = vld1q_s8(reinterpret_cast<const std::int8_t*>(b + 16 * q));
  for (std::size_t r = 0; r < Rows; ++r) {
    const int8x16_t av = neon_broadcast(a + r * lda, flip);
    for (std::size_t q = 0; q < 4; ++q) acc[r][q] = vdotq_s32(acc[r][q], bv[q], av);
  }
}

template <std::size_t Rows>
void neon_tile(const tile_args& t) noexcept {
  int32x4_t acc[Rows][4];
  for (auto& row : acc)
    for (auto& v : row) v = vdupq_n_s32(0);
  const bool flip = !t.a_signed;
  const std::size_t full = t.k / 4;
  for (std::size_t g = 0; g < full; ++g) neon_group<Rows>(acc, t.a + 4 * g, t.lda, t.b + g * 64, flip);
  if (const std::size_t rest = t.k - 4 * full; rest != 0) {
    // Zero-padded bytes meet zero weights, whatever the shift makes of them.
    std::uint8_t tail[Rows][4] = {};
    for (std::size_t r = 0; r < Rows; ++r) std::memcpy(tail[r], t.a + r * t.lda + 4 * full, rest);
    neon_group<Rows>(acc, &tail[0][0], 4, t.b + full * 64, flip);
  }
  for (std::size_t q = 0; q < 4; ++q) {
    int32x4_t correction = vdupq_n_s32(0);
    if (flip) correction = vshlq_n_s32(vld1q_s32(t.column_sums + 4 * q), 7);
    for (std::size_t r = 0; r < Rows; ++r) {
      vst1q_s32(t.tile + r * 16 + 4 * q,
                vaddq_s32(acc[r][q], correction));
    }
  }
}
#else
inline constexpr std::size_t neon_mr = 2;

template <std::size_t Rows>
MIXQ_INLINE void neon_group(int32x4_t (&lo)[Rows][4], int32x4_t (&hi)[Rows][4], const std::uint8_t* a,
                            std::size_t lda, const std::uint8_t* b, bool flip) noexcept {
  int8x16_t bv[4];
  for (std::size_t q = 0; q < 4; ++q) bv[q] = vld1q_s8(reinterpret_cast<const std::int8_t*>(b + 16 * q));
  for (std::size_t r = 0; r < Rows; ++r) {
    const int8x16_t av = neon_broadcast(a + r * lda, flip);
    for (std::size_t q = 0; q < 4; ++q) {
      lo[r][q] = vpadalq_s16(lo[r][q], vmull_s8(vget_low_s8(bv[q]), vget_low_s8(av)));
      hi[r][q] = vpadalq_s16(hi[r][q], vmull_high_s8(bv[q], av));
    }
  }
}

template <std::size_t Rows>
void neon_tile(const tile_args& t) noexcept {
  int32x4_t lo[Rows][4], hi[Rows][4];
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t q = 0; q < 4; ++q) lo[r][q] = hi[r][q] = vdupq_n_s32(0);
  const bool flip = !t.a_signed;
  const std::size_t full = t.k / 4;
  for (std::size_t g = 0; g < full; ++g) neon_group<Rows>(lo, hi, t.a + 4 * g, t.lda, t.b + g * 64, flip);
  if (const std::size_t rest = t.k - 4 * full; rest != 0) {
    std::uint8_t tail[Rows][4] = {};
    for (std::size_t r = 0; r < Rows; ++r) std::memcpy(tail[r], t.a + r * t.lda + 4 * full, rest);
    neon_group<Rows>(lo, hi, &tail[0][0], 4, t.b + full * 64, flip);
  }
  for (std::size_t q = 0; q < 4; ++q) {
    int32x4_t correction = vdupq_n_s32(0);
    if (flip) correction = vshlq_n_s32(vld1q_s32(t.column_sums + 4 * q), 7);
    for (std::size_t r = 0; r < Rows; ++r) {
      // lo lanes: channel 0 (k0+k1, k2+k3), channel 1 (...); pairwise add gives 4 channels.
      const int32x4_t sum = vpaddq_s32(lo[r][q], hi[r][q]);
      vst1q_s32(t.tile + r * 16 + 4 * q, vaddq_s32(sum, correction));
    }
  }
}
#endif

template <>
struct gemm_path<kernel_path::neon> : bytewise_gemm_path<neon_mr> {
  static void tile(const tile_args& t) noexcept {
    switch (t.rows) {
      case 1: neon_tile<1>(t); break;
#if MIXQ_WITH_NEON_DOTPROD
      case 2: neon_tile<2>(t); break;
      case 3: neon_tile<3>(t); break;
      default: neon_tile<4>(t); break;
#else
      default: neon_tile<2>(t); break;
#endif
    }
  }
};

// Binary rows with cnt: a panel of 8 channels is four q registers of two
// channels' 64-bit words each. For a block of R rows, each step XORs a
// row's word (duplicated) with the four, counts bits per byte (cnt) and
// adds the byte counts pairwise into 16-bit lanes (uadalp), four lanes per
// channel. A 16-bit lane gains at most 16 a step, so the lanes are widened
// into 64-bit sums every binary_neon_flush steps (4095 * 16 < 2^16).
inline constexpr std::size_t binary_neon_flush = 4095;

template <>
struct binary_path<kernel_path::neon> {
  template <std::size_t R>
  static void block(const std::uint8_t* a, std::size_t a_stride, std::size_t k_words, const std::uint8_t* panel,
                    std::size_t width, std::size_t k, const std::int32_t* offset, std::int32_t* out,
                    std::size_t out_stride) noexcept {
    for (std::size_t c = 0; c < width; c += 8) {
      uint64x2_t total[R][4];
      for (std::size_t r = 0; r < R; ++r) {
        for (std::size_t q = 0; q < 4; ++q) total[r][q] = vdupq_n_u64(0);
      }
      for (std::size_t k0 = 0; k0 < k_words; k0 += binary_neon_flush) {
        const std::size_t k1 = std::min(k_words, k0 + binary_neon_flush);
        uint16x8_t acc[R][4];
        for (std::size_t r = 0; r < R; ++r) {
          for (std::size_t q = 0; q < 4; ++q) acc[r][q] = vdupq_n_u16(0);
        }
        for (std::size_t kw = k0; kw < k1; ++kw) {
          const std::uint8_t* w = panel + (kw * width + c) * 8;
          uint8x16_t wv[4];
          for (std::size_t q = 0; q < 4; ++q) wv[q] = vld1q_u8(w + 16 * q);
          for (std::size_t r = 0; r < R; ++r) {
            std::uint64_t word;
            std::memcpy(&word, a + r * a_stride + kw * 8, 8);
            const uint8x16_t av = vreinterpretq_u8_u64(vdupq_n_u64(word));
            for (std::size_t q = 0; q < 4; ++q) acc[r][q] = vpadalq_u8(acc[r][q], vcntq_u8(veorq_u8(av, wv[q])));
          }
        }
        for (std::size_t r = 0; r < R; ++r) {
          for (std::size_t q = 0; q < 4; ++q) total[r][q] = vpadalq_u32(total[r][q], vpaddlq_u16(acc[r][q]));
        }
      }
      // total[r][q] holds channels 2q and 2q + 1 of the panel.
      for (std::size_t r = 0; r < R; ++r) {
        for (std::size_t q = 0; q < 2; ++q) {
          const uint32x4_t ones = vcombine_u32(vmovn_u64(total[r][2 * q]), vmovn_u64(total[r][2 * q + 1]));
          const int32x4_t base = vaddq_s32(vdupq_n_s32(static_cast<std::int32_t>(k)), vld1q_s32(offset + c + 4 * q));
          vst1q_s32(out + r * out_stride + c + 4 * q, vsubq_s32(base, vreinterpretq_s32_u32(vshlq_n_u32(ones, 1))));
        }
      }
    }
  }

  static void rows(const std::uint8_t* a, std::size_t a_stride, std::size_t rows, std::size_t k_words,
                   const std::uint8_t* panel, std::size_t width, std::size_t k, const std::int32_t* offset,
                   std::int32_t* out, std::size_t out_stride) noexcept {
    // Four rows a block: 16 accumulators and 4 weight registers of the 32
    // in the loop (the 64-bit totals wait outside it).
    for (std::size_t r = 0; r < rows; r += 4) {
      const std::uint8_t* ar = a + r * a_stride;
      std::int32_t* o = out + r * out_stride;
      switch (std::min<std::size_t>(4, rows - r)) {
        case 4: block<4>(ar, a_stride, k_words, panel, width, k, offset, o, out_stride); break;
        case 3: block<3>(ar, a_stride, k_words, panel, width, k, offset, o, out_stride); break;
        case 2: block<2>(ar, a_stride, k_words, panel, width, k, offset, o, out_stride); break;
        default: block<1>(ar, a_stride, k_words, panel, width, k, offset, o, out_stride); break;
      }
    }
  }
};

}  // namespace mixq::detail

#endif  // MIXQ_WITH_NEON64
