#pragma once
// The platform: xsimd and the intrinsics headers, the macros that say which
// instruction sets this translation unit is compiled for, and the
// architecture tags every part of mixq is called with (`mixq::default_arch`,
// the best the flags allow; `mixq::scalar`; `mixq::avx512vnni`).
//
// The SIMD headers are read here once, with GCC 12's false AVX-512 warnings
// silenced: its intrinsics start from self-initialised values
// (`__m512 __Y = __Y;`) that -Wmaybe-uninitialized reports once inlined (GCC
// bug 105593). The state of the pragmas where a header is first read is what
// counts, so mixq headers include this one rather than xsimd or
// <immintrin.h> directly.

#include <type_traits>

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

#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#define MIXQ_WITH_AVX512VNNI 1
#else
#define MIXQ_WITH_AVX512VNNI 0
#endif

#if defined(__AVX2__)
#define MIXQ_WITH_AVX2 1
#else
#define MIXQ_WITH_AVX2 0
#endif

#if defined(__aarch64__) && defined(__ARM_NEON)
#define MIXQ_WITH_NEON64 1
#else
#define MIXQ_WITH_NEON64 0
#endif

#if MIXQ_WITH_NEON64 && defined(__ARM_FEATURE_DOTPROD)
#define MIXQ_WITH_NEON_DOTPROD 1
#else
#define MIXQ_WITH_NEON_DOTPROD 0
#endif

/// Forces inlining of the small helpers inner loops are built from.
#if defined(__GNUC__) || defined(__clang__)
#define MIXQ_INLINE inline __attribute__((always_inline))
#define MIXQ_INLINE_LAMBDA __attribute__((always_inline))
#else
#define MIXQ_INLINE inline
#define MIXQ_INLINE_LAMBDA
#endif

namespace mixq {

/// AVX-512 with the VNNI dot product (vpdpbusd). xsimd 8.1 has no tag for
/// it, so mixq adds one on top of xsimd::avx512bw.
struct avx512vnni : xsimd::avx512bw {
  static constexpr bool supported() noexcept { return MIXQ_WITH_AVX512VNNI; }
  static constexpr unsigned version() noexcept { return xsimd::generic::version(3, 5, 0); }
  static constexpr const char* name() noexcept { return "avx512vnni"; }
};

/// Portable C++: no intrinsics, every platform.
struct scalar {
  static constexpr bool supported() noexcept { return true; }
  static constexpr unsigned version() noexcept { return 0; }
  static constexpr const char* name() noexcept { return "scalar"; }
};

/// The best architecture this translation unit's flags allow.
#if MIXQ_WITH_AVX512VNNI
using default_arch = avx512vnni;
#elif MIXQ_WITH_AVX2 || MIXQ_WITH_NEON64
using default_arch = xsimd::default_arch;
#else
using default_arch = scalar;
#endif

/// An architecture tag whose code xsimd batches can run: xsimd's own tags,
/// and mixq::avx512vnni (as xsimd::avx512bw). mixq::scalar is not one.
template <class Arch>
concept SimdArch = std::is_base_of_v<xsimd::generic, Arch>;

/// The xsimd tag whose batches run Arch's code.
template <SimdArch Arch>
using simd_arch_t = std::conditional_t<std::is_base_of_v<avx512vnni, Arch>, xsimd::avx512bw, Arch>;

/// Whether the CPU running this program can execute code compiled for
/// `Arch` (xsimd's cpuid, plus the VNNI bit xsimd 8.1 does not read).
template <class Arch>
bool available(Arch = {}) noexcept {
  if constexpr (std::is_same_v<Arch, scalar>) {
    return true;
  } else if constexpr (std::is_base_of_v<avx512vnni, Arch>) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!xsimd::available_architectures().avx512bw) return false;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    const bool vl = (ebx >> 31) & 1u;
    const bool vnni = (ecx >> 11) & 1u;
    return vl && vnni;
#else
    return false;
#endif
  } else if constexpr (std::is_base_of_v<xsimd::neon, Arch>) {
#if defined(__arm__) || defined(__aarch64__)
    return Arch::version() <= xsimd::available_architectures().best;
#else
    return false;
#endif
  } else {
#if defined(__x86_64__) || defined(__i386__)
    return Arch::version() <= xsimd::available_architectures().best;
#else
    return false;
#endif
  }
}

}  // namespace mixq
