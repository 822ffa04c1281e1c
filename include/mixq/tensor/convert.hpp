#pragma once
// Re-expressing a tensor in another scheme.

#include <cstddef>

#include <mixq/config.hpp>
#include <mixq/tensor/qtensor.hpp>
#include <mixq/tensor/quantize.hpp>

namespace mixq {

/// Re-quantizes `q` into scheme `To` through float32: each code is
/// dequantized and quantized again under `p` with the quantize rule, by
/// the scalar definitions of tensor/quantize.hpp.
template <scheme To, scheme From, std::size_t R>
auto convert(const qtensor<From, R>& q, const qparams<To>& p) -> qtensor<To, R> {
  static_assert(!is_per_channel(To) || static_cast<std::size_t>(To.axis) < R,
                "mixq::convert: the target scheme's channel axis must be one of the tensor's axes.");
  return reference::quantize(reference::dequantize(q), p);
}

}  // namespace mixq
