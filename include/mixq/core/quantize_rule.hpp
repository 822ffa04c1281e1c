#pragma once
// The quantize and dequantize rules for one value, shared by the reference
// tensor functions (tensor/quantize.hpp), the kernels' portable path and
// the calibration report:
//
//   quantize:   q = clamp(zp + nearbyint(x * inv_scale), qmin, qmax) in float32,
//               ties to even; NaN -> zp, +inf -> qmax, -inf -> qmin
//   binary:     q = x >= 0 ? +1 : -1 (NaN -> +1, as 0 does)
//   dequantize: (float)scale * (q - zp)
//
// inv_scale is 1.0f / scale, computed in float32 as torch.quantize_per_tensor does.

#include <cmath>
#include <cstdint>

#include <mixq/core/scheme.hpp>

namespace mixq {

/// One value under the quantize rule for codes in [qmin, qmax].
inline std::int32_t quantize_code(float x, float inv_scale, std::int32_t zero_point, std::int32_t qmin,
                                  std::int32_t qmax) noexcept {
  const float t = x * inv_scale;
  if (std::isnan(t)) return zero_point;  // NaN input, or 0 * inf for a subnormal scale
  const float r = std::nearbyint(t);
  // Clamp before converting: r may be far outside the int32 range or infinite.
  if (r <= static_cast<float>(qmin - zero_point)) return qmin;
  if (r >= static_cast<float>(qmax - zero_point)) return qmax;
  return zero_point + static_cast<std::int32_t>(r);
}

/// One value under the binary rule: +1 for x >= 0 or NaN, -1 otherwise.
inline std::int32_t quantize_binary(float x) noexcept { return (x >= 0.0f || std::isnan(x)) ? 1 : -1; }

/// One value under the rule of scheme S: the binary rule for binary schemes,
/// the quantize rule for [qmin(S), qmax(S)] otherwise.
template <scheme S>
inline std::int32_t quantize_code(float x, float inv_scale, std::int32_t zero_point) noexcept {
  if constexpr (is_binary(S)) {
    (void)inv_scale, (void)zero_point;
    return quantize_binary(x);
  } else {
    return quantize_code(x, inv_scale, zero_point, qmin(S), qmax(S));
  }
}

/// One code under the dequantize rule.
inline float dequantize_code(std::int32_t code, float scale, std::int32_t zero_point) noexcept {
  return scale * static_cast<float>(code - zero_point);
}

}  // namespace mixq
