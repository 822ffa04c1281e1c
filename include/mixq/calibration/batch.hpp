#pragma once
// How an observer sees one batch: contiguous row-major float32 values (the
// caller's own buffer when it already is one, a converted copy otherwise),
// split around the channel axis into outer x channels x inner, and the first
// pass over it — per-channel extremes with the non-finite policy applied.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xcontainer.hpp>
#include <xtensor/xexpression.hpp>
#include <xtensor/xutils.hpp>

#include <mixq/calibration/kernels.hpp>
#include <mixq/calibration/observer_options.hpp>
#include <mixq/calibration/reference.hpp>
#include <mixq/platform.hpp>
#include <mixq/config.hpp>
#include <mixq/core/scheme.hpp>

namespace mixq::detail {

// Row-major float32 containers are read in place; anything else (views,
// lazy expressions, other value types, column-major) is evaluated first.
template <class E>
inline constexpr bool is_row_major_float_container_v =
    std::is_base_of_v<xt::xcontainer<E>, E> && std::is_same_v<typename E::value_type, float> &&
    E::static_layout == xt::layout_type::row_major;

/// One batch of float32 values, row-major, and its layout around the channel
/// axis: element (o, c, i) is at values()[(o * channels + c) * inner + i].
class float_batch {
public:
  /// `axis` -1 makes the whole tensor one channel.
  template <class E>
  float_batch(const xt::xexpression<E>& e, int axis) {
    const auto& x = e.derived_cast();
    using D = std::decay_t<decltype(x)>;
    shape_.assign(x.shape().begin(), x.shape().end());
    if constexpr (is_row_major_float_container_v<D>) {
      external_ = x.data();
    } else {
      owned_ = xt::cast<float>(x);
    }
    size_ = 1;
    for (std::size_t d : shape_) size_ *= d;
    if (axis < 0) {
      inner_ = size_;
    } else {
      const auto a = static_cast<std::size_t>(axis);
      for (std::size_t d = 0; d < a; ++d) outer_ *= shape_[d];
      channels_ = shape_[a];
      for (std::size_t d = a + 1; d < shape_.size(); ++d) inner_ *= shape_[d];
    }
  }
  float_batch(const float_batch&) = delete;
  float_batch& operator=(const float_batch&) = delete;

  const float* values() const noexcept { return external_ != nullptr ? external_ : owned_.data(); }
  std::size_t size() const noexcept { return size_; }
  const std::vector<std::size_t>& shape() const noexcept { return shape_; }
  std::size_t outer() const noexcept { return outer_; }
  std::size_t channels() const noexcept { return channels_; }
  std::size_t inner() const noexcept { return inner_; }

  /// The channel of flat index i.
  std::size_t channel_of(std::size_t i) const noexcept { return (i / inner_) % channels_; }

private:
  std::vector<std::size_t> shape_;
  std::size_t size_ = 0;
  std::size_t outer_ = 1, channels_ = 1, inner_ = 1;
  const float* external_ = nullptr;
  xt::xarray<float> owned_;
};

/// Per-channel extremes of one batch's finite values; lo > hi for a channel
/// without any.
struct batch_ranges {
  std::vector<float> lo, hi;
  std::size_t non_finite = 0;
  bool has(std::size_t c) const noexcept { return lo[c] <= hi[c]; }
};

// Channels at least this long are reduced span by span; shorter ones
// (e.g. the channel axis last) row by row with element-wise accumulators.
inline constexpr std::size_t span_threshold = 64;

[[noreturn]] inline void throw_non_finite(std::string_view where, const float_batch& b, std::size_t i) {
  MIXQ_THROW(error,
             "{}: x[flat index {}] = {} (channel {}) is not finite; expected finite values, or "
             "non_finite_policy::ignore in the observer's options to leave them out and count them",
             where, i, b.values()[i], b.channel_of(i));
}

// The slow path: the scalar twin over the whole batch, counting non-finite values.
inline batch_ranges scan_ranges_scalar(const float_batch& b) {
  batch_ranges r;
  r.lo.assign(b.channels(), std::numeric_limits<float>::infinity());
  r.hi.assign(b.channels(), -std::numeric_limits<float>::infinity());
  const float* x = b.values();
  for (std::size_t i = 0; i < b.size(); ++i) {
    const float v = x[i];
    if (!std::isfinite(v)) {
      ++r.non_finite;
      continue;
    }
    const std::size_t c = b.channel_of(i);
    r.lo[c] = v < r.lo[c] ? v : r.lo[c];
    r.hi[c] = v > r.hi[c] ? v : r.hi[c];
  }
  return r;
}

/// The first pass: per-channel extremes. Non-finite values throw (naming the
/// first) or, under non_finite_policy::ignore, are left out and counted.
template <class Arch = default_arch>
batch_ranges scan_ranges(const float_batch& b, non_finite_policy policy, std::string_view where) {
  batch_ranges r;
  const std::size_t channels = b.channels(), inner = b.inner();
  r.lo.assign(channels, std::numeric_limits<float>::infinity());
  r.hi.assign(channels, -std::numeric_limits<float>::infinity());
  const float* x = b.values();
  bool all_finite = true;
  if (inner >= span_threshold) {
    for (std::size_t o = 0; o < b.outer(); ++o) {
      for (std::size_t c = 0; c < channels; ++c) {
        const span_range s = minmax_span_kernel{}(Arch{}, x + (o * channels + c) * inner, inner);
        all_finite = all_finite && s.all_finite;
        r.lo[c] = s.lo < r.lo[c] ? s.lo : r.lo[c];
        r.hi[c] = s.hi > r.hi[c] ? s.hi : r.hi[c];
      }
    }
  } else {
    const std::size_t row = channels * inner;
    std::vector<float> lo(row, std::numeric_limits<float>::infinity());
    std::vector<float> hi(row, -std::numeric_limits<float>::infinity());
    all_finite = minmax_rows_kernel{}(Arch{}, x, b.outer(), row, lo.data(), hi.data());
    for (std::size_t k = 0; k < row; ++k) {
      const std::size_t c = k / inner;
      r.lo[c] = lo[k] < r.lo[c] ? lo[k] : r.lo[c];
      r.hi[c] = hi[k] > r.hi[c] ? hi[k] : r.hi[c];
    }
  }
  if (all_finite) return r;
  if (policy == non_finite_policy::error) {
    for (std::size_t i = 0; i < b.size(); ++i) {
      if (!std::isfinite(x[i])) throw_non_finite(where, b, i);
    }
  }
  return scan_ranges_scalar(b);
}

/// Throws unless a per-channel scheme's axis is one of x's axes (checked at
/// compile time when the rank is static).
template <scheme S, class E>
void check_axis(const xt::xexpression<E>& x, std::string_view where) {
  if constexpr (is_per_channel(S)) {
    constexpr std::size_t rank = xt::get_rank<std::decay_t<E>>::value;
    if constexpr (rank != std::numeric_limits<std::size_t>::max()) {
      static_assert(static_cast<std::size_t>(S.axis) < rank,
                    "mixq observers: the scheme's channel axis must be one of the tensor's axes; choose a scheme "
                    "whose axis is below the tensor's rank.");
    } else if (static_cast<std::size_t>(S.axis) >= x.derived_cast().dimension()) {
      MIXQ_THROW(error, "{}: x has rank {} but the scheme's channel axis is {}; expected a tensor of rank > {}", where,
                 x.derived_cast().dimension(), S.axis, S.axis);
    }
  } else {
    (void)x, (void)where;
  }
}

}  // namespace mixq::detail
