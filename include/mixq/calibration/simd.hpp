#pragma once
// xsimd, read once for all calibration headers with GCC 12's false AVX-512
// warnings silenced: its intrinsics start from `__m512 __Y = __Y;`
// placeholders that -Wmaybe-uninitialized reports once inlined (GCC bug
// 105593). The state of the pragmas where the intrinsics header is first read
// is what counts, so calibration headers include this rather than xsimd.

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <xsimd/xsimd.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
