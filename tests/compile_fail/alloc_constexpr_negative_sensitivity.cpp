// EXPECT-ERROR: sensitivity_must_be_finite_and_non_negative
// A problem that breaks a rule fails the constant evaluation, and the
// compiler's message names the rule.
#include <mixq/alloc/alloc.hpp>

namespace alloc = mixq::alloc;

constexpr alloc::static_problem<2, 2, 1> problem{
    .cost_names = {"latency"},
    .budgets = {10.0},
    .layers = {{
        {.name = "a", .options = {{{8, 8, 0.0, {4.0}}, {4, 8, 1.0, {2.0}}}}},
#ifdef MIXQ_COMPILE_FAIL
        {.name = "b", .options = {{{8, 8, 0.0, {3.0}}, {4, 8, -1.0, {1.0}}}}},
#else
        {.name = "b", .options = {{{8, 8, 0.0, {3.0}}, {4, 8, 1.0, {1.0}}}}},
#endif
    }},
};
constexpr auto solved = alloc::solve(problem);
static_assert(solved.has_choices);
