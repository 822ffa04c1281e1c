// EXPECT-ERROR: SchemeBitsFrom1To8
// A scheme needs 1 to 8 bits.
#include <mixq/tensor/qtensor.hpp>

#ifdef MIXQ_COMPILE_FAIL
mixq::qtensor<mixq::scheme{.bits = 0}, 1> t;
#else
mixq::qtensor<mixq::scheme{.bits = 1}, 1> t;
#endif
