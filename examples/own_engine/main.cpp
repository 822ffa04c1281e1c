// OHQ on an engine that is not mixq's: the integrator's own runtime
// implements mixq::QuantizableNetwork (model/network_interface.hpp), and
// mixq measures its layers' latency on this machine, estimates their
// accuracy impact with forward passes, and picks each layer's precision
// exactly under a latency budget -- the same calls `mixq ohq` makes on
// mixq's own executor.
//
// The engine here is a small multilayer perceptron with random weights and
// its own way of running a layer: float between layers, and at a layer's
// integer precision its input quantized to 8 bits and its weights packed at
// 8, 4 or 2 bits for mixq's typed GEMM (a real engine would call its own
// kernels there). At batch 1 its layers are matrix-vector products, where
// narrower weights are less memory to stream. Usage:
//
//   mixq_own_engine [budget]     budget: a multiple of the all-w8a8 latency (default 0.8)

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xmath.hpp>
#include <xtensor/xtensor.hpp>

#include <mixq/mixq.hpp>

namespace {

using mixq::precision;

// An integrator's engine: dense layers with ReLU between them.
class my_engine {
public:
  explicit my_engine(std::vector<std::size_t> widths) : widths_(std::move(widths)) {
    std::mt19937 rng(7);
    for (std::size_t l = 0; l + 1 < widths_.size(); ++l) {
      std::normal_distribution<float> d(0.0f, std::sqrt(2.0f / static_cast<float>(widths_[l])));
      xt::xtensor<float, 2> w({widths_[l + 1], widths_[l]});
      for (auto& x : w) x = d(rng);
      layers_.push_back({fmt::format("fc{}", l + 1), std::move(w), {8, 8}, {}});
      pack(layers_.back());
    }
  }

  // ---- mixq::QuantizableNetwork
  std::size_t layer_count() const { return layers_.size(); }
  std::string_view layer_name(std::size_t l) const { return layers_.at(l).name; }
  bool supports(std::size_t, precision p) const {
    return mixq::is_float(p) || (p.a_bits == 8 && (p.w_bits == 8 || p.w_bits == 4 || p.w_bits == 2));
  }
  precision layer_precision(std::size_t l) const { return layers_.at(l).bits; }
  void set_precision(std::size_t l, precision p) {
    if (layers_.at(l).bits == p) return;
    layers_[l].bits = p;
    pack(layers_[l]);
  }
  mixq::layer_cost cost(std::size_t l, precision p) const {
    const double macs = static_cast<double>(layers_[l].weights.size());
    const double bits = mixq::is_float(p) ? 32.0 : p.w_bits;
    return {macs * bits / 8, macs * p.w_bits * p.a_bits, macs};
  }
  std::size_t input_elements() const { return widths_.front(); }
  std::size_t output_elements() const { return widths_.back(); }
  std::size_t weighted_index(std::size_t i) const { return i; }  // every layer of this engine has weights

  void run(std::span<const float> in, std::size_t n, std::span<float> out, std::vector<double>* seconds = nullptr) {
    if (seconds) seconds->resize(layer_count(), 0.0);
    for (std::size_t s = 0; s < n; ++s) {
      xt::xtensor<float, 2> x({1, input_elements()});
      std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(s * input_elements()), input_elements(), x.begin());
      inputs_.assign(1, x);
      for (std::size_t l = 0; l < layer_count(); ++l) {
        const auto t0 = std::chrono::steady_clock::now();
        inputs_.push_back(forward(l, inputs_.back()));
        if (seconds) (*seconds)[l] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
      std::copy(inputs_.back().begin(), inputs_.back().end(),
                out.begin() + static_cast<std::ptrdiff_t>(s * output_elements()));
    }
  }
  void run_layer(std::size_t l) { inputs_.at(l + 1) = forward(l, inputs_.at(l)); }
  std::vector<float> capture_layer(std::size_t l) const {
    return {inputs_.at(l + 1).begin(), inputs_.at(l + 1).end()};
  }

private:
  static constexpr mixq::scheme w8{.bits = 8, .axis = 0}, w4{.bits = 4, .axis = 0}, w2{.bits = 2, .axis = 0};
  using packed = std::variant<std::monostate, mixq::packed_weights<w8>, mixq::packed_weights<w4>,
                              mixq::packed_weights<w2>>;
  struct layer {
    std::string name;
    xt::xtensor<float, 2> weights;  // N x K
    precision bits;
    packed kernel;
  };

  // The layer's weights at its precision: symmetric codes, one scale per output channel.
  template <mixq::scheme S>
  static packed pack_at(const xt::xtensor<float, 2>& w) {
    mixq::qparams<S> p;
    for (std::size_t o = 0; o < w.shape(0); ++o) {
      float range = 0;
      for (std::size_t i = 0; i < w.shape(1); ++i) range = std::max(range, std::fabs(w(o, i)));
      p.scale.push_back(range > 0 ? range / static_cast<float>(mixq::qmax(S)) : 1.0f);
      p.zero_point.push_back(0);
    }
    return mixq::pack_gemm_weights(mixq::quantize(w, p));
  }
  static void pack(layer& l) {
    switch (mixq::is_float(l.bits) ? 0 : l.bits.w_bits) {
      case 8: l.kernel = pack_at<w8>(l.weights); break;
      case 4: l.kernel = pack_at<w4>(l.weights); break;
      case 2: l.kernel = pack_at<w2>(l.weights); break;
      default: l.kernel = std::monostate{};
    }
  }

  xt::xtensor<float, 2> forward(std::size_t l, const xt::xtensor<float, 2>& x) const {
    const layer& L = layers_[l];
    xt::xtensor<float, 2> y;
    if (std::holds_alternative<std::monostate>(L.kernel)) {
      y = xt::xtensor<float, 2>({1, L.weights.shape(0)});
      for (std::size_t o = 0; o < L.weights.shape(0); ++o) {
        float acc = 0;
        for (std::size_t i = 0; i < L.weights.shape(1); ++i) acc += x(0, i) * L.weights(o, i);
        y(0, o) = acc;
      }
    } else {
      // Unsigned 8-bit codes over [0, max]: the input follows a ReLU, or is the image.
      const float top = std::max(xt::amax(x)(), 1e-6f);
      const mixq::qparams<mixq::schemes::uint8_asym> px{top / 255.0f, 0};
      const auto codes = mixq::quantize(x, px);
      std::visit(
          [&](const auto& w) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(w)>, std::monostate>) {
              const auto acc = mixq::gemm(codes, w);  // 1 x N int32: sum of code products
              y = xt::xtensor<float, 2>({1, w.n()});
              for (std::size_t o = 0; o < w.n(); ++o) {
                y(0, o) = static_cast<float>(acc(0, o)) * px.scale * w.params().scale[o];
              }
            }
          },
          L.kernel);
    }
    if (l + 1 < layer_count()) y = xt::maximum(y, 0.0f);
    return y;
  }

  std::vector<std::size_t> widths_;
  std::vector<layer> layers_;
  std::vector<xt::xtensor<float, 2>> inputs_;  // the last run's input of each layer, then the output
};
static_assert(mixq::QuantizableNetwork<my_engine>, "my_engine implements what profile/ and sensitivity/ need");

}  // namespace

int main(int argc, char** argv) {
  const double factor = argc > 1 ? std::atof(argv[1]) : 0.8;
  if (!(factor > 0)) {
    fmt::print(stderr, "usage: mixq_own_engine [budget as a multiple of the w8a8 latency, e.g. 0.8]\n");
    return 2;
  }
  my_engine engine({784, 2048, 2048, 512, 10});

  // Inputs the engine will see: here random images in [0, 1].
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  std::vector<float> samples(64 * engine.input_elements());
  for (auto& v : samples) v = pixel(rng);

  // 1. Each layer's latency at each precision, on this machine, in the engine.
  mixq::profile_options po;
  po.precisions = {{8, 8}, {4, 8}, {2, 8}};
  po.min_seconds = 0.3;
  const mixq::latency_table latency =
      mixq::profile_latency(engine, std::span(samples).first(engine.input_elements()), po);
  // 2. Each layer's accuracy impact at each precision: forward passes against float.
  mixq::sensitivity_options so;
  so.precisions = po.precisions;
  const mixq::sensitivity_table sensitivity = mixq::measure_sensitivity(engine, samples, 64, so);
  // 3. The plan of least total sensitivity within factor x the all-w8a8 latency.
  const std::vector<precision> w8a8(engine.layer_count(), {8, 8});
  const double budget = factor * mixq::predict_latency(latency, w8a8);
  const mixq::alloc::problem problem =
      mixq::allocation_problem(latency, sensitivity, {.latency_us = budget - latency.fixed_us()});
  const mixq::alloc::plan plan = mixq::alloc::solve(problem);
  if (plan.status == mixq::alloc::status::infeasible) {
    fmt::print("no plan within {:.1f} us; the fastest takes {:.1f} us\n", budget,
               plan.minimum_totals[0] + latency.fixed_us());
    return 1;
  }
  const std::vector<precision> bits = mixq::plan_precisions(problem, plan);

  fmt::print("{:<6} {:>12} {:>12} {:>12}   {}\n", "layer", "w8a8 us", "w4a8 us", "w2a8 us", "plan");
  for (std::size_t l = 0; l < engine.layer_count(); ++l) {
    const auto& o = latency.layers[l].options;
    fmt::print("{:<6} {:>12.2f} {:>12.2f} {:>12.2f}   {} (KL {:.2e})\n", latency.layers[l].name, o[0].median_us,
               o[1].median_us, o[2].median_us, mixq::to_string(bits[l]), sensitivity.value(l, plan.choices[l].option));
  }
  // 4. The plan, measured end to end against the table's prediction.
  for (std::size_t l = 0; l < engine.layer_count(); ++l) engine.set_precision(l, bits[l]);
  const mixq::latency_check check =
      mixq::check_latency(engine, latency, bits, std::span(samples).first(engine.input_elements()), po);
  fmt::print("budget {:.1f} us ({}x w8a8): predicted {:.1f} us, measured {:.1f} us; w8a8 measured {:.1f} us\n", budget,
             factor, check.predicted_us, check.measured_us, check.reference_measured_us);
  return 0;
}
