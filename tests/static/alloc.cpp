// The allocator in constant expressions: plans checked by hand, against an
// enumeration done by the compiler, a 20 layers x 4 options x 2 budgets
// problem, and the Boost.Hana mapping of a plan to per-layer types.
// Built with a raised constant-evaluation budget (tests/CMakeLists.txt).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include <boost/hana/equal.hpp>
#include <boost/hana/size.hpp>
#include <boost/hana/tuple.hpp>

#include <mixq/alloc/alloc.hpp>
#include <mixq/alloc/plan_types.hpp>

namespace {

namespace alloc = mixq::alloc;
namespace hana = boost::hana;

// --- three layers, one budget: checked by hand --------------------------------
// Budget 10 on latency; 8-bit everywhere costs 12. Cheapest fix: b to 4 bits (1.0).
constexpr alloc::static_problem<3, 2, 1> three{
    .cost_names = {"latency"},
    .budgets = {10.0},
    .layers = {{
        {.name = "a", .options = {{{8, 8, 0.0, {5.0}}, {4, 8, 3.0, {2.0}}}}},
        {.name = "b", .options = {{{8, 8, 0.0, {4.0}}, {4, 8, 1.0, {2.0}}}}},
        {.name = "c", .options = {{{8, 8, 0.0, {3.0}}, {4, 8, 2.0, {1.0}}}}},
    }},
};
constexpr auto three_plan = alloc::solve(three);
static_assert(three_plan.optimal());
static_assert(three_plan.objective == 1.0);
static_assert(three_plan.choices[0] == alloc::choice{0, 8, 8});
static_assert(three_plan.choices[1] == alloc::choice{1, 4, 8});
static_assert(three_plan.choices[2] == alloc::choice{0, 8, 8});
static_assert(three_plan.totals[0] == 10.0);
static_assert(three_plan.bound <= three_plan.objective);

// A tighter budget, 7: b and c at 4 bits would need 5 + 2 + 1 = 8; a and b fit
// (2 + 2 + 3) for 4.0, a and c too (2 + 4 + 1) but for 5.0.
constexpr auto tighter = [] {
  auto p = three;
  p.budgets = {7.0};
  return p;
}();
static_assert(alloc::solve(tighter).objective == 4.0);
static_assert(alloc::solve(tighter).choices[0].w_bits == 4 && alloc::solve(tighter).choices[2].w_bits == 8);

// --- infeasible: the least latency is 2 + 2 + 1 -------------------------------
constexpr auto too_tight = [] {
  auto p = three;
  p.budgets = {4.5};
  return p;
}();
constexpr auto none = alloc::solve(too_tight);
static_assert(none.infeasible() && !none.has_choices);
static_assert(none.minimum_totals[0] == 5.0);

// --- ties and pins --------------------------------------------------------------
// a and c are tied, b is pinned to 8 bits: with budget 9 only a and c together
// at 4 bits fit (2 + 4 + 1 = 7), for 5.0; at 8 bits they need 12.
constexpr auto tied = [] {
  auto p = three;
  p.budgets = {9.0};
  p.layers[1].pin = alloc::precision{8, 8};
  p.ties[0] = {"a", "c"};
  return p;
}();
constexpr auto tied_plan = alloc::solve(tied);
static_assert(tied_plan.optimal() && tied_plan.objective == 5.0);
static_assert(tied_plan.choices[0].w_bits == 4 && tied_plan.choices[1].w_bits == 8 && tied_plan.choices[2].w_bits == 4);

// --- Free Bits at compile time ---------------------------------------------------
// From all-4-bit (latency 5, budget 10) the largest fall in sensitivity first:
// a to 8 bits (3.0, latency 8); then c fits (2.0, latency 10); b no longer does.
constexpr auto raised = alloc::free_bits(three, std::array<std::size_t, 3>{1, 1, 1});
static_assert(raised[0] == 0 && raised[1] == 1 && raised[2] == 0);

// --- generated problems, checked by the compiler's own enumeration ------------
struct lcg {
  std::uint32_t state;
  constexpr double unit() {
    state = state * 1664525u + 1013904223u;
    return static_cast<double>(state >> 8) / 16777216.0;
  }
};

constexpr std::string_view names[20] = {"l0",  "l1",  "l2",  "l3",  "l4",  "l5",  "l6",  "l7",  "l8",  "l9",
                                        "l10", "l11", "l12", "l13", "l14", "l15", "l16", "l17", "l18", "l19"};

// L layers, options at 8, 6, 4 and 2 bits: latency and bytes fall and
// sensitivity rises with fewer bits, with noise; budgets 40% of the way up.
template <std::size_t L>
constexpr alloc::static_problem<L, 4, 2> generated(std::uint32_t seed) {
  alloc::static_problem<L, 4, 2> p{};
  p.cost_names = {"latency_us", "size_bytes"};
  lcg g{seed};
  constexpr int bits[4] = {8, 6, 4, 2};
  double lo[2] = {0.0, 0.0}, hi[2] = {0.0, 0.0};
  for (std::size_t l = 0; l < L; ++l) {
    p.layers[l].name = names[l];
    const double scale = 0.5 + 4.0 * g.unit(), params = 1000.0 + 50000.0 * g.unit();
    for (std::size_t j = 0; j < 4; ++j) {
      double s = scale * 1e-4;
      for (int b = bits[j]; b < 8; ++b) s *= 4.0;
      p.layers[l].options[j] = {bits[j], 8, s * (0.9 + 0.2 * g.unit()),
                                {scale * (10.0 + bits[j]) * (0.95 + 0.1 * g.unit()), params * bits[j] / 8.0}};
    }
    for (std::size_t k = 0; k < 2; ++k) {
      lo[k] += p.layers[l].options[3].costs[k] < p.layers[l].options[2].costs[k] ? p.layers[l].options[3].costs[k]
                                                                                  : p.layers[l].options[2].costs[k];
      hi[k] += p.layers[l].options[0].costs[k] > p.layers[l].options[1].costs[k] ? p.layers[l].options[0].costs[k]
                                                                                  : p.layers[l].options[1].costs[k];
    }
  }
  for (std::size_t k = 0; k < 2; ++k) p.budgets[k] = lo[k] + 0.4 * (hi[k] - lo[k]);
  return p;
}

// Least objective over all 4^L plans, summed in layer order like solve().
template <std::size_t L>
constexpr double enumerate(const alloc::static_problem<L, 4, 2>& p) {
  double best = 1e300;
  std::size_t x[L] = {};
  for (;;) {
    double s = 0.0, c0 = 0.0, c1 = 0.0;
    for (std::size_t l = 0; l < L; ++l) {
      s += p.layers[l].options[x[l]].sensitivity;
      c0 += p.layers[l].options[x[l]].costs[0];
      c1 += p.layers[l].options[x[l]].costs[1];
    }
    if (c0 <= p.budgets[0] && c1 <= p.budgets[1] && s < best) best = s;
    std::size_t l = 0;
    while (l < L && ++x[l] == 4) x[l++] = 0;
    if (l == L) return best;
  }
}

// Recomputes a plan's totals and objective from the problem: all as claimed?
template <std::size_t L, std::size_t C>
constexpr bool holds(const alloc::static_problem<L, 4, C>& p, const alloc::static_plan<L, C>& plan) {
  double s = 0.0;
  for (std::size_t l = 0; l < L; ++l) s += p.layers[l].options[plan.choices[l].option].sensitivity;
  if (s != plan.objective) return false;
  for (std::size_t k = 0; k < C; ++k) {
    double t = 0.0;
    for (std::size_t l = 0; l < L; ++l) t += p.layers[l].options[plan.choices[l].option].costs[k];
    if (t != plan.totals[k] || !(t <= p.budgets[k])) return false;
  }
  return true;
}

constexpr auto six = generated<6>(11);
constexpr auto six_plan = alloc::solve(six);
static_assert(six_plan.optimal() && holds(six, six_plan));
static_assert(six_plan.objective == enumerate(six));

// The size the issue asks to solve while compiling: 20 layers x 4 options x 2 budgets.
constexpr auto twenty = generated<20>(5);
constexpr auto twenty_plan = alloc::solve(twenty);
static_assert(twenty_plan.optimal());
static_assert(holds(twenty, twenty_plan));
static_assert(twenty_plan.bound <= twenty_plan.objective);

// --- the plan as types (Boost.Hana) --------------------------------------------
template <alloc::LayerChoice Layer>
struct weights {
  static constexpr int bits = Layer::w_bits;
};
using three_types = alloc::layer_tuple_t<three_plan, weights>;
static_assert(std::is_same_v<three_types, hana::tuple<weights<alloc::layer_choice<three_plan, 0>>,
                                                      weights<alloc::layer_choice<three_plan, 1>>,
                                                      weights<alloc::layer_choice<three_plan, 2>>>>);
static_assert(alloc::layer_count_v<three_plan> == 3);
static_assert(alloc::layer_choice<three_plan, 1>::w_bits == 4 && alloc::layer_choice<three_plan, 1>::option == 1);
static_assert(hana::size(alloc::layer_types<twenty_plan, weights>) == hana::size_c<20>);
static_assert(alloc::LayerChoice<alloc::layer_choice<tied_plan, 2>>);
static_assert(!alloc::LayerChoice<int>);

}  // namespace
