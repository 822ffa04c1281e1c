// The portable path's kernel table (baseline flags).
#include "kernel_table.hpp"

namespace mixq_test {
kernel_table table_scalar() { return make_kernel_table<mixq::scalar>(); }
}  // namespace mixq_test
