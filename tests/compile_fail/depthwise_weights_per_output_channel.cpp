// EXPECT-ERROR: weights must be signed symmetric 8-bit codes, per tensor or per channel along axis 3
// The depthwise kernel's weights are 1 x 3 x 3 x C: their channels run along axis 3, not axis 0.
#include <mixq/ops/conv.hpp>

constexpr mixq::scheme weights_axis0{.narrow = true, .axis = 0};
constexpr mixq::scheme weights_axis3{.narrow = true, .axis = 3};

#ifdef MIXQ_COMPILE_FAIL
auto f(const mixq::qtensor<mixq::schemes::int8_asym, 4>& x, const mixq::qtensor<weights_axis0, 4>& w) {
#else
auto f(const mixq::qtensor<mixq::schemes::int8_asym, 4>& x, const mixq::qtensor<weights_axis3, 4>& w) {
#endif
  return mixq::depthwise_conv2d(x, w, {.padding = 1}, mixq::qparams<mixq::schemes::int8_asym>{0.1f, 0});
}
