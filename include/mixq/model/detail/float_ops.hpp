#pragma once
// The float32 layers of the executors, NHWC: a register-blocked GEMM over
// xsimd batches (convolutions go through it by patches), depthwise
// convolution, pooling, and the elementwise layers. They are templated on
// the xsimd architecture so that translation units compiled for different
// instruction sets do not share (and the linker does not mix) their code.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <vector>

#include <mixq/kernels/arch.hpp>
#include <mixq/model/graph.hpp>

namespace mixq::detail {

/// Weights of a float GEMM as the kernel reads them: K rows of `padded_n`
/// floats (N output columns, zero past N), so every row load is whole vectors.
struct float_panel {
  std::size_t k = 0;
  std::size_t n = 0;
  std::size_t padded_n = 0;
  std::vector<float> data;
};

/// Packs an N x K matrix whose entry (n, k) is weight(n, k).
template <class Arch, class WeightOf>
float_panel pack_float_panel(std::size_t n, std::size_t k, WeightOf&& weight) {
  constexpr std::size_t V = xsimd::batch<float, Arch>::size;
  float_panel p;
  p.k = k;
  p.n = n;
  p.padded_n = (n + V - 1) / V * V;
  p.data.assign(k * p.padded_n, 0.0f);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < k; ++c) p.data[c * p.padded_n + r] = weight(r, c);
  }
  return p;
}

// R rows x NV vectors of output columns from j, accumulated over K: R * NV
// independent sums in registers.
template <class Arch, std::size_t R, std::size_t NV>
MIXQ_INLINE void float_gemm_block(const float* a, std::size_t lda, const float_panel& b, std::size_t j,
                                  const float* bias, float* c, std::size_t ldc, std::size_t width, float lo,
                                  float hi) noexcept {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::size_t V = batch::size;
  batch acc[R][NV];
  for (std::size_t v = 0; v < NV; ++v) {
    const batch b0 = bias ? batch::load_unaligned(bias + j + v * V) : batch(0.0f);
    for (std::size_t r = 0; r < R; ++r) acc[r][v] = b0;
  }
  const float* w = b.data.data() + j;
  for (std::size_t kk = 0; kk < b.k; ++kk, w += b.padded_n) {
    batch wv[NV];
    for (std::size_t v = 0; v < NV; ++v) wv[v] = batch::load_unaligned(w + v * V);
    for (std::size_t r = 0; r < R; ++r) {
      const batch x(a[r * lda + kk]);
      for (std::size_t v = 0; v < NV; ++v) acc[r][v] = xsimd::fma(x, wv[v], acc[r][v]);
    }
  }
  const batch vlo(lo), vhi(hi);
  for (std::size_t r = 0; r < R; ++r) {
    float* out = c + r * ldc + j;
    alignas(64) float tmp[NV * V];
    for (std::size_t v = 0; v < NV; ++v) xsimd::min(xsimd::max(acc[r][v], vlo), vhi).store_aligned(tmp + v * V);
    std::memcpy(out, tmp, width * sizeof(float));
  }
}

template <class Arch, std::size_t R, std::size_t NV>
MIXQ_INLINE void float_gemm_columns(const float* a, std::size_t lda, std::size_t rows, const float_panel& b,
                                    std::size_t j, std::size_t width, const float* bias, float* c, std::size_t ldc,
                                    fused_clamp clamp) noexcept {
  std::size_t m = 0;
  for (; m + R <= rows; m += R) {
    float_gemm_block<Arch, R, NV>(a + m * lda, lda, b, j, bias, c + m * ldc, ldc, width, clamp.lo, clamp.hi);
  }
  for (; m < rows; ++m) {
    float_gemm_block<Arch, 1, NV>(a + m * lda, lda, b, j, bias, c + m * ldc, ldc, width, clamp.lo, clamp.hi);
  }
}

/// c[m][n] = clamp(sum_k a[m][k] * w(n, k) + bias[n]) for m < rows, n < b.n.
/// `bias` has b.padded_n entries (or is null).
template <class Arch>
void float_gemm(const float* a, std::size_t lda, std::size_t rows, const float_panel& b, const float* bias, float* c,
                std::size_t ldc, fused_clamp clamp) noexcept {
  constexpr std::size_t V = xsimd::batch<float, Arch>::size;
  std::size_t j = 0;
  // Two vectors of columns by four rows where the columns allow, one vector by eight rows at the edge.
  for (; j + 2 * V <= b.padded_n; j += 2 * V) {
    float_gemm_columns<Arch, 4, 2>(a, lda, rows, b, j, std::min(2 * V, b.n - j), bias, c, ldc, clamp);
  }
  if (j < b.padded_n) float_gemm_columns<Arch, 8, 1>(a, lda, rows, b, j, b.n - j, bias, c, ldc, clamp);
}

/// Writes the patches of output pixels [first, first + count) of image `n0`
/// onwards as rows of KH*KW*C floats (order ky, kx, c); padding is 0.
inline void float_im2col(const float* x, const tensor_shape& in, const window& w, std::size_t first,
                         std::size_t count, float* rows) noexcept {
  const std::size_t oh = w.out_height(in.height), ow = w.out_width(in.width), c = in.channels;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t p = first + i;
    const std::size_t img = p / (oh * ow), y = (p / ow) % oh, xo = p % ow;
    float* dst = rows + i * w.kernel_h * w.kernel_w * c;
    for (std::size_t ky = 0; ky < w.kernel_h; ++ky) {
      const auto iy = static_cast<std::ptrdiff_t>(y * w.stride_h + ky * w.dilation_h) -
                      static_cast<std::ptrdiff_t>(w.pad_top);
      for (std::size_t kx = 0; kx < w.kernel_w; ++kx, dst += c) {
        const auto ix = static_cast<std::ptrdiff_t>(xo * w.stride_w + kx * w.dilation_w) -
                        static_cast<std::ptrdiff_t>(w.pad_left);
        if (iy < 0 || ix < 0 || iy >= static_cast<std::ptrdiff_t>(in.height) ||
            ix >= static_cast<std::ptrdiff_t>(in.width)) {
          std::fill(dst, dst + c, 0.0f);
        } else {
          const std::size_t pixel =
              (img * in.height + static_cast<std::size_t>(iy)) * in.width + static_cast<std::size_t>(ix);
          std::memcpy(dst, x + pixel * c, c * sizeof(float));
        }
      }
    }
  }
}

/// A convolution (groups 1) of `batch` images: through the GEMM, by blocks of patches.
template <class Arch>
void float_conv(const float* x, std::size_t batch, const tensor_shape& in, const window& w, const float_panel& b,
                const float* bias, fused_clamp clamp, float* y, std::size_t first_pixel, std::size_t end_pixel) {
  const std::size_t k = w.kernel_h * w.kernel_w * in.channels;
  const bool direct = w.kernel_h == 1 && w.kernel_w == 1 && w.stride_h == 1 && w.stride_w == 1 &&
                      w.pad_top + w.pad_left + w.pad_bottom + w.pad_right == 0;
  (void)batch;
  if (direct) {
    float_gemm<Arch>(x + first_pixel * k, k, end_pixel - first_pixel, b, bias, y + first_pixel * b.n, b.n, clamp);
    return;
  }
  const std::size_t block = std::clamp<std::size_t>((std::size_t{64} << 10) / (k ? k : 1), 4, 256);
  thread_local std::vector<float> patches;
  if (patches.size() < block * k) patches.resize(block * k);
  for (std::size_t p = first_pixel; p < end_pixel; p += block) {
    const std::size_t count = std::min(block, end_pixel - p);
    float_im2col(x, in, w, p, count, patches.data());
    float_gemm<Arch>(patches.data(), k, count, b, bias, y + p * b.n, b.n, clamp);
  }
}

/// Depthwise convolution: weights as [ky][kx][c] (transposed from C x KH x KW x 1 once).
template <class Arch>
void float_depthwise(const float* x, const tensor_shape& in, const window& w, const float* weights, const float* bias,
                     fused_clamp clamp, float* y, std::size_t first_pixel, std::size_t end_pixel) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::size_t V = batch::size;
  const std::size_t oh = w.out_height(in.height), ow = w.out_width(in.width), c = in.channels;
  for (std::size_t p = first_pixel; p < end_pixel; ++p) {
    const std::size_t img = p / (oh * ow), yo = (p / ow) % oh, xo = p % ow;
    float* out = y + p * c;
    std::memcpy(out, bias, c * sizeof(float));
    for_each_window_pixel(w, in, img, yo, xo, [&](std::size_t pixel, std::size_t t) {
      const float* src = x + pixel * c;
      const float* tap = weights + t * c;
      std::size_t i = 0;
      for (; i + V <= c; i += V) {
        xsimd::fma(batch::load_unaligned(src + i), batch::load_unaligned(tap + i), batch::load_unaligned(out + i))
            .store_unaligned(out + i);
      }
      for (; i < c; ++i) out[i] += src[i] * tap[i];
    });
    for (std::size_t i = 0; i < c; ++i) out[i] = std::min(std::max(out[i], clamp.lo), clamp.hi);
  }
}

/// Max or average pooling of pixels [first, end).
inline void float_pool(const float* x, const tensor_shape& in, const pool_op& op, float* y, std::size_t first_pixel,
                       std::size_t end_pixel) {
  const window& w = op.geometry;
  const std::size_t oh = w.out_height(in.height), ow = w.out_width(in.width), c = in.channels;
  for (std::size_t p = first_pixel; p < end_pixel; ++p) {
    const std::size_t img = p / (oh * ow), yo = (p / ow) % oh, xo = p % ow;
    float* out = y + p * c;
    std::fill(out, out + c, op.max ? -std::numeric_limits<float>::infinity() : 0.0f);
    std::size_t count = 0;
    for_each_window_pixel(w, in, img, yo, xo, [&](std::size_t pixel, std::size_t) {
      ++count;
      const float* src = x + pixel * c;
      if (op.max) {
        for (std::size_t i = 0; i < c; ++i) out[i] = std::max(out[i], src[i]);
      } else {
        for (std::size_t i = 0; i < c; ++i) out[i] += src[i];
      }
    });
    if (!op.max) {
      const float divisor = static_cast<float>(op.count_include_pad ? pool_window_size(w, in, yo, xo) : count);
      for (std::size_t i = 0; i < c; ++i) out[i] /= divisor;
    }
  }
}

}  // namespace mixq::detail
