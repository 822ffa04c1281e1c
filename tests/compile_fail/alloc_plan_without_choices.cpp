// EXPECT-ERROR: the plan has no choices
// Per-layer types come from a plan's choices; an infeasible plan has none.
#include <mixq/alloc/alloc.hpp>
#include <mixq/alloc/plan_types.hpp>

namespace alloc = mixq::alloc;

constexpr alloc::static_problem<2, 2, 1> problem{
    .cost_names = {"latency"},
#ifdef MIXQ_COMPILE_FAIL
    .budgets = {2.0},  // the least latency is 2 + 1
#else
    .budgets = {10.0},
#endif
    .layers = {{
        {.name = "a", .options = {{{8, 8, 0.0, {4.0}}, {4, 8, 1.0, {2.0}}}}},
        {.name = "b", .options = {{{8, 8, 0.0, {3.0}}, {4, 8, 1.0, {1.0}}}}},
    }},
};
constexpr auto solved = alloc::solve(problem);

template <alloc::LayerChoice Layer>
struct weights {
  static constexpr int bits = Layer::w_bits;
};
using network = alloc::layer_tuple_t<solved, weights>;
static_assert(sizeof(network) > 0);
