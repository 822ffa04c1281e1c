// Compile-time behaviour of the kernels' architectures, layouts and the
// typed layer's scheme checks.
#include <mixq/kernels/add.hpp>
#include <mixq/kernels/arch.hpp>
#include <mixq/kernels/conv.hpp>
#include <mixq/kernels/gemm.hpp>
#include <mixq/kernels/pack.hpp>
#include <mixq/kernels/quantize.hpp>
#include <mixq/kernels/requantize.hpp>
#include <mixq/kernels/weights.hpp>
#include <mixq/ops/conv.hpp>
#include <mixq/ops/gemm.hpp>
#include <mixq/ops/quantize.hpp>

namespace {
using namespace mixq;
namespace s = mixq::schemes;

// Tags select paths.
static_assert(kernel_path_of<avx512vnni> == kernel_path::avx512vnni);
static_assert(kernel_path_of<xsimd::avx2> == kernel_path::avx2);
static_assert(kernel_path_of<xsimd::fma3<xsimd::avx2>> == kernel_path::avx2);
static_assert(kernel_path_of<xsimd::avx512bw> == kernel_path::avx2);
static_assert(kernel_path_of<xsimd::neon64> == kernel_path::neon);
static_assert(kernel_path_of<xsimd::sse4_2> == kernel_path::scalar);
static_assert(kernel_path_of<scalar> == kernel_path::scalar);
static_assert(KernelArch<scalar> && KernelArch<default_arch>);
static_assert(path_compiled(kernel_path_of<default_arch>));
static_assert(!KernelArch<int>);  // not a tag
#if !MIXQ_WITH_AVX512VNNI
static_assert(!KernelArch<avx512vnni>);  // a path this translation unit is not compiled for
#endif
#if !MIXQ_WITH_AVX2
static_assert(!KernelArch<xsimd::avx2>);
#endif
static_assert(SimdArch<avx512vnni> && SimdArch<xsimd::sse2> && !SimdArch<scalar>);
static_assert(std::is_same_v<simd_arch_t<avx512vnni>, xsimd::avx512bw>);

// Every kernel takes (arch, descriptors...) for the architectures compiled
// in, and none for the others: `requires` can ask.
template <class Arch>
constexpr bool has_kernels = requires(const activation_matrix& a, const packed_weight_matrix& w, const int32_output& o,
                                      const requantized_output& rq, const conv2d_shape& s, const conv_input& in) {
  gemm_kernel(Arch{}, a, w, nullptr, o);
  gemm_kernel(Arch{}, a, w, nullptr, rq, row_range{});
  conv2d_kernel(Arch{}, s, in, w, nullptr, o);
  depthwise_kernel(Arch{}, s, in, static_cast<const std::int8_t*>(nullptr), nullptr, rq);
  quantize_kernel(Arch{}, quantize_args{});
  dequantize_kernel(Arch{}, dequantize_args{});
  requantize_kernel(Arch{}, requantize_args{});
  add_kernel(Arch{}, add_args{});
  pack_kernel(Arch{}, pack_args{});
  unpack_kernel(Arch{}, unpack_args{});
};
static_assert(has_kernels<scalar> && has_kernels<default_arch>);
#if !MIXQ_WITH_AVX512VNNI
static_assert(!has_kernels<avx512vnni>);
#endif
template <class Arch>
constexpr bool has_gemm = requires(const activation_matrix& a, const packed_weight_matrix& w, const int32_output& o) {
  gemm_kernel(Arch{}, a, w, nullptr, o);
};
template <class Arch>
constexpr bool has_pack = requires { pack_kernel(Arch{}, pack_args{}); };
#if !MIXQ_WITH_AVX2
static_assert(!has_gemm<xsimd::avx2> && !has_pack<xsimd::avx2>);
#endif
#if !MIXQ_WITH_NEON64
static_assert(!has_gemm<xsimd::neon64> && !has_pack<xsimd::neon64>);
#endif
// A descriptor of the wrong kind is no call either.
template <class Args>
constexpr bool packs_from = requires { pack_kernel(scalar{}, Args{}); };
static_assert(packs_from<pack_args> && !packs_from<unpack_args>);

// The code range rule every range derives from.
static_assert(code_range_of(8, true).lo == -128 && code_range_of(8, true).hi == 127);
static_assert(code_range_of(8, true, true).lo == -127);
static_assert(code_range_of(4, false).lo == 0 && code_range_of(4, false).hi == 15);
static_assert(code_range_of(1, true).lo == -1 && code_range_of(1, true).hi == 1);
static_assert(code_range_of(1, false).hi == 1 && code_range_of(2, true).lo == -2);
static_assert(qmin(s::int8_sym_per_channel) == -127 && qmax(s::uint2_asym) == 3);
static_assert(code_format<4, true>::lowest == qmin(s::int4_sym) && code_format<4, true>::highest == qmax(s::int4_sym));

// Layouts: one per path and width; they differ, so weights cannot be mixed up.
static_assert(weight_layout_for(kernel_path::avx512vnni, 8).panel == 64);
static_assert(weight_layout_for(kernel_path::avx512vnni, 1).panel == 32);
static_assert(weight_layout_for(kernel_path::avx2, 4).panel == 32);
static_assert(weight_layout_for(kernel_path::neon, 2).panel == 16);
static_assert(weight_layout_for(kernel_path::scalar, 8).panel == 8);
static_assert(!(weight_layout_for(kernel_path::avx2, 8) == weight_layout_for(kernel_path::avx512vnni, 8)));
static_assert(!(weight_layout_for(kernel_path::avx2, 8) == weight_layout_for(kernel_path::avx2, 4)));
static_assert(k_per_block(8) == 4 && k_per_block(4) == 8 && k_per_block(2) == 16 && k_per_block(1) == 64);

// The overflow bound: K * 255 * 128 fits in int32, one more does not.
static_assert(gemm_max_k == 65793);
static_assert(gemm_max_k * 255 * 128 <= 2147483647ull);
static_assert((gemm_max_k + 1) * 255 * 128 > 2147483647ull);

// Scheme pairs a GEMM kernel exists for.
static_assert(GemmSchemes<s::int8_asym, s::int8_sym_per_channel>);
static_assert(GemmSchemes<s::uint8_asym, s::int4_sym_per_channel>);
static_assert(GemmSchemes<s::uint4_asym, s::int2_sym>);
static_assert(GemmSchemes<s::int8_asym, s::int8_pow2_per_channel>);
static_assert(GemmSchemes<s::int8_asym, s::int2_ternary>);
static_assert(GemmSchemes<s::binary, s::binary>);
static_assert(!GemmSchemes<s::int8_asym, s::int8_asym>);           // asymmetric weights
static_assert(!GemmSchemes<s::int8_asym, s::uint8_sym>);           // unsigned weights
static_assert(!GemmSchemes<s::int8_asym, scheme{.bits = 3}>);      // 3-bit weights
static_assert(!GemmSchemes<s::int8_asym, scheme{.axis = 1}>);      // per-column weights
static_assert(!GemmSchemes<s::int8_sym_per_channel, s::int8_sym>); // per-channel activations
static_assert(!GemmSchemes<s::int8_asym, s::binary>);              // binary only with binary
static_assert(!GemmSchemes<s::binary, s::int8_sym>);
static_assert(!GemmSchemes<scheme{.bits = 5}, s::int8_sym>);       // 5-bit activations
static_assert(GemmOutputScheme<s::uint2_asym> && !GemmOutputScheme<s::binary> && !GemmOutputScheme<s::int8_sym_per_channel>);

// packed_weights exists only for weight schemes a kernel takes.
template <scheme S>
constexpr bool packs = requires(const qtensor<S, 2>& w) { packed_weights<S, scalar>(w); };
template <scheme S>
constexpr bool packs_gemm = requires(const qtensor<S, 2>& w) { pack_gemm_weights<scalar>(w); };
template <scheme S>
constexpr bool packs_conv = requires(const qtensor<S, 4>& w) { pack_conv_weights<scalar>(w); };
static_assert(packs<s::int4_sym_per_channel> && packs_gemm<s::int4_sym_per_channel> && packs_gemm<s::binary>);
static_assert(!packs<s::int8_asym> && !packs_gemm<s::int8_asym> && !packs_gemm<s::uint8_sym>);
static_assert(!packs_gemm<scheme{.bits = 3}> && !packs_gemm<scheme{.axis = 1}>);
static_assert(packs_conv<s::int8_sym_per_channel> && !packs_conv<s::binary> && !packs_conv<s::int8_asym>);
template <scheme SW>
constexpr bool packs_for = requires(const qtensor<SW, 2>& w) { pack_gemm_weights<int>(w); };
static_assert(!packs_for<s::int8_sym>);  // int is no architecture tag

// gemm() exists for the scheme pairs a kernel takes, and its requantized
// form for the output schemes; conv2d and depthwise_conv2d likewise.
template <scheme SA, scheme SW>
constexpr bool has_gemm_for = requires(const qtensor<SA, 2>& a, const packed_weights<SW, scalar>& w) { gemm(a, w); };
template <scheme SA, scheme SW, scheme SO>
constexpr bool has_requantized_gemm_for =
    requires(const qtensor<SA, 2>& a, const packed_weights<SW, scalar>& w, const qparams<SO>& p) { gemm(a, w, p); };
static_assert(has_gemm_for<s::int8_asym, s::int8_sym_per_channel> && has_gemm_for<s::binary, s::binary>);
static_assert(!has_gemm_for<s::int8_sym_per_channel, s::int8_sym>);  // per-channel activations
static_assert(!has_gemm_for<scheme{.bits = 5}, s::int8_sym>);        // 5-bit activations
static_assert(!has_gemm_for<s::int8_asym, s::binary>);               // binary only with binary
static_assert(!has_gemm_for<s::binary, s::int8_sym>);
static_assert(has_requantized_gemm_for<s::int8_asym, s::int4_sym, s::uint4_asym>);
static_assert(!has_requantized_gemm_for<s::int8_asym, s::int4_sym, s::binary>);
static_assert(!has_requantized_gemm_for<s::int8_asym, s::int4_sym, s::int8_sym_per_channel>);

template <scheme SA, scheme SW>
constexpr bool has_conv_for =
    requires(const qtensor<SA, 4>& x, const packed_conv_weights<SW, scalar>& w) { conv2d(x, w, conv2d_params{}); };
template <scheme SA, scheme SW, scheme SO>
constexpr bool has_requantized_conv_for =
    requires(const qtensor<SA, 4>& x, const packed_conv_weights<SW, scalar>& w, const qparams<SO>& p) {
      conv2d(x, w, conv2d_params{}, p);
    };
static_assert(has_conv_for<s::uint8_asym, s::int8_sym_per_channel> && has_conv_for<s::int4_asym, s::int2_sym>);
static_assert(!has_conv_for<s::binary, s::int8_sym> && !has_conv_for<scheme{.bits = 3}, s::int8_sym>);
static_assert(!has_conv_for<scheme{.axis = 3}, s::int8_sym>);
static_assert(has_requantized_conv_for<s::int8_asym, s::int8_sym, s::int8_asym>);
static_assert(!has_requantized_conv_for<s::int8_asym, s::int8_sym, s::binary>);

template <scheme SA, scheme SW, scheme SO>
constexpr bool has_depthwise_for = requires(const qtensor<SA, 4>& x, const qtensor<SW, 4>& w, const qparams<SO>& p) {
  depthwise_conv2d<scalar>(x, w, conv2d_params{}, p);
};
static_assert(has_depthwise_for<s::int8_asym, scheme{.narrow = true, .axis = 3}, s::int8_asym>);
static_assert(!has_depthwise_for<s::int4_asym, s::int8_sym, s::int8_asym>);     // 4-bit input
static_assert(!has_depthwise_for<s::int8_asym, s::int4_sym, s::int8_asym>);     // 4-bit weights
static_assert(!has_depthwise_for<s::int8_asym, s::int8_sym_per_channel, s::int8_asym>);  // axis 0
static_assert(!has_depthwise_for<s::int8_asym, s::int8_sym, s::binary>);        // binary output

// quantize / dequantize through the kernels: for the architectures compiled in.
template <class Arch>
constexpr bool quantizes_with = requires(const xt::xtensor<float, 2>& x, const qparams<s::int8_asym>& p) {
  quantize(Arch{}, x, p);
};
static_assert(quantizes_with<scalar> && quantizes_with<default_arch> && !quantizes_with<int>);
#if !MIXQ_WITH_AVX512VNNI
static_assert(!quantizes_with<avx512vnni>);
#endif
}  // namespace
