// EXPECT-ERROR: weights must be signed symmetric codes
// The GEMM kernels take symmetric weights (zero point 0); asymmetric ones must be re-quantized first.
#include <mixq/ops/gemm.hpp>
#include <mixq/tensor/convert.hpp>

auto f(const mixq::qtensor<mixq::schemes::int8_asym, 2>& x, const mixq::qtensor<mixq::schemes::int8_asym, 2>& w) {
#ifdef MIXQ_COMPILE_FAIL
  return mixq::gemm(x, mixq::pack_gemm_weights(w));
#else
  return mixq::gemm(x, mixq::pack_gemm_weights(mixq::convert<mixq::schemes::int8_sym>(w, {0.01f})));
#endif
}
