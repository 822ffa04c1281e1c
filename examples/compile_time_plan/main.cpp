// The bit-width plan of a small multilayer perceptron, chosen by the exact
// allocator at compile time, picks the type of each layer's weights:
// a layer the plan gives 4 bits has a qtensor<scheme{.bits = 4, ...}, 2>.
// A plan that changed (another budget, another table) changes the types, and
// every kernel call on them is checked again by the compiler.
#include <cmath>
#include <cstddef>
#include <string_view>

#include <boost/hana/equal.hpp>
#include <boost/hana/at.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/range.hpp>
#include <boost/hana/size.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xrandom.hpp>
#include <xtensor/xview.hpp>

#include <mixq/alloc/plan_types.hpp>
#include <mixq/mixq.hpp>

namespace {

namespace alloc = mixq::alloc;
namespace hana = boost::hana;

// A 784-512-256-128-10 perceptron. Each layer may keep 8-bit weights or drop
// to 6, 4 or 2 bits (activations stay 8-bit). Costs: weight bytes and a
// latency model of the target (us); sensitivities as a calibration run
// would measure them (the loss increase when only that layer is quantized).
constexpr alloc::static_problem<4, 4, 2> mlp{
    .cost_names = {"size_bytes", "latency_us"},
    .budgets = {320000.0, 90.0},
    .layers = {{
        {.name = "fc1",
         .options = {{{8, 8, 0.0008, {401408.0, 80.0}},
                      {6, 8, 0.0031, {301056.0, 80.0}},
                      {4, 8, 0.0190, {200704.0, 52.0}},
                      {2, 8, 0.2400, {100352.0, 41.0}}}}},
        {.name = "fc2",
         .options = {{{8, 8, 0.0011, {131072.0, 27.0}},
                      {6, 8, 0.0045, {98304.0, 27.0}},
                      {4, 8, 0.0270, {65536.0, 18.0}},
                      {2, 8, 0.3100, {32768.0, 14.0}}}}},
        {.name = "fc3",
         .options = {{{8, 8, 0.0019, {32768.0, 8.0}},
                      {6, 8, 0.0072, {24576.0, 8.0}},
                      {4, 8, 0.0410, {16384.0, 6.0}},
                      {2, 8, 0.4900, {8192.0, 5.0}}}}},
        {.name = "fc4",
         .options = {{{8, 8, 0.0060, {1280.0, 2.0}},
                      {6, 8, 0.0210, {960.0, 2.0}},
                      {4, 8, 0.1300, {640.0, 2.0}},
                      {2, 8, 1.9000, {320.0, 2.0}}}}},
    }},
};

// Solved while compiling: the plan is a constant, its bit-widths are template arguments.
constexpr auto plan = alloc::solve(mlp);
static_assert(plan.optimal(), "the budgets leave no plan, or the search hit a limit");

// The weight tensor type of a layer: symmetric, one scale per output channel (rows).
template <alloc::LayerChoice Layer>
using weights_t = mixq::qtensor<mixq::scheme{.bits = Layer::w_bits, .axis = 0}, 2>;

// One weight tensor per layer, each of the type its plan entry asks for.
using network_weights = alloc::layer_tuple_t<plan, weights_t>;
static_assert(hana::size(alloc::layer_types<plan, weights_t>) == hana::size_c<4>);

constexpr std::size_t shapes[4][2] = {{512, 784}, {256, 512}, {128, 256}, {10, 128}};

// Symmetric per-channel scales: each row's largest magnitude on the largest code.
template <mixq::scheme S>
mixq::qparams<S> per_row_params(const xt::xtensor<float, 2>& w) {
  mixq::qparams<S> p;
  for (std::size_t r = 0; r < w.shape(0); ++r) {
    const float m = xt::amax(xt::abs(xt::view(w, r, xt::all())))();
    p.scale.push_back(m > 0.0f ? m / static_cast<float>(mixq::qmax(S)) : 1.0f);
  }
  p.zero_point.assign(p.scale.size(), mixq::default_zero_point(S));
  return p;
}

double sqnr_db(const xt::xtensor<float, 2>& x, const xt::xtensor<float, 2>& y) {
  double signal = 0.0, noise = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    signal += double(x.data()[i]) * x.data()[i];
    noise += (double(x.data()[i]) - y.data()[i]) * (double(x.data()[i]) - y.data()[i]);
  }
  return 10.0 * std::log10(signal / noise);
}

}  // namespace

int main() {
  fmt::print("plan: objective {:.4f} (sensitivity), {:.0f} bytes of {:.0f}, {:.1f} us of {:.1f}, {} nodes\n\n",
             plan.objective, plan.totals[0], mlp.budgets[0], plan.totals[1], mlp.budgets[1], plan.nodes);

  // Quantize float weights into each layer's own tensor type.
  const network_weights weights = alloc::transform_layers<plan>([]<class Layer>(Layer) {
    using tensor = weights_t<Layer>;
    const auto [rows, cols] = shapes[Layer::layer];
    xt::random::seed(Layer::layer + 1);
    const xt::xtensor<float, 2> w = xt::random::randn<float>({rows, cols}, 0.0f, 0.05f);
    return tensor(mixq::quantize(w, per_row_params<tensor::scheme_value>(w)));
  });

  // Layer by layer: what the plan chose and what it costs in accuracy.
  std::size_t total = 0;
  hana::for_each(hana::make_range(hana::size_c<0>, hana::size_c<alloc::layer_count_v<plan>>), [&](auto i) {
    constexpr std::size_t layer = decltype(i)::value;
    const auto& q = hana::at(weights, i);
    const auto [rows, cols] = shapes[layer];
    xt::random::seed(layer + 1);
    const xt::xtensor<float, 2> w = xt::random::randn<float>({rows, cols}, 0.0f, 0.05f);
    fmt::print("{:<4} {} bits: {:>7} bytes packed, SQNR {:5.1f} dB  {}\n", mlp.layers[layer].name,
               q.scheme_value.bits, q.bytes(), sqnr_db(w, mixq::dequantize(q)), q.scheme_value);
    total += q.bytes();
  });
  fmt::print("\nall weights: {} bytes\n", total);
  return 0;
}
