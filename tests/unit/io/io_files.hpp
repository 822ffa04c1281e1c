#pragma once
// What the tests of io/ (readers.cpp, dataset.cpp) share: a scratch folder,
// IDX, gzip and npy files written byte by byte.
#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <zlib.h>

#include <mixq/io/dataset.hpp>
#include <mixq/io/idx.hpp>
#include <mixq/io/npy.hpp>

namespace mixq_test_io {
using namespace mixq::io;
using Catch::Contains;
using bytes = std::vector<unsigned char>;
namespace fs = std::filesystem;

inline const std::string data_dir = MIXQ_TEST_IO_DATA;
inline constexpr float flt_max = std::numeric_limits<float>::max();
inline constexpr float inf_f = std::numeric_limits<float>::infinity();

// A fresh folder under the system's temporary directory, removed with its
// contents; ctest runs test cases in parallel processes, hence the random name.
class scratch_dir {
public:
  scratch_dir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / fmt::format("mixq_io_test_{:08x}{:08x}", rd(), rd());
    fs::create_directories(path_);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }
  std::string folder() const { return path_.string(); }
  /// Writes `content` to `name` and returns its path.
  std::string write(const std::string& name, const bytes& content) const {
    std::ofstream out(path(name), std::ios::binary);
    out.write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(content.size()));
    return path(name);
  }

private:
  fs::path path_;
};

inline bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline bytes operator+(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

inline bytes be32(std::uint32_t v) {
  return {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16), static_cast<unsigned char>(v >> 8),
          static_cast<unsigned char>(v)};
}

/// An IDX file: 00 00 type rank, the dimensions (big-endian), the payload.
inline bytes idx_file(unsigned char type, std::initializer_list<std::uint32_t> dims, const bytes& payload) {
  bytes out = {0, 0, type, static_cast<unsigned char>(dims.size())};
  for (std::uint32_t d : dims) out = out + be32(d);
  return out + payload;
}

/// A gzip member (RFC 1952) made by zlib's deflate.
inline bytes gzip(const bytes& in) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  bytes out(deflateBound(&z, static_cast<uLong>(in.size())) + 32);
  z.next_in = const_cast<unsigned char*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

/// An npy file: magic, version, header length (little-endian), the header
/// text as given (no padding: the readers must not need it), the payload.
inline bytes npy_file(const std::string& header, const bytes& payload, unsigned char major = 1) {
  bytes out = {0x93, 'N', 'U', 'M', 'P', 'Y', major, 0};
  const auto n = static_cast<std::uint32_t>(header.size());
  out.push_back(static_cast<unsigned char>(n));
  out.push_back(static_cast<unsigned char>(n >> 8));
  if (major > 1) {
    out.push_back(static_cast<unsigned char>(n >> 16));
    out.push_back(static_cast<unsigned char>(n >> 24));
  }
  out.insert(out.end(), header.begin(), header.end());
  return out + payload;
}

inline bytes floats_le(std::initializer_list<float> values) {
  bytes out;
  for (float v : values) {
    const auto u = std::bit_cast<std::uint32_t>(v);
    for (int s = 0; s < 32; s += 8) out.push_back(static_cast<unsigned char>(u >> s));
  }
  return out;
}

inline std::string f4_header(const std::string& shape) {
  return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }\n";
}

/// The pixel bytes gen.py writes: (n * 20 + h * 5 + w) * 13 mod 256.
inline unsigned char gen_pixel(std::size_t n, std::size_t h, std::size_t w) {
  return static_cast<unsigned char>((n * 20 + h * 5 + w) * 13 % 256);
}

template <class T>
const std::vector<T>& values_of(const idx_array& a) {
  REQUIRE(std::holds_alternative<std::vector<T>>(a.values));
  return std::get<std::vector<T>>(a.values);
}

using shape_t = std::vector<std::size_t>;
}  // namespace mixq_test_io
