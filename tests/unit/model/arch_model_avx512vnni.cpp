// The integer executor on the AVX-512 VNNI kernels; compiled with the AVX-512 flags.
#include "unit/model/arch_models.hpp"

namespace mixq_test {
model_arch model_avx512vnni() { return make_model_arch<mixq::avx512vnni>(); }
}  // namespace mixq_test
