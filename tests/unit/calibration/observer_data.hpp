#pragma once
// What the calibration tests share: heavy-tailed and normal samples, and a
// numerical integral of the quantization error model.

#include <array>
#include <cstddef>
#include <random>

#include <xtensor/xbuilder.hpp>
#include <xtensor/xtensor.hpp>

#include <mixq/calibration/range_rule.hpp>

namespace mixq::test {

inline xt::xtensor<float, 1> heavy_tailed(std::size_t n, unsigned seed, float shift = 0.0f) {
  std::mt19937 rng(seed);
  std::student_t_distribution<float> t(2.0f);
  xt::xtensor<float, 1> x = xt::zeros<float>({n});
  for (auto& v : x) v = t(rng) + shift;
  return x;
}

inline xt::xtensor<float, 3> normal_tensor(std::array<std::size_t, 3> shape, unsigned seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.2f, sigma);
  xt::xtensor<float, 3> x(shape);
  for (auto& v : x) v = d(rng);
  return x;
}

/// The integral of (x - Q(x))^2 over [a, b] by the midpoint rule with n points.
inline double integrate(const mixq::detail::quantizer_model& q, double a, double b, std::size_t n = 200000) {
  const double h = (b - a) / static_cast<double>(n);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += mixq::detail::squared_error_at(q, a + (static_cast<double>(i) + 0.5) * h);
  return sum * h;
}

}  // namespace mixq::test
