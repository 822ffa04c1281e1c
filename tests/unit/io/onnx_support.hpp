#pragma once
// What the ONNX tests (onnx_graphs.cpp, onnx_backend.cpp, onnx_errors.cpp)
// share: reading files, running a network in float, comparing outputs.

#include <cmath>
#include <cstddef>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <mixq/config.hpp>

#include <mixq/model/model.hpp>

#include "support/floats.hpp"

namespace mixq_test::onnx {

/// The bytes of a file; fails the test when it cannot be read.
inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  INFO("reading " << path);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// n samples through the network at fp32.
inline std::vector<float> run_fp32(const mixq::network& net, const std::vector<float>& x, std::size_t n) {
  mixq::model m(std::make_shared<const mixq::network>(net), {}, mixq::precision_plan{.all = mixq::fp32});
  return m.run(x, n);
}

/// Every output within 1e-5 x (1 + |expected|) of the expected one.
inline void require_close(const std::vector<float>& y, const std::vector<float>& expected) {
  REQUIRE(y.size() == expected.size());
  double worst = 0.0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double e = expected[i];
    const double err = std::fabs(static_cast<double>(y[i]) - e) / (1.0 + std::fabs(e));
    if (!(err <= worst)) {  // also catches NaN
      worst = err;
      at = i;
    }
  }
  INFO("worst relative error " << worst << " at output " << at << ": " << y[at] << " against " << expected[at]);
  CHECK(worst <= 1e-5);
}

/// The message of the mixq::error that f throws; a failed check and "" when f returns
/// (any other exception escapes to Catch, which reports it).
template <class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const mixq::error& e) {
    return e.what();
  }
  FAIL_CHECK("expected a mixq::error; nothing was thrown");
  return {};
}

/// The same floats, bit for bit.
inline void require_identical(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  std::size_t differ = 0, first = a.size();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (mixq::test::bits_of(a[i]) != mixq::test::bits_of(b[i])) {
      if (differ++ == 0) first = i;
    }
  }
  INFO(differ << " of " << a.size() << " outputs differ; the first at " << first << ": "
              << (first < a.size() ? a[first] : 0.0f) << " against " << (first < b.size() ? b[first] : 0.0f));
  CHECK(differ == 0);
}

}  // namespace mixq_test::onnx
