#pragma once
// Packed storage of b-bit codes (b = 1..8).
//
// Layout: the last axis of a tensor is a row and every row starts on a byte
// boundary. Inside a row the codes form a little-endian bit stream: code k
// occupies bits [k*b, (k+1)*b) counted from bit 0 of the row's first byte.
// For 4 bits the first code is in the low nibble (ONNX INT4 / CUTLASS order).
// Bits past the last code of a row are zero. The buffer is 64-byte aligned
// and followed by 64 zero bytes that kernels may read past the end.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <new>
#include <vector>

#include <mixq/config.hpp>
#include <mixq/core/bit_width.hpp>

namespace mixq {

/// Reads code k of a packed row.
template <class Format>
constexpr std::int32_t load_code(const std::uint8_t* row, std::size_t k) noexcept {
  constexpr int b = Format::bits;
  if constexpr (b == 8) {
    return Format::decode(row[k]);
  } else {
    const std::size_t bit = k * b;
    const std::size_t byte = bit / 8;
    const unsigned offset = static_cast<unsigned>(bit % 8);
    std::uint32_t window = row[byte];
    if constexpr (8 % b != 0) {  // 3, 5, 6, 7 bits: a code may straddle two bytes
      if (offset + b > 8) window |= static_cast<std::uint32_t>(row[byte + 1]) << 8;
    }
    return Format::decode(window >> offset);
  }
}

/// Writes code k of a packed row; other codes keep their bits. Codes outside
/// the format's range lose their high bits (callers check ranges).
template <class Format>
constexpr void store_code(std::uint8_t* row, std::size_t k, std::int32_t code) noexcept {
  constexpr int b = Format::bits;
  const std::uint32_t field = Format::encode(code);
  if constexpr (b == 8) {
    row[k] = static_cast<std::uint8_t>(field);
  } else {
    const std::size_t bit = k * b;
    const std::size_t byte = bit / 8;
    const unsigned offset = static_cast<unsigned>(bit % 8);
    const std::uint32_t mask = Format::mask << offset;
    const std::uint32_t value = field << offset;
    row[byte] = static_cast<std::uint8_t>((row[byte] & ~mask) | (value & 0xffu));
    if constexpr (8 % b != 0) {
      if (offset + b > 8) {
        row[byte + 1] = static_cast<std::uint8_t>((row[byte + 1] & ~(mask >> 8)) | (value >> 8));
      }
    }
  }
}

/// Proxy reference to one code of a packed row.
template <class Format>
class code_ref {
public:
  constexpr code_ref(std::uint8_t* row, std::size_t k) noexcept : row_(row), k_(k) {}
  constexpr operator std::int32_t() const noexcept { return load_code<Format>(row_, k_); }
  constexpr std::int32_t get() const noexcept { return load_code<Format>(row_, k_); }
  /// Stores a code; it must lie in the format's range (asserted in debug builds).
  constexpr const code_ref& operator=(std::int32_t code) const noexcept {
    MIXQ_ASSERT(code >= Format::lowest && code <= Format::highest, "code_ref: code out of range for its bit-width");
    store_code<Format>(row_, k_, code);
    return *this;
  }
  constexpr const code_ref& operator=(const code_ref& other) const noexcept { return *this = other.get(); }
  code_ref(const code_ref&) = default;

private:
  std::uint8_t* row_;
  std::size_t k_;
};

namespace detail {

// Iterates the codes of consecutive packed rows (one row, or a whole buffer).
template <class Format, bool Const>
class code_iterator {
  using byte_ptr = std::conditional_t<Const, const std::uint8_t*, std::uint8_t*>;

public:
  using iterator_concept = std::forward_iterator_tag;
  using iterator_category = std::input_iterator_tag;
  using value_type = std::int32_t;
  using difference_type = std::ptrdiff_t;
  using reference = std::conditional_t<Const, std::int32_t, code_ref<Format>>;

  constexpr code_iterator() noexcept = default;
  constexpr code_iterator(byte_ptr row, std::size_t k, std::size_t row_length, std::size_t row_bytes) noexcept
      : row_(row), k_(k), row_length_(row_length), row_bytes_(row_bytes) {}

  constexpr reference operator*() const noexcept {
    if constexpr (Const) {
      return load_code<Format>(row_, k_);
    } else {
      return code_ref<Format>(row_, k_);
    }
  }
  constexpr code_iterator& operator++() noexcept {
    if (++k_ == row_length_) {
      k_ = 0;
      row_ += row_bytes_;
    }
    return *this;
  }
  constexpr code_iterator operator++(int) noexcept {
    auto old = *this;
    ++*this;
    return old;
  }
  constexpr bool operator==(const code_iterator& other) const noexcept {
    return row_ == other.row_ && k_ == other.k_;
  }

private:
  byte_ptr row_ = nullptr;
  std::size_t k_ = 0;
  std::size_t row_length_ = 0;
  std::size_t row_bytes_ = 0;
};

template <class T, std::size_t Align>
struct aligned_allocator {
  using value_type = T;
  aligned_allocator() noexcept = default;
  template <class U>
  aligned_allocator(const aligned_allocator<U, Align>&) noexcept {}
  template <class U>
  struct rebind {
    using other = aligned_allocator<U, Align>;
  };
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{Align}));
  }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{Align}); }
  friend bool operator==(const aligned_allocator&, const aligned_allocator&) noexcept { return true; }
};

}  // namespace detail

/// A view of one packed row: `length` codes starting at `data`.
template <class Format, bool Const = true>
class packed_row {
  using byte_ptr = std::conditional_t<Const, const std::uint8_t*, std::uint8_t*>;

public:
  using format = Format;
  using iterator = detail::code_iterator<Format, Const>;

  constexpr packed_row(byte_ptr data, std::size_t length) noexcept : data_(data), length_(length) {}

  constexpr byte_ptr data() const noexcept { return data_; }
  constexpr std::size_t size() const noexcept { return length_; }
  constexpr std::size_t bytes() const noexcept { return packed_row_bytes(length_, Format::bits); }
  constexpr auto operator[](std::size_t k) const noexcept {
    MIXQ_ASSERT(k < length_, "packed_row: index out of range");
    if constexpr (Const) {
      return load_code<Format>(data_, k);
    } else {
      return code_ref<Format>(data_, k);
    }
  }
  constexpr iterator begin() const noexcept { return iterator(data_, 0, length_, bytes()); }
  constexpr iterator end() const noexcept {
    // One past the last code is the start of the (virtual) next row.
    return length_ == 0 ? begin() : iterator(data_ + bytes(), 0, length_, bytes());
  }

private:
  byte_ptr data_;
  std::size_t length_;
};

/// Owning buffer of `rows` packed rows of `row_length` codes each.
template <class Format>
class packed_buffer {
public:
  static constexpr std::size_t alignment = 64;
  static constexpr std::size_t tail_padding = 64;
  using format = Format;
  using iterator = detail::code_iterator<Format, false>;
  using const_iterator = detail::code_iterator<Format, true>;

  packed_buffer() = default;
  packed_buffer(std::size_t rows, std::size_t row_length)
      : rows_(rows), row_length_(row_length), row_bytes_(packed_row_bytes(row_length, Format::bits)),
        storage_(rows * row_bytes_ + tail_padding, std::uint8_t{0}) {}

  std::size_t rows() const noexcept { return rows_; }
  std::size_t row_length() const noexcept { return row_length_; }
  /// Bytes from one row to the next.
  std::size_t row_bytes() const noexcept { return row_bytes_; }
  /// Bytes of packed data (without the tail padding).
  std::size_t bytes() const noexcept { return rows_ * row_bytes_; }
  std::size_t size() const noexcept { return rows_ * row_length_; }

  std::uint8_t* data() noexcept { return storage_.data(); }
  const std::uint8_t* data() const noexcept { return storage_.data(); }

  packed_row<Format, false> row(std::size_t r) noexcept {
    MIXQ_ASSERT(r < rows_, "packed_buffer::row: row out of range");
    return {storage_.data() + r * row_bytes_, row_length_};
  }
  packed_row<Format, true> row(std::size_t r) const noexcept {
    MIXQ_ASSERT(r < rows_, "packed_buffer::row: row out of range");
    return {storage_.data() + r * row_bytes_, row_length_};
  }

  code_ref<Format> operator()(std::size_t r, std::size_t k) noexcept {
    return {storage_.data() + r * row_bytes_, k};
  }
  std::int32_t operator()(std::size_t r, std::size_t k) const noexcept {
    return load_code<Format>(storage_.data() + r * row_bytes_, k);
  }

  iterator begin() noexcept { return {storage_.data(), 0, row_length_, row_bytes_}; }
  iterator end() noexcept { return {storage_.data() + end_offset(), 0, row_length_, row_bytes_}; }
  const_iterator begin() const noexcept { return {storage_.data(), 0, row_length_, row_bytes_}; }
  const_iterator end() const noexcept { return {storage_.data() + end_offset(), 0, row_length_, row_bytes_}; }

  bool operator==(const packed_buffer& other) const noexcept {
    return rows_ == other.rows_ && row_length_ == other.row_length_ &&
           std::memcmp(storage_.data(), other.storage_.data(), bytes()) == 0;
  }

private:
  std::size_t end_offset() const noexcept { return row_length_ == 0 ? 0 : bytes(); }

  std::size_t rows_ = 0;
  std::size_t row_length_ = 0;
  std::size_t row_bytes_ = 0;
  std::vector<std::uint8_t, detail::aligned_allocator<std::uint8_t, alignment>> storage_ =
      decltype(storage_)(tail_padding, std::uint8_t{0});
};

}  // namespace mixq
