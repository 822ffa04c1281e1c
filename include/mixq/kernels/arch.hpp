#pragma once
// How an architecture tag (platform.hpp) selects a kernel's code path.
//
// A kernel is a functor `template <KernelArch Arch> R operator()(Arch, args...) const`
// (the shape xsimd::dispatch expects). Its body picks one of four paths at
// compile time from the tag:
//
//   mixq::avx512vnni                     AVX-512BW + VNNI (vpdpbusd)
//   xsimd::avx2 ... xsimd::avx512bw      AVX2 (vpmaddubsw / vpmaddwd)
//   xsimd::neon64                        NEON, with sdot when the target has it
//   anything else, or mixq::scalar       portable C++
//
// A path's intrinsics exist only when the translation unit is compiled for
// that instruction set (-mavx512vnni, -mavx2, ...). KernelArch says whether
// it is, so `requires` can ask; calling a kernel with an Arch that is not
// compiled in picks a deleted overload whose line says which flags to use.

#include <cstddef>
#include <type_traits>
#include <utility>

#include <mixq/platform.hpp>

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

/// An architecture tag whose kernel path this translation unit is compiled for.
template <class Arch>
concept KernelArch = std::is_class_v<Arch> && path_compiled(kernel_path_of<Arch>);

namespace detail {
// The base of every kernel functor: the overloads an Arch that is not
// compiled in selects. They are deleted, so `requires` sees no kernel for
// that Arch, and the compiler shows their line, which says what to do.
// Params, when given, are the kernel's descriptor parameters, so that a
// call with braced descriptors reaches the message too (the trailing `...`
// keeps the kernel's own overload from hiding this one).
template <class... Params>
struct kernel_functor {
  template <class Arch, class... Args>
    requires(!KernelArch<Arch>)
  void operator()(Arch, Args&&...) const = delete;  // mixq: this translation unit is not compiled for the instruction set of Arch: compile it with that set's flags (avx512vnni: -mavx512bw -mavx512vl -mavx512vnni; AVX2: -mavx2; NEON: an aarch64 target) or call the kernel with mixq::default_arch{} or mixq::scalar{}.
  template <class Arch>
    requires(!KernelArch<Arch> && sizeof...(Params) > 0)
  void operator()(Arch, Params..., ...) const = delete;  // mixq: this translation unit is not compiled for the instruction set of Arch: compile it with that set's flags (avx512vnni: -mavx512bw -mavx512vl -mavx512vnni; AVX2: -mavx2; NEON: an aarch64 target) or call the kernel with mixq::default_arch{} or mixq::scalar{}.
};
}  // namespace detail

}  // namespace mixq
