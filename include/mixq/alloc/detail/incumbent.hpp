#pragma once
// Incumbents of the search: the best plan found so far, and the heuristic
// that turns an LP point into a plan (a greedy that repairs it into the
// budgets, then spends what is left by gain per unit of capacity).

#include <algorithm>
#include <vector>

#include <mixq/alloc/detail/model.hpp>
#include <mixq/alloc/detail/open_problem.hpp>

namespace mixq::alloc::detail {

/// The best plan found so far.
struct incumbent {
  bool found = false;
  double objective = infinity;  ///< layer-order total of the objective
  std::vector<index> choice;    ///< merged option per class

  /// Offers a plan (merged option per class); keeps it when it meets every
  /// limit in layer order and beats the incumbent.
  constexpr bool offer(const flat_problem& f, const class_table& ct, const search_spec& spec,
                       const std::vector<index>& plan) {
    const std::vector<index> layers = layer_options(ct, plan);
    for (index r = 0; r < spec.sources.size(); ++r) {
      if (!(layer_total(f, layers, spec.sources[r]) <= spec.limits[r])) return false;
    }
    const double total = layer_total(f, layers, spec.objective);
    if (found && !(total < objective)) return false;
    found = true;
    objective = total;
    choice = plan;
    return true;
  }

  /// Offers an assignment of p's open classes (open option per open class),
  /// the decided classes taking their options.
  constexpr bool offer_open(const flat_problem& f, const search_spec& spec, const open_problem& p,
                            const std::vector<index>& a) {
    std::vector<index> plan = p.decided;
    for (index c = 0; c < p.classes; ++c) plan[p.class_id[c]] = p.merged_option[a[c]];
    return offer(f, *p.table, spec, plan);
  }
};

/// How far totals `t` (objective, then one per row) overrun p's rows, each
/// in units of its norm.
constexpr double violation(const open_problem& p, const std::vector<double>& t) noexcept {
  double s = 0.0;
  for (index r = 0; r < p.rows; ++r) {
    const double over = t[r + 1] - p.capacity[r] - p.slack[r];
    if (over > 0.0) s += over / p.norm[r];
  }
  return s;
}

/// Greedy repair (least objective per unit of violation removed) then
/// improvement (most objective gained per unit of capacity spent) of an
/// assignment `a` of p's open classes. Returns whether it ends feasible.
constexpr bool repair_and_improve(const open_problem& p, std::vector<index>& a) {
  std::vector<double> t(p.rows + 1, 0.0), u(p.rows + 1, 0.0);
  for (index c = 0; c < p.classes; ++c) {
    for (index r = 0; r <= p.rows; ++r) t[r] += p.value(a[c], r);
  }
  const index max_moves = 4 * p.option_first[p.classes] + 16;
  for (index step = 0; step < max_moves; ++step) {
    const double now = violation(p, t);
    if (now <= 0.0) break;
    double best = infinity;
    index bc = p.classes, bo = 0;
    for (index c = 0; c < p.classes; ++c) {
      for (index o = p.option_first[c]; o < p.option_first[c + 1]; ++o) {
        if (o == a[c]) continue;
        for (index r = 0; r <= p.rows; ++r) u[r] = t[r] + p.value(o, r) - p.value(a[c], r);
        const double removed = now - violation(p, u);
        if (removed <= 0.0) continue;
        const double score = (u[0] - t[0]) / removed;
        if (score < best) best = score, bc = c, bo = o;
      }
    }
    if (bc == p.classes) return false;
    for (index r = 0; r <= p.rows; ++r) t[r] += p.value(bo, r) - p.value(a[bc], r);
    a[bc] = bo;
  }
  if (violation(p, t) > 0.0) return false;
  // Improvement in passes: every improving move by gain per unit of
  // capacity spent, best first, each taken while it still fits.
  std::vector<index> move_class, move_to, order;
  std::vector<double> ratio;
  for (index pass = 0; pass < 8; ++pass) {
    move_class.clear();
    move_to.clear();
    ratio.clear();
    for (index c = 0; c < p.classes; ++c) {
      for (index o = p.option_first[c]; o < p.option_first[c + 1]; ++o) {
        const double gain = p.value(a[c], 0) - p.value(o, 0);
        if (gain <= 0.0) continue;
        double spent = 1e-300;
        for (index r = 0; r < p.rows; ++r) spent += std::max(0.0, p.value(o, r + 1) - p.value(a[c], r + 1)) / p.norm[r];
        move_class.push_back(c);
        move_to.push_back(o);
        ratio.push_back(gain / spent);
      }
    }
    order.resize(ratio.size(), {});
    for (index i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](index x, index y) {
      if (ratio[x] != ratio[y]) return ratio[x] > ratio[y];
      return x < y;
    });
    bool moved = false;
    for (const index i : order) {
      const index c = move_class[i], o = move_to[i];
      if (!(p.value(o, 0) < p.value(a[c], 0))) continue;  // the class has moved since
      bool fits = true;
      for (index r = 0; r < p.rows && fits; ++r) fits = t[r + 1] + p.value(o, r + 1) - p.value(a[c], r + 1) <= p.capacity[r] + p.slack[r];
      if (!fits) continue;
      for (index r = 0; r <= p.rows; ++r) t[r] += p.value(o, r) - p.value(a[c], r);
      a[c] = o;
      moved = true;
    }
    if (!moved) break;
  }
  return true;
}

}  // namespace mixq::alloc::detail
