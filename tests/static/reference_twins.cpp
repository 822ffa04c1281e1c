// The scalar twins stand alone: kernels/reference/ reaches no SIMD header,
// directly or through what it includes (the oracle must not depend on what
// it checks). tests/static/check_reference_includes.cmake checks the
// include lines themselves.
#include <mixq/kernels/reference/codes.hpp>
#include <mixq/kernels/reference/conv.hpp>
#include <mixq/kernels/reference/gemm.hpp>
#include <mixq/kernels/reference/pack.hpp>
#include <mixq/kernels/reference/quantize.hpp>
#include <mixq/kernels/reference/requantize.hpp>

#if defined(XSIMD_VERSION_MAJOR) || defined(MIXQ_WITH_AVX2) || defined(_IMMINTRIN_H_INCLUDED) || defined(__ARM_NEON_H)
#error "mixq/kernels/reference/ includes a SIMD header; its twins must depend only on core/, storage/ and kernels/args.hpp"
#endif
