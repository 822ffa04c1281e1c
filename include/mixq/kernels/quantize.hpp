#pragma once
// Quantize float32 rows to codes and dequantize codes to float32 rows, with
// the rules of core/quantize_rule.hpp bit for bit. Output codes are 8-bit
// lanes or packed rows of any width (storage/packed.hpp layout).
//
// A block of `rows` x `cols` values is row-major with a stride per row; the
// parameters are one per tensor, one per row, or one per column
// (channel_axis). The scheme is a run-time value here: kernels serve every
// scheme; qtensor supplies the compile-time checks (ops/quantize.hpp).
//
// Paths: AVX-512 with intrinsics; AVX2 and NEON through xsimd batches (with a
// scalar narrowing of int32 lanes to bytes, which xsimd 8.1 does not offer);
// the portable path runs the rule itself.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <mixq/config.hpp>
#include <mixq/core/quantize_rule.hpp>
#include <mixq/core/scheme.hpp>
#include <mixq/kernels/arch.hpp>
#include <mixq/kernels/args.hpp>
#include <mixq/kernels/pack.hpp>
#include <mixq/kernels/scratch.hpp>

namespace mixq {

namespace detail {

// Codes per chunk when rows are converted through a lanes buffer; a multiple
// of 8, so every chunk of a packed row starts on a byte boundary.
inline constexpr std::size_t lanes_chunk = 1024;

struct quantize_lanes_args {
  const float* inv_scale = nullptr;  // per element when per_element, else [0]
  const std::int32_t* zero_point = nullptr;
  bool per_element = false;
  std::int32_t qmin = 0;
  std::int32_t qmax = 0;
  bool binary = false;
};

inline void quantize_lanes_portable(const float* x, std::size_t n, const quantize_lanes_args& a,
                                    std::uint8_t* lanes) noexcept {
  if (a.binary) {
    for (std::size_t i = 0; i < n; ++i) lanes[i] = static_cast<std::uint8_t>(quantize_binary(x[i]));
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = a.per_element ? i : 0;
    lanes[i] = static_cast<std::uint8_t>(quantize_code(x[i], a.inv_scale[c], a.zero_point[c], a.qmin, a.qmax));
  }
}

inline void dequantize_lanes_portable(const std::uint8_t* lanes, std::size_t n, bool is_signed, const float* scale,
                                      const std::int32_t* zero_point, bool per_element, float* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = per_element ? i : 0;
    const std::int32_t code = is_signed ? static_cast<std::int8_t>(lanes[i]) : static_cast<std::int32_t>(lanes[i]);
    out[i] = dequantize_code(code, scale[c], zero_point[c]);
  }
}

// Values [i, n) that did not fill a vector, by the portable rule.
inline void quantize_tail(const float* x, std::size_t n, std::size_t i, const quantize_lanes_args& a,
                          std::uint8_t* lanes) noexcept {
  if (i >= n) return;
  quantize_lanes_args rest = a;
  if (a.per_element) {
    rest.inv_scale += i;
    rest.zero_point += i;
  }
  quantize_lanes_portable(x + i, n - i, rest, lanes + i);
}

// xsimd version for the AVX2 and NEON paths: float math in batches, int32
// lanes narrowed to bytes by a loop the compiler vectorizes.
template <class XArch>
void quantize_lanes_xsimd(const float* x, std::size_t n, const quantize_lanes_args& a, std::uint8_t* lanes) noexcept {
  using fbatch = xsimd::batch<float, XArch>;
  using ibatch = xsimd::batch<std::int32_t, XArch>;
  constexpr std::size_t width = fbatch::size;
  alignas(64) std::int32_t codes[width];
  std::size_t i = 0;
  const fbatch zero(0.0f);
  if (a.binary) {
    const fbatch plus(1.0f), minus(-1.0f);
    for (; i + width <= n; i += width) {
      const fbatch v = fbatch::load_unaligned(x + i);
      const ibatch q = xsimd::to_int(xsimd::select((v >= zero) || xsimd::isnan(v), plus, minus));
      q.store_aligned(codes);
      for (std::size_t j = 0; j < width; ++j) lanes[i + j] = static_cast<std::uint8_t>(codes[j]);
    }
  } else {
    fbatch inv(a.inv_scale[0]);
    ibatch zp(a.zero_point[0]);
    fbatch lo(static_cast<float>(a.qmin - a.zero_point[0]));
    fbatch hi(static_cast<float>(a.qmax - a.zero_point[0]));
    for (; i + width <= n; i += width) {
      if (a.per_element) {
        inv = fbatch::load_unaligned(a.inv_scale + i);
        zp = ibatch::load_unaligned(a.zero_point + i);
        lo = xsimd::to_float(ibatch(a.qmin) - zp);
        hi = xsimd::to_float(ibatch(a.qmax) - zp);
      }
      const fbatch t = fbatch::load_unaligned(x + i) * inv;
      fbatch r = xsimd::select(xsimd::isnan(t), zero, xsimd::nearbyint(t));  // NaN -> the zero point
      r = xsimd::min(xsimd::max(r, lo), hi);
      (xsimd::to_int(r) + zp).store_aligned(codes);
      for (std::size_t j = 0; j < width; ++j) lanes[i + j] = static_cast<std::uint8_t>(codes[j]);
    }
  }
  quantize_tail(x, n, i, a, lanes);
}

template <class XArch>
void dequantize_lanes_xsimd(const std::uint8_t* lanes, std::size_t n, bool is_signed, const float* scale,
                            const std::int32_t* zero_point, bool per_element, float* out) noexcept {
  using fbatch = xsimd::batch<float, XArch>;
  using ibatch = xsimd::batch<std::int32_t, XArch>;
  constexpr std::size_t width = fbatch::size;
  alignas(64) std::int32_t codes[width];
  fbatch s(scale[0]);
  ibatch zp(zero_point[0]);
  std::size_t i = 0;
  for (; i + width <= n; i += width) {
    for (std::size_t j = 0; j < width; ++j) {
      codes[j] = is_signed ? static_cast<std::int8_t>(lanes[i + j]) : static_cast<std::int32_t>(lanes[i + j]);
    }
    if (per_element) {
      s = fbatch::load_unaligned(scale + i);
      zp = ibatch::load_unaligned(zero_point + i);
    }
    (s * xsimd::to_float(ibatch::load_aligned(codes) - zp)).store_unaligned(out + i);
  }
  if (i < n) {
    dequantize_lanes_portable(lanes + i, n - i, is_signed, per_element ? scale + i : scale,
                              per_element ? zero_point + i : zero_point, per_element, out + i);
  }
}

template <kernel_path P>
void quantize_lanes(const float* x, std::size_t n, const quantize_lanes_args& a, std::uint8_t* lanes) noexcept {
  if constexpr (P == kernel_path::avx2) {
#if MIXQ_WITH_AVX2
    quantize_lanes_xsimd<xsimd::avx2>(x, n, a, lanes);
#endif
  } else if constexpr (P == kernel_path::neon) {
#if MIXQ_WITH_NEON64
    quantize_lanes_xsimd<xsimd::neon64>(x, n, a, lanes);
#endif
  } else {
    quantize_lanes_portable(x, n, a, lanes);
  }
}

template <kernel_path P>
void dequantize_lanes(const std::uint8_t* lanes, std::size_t n, bool is_signed, const float* scale,
                      const std::int32_t* zero_point, bool per_element, float* out) noexcept {
  if constexpr (P == kernel_path::avx2) {
#if MIXQ_WITH_AVX2
    dequantize_lanes_xsimd<xsimd::avx2>(lanes, n, is_signed, scale, zero_point, per_element, out);
#endif
  } else if constexpr (P == kernel_path::neon) {
#if MIXQ_WITH_NEON64
    dequantize_lanes_xsimd<xsimd::neon64>(lanes, n, is_signed, scale, zero_point, per_element, out);
#endif
  } else {
    dequantize_lanes_portable(lanes, n, is_signed, scale, zero_point, per_element, out);
  }
}

#if MIXQ_WITH_AVX512VNNI
// How far ahead the input streams are prefetched: the hardware prefetcher
// alone leaves these loops waiting on memory.
inline constexpr std::size_t stream_prefetch_bytes = 8192;

template <>
inline void quantize_lanes<kernel_path::avx512vnni>(const float* x, std::size_t n, const quantize_lanes_args& a,
                                                    std::uint8_t* lanes) noexcept {
  std::size_t i = 0;
  if (a.binary) {
    const __m128i plus = _mm_set1_epi8(1), minus = _mm_set1_epi8(-1);
    for (; i + 16 <= n; i += 16) {
      // Not less than zero, or unordered (NaN): +1.
      const __mmask16 up = _mm512_cmp_ps_mask(_mm512_loadu_ps(x + i), _mm512_setzero_ps(), _CMP_NLT_UQ);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes + i), _mm_mask_blend_epi8(up, minus, plus));
    }
  } else {
    __m512 inv = _mm512_set1_ps(a.inv_scale[0]);
    __m512i zp = _mm512_set1_epi32(a.zero_point[0]);
    const __m512i qmin = _mm512_set1_epi32(a.qmin), qmax = _mm512_set1_epi32(a.qmax);
    __m512 lo = _mm512_cvtepi32_ps(_mm512_sub_epi32(qmin, zp));
    __m512 hi = _mm512_cvtepi32_ps(_mm512_sub_epi32(qmax, zp));
    for (; i + 16 <= n; i += 16) {
      if (a.per_element) {
        inv = _mm512_loadu_ps(a.inv_scale + i);
        zp = _mm512_loadu_si512(a.zero_point + i);
        lo = _mm512_cvtepi32_ps(_mm512_sub_epi32(qmin, zp));
        hi = _mm512_cvtepi32_ps(_mm512_sub_epi32(qmax, zp));
      }
      _mm_prefetch(reinterpret_cast<const char*>(x + i) + stream_prefetch_bytes, _MM_HINT_T0);
      const __m512 t = _mm512_mul_ps(_mm512_loadu_ps(x + i), inv);
      const __mmask16 nan = _mm512_cmp_ps_mask(t, t, _CMP_UNORD_Q);
      __m512 r = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      r = _mm512_min_ps(_mm512_max_ps(r, lo), hi);
      const __m512i q = _mm512_mask_mov_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(r), zp), nan, zp);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes + i), _mm512_cvtepi32_epi8(q));
    }
  }
  quantize_tail(x, n, i, a, lanes);
}

template <>
inline void dequantize_lanes<kernel_path::avx512vnni>(const std::uint8_t* lanes, std::size_t n, bool is_signed,
                                                      const float* scale, const std::int32_t* zero_point,
                                                      bool per_element, float* out) noexcept {
  __m512 s = _mm512_set1_ps(scale[0]);
  __m512i zp = _mm512_set1_epi32(zero_point[0]);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm_prefetch(reinterpret_cast<const char*>(lanes + i) + stream_prefetch_bytes, _MM_HINT_T0);
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(lanes + i));
    const __m512i codes = is_signed ? _mm512_cvtepi8_epi32(bytes) : _mm512_cvtepu8_epi32(bytes);
    if (per_element) {
      s = _mm512_loadu_ps(scale + i);
      zp = _mm512_loadu_si512(zero_point + i);
    }
    _mm512_storeu_ps(out + i, _mm512_mul_ps(s, _mm512_cvtepi32_ps(_mm512_sub_epi32(codes, zp))));
  }
  if (i < n) {
    dequantize_lanes_portable(lanes + i, n - i, is_signed, per_element ? scale + i : scale,
                              per_element ? zero_point + i : zero_point, per_element, out + i);
  }
}
#endif

// Checks a run-time scheme and its parameters once per call.
inline void check_quantize_params(std::string_view where, scheme s, const channel_params& p, std::size_t channels) {
  const float* scale = p.scale;
  const std::int32_t* zero_point = p.zero_point;
  if (const char* why = scheme_problem(s)) MIXQ_THROW(error, "{}: invalid scheme: {}", where, why);
  if (channels > 0 && (scale == nullptr || zero_point == nullptr)) {
    MIXQ_THROW(error, "{}: scale or zero_point is null", where);
  }
  for (std::size_t c = 0; c < channels; ++c) {
    const float sc = scale[c];
    if (!(std::isfinite(sc) && sc > 0.0f)) {
      MIXQ_THROW(error, "{}: scale[{}] = {} is invalid; expected a finite scale > 0", where, c, sc);
    }
    if (is_pow2(s)) {
      int e = 0;
      if (std::frexp(sc, &e) != 0.5f) {
        MIXQ_THROW(error, "{}: scale[{}] = {} is not a power of two, as the power-of-two scheme requires", where, c, sc);
      }
    }
    const std::int32_t zp = zero_point[c];
    if (s.symmetric && zp != symmetric_zero_point(s)) {
      MIXQ_THROW(error, "{}: zero_point[{}] = {} is invalid; a symmetric scheme fixes it at {}", where, c, zp,
                 symmetric_zero_point(s));
    }
    if (zp < qmin(s) || zp > qmax(s)) {
      if (!is_binary(s)) {
        MIXQ_THROW(error, "{}: zero_point[{}] = {} is out of range; expected {} <= zero_point <= {}", where, c, zp,
                   qmin(s), qmax(s));
      }
    }
  }
}

inline std::size_t channel_count(channel_axis axis, std::size_t rows, std::size_t cols) noexcept {
  return axis == channel_axis::tensor ? 1 : axis == channel_axis::row ? rows : cols;
}

}  // namespace detail

/// Quantizes rows of floats to codes of a run-time scheme (quantize_args):
/// 8-bit lanes, or a packed row for fewer bits. The parameters hold one
/// entry per channel along args.channels.axis. Throws mixq::error for an
/// invalid scheme or parameters, once per call.
struct quantize_fn : detail::kernel_functor<const quantize_args&> {
  using detail::kernel_functor<const quantize_args&>::operator();

  template <KernelArch Arch>
  void operator()(Arch, const quantize_args& a) const {
    constexpr kernel_path P = kernel_path_of<Arch>;
    const scheme s = a.scheme;
    const std::size_t rows = a.rows, cols = a.cols;
    const channel_axis axis = a.channels.axis;
    const std::size_t count = detail::channel_count(axis, rows, cols);
    detail::check_quantize_params("mixq::quantize_kernel", s, a.channels, rows == 0 || cols == 0 ? 0 : count);
    if (rows == 0 || cols == 0) return;
    detail::check_pack_args("mixq::quantize_kernel", s.bits, cols, a.x_stride, a.out_stride, a.x, a.out);

    // 1.0f / scale once per channel, in float32 like the rule.
    float* inv = detail::scratch<float, 6>(count);
    for (std::size_t c = 0; c < count; ++c) inv[c] = 1.0f / a.channels.scale[c];
    detail::quantize_lanes_args args;
    args.qmin = qmin(s);
    args.qmax = qmax(s);
    args.binary = is_binary(s);
    args.per_element = axis == channel_axis::column;
    alignas(64) std::uint8_t lanes[detail::lanes_chunk];
    for (std::size_t r = 0; r < rows; ++r) {
      const float* in = a.x + r * a.x_stride;
      std::uint8_t* o = a.out + r * a.out_stride;
      const std::size_t c = axis == channel_axis::row ? r : 0;
      for (std::size_t k = 0; k < cols; k += detail::lanes_chunk) {
        const std::size_t n = std::min(detail::lanes_chunk, cols - k);
        args.inv_scale = inv + (args.per_element ? k : c);
        args.zero_point = a.channels.zero_point + (args.per_element ? k : c);
        if (s.bits == 8) {
          detail::quantize_lanes<P>(in + k, n, args, o + k);
        } else {
          detail::quantize_lanes<P>(in + k, n, args, lanes);
          detail::pack_lanes<P>(lanes, n, s.bits, o + k * static_cast<std::size_t>(s.bits) / 8);
        }
      }
    }
  }
};

/// Dequantizes rows of codes of a run-time scheme (8-bit lanes or packed
/// rows) to floats (dequantize_args). Parameters as for quantize_fn.
struct dequantize_fn : detail::kernel_functor<const dequantize_args&> {
  using detail::kernel_functor<const dequantize_args&>::operator();

  template <KernelArch Arch>
  void operator()(Arch, const dequantize_args& a) const {
    constexpr kernel_path P = kernel_path_of<Arch>;
    const scheme s = a.scheme;
    const std::size_t rows = a.rows, cols = a.cols;
    const channel_axis axis = a.channels.axis;
    const std::size_t count = detail::channel_count(axis, rows, cols);
    detail::check_quantize_params("mixq::dequantize_kernel", s, a.channels, rows == 0 || cols == 0 ? 0 : count);
    if (rows == 0 || cols == 0) return;
    detail::check_pack_args("mixq::dequantize_kernel", s.bits, cols, a.out_stride, a.q_stride, a.out, a.q);
    const bool per_element = axis == channel_axis::column;
    alignas(64) std::uint8_t lanes[detail::lanes_chunk];
    for (std::size_t r = 0; r < rows; ++r) {
      const std::uint8_t* in = a.q + r * a.q_stride;
      float* o = a.out + r * a.out_stride;
      const std::size_t c = axis == channel_axis::row ? r : 0;
      for (std::size_t k = 0; k < cols; k += detail::lanes_chunk) {
        const std::size_t n = std::min(detail::lanes_chunk, cols - k);
        const float* sc = a.channels.scale + (per_element ? k : c);
        const std::int32_t* zp = a.channels.zero_point + (per_element ? k : c);
        const std::uint8_t* src = in + k;
        if (s.bits != 8) {
          detail::unpack_lanes<P>(in + k * static_cast<std::size_t>(s.bits) / 8, n, s.bits, s.is_signed, lanes);
          src = lanes;
        }
        detail::dequantize_lanes<P>(src, n, s.is_signed, sc, zp, per_element, o + k);
      }
    }
  }
};

inline constexpr quantize_fn quantize_kernel{};
inline constexpr dequantize_fn dequantize_kernel{};

}  // namespace mixq
