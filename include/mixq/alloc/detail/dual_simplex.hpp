#pragma once
// The LP bound of a node: a dual simplex that moves the basis of lp_basis.hpp.
// It keeps every option's reduced cost >= 0 (the key is the cheapest option
// of its class at the prices pi) and repairs the extras and keys that leave
// [0, 1] or are banned while positive, with a long-step ratio test that
// flips whole classes past their breakpoints (the generalized-upper-bounding
// form of bound flipping). A child node starts from its parent's basis and
// takes a few pivots. Whatever the basis, the bound reported is the
// Lagrangian value at pi >= 0: valid for any prices.

#include <algorithm>
#include <cstddef>
#include <vector>

#include <mixq/alloc/detail/lp_basis.hpp>
#include <mixq/alloc/detail/model.hpp>

namespace mixq::alloc::detail {

class dual_simplex : public lp_basis {
public:
  static constexpr index probe_pivot_limit = 16;
  constexpr index root_pivot_limit() const noexcept { return 8 * options_ + 64; }
  constexpr index node_pivot_limit() const noexcept { return 2 * options_ + 32; }

  /// The dual simplex from the current basis, over the options `banned`
  /// leaves: at most `limit` pivots, stopping early once the dual objective
  /// reaches `enough`. Returns the bound, infinity when the options left hold
  /// no plan; optimal() tells whether the basis ended primal feasible.
  /// `ceiling` is the incumbent's objective (-infinity without one): a proof
  /// of infeasibility aims above it.
  constexpr double solve(const std::vector<unsigned char>& banned, index limit, double enough,
                         double ceiling = -infinity) {
    const index m = rows_;
    optimal_ = false;
    index since_refactor = 0;
    for (index pivot = 0;; ++pivot) {
      // The most infeasible basic variable: an extra below 0 or banned above
      // 0, or a key (1 - its class's extras) likewise.
      sum_extras();
      double worst = primal_tol;
      index leave = m, leave_class = classes_;
      for (index i = 0; i < m; ++i) {
        const double x = extra_value_[i];
        const double bad = x < 0.0 ? -x : (!is_surplus(extra_[i]) && banned[extra_[i]] ? x : 0.0);
        if (bad > worst) worst = bad, leave = i, leave_class = classes_;
      }
      for (index c = 0; c < classes_; ++c) {
        const double x = 1.0 - extra_total_[c];
        const double bad = x < 0.0 ? -x : (banned[key_[c]] ? x : 0.0);
        if (bad > worst) worst = bad, leave = m, leave_class = c;
      }
      if (leave == m && leave_class == classes_) {
        optimal_ = true;
        break;
      }
      if (pivot >= limit || dual_value() >= enough) break;
      if (since_refactor >= 32) refactor(), since_refactor = 0;
      ++since_refactor;

      if (leave == m) {
        // A key leaves. With extras in its class, one of them becomes the key
        // (the same basis) and the old key leaves as an extra.
        const index c = leave_class;
        index swap = m;
        for (index i = 0; i < m; ++i) {
          const index e = extra_[i];
          if (is_surplus(e) || class_of_[e] != c) continue;
          if (swap == m || (banned[extra_[swap]] && !banned[e]) ||
              (banned[extra_[swap]] == banned[e] && extra_value_[i] > extra_value_[swap])) {
            swap = i;
          }
        }
        if (swap == m) {
          // No extras: the banned key gives way to its class's cheapest allowed option.
          index best = options_;
          for (index o = first_[c]; o < first_[c + 1]; ++o) {
            if (!banned[o] && (best == options_ || reduced_[o] < reduced_[best])) best = o;
          }
          if (best == options_) return infinity;
          basic_[key_[c]] = 0;
          basic_[best] = 1;
          for (index r = 0; r < m; ++r) key_weight_[r] += weight(best, r) - weight(key_[c], r);
          key_[c] = best;
          update_beta();
          continue;
        }
        const index old = key_[c];
        key_[c] = extra_[swap];
        extra_[swap] = old;
        for (index r = 0; r < m; ++r) key_weight_[r] += weight(key_[c], r) - weight(old, r);
        if (!factor_w()) {
          refactor();
          continue;
        }
        leave = swap;
        const double x = extra_value_[leave];
        if (!(x < -primal_tol || (banned[old] && x > primal_tol))) continue;
      }

      // Row `leave` of W^-1 prices the move; sign +1 raises the extra, -1 lowers it.
      const double sign = extra_value_[leave] < 0.0 ? 1.0 : -1.0;
      leaving_row_.assign(w_inverse_.begin() + static_cast<std::ptrdiff_t>(leave * m),
                  w_inverse_.begin() + static_cast<std::ptrdiff_t>((leave + 1) * m));
      std::fill(pivot_row_.begin(), pivot_row_.end(), 0.0);
      for (index r = 0; r < m; ++r) axpy(leaving_row_[r], r, pivot_row_);
      // Ratio test (two passes, Harris): the largest step keeping every
      // reduced cost >= -tolerance, then the largest pivot within it. A
      // reduced cost below 0 (rounding) counts as 0.
      const double dtol = dual_tol();
      double bound_step = infinity;
      candidates_.clear();
      for (index c = 0; c < classes_; ++c) {
        const index key = key_[c];
        const double tk = pivot_row_[key], rk = reduced_[key];
        for (index o = first_[c]; o < first_[c + 1]; ++o) {
          const double a = sign * (pivot_row_[o] - tk);
          if (a >= -pivot_tol || basic_[o] || banned[o]) continue;
          const double d = std::max(reduced_[o] - rk, 0.0);
          bound_step = std::min(bound_step, (d + dtol) / -a);
          candidates_.push_back({o, -a, d});
        }
      }
      for (index r = 0; r < m; ++r) {
        if (std::find(extra_.begin(), extra_.end(), surplus(r)) != extra_.end()) continue;
        const double a = sign * leaving_row_[r];
        if (a >= -pivot_tol) continue;
        const double d = std::max(price_[r], 0.0);
        bound_step = std::min(bound_step, (d + dtol) / -a);
        candidates_.push_back({surplus(r), -a, d});
      }
      if (bound_step == infinity) return ray_bound(banned, sign, ceiling);
      index enter = options_ + m;
      double enter_a = 0.0, enter_d = 0.0;
      for (const candidate& q : candidates_) {
        if (q.d / q.a <= bound_step && q.a > enter_a) enter = q.var, enter_a = q.a, enter_d = q.d;
      }
      if (enter == options_ + m) break;  // unreachable: the least ratio qualifies
      double step = enter_d / enter_a;
      const double infeasibility = sign * -extra_value_[leave];
      if (flippable(enter) && infeasibility - enter_a > primal_tol) {
        step = long_step(banned, sign, infeasibility, enter);
        if (enter == options_ + m) return ray_bound(banned, sign, ceiling);
      }
      for (index r = 0; r < m; ++r) price_[r] += step * sign * leaving_row_[r];
      for (index o = 0; o < options_; ++o) reduced_[o] += step * sign * pivot_row_[o];
      const index out = extra_[leave];
      if (!is_surplus(out)) basic_[out] = 0;
      if (!is_surplus(enter)) basic_[enter] = 1;
      extra_[leave] = enter;
      if (!factor_w()) refactor(), since_refactor = 0;
    }
    const double g = price_bound(banned);
    if (g > most_objective_ + 1e-9 * abs(most_objective_)) return infinity;
    return g;
  }

  /// The LP point: per class, its option of largest value (`a`). Returns
  /// whether every class takes one option whole; `fractional` gets the
  /// classes that mix options.
  constexpr bool lp_point(std::vector<index>& a, std::vector<index>& fractional) {
    sum_extras();
    a.resize(classes_, {});
    fractional.clear();
    for (index c = 0; c < classes_; ++c) a[c] = key_[c];
    for (const index c : extra_classes_) {
      double top = 1.0 - extra_total_[c];
      bool mixed = top > primal_tol && top < 1.0 - primal_tol;
      for (index i = 0; i < rows_; ++i) {
        const index e = extra_[i];
        if (is_surplus(e) || class_of_[e] != c) continue;
        mixed = mixed || (extra_value_[i] > primal_tol && extra_value_[i] < 1.0 - primal_tol);
        if (extra_value_[i] > top) top = extra_value_[i], a[c] = e;
      }
      if (mixed) fractional.push_back(c);
    }
    return fractional.empty();
  }

  /// The two options of class c the LP takes most (after lp_point()).
  constexpr void mixed_pair(index c, index& first, index& second) const {
    double v1 = 1.0 - extra_total_[c], v2 = -infinity;
    first = key_[c];
    second = key_[c];
    for (index i = 0; i < rows_; ++i) {
      const index e = extra_[i];
      if (is_surplus(e) || class_of_[e] != c) continue;
      if (extra_value_[i] > v1) {
        v2 = v1, second = first, v1 = extra_value_[i], first = e;
      } else if (extra_value_[i] > v2) {
        v2 = extra_value_[i], second = e;
      }
    }
  }

  /// Splits class c between options a and b, which the LP mixes: one child
  /// keeps the options no heavier than the lighter of the two in the row
  /// that prices their difference most, the other the rest. Fills what each
  /// child bans; false when that does not split the class.
  constexpr bool split_class(const std::vector<unsigned char>& banned, index c, index a, index b,
                             std::vector<index>& left_bans, std::vector<index>& right_bans) const {
    index row = rows_;
    double most = -1.0;
    for (index r = 0; r < rows_; ++r) {
      const double diff = abs(weight(a, r) - weight(b, r));
      if (diff == 0.0) continue;
      const double priced = std::max(price_[r], 0.0) * diff;
      if (priced > most) most = priced, row = r;
    }
    if (row == rows_) return false;
    const double at = std::min(weight(a, row), weight(b, row));
    left_bans.clear();
    right_bans.clear();
    for (index o = first_[c]; o < first_[c + 1]; ++o) {
      if (banned[o]) continue;
      (weight(o, row) > at ? left_bans : right_bans).push_back(o);
    }
    return !left_bans.empty() && !right_bans.empty();
  }

private:
  /// The long step (the GUB form of bound flipping): past each breakpoint
  /// where an option of a class without extras becomes the cheapest, that
  /// option becomes the key (its class flips whole), as long as the leaving
  /// variable stays infeasible; the first breakpoint that would end its
  /// infeasibility enters the basis. Returns the step and sets `enter`
  /// (options_ + k when none: the LP has no feasible point; the prices then
  /// stand at the last breakpoint).
  constexpr double long_step(const std::vector<unsigned char>& banned, double sign, double infeasibility,
                             index& enter) {
    const index m = rows_;
    constexpr auto later = [](const breakpoint& x, const breakpoint& y) { return x.step > y.step; };
    breakpoints_.clear();
    for (const candidate& q : candidates_) {
      breakpoints_.push_back({q.d / q.a, q.var, is_surplus(q.var) ? 0 : class_version_[class_of_[q.var]], q.a});
    }
    std::make_heap(breakpoints_.begin(), breakpoints_.end(), later);
    double step = 0.0;
    enter = options_ + m;
    while (!breakpoints_.empty()) {
      std::pop_heap(breakpoints_.begin(), breakpoints_.end(), later);
      const breakpoint b = breakpoints_.back();
      breakpoints_.pop_back();
      if (!is_surplus(b.var) && (b.version != class_version_[class_of_[b.var]] || basic_[b.var])) continue;  // stale
      step = std::max(step, b.step);
      if (!flippable(b.var) || !(infeasibility - b.a > primal_tol)) {
        enter = b.var;
        break;
      }
      // Class c flips whole from its key to b.var; its other options'
      // breakpoints now count from the new key.
      infeasibility -= b.a;
      const index c = class_of_[b.var], old = key_[c], o = b.var;
      basic_[old] = 0;
      basic_[o] = 1;
      key_[c] = o;
      for (index r = 0; r < m; ++r) key_weight_[r] += weight(o, r) - weight(old, r);
      const index v = ++class_version_[c];
      for (index q = first_[c]; q < first_[c + 1]; ++q) {
        if (q == o || banned[q]) continue;
        const double slope = sign * (pivot_row_[q] - pivot_row_[o]);
        if (!(slope < -pivot_tol)) continue;
        breakpoints_.push_back({std::max((reduced_[q] - reduced_[o]) / -slope, step), q, v, -slope});
        std::push_heap(breakpoints_.begin(), breakpoints_.end(), later);
      }
    }
    if (enter == options_ + m) {
      for (index r = 0; r < m; ++r) price_[r] += step * sign * leaving_row_[r];
      for (index o = 0; o < options_; ++o) reduced_[o] += step * sign * pivot_row_[o];
      update_beta();
    }
    return step;
  }

  /// No variable can enter: the LP has no feasible point. The prices far out
  /// along the ray prove it with a bound above any plan's objective (or, at
  /// least, above the incumbent).
  constexpr double ray_bound(const std::vector<unsigned char>& banned, double sign, double ceiling) {
    if (overruns(banned)) return infinity;
    const index m = rows_;
    const double dual = dual_value();
    double infeasibility = 0.0;
    for (index i = 0; i < m; ++i) infeasibility = std::max(infeasibility, abs(extra_value_[i]));
    const double target = std::max(ceiling, most_objective_) - dual;
    const double far = 4.0 * (abs(target) + 1e-9 * (objective_scale_ + 1.0)) / std::max(infeasibility, primal_tol);
    ray_price_.resize(m, {});
    for (index r = 0; r < m; ++r) ray_price_[r] = std::max(0.0, price_[r] + far * sign * leaving_row_[r]);
    double g = decided_objective_;
    for (index r = 0; r < m; ++r) g -= ray_price_[r] * room_[r];
    for (index c = 0; c < classes_; ++c) {
      double least = infinity;
      for (index o = first_[c]; o < first_[c + 1]; ++o) {
        if (banned[o]) continue;
        double v = objective_[o];
        for (index r = 0; r < m; ++r) v += ray_price_[r] * weight(o, r);
        least = std::min(least, v);
      }
      g += least;
    }
    if (g > most_objective_ + 1e-9 * abs(most_objective_)) return infinity;
    return std::max(g, price_bound(banned));
  }

  struct candidate {
    index var;
    double a, d;  ///< |pivot entry|, reduced cost
  };
  std::vector<candidate> candidates_;  ///< of the ratio test
  struct breakpoint {
    double step;
    index var, version;
    double a;
  };
  std::vector<breakpoint> breakpoints_;  ///< of the long step, a heap by step
};

}  // namespace mixq::alloc::detail
