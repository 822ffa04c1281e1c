// EXPECT-ERROR: SignedOneBitIsSymmetricBinary
// Signed 1-bit is the binary code {-1, +1}; it has no zero point to move.
#include <mixq/tensor/qtensor.hpp>

#ifdef MIXQ_COMPILE_FAIL
mixq::qtensor<mixq::scheme{.bits = 1, .symmetric = false}, 1> t;
#else
mixq::qtensor<mixq::scheme{.bits = 1, .is_signed = false, .symmetric = false}, 1> t;
#endif
