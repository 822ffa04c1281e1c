// Compile-time behaviour of the kernels' architectures, layouts and the
// typed layer's scheme checks.
#include <mixq/kernels/arch.hpp>
#include <mixq/kernels/gemm.hpp>
#include <mixq/kernels/weights.hpp>
#include <mixq/ops/conv.hpp>
#include <mixq/ops/gemm.hpp>

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
static_assert(KernelArch<scalar>);
static_assert(path_compiled(kernel_path_of<default_arch>));

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
static_assert(packs<s::int4_sym_per_channel>);
}  // namespace
