#pragma once
// The residual add of two tensors of 8-bit codes (add_args). TFLite's rule:
// each input to a common fixed-point scale (a left shift, then its own
// multiplier below one), the two terms summed, the sum requantized to the
// output's codes and clamped. The float32 rule: each input's centred codes
// times its scale over the output's, in fp32.
//
// Bound (tflite rule): |code - zero point| <= 255, and a term is at most
// its shifted code in magnitude (its multiplier is below one), so the sum of
// two is at most 510 * 2^left_shift: below 2^31 for left_shift <= 22. The
// output multiplier's left shift, if any, is checked against that sum
// (TFLite's precondition).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

#include <mixq/config.hpp>
#include <mixq/core/fixed_point.hpp>
#include <mixq/core/scheme.hpp>
#include <mixq/kernels/arch.hpp>
#include <mixq/kernels/args.hpp>
#include <mixq/kernels/requantize.hpp>

namespace mixq {

namespace detail {

inline void check_add_args(const add_args& a, std::string_view where) {
  if (a.rule != requantize_rule::tflite && a.rule != requantize_rule::float32) {
    MIXQ_THROW(error, "{}: rule = {} is invalid; expected requantize_rule::tflite or requantize_rule::float32", where,
               static_cast<int>(a.rule));
  }
  const bool tflite = a.rule == requantize_rule::tflite;
  if (tflite && (a.left_shift < 0 || a.left_shift > 22)) {
    MIXQ_THROW(error, "{}: left_shift = {} is invalid; expected 0 <= left_shift <= 22 (the sum of two terms must fit "
                      "in int32)",
               where, a.left_shift);
  }
  const auto check_input = [&](const add_input& in, std::string_view name) {
    const code_range codes = code_range_of(8, in.is_signed);
    if (!codes.contains(in.zero_point)) {
      MIXQ_THROW(error, "{}: input {} zero_point = {} is out of range; expected {} <= zero_point <= {}", where, name,
                 in.zero_point, codes.lo, codes.hi);
    }
    if (tflite && (in.multiplier.multiplier < 0 || in.multiplier.shift > 0 || in.multiplier.shift < -31)) {
      MIXQ_THROW(error, "{}: input {} multiplier = {} with shift {} is invalid; expected a multiplier >= 0 with "
                        "-31 <= shift <= 0 (below one)",
                 where, name, in.multiplier.multiplier, in.multiplier.shift);
    }
    if (!tflite && !(std::isfinite(in.scale) && in.scale > 0.0f)) {
      MIXQ_THROW(error, "{}: input {} scale = {} is invalid; expected a finite scale > 0 (requantize_rule::float32)",
                 where, name, in.scale);
    }
    if (a.n > 0 && in.data == nullptr) MIXQ_THROW(error, "{}: input {} data is null", where, name);
  };
  check_input(a.a, "a");
  check_input(a.b, "b");
  const fixed_multiplier m = a.multiplier;
  // The sum of two terms is below 2 * 255 * 2^left_shift in magnitude.
  const double reach = 510.0 * static_cast<double>(std::int64_t{1} << std::clamp(a.left_shift, 0, 22));
  if (tflite && (m.multiplier < 0 || m.shift < -31 || m.shift > 30 ||
                 (m.shift > 0 && reach * static_cast<double>(std::int64_t{1} << m.shift) > 2147483647.0))) {
    MIXQ_THROW(error, "{}: output multiplier = {} with shift {} is invalid; expected a multiplier >= 0 with -31 <= shift "
                      "and sums up to {:g} times 2^shift within int32",
               where, m.multiplier, m.shift, reach);
  }
  const code_range codes = code_range_of(8, a.is_signed);
  if (!codes.contains(a.zero_point)) {
    MIXQ_THROW(error, "{}: output zero_point = {} is out of range; expected {} <= zero_point <= {}", where, a.zero_point,
               codes.lo, codes.hi);
  }
  if (a.min > a.max || !codes.contains(a.min) || !codes.contains(a.max)) {
    MIXQ_THROW(error, "{}: clamp [min, max] = [{}, {}] is invalid; expected {} <= min <= max <= {}", where, a.min, a.max,
               codes.lo, codes.hi);
  }
  if (a.n > 0 && a.out == nullptr) MIXQ_THROW(error, "{}: output data is null", where);
}

// An input's code in an 8-bit lane, less its zero point.
MIXQ_INLINE std::int32_t centred_code(const add_input& in, std::uint8_t lane) noexcept {
  const std::int32_t code = in.is_signed ? static_cast<std::int8_t>(lane) : static_cast<std::int32_t>(lane);
  return code - in.zero_point;
}

// The float32 rule on elements [from, a.n), one at a time.
inline void add_fp32_lanes(const add_args& a, std::size_t from) noexcept {
  const float lo = static_cast<float>(a.min - a.zero_point), hi = static_cast<float>(a.max - a.zero_point);
  const auto centred = [](const add_input& in, std::uint8_t lane) { return static_cast<float>(centred_code(in, lane)); };
  for (std::size_t i = from; i < a.n; ++i) {
    const float f = std::fma(centred(a.a, a.a.data[i]), a.a.scale, centred(a.b, a.b.data[i]) * a.b.scale);
    const auto q = static_cast<std::int32_t>(std::nearbyint(std::min(std::max(f, lo), hi)));
    a.out[i] = static_cast<std::uint8_t>(q + a.zero_point);
  }
}

// The float32 rule, eight lanes at a time where the path has a fused
// multiply-add (the sums are clamped into the output's codes, so narrowing
// them keeps their bytes); the rest one at a time.
template <kernel_path P>
void add_fp32(const add_args& a) noexcept {
  std::size_t i = 0;
#if MIXQ_WITH_AVX2 && defined(__FMA__)
  if constexpr (P == kernel_path::avx2) {
    const auto centred = [](const add_input& in, const std::uint8_t* p) {
      const __m128i raw = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
      const __m256i codes = in.is_signed ? _mm256_cvtepi8_epi32(raw) : _mm256_cvtepu8_epi32(raw);
      return _mm256_cvtepi32_ps(_mm256_sub_epi32(codes, _mm256_set1_epi32(in.zero_point)));
    };
    const __m256 sa = _mm256_set1_ps(a.a.scale), sb = _mm256_set1_ps(a.b.scale);
    const __m256 lo = _mm256_set1_ps(static_cast<float>(a.min - a.zero_point));
    const __m256 hi = _mm256_set1_ps(static_cast<float>(a.max - a.zero_point));
    const __m256i zp = _mm256_set1_epi32(a.zero_point);
    for (; i + 8 <= a.n; i += 8) {
      __m256 f = _mm256_fmadd_ps(centred(a.a, a.a.data + i), sa, _mm256_mul_ps(centred(a.b, a.b.data + i), sb));
      f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
      const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(f), zp);
      // int32 -> int16 -> bytes within each 128-bit half; the halves' first four bytes joined.
      const __m256i words = _mm256_packs_epi32(q, q);
      const __m256i bytes = a.is_signed ? _mm256_packs_epi16(words, words) : _mm256_packus_epi16(words, words);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(a.out + i),
                       _mm_unpacklo_epi32(_mm256_castsi256_si128(bytes), _mm256_extracti128_si256(bytes, 1)));
    }
  }
#endif
#if MIXQ_WITH_NEON64
  if constexpr (P == kernel_path::neon) {
    const auto centred = [](const add_input& in, const std::uint8_t* p) {
      const int16x8_t codes = in.is_signed ? vmovl_s8(vld1_s8(reinterpret_cast<const std::int8_t*>(p)))
                                           : vreinterpretq_s16_u16(vmovl_u8(vld1_u8(p)));
      const int32x4_t zp = vdupq_n_s32(in.zero_point);
      return std::pair{vcvtq_f32_s32(vsubq_s32(vmovl_s16(vget_low_s16(codes)), zp)),
                       vcvtq_f32_s32(vsubq_s32(vmovl_high_s16(codes), zp))};
    };
    const float32x4_t sa = vdupq_n_f32(a.a.scale), sb = vdupq_n_f32(a.b.scale);
    const float32x4_t lo = vdupq_n_f32(static_cast<float>(a.min - a.zero_point));
    const float32x4_t hi = vdupq_n_f32(static_cast<float>(a.max - a.zero_point));
    const int32x4_t zp = vdupq_n_s32(a.zero_point);
    const auto rule = [&](float32x4_t x, float32x4_t y) {
      const float32x4_t f = vminq_f32(vmaxq_f32(vfmaq_f32(vmulq_f32(y, sb), x, sa), lo), hi);
      return vmovn_s32(vaddq_s32(vcvtnq_s32_f32(f), zp));
    };
    for (; i + 8 <= a.n; i += 8) {
      const auto [x0, x1] = centred(a.a, a.a.data + i);
      const auto [y0, y1] = centred(a.b, a.b.data + i);
      vst1_u8(a.out + i, vreinterpret_u8_s8(vmovn_s16(vcombine_s16(rule(x0, y0), rule(x1, y1)))));
    }
  }
#endif
  add_fp32_lanes(a, i);
}

// The other paths under TFLite's rule. Each input's term depends on its code
// alone: over many elements, two 256-entry tables of terms; over few, the
// terms themselves. The sums are requantized by the path's requantize loop.
template <kernel_path P>
void add_lanes(const add_args& a) {
  if (a.rule == requantize_rule::float32) return add_fp32<P>(a);
  const auto term = [&](const add_input& in, std::uint8_t lane) {
    return multiply_by_quantized_multiplier(centred_code(in, lane) * (std::int32_t{1} << a.left_shift), in.multiplier);
  };
  requantize_params p;
  p.multiplier = &a.multiplier;
  p.zero_point = a.zero_point;
  p.min = a.min;
  p.max = a.max;
  p.is_signed = a.is_signed;
  const requantize_plan plan = plan_requantize(p, 1);
  const bool tables = a.n >= 1024;
  std::array<std::int32_t, 256> ta{}, tb{};
  for (int lane = 0; tables && lane < 256; ++lane) {
    ta[static_cast<std::size_t>(lane)] = term(a.a, static_cast<std::uint8_t>(lane));
    tb[static_cast<std::size_t>(lane)] = term(a.b, static_cast<std::uint8_t>(lane));
  }
  constexpr std::size_t chunk = 1024;
  alignas(64) std::int32_t sums[chunk];
  for (std::size_t i = 0; i < a.n; i += chunk) {
    const std::size_t m = std::min(chunk, a.n - i);
    const std::uint8_t *x = a.a.data + i, *y = a.b.data + i;
    if (tables) {
      for (std::size_t k = 0; k < m; ++k) sums[k] = ta[x[k]] + tb[y[k]];
    } else {
      for (std::size_t k = 0; k < m; ++k) sums[k] = term(a.a, x[k]) + term(a.b, y[k]);
    }
    requantize_lanes<P>(sums, m, 0, plan, a.out + i);
  }
}

#if MIXQ_WITH_AVX512VNNI
// The 16 codes of one input at p (the lanes under m), widened, less its zero point.
MIXQ_INLINE __m512i centred_codes_avx512(bool is_signed, __m512i zero_point, const std::uint8_t* p, __mmask16 m) noexcept {
  const __m128i raw = _mm_maskz_loadu_epi8(m, p);
  return _mm512_sub_epi32(is_signed ? _mm512_cvtepi8_epi32(raw) : _mm512_cvtepu8_epi32(raw), zero_point);
}

// The lanes of the 16 from element i on that are below n.
MIXQ_INLINE __mmask16 tail_mask(std::size_t i, std::size_t n) noexcept {
  return n - i >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1u);
}

// 16 codes of one input (the lanes under m) as terms: widened, the zero point
// taken off, shifted, multiplied with double rounding.
struct add_term_avx512 {
  bool is_signed;
  __m512i zero_point, multiplier, right, mask, half;
  __m128i left_shift;

  add_term_avx512(const add_input& in, int left) noexcept
      : is_signed(in.is_signed),
        zero_point(_mm512_set1_epi32(in.zero_point)),
        multiplier(_mm512_set1_epi32(in.multiplier.multiplier)),
        right(_mm512_set1_epi32(-in.multiplier.shift)),
        mask(_mm512_set1_epi32(static_cast<std::int32_t>((std::uint32_t{1} << -in.multiplier.shift) - 1u))),
        half(_mm512_srli_epi32(mask, 1)),
        left_shift(_mm_cvtsi32_si128(left)) {}

  MIXQ_INLINE __m512i operator()(const std::uint8_t* p, __mmask16 m) const noexcept {
    const __m512i shifted = _mm512_sll_epi32(centred_codes_avx512(is_signed, zero_point, p, m), left_shift);
    return rdbpot_avx512(srdhm_avx512(shifted, multiplier), right, mask, half);
  }
};

// The float32 rule: two conversions, a multiply, a fused multiply-add, a
// clamp and a rounding conversion per 16 lanes.
inline void add_avx512_fp32(const add_args& a) noexcept {
  const __m512i zp_a = _mm512_set1_epi32(a.a.zero_point), zp_b = _mm512_set1_epi32(a.b.zero_point);
  const __m512 sa = _mm512_set1_ps(a.a.scale), sb = _mm512_set1_ps(a.b.scale);
  const __m512 lo = _mm512_set1_ps(static_cast<float>(a.min - a.zero_point));
  const __m512 hi = _mm512_set1_ps(static_cast<float>(a.max - a.zero_point));
  const __m512i zp = _mm512_set1_epi32(a.zero_point);
  for (std::size_t i = 0; i < a.n; i += 16) {
    const __mmask16 m = tail_mask(i, a.n);
    const __m512 x = _mm512_cvtepi32_ps(centred_codes_avx512(a.a.is_signed, zp_a, a.a.data + i, m));
    const __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(centred_codes_avx512(a.b.is_signed, zp_b, a.b.data + i, m)), sb);
    __m512 f = _mm512_fmadd_ps(x, sa, y);
    f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
    _mm_mask_storeu_epi8(a.out + i, m, _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(f), zp)));
  }
}

inline void add_avx512(const add_args& a) noexcept {
  if (a.rule == requantize_rule::float32) return add_avx512_fp32(a);
  const add_term_avx512 term_a(a.a, a.left_shift), term_b(a.b, a.left_shift);
  const std::int32_t shift = a.multiplier.shift;
  const __m512i mult = _mm512_set1_epi32(a.multiplier.multiplier);
  const __m512i left = _mm512_set1_epi32(std::max(shift, 0));
  const __m512i right = _mm512_set1_epi32(std::max(-shift, 0));
  const __m512i mask = _mm512_set1_epi32(static_cast<std::int32_t>((std::uint32_t{1} << std::max(-shift, 0)) - 1u));
  const __m512i zp = _mm512_set1_epi32(a.zero_point);
  const __m512i lo = _mm512_set1_epi32(a.min), hi = _mm512_set1_epi32(a.max);
  for (std::size_t i = 0; i < a.n; i += 16) {
    const __mmask16 m = tail_mask(i, a.n);
    const __m512i sum = _mm512_add_epi32(term_a(a.a.data + i, m), term_b(a.b.data + i, m));
    const __m512i q = _mm512_add_epi32(mbqm_avx512(sum, mult, left, right, mask), zp);
    _mm_mask_storeu_epi8(a.out + i, m, _mm512_cvtepi32_epi8(_mm512_min_epi32(_mm512_max_epi32(q, lo), hi)));
  }
}
#endif

}  // namespace detail

/// The residual add: add_kernel(arch, add_args). Throws mixq::error (before
/// any work) for parameters outside the rule's preconditions.
struct add_fn : detail::kernel_functor<const add_args&> {
  using detail::kernel_functor<const add_args&>::operator();

  template <KernelArch Arch>
  void operator()(Arch, const add_args& a) const {
    detail::check_add_args(a, "mixq::add_kernel");
    if (a.n == 0) return;
#if MIXQ_WITH_AVX512VNNI
    if constexpr (kernel_path_of<Arch> == kernel_path::avx512vnni) {
      detail::add_avx512(a);
      return;
    }
#endif
    detail::add_lanes<kernel_path_of<Arch>>(a);
  }
};

inline constexpr add_fn add_kernel{};

}  // namespace mixq
