// The NEON path's kernel table: compiled twice on aarch64, with and without
// the dot-product extension (MIXQ_TEST_NEON_NAME tells them apart).
#include "kernel_table.hpp"

namespace mixq_test {
kernel_table MIXQ_TEST_NEON_NAME() {
  kernel_table t = make_kernel_table<xsimd::neon64>();
  t.name = MIXQ_WITH_NEON_DOTPROD ? "neon+dotprod" : "neon";
  return t;
}
}  // namespace mixq_test
