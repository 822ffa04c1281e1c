// The AVX2 path's kernel table; compiled with -mavx2 -mfma.
#include "kernel_table.hpp"

namespace mixq_test {
kernel_table table_avx2() { return make_kernel_table<xsimd::avx2>(); }
}  // namespace mixq_test
