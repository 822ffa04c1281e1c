#pragma once
// The scalar definitions of quantize and dequantize (mixq::reference::),
// and int_repr / from_int_repr. The reference functions define the numeric
// rules; mixq::quantize and mixq::dequantize (ops/quantize.hpp) run them
// through the kernels and match them bit for bit.
//
//   quantize:   q = clamp(zp + nearbyint(x * (1.0f / scale)), qmin, qmax)   in float32,
//               ties to even; NaN -> zp, +inf -> qmax, -inf -> qmin.
//   binary:     q = x >= 0 ? +1 : -1 (NaN -> +1, as 0 does).
//   dequantize: (float)scale * (q - zp)
//
// Inputs are converted to float32 first, as torch.quantize_per_tensor does.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include <xtensor/xtensor.hpp>

#include <mixq/config.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/core/quantize_rule.hpp>
#include <mixq/core/scheme.hpp>
#include <mixq/tensor/qtensor.hpp>

namespace mixq {

namespace detail {

template <class E>
inline constexpr std::size_t static_rank_v = xt::get_rank<std::decay_t<E>>::value;

template <std::size_t Rank, class Shape>
std::array<std::size_t, Rank> to_shape(const Shape& shape) {
  std::array<std::size_t, Rank> out{};
  for (std::size_t a = 0; a < Rank; ++a) out[a] = static_cast<std::size_t>(shape[a]);
  return out;
}

// The channel a row belongs to when the channel axis is not the last one:
// rows enumerate the axes before the last in row-major order.
template <std::size_t Rank>
struct row_channel_map {
  std::size_t inner = 1;     // rows per step of the channel axis
  std::size_t channels = 1;
  row_channel_map(const std::array<std::size_t, Rank>& shape, int axis) {
    channels = shape[static_cast<std::size_t>(axis)];
    for (std::size_t a = static_cast<std::size_t>(axis) + 1; a + 1 < Rank; ++a) inner *= shape[a];
  }
  std::size_t operator()(std::size_t row) const noexcept { return (row / inner) % channels; }
};

// Calls f(row, channel-or-npos) for each row: npos when the channel changes
// along the row (per-channel along the last axis) or for per-tensor schemes.
inline constexpr std::size_t varies_along_row = static_cast<std::size_t>(-1);

template <scheme S, std::size_t Rank, class F>
void for_each_row(const std::array<std::size_t, Rank>& shape, std::size_t rows, F&& f) {
  if constexpr (is_per_channel(S)) {
    if (static_cast<std::size_t>(S.axis) == Rank - 1) {
      for (std::size_t r = 0; r < rows; ++r) f(r, varies_along_row);
    } else {
      const row_channel_map<Rank> channel_of(shape, S.axis);
      for (std::size_t r = 0; r < rows; ++r) f(r, channel_of(r));
    }
  } else {
    for (std::size_t r = 0; r < rows; ++r) f(r, std::size_t{0});
  }
}

// What every quantize starts with: the compile-time checks, the parameters
// validated, the values as float32, and an output of their shape.
template <scheme S, class E>
auto quantize_setup(const xt::xexpression<E>& x, const qparams<S>& p) {
  using value_type = typename std::decay_t<E>::value_type;
  constexpr std::size_t R = static_rank_v<E>;
  static_assert(R != std::numeric_limits<std::size_t>::max(),
                "mixq::quantize needs an expression whose rank is known at compile time; convert an xt::xarray "
                "first, e.g. xt::xtensor<float, 2>(array).");
  static_assert(std::is_floating_point_v<value_type>,
                "mixq::quantize takes floating-point values; for integer codes use mixq::from_int_repr.");
  static_assert(R >= 1, "mixq::quantize needs a tensor of rank >= 1.");
  static_assert(!is_per_channel(S) || static_cast<std::size_t>(S.axis) < R,
                "mixq::quantize: the scheme's channel axis must be one of the tensor's axes.");
  validate(p, "mixq::quantize");
  xt::xtensor<float, R> values = xt::cast<float>(x.derived_cast());
  qtensor<S, R> out(to_shape<R>(values.shape()), p);
  return std::pair{std::move(values), std::move(out)};
}

}  // namespace detail

namespace reference {

/// Quantizes a float expression of static rank (xt::xtensor, views of it,
/// xt::xtensor_fixed) under `p`, one value at a time: the definition
/// mixq::quantize (ops/quantize.hpp) matches bit for bit. Throws mixq::error for invalid parameters or
/// a per-channel parameter count that differs from the extent along the axis.
template <scheme S, class E>
auto quantize(const xt::xexpression<E>& x, const qparams<S>& p) {
  auto setup = mixq::detail::quantize_setup(x, p);
  const auto& values = setup.first;
  auto& out = setup.second;
  constexpr std::size_t R = mixq::detail::static_rank_v<E>;
  const auto& shape = out.shape();
  const std::size_t length = out.row_length();
  const float* src = values.data();
  mixq::detail::for_each_row<S, R>(shape, out.rows(), [&](std::size_t r, std::size_t c) {
    auto row = out.row(r);
    const float* in = src + r * length;
    if (c == mixq::detail::varies_along_row) {
      for (std::size_t k = 0; k < length; ++k) {
        row[k] = quantize_code<S>(in[k], 1.0f / scale_of(p, k), zero_point_of(p, k));
      }
    } else {
      const float inv_scale = 1.0f / scale_of(p, c);
      const std::int32_t zp = zero_point_of(p, c);
      for (std::size_t k = 0; k < length; ++k) row[k] = quantize_code<S>(in[k], inv_scale, zp);
    }
  });
  return std::move(out);
}

/// Float values of the codes, (float)scale * (q - zp), one at a time.
template <scheme S, std::size_t R>
auto dequantize(const qtensor<S, R>& q) -> xt::xtensor<float, R> {
  xt::xtensor<float, R> out(q.shape());
  const auto& p = q.params();
  const std::size_t length = q.row_length();
  float* dst = out.data();
  mixq::detail::for_each_row<S, R>(q.shape(), q.rows(), [&](std::size_t r, std::size_t c) {
    const auto row = q.row(r);
    float* o = dst + r * length;
    if (c == mixq::detail::varies_along_row) {
      for (std::size_t k = 0; k < length; ++k) o[k] = dequantize_code(row[k], scale_of(p, k), zero_point_of(p, k));
    } else {
      const float scale = scale_of(p, c);
      const std::int32_t zp = zero_point_of(p, c);
      for (std::size_t k = 0; k < length; ++k) o[k] = dequantize_code(row[k], scale, zp);
    }
  });
  return out;
}

}  // namespace reference

/// The integer codes, unpacked.
template <scheme S, std::size_t R>
auto int_repr(const qtensor<S, R>& q) -> xt::xtensor<std::int32_t, R> {
  xt::xtensor<std::int32_t, R> out(q.shape());
  std::copy(q.begin(), q.end(), out.begin());
  return out;
}

/// A qtensor holding the given integer codes. Throws mixq::error for a code
/// that is not one of the scheme's codes (nothing is clamped).
template <scheme S, class E>
auto from_int_repr(const xt::xexpression<E>& codes, const qparams<S>& p) {
  using value_type = typename std::decay_t<E>::value_type;
  constexpr std::size_t R = detail::static_rank_v<E>;
  static_assert(R != std::numeric_limits<std::size_t>::max(),
                "mixq::from_int_repr needs an expression whose rank is known at compile time.");
  static_assert(std::is_integral_v<value_type>, "mixq::from_int_repr takes integer codes.");
  const xt::xtensor<std::int64_t, R> values = xt::cast<std::int64_t>(codes.derived_cast());
  qtensor<S, R> out(detail::to_shape<R>(values.shape()), p);
  std::size_t i = 0;
  for (auto ref : out) {
    const std::int64_t code = values.data()[i];
    if (code < qmin(S) || code > qmax(S) || !is_code(S, static_cast<std::int32_t>(code))) {
      MIXQ_THROW(error, "mixq::from_int_repr: code {} (flat index {}) is not a code of this scheme; expected {} <= code <= {}{}",
                 code, i, qmin(S), qmax(S), is_binary(S) ? " and code != 0" : "");
    }
    ref = static_cast<std::int32_t>(code);
    ++i;
  }
  return out;
}

}  // namespace mixq
