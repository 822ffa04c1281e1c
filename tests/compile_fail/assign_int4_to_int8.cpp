// EXPECT-ERROR: cannot be assigned to a qtensor of another scheme
// int4 codes are not int8 codes: assigning needs a re-quantization.
#include <mixq/tensor/convert.hpp>

void f(mixq::qtensor<mixq::schemes::int8_asym, 2>& out, const mixq::qtensor<mixq::schemes::int4_sym, 2>& in) {
#ifdef MIXQ_COMPILE_FAIL
  out = in;
#else
  out = mixq::convert<mixq::schemes::int8_asym>(in, mixq::qparams<mixq::schemes::int8_asym>{0.1f, 0});
#endif
}
