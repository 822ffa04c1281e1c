#pragma once
// quantize / dequantize of typed tensors, through the SIMD kernels:
//
//   auto q = mixq::quantize(x, p);                  // the kernels of mixq::default_arch
//   auto y = mixq::dequantize(q);
//   auto q2 = mixq::quantize(mixq::scalar{}, x, p);  // an architecture of your choice
//
// The results are bit-identical to the scalar definitions in
// tensor/quantize.hpp (mixq::reference::quantize / dequantize); these only
// run faster.

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include <mixq/config.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/kernels/arch.hpp>
#include <mixq/kernels/quantize.hpp>
#include <mixq/tensor/qtensor.hpp>
#include <mixq/tensor/quantize.hpp>

namespace mixq {

namespace detail {

// Scales and zero points in the layout the kernels take: per tensor, per
// column (channel axis last), or one entry per row (any other channel axis).
struct kernel_channels {
  channel_axis axis = channel_axis::tensor;
  std::vector<float> scale;
  std::vector<std::int32_t> zero_point;
};

template <scheme S, std::size_t R>
kernel_channels kernel_channels_of(const qparams<S>& p, const std::array<std::size_t, R>& shape, std::size_t rows) {
  kernel_channels k;
  if constexpr (!is_per_channel(S)) {
    k.scale = {p.scale};
    k.zero_point = {p.zero_point};
  } else if constexpr (static_cast<std::size_t>(S.axis) == R - 1) {
    k.axis = channel_axis::column;
    k.scale = p.scale;
    k.zero_point = p.zero_point;
  } else {
    k.axis = channel_axis::row;
    const row_channel_map<R> channel_of(shape, S.axis);
    k.scale.resize(rows);
    k.zero_point.resize(rows);
    for (std::size_t r = 0; r < rows; ++r) {
      k.scale[r] = p.scale[channel_of(r)];
      k.zero_point[r] = p.zero_point[channel_of(r)];
    }
  }
  return k;
}

}  // namespace detail

/// Quantizes a float expression of static rank with the kernels of Arch;
/// the codes equal mixq::reference::quantize(x, p). Throws mixq::error for
/// invalid parameters or a per-channel parameter count that differs from
/// the extent along the axis.
template <KernelArch Arch, scheme S, class E>
auto quantize(Arch, const xt::xexpression<E>& x, const qparams<S>& p) {
  auto setup = detail::quantize_setup(x, p);
  const auto& values = setup.first;
  auto& out = setup.second;
  const auto k = detail::kernel_channels_of(p, out.shape(), out.rows());
  quantize_kernel(Arch{}, quantize_args{.scheme = S,
                                        .x = values.data(),
                                        .rows = out.rows(),
                                        .cols = out.row_length(),
                                        .x_stride = out.row_length(),
                                        .channels = {k.scale.data(), k.zero_point.data(), k.axis},
                                        .out = out.data(),
                                        .out_stride = out.row_bytes()});
  return std::move(out);
}

/// Quantizes with the kernels of mixq::default_arch.
template <scheme S, class E>
auto quantize(const xt::xexpression<E>& x, const qparams<S>& p) {
  return quantize(default_arch{}, x, p);
}

/// Dequantizes with the kernels of Arch; the values equal mixq::reference::dequantize(q).
template <KernelArch Arch, scheme S, std::size_t R>
auto dequantize(Arch, const qtensor<S, R>& q) -> xt::xtensor<float, R> {
  xt::xtensor<float, R> out(q.shape());
  const auto k = detail::kernel_channels_of(q.params(), q.shape(), q.rows());
  dequantize_kernel(Arch{}, dequantize_args{.scheme = S,
                                            .q = q.data(),
                                            .rows = q.rows(),
                                            .cols = q.row_length(),
                                            .q_stride = q.row_bytes(),
                                            .channels = {k.scale.data(), k.zero_point.data(), k.axis},
                                            .out = out.data(),
                                            .out_stride = q.row_length()});
  return out;
}

/// Dequantizes with the kernels of mixq::default_arch.
template <scheme S, std::size_t R>
auto dequantize(const qtensor<S, R>& q) -> xt::xtensor<float, R> {
  return dequantize(default_arch{}, q);
}

}  // namespace mixq
