// EXPECT-ERROR: SchemeBitsFrom1To8
// A scheme needs 1 to 8 bits; 9-bit codes do not exist.
#include <mixq/core/qparams.hpp>

#ifdef MIXQ_COMPILE_FAIL
mixq::qparams<mixq::scheme{.bits = 9}> p;
#else
mixq::qparams<mixq::scheme{.bits = 8}> p;
#endif
