// EXPECT-ERROR: PerChannelAxisBelowRank
// A per-channel scheme's axis must be one of the tensor's axes.
#include <mixq/tensor/qtensor.hpp>

#ifdef MIXQ_COMPILE_FAIL
mixq::qtensor<mixq::scheme{.narrow = true, .axis = 2}, 2> t;
#else
mixq::qtensor<mixq::scheme{.narrow = true, .axis = 1}, 2> t;
#endif
