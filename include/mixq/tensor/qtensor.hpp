#pragma once
// qtensor<S, Rank>: a quantized tensor whose scheme is part of its type. It
// owns its packed codes, its shape and its quantization parameters.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <numeric>
#include <type_traits>
#include <utility>

#include <mixq/config.hpp>
#include <mixq/core/bit_width.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/core/scheme.hpp>
#include <mixq/storage/packed.hpp>
#include <mixq/tensor/qtensor_concepts.hpp>

namespace mixq {

template <scheme S, std::size_t Rank>
  requires ValidScheme<S> && TensorRankAtLeastOne<Rank> && PerChannelAxisBelowRank<S, Rank>
class qtensor {
public:
  static constexpr mixq::scheme scheme_value = S;
  static constexpr std::size_t rank = Rank;
  using format = code_format_of<S>;
  using params_type = qparams<S>;
  using shape_type = std::array<std::size_t, Rank>;
  using storage_type = packed_buffer<format>;
  using iterator = typename storage_type::iterator;
  using const_iterator = typename storage_type::const_iterator;

  /// An empty tensor (every extent 0).
  qtensor() = default;

  /// A tensor of the given shape whose codes have all bits zero. Throws
  /// mixq::error if `params` is invalid or, per-channel, does not have
  /// shape[axis] channels.
  qtensor(const shape_type& shape, params_type params)
      : shape_(shape), params_(std::move(params)), storage_(row_count(shape), shape[Rank - 1]) {
    validate(params_, "mixq::qtensor");
    if constexpr (is_per_channel(S)) {
      validate_channels(params_, shape_[static_cast<std::size_t>(S.axis)], "mixq::qtensor");
    }
  }

  // A tensor of one scheme never silently becomes a tensor of another: deleted,
  // so std::is_constructible_v says so, with the reason on the line the compiler shows.
  template <mixq::scheme S2>
    requires(S2 != S)
  explicit qtensor(const qtensor<S2, Rank>&) = delete;  // mixq: a qtensor of one scheme cannot be converted to a qtensor of another scheme: the codes must be re-quantized. Call mixq::convert<S>(tensor, qparams<S>{...}).
  template <mixq::scheme S2>
    requires(S2 != S)
  qtensor& operator=(const qtensor<S2, Rank>&) = delete;  // mixq: a qtensor of one scheme cannot be assigned to a qtensor of another scheme: the codes must be re-quantized. Call mixq::convert<S>(tensor, qparams<S>{...}).

  const shape_type& shape() const noexcept { return shape_; }
  std::size_t shape(std::size_t axis) const noexcept { return shape_[axis]; }
  /// Number of codes.
  std::size_t size() const noexcept { return storage_.size(); }
  const params_type& params() const noexcept { return params_; }

  /// The packed bytes (rows of row_bytes() bytes; see storage/packed.hpp).
  const std::uint8_t* data() const noexcept { return storage_.data(); }
  std::uint8_t* data() noexcept { return storage_.data(); }
  /// Number of packed bytes data() points to.
  std::size_t bytes() const noexcept { return storage_.bytes(); }

  /// Rows are the last axis: rows() = product of the other extents.
  std::size_t rows() const noexcept { return storage_.rows(); }
  std::size_t row_length() const noexcept { return storage_.row_length(); }
  std::size_t row_bytes() const noexcept { return storage_.row_bytes(); }
  auto row(std::size_t r) noexcept { return storage_.row(r); }
  auto row(std::size_t r) const noexcept { return storage_.row(r); }
  const storage_type& storage() const noexcept { return storage_; }
  storage_type& storage() noexcept { return storage_; }

  /// The code at (i...), bounds-checked: throws mixq::error for an index out of range.
  template <std::integral... I>
    requires(sizeof...(I) == Rank)
  std::int32_t at(I... index) const {
    check_index(std::array<std::size_t, Rank>{static_cast<std::size_t>(index)...});
    return (*this)(index...);
  }

  /// Stores a code, checked: throws mixq::error for an index out of range or
  /// a code that is not one of the scheme's codes.
  template <std::integral... I>
    requires(sizeof...(I) == Rank)
  void set(std::int32_t code, I... index) {
    check_index(std::array<std::size_t, Rank>{static_cast<std::size_t>(index)...});
    if (!is_code(S, code)) {
      MIXQ_THROW(error, "mixq::qtensor::set: code = {} is not a code of this scheme; expected {} <= code <= {}{}",
                 code, qmin(S), qmax(S), is_binary(S) ? " and code != 0" : "");
    }
    (*this)(index...) = code;
  }

  /// Unchecked access: a code (const) or a proxy reference to one.
  template <std::integral... I>
    requires(sizeof...(I) == Rank)
  std::int32_t operator()(I... index) const noexcept {
    const auto [r, k] = locate(std::array<std::size_t, Rank>{static_cast<std::size_t>(index)...});
    return storage_(r, k);
  }
  template <std::integral... I>
    requires(sizeof...(I) == Rank)
  code_ref<format> operator()(I... index) noexcept {
    const auto [r, k] = locate(std::array<std::size_t, Rank>{static_cast<std::size_t>(index)...});
    return storage_(r, k);
  }

  /// Sets every code; throws mixq::error if `code` is not a code of the scheme.
  void fill(std::int32_t code) {
    if (!is_code(S, code)) {
      MIXQ_THROW(error, "mixq::qtensor::fill: code = {} is not a code of this scheme; expected {} <= code <= {}", code,
                 qmin(S), qmax(S));
    }
    for (auto ref : storage_) ref = code;
  }

  /// Codes in row-major order.
  iterator begin() noexcept { return storage_.begin(); }
  iterator end() noexcept { return storage_.end(); }
  const_iterator begin() const noexcept { return storage_.begin(); }
  const_iterator end() const noexcept { return storage_.end(); }

  /// Same shape, parameters and codes.
  bool operator==(const qtensor& other) const {
    return shape_ == other.shape_ && params_ == other.params_ && storage_ == other.storage_;
  }

private:
  static std::size_t row_count(const shape_type& shape) noexcept {
    return std::accumulate(shape.begin(), shape.end() - 1, std::size_t{1}, std::multiplies<>{});
  }

  std::pair<std::size_t, std::size_t> locate(const std::array<std::size_t, Rank>& index) const noexcept {
    std::size_t r = 0;
    for (std::size_t a = 0; a + 1 < Rank; ++a) r = r * shape_[a] + index[a];
    return {r, index[Rank - 1]};
  }

  void check_index(const std::array<std::size_t, Rank>& index) const {
    for (std::size_t a = 0; a < Rank; ++a) {
      if (index[a] >= shape_[a]) {
        MIXQ_THROW(error, "mixq::qtensor::at: index {} = {} is out of range; expected < {} (shape[{}])", a, index[a],
                   shape_[a], a);
      }
    }
  }

  shape_type shape_{};
  params_type params_{};
  storage_type storage_{};
};

}  // namespace mixq
