// The list of model runners built into this binary; MIXQ_TEST_ARCH_MODEL_*
// come from tests/CMakeLists.txt, one per architecture translation unit.
#include "unit/model/arch_models.hpp"

namespace mixq_test {

#if MIXQ_TEST_ARCH_MODEL_AVX2
model_arch model_avx2();
#endif
#if MIXQ_TEST_ARCH_MODEL_AVX512VNNI
model_arch model_avx512vnni();
#endif

std::vector<model_arch> model_archs() {
  std::vector<model_arch> archs{make_model_arch<mixq::scalar>()};
#if MIXQ_TEST_ARCH_MODEL_AVX2
  archs.push_back(model_avx2());
#endif
#if MIXQ_TEST_ARCH_MODEL_AVX512VNNI
  archs.push_back(model_avx512vnni());
#endif
#if defined(__aarch64__)
  archs.push_back(make_model_arch<mixq::default_arch>());
#endif
  return archs;
}

}  // namespace mixq_test
