// io/idx.hpp: the reader against files made byte by byte here (IDX headers
// written by hand, gzip through zlib's deflate). Every error names the file,
// what it found and what it expected.
#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <zlib.h>

#include <mixq/io/idx.hpp>

namespace {
using namespace mixq::io;
using Catch::Contains;
using bytes = std::vector<unsigned char>;
namespace fs = std::filesystem;

constexpr float inf_f = std::numeric_limits<float>::infinity();

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

bytes operator+(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

bytes be32(std::uint32_t v) {
  return {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16), static_cast<unsigned char>(v >> 8),
          static_cast<unsigned char>(v)};
}

/// An IDX file: 00 00 type rank, the dimensions (big-endian), the payload.
bytes idx_file(unsigned char type, std::initializer_list<std::uint32_t> dims, const bytes& payload) {
  bytes out = {0, 0, type, static_cast<unsigned char>(dims.size())};
  for (std::uint32_t d : dims) out = out + be32(d);
  return out + payload;
}

/// A gzip member (RFC 1952) made by zlib's deflate.
bytes gzip(const bytes& in) {
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

template <class T>
const std::vector<T>& values_of(const idx_array& a) {
  REQUIRE(std::holds_alternative<std::vector<T>>(a.values));
  return std::get<std::vector<T>>(a.values);
}

using shape_t = std::vector<std::size_t>;
}  // namespace

// ---------------------------------------------------------------- IDX

TEST_CASE("idx: unsigned bytes, plain and gzip-compressed alike", "[io][idx]") {
  scratch_dir dir;
  const bytes payload = {0, 1, 2, 127, 128, 255};
  const bytes file = idx_file(0x08, {2, 3}, payload);
  // The gzip magic decides, not the name.
  for (const std::string& path : {dir.write("plain", file), dir.write("packed", gzip(file)),
                                  dir.write("packed-but-named.idx", gzip(file))}) {
    INFO(path);
    const idx_array a = read_idx(path);
    CHECK(a.shape == shape_t{2, 3});
    CHECK(a.type == idx_type::u8);
    CHECK(a.type_code() == 0x08);
    CHECK(a.size() == 6);
    CHECK(values_of<std::uint8_t>(a) == std::vector<std::uint8_t>(payload.begin(), payload.end()));
    CHECK(to_float_array(a).data == std::vector<float>{0, 1, 2, 127, 128, 255});
    CHECK(to_float_array(a).shape == shape_t{2, 3});
    CHECK(to_label_array(a).data == std::vector<std::int64_t>{0, 1, 2, 127, 128, 255});
  }
  // Concatenated gzip members are one stream (RFC 1952).
  const bytes halves = gzip(bytes(file.begin(), file.begin() + 7)) + gzip(bytes(file.begin() + 7, file.end()));
  CHECK(values_of<std::uint8_t>(read_idx(dir.write("members.gz", halves))).size() == 6);
  // An empty array is an array.
  CHECK(read_idx(dir.write("empty", idx_file(0x08, {0, 28, 28}, {}))).shape == shape_t{0, 28, 28});
}

TEST_CASE("idx: every element type, big-endian", "[io][idx]") {
  scratch_dir dir;
  const idx_array i8 = read_idx(dir.write("i8", idx_file(0x09, {3}, {0xff, 0x80, 0x7f})));
  CHECK(i8.type == idx_type::i8);
  CHECK(values_of<std::int8_t>(i8) == std::vector<std::int8_t>{-1, -128, 127});
  CHECK(to_label_array(i8).data == std::vector<std::int64_t>{-1, -128, 127});

  const idx_array i16 = read_idx(dir.write("i16", idx_file(0x0B, {2}, {0x01, 0x02, 0xff, 0xfe})));
  CHECK(values_of<std::int16_t>(i16) == std::vector<std::int16_t>{0x0102, -2});

  const idx_array i32 =
      read_idx(dir.write("i32", idx_file(0x0C, {1, 2}, be32(0x01020304) + be32(0xfffffffe))));
  CHECK(i32.type_code() == 0x0C);
  CHECK(values_of<std::int32_t>(i32) == std::vector<std::int32_t>{0x01020304, -2});
  CHECK(to_float_array(i32).data == std::vector<float>{16909060.0f, -2.0f});

  const idx_array f32 = read_idx(dir.write("f32", idx_file(0x0D, {2}, {0x3f, 0xc0, 0, 0, 0xc1, 0x20, 0, 0})));
  CHECK(values_of<float>(f32) == std::vector<float>{1.5f, -10.0f});
  CHECK_THROWS_WITH(to_label_array(f32), Contains("type = float is invalid; expected an integer IDX type"));

  // 1.5, and 2^200 (beyond float: +inf after conversion, as IEEE rounding gives).
  const idx_array f64 = read_idx(dir.write(
      "f64", idx_file(0x0E, {2}, {0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x4c, 0x70, 0, 0, 0, 0, 0, 0})));
  CHECK(values_of<double>(f64) == std::vector<double>{1.5, 0x1p200});
  CHECK(to_float_array(f64).data == std::vector<float>{1.5f, inf_f});
  CHECK_THROWS_WITH(to_label_array(f64), Contains("type = double is invalid"));
}

TEST_CASE("idx: a header that is not one", "[io][idx][errors]") {
  scratch_dir dir;
  const std::string missing = dir.path("no-such-file");
  CHECK_THROWS_WITH(read_idx(missing), Contains("mixq::io::read_idx: " + missing + ": cannot open the file") &&
                                           Contains("No such file or directory"));
  CHECK_THROWS_WITH(read_idx(dir.folder()), Contains(dir.folder() + ": is a folder; expected a file"));

  const std::string bad_magic = dir.write("magic", {0x01, 0x00, 0x08, 0x01, 0, 0, 0, 1, 7});
  CHECK_THROWS_WITH(read_idx(bad_magic), Contains(bad_magic) && Contains("IDX magic = 01 00 08 01 is invalid") &&
                                             Contains("two zero bytes"));
  // A PNG is not an IDX file either, nor is it taken for gzip.
  CHECK_THROWS_WITH(read_idx(dir.write("png", {0x89, 'P', 'N', 'G', 0x0d, 0x0a})),
                    Contains("IDX magic = 89 50 4e 47 is invalid"));

  const std::string bad_type = dir.write("type", idx_file(0x0A, {1}, {0, 0, 0, 0}));
  CHECK_THROWS_WITH(read_idx(bad_type), Contains(bad_type) && Contains("IDX type code = 0x0a is invalid") &&
                                            Contains("0x08 (unsigned byte)"));

  const std::string rank0 = dir.write("rank0", {0, 0, 0x08, 0});
  CHECK_THROWS_WITH(read_idx(rank0), Contains(rank0) && Contains("rank = 0 is invalid; expected 1 to 8 dimensions"));
  CHECK_THROWS_WITH(read_idx(dir.write("rank9", idx_file(0x08, {1, 1, 1, 1, 1, 1, 1, 1, 1}, {1}))),
                    Contains("rank = 9 is invalid; expected 1 to 8 dimensions (read_limits::max_rank)"));
  CHECK_THROWS_WITH(read_idx(dir.write("rank3", idx_file(0x08, {1, 1, 1}, {1})), {.max_rank = 2}),
                    Contains("rank = 3 is invalid; expected 1 to 2 dimensions"));
  // The rank limit can be raised.
  CHECK(read_idx(dir.path("rank9"), {.max_rank = 9}).shape.size() == 9);

  CHECK_THROWS_WITH(read_idx(dir.write("empty", {})),
                    Contains("the file ends after 0 of the 4 bytes of the IDX magic"));
  CHECK_THROWS_WITH(read_idx(dir.write("short-dims", {0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0})),
                    Contains("the file ends after 2 of the 4 bytes of the IDX dimensions"));
  // The same inside a gzip stream that is itself complete.
  CHECK_THROWS_WITH(read_idx(dir.write("short-dims.gz", gzip({0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0}))),
                    Contains("the file ends after 2 of the 4 bytes of the IDX dimensions"));
}

TEST_CASE("idx: sizes the data does not match, or that exceed the limits", "[io][idx][errors]") {
  scratch_dir dir;
  // Three dimensions of 2^32 - 1: 2^96 elements.
  const std::string huge = dir.write("huge", idx_file(0x08, {0xffffffff, 0xffffffff, 0xffffffff}, {}));
  CHECK_THROWS_WITH(read_idx(huge, {.max_elements = std::numeric_limits<std::size_t>::max()}),
                    Contains(huge) && Contains("shape = [4294967295, 4294967295, 4294967295] is invalid") &&
                        Contains("overflows size_t"));
  // 2^62 doubles are 2^65 bytes.
  CHECK_THROWS_WITH(read_idx(dir.write("bytes", idx_file(0x0E, {0x40000000, 0x40000000, 4}, {}))),
                    Contains("overflows size_t"));

  const std::string six = dir.write("six", idx_file(0x08, {2, 3}, {1, 2, 3, 4, 5, 6}));
  CHECK_THROWS_WITH(read_idx(six, {.max_elements = 5}),
                    Contains(six) && Contains("element count = 6 is invalid (all of shape [2, 3] of unsigned byte)") &&
                        Contains("expected at most 5 (read_limits::max_elements)"));
  CHECK(read_idx(six, {.max_elements = 6}).size() == 6);
  // The default limit, 2^31 elements, stops a header before any allocation.
  CHECK_THROWS_WITH(read_idx(dir.write("big", idx_file(0x08, {60000, 28, 28, 100}, {}))),
                    Contains("element count = 4704000000 is invalid") && Contains("at most 2147483648"));

  // A plain file is measured before anything is allocated.
  const std::string truncated = dir.write("truncated", idx_file(0x08, {2, 3}, {1, 2, 3, 4, 5}));
  CHECK_THROWS_WITH(read_idx(truncated),
                    Contains(truncated) &&
                        Contains("the file is truncated: it holds 5 data bytes after the 12-byte header; expected 6 "
                                 "for shape [2, 3] of unsigned byte"));
  const std::string boasting = dir.write("boasting", idx_file(0x08, {0xffffffff, 0xffffffff}, {1, 2, 3}));
  CHECK_THROWS_WITH(read_idx(boasting, {.max_elements = std::numeric_limits<std::size_t>::max()}),
                    Contains("the file is truncated: it holds 3 data bytes"));

  // A gzip stream's length is unknown until inflated: its data must arrive
  // before the buffer grows. A header declaring (2^32 - 1)^2 bytes over 3
  // real ones fails cleanly (no std::bad_alloc, no sanitizer report).
  const std::string gz_boasting = dir.write("boasting.gz", gzip(idx_file(0x08, {0xffffffff, 0xffffffff}, {1, 2, 3})));
  CHECK_THROWS_WITH(read_idx(gz_boasting, {.max_elements = std::numeric_limits<std::size_t>::max()}),
                    Contains(gz_boasting) &&
                        Contains("the gzip stream ends early: 3 of 18446744065119617025 data bytes arrived"));
  const std::string gz_short = dir.write("short.gz", gzip(idx_file(0x0C, {2, 2}, be32(1) + be32(2) + bytes{0, 0})));
  CHECK_THROWS_WITH(read_idx(gz_short),
                    Contains("the gzip stream ends early: 10 of 16 data bytes arrived; expected 16 bytes for shape "
                             "[2, 2] of int"));

  // Bytes after the data are damage, not padding.
  const std::string trailing = dir.write("trailing", idx_file(0x08, {2}, {1, 2, 3, 4}));
  CHECK_THROWS_WITH(read_idx(trailing),
                    Contains(trailing) &&
                        Contains("2 bytes follow the data; expected the file to end after shape [2] of unsigned byte"));
  CHECK_THROWS_WITH(read_idx(dir.write("trailing.gz", gzip(idx_file(0x08, {2}, {1, 2, 3, 4})))),
                    Contains("data continues after the shape [2] of unsigned byte the header declares; expected "
                             "the gzip stream to end there"));
}

TEST_CASE("idx: corrupt and truncated gzip streams", "[io][idx][errors]") {
  scratch_dir dir;
  bytes payload(3000);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<unsigned char>(i * 7 % 251);
  const bytes packed = gzip(idx_file(0x08, {3, 1000}, payload));
  REQUIRE(read_idx(dir.write("good.gz", packed)).size() == 3000);

  // Cut short: the compressed input ends before the stream does.
  const std::string cut = dir.write("cut.gz", bytes(packed.begin(), packed.end() - 20));
  CHECK_THROWS_WITH(read_idx(cut), Contains(cut) && Contains("the gzip stream ends early after") &&
                                       Contains("zlib: unexpected end of file") && Contains("truncated"));
  const std::string header_only = dir.write("header-only.gz", bytes(packed.begin(), packed.begin() + 10));
  CHECK_THROWS_WITH(read_idx(header_only), Contains("the gzip stream ends early after 0 data bytes"));

  // The CRC-32 in the trailer no longer matches.
  bytes bad_crc = packed;
  bad_crc[bad_crc.size() - 8] ^= 0xff;
  const std::string crc = dir.write("crc.gz", bad_crc);
  CHECK_THROWS_WITH(read_idx(crc),
                    Contains(crc) && Contains("the gzip stream is corrupt (zlib: incorrect data check)"));
  // The ISIZE field (length mod 2^32) no longer matches.
  bytes bad_length = packed;
  bad_length[bad_length.size() - 1] ^= 0x01;
  CHECK_THROWS_WITH(read_idx(dir.write("length.gz", bad_length)), Contains("zlib: incorrect length check"));
  // Compression method 7 is not deflate.
  bytes bad_method = packed;
  bad_method[2] = 7;
  CHECK_THROWS_WITH(read_idx(dir.write("method.gz", bad_method)),
                    Contains("the gzip stream is corrupt (zlib: unknown compression method)"));
  // The first deflate block's type bits (byte 10, bits 1-2) set to 11, a reserved type.
  bytes bad_block = packed;
  bad_block[10] |= 0x06;
  CHECK_THROWS_WITH(read_idx(dir.write("block.gz", bad_block)),
                    Contains("the gzip stream is corrupt (zlib: invalid block type); expected a valid gzip file"));
  // Damage further in may still inflate, to bytes that are not the file: the
  // reader then fails on what it finds, or on the CRC, but never crashes.
  for (std::size_t at = 10; at + 8 < packed.size(); at += 7) {
    bytes damaged = packed;
    damaged[at] ^= 0x5a;
    CHECK_THROWS_AS(read_idx(dir.write("damaged.gz", damaged)), mixq::error);
  }
  // Garbage after the gzip stream.
  CHECK_THROWS_WITH(read_idx(dir.write("garbage.gz", packed + bytes{'x', 'y'})),
                    Contains("bytes that are not gzip data follow the end of the gzip stream"));
}
