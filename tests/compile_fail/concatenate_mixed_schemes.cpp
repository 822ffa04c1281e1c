// EXPECT-ERROR: both tensors must have the same scheme
// Joining int8 and int4 tensors needs one of them re-quantized first.
#include <mixq/tensor/concatenate.hpp>
#include <mixq/tensor/convert.hpp>

using mixq::schemes::int4_sym;
using mixq::schemes::int8_sym;

auto f(const mixq::qtensor<int8_sym, 2>& a, const mixq::qtensor<int4_sym, 2>& b) {
#ifdef MIXQ_COMPILE_FAIL
  return mixq::concatenate(a, b, 0);
#else
  return mixq::concatenate(a, mixq::convert<int8_sym>(b, a.params()), 0);
#endif
}
