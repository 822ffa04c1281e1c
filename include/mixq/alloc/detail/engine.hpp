#pragma once
// The exact search over classes of layers: a multiple-choice knapsack with
// one capacity row per budget. The engine drives its parts:
//
//   open_problem.hpp      presolve: the open classes and their reduction
//   dual_simplex.hpp      the LP bound of a node (a dual simplex over the budget rows)
//   incumbent.hpp         the best plan so far; the repair-and-improve heuristic
//   branch_and_bound.hpp  the best-first tree search
//
// At the root it reduces the problem, bounds it by its LP, turns the LP
// point into a first plan, and fixes options by reduced cost against that
// plan, in rounds, each followed by the reductions it enables; then the
// tree search takes over from the last root basis.
//
// All of it is constexpr: one implementation for run time and compile time.

#include <vector>

#include <mixq/alloc/detail/branch_and_bound.hpp>
#include <mixq/alloc/detail/model.hpp>
#include <mixq/alloc/detail/open_problem.hpp>
#include <mixq/alloc/plan.hpp>

namespace mixq::alloc::detail {

class engine {
public:
  constexpr engine(const flat_problem& f, const class_table& ct, const search_spec& spec, const solve_options& opt,
                   const stopwatch& clock)
      : s_(f, ct, spec, opt, clock) {}

  constexpr search_result run() {
    search_result r = solve_root() ? branch_and_bound(s_).run() : s_.finish_exhausted();
    r.nodes = s_.nodes;
    if (s_.best.found) {
      r.found = true;
      r.choice = s_.best.choice;
      r.objective = s_.best.objective;
    }
    return r;
  }

private:
  search_context s_;

  /// The root rounds. Returns whether a tree search is needed; false when
  /// the root settled the problem (solved, infeasible, or pruned).
  constexpr bool solve_root() {
    open_problem& model = s_.model;
    dual_simplex& lp = s_.lp;
    if (!model.reduce()) return false;
    std::vector<index> keys, extras, a, fractional;
    bool carried = false;
    for (int round = 0;; ++round) {
      if (model.classes == 0) {
        s_.best.offer(s_.flat, *model.table, s_.spec, model.decided);
        return false;
      }
      lp.prepare(model);
      if (!(carried && lp.load_basis(keys, extras))) lp.crash();
      lp.refactor();
      const std::vector<unsigned char> none(lp.options(), 0);
      const double bound = lp.solve(none, lp.root_pivot_limit(), infinity, s_.ceiling());
      if (bound == infinity) return false;
      if (lp.lp_point(a, fractional)) {
        s_.offer_open(a);
      } else {
        s_.try_heuristic(a);
      }
      // Later rounds bound only what fixing left: a bound on those plans alone.
      if (round == 0) s_.root_bound = bound;
      if (s_.prunes(bound)) {
        s_.note_pruned(bound);
        return false;
      }
      s_.root_lp = bound;
      if (!s_.best.found || round == 3) break;
      // Reduced-cost fixing against the incumbent, then the reductions it enables.
      std::vector<unsigned char> banned(lp.options(), 0);
      if (!s_.fix_by_reduced_cost(bound, banned, nullptr)) break;
      lp.save_basis(keys, extras);
      carried = true;
      std::vector<unsigned char> keep(lp.options(), 1), rows(model.rows, 1);
      for (index o = 0; o < lp.options(); ++o) keep[o] = banned[o] ? 0 : 1;
      bool changed = false;
      if (!model.rebuild(keep, rows, changed) || !model.reduce()) return false;
    }
    return true;
  }
};

}  // namespace mixq::alloc::detail
