// EXPECT-ERROR: NarrowRangeNeedsSignedSymmetric
// An asymmetric scheme cannot be narrow.
#include <mixq/tensor/qtensor.hpp>

#ifdef MIXQ_COMPILE_FAIL
mixq::qtensor<mixq::scheme{.bits = 4, .symmetric = false, .narrow = true}, 1> t;
#else
mixq::qtensor<mixq::scheme{.bits = 4, .symmetric = true, .narrow = true}, 1> t;
#endif
