// EXPECT-ERROR: binary weights need binary activations
// XNOR-popcount needs both operands binary; int8 activations go with 8/4/2-bit weights.
#include <mixq/ops/gemm.hpp>

auto f(const mixq::qtensor<mixq::schemes::int8_asym, 2>& x, const mixq::qtensor<mixq::schemes::binary, 2>& w,
       const mixq::qtensor<mixq::schemes::int4_sym, 2>& w4) {
#ifdef MIXQ_COMPILE_FAIL
  (void)w4;
  return mixq::gemm(x, mixq::pack_gemm_weights(w));
#else
  (void)w;
  return mixq::gemm(x, mixq::pack_gemm_weights(w4));
#endif
}
