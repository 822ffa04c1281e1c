#pragma once
// xsimd and the platform's intrinsics headers, read once for every mixq
// header that uses them, with GCC 12's false AVX-512 warnings silenced: its
// intrinsics start from self-initialised values (`__m512 __Y = __Y;`) that
// -Wmaybe-uninitialized reports once inlined (GCC bug 105593). The state of
// the pragmas where a header is first read is what counts, so mixq headers
// include this one rather than xsimd or <immintrin.h> directly.

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#endif
#include <xsimd/xsimd.hpp>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
