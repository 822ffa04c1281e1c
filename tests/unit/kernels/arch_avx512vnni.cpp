// The AVX-512 VNNI path's kernel table: compiled twice, with and without
// GFNI (which changes how sub-byte weights are unpacked); MIXQ_TEST_VNNI_NAME
// tells them apart.
#include "kernel_table.hpp"

namespace mixq_test {
kernel_table MIXQ_TEST_VNNI_NAME() {
  kernel_table t = make_kernel_table<mixq::avx512vnni>();
#if defined(__GFNI__)
  t.name = "avx512vnni+gfni";
#endif
  return t;
}
}  // namespace mixq_test
