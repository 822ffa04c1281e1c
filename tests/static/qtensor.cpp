// Compile-time behaviour of qparams and qtensor types.
#include <concepts>
#include <iterator>
#include <type_traits>

#include <mixq/core/qparams.hpp>
#include <mixq/tensor/concatenate.hpp>
#include <mixq/tensor/qtensor.hpp>

namespace {
using namespace mixq;
namespace s = mixq::schemes;

// Valid schemes and ranks make types; invalid ones do not. (A requires-
// expression naming an invalid type is only a soft failure inside a template.)
template <scheme S, std::size_t R>
constexpr bool makes_qtensor = requires { typename qtensor<S, R>; };
template <scheme S>
constexpr bool makes_qparams = requires { typename qparams<S>; };

static_assert(makes_qtensor<s::int8_asym, 1>);
static_assert(makes_qtensor<s::int8_sym_per_channel, 2>);
static_assert(makes_qtensor<scheme{.bits = 3, .axis = 3}, 4>);
static_assert(!makes_qtensor<scheme{.bits = 9}, 1>);
static_assert(!makes_qtensor<scheme{.bits = 0}, 2>);
static_assert(!makes_qtensor<scheme{.is_signed = false, .narrow = true}, 1>);
static_assert(!makes_qtensor<scheme{.symmetric = false, .narrow = true}, 1>);
static_assert(!makes_qtensor<scheme{.bits = 1, .symmetric = false}, 1>);
static_assert(!makes_qtensor<scheme{.axis = 2}, 2>);  // the channel axis must be < rank
static_assert(!makes_qtensor<s::int8_asym, 0>);       // rank >= 1
static_assert(makes_qparams<s::int4_sym> && !makes_qparams<scheme{.bits = 12}>);

// qparams: the four shapes, each an aggregate.
static_assert(std::is_aggregate_v<qparams<s::int8_asym>>);
static_assert(std::is_aggregate_v<qparams<s::int8_sym_per_channel>>);
static_assert(std::is_aggregate_v<qparams<s::int8_pow2>>);
static_assert(std::is_aggregate_v<qparams<s::int8_pow2_per_channel>>);
static_assert(std::same_as<decltype(qparams<s::int8_asym>::scale), float>);
static_assert(std::same_as<decltype(qparams<s::int8_asym>::zero_point), std::int32_t>);
static_assert(std::same_as<decltype(qparams<s::int8_sym_per_channel>::scale), std::vector<float>>);
static_assert(std::same_as<decltype(qparams<s::int8_pow2>::exponent), int>);
static_assert(qparams<s::uint8_sym>{}.zero_point == 128);
static_assert(qparams<s::int8_pow2>{.exponent = -3}.scale == 0.125f);
static_assert(qparams<s::int8_asym>{0.5f, 3}.zero_point == 3);
static_assert(exp2i(126) == 0x1p126f && exp2i(-126) == 0x1p-126f && exp2i(0) == 1.0f);
static_assert(exp2i(127) != exp2i(127));  // out of range: NaN

// Types carry the scheme: a tensor of one scheme is not another.
using t8 = qtensor<s::int8_asym, 2>;
using t4 = qtensor<s::int4_sym, 2>;
static_assert(!std::is_convertible_v<t4, t8>);
static_assert(!std::is_constructible_v<t8, const t4&>);  // explicitly neither: the conversion is deleted
static_assert(!std::is_assignable_v<t8&, const t4&>);
static_assert(std::is_copy_constructible_v<t8> && std::is_copy_assignable_v<t8>);
static_assert(t8::scheme_value == s::int8_asym && t8::rank == 2);
static_assert(QuantizedTensor<t8> && QuantizedTensor<const t4&> && !QuantizedTensor<int>);
static_assert(SchemeOf<t4, s::int4_sym> && !SchemeOf<t4, s::int8_asym>);
static_assert(RankOf<t4, 2> && !RankOf<t4, 3>);

// Iteration: codes are int32 values; mutable iterators yield proxies.
static_assert(std::forward_iterator<t4::const_iterator>);
static_assert(std::input_iterator<t4::iterator>);
static_assert(std::same_as<std::iter_value_t<t4::iterator>, std::int32_t>);
static_assert(std::same_as<std::iter_reference_t<t4::const_iterator>, std::int32_t>);

// concatenate joins tensors of one scheme only.
template <class A, class B>
constexpr bool joins = requires(const A& a, const B& b) { concatenate(a, b, std::size_t{0}); };
static_assert(joins<t8, t8>);
static_assert(!joins<t8, t4>);
}  // namespace
