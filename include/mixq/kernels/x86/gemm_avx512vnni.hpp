#pragma once
// The AVX-512 VNNI GEMM path: vpdpbusd multiplies unsigned bytes of A by
// signed bytes of W and adds groups of four into int32 lanes.
//
// Panels are 64 channels wide (four zmm of 16 lanes, each lane one channel's
// 4-byte group). A tile of up to 6 rows keeps 24 accumulators in registers;
// tiles of 1 to 3 rows (GEMV) alternate between several accumulator sets so
// the dot products do not wait on each other.
//
// Signed activations are shifted to unsigned (x ^ 0x80 = x + 128) and the
// tile subtracts 128 * column sum. Sub-byte weights are read in place by the
// few-row tiles: a field moved to the top of its byte (shift, mask) is the
// code times 2^(8 - bits) as a signed byte, and the sums are shifted back
// exactly at the end. Larger tiles use panels expanded to bytes once.
// Included by kernels/gemm.hpp.

#if MIXQ_WITH_AVX512VNNI


namespace mixq::detail {

// The GF(2) bit matrix (vgf2p8affineqb's layout: byte 7 - i of the qword
// selects the source bits of result bit i) that moves field j of a byte to
// its top Bits bits and clears the others.
template <int Bits>
constexpr std::uint64_t field_to_top_matrix(int j) noexcept {
  std::uint64_t m = 0;
  for (int i = 8 - Bits; i < 8; ++i) {
    const int source = j * Bits + i - (8 - Bits);
    m |= std::uint64_t{1} << source << (8 * (7 - i));
  }
  return m;
}

// Field j of each byte of v, moved to the top of the byte: the code times
// 2^(8 - Bits) as a signed byte. With GFNI one affine transform per field,
// the top one included (on Zen 5 a mask instead measured a third slower: it
// competes with vpdpbusd for its pipes); without, a shift and a mask.
template <int Bits>
MIXQ_INLINE __m512i vnni_field(__m512i v, int j) noexcept {
  if constexpr (Bits == 8) {
    (void)j;
    return v;
  } else {
#if defined(__GFNI__)
    return _mm512_gf2p8affine_epi64_epi8(v, _mm512_set1_epi64(static_cast<long long>(field_to_top_matrix<Bits>(j))), 0);
#else
    constexpr int top_mask = (0xff << (8 - Bits)) & 0xff;
    const int up = 8 - Bits - j * Bits;
    const __m512i moved = up == 0 ? v : _mm512_sll_epi16(v, _mm_cvtsi32_si128(up));
    return _mm512_and_si512(moved, _mm512_set1_epi8(static_cast<char>(top_mask)));
#endif
  }
}

// The GF(2) matrix that turns field j of a byte into the code it holds,
// sign-extended to the whole byte.
template <int Bits>
constexpr std::uint64_t field_to_code_matrix(int j) noexcept {
  std::uint64_t m = 0;
  for (int i = 0; i < 8; ++i) {
    const int source = j * Bits + (i < Bits ? i : Bits - 1);
    m |= std::uint64_t{1} << source << (8 * (7 - i));
  }
  return m;
}

// Expands one panel of sub-byte weights into bytes holding the codes (the
// 8-bit layout), once per panel for tiles of many rows: their loop then runs
// as fast as with 8-bit weights.
template <int Bits>
void vnni_expand_panel(const std::uint8_t* packed, std::size_t k_blocks, std::uint8_t* out) noexcept {
  constexpr int groups = 8 / Bits;
  for (std::size_t kb = 0; kb < k_blocks; ++kb) {
    unroll<4>([&](auto q) MIXQ_INLINE_LAMBDA {
      const __m512i v = _mm512_load_si512(packed + kb * 256 + 64 * q);
      unroll<groups>([&](auto j) MIXQ_INLINE_LAMBDA {
        std::uint8_t* o = out + (kb * groups + j) * 256 + 64 * q;
#if defined(__GFNI__)
        const __m512i code =
            _mm512_gf2p8affine_epi64_epi8(v, _mm512_set1_epi64(static_cast<long long>(field_to_code_matrix<Bits>(static_cast<int>(j)))), 0);
#else
        constexpr int mask = (1 << Bits) - 1, sign = 1 << (Bits - 1);
        const __m512i field = _mm512_and_si512(_mm512_srli_epi16(v, static_cast<unsigned>(j * Bits)), _mm512_set1_epi8(mask));
        const __m512i code = _mm512_sub_epi8(_mm512_xor_si512(field, _mm512_set1_epi8(sign)), _mm512_set1_epi8(sign));
#endif
        _mm512_store_si512(o, code);
      });
    });
  }
}

MIXQ_INLINE __m512i vnni_broadcast(const std::uint8_t* p) noexcept {
  std::int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// The partial block at the end of K: each row's rest copied into a
// zero-padded block so no byte past a row is read. Writes its (scaled) sums
// to tile, Rows x (panels * 64).
template <int Bits, std::size_t Rows, bool Signed>
void vnni_rest(const std::uint8_t* a, std::size_t lda, const std::uint8_t* b, std::size_t panel_stride,
               std::size_t panels, std::size_t block, std::size_t k, std::int32_t* tile) noexcept {
  constexpr std::size_t block_k = 4 * (8 / Bits);
  constexpr std::size_t block_b = 256;
  const __m512i flip = _mm512_set1_epi32(static_cast<std::int32_t>(0x80808080u));
  alignas(64) std::uint8_t padded[Rows * block_k] = {};
  const std::size_t count = k - block * block_k;
  for (std::size_t r = 0; r < Rows; ++r) std::memcpy(padded + r * block_k, a + r * lda + block * block_k, count);
  for (std::size_t i = 0; i < Rows * 64 * panels; i += 16) _mm512_storeu_si512(tile + i, _mm512_setzero_si512());
  for (std::size_t j = 0; j < 8 / Bits; ++j) {
    for (std::size_t r = 0; r < Rows; ++r) {
      __m512i av = vnni_broadcast(padded + r * block_k + 4 * j);
      if constexpr (Signed) av = _mm512_xor_si512(av, flip);
      for (std::size_t v = 0; v < 4 * panels; ++v) {
        const std::uint8_t* w = b + (v / 4) * panel_stride + block * block_b + 64 * (v % 4);
        const __m512i bv = vnni_field<Bits>(_mm512_load_si512(w), static_cast<int>(j));
        std::int32_t* t = tile + r * 64 * panels + 16 * v;
        _mm512_storeu_si512(t, _mm512_dpbusd_epi32(_mm512_loadu_si512(t), av, bv));
      }
    }
  }
}

// Panels a tile of `rows` rows takes at once: enough accumulators (16 to 24)
// in flight to hide the dot product's latency.
constexpr std::size_t vnni_panels_for(int, std::size_t rows) noexcept { return rows == 1 ? 4 : rows == 2 ? 2 : 1; }

// One row of sub-byte weights' sums over blocks [0, n_blocks) of 4
// consecutive panels, written raw (scaled) to sums[0, 256): the GEMV loop,
// kept apart from vnni_tile because GCC allocates registers for this shape
// well only when the accumulators are one flat array.
template <int Bits, bool Signed>
void vnni_gemv_subbyte(const std::uint8_t* a, const std::uint8_t* b, std::size_t panel_stride, std::size_t n_blocks,
                       std::int32_t* sums) noexcept {
  constexpr std::size_t block_k = 4 * (8 / Bits);
  // Each block's 16 cache lines are fetched 8 blocks (2 KB per panel)
  // ahead: with weights streaming from L3 this took the 4-bit GEMV from
  // about 1.6x to 1.74-1.92x the 8-bit one on Zen 5 (the 8-bit loop, one
  // load per dot product already, only slowed down by the extra loads).
  // The address is computed as an integer: past the end of the panels it
  // names no object, and a prefetch never faults.
  constexpr std::size_t prefetch_blocks = 8;
  __m512i acc[16];
  unroll<16>([&](auto v) MIXQ_INLINE_LAMBDA { acc[v] = _mm512_setzero_si512(); });
  const __m512i flip = _mm512_set1_epi32(static_cast<std::int32_t>(0x80808080u));
  for (std::size_t kb = 0; kb < n_blocks; ++kb) {
    unroll<16>([&](auto v) MIXQ_INLINE_LAMBDA {
      const std::uintptr_t ahead = reinterpret_cast<std::uintptr_t>(b) + (v / 4) * panel_stride +
                                   (kb + prefetch_blocks) * 256 + 64 * (v % 4);
      _mm_prefetch(reinterpret_cast<const char*>(ahead), _MM_HINT_T0);
    });
    unroll<8 / Bits>([&](auto j) MIXQ_INLINE_LAMBDA {
      __m512i av = vnni_broadcast(a + kb * block_k + 4 * j);
      if constexpr (Signed) av = _mm512_xor_si512(av, flip);
      unroll<16>([&](auto v) MIXQ_INLINE_LAMBDA {
        const __m512i w = _mm512_loadu_si512(b + (v / 4) * panel_stride + kb * 256 + 64 * (v % 4));
        acc[v] = _mm512_dpbusd_epi32(acc[v], av, vnni_field<Bits>(w, static_cast<int>(j)));
      });
    });
  }
  unroll<16>([&](auto v) MIXQ_INLINE_LAMBDA { _mm512_storeu_si512(sums + 16 * v, acc[v]); });
}

// The end of a tile: the sums leave exact (sub-byte scaling and the signed
// shift undone), either into t.tile or, with t.direct / t.direct_codes,
// straight into the output with the offsets added (as int32, or as codes
// requantized in registers). sum(r, v) gives row r's vector v.
template <int Bits, std::size_t Rows, bool Signed, std::size_t Panels, std::size_t Vectors, class Sum>
MIXQ_INLINE void vnni_finish(const tile_args& t, Sum&& sum) noexcept {
  const auto correction = [&](auto v) MIXQ_INLINE_LAMBDA {
    if constexpr (Signed) return _mm512_slli_epi32(_mm512_loadu_si512(t.column_sums + 16 * v), 7);
    return _mm512_setzero_si512();
  };
  // Row r's vector v, exact, plus `add`.
  const auto exact = [&](auto r, auto v, __m512i add) MIXQ_INLINE_LAMBDA {
    __m512i x = sum(r, v);
    if constexpr (Bits != 8) x = _mm512_srai_epi32(x, 8 - Bits);
    return _mm512_add_epi32(x, add);
  };
  if (t.direct == nullptr && t.direct_codes == nullptr) {
    unroll<Vectors>([&](auto v) MIXQ_INLINE_LAMBDA {
      const __m512i add = _mm512_sub_epi32(_mm512_setzero_si512(), correction(v));
      unroll<Rows>([&](auto r) MIXQ_INLINE_LAMBDA {
        _mm512_storeu_si512(t.tile + r * 64 * Panels + 16 * v, exact(r, v, add));
      });
    });
    return;
  }
  // write(v, first, valid, result) for each vector of real columns; result(r)
  // is row r's with its offsets.
  const auto to_output = [&](auto&& write) MIXQ_INLINE_LAMBDA {
    unroll<Vectors>([&](auto v) MIXQ_INLINE_LAMBDA {
      const std::size_t first = 16 * v;
      const std::size_t count = t.direct_width > first ? std::min<std::size_t>(16, t.direct_width - first) : 0;
      const __mmask16 valid = static_cast<__mmask16>((1u << count) - 1u);
      const __m512i add = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(valid, t.direct_offsets + first), correction(v));
      write(first, valid, [&](auto r) MIXQ_INLINE_LAMBDA { return exact(r, v, add); });
    });
  };
  const auto to_codes = [&](auto lanes) MIXQ_INLINE_LAMBDA {
    using lanes_t = typename decltype(lanes)::type;
    to_output([&](std::size_t first, __mmask16 valid, auto&& result) MIXQ_INLINE_LAMBDA {
      const lanes_t codes(*t.direct_plan, t.direct_channel + first, valid);
      unroll<Rows>([&](auto r) MIXQ_INLINE_LAMBDA {
        _mm_mask_storeu_epi8(t.direct_codes + r * t.direct_stride + first, valid, codes(result(r)));
      });
    });
  };
  if (t.direct != nullptr) {
    to_output([&](std::size_t first, __mmask16 valid, auto&& result) MIXQ_INLINE_LAMBDA {
      unroll<Rows>([&](auto r) MIXQ_INLINE_LAMBDA {
        _mm512_mask_storeu_epi32(t.direct + r * t.direct_stride + first, valid, result(r));
      });
    });
  } else if (t.direct_plan->params.rule == requantize_rule::float32) {
    to_codes(std::type_identity<fp32_lanes>{});
  } else {
    to_codes(std::type_identity<right_lanes>{});
  }
}

// A tile: Rows rows against Panels consecutive panels, over the whole of K.
// The bulk of K runs in one loop whose register arrays are indexed by
// constants only (which is what lets GCC keep them in registers), starting
// from the partial last block's sums when there is one. A single panel of
// at most 48 real channels takes only the Vectors of 16 that hold them.
template <int Bits, std::size_t Rows, bool Signed, std::size_t Panels, std::size_t Vectors = 4 * Panels>
void vnni_tile(const tile_args& t) noexcept {
  static_assert(Vectors == 4 * Panels || (Panels == 1 && Vectors < 4), "a narrow tile is one panel wide");
  constexpr std::size_t block_k = 4 * (8 / Bits);  // codes of K per block
  constexpr std::size_t block_b = 256;             // bytes of W per block
  constexpr std::size_t vectors = Vectors;         // accumulators per row
  const std::size_t full_blocks = t.k / block_k;
  const bool rest = full_blocks * block_k < t.k;
  if (rest) vnni_rest<Bits, Rows, Signed>(t.a, t.lda, t.b, t.panel_stride, Panels, full_blocks, t.k, t.tile);

  if constexpr (Rows == 1 && Bits != 8 && Panels == 4) {
    alignas(64) std::int32_t raw[256];
    vnni_gemv_subbyte<Bits, Signed>(t.a, t.b, t.panel_stride, full_blocks, raw);
    vnni_finish<Bits, Rows, Signed, Panels, Vectors>(t, [&](auto, auto v) MIXQ_INLINE_LAMBDA {
      const __m512i x = _mm512_load_si512(raw + 16 * v);
      return rest ? _mm512_add_epi32(x, _mm512_loadu_si512(t.tile + 16 * v)) : x;
    });
  } else {
    __m512i acc[Rows][vectors];
    unroll<Rows * vectors>([&](auto i) MIXQ_INLINE_LAMBDA {
      constexpr std::size_t r = i / vectors, v = i % vectors;
      acc[r][v] = rest ? _mm512_loadu_si512(t.tile + r * 64 * Panels + v * 16) : _mm512_setzero_si512();
    });
    const __m512i flip = _mm512_set1_epi32(static_cast<std::int32_t>(0x80808080u));
    const std::uint8_t* a = t.a;
    const std::uint8_t* b = t.b;
    const std::size_t lda = t.lda, panel_stride = t.panel_stride;
    // Two steps of K per trip: about 1 % fewer cycles on the many-row tiles
    // (the loop's bookkeeping overlaps the dot products better).
#pragma GCC unroll 2
    for (std::size_t kb = 0; kb < full_blocks; ++kb) {
      const std::uint8_t* ap = a + kb * block_k;
      const std::uint8_t* bp = b + kb * block_b;
      unroll<8 / Bits>([&](auto j) MIXQ_INLINE_LAMBDA {
        __m512i av[Rows];
        unroll<Rows>([&](auto r) MIXQ_INLINE_LAMBDA {
          av[r] = vnni_broadcast(ap + r * lda + 4 * j);
          if constexpr (Signed) av[r] = _mm512_xor_si512(av[r], flip);
        });
        unroll<vectors>([&](auto v) MIXQ_INLINE_LAMBDA {
          const std::uint8_t* w = bp + (v / 4) * panel_stride + 64 * (v % 4);
          const __m512i bv = vnni_field<Bits>(_mm512_load_si512(w), static_cast<int>(j));
          unroll<Rows>([&](auto r) MIXQ_INLINE_LAMBDA { acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], av[r], bv); });
        });
      });
    }
    vnni_finish<Bits, Rows, Signed, Panels, Vectors>(t, [&](auto r, auto v) MIXQ_INLINE_LAMBDA { return acc[r][v]; });
  }
}

// Rows of a tile of 8-bit panels with `columns` real channels in one panel:
// 12 x 1, 8 x 2 or 6 x 3 accumulators (6 x 4 for a whole panel).
constexpr std::size_t vnni_narrow_mr(std::size_t columns) noexcept {
  return columns <= 16 ? 12 : columns <= 32 ? 8 : 6;
}

template <bool Signed, std::size_t Vectors, std::size_t... Rows>
void vnni_narrow_tile(const tile_args& t, std::index_sequence<Rows...>) noexcept {
  MIXQ_ASSERT(t.rows >= 1 && t.rows <= sizeof...(Rows), "rows within vnni_narrow_mr");
  using tile_fn = void (*)(const tile_args&) noexcept;
  static constexpr tile_fn by_rows[] = {&vnni_tile<8, Rows + 1, Signed, 1, Vectors>...};
  by_rows[t.rows - 1](t);
}

template <int Bits, bool Signed>
void vnni_tile_rows(const tile_args& t) noexcept {
  if constexpr (Bits == 8) {
    if (t.panels == 1 && t.columns <= 48) {
      if (t.columns <= 16) return vnni_narrow_tile<Signed, 1>(t, std::make_index_sequence<vnni_narrow_mr(16)>{});
      if (t.columns <= 32) return vnni_narrow_tile<Signed, 2>(t, std::make_index_sequence<vnni_narrow_mr(32)>{});
      return vnni_narrow_tile<Signed, 3>(t, std::make_index_sequence<vnni_narrow_mr(48)>{});
    }
  }
  const bool wide = t.panels > 1;
  switch (t.rows) {
    case 1: return wide ? vnni_tile<Bits, 1, Signed, vnni_panels_for(Bits, 1)>(t) : vnni_tile<Bits, 1, Signed, 1>(t);
    case 2: return wide ? vnni_tile<Bits, 2, Signed, vnni_panels_for(Bits, 2)>(t) : vnni_tile<Bits, 2, Signed, 1>(t);
    case 3: return vnni_tile<Bits, 3, Signed, 1>(t);
    case 4: return vnni_tile<Bits, 4, Signed, 1>(t);
    case 5: return vnni_tile<Bits, 5, Signed, 1>(t);
    default:
      if constexpr (Bits == 8) {
        return vnni_tile<Bits, 6, Signed, 1>(t);
      } else {
        MIXQ_ASSERT(t.rows <= 5, "mr_for keeps sub-byte tiles at 5 rows");
        return vnni_tile<Bits, 5, Signed, 1>(t);
      }
  }
}

template <>
struct gemm_path<kernel_path::avx512vnni> {
  // Rows per tile: 6 x 4 accumulators; sub-byte weights read in place also
  // hold their field-extraction constants, and 5 rows leave room for them
  // in the 32 registers.
  static constexpr std::size_t mr_for(int bits) noexcept { return bits == 8 ? 6 : 5; }
  static constexpr std::size_t mr_for(int bits, std::size_t columns) noexcept {
    return bits == 8 ? vnni_narrow_mr(columns) : mr_for(bits);
  }
  static constexpr std::size_t max_mr = vnni_narrow_mr(1);
  // Sub-byte weights are read in place by a single tile of rows, and
  // expanded to bytes once per panel when many tiles share the panel.
  static constexpr bool reads_subbyte(std::size_t rows) noexcept { return rows <= mr_for(2); }
  static void expand(const std::uint8_t* packed, const weight_layout& l, std::size_t k_blocks,
                     std::uint8_t* out) noexcept {
    l.bits == 4 ? vnni_expand_panel<4>(packed, k_blocks, out) : vnni_expand_panel<2>(packed, k_blocks, out);
  }
  static constexpr std::size_t panels_for(int bits, std::size_t rows) noexcept { return vnni_panels_for(bits, rows); }

  static constexpr bool direct_output = true;

  static void tile(const tile_args& t) noexcept {
    const bool s = t.a_signed;
    switch (t.bits) {
      case 4: return s ? vnni_tile_rows<4, true>(t) : vnni_tile_rows<4, false>(t);
      case 2: return s ? vnni_tile_rows<2, true>(t) : vnni_tile_rows<2, false>(t);
      default: return s ? vnni_tile_rows<8, true>(t) : vnni_tile_rows<8, false>(t);
    }
  }
};

#if defined(__AVX512VPOPCNTDQ__)
// Binary rows with vpopcntq: a block of R rows x 32 channels held in 4R
// accumulators of eight 64-bit counts. Each step loads the panel's four
// vectors of one K-word once and meets them with the R rows' words, so a
// step is 4R x (xor, popcount, add) for 2048 R binary products; measured
// on Zen 5 the loop issues about three of those vector operations a cycle,
// whichever they are (vpopcntq is not the only limit).
template <>
struct binary_path<kernel_path::avx512vnni> {
  template <std::size_t R>
  static void block(const std::uint8_t* a, std::size_t a_stride, std::size_t k_words, const std::uint8_t* panel,
                    std::size_t width, std::size_t k, const std::int32_t* offset, std::int32_t* out,
                    std::size_t out_stride) noexcept {
    for (std::size_t c = 0; c < width; c += 32) {
      __m512i acc[R][4];
      for (std::size_t r = 0; r < R; ++r) {
        for (std::size_t q = 0; q < 4; ++q) acc[r][q] = _mm512_setzero_si512();
      }
      for (std::size_t kw = 0; kw < k_words; ++kw) {
        const std::uint8_t* w = panel + (kw * width + c) * 8;
        const __m512i w0 = _mm512_loadu_si512(w);
        const __m512i w1 = _mm512_loadu_si512(w + 64);
        const __m512i w2 = _mm512_loadu_si512(w + 128);
        const __m512i w3 = _mm512_loadu_si512(w + 192);
        for (std::size_t r = 0; r < R; ++r) {
          std::uint64_t word;
          std::memcpy(&word, a + r * a_stride + kw * 8, 8);
          const __m512i av = _mm512_set1_epi64(static_cast<long long>(word));
          acc[r][0] = _mm512_add_epi64(acc[r][0], _mm512_popcnt_epi64(_mm512_xor_si512(av, w0)));
          acc[r][1] = _mm512_add_epi64(acc[r][1], _mm512_popcnt_epi64(_mm512_xor_si512(av, w1)));
          acc[r][2] = _mm512_add_epi64(acc[r][2], _mm512_popcnt_epi64(_mm512_xor_si512(av, w2)));
          acc[r][3] = _mm512_add_epi64(acc[r][3], _mm512_popcnt_epi64(_mm512_xor_si512(av, w3)));
        }
      }
      // Counts to int32: the low halves of two accumulators make 16 lanes.
      const __m512i low_halves = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
      const __m512i kk = _mm512_set1_epi32(static_cast<std::int32_t>(k));
      const __m512i base0 = _mm512_add_epi32(kk, _mm512_loadu_si512(offset + c));
      const __m512i base1 = _mm512_add_epi32(kk, _mm512_loadu_si512(offset + c + 16));
      for (std::size_t r = 0; r < R; ++r) {
        const __m512i n0 = _mm512_permutex2var_epi32(acc[r][0], low_halves, acc[r][1]);
        const __m512i n1 = _mm512_permutex2var_epi32(acc[r][2], low_halves, acc[r][3]);
        _mm512_storeu_si512(out + r * out_stride + c, _mm512_sub_epi32(base0, _mm512_add_epi32(n0, n0)));
        _mm512_storeu_si512(out + r * out_stride + c + 16, _mm512_sub_epi32(base1, _mm512_add_epi32(n1, n1)));
      }
    }
  }

  static void rows(const std::uint8_t* a, std::size_t a_stride, std::size_t rows, std::size_t k_words,
                   const std::uint8_t* panel, std::size_t width, std::size_t k, const std::int32_t* offset,
                   std::int32_t* out, std::size_t out_stride) noexcept {
    static_assert(binary_block_rows == 6);
    switch (rows) {
      case 6: return block<6>(a, a_stride, k_words, panel, width, k, offset, out, out_stride);
      case 5: return block<5>(a, a_stride, k_words, panel, width, k, offset, out, out_stride);
      case 4: return block<4>(a, a_stride, k_words, panel, width, k, offset, out, out_stride);
      case 3: return block<3>(a, a_stride, k_words, panel, width, k, offset, out, out_stride);
      case 2: return block<2>(a, a_stride, k_words, panel, width, k, offset, out, out_stride);
      default: return block<1>(a, a_stride, k_words, panel, width, k, offset, out, out_stride);
    }
  }
};
#endif

}  // namespace mixq::detail

#endif  // MIXQ_WITH_AVX512VNNI
