#pragma once
// NumPy .npy files, format versions 1.0, 2.0 and 3.0:
//
//   "\x93NUMPY", major, minor, the header's length (uint16 LE for 1.0, uint32 LE
//   after), the header: a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//   padded with spaces and a newline, then the elements.
//
// Read: float32 and float64 ('<f4', '>f4', '<f8', '>f8'), signed and unsigned
// integers of 1, 2, 4 and 8 bytes ('|u1', '|i1', '<i2', '<i4', '<i8', '<u2',
// '<u4', '<u8' and their '>' forms); C order only. Written: '<f4', version 1.0,
// C order, the bytes np.save writes. Needs zlib (a gzip-compressed .npy reads
// too): link mixq::io, not only mixq::mixq.

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <mixq/config.hpp>
#include <mixq/io/arrays.hpp>
#include <mixq/io/detail/array_reader.hpp>
#include <mixq/io/detail/byte_source.hpp>
#include <mixq/io/detail/elements.hpp>

namespace mixq::io {

namespace detail {

/// The longest header read (np.load itself refuses more than 10000 bytes):
/// a damaged 2.0 length field must not ask for 4 GiB.
inline constexpr std::size_t npy_max_header_bytes = 65536;

/// Header text as messages quote it: printable ASCII kept, any other byte as
/// \xNN, cut after max_chars.
inline std::string printable(std::string_view s, std::size_t max_chars = 160) {
  std::string out;
  for (char c : s.substr(0, max_chars)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
  }
  if (s.size() > max_chars) out += "...";
  return out;
}

inline constexpr std::string_view npy_example_header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

/// The three keys of an npy header, as parsed.
struct npy_fields {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::size_t> shape;
};

/// Parses the header's dict literal: exactly the keys 'descr' (a string),
/// 'fortran_order' (True or False) and 'shape' (a tuple of integers), in any
/// order, the way numpy writes them. Nothing beyond that subset of Python.
class npy_header_parser {
public:
  npy_header_parser(const byte_source& source, std::string_view text) : source_(source), text_(text) {}

  npy_fields parse() {
    npy_fields out;
    bool seen[3] = {false, false, false};
    skip_space();
    expect('{', "'{' opening the dict");
    skip_space();
    while (!take('}')) {
      const std::string key = parse_string("a key string");
      skip_space();
      expect(':', "':' after the key");
      skip_space();
      if (key == "descr") {
        mark(seen[0], key);
        out.descr = parse_string("a dtype string such as '<f4'");
      } else if (key == "fortran_order") {
        mark(seen[1], key);
        out.fortran_order = parse_bool();
      } else if (key == "shape") {
        mark(seen[2], key);
        out.shape = parse_shape();
      } else {
        fail_at(fmt::format("the key '{}' is not one of 'descr', 'fortran_order', 'shape'", printable(key, 40)));
      }
      skip_space();
      if (take(',')) {
        skip_space();
      } else if (peek() != '}') {
        fail_at("expected ',' or '}' after a value");
      }
    }
    skip_space();
    if (pos_ != text_.size()) fail_at("text follows the closing '}'");
    for (int i = 0; i < 3; ++i) {
      if (!seen[i]) {
        source_.fail("npy header = {} is invalid: it has no '{}' key; expected the keys 'descr', 'fortran_order' "
                     "and 'shape'",
                     excerpt(), i == 0 ? "descr" : i == 1 ? "fortran_order" : "shape");
      }
    }
    return out;
  }

private:
  std::string excerpt() const { return printable(text_); }

  [[noreturn]] void fail_at(std::string_view problem) const {
    source_.fail("npy header = {} is invalid at character {}: {}; expected a dict literal such as {}", excerpt(), pos_,
                 problem, npy_example_header);
  }

  void mark(bool& seen, const std::string& key) const {
    if (seen) fail_at(fmt::format("the key '{}' appears twice", key));
    seen = true;
  }

  char peek() const noexcept { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool take(char c) noexcept {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c, std::string_view what) {
    if (!take(c)) fail_at(fmt::format("expected {}", what));
  }
  void skip_space() noexcept {
    while (pos_ < text_.size() && std::string_view(" \t\n\r").find(text_[pos_]) != std::string_view::npos) ++pos_;
  }
  bool take_word(std::string_view word) noexcept {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  // Python string literals without escapes: numpy never writes any in these keys.
  std::string parse_string(std::string_view what) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail_at(fmt::format("expected {}", what));
    const std::size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' || text_[pos_] == '\n') fail_at("a string holds a backslash or a line break");
      ++pos_;
    }
    if (pos_ == text_.size()) fail_at("a string is not closed");
    return std::string(text_.substr(start, pos_++ - start));
  }

  bool parse_bool() {
    if (take_word("True")) return true;
    if (take_word("False")) return false;
    fail_at("expected True or False for 'fortran_order'");
  }

  std::vector<std::size_t> parse_shape() {
    expect('(', "a tuple such as (2, 3) for 'shape'");
    std::vector<std::size_t> shape;
    bool trailing_comma = false;
    skip_space();
    while (!take(')')) {
      shape.push_back(parse_dimension());
      skip_space();
      trailing_comma = take(',');
      skip_space();
      if (!trailing_comma && peek() != ')') fail_at("expected ',' or ')' in the shape tuple");
      // The header's length bounds the loop; a rank this large fails the rank check anyway.
      if (shape.size() > 4096) fail_at("the shape tuple has more than 4096 dimensions");
    }
    if (shape.size() == 1 && !trailing_comma) fail_at("'shape' is (n), an integer, not a tuple; expected (n,)");
    return shape;
  }

  std::size_t parse_dimension() {
    if (peek() == '-') fail_at("a dimension is negative; expected dimensions >= 0");
    if (peek() < '0' || peek() > '9') fail_at("expected a dimension (a non-negative integer)");
    std::size_t value = 0;
    while (peek() >= '0' && peek() <= '9') {
      const auto digit = static_cast<std::size_t>(peek() - '0');
      const auto times_ten = checked_mul(value, 10);
      if (!times_ten || *times_ten > std::numeric_limits<std::size_t>::max() - digit) {
        fail_at("a dimension does not fit in size_t");
      }
      value = *times_ten + digit;
      ++pos_;
    }
    take('L');  // Python 2's long literals, in files that numpy wrote under Python 2
    return value;
  }

  const byte_source& source_;
  std::string_view text_;
  std::size_t pos_ = 0;
};

/// The element type a descr names, or nothing when the readers do not support it.
inline std::optional<element_type> npy_element(std::string_view descr) noexcept {
  if (descr.size() != 3) return std::nullopt;
  element_type t;
  switch (descr[1]) {
    case 'f': t.kind = element_kind::floating; break;
    case 'i': t.kind = element_kind::signed_int; break;
    case 'u': t.kind = element_kind::unsigned_int; break;
    default: return std::nullopt;
  }
  switch (descr[2]) {
    case '1': t.size = 1; break;
    case '2': t.size = 2; break;
    case '4': t.size = 4; break;
    case '8': t.size = 8; break;
    default: return std::nullopt;
  }
  if (t.kind == element_kind::floating && t.size < 4) return std::nullopt;  // no half floats
  switch (descr[0]) {
    case '<': t.order = std::endian::little; break;
    case '>': t.order = std::endian::big; break;
    case '|':  // "not applicable": numpy's mark for one-byte types
      if (t.size != 1) return std::nullopt;
      break;
    default: return std::nullopt;
  }
  return t;
}

inline constexpr std::string_view npy_supported_dtypes =
    "'<f4', '>f4', '<f8', '>f8', '|u1', '|i1', '<i2', '<i4', '<i8', '<u2', '<u4', '<u8' or their '>' forms";

/// An open npy file whose header has been read and checked.
class npy_reader : public array_reader {
public:
  npy_reader(std::string_view where, std::string path, const read_limits& limits)
      : array_reader(where, std::move(path)) {
    byte_source& in = source();
    unsigned char magic[8];
    in.read_exact(magic, 8, "npy magic and version");
    constexpr unsigned char expected[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    if (!std::equal(magic, magic + 6, expected)) {
      in.fail("npy magic = {:02x} {:02x} {:02x} {:02x} {:02x} {:02x} is invalid; expected 93 4e 55 4d 50 59 "
              "(\\x93NUMPY)",
              magic[0], magic[1], magic[2], magic[3], magic[4], magic[5]);
    }
    const int major = magic[6];
    const int minor = magic[7];
    if (minor != 0 || major < 1 || major > 3) {
      in.fail("npy format version = {}.{} is invalid; expected 1.0, 2.0 or 3.0", major, minor);
    }
    unsigned char length_bytes[4] = {0, 0, 0, 0};
    const std::size_t length_size = major == 1 ? 2 : 4;
    in.read_exact(length_bytes, length_size, "npy header length");
    std::size_t length = 0;
    for (std::size_t i = length_size; i-- > 0;) length = (length << 8) | length_bytes[i];
    if (length > npy_max_header_bytes) {
      in.fail("npy header length = {} is invalid; expected at most {} bytes", length, npy_max_header_bytes);
    }
    std::string text(length, '\0');
    in.read_exact(reinterpret_cast<unsigned char*>(text.data()), length, "npy header");

    npy_fields fields = npy_header_parser(in, text).parse();
    const auto element = npy_element(fields.descr);
    if (!element) {
      in.fail("dtype = '{}' is invalid; expected one of {}", printable(fields.descr, 40), npy_supported_dtypes);
    }
    if (fields.fortran_order) {
      in.fail("fortran_order = True is invalid; expected False (C order: save np.ascontiguousarray(a))");
    }
    descr_ = fields.descr;
    set_layout(std::move(fields.shape), *element, fmt::format("'{}'", descr_), limits);
  }

  const std::string& descr() const noexcept { return descr_; }

private:
  std::string descr_;
};

}  // namespace detail

/// Reads an .npy file as float32: float64 rounds to nearest, integers convert
/// to the nearest float (as NumPy's astype(np.float32) does). Throws
/// mixq::error naming the file for a malformed header, an unsupported dtype,
/// Fortran order, a rank of 0 or above limits.max_rank, more than
/// limits.max_elements elements, a truncated file or bytes after the data.
inline float_array read_npy_floats(const std::string& path, const read_limits& limits = {}) {
  detail::npy_reader reader("mixq::io::read_npy_floats", path, limits);
  float_array out{.shape = reader.shape(), .data = {}};
  detail::visit_element(reader.element(), [&]<class T>(std::type_identity<T>) {
    std::vector<T> values = reader.read_entries<T>(reader.entries(), limits);
    if constexpr (std::is_same_v<T, float>) {
      out.data = std::move(values);
    } else {
      out.data.reserve(values.size());
      for (T v : values) out.data.push_back(detail::to_float(v));
    }
  });
  reader.expect_end();
  return out;
}

/// Reads a rank-1 .npy file of any integer dtype as int64 labels, negative
/// ones included (load_dataset rejects those). Throws mixq::error naming the
/// file for a float dtype, a rank other than 1, a uint64 value above 2^63 - 1,
/// and everything read_npy_floats rejects.
inline label_array read_npy_labels(const std::string& path, const read_limits& limits = {}) {
  detail::npy_reader reader("mixq::io::read_npy_labels", path, limits);
  if (!detail::is_integer(reader.element())) {
    reader.source().fail("dtype = '{}' is invalid; expected an integer dtype for labels ('|u1', '<i4', '<i8', ...)",
                         reader.descr());
  }
  if (reader.shape().size() != 1) {
    reader.source().fail("shape = {} is invalid; expected rank 1 (one label per entry)",
                         detail::shape_text(reader.shape()));
  }
  label_array out{.data = detail::read_int64_entries(reader, reader.entries(), limits, true)};
  reader.expect_end();
  return out;
}

/// Writes a as a version 1.0 .npy file of '<f4' in C order, the same bytes as
/// NumPy's np.save(path, a) (it too leaves room in the header for the first
/// axis to grow). Throws mixq::error naming the file if the shape does not
/// match the data's size or the file cannot be written.
inline void write_npy(const std::string& path, const float_array& a) {
  constexpr std::string_view where = "mixq::io::write_npy";
  const auto count = detail::element_count(a.shape);
  if (!count || *count != a.data.size()) {
    MIXQ_THROW(mixq::error, "{}: {}: data.size() = {} is invalid; expected the {} elements of shape {}", where, path,
               a.data.size(), count ? fmt::format("{}", *count) : std::string("(overflowing)"),
               detail::shape_text(a.shape));
  }
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}{}), }}",
                                   fmt::join(a.shape, ", "), a.shape.size() == 1 ? "," : "");
  // numpy pads the first axis's digits up to 21 so the header can be rewritten in place.
  if (!a.shape.empty()) header.append(21 - fmt::formatted_size("{}", a.shape[0]), ' ');
  const std::size_t unpadded = 10 + header.size() + 1;  // magic, version, length, header, '\n'
  header.append(64 - unpadded % 64, ' ');  // 1 to 64 spaces, as numpy pads
  header += '\n';
  if (header.size() > 65535) {
    MIXQ_THROW(mixq::error, "{}: {}: shape = {} is invalid; expected one whose header fits in npy 1.0 (65535 bytes)",
               where, path, detail::shape_text(a.shape));
  }

  struct file_closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, file_closer> file(std::fopen(path.c_str(), "wb"));
  const auto fail = [&](std::string_view doing) {
    MIXQ_THROW(mixq::error, "{}: {}: cannot {} the file ({})", where, path, doing,
               std::error_code(errno, std::generic_category()).message());
  };
  if (!file) fail("create");
  const unsigned char preamble[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                      static_cast<unsigned char>(header.size() & 0xff),
                                      static_cast<unsigned char>(header.size() >> 8)};
  bool ok = std::fwrite(preamble, 1, sizeof preamble, file.get()) == sizeof preamble &&
            std::fwrite(header.data(), 1, header.size(), file.get()) == header.size();
  if constexpr (std::endian::native == std::endian::little) {
    // An empty vector's data() may be null, which fwrite must not be given.
    ok = ok && (a.data.empty() ||
                std::fwrite(a.data.data(), sizeof(float), a.data.size(), file.get()) == a.data.size());
  } else {
    for (std::size_t i = 0; ok && i < a.data.size(); ++i) {
      auto bits = std::bit_cast<std::uint32_t>(a.data[i]);
      const unsigned char le[4] = {static_cast<unsigned char>(bits), static_cast<unsigned char>(bits >> 8),
                                   static_cast<unsigned char>(bits >> 16), static_cast<unsigned char>(bits >> 24)};
      ok = std::fwrite(le, 1, 4, file.get()) == 4;
    }
  }
  if (!ok) fail("write");
  if (std::fclose(file.release()) != 0) fail("write");
}

}  // namespace mixq::io
