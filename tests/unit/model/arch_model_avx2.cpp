// The integer executor on the AVX2 kernels; compiled with -mavx2 -mfma.
#include "unit/model/arch_models.hpp"

namespace mixq_test {
model_arch model_avx2() { return make_model_arch<xsimd::avx2>(); }
}  // namespace mixq_test
