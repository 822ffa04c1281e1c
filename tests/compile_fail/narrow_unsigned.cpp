// EXPECT-ERROR: NarrowRangeNeedsSignedSymmetric
// Narrow range drops the most negative code: only signed symmetric schemes have one to drop.
#include <mixq/tensor/qtensor.hpp>

#ifdef MIXQ_COMPILE_FAIL
mixq::qtensor<mixq::scheme{.is_signed = false, .narrow = true}, 2> t;
#else
mixq::qtensor<mixq::scheme{.is_signed = true, .narrow = true}, 2> t;
#endif
