#pragma once
// IDX files, the format of MNIST and Fashion-MNIST, plain or gzip-compressed.
//
//   bytes 0-1   zero
//   byte  2     element type: 0x08 unsigned byte, 0x09 signed byte, 0x0b short,
//               0x0c int, 0x0d float, 0x0e double (all big-endian)
//   byte  3     rank
//   then        rank dimensions, each a big-endian uint32, then the elements in C order.
//
// Needs zlib: link mixq::io, not only mixq::mixq.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <mixq/config.hpp>
#include <mixq/io/arrays.hpp>
#include <mixq/io/detail/array_reader.hpp>
#include <mixq/io/detail/byte_source.hpp>
#include <mixq/io/detail/elements.hpp>

namespace mixq::io {

/// The element types of IDX; each value is the code in the file's third byte.
enum class idx_type : std::uint8_t { u8 = 0x08, i8 = 0x09, i16 = 0x0B, i32 = 0x0C, f32 = 0x0D, f64 = 0x0E };

/// The name the IDX description uses for a type: "unsigned byte", "int", "double", ...
constexpr std::string_view to_string(idx_type t) noexcept {
  switch (t) {
    case idx_type::u8: return "unsigned byte";
    case idx_type::i8: return "signed byte";
    case idx_type::i16: return "short";
    case idx_type::i32: return "int";
    case idx_type::f32: return "float";
    case idx_type::f64: return "double";
  }
  return "unknown";
}

/// An IDX file's contents, kept in the type it was stored in: no widening,
/// no rounding. to_float_array and to_label_array convert.
struct idx_array {
  using values_type = std::variant<std::vector<std::uint8_t>, std::vector<std::int8_t>, std::vector<std::int16_t>,
                                   std::vector<std::int32_t>, std::vector<float>, std::vector<double>>;

  std::vector<std::size_t> shape;
  idx_type type = idx_type::u8;
  values_type values;  ///< the alternative that matches `type`, in native byte order

  /// The code of `type` as the file stores it (0x08 ... 0x0e).
  int type_code() const noexcept { return static_cast<int>(type); }
  std::size_t size() const noexcept {
    return std::visit([](const auto& v) { return v.size(); }, values);
  }
};

namespace detail {

inline bool is_idx_type(std::uint8_t code) noexcept {
  switch (static_cast<idx_type>(code)) {
    case idx_type::u8:
    case idx_type::i8:
    case idx_type::i16:
    case idx_type::i32:
    case idx_type::f32:
    case idx_type::f64: return true;
  }
  return false;
}

constexpr element_type idx_element(idx_type t) noexcept {
  switch (t) {
    case idx_type::u8: return {element_kind::unsigned_int, 1, std::endian::big};
    case idx_type::i8: return {element_kind::signed_int, 1, std::endian::big};
    case idx_type::i16: return {element_kind::signed_int, 2, std::endian::big};
    case idx_type::i32: return {element_kind::signed_int, 4, std::endian::big};
    case idx_type::f32: return {element_kind::floating, 4, std::endian::big};
    case idx_type::f64: return {element_kind::floating, 8, std::endian::big};
  }
  return {};
}

/// An open IDX file whose header has been read and checked.
class idx_reader : public array_reader {
public:
  idx_reader(std::string_view where, std::string path, const read_limits& limits)
      : array_reader(where, std::move(path)) {
    byte_source& in = source();
    unsigned char magic[4];
    in.read_exact(magic, 4, "IDX magic");
    if (magic[0] != 0 || magic[1] != 0) {
      in.fail("IDX magic = {:02x} {:02x} {:02x} {:02x} is invalid; expected 00 00 <type> <rank> (an IDX file starts "
              "with two zero bytes)",
              magic[0], magic[1], magic[2], magic[3]);
    }
    if (!is_idx_type(magic[2])) {
      in.fail("IDX type code = 0x{:02x} is invalid; expected 0x08 (unsigned byte), 0x09 (signed byte), 0x0b (short), "
              "0x0c (int), 0x0d (float) or 0x0e (double)",
              magic[2]);
    }
    type_ = static_cast<idx_type>(magic[2]);
    // Checked before the dimensions are read: the rank byte bounds how many there are.
    check_rank(magic[3], limits);
    std::vector<std::size_t> shape(magic[3]);
    for (std::size_t& d : shape) {
      unsigned char b[4];
      in.read_exact(b, 4, "IDX dimensions");
      d = (std::size_t{b[0]} << 24) | (std::size_t{b[1]} << 16) | (std::size_t{b[2]} << 8) | std::size_t{b[3]};
    }
    set_layout(std::move(shape), idx_element(type_), std::string(to_string(type_)), limits);
  }

  idx_type type() const noexcept { return type_; }

private:
  idx_type type_ = idx_type::u8;
};

/// Calls f(std::type_identity<T>{}) with the C++ type of an IDX element type.
template <class F>
decltype(auto) visit_idx_type(idx_type t, F&& f) {
  switch (t) {
    case idx_type::i8: return f(std::type_identity<std::int8_t>{});
    case idx_type::i16: return f(std::type_identity<std::int16_t>{});
    case idx_type::i32: return f(std::type_identity<std::int32_t>{});
    case idx_type::f32: return f(std::type_identity<float>{});
    case idx_type::f64: return f(std::type_identity<double>{});
    case idx_type::u8:
    default: return f(std::type_identity<std::uint8_t>{});
  }
}

}  // namespace detail

/// Reads a whole IDX file, plain or gzip-compressed. Throws mixq::error naming
/// the file for a bad magic, an unknown type, a rank of 0 or above
/// limits.max_rank, more than limits.max_elements elements, a truncated file,
/// bytes after the data, or a corrupt gzip stream.
inline idx_array read_idx(const std::string& path, const read_limits& limits = {}) {
  detail::idx_reader reader("mixq::io::read_idx", path, limits);
  idx_array out{.shape = reader.shape(), .type = reader.type(), .values = {}};
  detail::visit_idx_type(reader.type(), [&]<class T>(std::type_identity<T>) {
    out.values = reader.read_entries<T>(reader.entries(), limits);
  });
  reader.expect_end();
  return out;
}

/// The values as float: integers exactly (they all fit), doubles rounded to nearest.
inline float_array to_float_array(const idx_array& a) {
  float_array out{.shape = a.shape, .data = {}};
  std::visit(
      [&](const auto& values) {
        out.data.reserve(values.size());
        for (auto v : values) out.data.push_back(detail::to_float(v));
      },
      a.values);
  return out;
}

/// The values as int64 labels; throws mixq::error for float and double arrays.
inline label_array to_label_array(const idx_array& a) {
  label_array out;
  std::visit(
      [&]<class T>(const std::vector<T>& values) {
        if constexpr (std::is_floating_point_v<T>) {
          MIXQ_THROW(mixq::error, "mixq::io::to_label_array: type = {} is invalid; expected an integer IDX type",
                     to_string(a.type));
        } else {
          out.data.assign(values.begin(), values.end());
        }
      },
      a.values);
  return out;
}

}  // namespace mixq::io
