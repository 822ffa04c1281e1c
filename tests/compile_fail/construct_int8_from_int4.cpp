// EXPECT-ERROR: cannot be converted to a qtensor of another scheme
// Constructing a tensor of one scheme from another needs a re-quantization.
#include <mixq/tensor/convert.hpp>

mixq::qtensor<mixq::schemes::int8_asym, 2> f(const mixq::qtensor<mixq::schemes::int4_sym, 2>& in) {
#ifdef MIXQ_COMPILE_FAIL
  return mixq::qtensor<mixq::schemes::int8_asym, 2>(in);
#else
  return mixq::convert<mixq::schemes::int8_asym>(in, {0.1f, 0});
#endif
}
