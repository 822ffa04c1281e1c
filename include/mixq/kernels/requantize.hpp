#pragma once
// Requantize int32 accumulators to b-bit codes:
//
//   q = clamp(zero_point + multiply_by_quantized_multiplier(x + offset[n], multiplier[n]), min, max)
//
// with TFLite's double rounding (or, as an explicit option, the float32 rule of
// requantize_rule::float32), one multiplier per channel (the position n along a
// row) or one for the whole tensor, an optional per-channel int32
// offset (bias, zero-point corrections), and the activation (ReLU, ReLU6)
// folded into [min, max]. Codes are written as 8-bit lanes or packed 4/2-bit
// rows (storage/packed.hpp layout).
//
// Precondition of the rule (as in TFLite): for multipliers with shift > 0,
// (x + offset) * 2^shift fits in int32; shift <= 30.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>
#include <type_traits>

#include <mixq/config.hpp>
#include <mixq/core/fixed_point.hpp>
#include <mixq/core/scheme.hpp>
#include <mixq/kernels/arch.hpp>
#include <mixq/kernels/args.hpp>
#include <mixq/kernels/pack.hpp>
#include <mixq/kernels/scratch.hpp>


namespace mixq {

namespace detail {

inline void check_requantize_params(const requantize_params& p, std::string_view where) {
  if (p.bits != 8 && p.bits != 4 && p.bits != 2) {
    MIXQ_THROW(error, "{}: output bits = {}; expected 8, 4 or 2", where, p.bits);
  }
  if (p.rule == requantize_rule::tflite && p.multiplier == nullptr) {
    MIXQ_THROW(error, "{}: multiplier is null; expected one per channel or one (requantize_rule::tflite)", where);
  }
  if (p.rule == requantize_rule::float32 && p.scale == nullptr) {
    MIXQ_THROW(error, "{}: scale is null; expected one per channel or one (requantize_rule::float32)", where);
  }
  if (p.rule != requantize_rule::tflite && p.rule != requantize_rule::float32) {
    MIXQ_THROW(error, "{}: rule = {} is invalid; expected requantize_rule::tflite or requantize_rule::float32", where,
               static_cast<int>(p.rule));
  }
  const code_range codes = code_range_of(p.bits, p.is_signed);
  if (p.min > p.max || !codes.contains(p.min) || !codes.contains(p.max)) {
    MIXQ_THROW(error, "{}: clamp [min, max] = [{}, {}] is invalid; expected {} <= min <= max <= {} ({}int{} codes)", where,
               p.min, p.max, codes.lo, codes.hi, p.is_signed ? "" : "u", p.bits);
  }
}

// One value under the rule; the scalar twin of every vector lane.
inline std::int32_t requantize_one(std::int32_t x, std::int32_t offset, fixed_multiplier m, std::int32_t zero_point,
                                   std::int32_t lo, std::int32_t hi) noexcept {
  // x + offset wraps like the SIMD lanes do; the rule's precondition keeps the true sum in range.
  const auto sum = static_cast<std::int32_t>(static_cast<std::uint32_t>(x) + static_cast<std::uint32_t>(offset));
  const std::int64_t q = std::int64_t{zero_point} + multiply_by_quantized_multiplier(sum, m);
  return static_cast<std::int32_t>(q < lo ? lo : (q > hi ? hi : q));
}

// One value under the float32 rule. The clamp is written as the vector max/min
// instructions compute it (x86 maxps/minps return the second operand when
// the first is NaN), so a NaN product gives min on every path.
inline std::int32_t requantize_one_fp32(std::int32_t x, std::int32_t offset, float scale, std::int32_t zero_point,
                                        std::int32_t lo, std::int32_t hi) noexcept {
  const auto sum = static_cast<std::int32_t>(static_cast<std::uint32_t>(x) + static_cast<std::uint32_t>(offset));
  float f = static_cast<float>(sum) * scale;
  const auto flo = static_cast<float>(lo - zero_point), fhi = static_cast<float>(hi - zero_point);
  f = f > flo ? f : flo;
  f = f < fhi ? f : fhi;
  return static_cast<std::int32_t>(std::nearbyint(f)) + zero_point;  // the default rounding mode: half to even
}

// Channel c's code under either rule.
inline std::int32_t requantize_at(const requantize_params& p, std::int32_t x, std::size_t c) noexcept {
  const std::size_t k = p.per_channel ? c : 0;
  const std::int32_t off = p.offset ? p.offset[c] : 0;
  return p.rule == requantize_rule::float32 ? requantize_one_fp32(x, off, p.scale[k], p.zero_point, p.min, p.max)
                                         : requantize_one(x, off, p.multiplier[k], p.zero_point, p.min, p.max);
}

// The parameters as the vector paths read them, split out of
// fixed_multiplier once per call: multipliers and shifts, and for the right
// shifts the rounding divide's constants (so a vector of lanes loads them
// instead of deriving them).
struct requantize_plan {
  requantize_params params;
  const std::int32_t* multiplier = nullptr;  // one per channel, or one
  const std::int32_t* shift = nullptr;
  const std::int32_t* right = nullptr;  // max(-shift, 0)
  const std::int32_t* mask = nullptr;   // 2^right - 1
  const std::int32_t* half = nullptr;   // mask >> 1
  bool saturation = false;  // a multiplier is INT32_MIN: the rule's saturating case can occur
  bool left = false;        // a shift is positive (a multiplier of 1 or more)
};

inline requantize_plan plan_requantize(const requantize_params& p, std::size_t channels) {
  requantize_plan plan;
  plan.params = p;
  if (p.rule == requantize_rule::float32) return plan;  // the vector paths read p.scale as it is
  const std::size_t n = p.per_channel ? channels : 1;
  // Each array starts a few cache lines past a multiple of 4 KiB, so the
  // loads of one do not alias another's.
  const std::size_t stride = n + 80;
  std::int32_t* split = scratch<std::int32_t, 11>(5 * stride);
  for (std::size_t c = 0; c < n; ++c) {
    const std::int32_t shift = p.multiplier[c].shift;
    const std::int32_t right = shift < 0 ? -shift : 0;
    split[c] = p.multiplier[c].multiplier;
    split[stride + c] = shift;
    split[2 * stride + c] = right;
    split[3 * stride + c] = static_cast<std::int32_t>((std::uint32_t{1} << right) - 1u);
    split[4 * stride + c] = split[3 * stride + c] >> 1;
    plan.saturation |= p.multiplier[c].multiplier == std::numeric_limits<std::int32_t>::min();
    plan.left |= shift > 0;
  }
  plan.multiplier = split;
  plan.shift = split + stride;
  plan.right = split + 2 * stride;
  plan.mask = split + 3 * stride;
  plan.half = split + 4 * stride;
  return plan;
}

// Requantizes x[0, n) into 8-bit lanes out[0, n) (int8 or uint8 bit patterns);
// channel c0 + i for element i.
template <kernel_path P>
void requantize_lanes(const std::int32_t* x, std::size_t n, std::size_t c0, const requantize_plan& plan,
                      std::uint8_t* out) noexcept;

template <>
inline void requantize_lanes<kernel_path::scalar>(const std::int32_t* x, std::size_t n, std::size_t c0,
                                                  const requantize_plan& plan, std::uint8_t* out) noexcept {
  const requantize_params& p = plan.params;
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(requantize_at(p, x[i], c0 + i));
}

#if MIXQ_WITH_AVX512VNNI
// Rounding doubling high multiply of 16 lanes: bits 31..62 of x * mult +
// 2^30, from the 64-bit products of the even and of the odd lanes (mult is
// not INT32_MIN, so the saturating case cannot occur).
MIXQ_INLINE __m512i srdhm_avx512(__m512i x, __m512i mult) noexcept {
  const __m512i nudge = _mm512_set1_epi64(std::int64_t{1} << 30);
  const __m512i even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, mult), nudge), 31);
  const __m512i odd = _mm512_slli_epi64(
      _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(mult, 32)), nudge), 1);
  return _mm512_mask_blend_epi32(__mmask16(0xAAAA), even, odd);
}

// Rounding divide by 2^right, halves away from zero: up by one when the
// remainder (x & mask, mask = 2^right - 1) exceeds half = mask >> 1, or
// half + 1 for negative values.
MIXQ_INLINE __m512i rdbpot_avx512(__m512i x, __m512i right, __m512i mask, __m512i half) noexcept {
  const __m512i remainder = _mm512_add_epi32(_mm512_and_si512(x, mask), _mm512_srai_epi32(x, 31));
  const __m512i shifted = _mm512_srav_epi32(x, right);
  const __mmask16 up = _mm512_cmpgt_epi32_mask(remainder, half);
  return _mm512_mask_add_epi32(shifted, up, shifted, _mm512_set1_epi32(1));
}

// 16 lanes of x * m with TFLite's double rounding, for multipliers that are
// not INT32_MIN.
MIXQ_INLINE __m512i mbqm_avx512(__m512i x, __m512i mult, __m512i left, __m512i right, __m512i mask) noexcept {
  return rdbpot_avx512(srdhm_avx512(_mm512_sllv_epi32(x, left), mult), right, mask, _mm512_srai_epi32(mask, 1));
}

// How far ahead of the loads the stream of accumulators is prefetched: the
// hardware prefetcher alone leaves this loop waiting on memory.
inline constexpr std::size_t requantize_prefetch_bytes = 8192;

template <bool PerChannel, bool Offset>
void requantize_avx512(const std::int32_t* x, std::size_t n, std::size_t c0, const requantize_plan& plan,
                       std::uint8_t* out) noexcept {
  const requantize_params& p = plan.params;
  const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi32(1);
  __m512i mult = _mm512_set1_epi32(plan.multiplier[0]);
  __m512i shift = _mm512_set1_epi32(plan.shift[0]);
  const __m512i zp = _mm512_set1_epi32(p.zero_point);
  const __m512i lo = _mm512_set1_epi32(p.min);
  const __m512i hi = _mm512_set1_epi32(p.max);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm_prefetch(reinterpret_cast<const char*>(x + i) + requantize_prefetch_bytes, _MM_HINT_T0);
    __m512i v = _mm512_loadu_si512(x + i);
    if constexpr (Offset) v = _mm512_add_epi32(v, _mm512_loadu_si512(p.offset + c0 + i));
    if constexpr (PerChannel) {
      mult = _mm512_loadu_si512(plan.multiplier + c0 + i);
      shift = _mm512_loadu_si512(plan.shift + c0 + i);
    }
    const __m512i left = _mm512_max_epi32(shift, zero);
    const __m512i right = _mm512_max_epi32(_mm512_sub_epi32(zero, shift), zero);
    const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
    __m512i q = _mm512_add_epi32(mbqm_avx512(v, mult, left, right, mask), zp);
    q = _mm512_min_epi32(_mm512_max_epi32(q, lo), hi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm512_cvtepi32_epi8(q));
  }
  if (i < n) requantize_lanes<kernel_path::scalar>(x + i, n - i, c0 + i, plan, out + i);
}

// Rows [0, rows) of n values each (x_stride apart in, out_stride apart out),
// channels c0 + i along each row: the vector paths below take 16 channels'
// parameters once and run them down every row.
struct requantize_block {
  const std::int32_t* x;
  std::size_t x_stride, rows, n, c0;
  std::uint8_t* out;
  std::size_t out_stride;

  // f(i, mask, full) for each group of 16 lanes (the last one under a mask).
  template <class F>
  MIXQ_INLINE void for_each_group(F&& f) const noexcept {
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) f(i, __mmask16(0xffff), std::true_type{});
    if (i < n) f(i, static_cast<__mmask16>((1u << (n - i)) - 1u), std::false_type{});
  }

  template <class Full>
  MIXQ_INLINE void store(std::size_t r, std::size_t i, __mmask16 m, Full, __m128i codes) const noexcept {
    std::uint8_t* at = out + r * out_stride + i;
    if constexpr (Full::value) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(at), codes);
    } else {
      _mm_mask_storeu_epi8(at, m, codes);
    }
  }
};

// 16 lanes of one group of channels under TFLite's rule, for multipliers
// below one (every shift <= 0, the usual case): no left shift, and the
// rounding divide's constants loaded from the plan. Channels c, c + 1, ...
// (the lanes of m only).
struct right_lanes {
  __m512i mult, right, mask, half, zp, lo, hi;

  MIXQ_INLINE right_lanes(const requantize_plan& plan, std::size_t c, __mmask16 m) noexcept
      : zp(_mm512_set1_epi32(plan.params.zero_point)),
        lo(_mm512_set1_epi32(plan.params.min)),
        hi(_mm512_set1_epi32(plan.params.max)) {
    if (plan.params.per_channel) {
      mult = _mm512_maskz_loadu_epi32(m, plan.multiplier + c);
      right = _mm512_maskz_loadu_epi32(m, plan.right + c);
      mask = _mm512_maskz_loadu_epi32(m, plan.mask + c);
      half = _mm512_maskz_loadu_epi32(m, plan.half + c);
    } else {
      mult = _mm512_set1_epi32(plan.multiplier[0]);
      right = _mm512_set1_epi32(plan.right[0]);
      mask = _mm512_set1_epi32(plan.mask[0]);
      half = _mm512_set1_epi32(plan.half[0]);
    }
  }
  // The codes of x (offsets already added), one per 32-bit lane.
  MIXQ_INLINE __m512i codes(__m512i x) const noexcept {
    const __m512i q = _mm512_add_epi32(rdbpot_avx512(srdhm_avx512(x, mult), right, mask, half), zp);
    return _mm512_min_epi32(_mm512_max_epi32(q, lo), hi);
  }
  // The same, one byte per lane.
  MIXQ_INLINE __m128i operator()(__m512i x) const noexcept { return _mm512_cvtepi32_epi8(codes(x)); }
};

// The same under the float32 rule: a conversion, a multiply, a clamp and a
// rounding conversion (the default rounding mode rounds half to even).
struct fp32_lanes {
  __m512 scale, lo, hi;
  __m512i zp;

  MIXQ_INLINE fp32_lanes(const requantize_plan& plan, std::size_t c, __mmask16 m) noexcept
      : scale(plan.params.per_channel ? _mm512_maskz_loadu_ps(m, plan.params.scale + c)
                                      : _mm512_set1_ps(plan.params.scale[0])),
        lo(_mm512_set1_ps(static_cast<float>(plan.params.min - plan.params.zero_point))),
        hi(_mm512_set1_ps(static_cast<float>(plan.params.max - plan.params.zero_point))),
        zp(_mm512_set1_epi32(plan.params.zero_point)) {}
  MIXQ_INLINE __m512i codes(__m512i x) const noexcept {
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(x), scale);
    f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
    return _mm512_add_epi32(_mm512_cvtps_epi32(f), zp);
  }
  MIXQ_INLINE __m128i operator()(__m512i x) const noexcept { return _mm512_cvtepi32_epi8(codes(x)); }
};

// Whether 8-bit codes under the plan come from right_lanes or fp32_lanes,
// which kernels may then run on their own sums (no int32 round trip).
inline bool requantizes_by_lanes(const requantize_plan& plan) noexcept {
  return plan.params.bits == 8 &&
         (plan.params.rule == requantize_rule::float32 || (!plan.saturation && !plan.left));
}

// A block of rows through Lanes: each group of 16 channels' parameters
// are loaded once and run down every row.
template <class Lanes, bool Offset>
void requantize_avx512_block(const requantize_block& block, const requantize_plan& plan) noexcept {
  // A copy the code stores cannot alias (they are bytes), so it stays in registers.
  const requantize_block b = block;
  b.for_each_group([&](std::size_t i, __mmask16 m, auto full) {
    const Lanes codes(plan, b.c0 + i, m);
    const __m512i offset = Offset ? _mm512_maskz_loadu_epi32(m, plan.params.offset + b.c0 + i) : _mm512_setzero_si512();
    for (std::size_t r = 0; r < b.rows; ++r) {
      const std::int32_t* at = b.x + r * b.x_stride + i;
      _mm_prefetch(reinterpret_cast<const char*>(at) + requantize_prefetch_bytes, _MM_HINT_T0);
      __m512i v = _mm512_maskz_loadu_epi32(m, at);
      if constexpr (Offset) v = _mm512_add_epi32(v, offset);
      b.store(r, i, m, full, codes(v));
    }
  });
}

inline void requantize_rows_avx512(const requantize_block& b, const requantize_plan& plan) noexcept {
  const bool per_channel = plan.params.per_channel, offset = plan.params.offset != nullptr;
  if (plan.params.rule == requantize_rule::float32) {
    offset ? requantize_avx512_block<fp32_lanes, true>(b, plan) : requantize_avx512_block<fp32_lanes, false>(b, plan);
  } else if (!plan.saturation && !plan.left) {
    offset ? requantize_avx512_block<right_lanes, true>(b, plan) : requantize_avx512_block<right_lanes, false>(b, plan);
  } else {
    for (std::size_t r = 0; r < b.rows; ++r) {
      const std::int32_t* x = b.x + r * b.x_stride;
      std::uint8_t* out = b.out + r * b.out_stride;
      if (plan.saturation) {
        requantize_lanes<kernel_path::scalar>(x, b.n, b.c0, plan, out);  // INT32_MIN multipliers: rare, and exact here
      } else if (per_channel) {
        offset ? requantize_avx512<true, true>(x, b.n, b.c0, plan, out)
               : requantize_avx512<true, false>(x, b.n, b.c0, plan, out);
      } else {
        offset ? requantize_avx512<false, true>(x, b.n, b.c0, plan, out)
               : requantize_avx512<false, false>(x, b.n, b.c0, plan, out);
      }
    }
  }
}

template <>
inline void requantize_lanes<kernel_path::avx512vnni>(const std::int32_t* x, std::size_t n, std::size_t c0,
                                                      const requantize_plan& plan, std::uint8_t* out) noexcept {
  requantize_rows_avx512({x, 0, 1, n, c0, out, 0}, plan);
}
#endif

#if MIXQ_WITH_AVX2
// 8 lanes of x * m with TFLite's double rounding.
MIXQ_INLINE __m256i mbqm_avx2(__m256i x, __m256i mult, __m256i shift) noexcept {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i left = _mm256_max_epi32(shift, zero);
  const __m256i right = _mm256_max_epi32(_mm256_sub_epi32(zero, shift), zero);
  const __m256i xs = _mm256_sllv_epi32(x, left);
  // AVX2 has no 64-bit arithmetic shift: (p + 2^30) >> 31 keeps bits 31..62
  // of the sum, which a logical shift by 31 also yields in the low 32 bits.
  const __m256i nudge = _mm256_set1_epi64x(std::int64_t{1} << 30);
  const __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(xs, mult), nudge), 31);
  const __m256i odd = _mm256_srli_epi64(
      _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(xs, 32), _mm256_srli_epi64(mult, 32)), nudge), 31);
  __m256i high = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  const __m256i int_min = _mm256_set1_epi32(INT32_MIN);
  const __m256i overflow = _mm256_and_si256(_mm256_cmpeq_epi32(xs, int_min), _mm256_cmpeq_epi32(mult, int_min));
  high = _mm256_blendv_epi8(high, _mm256_set1_epi32(INT32_MAX), overflow);
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
  const __m256i remainder = _mm256_and_si256(high, mask);
  const __m256i negative = _mm256_cmpgt_epi32(zero, high);  // all ones when high < 0
  const __m256i threshold = _mm256_sub_epi32(_mm256_srai_epi32(mask, 1), negative);
  const __m256i shifted = _mm256_srav_epi32(high, right);
  return _mm256_sub_epi32(shifted, _mm256_cmpgt_epi32(remainder, threshold));
}

// Codes in [-128, 255], one per lane of q: the low byte of each, to out[0, 8).
MIXQ_INLINE void store_low_bytes_avx2(__m256i q, std::uint8_t* out) noexcept {
  const __m256i bytes = _mm256_shuffle_epi8(
      q, _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1, -1, -1, -1,
                          -1, -1, -1, -1, -1, -1, -1, -1));
  const std::uint32_t low = static_cast<std::uint32_t>(_mm256_extract_epi32(bytes, 0));
  const std::uint32_t high = static_cast<std::uint32_t>(_mm256_extract_epi32(bytes, 4));
  const std::uint64_t packed = low | (std::uint64_t{high} << 32);
  std::memcpy(out, &packed, 8);
}

inline void requantize_avx2_fp32(const std::int32_t* x, std::size_t n, std::size_t c0, const requantize_plan& plan,
                                 std::uint8_t* out) noexcept {
  const requantize_params& p = plan.params;
  const __m256 lo = _mm256_set1_ps(static_cast<float>(p.min - p.zero_point));
  const __m256 hi = _mm256_set1_ps(static_cast<float>(p.max - p.zero_point));
  const __m256i zp = _mm256_set1_epi32(p.zero_point);
  __m256 scale = _mm256_set1_ps(p.scale[0]);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    if (p.offset) v = _mm256_add_epi32(v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.offset + c0 + i)));
    if (p.per_channel) scale = _mm256_loadu_ps(p.scale + c0 + i);
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(v), scale);
    f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
    store_low_bytes_avx2(_mm256_add_epi32(_mm256_cvtps_epi32(f), zp), out + i);
  }
  if (i < n) requantize_lanes<kernel_path::scalar>(x + i, n - i, c0 + i, plan, out + i);
}

template <>
inline void requantize_lanes<kernel_path::avx2>(const std::int32_t* x, std::size_t n, std::size_t c0,
                                                const requantize_plan& plan, std::uint8_t* out) noexcept {
  if (plan.params.rule == requantize_rule::float32) {
    requantize_avx2_fp32(x, n, c0, plan, out);
    return;
  }
  const requantize_params& p = plan.params;
  __m256i mult = _mm256_set1_epi32(p.multiplier[0].multiplier);
  __m256i shift = _mm256_set1_epi32(p.multiplier[0].shift);
  const __m256i zp = _mm256_set1_epi32(p.zero_point);
  const __m256i lo = _mm256_set1_epi32(p.min);
  const __m256i hi = _mm256_set1_epi32(p.max);
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    if (p.offset) v = _mm256_add_epi32(v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.offset + c0 + i)));
    if (p.per_channel) {
      const __m256i a = _mm256_permutevar8x32_epi32(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.multiplier + c0 + i)), even);
      const __m256i b = _mm256_permutevar8x32_epi32(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.multiplier + c0 + i + 4)), even);
      mult = _mm256_permute2x128_si256(a, b, 0x20);
      shift = _mm256_permute2x128_si256(a, b, 0x31);
    }
    __m256i q = _mm256_add_epi32(mbqm_avx2(v, mult, shift), zp);
    store_low_bytes_avx2(_mm256_min_epi32(_mm256_max_epi32(q, lo), hi), out + i);
  }
  if (i < n) requantize_lanes<kernel_path::scalar>(x + i, n - i, c0 + i, plan, out + i);
}
#endif

#if MIXQ_WITH_NEON64
// 4 lanes of x * m with TFLite's double rounding: NEON has the two steps as
// instructions (sqrdmulh saturates INT32_MIN * INT32_MIN like the rule).
MIXQ_INLINE int32x4_t mbqm_neon(int32x4_t x, int32x4_t mult, int32x4_t shift) noexcept {
  const int32x4_t zero = vdupq_n_s32(0);
  const int32x4_t left = vmaxq_s32(shift, zero);
  const int32x4_t right = vminq_s32(shift, zero);  // <= 0: a right shift in vrshlq
  const int32x4_t high = vqrdmulhq_s32(vshlq_s32(x, left), mult);
  // vrshlq rounds halves up; the rule rounds them away from zero: nudge
  // negative values down by one first (gemmlowp's fixup).
  const int32x4_t fixup = vshrq_n_s32(vandq_s32(high, right), 31);
  const int32x4_t fixed = vqaddq_s32(high, fixup);
  return vrshlq_s32(fixed, right);
}

// Codes in [-128, 255], one per lane of q: the low byte of each, to out[0, 4).
MIXQ_INLINE void store_low_bytes_neon(int32x4_t q, std::uint8_t* out) noexcept {
  const int16x4_t narrow16 = vmovn_s32(q);
  const int8x8_t narrow8 = vmovn_s16(vcombine_s16(narrow16, narrow16));
  const std::uint32_t bytes = vget_lane_u32(vreinterpret_u32_s8(narrow8), 0);
  std::memcpy(out, &bytes, 4);
}

// The float32 rule: vmaxnm/vminnm return the number when the other operand is
// a NaN, as the scalar rule's clamp does; vcvtn rounds half to even.
inline void requantize_neon_fp32(const std::int32_t* x, std::size_t n, std::size_t c0, const requantize_plan& plan,
                                 std::uint8_t* out) noexcept {
  const requantize_params& p = plan.params;
  const float32x4_t lo = vdupq_n_f32(static_cast<float>(p.min - p.zero_point));
  const float32x4_t hi = vdupq_n_f32(static_cast<float>(p.max - p.zero_point));
  const int32x4_t zp = vdupq_n_s32(p.zero_point);
  float32x4_t scale = vdupq_n_f32(p.scale[0]);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    int32x4_t v = vld1q_s32(x + i);
    if (p.offset) v = vaddq_s32(v, vld1q_s32(p.offset + c0 + i));
    if (p.per_channel) scale = vld1q_f32(p.scale + c0 + i);
    float32x4_t f = vmulq_f32(vcvtq_f32_s32(v), scale);
    f = vminnmq_f32(vmaxnmq_f32(f, lo), hi);
    store_low_bytes_neon(vaddq_s32(vcvtnq_s32_f32(f), zp), out + i);
  }
  if (i < n) requantize_lanes<kernel_path::scalar>(x + i, n - i, c0 + i, plan, out + i);
}

template <>
inline void requantize_lanes<kernel_path::neon>(const std::int32_t* x, std::size_t n, std::size_t c0,
                                                const requantize_plan& plan, std::uint8_t* out) noexcept {
  if (plan.params.rule == requantize_rule::float32) {
    requantize_neon_fp32(x, n, c0, plan, out);
    return;
  }
  const requantize_params& p = plan.params;
  int32x4_t mult = vdupq_n_s32(p.multiplier[0].multiplier);
  int32x4_t shift = vdupq_n_s32(p.multiplier[0].shift);
  const int32x4_t zp = vdupq_n_s32(p.zero_point);
  const int32x4_t lo = vdupq_n_s32(p.min);
  const int32x4_t hi = vdupq_n_s32(p.max);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    int32x4_t v = vld1q_s32(x + i);
    if (p.offset) v = vaddq_s32(v, vld1q_s32(p.offset + c0 + i));
    if (p.per_channel) {
      const int32x4x2_t pairs = vld2q_s32(reinterpret_cast<const std::int32_t*>(p.multiplier + c0 + i));
      mult = pairs.val[0];
      shift = pairs.val[1];
    }
    const int32x4_t q = vaddq_s32(mbqm_neon(v, mult, shift), zp);
    store_low_bytes_neon(vminq_s32(vmaxq_s32(q, lo), hi), out + i);
  }
  if (i < n) requantize_lanes<kernel_path::scalar>(x + i, n - i, c0 + i, plan, out + i);
}
#endif

// requantize_lanes over `rows` rows: row r from x + r * x_stride to
// out + r * out_stride (a GEMM tile's rows).
template <kernel_path P>
void requantize_rows(const std::int32_t* x, std::size_t x_stride, std::size_t rows, std::size_t n, std::size_t c0,
                     const requantize_plan& plan, std::uint8_t* out, std::size_t out_stride) noexcept {
#if MIXQ_WITH_AVX512VNNI
  if constexpr (P == kernel_path::avx512vnni) {
    requantize_rows_avx512({x, x_stride, rows, n, c0, out, out_stride}, plan);
    return;
  }
#endif
  for (std::size_t r = 0; r < rows; ++r) requantize_lanes<P>(x + r * x_stride, n, c0, plan, out + r * out_stride);
}

}  // namespace detail

/// Requantizes rows of int32 values (requantize_args): row r's codes go
/// out as 8-bit lanes or a packed 4/2-bit row. Channels run along the row.
struct requantize_fn : detail::kernel_functor<const requantize_args&> {
  using detail::kernel_functor<const requantize_args&>::operator();

  template <KernelArch Arch>
  void operator()(Arch, const requantize_args& a) const {
    constexpr std::string_view where = "mixq::requantize_kernel";
    const requantize_params& p = a.params;
    detail::check_requantize_params(p, where);
    if (a.rows == 0 || a.cols == 0) return;
    if (a.x == nullptr || a.out == nullptr) MIXQ_THROW(error, "{}: null input or output", where);
    const std::size_t row_bytes = packed_row_bytes(a.cols, p.bits);
    if (a.x_stride < a.cols || a.out_stride < row_bytes) {
      MIXQ_THROW(error, "{}: strides ({}, {}) are too small; expected x_stride >= {} and out_stride >= {}", where,
                 a.x_stride, a.out_stride, a.cols, row_bytes);
    }
    constexpr kernel_path P = kernel_path_of<Arch>;
    const detail::requantize_plan plan = detail::plan_requantize(p, a.cols);
    constexpr std::size_t chunk = 1024;
    alignas(64) std::uint8_t lanes[chunk];
    for (std::size_t r = 0; r < a.rows; ++r) {
      const std::int32_t* in = a.x + r * a.x_stride;
      std::uint8_t* o = a.out + r * a.out_stride;
      if (p.bits == 8) {
        detail::requantize_lanes<P>(in, a.cols, 0, plan, o);
        continue;
      }
      // Sub-byte codes go through a lanes buffer in chunks of a multiple of
      // 8 codes, so each chunk starts on a byte boundary.
      for (std::size_t k = 0; k < a.cols; k += chunk) {
        const std::size_t count = std::min(chunk, a.cols - k);
        detail::requantize_lanes<P>(in + k, count, k, plan, lanes);
        detail::pack_lanes<P>(lanes, count, p.bits, o + k * static_cast<std::size_t>(p.bits) / 8);
      }
    }
  }
};

inline constexpr requantize_fn requantize_kernel{};

}  // namespace mixq
