// Differential: quantize_kernel and dequantize_kernel of the best
// architecture this build has against their scalar twins, for any scheme,
// scales and zero points (the kernel must either refuse them with a
// mixq::error or agree with the twin code for code), on any floats (NaN,
// infinities, subnormals included).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <mixq/core/bit_width.hpp>
#include <mixq/kernels/quantize.hpp>
#include <mixq/kernels/reference/quantize.hpp>

#include "../fuzz_target.hpp"

MIXQ_FUZZ_TARGET(quantize) {
  mixq_fuzz::bytes in(data, size);
  const auto flags = in.take<std::uint8_t>();
  mixq::scheme s;
  s.bits = static_cast<int>(in.in_range(0, 9));  // 0 and 9: refused
  s.is_signed = flags & 1;
  s.symmetric = flags & 2;
  s.narrow = flags & 4;
  s.scale = flags & 8 ? mixq::scale_kind::pow2 : mixq::scale_kind::real;
  const auto axis = static_cast<mixq::channel_axis>(in.in_range(0, 2));
  const std::size_t rows = in.in_range(1, 4), cols = in.in_range(1, 200);
  const std::size_t x_stride = cols + in.in_range(0, 2);
  const std::size_t channels = axis == mixq::channel_axis::tensor ? 1 : axis == mixq::channel_axis::row ? rows : cols;

  std::vector<float> scale(channels);
  std::vector<std::int32_t> zero_point(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    const auto pick = in.take<std::uint8_t>();
    if (pick < 8) {
      scale[c] = in.any_float();  // anything: the kernel must check it
    } else if (s.scale == mixq::scale_kind::pow2 || pick < 64) {
      scale[c] = std::ldexp(1.0f, static_cast<int>(in.in_range(0, 60)) - 40);
    } else {
      scale[c] = std::ldexp(1.0f + static_cast<float>(in.take<std::uint16_t>()) / 65536.0f,
                            static_cast<int>(in.in_range(0, 60)) - 40);
    }
    zero_point[c] = static_cast<std::int32_t>(in.take<std::int16_t>()) % 300;
  }
  std::vector<float> x(rows * x_stride);
  for (auto& v : x) {
    const auto pick = in.take<std::uint8_t>();
    const float sc = scale[pick % channels];
    // Mostly near the codes' grid (ties included), sometimes anything.
    v = pick < 32 ? in.any_float() : sc * (static_cast<float>(in.take<std::int16_t>()) / 64.0f);
  }

  const std::size_t row_bytes = mixq::packed_row_bytes(cols, s.bits >= 1 && s.bits <= 8 ? s.bits : 8);
  const std::size_t out_stride = row_bytes + in.in_range(0, 2);
  std::vector<std::uint8_t> out(rows * out_stride, 0xcc);
  const mixq::channel_params ch{scale.data(), zero_point.data(), axis};
  const mixq::quantize_args qa{s, x.data(), rows, cols, x_stride, ch, out.data(), out_stride};
  try {
    mixq::quantize_kernel(mixq::default_arch{}, qa);
  } catch (const mixq::error&) {
    return;
  }
  const std::vector<std::uint8_t> want = mixq::reference::quantize(qa);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const std::int32_t got = mixq::reference::read_code(out.data() + r * out_stride, c, s.bits, s.is_signed);
      const std::int32_t ref = mixq::reference::read_code(want.data() + r * row_bytes, c, s.bits, s.is_signed);
      if (got != ref) {
        mixq_fuzz::fail("quantize {}-bit {}{}: x[{}][{}] = {} (scale {}, zp {}): kernel {} twin {}", s.bits,
                        s.is_signed ? "signed" : "unsigned", s.symmetric ? " symmetric" : "", r, c,
                        x[r * x_stride + c], scale[mixq::reference::detail::channel_of(axis, r, c)],
                        zero_point[mixq::reference::detail::channel_of(axis, r, c)], got, ref);
      }
    }
  }

  std::vector<float> back(rows * x_stride, -1.0f);
  const mixq::dequantize_args da{s, out.data(), rows, cols, out_stride, ch, back.data(), x_stride};
  mixq::dequantize_kernel(mixq::default_arch{}, da);
  const std::vector<float> twin = mixq::reference::dequantize(da);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const float got = back[r * x_stride + c], ref = twin[r * cols + c];
      if (std::memcmp(&got, &ref, sizeof got) != 0) {
        mixq_fuzz::fail("dequantize {}-bit: [{}][{}]: kernel {} twin {}", s.bits, r, c, got, ref);
      }
    }
  }
}
