// profile/, sensitivity/ and the problem they make, on a network whose
// behaviour is known exactly: a stand-in engine that implements
// QuantizableNetwork (as an integrator's engine would) with synthetic
// timings and outputs; and the metrics against their definitions.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <mixq/alloc/alloc.hpp>
#include <mixq/profile/latency.hpp>
#include <mixq/profile/problem.hpp>
#include <mixq/sensitivity/mqe.hpp>

namespace {

using namespace mixq;

// Three layers with weights and one without. Layer l at p takes
// (l + 1) * (w_bits + a_bits) microseconds; the layer without weights 5 us.
// The output (2 classes) is the input plus, per layer, an offset that grows
// as its bits shrink -- so a precision's effect on the logits is known.
class stand_in_engine {
public:
  std::size_t layer_count() const { return 3; }
  std::string_view layer_name(std::size_t l) const { return names_.at(l); }
  bool supports(std::size_t l, precision p) const { return is_float(p) || (l != 2 || p.w_bits != 2); }
  precision layer_precision(std::size_t l) const { return bits_.at(l); }
  void set_precision(std::size_t l, precision p) {
    REQUIRE(supports(l, p));
    bits_.at(l) = p;
  }
  layer_cost cost(std::size_t l, precision p) const {
    return {static_cast<double>((l + 1) * 100 * static_cast<std::size_t>(p.w_bits)), 0.0, 0.0};
  }
  std::size_t input_elements() const { return 2; }
  std::size_t output_elements() const { return 2; }
  std::size_t weighted_index(std::size_t i) const { return i == 1 ? 3 : (i == 0 ? 0 : i - 1); }
  void run(std::span<const float> in, std::size_t n, std::span<float> out, std::vector<double>* seconds = nullptr) {
    if (seconds) {
      seconds->assign(4, 0.0);
      for (std::size_t i = 0; i < 4; ++i) {
        const std::size_t l = weighted_index(i);
        (*seconds)[i] = l == 3 ? 5e-6 : 1e-6 * static_cast<double>((l + 1) * static_cast<std::size_t>(bits_[l].w_bits + bits_[l].a_bits));
      }
    }
    for (std::size_t s = 0; s < n; ++s) {
      out[2 * s] = in[2 * s];
      out[2 * s + 1] = in[2 * s + 1];
      for (std::size_t l = 0; l < 3; ++l) out[2 * s] += offset(l);
    }
    ++runs;
  }
  void run_layer(std::size_t) {}
  std::vector<float> capture_layer(std::size_t) const { return {}; }

  float offset(std::size_t l) const {
    return is_float(bits_[l]) ? 0.0f : 0.1f * static_cast<float>(l + 1) * static_cast<float>(8 - bits_[l].w_bits + 8 - bits_[l].a_bits);
  }
  std::size_t runs = 0;

private:
  std::vector<std::string> names_{"a", "b", "c"};
  std::vector<precision> bits_{{8, 8}, {8, 8}, {8, 8}};
};
static_assert(QuantizableNetwork<stand_in_engine>);

}  // namespace

TEST_CASE("profile_latency: the per-layer times the engine reports, per precision, and the plan restored", "[profile]") {
  stand_in_engine e;
  e.set_precision(1, {4, 8});
  profile_options o;
  o.precisions = {{8, 8}, {4, 8}, {2, 8}};
  o.min_runs = 20;
  o.max_runs = 40;
  o.pin_thread = false;
  const latency_table t = profile_latency(e, std::vector<float>{0.5f, 0.5f}, o);
  REQUIRE(t.layers.size() == 3);
  CHECK(t.layers[1].name == "b");
  REQUIRE(t.layers[0].options.size() == 3);
  REQUIRE(t.layers[2].options.size() == 2);  // no w2 kernel for layer c
  CHECK(t.layers[0].options[1].bits == precision{4, 8});
  CHECK(t.layers[0].options[1].median_us == Approx(12.0));
  CHECK(t.layers[2].options[0].median_us == Approx(3 * 16.0));
  CHECK(t.layers[0].options[0].p10_us == Approx(16.0));
  CHECK(t.layers[0].options[0].p90_us == Approx(16.0));
  CHECK(t.layers[2].options[1].cost.size_bytes == 300 * 4);
  CHECK(t.precisions == std::vector<precision>{{8, 8}, {4, 8}, {2, 8}});
  CHECK(t.runs >= 3 * 20);
  // The engine's plan is as it was.
  CHECK(e.layer_precision(0) == precision{8, 8});
  CHECK(e.layer_precision(1) == precision{4, 8});
  // A plan's prediction: the fixed part plus each layer's option.
  CHECK(predict_latency(t, {{8, 8}, {2, 8}, {4, 8}}) == Approx(t.fixed_us() + 16.0 + 2 * 10.0 + 3 * 12.0));
  CHECK_THROWS_WITH(predict_latency(t, {{8, 8}, {8, 8}, {2, 8}}), Catch::Contains("layer 'c' was not measured at w2a8"));
  CHECK_THROWS_WITH(profile_latency(e, std::vector<float>{1.0f}, o), Catch::Contains("expected one sample of 2"));
}

TEST_CASE("compare_logits: the metrics by their definitions", "[sensitivity]") {
  // Two samples, three classes.
  const std::vector<float> ref{1.0f, 2.0f, 0.5f, -1.0f, 0.0f, 3.0f};
  const std::vector<float> out{1.5f, 1.0f, 0.5f, -1.0f, 0.5f, 2.0f};
  const sensitivity_entry e = detail::compare_logits(ref, out, 2, 3);
  double kl = 0, noise = 0, signal = 0;
  for (std::size_t s = 0; s < 2; ++s) {
    double zr = 0, zo = 0;
    for (std::size_t c = 0; c < 3; ++c) {
      zr += std::exp(static_cast<double>(ref[3 * s + c]));
      zo += std::exp(static_cast<double>(out[3 * s + c]));
    }
    for (std::size_t c = 0; c < 3; ++c) {
      const double p = std::exp(static_cast<double>(ref[3 * s + c])) / zr, q = std::exp(static_cast<double>(out[3 * s + c])) / zo;
      kl += p * std::log(p / q);
      noise += std::pow(static_cast<double>(ref[3 * s + c] - out[3 * s + c]), 2);
      signal += std::pow(static_cast<double>(ref[3 * s + c]), 2);
    }
  }
  CHECK(e.kl == Approx(kl / 2));
  CHECK(e.mse == Approx(noise / 6));
  CHECK(e.sqnr == Approx(noise / signal));
  CHECK(e.flips == 0.5);  // sample 0: class 1 -> class 0; sample 1 keeps class 2
  const sensitivity_entry same = detail::compare_logits(ref, ref, 2, 3);
  CHECK(same.kl == 0.0);
  CHECK(same.mse == 0.0);
  CHECK(same.flips == 0.0);
}

TEST_CASE("measure_sensitivity: one layer at a time against the reference, the plan restored", "[sensitivity]") {
  stand_in_engine e;
  e.set_precision(2, {4, 4});
  const std::vector<float> x{0.1f, 0.9f, 0.2f, 0.3f, 0.7f, 0.6f};
  sensitivity_options o;
  o.precisions = {{8, 8}, {4, 8}, {2, 2}};
  const sensitivity_table t = measure_sensitivity(e, x, 3, o);
  REQUIRE(t.layers.size() == 3);
  CHECK(t.samples == 3);
  REQUIRE(t.layers[2].size() == 2);  // layer c has no w2 kernel
  // Layer 1 alone at w4a8 (the others in float) moves logit 0 by 0.1 * 2 * 4 = 0.8.
  const std::vector<float> ref{0.1f, 0.9f, 0.2f, 0.3f, 0.7f, 0.6f};
  std::vector<float> masked = ref;
  for (std::size_t s = 0; s < 3; ++s) masked[2 * s] += 0.8f;
  const sensitivity_entry expected = detail::compare_logits(ref, masked, 3, 2);
  CHECK(t.layers[1][1].bits == precision{4, 8});
  CHECK(t.layers[1][1].kl == Approx(expected.kl));
  CHECK(t.layers[1][1].flips == Approx(expected.flips));
  CHECK(t.value(1, 1) == Approx(expected.kl));
  CHECK(t.layers[0][2].mse > t.layers[0][1].mse);  // w2a2 moves the output more than w4a8
  CHECK(e.layer_precision(2) == precision{4, 4});
  CHECK(e.layer_precision(0) == precision{8, 8});
  CHECK_THROWS_WITH(measure_sensitivity(e, x, 0, o), Catch::Contains("no samples"));
}

TEST_CASE("allocation_problem: the tables' options in common, solved and read back", "[profile]") {
  latency_table lat;
  lat.layers = {{"a", {{{8, 8}, 10, 9, 11, {100, 1000, 0}}, {{4, 8}, 6, 5, 7, {50, 500, 0}}}},
                {"b", {{{8, 8}, 20, 19, 21, {200, 2000, 0}}, {{4, 8}, 12, 11, 13, {100, 1000, 0}}}}};
  lat.precisions = {{8, 8}, {4, 8}};
  lat.other_us = {3, 3};
  lat.end_to_end_us = {33, 21};
  sensitivity_table sens;
  sens.names = {"a", "b"};
  sens.layers = {{{{8, 8}, 0.0, 0, 0, 0}, {{4, 8}, 0.2, 0, 0, 0}}, {{{8, 8}, 0.0, 0, 0, 0}, {{4, 8}, 0.05, 0, 0, 0}}};
  const alloc::problem p = allocation_problem(lat, sens, {.latency_us = 25.0});
  REQUIRE(p.layers.size() == 2);
  CHECK(p.cost_names == allocation_costs);
  CHECK(p.layers[1].options[1].costs == std::vector<double>{12, 100, 1000});
  CHECK(p.layers[0].options[1].sensitivity == 0.2);
  // 25 us: one layer must go to 4 bits; b costs less sensitivity for it.
  const alloc::plan plan = alloc::solve(p);
  REQUIRE(plan.optimal());
  CHECK(plan_precisions(p, plan) == std::vector<precision>{{8, 8}, {4, 8}});
  CHECK(uniform_totals(p, {4, 8}) == std::vector<double>{18, 150, 1500});
  sens.layers[1].pop_back();
  CHECK(allocation_problem(lat, sens).layers[1].options.size() == 1);
  sens.layers.pop_back();
  CHECK_THROWS_WITH(allocation_problem(lat, sens), Catch::Contains("the latency table has 2 layers and the sensitivity table 1"));
}

TEST_CASE("spearman: rank correlation by its definition, ties at their average rank", "[sensitivity]") {
  const std::vector<double> x = {1, 2, 3, 4, 5};
  CHECK(spearman(x, std::vector<double>{10, 20, 30, 40, 50}) == Approx(1.0));
  CHECK(spearman(x, std::vector<double>{5, 4, 3, 2, 1}) == Approx(-1.0));
  // Monotone but not linear: still 1.
  CHECK(spearman(x, std::vector<double>{1, 8, 27, 64, 1000}) == Approx(1.0));
  // No ties: 1 - 6 sum d^2 / (n (n^2 - 1)); ranks of y are 2 1 4 3 5, d^2 sums to 4.
  CHECK(spearman(x, std::vector<double>{0.2, 0.1, 0.4, 0.3, 0.5}) == Approx(1.0 - 6.0 * 4 / (5 * 24)));
  // Ties: y ranks 1.5 1.5 3 4 5; Pearson of the ranks by hand (sxy = 9.5, sxx = 10, syy = 9.5).
  CHECK(spearman(x, std::vector<double>{7, 7, 8, 9, 10}) == Approx(9.5 / std::sqrt(10.0 * 9.5)));
  CHECK(spearman(x, std::vector<double>{3, 3, 3, 3, 3}) == 0.0);
  CHECK_THROWS_WITH(spearman(x, std::vector<double>{1, 2}), Catch::Contains("5 and 2 values"));
}
