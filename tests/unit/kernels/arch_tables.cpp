// The list of kernel tables built into this binary; MIXQ_TEST_ARCH_* come
// from tests/CMakeLists.txt, one per architecture translation unit.
#include "kernel_table.hpp"

namespace mixq_test {

kernel_table table_scalar();
#if MIXQ_TEST_ARCH_AVX2
kernel_table table_avx2();
#endif
#if MIXQ_TEST_ARCH_AVX512VNNI
kernel_table table_avx512vnni();
#endif
#if MIXQ_TEST_ARCH_AVX512VNNI_GFNI
kernel_table table_avx512vnni_gfni();
#endif
#if MIXQ_TEST_ARCH_NEON
kernel_table table_neon();
#endif
#if MIXQ_TEST_ARCH_NEON_DOTPROD
kernel_table table_neon_dotprod();
#endif

std::vector<kernel_table> compiled_kernel_tables() {
  std::vector<kernel_table> tables{table_scalar()};
#if MIXQ_TEST_ARCH_AVX2
  tables.push_back(table_avx2());
#endif
#if MIXQ_TEST_ARCH_AVX512VNNI
  tables.push_back(table_avx512vnni());
#endif
#if MIXQ_TEST_ARCH_AVX512VNNI_GFNI
  tables.push_back(table_avx512vnni_gfni());
#endif
#if MIXQ_TEST_ARCH_NEON
  tables.push_back(table_neon());
#endif
#if MIXQ_TEST_ARCH_NEON_DOTPROD
  tables.push_back(table_neon_dotprod());
#endif
  return tables;
}

}  // namespace mixq_test
