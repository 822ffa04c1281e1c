#pragma once
// Joining quantized tensors: an operation that needs both operands in one
// scheme with one set of parameters.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include <mixq/config.hpp>
#include <mixq/tensor/qtensor.hpp>

namespace mixq {

/// Joins two tensors of one scheme along `axis`. Their other extents must
/// match, and so must their parameters, except along a per-channel scheme's
/// channel axis, where the channels' parameters are joined too.
template <scheme SA, scheme SB, std::size_t R>
  requires(SA == SB)
auto concatenate(const qtensor<SA, R>& a, const qtensor<SB, R>& b, std::size_t axis) -> qtensor<SA, R> {
  if (axis >= R) {
    MIXQ_THROW(error, "mixq::concatenate: axis = {} is out of range; expected axis < {} (the rank)", axis, R);
  }
  auto shape = a.shape();
  for (std::size_t d = 0; d < R; ++d) {
    if (d != axis && a.shape(d) != b.shape(d)) {
      MIXQ_THROW(error, "mixq::concatenate: extent {} differs: {} vs {}; expected equal extents off axis {}", d,
                 a.shape(d), b.shape(d), axis);
    }
  }
  shape[axis] = a.shape(axis) + b.shape(axis);

  qparams<SA> params = a.params();
  if constexpr (is_per_channel(SA)) {
    if (static_cast<std::size_t>(SA.axis) == axis) {
      params.scale.insert(params.scale.end(), b.params().scale.begin(), b.params().scale.end());
      params.zero_point.insert(params.zero_point.end(), b.params().zero_point.begin(), b.params().zero_point.end());
      if constexpr (is_pow2(SA)) {
        params.exponent.insert(params.exponent.end(), b.params().exponent.begin(), b.params().exponent.end());
      }
    } else if (!(a.params() == b.params())) {
      MIXQ_THROW(error, "mixq::concatenate: the tensors' per-channel parameters differ; joining off the channel axis "
                        "needs equal parameters (re-quantize one with mixq::convert)");
    }
  } else if (!(a.params() == b.params())) {
    MIXQ_THROW(error, "mixq::concatenate: scales/zero points differ ({} / {} vs {} / {}); re-quantize one with mixq::convert",
               a.params().scale, a.params().zero_point, b.params().scale, b.params().zero_point);
  }

  qtensor<SA, R> out(shape, std::move(params));
  if (axis == R - 1) {
    // Rows are joined code by code: b's codes start mid-byte in general.
    for (std::size_t r = 0; r < out.rows(); ++r) {
      auto dst = out.row(r);
      const auto ra = a.row(r);
      const auto rb = b.row(r);
      for (std::size_t k = 0; k < ra.size(); ++k) dst[k] = ra[k];
      for (std::size_t k = 0; k < rb.size(); ++k) dst[ra.size() + k] = rb[k];
    }
  } else {
    // Whole rows move: for each index before `axis`, a's block of rows, then b's.
    std::size_t outer = 1;
    for (std::size_t d = 0; d < axis; ++d) outer *= shape[d];
    const std::size_t block_a = outer == 0 ? 0 : a.rows() / outer;
    const std::size_t block_b = outer == 0 ? 0 : b.rows() / outer;
    const std::size_t row_bytes = out.row_bytes();
    std::uint8_t* dst = out.data();
    for (std::size_t o = 0; o < outer; ++o) {
      std::memcpy(dst, a.data() + o * block_a * row_bytes, block_a * row_bytes);
      dst += block_a * row_bytes;
      std::memcpy(dst, b.data() + o * block_b * row_bytes, block_b * row_bytes);
      dst += block_b * row_bytes;
    }
  }
  return out;
}

template <scheme SA, scheme SB, std::size_t R>
  requires(SA != SB)
void concatenate(const qtensor<SA, R>&, const qtensor<SB, R>&, std::size_t) = delete;  // mixq::concatenate: both tensors must have the same scheme; re-quantize one of them first with mixq::convert<S>(tensor, qparams<S>{...}).

}  // namespace mixq
