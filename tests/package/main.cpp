// Uses an installed mixq: quantize, inspect, dequantize.
#include <mixq/mixq.hpp>

int main() {
  const xt::xtensor<float, 1> x = {-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 7.0f};
  const auto q = mixq::quantize(x, mixq::qparams<mixq::schemes::int4_sym>{0.5f});
  const auto back = mixq::dequantize(q);
  fmt::print("{}\n", q);
  // 7.0 clamps to qmax = 7 -> 3.5; the rest round-trip exactly.
  const bool ok = q.bytes() == 3 && q.at(5) == 7 && back(5) == 3.5f && back(0) == -1.0f;
  return ok ? 0 : 1;
}
