// Differential: requantize_kernel of the best architecture this build has
// against its scalar twin: any accumulators, multipliers, offsets, zero
// points and clamps within the rule's precondition ((x + offset) * 2^shift
// fits in int32), 8-, 4- and 2-bit outputs, per-tensor and per-channel;
// and the float32 rule with any float scales (NaN, infinities, subnormals).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <mixq/core/bit_width.hpp>
#include <mixq/core/fixed_point.hpp>
#include <mixq/kernels/reference/requantize.hpp>
#include <mixq/kernels/requantize.hpp>

#include "../fuzz_target.hpp"

MIXQ_FUZZ_TARGET(requantize) {
  mixq_fuzz::bytes in(data, size);
  static constexpr int widths[] = {8, 4, 2, 3};  // 3: refused
  mixq::requantize_params p;
  p.bits = widths[in.in_range(0, 3)];
  p.is_signed = in.take<std::uint8_t>() % 2 == 0;
  p.per_channel = in.take<std::uint8_t>() % 2 == 0;
  const bool with_offset = in.take<std::uint8_t>() % 2 == 0;
  const std::size_t rows = in.in_range(1, 4), cols = in.in_range(1, 200);
  const std::size_t x_stride = cols + in.in_range(0, 2);
  const std::size_t channels = p.per_channel ? cols : 1;

  std::vector<mixq::fixed_multiplier> multiplier(channels);
  int widest_shift = 0;
  for (auto& m : multiplier) {
    const double mantissa = 1.0 + static_cast<double>(in.take<std::uint32_t>()) / 4294967296.0;
    m = mixq::quantize_multiplier(std::ldexp(mantissa, static_cast<int>(in.in_range(0, 44)) - 40));
    widest_shift = std::max(widest_shift, m.shift);
  }
  // The rule's precondition: |x + offset| * 2^shift stays within int32.
  const std::int64_t reach = std::numeric_limits<std::int32_t>::max() >> widest_shift;
  const auto within = [&](std::int64_t limit) {
    const auto raw = static_cast<std::int64_t>(in.take<std::int32_t>());
    return static_cast<std::int32_t>(raw % (limit + 1));
  };
  std::vector<std::int32_t> offset(cols);
  for (auto& o : offset) o = with_offset ? within(reach / 2) : 0;
  std::vector<std::int32_t> x(rows * x_stride);
  for (auto& v : x) v = within(reach / 2);

  const std::int32_t lo = p.is_signed ? -(1 << (p.bits - 1)) : 0, hi = p.is_signed ? (1 << (p.bits - 1)) - 1 : (1 << p.bits) - 1;
  p.zero_point = static_cast<std::int32_t>(in.in_range(0, static_cast<std::size_t>(hi - lo))) + lo;
  p.min = static_cast<std::int32_t>(in.in_range(0, static_cast<std::size_t>(hi - lo + 1))) + lo;  // hi + 1: refused
  p.max = static_cast<std::int32_t>(in.in_range(0, static_cast<std::size_t>(hi - lo))) + lo;
  p.multiplier = multiplier.data();
  p.offset = with_offset ? offset.data() : nullptr;
  // Last, so inputs that end earlier keep the tflite rule.
  std::vector<float> scale(channels);
  if (in.take<std::uint8_t>() % 2 == 1) {
    for (auto& s : scale) s = std::bit_cast<float>(in.take<std::uint32_t>());
    p.rule = mixq::requantize_rule::float32;
    p.scale = scale.data();
  }

  const std::size_t row_bytes = mixq::packed_row_bytes(cols, p.bits);
  const std::size_t out_stride = row_bytes + in.in_range(0, 2);
  std::vector<std::uint8_t> out(rows * out_stride, 0xcc);
  const mixq::requantize_args a{x.data(), rows, cols, x_stride, p, out.data(), out_stride};
  try {
    mixq::requantize_kernel(mixq::default_arch{}, a);
  } catch (const mixq::error&) {
    return;
  }
  const std::vector<std::uint8_t> want = mixq::reference::requantize(a);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const std::int32_t got = mixq::reference::read_code(out.data() + r * out_stride, c, p.bits, p.is_signed);
      const std::int32_t ref = mixq::reference::read_code(want.data() + r * row_bytes, c, p.bits, p.is_signed);
      if (got != ref) {
        const auto m = multiplier[p.per_channel ? c : 0];
        mixq_fuzz::fail("requantize to {}-bit: x[{}][{}] = {}, offset {}, multiplier {} shift {} (scale {}, {}): kernel "
                        "{} twin {}",
                        p.bits, r, c, x[r * x_stride + c], offset[c], m.multiplier, m.shift, scale[p.per_channel ? c : 0],
                        p.rule == mixq::requantize_rule::float32 ? "float32" : "tflite", got, ref);
      }
    }
  }
}
