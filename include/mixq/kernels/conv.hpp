#pragma once
// Convolutions on NHWC activations with int32 accumulation and the same
// outputs as the GEMM (int32, or requantized in the same pass):
//
//   conv2d_kernel     any kernel size, stride, padding and dilation, as a
//                     GEMM over patches (im2col in blocks of output pixels;
//                     a 1x1 convolution with stride 1 reads the input as is).
//                     Weights: O x (KH * KW * C), packed by pack_weights()
//                     with K ordered (ky, kx, c) -- OHWI.
//   depthwise_kernel  3x3 depthwise, stride 1 or 2, any padding, computed
//                     directly; weights int8 [3][3][C].
//
// Padding contributes the input zero point, i.e. nothing after the
// zero-point correction, as in TFLite.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>
#include <type_traits>

#include <mixq/config.hpp>
#include <mixq/kernels/arch.hpp>
#include <mixq/kernels/args.hpp>
#include <mixq/kernels/gemm.hpp>
#include <mixq/kernels/pack.hpp>
#include <mixq/kernels/requantize.hpp>
#include <mixq/kernels/scratch.hpp>

namespace mixq {

namespace detail {

inline void check_conv_shape(std::string_view where, const conv2d_shape& s) {
  if (s.kernel_h == 0 || s.kernel_w == 0 || s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 ||
      s.dilation_w == 0) {
    MIXQ_THROW(error, "{}: kernel {}x{}, stride {}x{}, dilation {}x{}; expected all >= 1", where, s.kernel_h,
               s.kernel_w, s.stride_h, s.stride_w, s.dilation_h, s.dilation_w);
  }
  if (s.height + s.pad_top + s.pad_bottom < s.span_h() || s.width + s.pad_left + s.pad_right < s.span_w()) {
    MIXQ_THROW(error, "{}: the padded input ({}x{}) is smaller than the dilated kernel ({}x{})", where,
               s.height + s.pad_top + s.pad_bottom, s.width + s.pad_left + s.pad_right, s.span_h(), s.span_w());
  }
}

inline row_range check_conv_input(std::string_view where, const conv2d_shape& s, const conv_input& in, row_range pixels) {
  check_operand_codes(where, "input", in.bits, in.is_signed, in.zero_point);
  if (s.batch * s.height * s.width > 0) {
    if (in.data == nullptr) MIXQ_THROW(error, "{}: input data is null", where);
    if (in.pixel_stride < packed_row_bytes(s.channels, in.bits)) {
      MIXQ_THROW(error, "{}: input pixel_stride = {} bytes is smaller than a pixel ({} bytes)", where, in.pixel_stride,
                 packed_row_bytes(s.channels, in.bits));
    }
  }
  if (pixels.end == std::numeric_limits<std::size_t>::max()) pixels.end = s.out_pixels();
  if (pixels.begin > pixels.end || pixels.end > s.out_pixels()) {
    MIXQ_THROW(error, "{}: pixel range [{}, {}) is invalid; expected 0 <= begin <= end <= {} (output pixels)", where,
               pixels.begin, pixels.end, s.out_pixels());
  }
  return pixels;
}

// An output whose row 0 is row `first` of `out`.
inline int32_output rows_from(const int32_output& out, std::size_t first) noexcept {
  return {out.data + first * out.stride, out.stride};
}
inline requantized_output rows_from(const requantized_output& out, std::size_t first) noexcept {
  return {out.data + first * out.stride, out.stride, out.params};
}

// The lane the input zero point has in an 8-bit lane (two's complement for signed codes).
inline std::uint8_t zero_lane(const conv_input& in) noexcept { return static_cast<std::uint8_t>(in.zero_point); }

// n bytes, B <= n <= 2B, as two B-byte moves that overlap (the first and
// the last B bytes), as glibc's memcpy does for small sizes.
template <std::size_t B>
MIXQ_INLINE void copy_overlapping(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) noexcept {
  std::uint8_t head[B], tail[B];
  std::memcpy(head, src, B);
  std::memcpy(tail, src + n - B, B);
  std::memcpy(dst, head, B);
  std::memcpy(dst + n - B, tail, B);
}

// n bytes from src to dst, and n copies of a byte, exactly: the short runs
// of a patch row. Inline -- a call per tap costs more than the copy.
MIXQ_INLINE void copy_lanes(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) noexcept {
  if (n >= 64) {
    std::memcpy(dst, src, n);
  } else if (n >= 32) {
    copy_overlapping<32>(dst, src, n);
  } else if (n >= 16) {
    copy_overlapping<16>(dst, src, n);
  } else if (n >= 8) {
    copy_overlapping<8>(dst, src, n);
  } else if (n >= 4) {
    copy_overlapping<4>(dst, src, n);
  } else {
    for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

// `count` copies of n bytes, dst and src advancing by their steps: copy_lanes
// with the way of copying chosen once for them all.
MIXQ_INLINE void copy_strided(std::uint8_t* dst, std::size_t dst_step, const std::uint8_t* src, std::size_t src_step,
                              std::size_t n, std::size_t count) noexcept {
  auto each = [&]<std::size_t B>(std::integral_constant<std::size_t, B>) {
    for (std::size_t j = 0; j < count; ++j, dst += dst_step, src += src_step) copy_overlapping<B>(dst, src, n);
  };
  if (n >= 64 || n < 4) {
    for (std::size_t j = 0; j < count; ++j, dst += dst_step, src += src_step) copy_lanes(dst, src, n);
  } else if (n >= 32) {
    each(std::integral_constant<std::size_t, 32>{});
  } else if (n >= 16) {
    each(std::integral_constant<std::size_t, 16>{});
  } else if (n >= 8) {
    each(std::integral_constant<std::size_t, 8>{});
  } else {
    each(std::integral_constant<std::size_t, 4>{});
  }
}

MIXQ_INLINE void fill_lanes(std::uint8_t* dst, std::uint8_t value, std::size_t n) noexcept {
  if (n >= 64) {
    std::memset(dst, value, n);
    return;
  }
  std::uint8_t run[64];
  std::memset(run, value, sizeof run);
  copy_lanes(dst, run, n);
}

// Writes the patches of output pixels [first, first + count) as rows of K
// lanes. The taps of one kernel row that fall inside the input are one run
// of memory when the codes are bytes, packed pixel after pixel and not
// dilated: one copy per kernel row, not one per tap (a 3x3 convolution of a
// one-channel image would otherwise copy single bytes).
template <kernel_path P>
void im2col(const conv2d_shape& s, const conv_input& in, std::size_t first, std::size_t count, std::uint8_t* rows,
            std::size_t row_stride) noexcept {
  const std::size_t oh = s.out_height(), ow = s.out_width();
  const std::size_t c = s.channels, kw = s.kernel_w, tap_row = kw * c;
  const std::uint8_t pad = zero_lane(in);
  const bool runs = in.bits == 8 && in.pixel_stride == c && s.dilation_w == 1;
  // Signed arithmetic on purpose: a tap may fall in the padding.
  const auto height = static_cast<std::ptrdiff_t>(s.height), width = static_cast<std::ptrdiff_t>(s.width);
  const auto taps = static_cast<std::ptrdiff_t>(kw);
  // Pixels in runs along one output row, kernel row by kernel row: each
  // input row is found once per run, and the inner loop is a plain stride.
  for (std::size_t i = 0; i < count;) {
    const std::size_t p = first + i;
    const std::size_t n = p / (oh * ow), y = (p / ow) % oh, x_begin = p % ow;
    const std::size_t length = std::min(count - i, ow - x_begin);
    for (std::size_t ky = 0; ky < s.kernel_h; ++ky) {
      std::uint8_t* dst = rows + i * row_stride + ky * tap_row;
      const auto iy = static_cast<std::ptrdiff_t>(y * s.stride_h + ky * s.dilation_h) -
                      static_cast<std::ptrdiff_t>(s.pad_top);
      if (iy < 0 || iy >= height) {
        for (std::size_t j = 0; j < length; ++j, dst += row_stride) fill_lanes(dst, pad, tap_row);
        continue;
      }
      const std::uint8_t* row = in.data + (n * s.height + static_cast<std::size_t>(iy)) * s.width * in.pixel_stride;
      const auto pixel = [&](std::size_t x, std::uint8_t* at) {
        const auto x0 = static_cast<std::ptrdiff_t>(x * s.stride_w) - static_cast<std::ptrdiff_t>(s.pad_left);
        if (runs) {
          if (x0 >= 0 && x0 + taps <= width) {
            copy_lanes(at, row + static_cast<std::size_t>(x0) * c, tap_row);
            return;
          }
          // Taps [lo, hi) are inside the input, the rest padding.
          const std::ptrdiff_t lo = std::clamp<std::ptrdiff_t>(-x0, 0, taps);
          const std::ptrdiff_t hi = std::clamp<std::ptrdiff_t>(width - x0, lo, taps);
          const auto lanes = [c](std::ptrdiff_t t) { return static_cast<std::size_t>(t) * c; };
          fill_lanes(at, pad, lanes(lo));
          // (With no tap inside -- padding wider than the kernel -- x0 + lo
          // may be negative: no pointer is formed then.)
          if (hi > lo) copy_lanes(at + lanes(lo), row + lanes(x0 + lo), lanes(hi - lo));
          fill_lanes(at + lanes(hi), pad, lanes(taps - hi));
          return;
        }
        for (std::size_t kx = 0; kx < kw; ++kx) {
          const auto ix = x0 + static_cast<std::ptrdiff_t>(kx * s.dilation_w);
          std::uint8_t* tap = at + kx * c;
          if (ix < 0 || ix >= width) {
            fill_lanes(tap, pad, c);
          } else if (const std::uint8_t* src = row + static_cast<std::size_t>(ix) * in.pixel_stride; in.bits == 8) {
            copy_lanes(tap, src, c);
          } else {
            unpack_lanes<P>(src, c, in.bits, in.is_signed, tap);
          }
        }
      };
      const std::size_t x_end = x_begin + length;
      const auto pixels = [&](std::size_t from, std::size_t to) {
        for (std::size_t x = from; x < to; ++x) pixel(x, dst + (x - x_begin) * row_stride);
      };
      // Pixels whose taps all lie inside the input row, [inner_lo, inner_hi):
      // one copy of a whole kernel row each, its size dispatched once.
      const std::size_t pl = s.pad_left, sw = s.stride_w;
      const std::size_t inner_lo = std::max(x_begin, (pl + sw - 1) / sw);
      const std::size_t inner_hi = s.width + pl >= kw ? std::min(x_end, (s.width + pl - kw) / sw + 1) : 0;
      if (runs && inner_lo < inner_hi) {
        pixels(x_begin, inner_lo);
        copy_strided(dst + (inner_lo - x_begin) * row_stride, row_stride, row + (inner_lo * sw - pl) * c, sw * c,
                     tap_row, inner_hi - inner_lo);
        pixels(inner_hi, x_end);
      } else {
        pixels(x_begin, x_end);
      }
    }
    i += length;
  }
}

}  // namespace detail

/// The general convolution: conv2d_kernel(arch, shape, input, weights, bias, out[, pixels]).
/// Output row p (an output pixel, NHWC order) holds its O channels. `pixels`
/// selects a range of output pixels for the caller's own threads.
struct conv2d_fn : detail::kernel_functor<> {
  using detail::kernel_functor<>::operator();

  template <KernelArch Arch, class Output>
  void operator()(Arch, const conv2d_shape& s, const conv_input& in, const packed_weight_matrix& w,
                  const std::int32_t* bias, const Output& out, row_range pixels = {}) const {
    constexpr kernel_path P = kernel_path_of<Arch>;
    constexpr std::string_view where = "mixq::conv2d_kernel";
    detail::check_conv_shape(where, s);
    pixels = detail::check_conv_input(where, s, in, pixels);
    if (w.layout().bits == 1) MIXQ_THROW(error, "{}: binary weights are not supported by convolutions", where);
    if (w.k() != s.patch()) {
      MIXQ_THROW(error, "{}: the weights have K = {} but a patch has {} x {} x {} = {} codes; expected equal", where,
                 w.k(), s.kernel_h, s.kernel_w, s.channels, s.patch());
    }
    const weight_layout expected = weight_layout_for(P, w.layout().bits);
    if (pixels.begin == pixels.end || w.n() == 0) return;
    detail::check_output(where, out, w.n());

    const bool direct = s.kernel_h == 1 && s.kernel_w == 1 && s.stride_h == 1 && s.stride_w == 1 &&
                        s.pad_top + s.pad_bottom + s.pad_left + s.pad_right == 0;
    if (direct) {
      // A 1x1 convolution with stride 1 is a GEMM over the pixels as they are.
      const activation_matrix a{in.data, s.out_pixels(), s.channels, in.pixel_stride, in.bits, in.is_signed,
                                in.zero_point};
      detail::check_gemm_args(where, expected, a, w, pixels);
      detail::gemm_driver<P>(a, w, bias, out, pixels);
      return;
    }
    // Patches in blocks of pixels, sized to stay in the L2 cache.
    const std::size_t k = s.patch();
    const std::size_t block = std::clamp<std::size_t>((std::size_t{256} << 10) / (k ? k : 1), 1, 1024);
    auto* patches = detail::scratch<std::uint8_t, 7>(block * k);
    for (std::size_t p = pixels.begin; p < pixels.end; p += block) {
      const std::size_t count = std::min(block, pixels.end - p);
      detail::im2col<P>(s, in, p, count, patches, k);
      const activation_matrix a{patches, count, k, k, 8, in.is_signed, in.zero_point};
      row_range all{0, count};
      detail::check_gemm_args(where, expected, a, w, all);
      detail::gemm_driver<P>(a, w, bias, detail::rows_from(out, p), all);
    }
  }
};

namespace detail {

// The nine input rows the taps of output pixel p read, in (ky, kx) order; a
// tap in the padding reads `zero_row` (zero-point codes: it adds nothing).
inline void depthwise_taps(const conv2d_shape& s, const conv_input& in, std::size_t p, const std::uint8_t* zero_row,
                           const std::uint8_t** tap_x) noexcept {
  const std::size_t oh = s.out_height(), ow = s.out_width();
  const std::size_t n = p / (oh * ow), y = (p / ow) % oh, x = p % ow;
  for (std::size_t ky = 0; ky < 3; ++ky) {
    const auto iy = static_cast<std::ptrdiff_t>(y * s.stride_h + ky) - static_cast<std::ptrdiff_t>(s.pad_top);
    for (std::size_t kx = 0; kx < 3; ++kx) {
      const auto ix = static_cast<std::ptrdiff_t>(x * s.stride_w + kx) - static_cast<std::ptrdiff_t>(s.pad_left);
      const bool inside =
          iy >= 0 && iy < static_cast<std::ptrdiff_t>(s.height) && ix >= 0 && ix < static_cast<std::ptrdiff_t>(s.width);
      tap_x[ky * 3 + kx] =
          inside ? in.data + ((n * s.height + static_cast<std::size_t>(iy)) * s.width + static_cast<std::size_t>(ix)) *
                                 in.pixel_stride
                 : zero_row;
    }
  }
}

// One output pixel of the depthwise convolution: acc[c] = bias[c] (0 when
// bias is null) + sum over the nine taps t of (x[t][c] - zp) * w[t * n + c]
// (the AVX2, NEON and scalar paths: the compiler vectorises the loops).
MIXQ_INLINE void depthwise_pixel(std::int32_t* acc, const std::uint8_t* const* x, const std::int32_t* w,
                                 std::size_t n, const std::int32_t* bias, bool is_signed, std::int32_t zp) noexcept {
  for (std::size_t c = 0; c < n; ++c) acc[c] = bias ? bias[c] : 0;
  for (std::size_t t = 0; t < 9; ++t) {
    const std::uint8_t* xs = x[t];
    const std::int32_t* ws = w + t * n;
    if (is_signed) {
      for (std::size_t c = 0; c < n; ++c) acc[c] += (static_cast<std::int8_t>(xs[c]) - zp) * ws[c];
    } else {
      for (std::size_t c = 0; c < n; ++c) acc[c] += (static_cast<std::int32_t>(xs[c]) - zp) * ws[c];
    }
  }
}

// Output pixels the depthwise kernel computes before requantizing them
// together; on AVX-512 VNNI a run along one output row, whose pixels share
// interleaved input columns.
inline constexpr std::size_t depthwise_run_pixels = 8;

#if MIXQ_WITH_AVX512VNNI
// The AVX-512 VNNI depthwise kernel takes the three taps of one kernel column
// a vpdpbusd: each 32-bit lane holds one channel's codes in the three input
// rows of that column (the fourth byte meets a zero weight) and meets that
// channel's three weights. It runs along an output row a few pixels at a
// time: each input column under the run is interleaved once and serves every
// pixel whose window covers it (three at stride 1), where interleaving per
// pixel would repeat it. Codes enter unsigned (signed ones offset by 128), so
// the zero point leaves the loop: sum_t (x_t - zp) w_t = sum_t u_t w_t - zp_u
// sum_t w_t, the second term folded into the bias (a tap in the padding reads
// zero-point codes, as on every path). Within one 64-channel block the four
// interleaved vectors hold channels in the order lane L, vector j, dword i ->
// L*16 + j*4 + i; the weights and bias are stored in that order and the
// accumulators transposed back (4x4 blocks of 128 bits) before the store.
// Bound: |sum| <= 9 * 255 * 128 plus the bias, added with wrap-around as the
// other paths do.
struct depthwise_vnni_layout {
  const __m512i* weights;  // [block][kx 0..2][vector 0..3]
  const __m512i* bias;     // [block][vector 0..3]: bias - zp_u * sum of the nine weights
  std::size_t channels;
  bool is_signed;
};

// The bytes of a 64-channel block that hold channels, `left` of them from its start.
MIXQ_INLINE __mmask64 block_mask(std::size_t left) noexcept {
  return left >= 64 ? ~__mmask64{0} : (__mmask64{1} << left) - 1;
}

// f(v, mask) for each vector of 16 channels that holds some of `left`.
template <class F>
MIXQ_INLINE void for_each_vector(std::size_t left, F&& f) noexcept {
  for (std::size_t v = 0; v < 4 && v * 16 < left; ++v) {
    f(v, static_cast<__mmask16>((1u << std::min<std::size_t>(16, left - v * 16)) - 1u));
  }
}

// Three rows of 64 bytes interleaved byte by byte, a zero fourth: dword i of
// lane L of v[j] holds the three bytes of channel L*16 + j*4 + i.
MIXQ_INLINE void interleave_rows(__m512i r0, __m512i r1, __m512i r2, __m512i* v) noexcept {
  const __m512i zero = _mm512_setzero_si512();
  const __m512i lo01 = _mm512_unpacklo_epi8(r0, r1), hi01 = _mm512_unpackhi_epi8(r0, r1);
  const __m512i lo2 = _mm512_unpacklo_epi8(r2, zero), hi2 = _mm512_unpackhi_epi8(r2, zero);
  v[0] = _mm512_unpacklo_epi16(lo01, lo2);
  v[1] = _mm512_unpackhi_epi16(lo01, lo2);
  v[2] = _mm512_unpacklo_epi16(hi01, hi2);
  v[3] = _mm512_unpackhi_epi16(hi01, hi2);
}

// The 4 x 4 transpose of 128-bit blocks (its own inverse) between that
// order and the channels': lane L of v[j] becomes lane j of out[L].
MIXQ_INLINE void transpose_blocks(const __m512i* v, __m512i* out) noexcept {
  const __m512i t01lo = _mm512_shuffle_i32x4(v[0], v[1], 0x44), t23lo = _mm512_shuffle_i32x4(v[2], v[3], 0x44);
  const __m512i t01hi = _mm512_shuffle_i32x4(v[0], v[1], 0xEE), t23hi = _mm512_shuffle_i32x4(v[2], v[3], 0xEE);
  out[0] = _mm512_shuffle_i32x4(t01lo, t23lo, 0x88);
  out[1] = _mm512_shuffle_i32x4(t01lo, t23lo, 0xDD);
  out[2] = _mm512_shuffle_i32x4(t01hi, t23hi, 0x88);
  out[3] = _mm512_shuffle_i32x4(t01hi, t23hi, 0xDD);
}

// The weights interleaved like the input columns (the same unpacks, so lane
// for lane), each channel's sum of nine weights from a vpdpbusd against
// ones, and the bias brought into the same order.
inline depthwise_vnni_layout prepare_depthwise_vnni(const std::int8_t* w, const std::int32_t* bias, std::size_t c,
                                                    const conv_input& in) noexcept {
  const std::size_t blocks = (c + 63) / 64;
  auto* wp = reinterpret_cast<__m512i*>(scratch<std::int8_t, 12>(blocks * 12 * 64));
  auto* bp = reinterpret_cast<__m512i*>(scratch<std::int32_t, 12>(blocks * 4 * 16));
  const __m512i ones = _mm512_set1_epi8(1);
  const __m512i zp_u = _mm512_set1_epi32(in.is_signed ? in.zero_point + 128 : in.zero_point);
  for (std::size_t b = 0, c0 = 0; c0 < c; ++b, c0 += 64) {
    const std::size_t left = c - c0;
    const __mmask64 m = block_mask(left);
    __m512i sums[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
    for (std::size_t kx = 0; kx < 3; ++kx) {
      const auto row = [&](std::size_t ky) {
        return _mm512_maskz_loadu_epi8(m, w + (ky * 3 + kx) * c + c0);
      };
      __m512i* v = wp + (b * 3 + kx) * 4;
      interleave_rows(row(0), row(1), row(2), v);
      for (std::size_t j = 0; j < 4; ++j) sums[j] = _mm512_dpbusd_epi32(sums[j], ones, v[j]);
    }
    __m512i natural[4], ordered[4];
    for (std::size_t q = 0; q < 4; ++q) {
      const std::size_t have = left > 16 * q ? std::min<std::size_t>(16, left - 16 * q) : 0;
      const auto mq = static_cast<__mmask16>((1u << have) - 1u);
      natural[q] = bias ? _mm512_maskz_loadu_epi32(mq, bias + c0 + 16 * q) : _mm512_setzero_si512();
    }
    transpose_blocks(natural, ordered);
    for (std::size_t j = 0; j < 4; ++j) bp[b * 4 + j] = _mm512_sub_epi32(ordered[j], _mm512_mullo_epi32(zp_u, sums[j]));
  }
  return {wp, bp, c, in.is_signed};
}

// A run of `count` output pixels of one output row: the input rows under the
// kernel's three rows (null outside the image), and the input column under
// the first pixel's left tap.
struct depthwise_run {
  const std::uint8_t* rows[3];
  std::ptrdiff_t x0;
  std::size_t count, stride;
};

// The run's sums: sink(q, c0, sums) receives pixel q's four vectors of
// channels [c0, c0 + 64) in the interleaved order, exact and with the bias.
template <class Sink>
void depthwise_run_vnni(const depthwise_run& run, const conv2d_shape& s, std::size_t pixel_stride,
                        const std::uint8_t* zero_row, const depthwise_vnni_layout& l, const Sink& sink) noexcept {
  constexpr std::size_t max_columns = (depthwise_run_pixels - 1) * 2 + 3;
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const std::size_t columns = (run.count - 1) * run.stride + 3;
  __m512i column[max_columns][4];
  for (std::size_t b = 0, c0 = 0; c0 < l.channels; ++b, c0 += 64) {
    const __mmask64 m = block_mask(l.channels - c0);
    for (std::size_t k = 0; k < columns; ++k) {
      const std::ptrdiff_t x = run.x0 + static_cast<std::ptrdiff_t>(k);
      const bool inside = x >= 0 && x < static_cast<std::ptrdiff_t>(s.width);
      __m512i a[3];
      for (std::size_t ky = 0; ky < 3; ++ky) {
        const std::uint8_t* at = inside && run.rows[ky] != nullptr
                                     ? run.rows[ky] + static_cast<std::size_t>(x) * pixel_stride + c0
                                     : zero_row + c0;
        a[ky] = _mm512_maskz_loadu_epi8(m, at);
        if (l.is_signed) a[ky] = _mm512_xor_si512(a[ky], flip);
      }
      interleave_rows(a[0], a[1], a[2], column[k]);
    }
    const __m512i* wb = l.weights + b * 12;
    for (std::size_t q = 0; q < run.count; ++q) {
      __m512i acc_v[4];
      for (std::size_t j = 0; j < 4; ++j) acc_v[j] = _mm512_load_si512(l.bias + b * 4 + j);
      for (std::size_t kx = 0; kx < 3; ++kx) {
        const __m512i* col = column[q * run.stride + kx];
        for (std::size_t j = 0; j < 4; ++j) {
          acc_v[j] = _mm512_dpbusd_epi32(acc_v[j], col[j], _mm512_load_si512(wb + kx * 4 + j));
        }
      }
      sink(q, c0, acc_v);
    }
  }
}

// A sink of depthwise_run_vnni: int32 sums at acc[q * stride + c].
struct depthwise_to_sums {
  std::int32_t* acc;
  std::size_t stride, channels;
  MIXQ_INLINE void operator()(std::size_t q, std::size_t c0, const __m512i* interleaved) const noexcept {
    __m512i sums[4];
    transpose_blocks(interleaved, sums);  // back to channel order
    for_each_vector(channels - c0, [&](std::size_t v, __mmask16 m) {
      _mm512_mask_storeu_epi32(acc + q * stride + c0 + v * 16, m, sums[v]);
    });
  }
};

// The plan with its per-channel arrays in the interleaved order, blocks of
// 64 channels (zeros past the channels), so that a requantizer reads the
// parameters of interleaved vector j of the block at c0 from channel
// c0 + 16 j on. A per-tensor plan is returned as it is.
inline requantize_plan interleave_plan(const requantize_plan& plan, std::size_t channels) noexcept {
  if (!plan.params.per_channel) return plan;
  const std::size_t padded = (channels + 63) / 64 * 64;
  const bool fp32 = plan.params.rule == requantize_rule::float32;
  const void* from[4] = {plan.params.scale, nullptr, nullptr, nullptr};
  if (!fp32) from[0] = plan.multiplier, from[1] = plan.right, from[2] = plan.mask, from[3] = plan.half;
  auto* to = scratch<std::int32_t, 13>((fp32 ? 1 : 4) * padded);
  for (std::size_t a = 0; a < (fp32 ? 1u : 4u); ++a) {
    const auto* in = static_cast<const std::int32_t*>(from[a]);
    for (std::size_t c0 = 0; c0 < channels; c0 += 64) {
      __m512i natural[4], ordered[4];
      for (std::size_t v = 0; v < 4; ++v) natural[v] = _mm512_setzero_si512();
      for_each_vector(channels - c0, [&](std::size_t v, __mmask16 m) {
        natural[v] = _mm512_maskz_loadu_epi32(m, in + c0 + v * 16);
      });
      transpose_blocks(natural, ordered);  // its own inverse
      for (std::size_t j = 0; j < 4; ++j) _mm512_storeu_si512(to + a * padded + c0 + j * 16, ordered[j]);
    }
  }
  requantize_plan out = plan;
  if (fp32) {
    out.params.scale = reinterpret_cast<const float*>(to);
  } else {
    out.multiplier = to;
    out.right = to + padded;
    out.mask = to + 2 * padded;
    out.half = to + 3 * padded;
  }
  return out;
}

// A sink of depthwise_run_vnni: 8-bit codes at out[q * stride + c] under a
// plan that requantizes_by_lanes accepts (Lanes its rule), made by
// interleave_plan. The codes stay in the interleaved order until two rounds
// of packs narrow them, which puts them in channel order: lane L of
// interleaved vector j holds channels 16 L + 4 j + (0..3), and packing
// vectors 0-3 lane by lane lines those up as 16 L + (0..15).
template <class Lanes>
struct depthwise_to_codes {
  const requantize_plan& plan;  // interleaved
  std::uint8_t* out;
  std::size_t stride, channels;
  MIXQ_INLINE void operator()(std::size_t q, std::size_t c0, const __m512i* interleaved) const noexcept {
    __m512i codes[4];
    for (std::size_t j = 0; j < 4; ++j) codes[j] = Lanes(plan, c0 + j * 16, __mmask16(0xffff)).codes(interleaved[j]);
    // Codes are within the output's range, so the saturating packs are exact.
    const __m512i low = _mm512_packs_epi32(codes[0], codes[1]), high = _mm512_packs_epi32(codes[2], codes[3]);
    const __m512i bytes = plan.params.is_signed ? _mm512_packs_epi16(low, high) : _mm512_packus_epi16(low, high);
    _mm512_mask_storeu_epi8(out + q * stride + c0, block_mask(channels - c0), bytes);
  }
};
#endif

}  // namespace detail

/// 3x3 depthwise convolution: depthwise_kernel(arch, shape, input, weights, bias, out[, pixels]).
/// shape.kernel_h = kernel_w = 3, dilation 1, stride 1 or 2; 8-bit input;
/// weights int8 [ky][kx][c]; output row p holds the C channels of pixel p.
struct depthwise_fn : detail::kernel_functor<> {
  using detail::kernel_functor<>::operator();

  template <KernelArch Arch, class Output>
  void operator()(Arch, const conv2d_shape& s, const conv_input& in, const std::int8_t* weights,
                  const std::int32_t* bias, const Output& out, row_range pixels = {}) const {
    constexpr kernel_path P = kernel_path_of<Arch>;
    constexpr std::string_view where = "mixq::depthwise_kernel";
    detail::check_conv_shape(where, s);
    if (s.kernel_h != 3 || s.kernel_w != 3 || s.dilation_h != 1 || s.dilation_w != 1) {
      MIXQ_THROW(error, "{}: kernel {}x{} with dilation {}x{}; this kernel is 3x3 without dilation", where, s.kernel_h,
                 s.kernel_w, s.dilation_h, s.dilation_w);
    }
    if ((s.stride_h != 1 && s.stride_h != 2) || (s.stride_w != 1 && s.stride_w != 2)) {
      MIXQ_THROW(error, "{}: stride {}x{}; expected 1 or 2", where, s.stride_h, s.stride_w);
    }
    pixels = detail::check_conv_input(where, s, in, pixels);
    if (in.bits != 8) MIXQ_THROW(error, "{}: input bits = {}; the depthwise kernel takes 8-bit input", where, in.bits);
    if (pixels.begin == pixels.end || s.channels == 0) return;
    if (weights == nullptr) MIXQ_THROW(error, "{}: weights are null", where);
    detail::check_output(where, out, s.channels);
    if constexpr (std::is_same_v<Output, requantized_output>) {
      if (out.params.offset != nullptr) {
        MIXQ_THROW(error, "{}: requantize_params.offset must be null; pass the bias argument instead", where);
      }
    }

    const std::size_t c = s.channels;
    // Accumulators for a few output pixels at a time, requantized together
    // (each channel's parameters loaded once for the rows).
    constexpr std::size_t rows_at_once = detail::depthwise_run_pixels;
    auto* acc = detail::scratch<std::int32_t, 9>(rows_at_once * c);
    auto* no_offset = detail::scratch<std::int32_t, 10>(c);  // the bias is already in acc
    std::fill(no_offset, no_offset + c, 0);
    // Whole 64-byte blocks: the AVX-512 path reads a block at a time.
    const std::size_t zero_bytes = (c + 63) / 64 * 64;
    auto* zero_row = detail::scratch<std::uint8_t, 12>(zero_bytes);
    std::memset(zero_row, detail::zero_lane(in), zero_bytes);
    const auto planned = detail::plan_output(out, c);
#if MIXQ_WITH_AVX512VNNI
    if constexpr (P == kernel_path::avx512vnni) {
      const auto layout = detail::prepare_depthwise_vnni(weights, bias, c, in);
      const std::size_t oh = s.out_height(), ow = s.out_width();
      // each(run, p) for the runs that cover the pixels, p the run's first.
      const auto for_each_run = [&](auto&& each) {
        for (std::size_t p = pixels.begin; p < pixels.end;) {
          // A run ends with the pixels, the output row, or rows_at_once pixels.
          const std::size_t image = p / (oh * ow), y = (p / ow) % oh, x = p % ow;
          detail::depthwise_run run{{}, static_cast<std::ptrdiff_t>(x * s.stride_w) - static_cast<std::ptrdiff_t>(s.pad_left),
                                    std::min({rows_at_once, ow - x, pixels.end - p}), s.stride_w};
          for (std::size_t ky = 0; ky < 3; ++ky) {
            const auto iy = static_cast<std::ptrdiff_t>(y * s.stride_h + ky) - static_cast<std::ptrdiff_t>(s.pad_top);
            run.rows[ky] = iy >= 0 && iy < static_cast<std::ptrdiff_t>(s.height)
                               ? in.data + (image * s.height + static_cast<std::size_t>(iy)) * s.width * in.pixel_stride
                               : nullptr;
          }
          each(run, p);
          p += run.count;
        }
      };
      if constexpr (std::is_same_v<Output, requantized_output>) {
        // Codes straight from the registers where the rule allows.
        if (detail::requantizes_by_lanes(planned.plan)) {
          const detail::requantize_plan interleaved = detail::interleave_plan(planned.plan, c);
          const auto to_codes = [&](auto lanes) {
            using lanes_t = typename decltype(lanes)::type;
            for_each_run([&](const detail::depthwise_run& run, std::size_t p) {
              detail::depthwise_run_vnni(run, s, in.pixel_stride, zero_row, layout,
                                         detail::depthwise_to_codes<lanes_t>{interleaved, out.data + p * out.stride,
                                                                             out.stride, c});
            });
          };
          if (planned.plan.params.rule == requantize_rule::float32) {
            to_codes(std::type_identity<detail::fp32_lanes>{});
          } else {
            to_codes(std::type_identity<detail::right_lanes>{});
          }
          return;
        }
      }
      for_each_run([&](const detail::depthwise_run& run, std::size_t p) {
        detail::depthwise_run_vnni(run, s, in.pixel_stride, zero_row, layout, detail::depthwise_to_sums{acc, c, c});
        detail::store_tile<P>(acc, c, run.count, 0, c, no_offset, p, planned);
      });
      return;
    }
#endif
    auto* w32 = detail::scratch<std::int32_t, 8>(9 * c);  // weights widened once per call
    for (std::size_t i = 0; i < 9 * c; ++i) w32[i] = weights[i];
    for (std::size_t p = pixels.begin; p < pixels.end; ++p) {
      const std::size_t row = (p - pixels.begin) % rows_at_once;
      const std::uint8_t* tap_x[9];
      detail::depthwise_taps(s, in, p, zero_row, tap_x);
      detail::depthwise_pixel(acc + row * c, tap_x, w32, c, bias, in.is_signed, in.zero_point);
      if (row + 1 == rows_at_once || p + 1 == pixels.end) {
        detail::store_tile<P>(acc, c, row + 1, 0, c, no_offset, p - row, planned);
      }
    }
  }
};

inline constexpr conv2d_fn conv2d_kernel{};
inline constexpr depthwise_fn depthwise_kernel{};

}  // namespace mixq
