#pragma once
// What the data readers return (idx.hpp, npy.hpp, dataset.hpp) and the
// limits they check before allocating anything a file's header asks for.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mixq::io {

/// A float tensor of any rank, row-major (C order), as read from a file.
struct float_array {
  std::vector<std::size_t> shape;
  std::vector<float> data;
};

/// Integer labels or codes, in file order.
struct label_array {
  std::vector<std::int64_t> data;
};

/// Bounds a header must respect before a reader allocates what it declares:
/// a damaged or hostile file is an error, not a multi-gigabyte allocation.
struct read_limits {
  std::size_t max_elements = std::size_t{1} << 31;  ///< per array (of the part read)
  std::size_t max_rank = 8;                          ///< dimensions per array
};

}  // namespace mixq::io
