#pragma once
// Concepts over quantized tensors.

#include <cstddef>
#include <type_traits>

#include <mixq/core/scheme.hpp>

namespace mixq {

template <std::size_t Rank>
concept TensorRankAtLeastOne = (Rank >= 1);

/// A per-channel scheme needs its channel axis among the tensor's axes.
template <scheme S, std::size_t Rank>
concept PerChannelAxisBelowRank = (S.axis < 0 || static_cast<std::size_t>(S.axis) < Rank);

template <scheme S, std::size_t Rank>
  requires ValidScheme<S> && TensorRankAtLeastOne<Rank> && PerChannelAxisBelowRank<S, Rank>
class qtensor;

namespace detail {
template <class T>
inline constexpr bool is_qtensor_v = false;
template <scheme S, std::size_t Rank>
inline constexpr bool is_qtensor_v<qtensor<S, Rank>> = true;
}  // namespace detail

template <class T>
concept QuantizedTensor = detail::is_qtensor_v<std::remove_cvref_t<T>>;

/// A quantized tensor whose scheme is exactly S.
template <class T, scheme S>
concept SchemeOf = QuantizedTensor<T> && (std::remove_cvref_t<T>::scheme_value == S);

/// A quantized tensor of the given rank.
template <class T, std::size_t Rank>
concept RankOf = QuantizedTensor<T> && (std::remove_cvref_t<T>::rank == Rank);

}  // namespace mixq
