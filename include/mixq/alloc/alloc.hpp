#pragma once
// The bit-width allocator: problem, plan, solve, free_bits, pareto.
// Depends on nothing in mixq but config.hpp and core/. The Boost.Hana mapping of
// compile-time plans to types is opt-in: <mixq/alloc/plan_types.hpp>.

#include <mixq/alloc/plan.hpp>
#include <mixq/alloc/problem.hpp>
#include <mixq/alloc/solve.hpp>
