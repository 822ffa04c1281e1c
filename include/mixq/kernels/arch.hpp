#pragma once
// Architectures the kernels are written for, and how an xsimd architecture
// tag selects one of them.
//
// A kernel is a functor `template <class Arch> R operator()(Arch, args...) const`
// (the shape xsimd::dispatch expects). Its body picks one of four paths at
// compile time from the tag:
//
//   mixq::avx512vnni                     AVX-512BW + VNNI (vpdpbusd)
//   xsimd::avx2 ... xsimd::avx512bw      AVX2 (vpmaddubsw / vpmaddwd)
//   xsimd::neon64                        NEON, with sdot when the target has it
//   anything else, or mixq::scalar       portable C++
//
// A path's intrinsics exist only when the translation unit is compiled for
// that instruction set (-mavx512vnni, -mavx2, ...); asking for a path the
// translation unit cannot compile fails with a message saying which flags to
// use. `mixq::default_arch` is the best path the current flags allow.

#include <cstddef>
#include <type_traits>
#include <utility>

#include <mixq/kernels/simd.hpp>

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

namespace detail {
// Calls f(std::integral_constant<std::size_t, i>{}) for i = 0 .. N-1, unrolled
// at compile time. Kernels index their register arrays through it: GCC keeps
// arrays of vectors in registers only when every index is a constant.
template <std::size_t N, class F>
MIXQ_INLINE void unroll(F&& f) {
  [&]<std::size_t... I>(std::index_sequence<I...>) MIXQ_INLINE_LAMBDA {
    (f(std::integral_constant<std::size_t, I>{}), ...);
  }(std::make_index_sequence<N>{});
}
}  // namespace detail

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

/// The code path a kernel takes for an architecture tag.
enum class kernel_path { scalar, avx2, avx512vnni, neon };

template <class Arch>
inline constexpr kernel_path kernel_path_of = [] {
  if constexpr (std::is_base_of_v<avx512vnni, Arch>) {
    return kernel_path::avx512vnni;
  } else if constexpr (std::is_base_of_v<xsimd::avx2, Arch> || std::is_base_of_v<xsimd::avx512f, Arch>) {
    return kernel_path::avx2;  // every AVX-512 CPU has AVX2
  } else if constexpr (std::is_base_of_v<xsimd::neon64, Arch>) {
    return kernel_path::neon;
  } else {
    return kernel_path::scalar;
  }
}();

/// Whether this translation unit's flags let it compile the path.
constexpr bool path_compiled(kernel_path p) noexcept {
  switch (p) {
    case kernel_path::avx512vnni: return MIXQ_WITH_AVX512VNNI;
    case kernel_path::avx2: return MIXQ_WITH_AVX2;
    case kernel_path::neon: return MIXQ_WITH_NEON64;
    case kernel_path::scalar: return true;
  }
  return false;
}

/// Requires of a kernel's Arch that its path is compiled in; the message
/// says what to do otherwise.
template <class Arch>
concept KernelArch = path_compiled(kernel_path_of<Arch>);

namespace detail {
template <class Arch>
constexpr void check_kernel_arch() {
  static_assert(kernel_path_of<Arch> != kernel_path::avx512vnni || MIXQ_WITH_AVX512VNNI,
                "mixq: the avx512vnni kernels need this translation unit compiled with -mavx512bw -mavx512vl "
                "-mavx512vnni (or -march=icelake-server / znver4); otherwise call the kernel with mixq::scalar{} "
                "or mixq::default_arch{}.");
  static_assert(kernel_path_of<Arch> != kernel_path::avx2 || MIXQ_WITH_AVX2,
                "mixq: the AVX2 kernels need this translation unit compiled with -mavx2 (or -march=haswell or "
                "later); otherwise call the kernel with mixq::scalar{} or mixq::default_arch{}.");
  static_assert(kernel_path_of<Arch> != kernel_path::neon || MIXQ_WITH_NEON64,
                "mixq: the NEON kernels are for aarch64 targets; call the kernel with mixq::scalar{} or "
                "mixq::default_arch{}.");
}
}  // namespace detail

/// The best architecture this translation unit's flags allow.
#if MIXQ_WITH_AVX512VNNI
using default_arch = avx512vnni;
#elif MIXQ_WITH_AVX2 || MIXQ_WITH_NEON64
using default_arch = xsimd::default_arch;
#else
using default_arch = scalar;
#endif

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
