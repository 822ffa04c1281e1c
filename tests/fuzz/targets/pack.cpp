// Differential: pack_kernel and unpack_kernel of the best architecture this
// build has against their scalar twins, on rows of any width and padding;
// and unpack(pack(lanes)) == lanes for codes in the width's range.
#include <cstdint>
#include <vector>

#include <mixq/core/bit_width.hpp>
#include <mixq/kernels/pack.hpp>
#include <mixq/kernels/reference/pack.hpp>

#include "../fuzz_target.hpp"

MIXQ_FUZZ_TARGET(pack) {
  mixq_fuzz::bytes in(data, size);
  const int bits = static_cast<int>(in.in_range(1, 8));
  const bool is_signed = bits == 1 || in.take<std::uint8_t>() % 2 == 0;  // binary codes are -1 / +1
  const std::size_t rows = in.in_range(1, 4), cols = in.in_range(1, 300);
  const std::size_t lane_stride = cols + in.in_range(0, 3);
  const std::size_t row_bytes = mixq::packed_row_bytes(cols, bits);
  const std::size_t packed_stride = row_bytes + in.in_range(0, 3);

  // Lanes: codes of the width, as int8 / uint8 bit patterns.
  std::vector<std::uint8_t> lanes(rows * lane_stride, 0);
  for (auto& lane : lanes) {
    const auto raw = in.take<std::uint8_t>();
    if (bits == 1) {
      lane = raw % 2 ? 1 : 0xff;
    } else if (bits == 8) {
      lane = raw;
    } else if (is_signed) {
      const int half = 1 << (bits - 1);
      lane = static_cast<std::uint8_t>(static_cast<std::int8_t>(static_cast<int>(raw % (2 * half)) - half));
    } else {
      lane = static_cast<std::uint8_t>(raw % (1u << bits));
    }
  }

  std::vector<std::uint8_t> packed(rows * packed_stride, 0xa5);
  const mixq::pack_args pa{lanes.data(), rows, cols, lane_stride, bits, packed.data(), packed_stride};
  mixq::pack_kernel(mixq::default_arch{}, pa);
  const std::vector<std::uint8_t> want = mixq::reference::pack(pa);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const std::int32_t got = mixq::reference::read_code(packed.data() + r * packed_stride, c, bits, is_signed);
      const std::int32_t ref = mixq::reference::read_code(want.data() + r * row_bytes, c, bits, is_signed);
      if (got != ref) mixq_fuzz::fail("pack {} bits: row {} col {}: kernel {} twin {}", bits, r, c, got, ref);
    }
  }

  std::vector<std::uint8_t> back(rows * lane_stride, 0x5a);
  const mixq::unpack_args ua{packed.data(), rows, cols, packed_stride, bits, is_signed, back.data(), lane_stride};
  mixq::unpack_kernel(mixq::default_arch{}, ua);
  const std::vector<std::uint8_t> twin = mixq::reference::unpack(ua);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const std::uint8_t got = back[r * lane_stride + c];
      if (got != lanes[r * lane_stride + c] || got != twin[r * cols + c]) {
        mixq_fuzz::fail("unpack {} bits ({}): row {} col {}: kernel {:#04x}, twin {:#04x}, packed lane {:#04x}", bits,
                        is_signed ? "signed" : "unsigned", r, c, got, twin[r * cols + c], lanes[r * lane_stride + c]);
      }
    }
  }

  // Any packed bytes unpack as the twin does (the padding bits are not read).
  auto rest = in.rest();
  std::vector<std::uint8_t> noise(rows * packed_stride, 0);
  for (std::size_t i = 0; i < noise.size() && i < rest.size(); ++i) noise[i] = rest[i];
  const mixq::unpack_args na{noise.data(), rows, cols, packed_stride, bits, is_signed, back.data(), lane_stride};
  mixq::unpack_kernel(mixq::default_arch{}, na);
  const std::vector<std::uint8_t> noise_twin = mixq::reference::unpack(na);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      if (back[r * lane_stride + c] != noise_twin[r * cols + c]) {
        mixq_fuzz::fail("unpack {} bits of any bytes: row {} col {}: kernel {:#04x}, twin {:#04x}", bits, r, c,
                        back[r * lane_stride + c], noise_twin[r * cols + c]);
      }
    }
  }
}
