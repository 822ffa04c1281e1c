#pragma once
// An open array file whose header has been read and checked (IDX and npy
// derive from it): its shape and element type, and its data read on request,
// only the first entries along axis 0 if that is all a caller needs.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <mixq/io/arrays.hpp>
#include <mixq/io/detail/byte_source.hpp>
#include <mixq/io/detail/elements.hpp>

namespace mixq::io::detail {

class array_reader {
public:
  byte_source& source() noexcept { return source_; }
  const byte_source& source() const noexcept { return source_; }
  const std::vector<std::size_t>& shape() const noexcept { return shape_; }
  element_type element() const noexcept { return element_; }
  /// Entries along axis 0 (images, labels); the rank is at least 1.
  std::size_t entries() const noexcept { return shape_[0]; }
  /// "shape [3, 28, 28] of unsigned byte": what the header declares, for messages.
  std::string declared() const { return fmt::format("shape {} of {}", shape_text(shape_), type_name_); }

  /// The elements of the first n entries (n <= entries()) as T, the C++ type
  /// of element(), in native byte order.
  template <class T>
  std::vector<T> read_entries(std::size_t n, const read_limits& limits) {
    MIXQ_ASSERT(n <= entries() && sizeof(T) == element_.size, "read_entries: n or T does not match the header");
    const std::size_t count = n * record_;  // at most the whole shape's count, which fits
    if (count > limits.max_elements) {
      source_.fail("element count = {} is invalid ({} of {}); expected at most {} (read_limits::max_elements)", count,
                   n == entries() ? "all" : fmt::format("the first {} entries", n), declared(), limits.max_elements);
    }
    std::vector<T> values = source_.read_elements<T>(count, declared());
    to_native_order(std::span(values), element_.order);
    return values;
  }

  /// Fails unless the file ends right after the data its header declares.
  void expect_end() { source_.expect_end(declared()); }

protected:
  array_reader(std::string_view where, std::string path) : source_(where, std::move(path)) {}

  /// Records what the header declared; fails for a rank of 0 or above the
  /// limit, or a size in bytes that overflows size_t.
  void set_layout(std::vector<std::size_t> shape, element_type element, std::string type_name,
                  const read_limits& limits) {
    shape_ = std::move(shape);
    element_ = element;
    type_name_ = std::move(type_name);
    check_rank(shape_.size(), limits);
    const auto count = element_count(shape_);
    if (!count || !checked_mul(*count, element_.size)) {
      source_.fail("shape = {} is invalid: its size in bytes overflows size_t; expected a shape that fits in memory",
                   shape_text(shape_));
    }
    record_ = *element_count(std::span(shape_).subspan(1));
  }

  void check_rank(std::size_t rank, const read_limits& limits) const {
    if (rank == 0 || rank > limits.max_rank) {
      source_.fail("rank = {} is invalid; expected 1 to {} dimensions (read_limits::max_rank)", rank,
                   limits.max_rank);
    }
  }

private:
  byte_source source_;
  std::vector<std::size_t> shape_;
  element_type element_;
  std::string type_name_;
  std::size_t record_ = 0;  // elements per entry along axis 0
};

/// The first n entries of an integer array as int64 (labels, codes). Fails
/// for a value int64 cannot hold and, unless `negative_ok`, a negative one.
inline std::vector<std::int64_t> read_int64_entries(array_reader& reader, std::size_t n, const read_limits& limits,
                                                    bool negative_ok) {
  std::vector<std::int64_t> out;
  visit_element(reader.element(), [&]<class T>(std::type_identity<T>) {
    if constexpr (std::is_integral_v<T>) {
      std::vector<T> values = reader.read_entries<T>(n, limits);
      for (std::size_t i = 0; i < values.size(); ++i) {
        if constexpr (std::is_signed_v<T>) {
          if (!negative_ok && values[i] < 0) {
            reader.source().fail("label[{}] = {} is invalid; expected a class index >= 0", i, values[i]);
          }
        } else if constexpr (sizeof(T) == 8) {
          if (values[i] > static_cast<T>(std::numeric_limits<std::int64_t>::max())) {
            reader.source().fail("value[{}] = {} is invalid; expected at most 2^63 - 1 (int64)", i, values[i]);
          }
        }
      }
      if constexpr (std::is_same_v<T, std::int64_t>) {
        out = std::move(values);
      } else {
        out.assign(values.begin(), values.end());
      }
    }
  });
  return out;
}

}  // namespace mixq::io::detail
