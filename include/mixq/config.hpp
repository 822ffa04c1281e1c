#pragma once
// Version, the error type and the two checking macros every mixq header uses.

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#define MIXQ_VERSION_MAJOR 0
#define MIXQ_VERSION_MINOR 1
#define MIXQ_VERSION_PATCH 0
#define MIXQ_VERSION (MIXQ_VERSION_MAJOR * 10000 + MIXQ_VERSION_MINOR * 100 + MIXQ_VERSION_PATCH)

namespace mixq {

/// Thrown for run-time misuse at API boundaries. The message names the
/// argument, the value seen and what was expected.
class error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

namespace detail {

// For primary templates that must never be instantiated: a bare
// static_assert(false) fires even when unused on GCC 12 / Clang 14.
template <class...>
inline constexpr bool dependent_false_v = false;

[[noreturn]] inline void assert_failed(const char* condition, const char* message, const char* file,
                                       int line) noexcept {
  std::fprintf(stderr, "%s:%d: mixq assertion failed: %s (%s)\n", file, line, message, condition);
  std::abort();
}

}  // namespace detail
}  // namespace mixq

/// Throws `E` with a message formatted by fmt: MIXQ_THROW(mixq::error, "x = {}", x).
#define MIXQ_THROW(E, ...) throw E(::fmt::format(__VA_ARGS__))

/// Debug-only check for hot paths; compiled out when NDEBUG is defined unless
/// MIXQ_ENABLE_ASSERTS is. A failure prints the condition and aborts.
#if defined(MIXQ_ENABLE_ASSERTS) || !defined(NDEBUG)
#define MIXQ_ASSERT(condition, message) \
  ((condition) ? void(0) : ::mixq::detail::assert_failed(#condition, message, __FILE__, __LINE__))
#else
#define MIXQ_ASSERT(condition, message) ((void)0)
#endif
