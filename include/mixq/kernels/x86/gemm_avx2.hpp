#pragma once
// The AVX2 GEMM path (no VNNI): vpmaddubsw multiplies unsigned bytes of A by
// signed bytes of W into 16-bit pair sums, vpmaddwd adds pairs into int32.
//
// vpmaddubsw saturates when a pair sum leaves int16, which 8-bit weights can
// reach (2 * 255 * 127). For them each byte of A is split as
// a = (a & 0x7f) + 128 * (a >> 7), and both halves stay exact (2 * 127 * 128
// and 2 * 128 fit). Sub-byte weights are expanded to bytes once per panel;
// their codes are small enough (2 * 255 * 8) for a single vpmaddubsw.
// Panels are 32 channels (four ymm of 8 lanes). Included by kernels/gemm.hpp.

#if MIXQ_WITH_AVX2


namespace mixq::detail {

MIXQ_INLINE __m256i avx2_broadcast(const std::uint8_t* p) noexcept {
  std::int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

template <std::size_t Rows, bool Signed, bool SmallCodes>
MIXQ_INLINE void avx2_group(__m256i (&acc)[Rows][4], const std::uint8_t* a, std::size_t lda,
                            const std::uint8_t* b) noexcept {
  const __m256i ones16 = _mm256_set1_epi16(1);
  const __m256i flip = _mm256_set1_epi32(static_cast<std::int32_t>(0x80808080u));
#pragma GCC unroll 4
  for (std::size_t r = 0; r < Rows; ++r) {
    __m256i av = avx2_broadcast(a + r * lda);
    if constexpr (Signed) av = _mm256_xor_si256(av, flip);
    if constexpr (SmallCodes) {
#pragma GCC unroll 4
      for (std::size_t q = 0; q < 4; ++q) {
        const __m256i bv = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32 * q));
        acc[r][q] = _mm256_add_epi32(acc[r][q], _mm256_madd_epi16(_mm256_maddubs_epi16(av, bv), ones16));
      }
    } else {
      const __m256i lo = _mm256_and_si256(av, _mm256_set1_epi8(0x7f));
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(av, 7), _mm256_set1_epi8(0x01));
      const __m256i w128 = _mm256_set1_epi16(128);
#pragma GCC unroll 4
      for (std::size_t q = 0; q < 4; ++q) {
        const __m256i bv = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32 * q));
        const __m256i low = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, bv), ones16);
        const __m256i high = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, bv), w128);
        acc[r][q] = _mm256_add_epi32(acc[r][q], _mm256_add_epi32(low, high));
      }
    }
  }
}

template <std::size_t Rows, bool Signed, bool SmallCodes>
void avx2_tile(const tile_args& t) noexcept {
  __m256i acc[Rows][4];
  for (auto& row : acc)
    for (auto& v : row) v = _mm256_setzero_si256();
  const std::size_t full = t.k / 4;
  for (std::size_t g = 0; g < full; ++g) {
    avx2_group<Rows, Signed, SmallCodes>(acc, t.a + 4 * g, t.lda, t.b + g * 128);
  }
  if (const std::size_t rest = t.k - 4 * full; rest != 0) {
    alignas(32) std::uint8_t tail[Rows][4] = {};
    for (std::size_t r = 0; r < Rows; ++r) std::memcpy(tail[r], t.a + r * t.lda + 4 * full, rest);
    avx2_group<Rows, Signed, SmallCodes>(acc, &tail[0][0], 4, t.b + full * 128);
  }
  for (std::size_t q = 0; q < 4; ++q) {
    __m256i correction = _mm256_setzero_si256();
    if constexpr (Signed) {
      correction = _mm256_slli_epi32(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.column_sums + 8 * q)), 7);
    }
    for (std::size_t r = 0; r < Rows; ++r) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(t.tile + r * 32 + 8 * q),
                          _mm256_sub_epi32(acc[r][q], correction));
    }
  }
}

template <bool Signed, bool SmallCodes>
void avx2_tile_rows(const tile_args& t) noexcept {
  if (t.rows >= 2) {
    avx2_tile<2, Signed, SmallCodes>(t);
  } else {
    avx2_tile<1, Signed, SmallCodes>(t);
  }
}

template <>
struct gemm_path<kernel_path::avx2> : bytewise_gemm_path<2> {
  static void tile(const tile_args& t) noexcept {
    const bool small = t.code_bits <= 4;
    if (t.a_signed) {
      small ? avx2_tile_rows<true, true>(t) : avx2_tile_rows<true, false>(t);
    } else {
      small ? avx2_tile_rows<false, true>(t) : avx2_tile_rows<false, false>(t);
    }
  }
};

}  // namespace mixq::detail

#endif  // MIXQ_WITH_AVX2
