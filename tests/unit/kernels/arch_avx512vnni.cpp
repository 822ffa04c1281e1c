// The AVX-512 VNNI path's kernel table; compiled with the AVX-512 flags.
#include "kernel_table.hpp"

namespace mixq_test {
kernel_table table_avx512vnni() { return make_kernel_table<mixq::avx512vnni>(); }
}  // namespace mixq_test
