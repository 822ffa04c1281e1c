#pragma once
// A compile-time plan as types, with Boost.Hana: the choice of layer I is a
// type with static members, so a template can pick each layer's kernel or
// tensor type from the plan that solve() found in a constant expression.
//
//   static constexpr auto plan = mixq::alloc::solve(problem);
//   template <class Layer>
//   using weights = mixq::qtensor<mixq::scheme{.bits = Layer::w_bits, .axis = 0}, 2>;
//   mixq::alloc::layer_tuple_t<plan, weights> w;   // hana::tuple, one tensor type per layer
//
// Opt-in: <mixq/mixq.hpp> does not include it (Boost.Hana costs compile time).

#include <cstddef>
#include <type_traits>
#include <utility>

#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <mixq/alloc/plan.hpp>
#include <mixq/config.hpp>

namespace mixq::alloc {

namespace detail {
template <class Plan>
struct plan_layers {
  static_assert(::mixq::detail::dependent_false_v<Plan>,
                "mixq::alloc: layer types need a compile-time plan: the static_plan<L, C> that solve() returns "
                "for a static_problem<L, M, C>.");
};
template <std::size_t L, std::size_t C>
struct plan_layers<static_plan<L, C>> : std::integral_constant<std::size_t, L> {};
}  // namespace detail

/// Number of layers of a compile-time plan.
template <const auto& Plan>
inline constexpr std::size_t layer_count_v = detail::plan_layers<std::remove_cvref_t<decltype(Plan)>>::value;

/// The choice a compile-time plan makes for layer I.
template <const auto& Plan, std::size_t I>
struct layer_choice {
  static_assert(Plan.has_choices,
                "mixq::alloc::layer_choice: the plan has no choices (its problem is infeasible, or a limit stopped "
                "the search before any plan was found); check plan.has_choices, or static_assert(plan.optimal()).");
  static_assert(I < layer_count_v<Plan>, "mixq::alloc::layer_choice: layer index beyond the plan's layers.");

  static constexpr std::size_t layer = I;
  static constexpr std::size_t option = Plan.choices[I].option;
  static constexpr int w_bits = Plan.choices[I].w_bits;
  static constexpr int a_bits = Plan.choices[I].a_bits;
};

/// What layer_choice provides: the index of the layer and of its option, and its bit-widths.
template <class T>
concept LayerChoice = requires {
  { T::layer } -> std::convertible_to<std::size_t>;
  { T::option } -> std::convertible_to<std::size_t>;
  { T::w_bits } -> std::convertible_to<int>;
  { T::a_bits } -> std::convertible_to<int>;
};

namespace detail {
template <const auto& Plan, template <class> class F, class Indices>
struct layer_types_of;
template <const auto& Plan, template <class> class F, std::size_t... I>
struct layer_types_of<Plan, F, std::index_sequence<I...>> {
  using tuple = boost::hana::tuple<F<layer_choice<Plan, I>>...>;
  static constexpr auto types = boost::hana::tuple_t<F<layer_choice<Plan, I>>...>;
};
}  // namespace detail

/// One hana::type per layer: hana::tuple_t<F<layer_choice<Plan, 0>>, ...>,
/// for Hana's algorithms on types.
template <const auto& Plan, template <class> class F>
inline constexpr auto layer_types =
    detail::layer_types_of<Plan, F, std::make_index_sequence<layer_count_v<Plan>>>::types;

/// A hana::tuple holding one F<layer_choice<Plan, I>> per layer.
template <const auto& Plan, template <class> class F>
using layer_tuple_t = typename detail::layer_types_of<Plan, F, std::make_index_sequence<layer_count_v<Plan>>>::tuple;

/// hana::make_tuple(f(layer_choice<Plan, 0>{}), ..., f(layer_choice<Plan, L - 1>{})).
template <const auto& Plan, class F>
constexpr auto transform_layers(F&& f) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return boost::hana::make_tuple(f(layer_choice<Plan, I>{})...);
  }(std::make_index_sequence<layer_count_v<Plan>>{});
}

}  // namespace mixq::alloc
