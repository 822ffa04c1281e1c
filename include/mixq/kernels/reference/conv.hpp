#pragma once
// Scalar twin of kernels/conv.hpp: the convolution sums written out directly.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <mixq/kernels/args.hpp>
#include <mixq/kernels/reference/codes.hpp>

namespace mixq::reference {

/// out[p][o] = sum over (ky, kx, c) inside the input of (x - zp) * w[o][ky][kx][c] + bias[o],
/// for every output pixel p; w holds O x (KH * KW * C) codes.
inline std::vector<std::int32_t> conv2d(const conv2d_shape& s, const conv_input& in, const std::int8_t* w,
                                        std::size_t out_channels, const std::int32_t* bias) {
  const std::size_t oh = s.out_height(), ow = s.out_width();
  std::vector<std::int32_t> out(s.out_pixels() * out_channels);
  for (std::size_t n = 0; n < s.batch; ++n) {
    for (std::size_t y = 0; y < oh; ++y) {
      for (std::size_t x = 0; x < ow; ++x) {
        const std::size_t p = (n * oh + y) * ow + x;
        for (std::size_t o = 0; o < out_channels; ++o) {
          std::int64_t sum = bias ? bias[o] : 0;
          for (std::size_t ky = 0; ky < s.kernel_h; ++ky) {
            for (std::size_t kx = 0; kx < s.kernel_w; ++kx) {
              const long long iy = static_cast<long long>(y * s.stride_h + ky * s.dilation_h) -
                                   static_cast<long long>(s.pad_top);
              const long long ix = static_cast<long long>(x * s.stride_w + kx * s.dilation_w) -
                                   static_cast<long long>(s.pad_left);
              if (iy < 0 || ix < 0 || iy >= static_cast<long long>(s.height) || ix >= static_cast<long long>(s.width)) {
                continue;
              }
              const std::size_t pixel = (n * s.height + static_cast<std::size_t>(iy)) * s.width + static_cast<std::size_t>(ix);
              for (std::size_t c = 0; c < s.channels; ++c) {
                const std::int64_t code = read_code(in.data + pixel * in.pixel_stride, c, in.bits, in.is_signed);
                sum += (code - in.zero_point) * w[o * s.patch() + (ky * s.kernel_w + kx) * s.channels + c];
              }
            }
          }
          out[p * out_channels + o] = static_cast<std::int32_t>(sum);
        }
      }
    }
  }
  return out;
}

/// The 3x3 depthwise convolution; w holds [3][3][C] codes.
inline std::vector<std::int32_t> depthwise(const conv2d_shape& s, const conv_input& in, const std::int8_t* w,
                                           const std::int32_t* bias) {
  const std::size_t oh = s.out_height(), ow = s.out_width(), ch = s.channels;
  std::vector<std::int32_t> out(s.out_pixels() * ch);
  for (std::size_t p = 0; p < s.out_pixels(); ++p) {
    const std::size_t n = p / (oh * ow), y = (p / ow) % oh, x = p % ow;
    for (std::size_t c = 0; c < ch; ++c) {
      std::int64_t sum = bias ? bias[c] : 0;
      for (std::size_t ky = 0; ky < 3; ++ky) {
        for (std::size_t kx = 0; kx < 3; ++kx) {
          const long long iy = static_cast<long long>(y * s.stride_h + ky) - static_cast<long long>(s.pad_top);
          const long long ix = static_cast<long long>(x * s.stride_w + kx) - static_cast<long long>(s.pad_left);
          if (iy < 0 || ix < 0 || iy >= static_cast<long long>(s.height) || ix >= static_cast<long long>(s.width)) {
            continue;
          }
          const std::size_t pixel = (n * s.height + static_cast<std::size_t>(iy)) * s.width + static_cast<std::size_t>(ix);
          const std::int64_t code = read_code(in.data + pixel * in.pixel_stride, c, in.bits, in.is_signed);
          sum += (code - in.zero_point) * w[(ky * 3 + kx) * ch + c];
        }
      }
      out[p * ch + c] = static_cast<std::int32_t>(sum);
    }
  }
  return out;
}

}  // namespace mixq::reference
