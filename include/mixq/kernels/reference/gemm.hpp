#pragma once
// Scalar twin of kernels/gemm.hpp: the definition, computed directly from
// unpacked weight codes in 64-bit arithmetic.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <mixq/kernels/args.hpp>
#include <mixq/kernels/reference/codes.hpp>
#include <mixq/kernels/reference/requantize.hpp>

namespace mixq::reference {

/// r[m][n] = sum_k (a[m][k] - zero_point) * w[n][k] + bias[n] for rows
/// [rows.begin, rows.end) of A; w holds N x K codes row-major (binary: -1/+1).
/// Binary activations and weights use the same sum with codes -1/+1.
inline std::vector<std::int32_t> gemm(const activation_matrix& a, const std::int8_t* w, std::size_t n,
                                      const std::int32_t* bias, row_range rows = {}) {
  if (rows.end == static_cast<std::size_t>(-1)) rows.end = a.rows;
  std::vector<std::int32_t> out((rows.end - rows.begin) * n);
  for (std::size_t m = rows.begin; m < rows.end; ++m) {
    const std::uint8_t* row = a.data + m * a.stride;
    for (std::size_t c = 0; c < n; ++c) {
      std::int64_t sum = bias ? bias[c] : 0;
      for (std::size_t k = 0; k < a.cols; ++k) {
        const std::int64_t code = read_code(row, k, a.bits, a.is_signed);
        sum += (code - a.zero_point) * w[c * a.cols + k];
      }
      out[(m - rows.begin) * n + c] = static_cast<std::int32_t>(sum);
    }
  }
  return out;
}

/// The same, requantized: packed rows of p.bits-bit codes, packed_row_bytes(n, p.bits) apart.
inline std::vector<std::uint8_t> gemm_requantized(const activation_matrix& a, const std::int8_t* w, std::size_t n,
                                                  const std::int32_t* bias, const requantize_params& p,
                                                  row_range rows = {}) {
  const std::vector<std::int32_t> r = gemm(a, w, n, bias, rows);
  return requantize(requantize_args{.x = r.data(), .rows = r.size() / (n ? n : 1), .cols = n, .x_stride = n, .params = p});
}

}  // namespace mixq::reference
