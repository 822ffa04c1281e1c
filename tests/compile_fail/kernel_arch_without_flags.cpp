// EXPECT-ERROR: this translation unit is not compiled for the instruction set of Arch
// Calling a kernel for an architecture this translation unit is not compiled for is caught at compile time.
#include <mixq/kernels/gemm.hpp>

void f(const mixq::activation_matrix& a, const mixq::packed_weight_matrix& w, const mixq::int32_output& out) {
#ifdef MIXQ_COMPILE_FAIL
  mixq::gemm_kernel(mixq::avx512vnni{}, a, w, nullptr, out);
#else
  mixq::gemm_kernel(mixq::scalar{}, a, w, nullptr, out);
#endif
}
