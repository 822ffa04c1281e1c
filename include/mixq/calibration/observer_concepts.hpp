#pragma once
// What makes a type an observer: the interface every calibration observer
// offers, and its scheme.

#include <concepts>
#include <string_view>

#include <xtensor/xarray.hpp>

#include <mixq/core/qparams.hpp>
#include <mixq/core/scheme.hpp>

namespace mixq {

/// observe(tensor), qparams(), merge(same type), reset(), a scheme and a name.
template <class O>
concept CalibrationObserver = requires(O& o, const O& c, const xt::xarray<float>& x) {
  { O::scheme_value } -> std::convertible_to<scheme>;
  { O::name } -> std::convertible_to<std::string_view>;
  o.observe(x);
  { c.qparams() } -> std::same_as<qparams<O::scheme_value>>;
  o.merge(c);
  o.reset();
};

/// An observer whose parameters are for scheme S.
template <class O, scheme S>
concept ObserverOf = CalibrationObserver<O> && (O::scheme_value == S);

}  // namespace mixq
