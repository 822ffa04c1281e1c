#pragma once
// What runs the layers with weights of an integer model: the SIMD kernels of
// one architecture (kernel_backend<Arch>, what a deployment uses), or their
// scalar twins in kernels/reference (reference_backend, the oracle the tests
// compare it with). Everything else an integer model does -- pooling,
// concatenation, code-to-code tables -- is the same code for both.
//
// A backend offers:
//   weights                       its form of an N x K matrix of signed codes
//   pack(bits, n, k, code_of)     -> weights
//   gemm(a, w, bias, out, rows)   out: int32_output or requantized_output
//   conv(shape, in, w, bias, out, pixels)
//   depthwise(shape, in, w3x3, bias, out, pixels)   3x3, stride 1 or 2, no dilation
//   requantize(x, n, params, out)                   int32 -> 8-bit lanes, one channel
//   add(add_args)                                   the residual add of two tensors of 8-bit lanes
//   quantize(x, n, params, out)                     floats -> 8-bit lanes (a network's input)
//   dequantize(lanes, n, params, out)               8-bit lanes -> floats (its outputs)
//   float_arch                    the xsimd architecture of the float layers
//   name()

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <vector>

#include <mixq/core/quantize_rule.hpp>
#include <mixq/kernels/add.hpp>
#include <mixq/kernels/conv.hpp>
#include <mixq/kernels/gemm.hpp>
#include <mixq/kernels/quantize.hpp>
#include <mixq/kernels/reference/add.hpp>
#include <mixq/kernels/reference/conv.hpp>
#include <mixq/kernels/reference/gemm.hpp>
#include <mixq/kernels/reference/requantize.hpp>
#include <mixq/kernels/requantize.hpp>
#include <mixq/kernels/weights.hpp>
#include <mixq/model/graph.hpp>

namespace mixq {

namespace detail {
// The xsimd architecture float layers use alongside a kernel architecture.
// (mixq::avx512vnni adds an instruction xsimd does not know to xsimd::avx512bw; mixq::scalar is no xsimd
// architecture at all, and its float layers take what the build allows).
template <class Arch>
using float_arch_of =
    std::conditional_t<std::is_base_of_v<avx512vnni, Arch>, xsimd::avx512bw,
                       std::conditional_t<std::is_base_of_v<xsimd::generic, Arch>, Arch, xsimd::default_arch>>;
}  // namespace detail

/// The deployed kernels of architecture Arch (mixq::avx512vnni, xsimd::avx2, xsimd::neon64, mixq::scalar).
template <class Arch>
struct kernel_backend {
  using arch = Arch;
  using float_arch = detail::float_arch_of<Arch>;
  using weights = packed_weight_matrix;

  static constexpr std::string_view name() noexcept { return Arch::name(); }

  template <class CodeOf>
  static weights pack(int bits, std::size_t n, std::size_t k, CodeOf&& code_of) {
    return pack_weights(weight_layout_for<Arch>(bits), n, k, std::forward<CodeOf>(code_of));
  }
  static std::size_t bytes(const weights& w) noexcept { return w.bytes(); }

  template <class Out>
  static void gemm(const activation_matrix& a, const weights& w, const std::int32_t* bias, const Out& out,
                   row_range rows) {
    gemm_kernel(Arch{}, a, w, bias, out, rows);
  }
  template <class Out>
  static void conv(const conv2d_shape& s, const conv_input& in, const weights& w, const std::int32_t* bias,
                   const Out& out, row_range pixels) {
    conv2d_kernel(Arch{}, s, in, w, bias, out, pixels);
  }
  template <class Out>
  static void depthwise(const conv2d_shape& s, const conv_input& in, const std::int8_t* w, const std::int32_t* bias,
                        const Out& out, row_range pixels) {
    depthwise_kernel(Arch{}, s, in, w, bias, out, pixels);
  }
  /// n int32 values to n 8-bit lanes under p (one channel: p.per_channel is false).
  static void requantize(const std::int32_t* x, std::size_t n, const requantize_params& p, std::uint8_t* out) {
    requantize_kernel(Arch{}, requantize_args{.x = x, .rows = 1, .cols = n, .x_stride = n, .params = p, .out = out, .out_stride = n});
  }
  static void add(const add_args& a) { add_kernel(Arch{}, a); }
  /// n floats to n lanes of p's codes (core/quantize_rule.hpp).
  static void quantize(const float* x, std::size_t n, const activation_params& p, std::uint8_t* out) noexcept {
    const float inv = 1.0f / p.scale;
    const detail::quantize_lanes_args a{.inv_scale = &inv, .zero_point = &p.zero_point, .qmin = p.qmin(), .qmax = p.qmax()};
    detail::quantize_lanes<kernel_path_of<Arch>>(x, n, a, out);
  }
  static void dequantize(const std::uint8_t* lanes, std::size_t n, const activation_params& p, float* out) noexcept {
    detail::dequantize_lanes<kernel_path_of<Arch>>(lanes, n, p.is_signed, &p.scale, &p.zero_point, false, out);
  }
};

/// The scalar twins of the kernels, on unpacked codes: slow, plain, independent.
struct reference_backend {
  using float_arch = xsimd::default_arch;
  /// N x K codes, row-major.
  struct weights {
    std::size_t n = 0, k = 0;
    int bits = 8;
    std::vector<std::int8_t> codes;
  };

  static constexpr std::string_view name() noexcept { return "reference"; }

  template <class CodeOf>
  static weights pack(int bits, std::size_t n, std::size_t k, CodeOf&& code_of) {
    weights w{n, k, bits, std::vector<std::int8_t>(n * k)};
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t c = 0; c < k; ++c) w.codes[r * k + c] = static_cast<std::int8_t>(code_of(r, c));
    }
    return w;
  }
  static std::size_t bytes(const weights& w) noexcept { return packed_row_bytes(w.k, w.bits) * w.n; }

  template <class Out>
  static void gemm(const activation_matrix& a, const weights& w, const std::int32_t* bias, const Out& out,
                   row_range rows) {
    const std::vector<std::int32_t> r = reference::gemm(a, w.codes.data(), w.n, bias, rows);
    write(r, rows.end - rows.begin, w.n, out, rows.begin);
  }
  template <class Out>
  static void conv(const conv2d_shape& s, const conv_input& in, const weights& w, const std::int32_t* bias,
                   const Out& out, row_range pixels) {
    const std::vector<std::int32_t> r = reference::conv2d(s, in, w.codes.data(), w.n, bias);
    write({r.begin() + static_cast<std::ptrdiff_t>(pixels.begin * w.n),
           r.begin() + static_cast<std::ptrdiff_t>(pixels.end * w.n)},
          pixels.end - pixels.begin, w.n, out, pixels.begin);
  }
  template <class Out>
  static void depthwise(const conv2d_shape& s, const conv_input& in, const std::int8_t* w, const std::int32_t* bias,
                        const Out& out, row_range pixels) {
    const std::vector<std::int32_t> r = reference::depthwise(s, in, w, bias);
    write({r.begin() + static_cast<std::ptrdiff_t>(pixels.begin * s.channels),
           r.begin() + static_cast<std::ptrdiff_t>(pixels.end * s.channels)},
          pixels.end - pixels.begin, s.channels, out, pixels.begin);
  }

  static void requantize(const std::int32_t* x, std::size_t n, const requantize_params& p, std::uint8_t* out) {
    const std::vector<std::uint8_t> codes = reference::requantize(requantize_args{.x = x, .rows = 1, .cols = n, .x_stride = n, .params = p});
    std::memcpy(out, codes.data(), n);
  }
  static void add(const add_args& a) {
    const std::vector<std::uint8_t> codes = reference::add(a);
    std::memcpy(a.out, codes.data(), a.n);
  }
  /// The rules of core/quantize_rule.hpp, one value at a time.
  static void quantize(const float* x, std::size_t n, const activation_params& p, std::uint8_t* out) noexcept {
    const float inv = 1.0f / p.scale;
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = static_cast<std::uint8_t>(quantize_code(x[i], inv, p.zero_point, p.qmin(), p.qmax()));
    }
  }
  static void dequantize(const std::uint8_t* lanes, std::size_t n, const activation_params& p, float* out) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
      const std::int32_t code = p.is_signed ? static_cast<std::int8_t>(lanes[i]) : std::int32_t{lanes[i]};
      out[i] = dequantize_code(code, p.scale, p.zero_point);
    }
  }

private:
  static void write(const std::vector<std::int32_t>& r, std::size_t rows, std::size_t n, const int32_output& out,
                    std::size_t first) {
    for (std::size_t m = 0; m < rows; ++m) {
      std::memcpy(out.data + (first + m) * out.stride, r.data() + m * n, n * sizeof(std::int32_t));
    }
  }
  static void write(const std::vector<std::int32_t>& r, std::size_t rows, std::size_t n, const requantized_output& out,
                    std::size_t first) {
    const std::vector<std::uint8_t> codes =
        reference::requantize(requantize_args{.x = r.data(), .rows = rows, .cols = n, .x_stride = n, .params = out.params});
    const std::size_t row_bytes = packed_row_bytes(n, out.params.bits);
    for (std::size_t m = 0; m < rows; ++m) {
      std::memcpy(out.data + (first + m) * out.stride, codes.data() + m * row_bytes, row_bytes);
    }
  }
};

}  // namespace mixq
