#pragma once
// quantize / dequantize through the SIMD kernels, for an architecture tag:
//
//   auto q = mixq::quantize(mixq::default_arch{}, x, p);   // same codes as mixq::quantize(x, p)
//   auto y = mixq::dequantize(mixq::default_arch{}, q);
//
// The results are bit-identical to the reference functions of
// tensor/quantize.hpp; these only run faster.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include <mixq/config.hpp>
#include <mixq/core/qparams.hpp>
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

/// Quantizes a float expression with the kernels of Arch; the codes equal mixq::quantize(x, p).
template <class Arch, scheme S, class E>
  requires std::is_class_v<Arch>
auto quantize(Arch, const xt::xexpression<E>& x, const qparams<S>& p) {
  auto setup = detail::quantize_setup(x, p);
  const auto& values = setup.first;
  auto& out = setup.second;
  const auto& shape = out.shape();
  const auto k = detail::kernel_channels_of(p, shape, out.rows());
  quantize_kernel(Arch{}, S, values.data(), out.rows(), out.row_length(), out.row_length(), k.scale.data(),
                  k.zero_point.data(), k.axis, out.data(), out.row_bytes());
  return std::move(out);
}

/// Dequantizes with the kernels of Arch; the values equal mixq::dequantize(q).
template <class Arch, scheme S, std::size_t R>
  requires std::is_class_v<Arch>
auto dequantize(Arch, const qtensor<S, R>& q) -> xt::xtensor<float, R> {
  xt::xtensor<float, R> out(q.shape());
  const auto k = detail::kernel_channels_of(q.params(), q.shape(), q.rows());
  dequantize_kernel(Arch{}, S, q.data(), q.rows(), q.row_length(), q.row_bytes(), k.scale.data(), k.zero_point.data(),
                    k.axis, out.data(), q.row_length());
  return out;
}

}  // namespace mixq
