#pragma once
// The bytes of a file, plain or gzip-compressed (told apart by the gzip magic
// 1f 8b, not by the name), read front to back. Every failure throws a
// mixq::error that begins "<where>: <path>: ".
//
// A header can declare any size; the file may hold less. A plain regular
// file's size is known up front, so a short one fails before anything is
// allocated. A gzip stream's length is known only once it is inflated, so its
// data is read into a buffer that grows as the data arrives (never beyond
// twice what arrived), and ending early is an error.

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <zlib.h>

#include <mixq/config.hpp>
#include <mixq/io/detail/elements.hpp>

namespace mixq::io::detail {

class byte_source {
public:
  /// Opens `path`; `where` names the public function for messages ("mixq::io::read_idx").
  byte_source(std::string_view where, std::string path) : where_(where), path_(std::move(path)) {
    std::error_code ec;
    if (std::filesystem::is_directory(path_, ec)) fail("is a folder; expected a file");
    file_.reset(std::fopen(path_.c_str(), "rb"));
    if (!file_) {
      fail("cannot open the file ({}); expected a readable file",
           std::error_code(errno, std::generic_category()).message());
    }
    if (std::filesystem::is_regular_file(path_, ec)) {
      const auto size = std::filesystem::file_size(path_, ec);
      if (!ec) file_size_ = size;
    }
    // Peek at two bytes: a gzip member starts with 1f 8b; an IDX or npy file never does.
    unsigned char magic[2] = {0, 0};
    const std::size_t got = read_file(magic, 2);
    if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
      gz_ = std::make_unique<gzip_state>();
      // 16 + MAX_WBITS: a gzip wrapper (header, CRC-32, length), not zlib's own.
      if (inflateInit2(&gz_->z, 16 + MAX_WBITS) != Z_OK) {
        fail("zlib cannot start inflating ({})", zmessage(Z_MEM_ERROR));
      }
      gz_->live = true;
      std::copy(magic, magic + 2, gz_->in.begin());
      gz_->z.next_in = gz_->in.data();
      gz_->z.avail_in = 2;
    } else {
      std::copy(magic, magic + got, pushback_);
      pushback_len_ = got;
    }
  }

  const std::string& path() const noexcept { return path_; }

  /// Bytes left in a plain regular file: exact, known without reading. Nothing
  /// for a gzip stream or a file whose size the system does not tell.
  std::optional<std::uint64_t> remaining() const noexcept {
    if (gz_ || !file_size_) return std::nullopt;
    return *file_size_ >= position_ ? *file_size_ - position_ : 0;
  }

  /// Reads up to n bytes; fewer only where the data ends.
  std::size_t read(unsigned char* out, std::size_t n) {
    const std::size_t got = gz_ ? read_gzip(out, n) : read_plain(out, n);
    position_ += got;
    return got;
  }

  /// Reads exactly n bytes of the part named `what` ("IDX header"), or fails
  /// saying the file ends inside it.
  void read_exact(unsigned char* out, std::size_t n, std::string_view what) {
    const std::size_t got = read(out, n);
    if (got < n) {
      fail("the file ends after {} of the {} bytes of the {}; expected a complete {}", got, n, what, what);
    }
  }

  /// Reads `count` elements of type T (raw bytes, the file's byte order) that
  /// the header declares as `declared` ("shape [3, 4] of float").
  template <class T>
  std::vector<T> read_elements(std::size_t count, std::string_view declared) {
    const std::size_t bytes = count * sizeof(T);  // the callers check that it fits
    if (const auto left = remaining(); left && *left < bytes) {
      fail("the file is truncated: it holds {} data bytes after the {}-byte header; expected {} for {}", *left,
           position_, bytes, declared);
    }
    std::vector<T> out;
    // What has arrived justifies the next allocation; a plain file's size justifies all of it.
    constexpr std::size_t first_step = (std::size_t{1} << 20) / sizeof(T) + 1;
    std::size_t have = 0;
    while (have < count) {
      const std::size_t next = remaining() ? count : std::min(count, std::max(have * 2, first_step));
      out.resize(next);
      const std::size_t want = (next - have) * sizeof(T);
      const std::size_t got = read(reinterpret_cast<unsigned char*>(out.data() + have), want);
      if (got < want) {
        fail("the {} ends early: {} of {} data bytes arrived; expected {} bytes for {}",
             gz_ ? "gzip stream" : "file", have * sizeof(T) + got, bytes, bytes, declared);
      }
      have = next;
    }
    return out;
  }

  /// Fails unless the data ends here: trailing bytes are damage, not padding.
  /// For gzip this inflates to the end of the stream, which checks its CRC.
  void expect_end(std::string_view declared) {
    if (const auto left = remaining()) {
      if (*left > 0) fail("{} bytes follow the data; expected the file to end after {}", *left, declared);
      return;
    }
    unsigned char byte = 0;
    if (read(&byte, 1) != 0) {
      fail("data continues after the {} the header declares; expected the {} to end there", declared,
           gz_ ? "gzip stream" : "file");
    }
  }

  template <class... A>
  [[noreturn]] void fail(fmt::format_string<A...> format, A&&... args) const {
    MIXQ_THROW(mixq::error, "{}: {}: {}", where_, path_, fmt::format(format, std::forward<A>(args)...));
  }

private:
  struct file_closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  // Heap-allocated: zlib keeps a pointer to the z_stream, so it must not move.
  struct gzip_state {
    z_stream z{};
    bool live = false;
    bool finished = false;  // the last member ended and nothing follows
    std::vector<unsigned char> in = std::vector<unsigned char>(std::size_t{1} << 16);
    gzip_state() = default;
    gzip_state(const gzip_state&) = delete;
    gzip_state& operator=(const gzip_state&) = delete;
    ~gzip_state() {
      if (live) inflateEnd(&z);
    }
  };

  static const char* zmessage(int code, const z_stream* z = nullptr) noexcept {
    if (z != nullptr && z->msg != nullptr) return z->msg;
    return zError(code);
  }

  std::size_t read_file(unsigned char* out, std::size_t n) {
    const std::size_t got = std::fread(out, 1, n, file_.get());
    if (got < n && std::ferror(file_.get())) {
      fail("cannot read the file ({})", std::error_code(errno, std::generic_category()).message());
    }
    return got;
  }

  std::size_t read_plain(unsigned char* out, std::size_t n) {
    std::size_t done = 0;
    while (pushback_pos_ < pushback_len_ && done < n) out[done++] = pushback_[pushback_pos_++];
    if (done < n) done += read_file(out + done, n - done);
    return done;
  }

  bool refill() {
    const std::size_t got = read_file(gz_->in.data(), gz_->in.size());
    gz_->z.next_in = gz_->in.data();
    gz_->z.avail_in = static_cast<uInt>(got);
    return got > 0;
  }

  std::size_t read_gzip(unsigned char* out, std::size_t n) {
    z_stream& z = gz_->z;
    std::size_t done = 0;
    while (done < n && !gz_->finished) {
      if (z.avail_in == 0 && !refill()) {
        fail("the gzip stream ends early after {} data bytes (zlib: unexpected end of file); expected a complete "
             "gzip stream: the file is truncated",
             position_ + done);
      }
      const std::size_t chunk = std::min<std::size_t>(n - done, UINT_MAX);
      z.next_out = out + done;
      z.avail_out = static_cast<uInt>(chunk);
      const int rc = inflate(&z, Z_NO_FLUSH);
      done += chunk - z.avail_out;
      if (rc == Z_STREAM_END) {
        member_ended();
      } else if (rc == Z_BUF_ERROR && z.avail_in == 0) {
        continue;  // needs more input: the next trip refills
      } else if (rc != Z_OK) {
        fail("the gzip stream is corrupt (zlib: {}); expected a valid gzip file", zmessage(rc, &z));
      }
    }
    return done;
  }

  // Concatenated gzip members form one stream (RFC 1952); anything else after
  // the end of a member is not part of any gzip file.
  void member_ended() {
    z_stream& z = gz_->z;
    if (z.avail_in == 0 && !refill()) {
      gz_->finished = true;
      return;
    }
    if (z.next_in[0] != 0x1f) {
      fail("bytes that are not gzip data follow the end of the gzip stream; expected the file to end there");
    }
    if (inflateReset(&z) != Z_OK) fail("zlib cannot restart inflating ({})", zmessage(Z_STREAM_ERROR, &z));
  }

  std::string where_;
  std::string path_;
  std::unique_ptr<std::FILE, file_closer> file_;
  std::optional<std::uint64_t> file_size_;
  std::unique_ptr<gzip_state> gz_;
  std::uint64_t position_ = 0;
  unsigned char pushback_[2] = {0, 0};
  std::size_t pushback_len_ = 0;
  std::size_t pushback_pos_ = 0;
};

}  // namespace mixq::io::detail
