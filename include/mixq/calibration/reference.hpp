#pragma once
// Scalar twins of the calibration kernels in kernels.hpp. They define what the
// SIMD versions must compute (the tests compare the two lane for lane) and
// serve the slow paths: batches with non-finite values and channel layouts
// too narrow to vectorise.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace mixq::detail {

/// Extremes of a span and whether every value was finite. An empty span, or
/// one with no finite value, gives lo = +inf, hi = -inf.
struct span_range {
  float lo = std::numeric_limits<float>::infinity();
  float hi = -std::numeric_limits<float>::infinity();
  bool all_finite = true;
};

/// The histogram bin of `v` in [lo, lo + width], as torch.histc computes it:
/// trunc((v - lo) * bins / width) in float32, the top edge in the last bin.
/// Ranges wider than FLT_MAX / bins divide first so that nothing overflows.
struct bin_rule {
  float lo = 0.0f;
  float width = 0.0f;
  float bins = 1.0f;
  std::uint32_t last = 0;  // bins - 1
  bool divide_first = false;

  bin_rule() = default;
  bin_rule(float lo_, float width_, std::uint32_t bins_) noexcept
      : lo(lo_), width(width_), bins(static_cast<float>(bins_)), last(bins_ - 1),
        divide_first(width_ > std::numeric_limits<float>::max() / static_cast<float>(bins_)) {}

  std::uint32_t operator()(float v) const noexcept {
    if (!(width > 0.0f)) return 0;  // a one-point range keeps everything in bin 0
    const float t = divide_first ? ((v - lo) / width) * bins : ((v - lo) * bins) / width;
    if (!(t > 0.0f)) return 0;
    if (t >= bins) return last;
    return std::min(static_cast<std::uint32_t>(t), last);
  }
};

}  // namespace mixq::detail

namespace mixq::reference {

/// Min and max of n values; all_finite is false if any is NaN or infinite
/// (the extremes then cover the finite values only).
inline mixq::detail::span_range minmax_span(const float* x, std::size_t n) noexcept {
  mixq::detail::span_range r;
  for (std::size_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (!std::isfinite(v)) {
      r.all_finite = false;
      continue;
    }
    r.lo = std::min(r.lo, v);
    r.hi = std::max(r.hi, v);
  }
  return r;
}

/// For each of `rows` rows of n values: lo[i] = min(lo[i], x[i]),
/// hi[i] = max(hi[i], x[i]) for the finite x[i]; returns whether all values
/// were finite.
inline bool minmax_rows(const float* x, std::size_t rows, std::size_t n, float* lo, float* hi) noexcept {
  bool all_finite = true;
  for (std::size_t r = 0; r < rows; ++r, x += n) {
    for (std::size_t i = 0; i < n; ++i) {
      const float v = x[i];
      if (!std::isfinite(v)) {
        all_finite = false;
        continue;
      }
      lo[i] = std::min(lo[i], v);
      hi[i] = std::max(hi[i], v);
    }
  }
  return all_finite;
}

/// Adds the finite values of x (or their magnitudes) to counts[bin]; values
/// must lie in the rule's range. Returns how many were added.
inline std::size_t histogram(const float* x, std::size_t n, const mixq::detail::bin_rule& rule, bool magnitude,
                             std::uint32_t* counts) noexcept {
  std::size_t added = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float v = magnitude ? std::fabs(x[i]) : x[i];
    if (!std::isfinite(v)) continue;
    ++counts[rule(v)];
    ++added;
  }
  return added;
}

}  // namespace mixq::reference
