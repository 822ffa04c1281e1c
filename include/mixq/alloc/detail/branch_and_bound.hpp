#pragma once
// The search itself: best-first branch and bound over the open classes. A
// node splits one class between the two options its LP mixes most: one
// child keeps the lighter options, the other the heavier. Strong branching
// picks the class whose children's bound gains have the largest product
// (without a mixed class: the class of largest regret). The open node of
// least bound goes next; past a cap on open nodes, new ones are explored
// depth-first, so memory stays bounded. Each node fixes by reduced cost
// against the incumbent for its subtree. The search stops when no open
// node's bound is below the incumbent.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <mixq/alloc/detail/dual_simplex.hpp>
#include <mixq/alloc/detail/incumbent.hpp>
#include <mixq/alloc/detail/model.hpp>
#include <mixq/alloc/detail/open_problem.hpp>
#include <mixq/alloc/plan.hpp>
#include <mixq/alloc/problem.hpp>

namespace mixq::alloc::detail {

struct search_result {
  alloc::status status = alloc::status::infeasible;
  bool found = false;
  std::vector<index> choice;  ///< merged option per class, when found
  double objective = 0.0;     ///< layer-order total of the objective
  double bound = infinity;    ///< proven lower bound (infinity when infeasible)
  std::uint64_t nodes = 0;
};

/// Wall time that reads the clock only at run time.
class stopwatch {
public:
  constexpr stopwatch() {
    if (!std::is_constant_evaluated()) start_ = now();
  }
  constexpr double seconds() const {
    if (std::is_constant_evaluated()) return 0.0;
    return now() - start_;
  }

private:
  static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  double start_ = 0.0;
};

/// What the root and the tree share: the open problem, its LP, the
/// incumbent, and what has been proven so far.
struct search_context {
  const flat_problem& flat;
  const search_spec& spec;
  solve_options options;
  const stopwatch& clock;
  open_problem model;
  dual_simplex lp{};
  incumbent best{};
  double root_bound = -infinity;  ///< the first root LP's bound: valid for every plan
  double root_lp = -infinity;     ///< the last root LP's bound: the tree's root node
  double pruned_min = infinity;   ///< least bound of anything pruned against the incumbent
  std::uint64_t nodes = 0;

  constexpr search_context(const flat_problem& f, const class_table& ct, const search_spec& s, const solve_options& o,
                           const stopwatch& c)
      : flat(f), spec(s), options(o), clock(c), model(f, ct, s) {}

  constexpr double tol() const noexcept {
    return options.relative_tolerance * abs(best.objective) + 1e-12 * model.objective_scale;
  }
  /// The incumbent's objective, -infinity without one.
  constexpr double ceiling() const noexcept { return best.found ? best.objective : -infinity; }
  constexpr bool prunes(double bound) const noexcept { return best.found && bound >= best.objective - tol(); }
  constexpr void note_pruned(double bound) noexcept { pruned_min = std::min(pruned_min, bound); }

  constexpr bool offer_open(const std::vector<index>& a) { return best.offer_open(flat, spec, model, a); }
  constexpr void try_heuristic(std::vector<index> a) {
    if (repair_and_improve(model, a)) offer_open(a);
  }

  /// Bans what cannot be in a plan better than the incumbent by more than
  /// the tolerance: options whose reduced cost lifts `lagrangian` (the bound
  /// at the LP's prices) that far. Appends them to `log` when given.
  constexpr bool fix_by_reduced_cost(double lagrangian, std::vector<unsigned char>& banned, std::vector<index>* log) {
    if (!best.found) return false;
    bool any = false;
    for (index c = 0; c < model.classes; ++c) {
      double least = infinity;
      for (index o = model.option_first[c]; o < model.option_first[c + 1]; ++o) {
        if (!banned[o]) least = std::min(least, lp.reduced(o));
      }
      for (index o = model.option_first[c]; o < model.option_first[c + 1]; ++o) {
        if (banned[o] || lp.is_basic(o)) continue;
        const double b = lagrangian + (lp.reduced(o) - least);
        if (prunes(b)) {
          banned[o] = 1;
          if (log) log->push_back(o);
          any = true;
          note_pruned(b);
        }
      }
    }
    return any;
  }

  /// The result once nothing is left to search.
  constexpr search_result finish_exhausted() const {
    search_result r;
    if (!best.found) return r;
    r.status = alloc::status::optimal;
    r.bound = std::min(best.objective, std::max(root_bound, pruned_min));
    return r;
  }
};

/// The tree search from the root LP's basis (the context's LP as the root left it).
class branch_and_bound {
public:
  constexpr explicit branch_and_bound(search_context& s) : s_(s) {}

  constexpr search_result run() {
    std::vector<unsigned char> banned(s_.lp.options(), 0);
    std::vector<index> applied, log, a, fractional, pairs, fixed;
    std::vector<index> sides[2], best_sides[2];
    dual_simplex::basis_state parent;
    search_tree t;
    const index basis_size = s_.model.classes + s_.model.rows;
    // Past this many open nodes, new ones are explored depth-first, which
    // keeps memory bounded; the tree is collected as it grows.
    const index open_cap = std::max<index>(256, (index{1} << 18) / (basis_size + 8));
    index collect_at = index{1} << 14;
    const auto after = [&](index x, index y) {
      return t.nodes[x].bound > t.nodes[y].bound || (t.nodes[x].bound == t.nodes[y].bound && x < y);
    };
    auto ban = [&](const index* first, const index* last, std::vector<index>& into) {
      for (; first != last; ++first) {
        if (!banned[*first]) banned[*first] = 1, into.push_back(*first);
      }
    };

    t.bases.insert(t.bases.end(), s_.lp.keys().begin(), s_.lp.keys().end());
    t.bases.insert(t.bases.end(), s_.lp.extras().begin(), s_.lp.extras().end());
    t.nodes.push_back(tree_node{no_option, 0, 0, s_.root_lp, 0});
    t.heap.push_back(0);
    bool stopped = false;
    while (!t.heap.empty() || !t.stack.empty()) {
      if (t.nodes.size() >= collect_at) {
        collect(t, basis_size);
        collect_at = std::max(index{1} << 14, 2 * t.nodes.size());
      }
      // Best first: the open node of least bound, unless a depth-first
      // exploration is under way.
      const bool deep = !t.stack.empty();
      index x = 0;
      if (deep) {
        x = t.stack.back();
        t.stack.pop_back();
      } else {
        std::pop_heap(t.heap.begin(), t.heap.end(), after);
        x = t.heap.back();
        t.heap.pop_back();
      }
      const tree_node node = t.nodes[x];
      if (s_.prunes(node.bound)) {
        s_.note_pruned(node.bound);
        if (!deep) t.heap.clear();  // no open node bounds lower
        continue;
      }
      if (s_.nodes >= s_.options.node_limit ||
          ((s_.nodes & 15u) == 0 && s_.options.time_limit_seconds < infinity && s_.clock.seconds() > s_.options.time_limit_seconds)) {
        t.heap.push_back(x);  // still open: it counts in the bound
        stopped = true;
        break;
      }
      ++s_.nodes;
      // The node's bans: every segment on its path to the root.
      for (const index o : applied) banned[o] = 0;
      applied.clear();
      for (index v = x; v != no_option; v = t.nodes[v].parent) {
        ban(t.pool.data() + t.nodes[v].first, t.pool.data() + t.nodes[v].last, applied);
      }
      // Its parent's basis, unless that is the current one.
      const auto keys = t.bases.begin() + static_cast<std::ptrdiff_t>(node.basis);
      const auto exts = keys + static_cast<std::ptrdiff_t>(s_.model.classes);
      if (!s_.lp.holds(keys, exts)) s_.lp.load(keys, exts);
      const double enough = s_.best.found ? s_.best.objective - s_.tol() : infinity;
      const double lagrangian = s_.lp.solve(banned, s_.lp.node_pivot_limit(), enough, s_.ceiling());
      if (lagrangian == infinity) continue;
      const double bound = std::max(lagrangian, node.bound);
      if (s_.prunes(bound)) {
        s_.note_pruned(bound);
        continue;
      }
      const bool integral = s_.lp.lp_point(a, fractional);
      if (s_.lp.optimal() && integral) {
        // The LP point is a plan: offered, it closes the node when it matches the bound.
        s_.offer_open(a);
        if (s_.prunes(bound)) {
          s_.note_pruned(bound);
          continue;
        }
      } else if (s_.nodes % 4 == 1 || !s_.best.found) {
        s_.try_heuristic(a);
      }
      // Reduced-cost fixing for the subtree: from the Lagrangian value at
      // the prices the reduced costs belong to, not the (maybe higher) bound.
      fixed.clear();
      s_.fix_by_reduced_cost(lagrangian, banned, &fixed);
      applied.insert(applied.end(), fixed.begin(), fixed.end());

      // Strong branching over the classes the LP mixes: the split whose
      // children's gains have the largest product (their bounds come with it).
      double best_score = -infinity, best_other = -infinity, bounds[2] = {0.0, 0.0};
      bool any = false;
      s_.lp.save(parent);
      auto consider = [&](index c, index oa, index ob) {
        if (oa == ob || !s_.lp.split_class(banned, c, oa, ob, sides[0], sides[1])) return;
        double v[2];
        for (int side = 0; side < 2; ++side) {
          log.clear();
          ban(sides[side].data(), sides[side].data() + sides[side].size(), log);
          v[side] = std::max(s_.lp.solve(banned, dual_simplex::probe_pivot_limit, enough, s_.ceiling()), bound);
          for (const index o : log) banned[o] = 0;
          s_.lp.restore(parent);
        }
        // A tiny floor for a child that gains nothing keeps the other's gain in the score.
        const double floor = 1e-9 * (abs(bound) + 1e-12);
        const double score = std::max(v[0] - bound, floor) * std::max(v[1] - bound, floor);
        const double hi = std::max(v[0], v[1]);
        if (!any || score > best_score || (score == best_score && hi > best_other)) {
          any = true;
          best_score = score, best_other = hi;
          bounds[0] = v[0], bounds[1] = v[1];
          best_sides[0] = sides[0];
          best_sides[1] = sides[1];
        }
      };
      // A constant evaluation probes fewer candidates: each costs compile time.
      index most = fractional.size();
      if (std::is_constant_evaluated()) most = std::min<index>(most, 1);
      pairs.clear();
      for (index i = 0; i < most; ++i) {
        index oa = 0, ob = 0;
        s_.lp.mixed_pair(fractional[i], oa, ob);
        pairs.push_back(oa), pairs.push_back(ob);
      }
      for (index i = 0; i < most; ++i) consider(fractional[i], pairs[2 * i], pairs[2 * i + 1]);
      if (!any) {
        // No mixed class: the class of largest regret, between its two best options.
        double top = -1.0;
        index bc = s_.model.classes, o1 = 0, o2 = 0;
        for (index c = 0; c < s_.model.classes; ++c) {
          double r1 = infinity, r2 = infinity;
          index b1 = 0, b2 = 0;
          for (index o = s_.model.option_first[c]; o < s_.model.option_first[c + 1]; ++o) {
            if (banned[o]) continue;
            if (s_.lp.reduced(o) < r1) {
              r2 = r1, b2 = b1, r1 = s_.lp.reduced(o), b1 = o;
            } else if (s_.lp.reduced(o) < r2) {
              r2 = s_.lp.reduced(o), b2 = o;
            }
          }
          if (r2 < infinity && r2 - r1 > top) top = r2 - r1, bc = c, o1 = b1, o2 = b2;
        }
        if (bc == s_.model.classes) continue;  // every class decided: the LP point was the plan
        consider(bc, o1, o2);
        if (!any) continue;
      }
      // The children start from this node's basis. Depth-first (the child of
      // lower bound on top) once under way or when the heap is full.
      const index basis = t.bases.size();
      t.bases.insert(t.bases.end(), s_.lp.keys().begin(), s_.lp.keys().end());
      t.bases.insert(t.bases.end(), s_.lp.extras().begin(), s_.lp.extras().end());
      const bool below = deep || t.heap.size() >= open_cap;
      // What fixing banned, both children's: kept once, in a node of its own between them and this one.
      index up = x;
      if (!fixed.empty()) {
        t.pool.insert(t.pool.end(), fixed.begin(), fixed.end());
        t.nodes.push_back(tree_node{x, t.pool.size() - fixed.size(), t.pool.size(), bound, basis});
        up = t.nodes.size() - 1;
      }
      const int second = bounds[0] <= bounds[1] ? 0 : 1;
      for (const int side : {1 - second, second}) {
        if (bounds[side] == infinity) continue;
        if (s_.prunes(bounds[side])) {
          s_.note_pruned(bounds[side]);
          continue;
        }
        const index first = t.pool.size();
        t.pool.insert(t.pool.end(), best_sides[side].begin(), best_sides[side].end());
        t.nodes.push_back(tree_node{up, first, t.pool.size(), bounds[side], basis});
        if (below) {
          t.stack.push_back(t.nodes.size() - 1);
        } else {
          t.heap.push_back(t.nodes.size() - 1);
          std::push_heap(t.heap.begin(), t.heap.end(), after);
        }
      }
    }
    if (!stopped) return s_.finish_exhausted();
    search_result r;
    r.status = alloc::status::limit;
    double lb = std::min(s_.best.objective, s_.pruned_min);
    for (const index q : t.heap) lb = std::min(lb, t.nodes[q].bound);
    for (const index q : t.stack) lb = std::min(lb, t.nodes[q].bound);
    r.bound = std::min(s_.best.objective, std::max(s_.root_bound, lb));
    return r;
  }

private:
  /// A node of the search tree: what it bans on top of its parent
  /// (pool[first, last)), its bound, and where the basis it starts from
  /// (its parent's last) is kept.
  struct tree_node {
    index parent;
    index first, last;
    double bound;
    index basis;
  };

  /// The search's storage: the tree, the bans of its nodes, the bases the
  /// open nodes start from, and the open nodes (a heap by bound, and a
  /// stack for those explored depth-first).
  struct search_tree {
    std::vector<tree_node> nodes;
    std::vector<index> pool, bases, heap, stack;
  };

  /// Keeps only the open nodes and their ancestors (whose bans they need).
  constexpr void collect(search_tree& t, index basis_size) const {
    const index count = t.nodes.size();
    std::vector<index> renumber(count, no_option);
    for (const std::vector<index>* list : {&t.heap, &t.stack}) {
      for (index v : *list) {
        while (v != no_option && renumber[v] == no_option) renumber[v] = 0, v = t.nodes[v].parent;
      }
    }
    search_tree out;
    std::vector<index> moved(t.bases.size() / std::max<index>(basis_size, 1) + 1, no_option);
    std::vector<unsigned char> open(count, 0);
    for (const index v : t.heap) open[v] = 1;
    for (const index v : t.stack) open[v] = 1;
    for (index v = 0; v < count; ++v) {  // parents come before their children
      if (renumber[v] == no_option) continue;
      tree_node node = t.nodes[v];
      renumber[v] = out.nodes.size();
      if (node.parent != no_option) node.parent = renumber[node.parent];
      const index first = out.pool.size();
      out.pool.insert(out.pool.end(), t.pool.begin() + static_cast<std::ptrdiff_t>(node.first),
                      t.pool.begin() + static_cast<std::ptrdiff_t>(node.last));
      node.first = first, node.last = out.pool.size();
      if (open[v]) {
        index& to = moved[node.basis / basis_size];
        if (to == no_option) {
          to = out.bases.size();
          out.bases.insert(out.bases.end(), t.bases.begin() + static_cast<std::ptrdiff_t>(node.basis),
                           t.bases.begin() + static_cast<std::ptrdiff_t>(node.basis + basis_size));
        }
        node.basis = to;
      }
      out.nodes.push_back(node);
    }
    // Renumbering keeps the order of nodes, so the heap stays a heap.
    for (index& v : t.heap) v = renumber[v];
    for (index& v : t.stack) v = renumber[v];
    t.nodes = std::move(out.nodes);
    t.pool = std::move(out.pool);
    t.bases = std::move(out.bases);
  }

  search_context& s_;
};

}  // namespace mixq::alloc::detail
