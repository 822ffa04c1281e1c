#pragma once
// Catch2 matcher for xtensor containers: CHECK(a == b) cannot be used on
// them, because Catch's decomposer meets xtensor's generic operators.
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <xtensor/xio.hpp>
#include <xtensor/xtensor.hpp>

namespace mixq::test {

template <class T, std::size_t R>
class tensor_equals : public Catch::MatcherBase<xt::xtensor<T, R>> {
public:
  explicit tensor_equals(xt::xtensor<T, R> expected) : expected_(std::move(expected)) {}
  bool match(const xt::xtensor<T, R>& actual) const override {
    return actual.shape() == expected_.shape() && std::equal(actual.begin(), actual.end(), expected_.begin());
  }
  std::string describe() const override {
    std::ostringstream os;
    os << "equals\n" << expected_;
    return os.str();
  }

private:
  xt::xtensor<T, R> expected_;
};

template <class T, std::size_t R>
tensor_equals<T, R> equals(xt::xtensor<T, R> expected) {
  return tensor_equals<T, R>(std::move(expected));
}

}  // namespace mixq::test
