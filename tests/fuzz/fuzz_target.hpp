#pragma once
// One fuzz target: a function from bytes to nothing that returns normally on
// every input, or aborts with a message when mixq misbehaves. Written once,
// built two ways:
//
// - with MIXQ_FUZZ_LIBFUZZER (the `fuzz` preset, clang -fsanitize=fuzzer):
//   one executable per target, libFuzzer calls it with generated inputs;
// - otherwise: registered by name in mixq_fuzz_replay, which runs it on the
//   committed corpus in the ordinary test suite (every seed and every input
//   that once found a bug, under whatever sanitizer the build has).
//
//   MIXQ_FUZZ_TARGET(pack) {           // data, size: the input bytes
//     mixq_fuzz::bytes in(data, size);
//     ...
//     if (lanes != back) mixq_fuzz::fail("unpack(pack(x)) != x at {}", i);
//   }

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <unistd.h>

#include <fmt/format.h>

namespace mixq_fuzz {

using target_fn = void (*)(const std::uint8_t* data, std::size_t size);

/// The targets of the replay binary, by name.
inline std::map<std::string, target_fn>& registry() {
  static std::map<std::string, target_fn> targets;
  return targets;
}

inline bool register_target(const char* name, target_fn f) {
  registry().emplace(name, f);
  return true;
}

/// Reports a finding: mixq did something it must not. Aborts, which both
/// libFuzzer and ctest count as a failure (libFuzzer saves the input).
template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(stderr, "mixq fuzz finding: {}\n", fmt::format(format, std::forward<Args>(args)...));
  std::fflush(stderr);
  std::abort();
}

/// The input read front to back as the values a target needs. Past the end
/// every value reads as zero, so every input, however short, is a test.
class bytes {
public:
  bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  std::size_t left() const noexcept { return size_ - pos_; }

  template <class T>
    requires std::is_trivially_copyable_v<T>
  T take() noexcept {
    unsigned char raw[sizeof(T)] = {};
    const std::size_t n = std::min(sizeof(T), left());
    if (n > 0) std::memcpy(raw, data_ + pos_, n);
    pos_ += n;
    T v;
    std::memcpy(&v, raw, sizeof(T));
    return v;
  }

  /// An integer in [lo, hi].
  std::size_t in_range(std::size_t lo, std::size_t hi) noexcept {
    const auto raw = take<std::uint32_t>();
    return lo + static_cast<std::size_t>(raw % (hi - lo + 1));
  }

  /// A float, mostly of ordinary size, sometimes any bit pattern (NaN, inf, subnormal).
  float any_float() noexcept {
    const auto kind = take<std::uint8_t>();
    if (kind < 16) return take<float>();
    return static_cast<float>(take<std::int16_t>()) / 256.0f;
  }

  /// The bytes not yet read.
  std::span<const std::uint8_t> rest() noexcept {
    std::span<const std::uint8_t> r(data_ + pos_, left());
    pos_ = size_;
    return r;
  }

private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

/// A file holding `data` (for readers that take a path), rewritten per call.
inline std::string scratch_file(const std::uint8_t* data, std::size_t size) {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return fmt::format("{}/mixq-fuzz-{}.bin", dir && *dir ? dir : "/tmp", static_cast<long>(::getpid()));
  }();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) fail("cannot create the scratch file {}", path);
  if (size > 0 && std::fwrite(data, 1, size, f) != size) fail("cannot write the scratch file {}", path);
  std::fclose(f);
  return path;
}

}  // namespace mixq_fuzz

#define MIXQ_FUZZ_CONCAT_(a, b) a##b
#define MIXQ_FUZZ_CONCAT(a, b) MIXQ_FUZZ_CONCAT_(a, b)

#ifdef MIXQ_FUZZ_LIBFUZZER
#define MIXQ_FUZZ_TARGET(name)                                                              \
  static void mixq_fuzz_target_##name(const std::uint8_t* data, std::size_t size);          \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {       \
    mixq_fuzz_target_##name(data, size);                                                    \
    return 0;                                                                               \
  }                                                                                         \
  static void mixq_fuzz_target_##name(const std::uint8_t* data, std::size_t size)
#else
#define MIXQ_FUZZ_TARGET(name)                                                              \
  static void mixq_fuzz_target_##name(const std::uint8_t* data, std::size_t size);          \
  [[maybe_unused]] static const bool MIXQ_FUZZ_CONCAT(mixq_fuzz_registered_, name) =        \
      mixq_fuzz::register_target(#name, &mixq_fuzz_target_##name);                          \
  static void mixq_fuzz_target_##name(const std::uint8_t* data, std::size_t size)
#endif
