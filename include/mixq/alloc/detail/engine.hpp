#pragma once
// The exact search over classes of layers: a multiple-choice knapsack with
// one capacity row per budget.
//
//   1. Reduction: dominated options, options no plan can afford, classes left
//      with one option, rows no plan can exceed.
//   2. Bound of a node: one budget row kept, the others priced into the
//      objective by Lagrange multipliers. The kept row's LP is solved over
//      each class's lower convex hull by taking incremental efficiencies in
//      decreasing order (Sinha-Zoltners); with one budget that is the LP
//      relaxation. The root's multipliers come from projected subgradient
//      ascent on the Lagrangian dual; each node refines them by exact line
//      searches on each price in turn (the bound is concave in each).
//   3. Incumbent: a greedy that repairs an LP or Lagrangian choice into the
//      budgets, then spends what is left by gain per unit of capacity.
//   4. Reduced-cost fixing against the incumbent, at the root and for each
//      node's subtree.
//   5. Depth-first branch and bound. A node splits one class between the
//      two options its LP mixes (which of the candidate classes: the one
//      whose weaker child bounds highest; without candidates, the class of
//      largest regret); the stronger child is explored first. The search
//      stops when no open node's bound is below the incumbent.
//
// All of it is constexpr: one implementation for run time and compile time.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <mixq/alloc/detail/model.hpp>
#include <mixq/alloc/plan.hpp>
#include <mixq/alloc/problem.hpp>

namespace mixq::alloc::detail {

/// What the search minimises and which totals it bounds.
struct search_spec {
  int objective = sensitivity_source;
  std::vector<int> sources;    ///< constrained totals (sensitivity or costs)
  std::vector<double> limits;  ///< one finite limit per source
};

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

class engine {
public:
  constexpr engine(const flat_problem& f, const class_table& ct, const search_spec& spec, const solve_options& opt,
                   const stopwatch& clock)
      : f_(f), ct_(ct), spec_(spec), opt_(opt), clock_(clock) {}

  constexpr search_result run() {
    build();
    search_result r = solve_root_and_search();
    r.nodes = nodes_;
    if (found_) {
      r.found = true;
      r.choice = best_;
      r.objective = ub_;
    }
    return r;
  }

private:
  // ------------------------------------------------------------------ state
  const flat_problem& f_;
  const class_table& ct_;
  const search_spec& spec_;
  solve_options opt_;
  const stopwatch& clock_;

  // The open part of the problem: n_ classes, k_ rows (row 0 of v_ is the objective).
  index n_ = 0;
  index k_ = 0;
  std::vector<index> first_;
  std::vector<double> v_;
  std::vector<index> id_;    ///< option -> merged option
  std::vector<index> cls_;   ///< open class -> class
  std::vector<double> cap_;  ///< what the open classes may still spend, per row
  std::vector<double> slack_;
  std::vector<double> norm_;
  std::vector<index> row_;   ///< row -> spec row
  double base_ = 0.0;        ///< objective of the decided classes
  std::vector<index> decided_;
  double scale_ = 0.0;       ///< the largest objective any plan can have

  bool found_ = false;
  double ub_ = infinity;
  std::vector<index> best_;

  double root_bound_ = -infinity;
  double pruned_min_ = infinity;  ///< least bound of anything pruned against the incumbent
  std::uint64_t nodes_ = 0;

  constexpr index stride() const noexcept { return k_ + 1; }
  constexpr double val(index o, index r) const noexcept { return v_[o * stride() + r]; }
  constexpr double tol() const noexcept {
    return opt_.relative_tolerance * abs(ub_) + 1e-12 * scale_;
  }
  constexpr bool prunes(double bound) const noexcept { return found_ && bound >= ub_ - tol(); }
  constexpr void note_pruned(double bound) noexcept { pruned_min_ = std::min(pruned_min_, bound); }

  // ------------------------------------------------------------------ model
  constexpr void build() {
    n_ = ct_.count;
    k_ = spec_.sources.size();
    first_ = ct_.option_first;
    const index options = ct_.merged_count();
    id_.resize(options, {});
    v_.resize(options * stride(), {});
    for (index o = 0; o < options; ++o) {
      id_[o] = o;
      v_[o * stride()] = ct_.value(f_, o, spec_.objective);
      for (index r = 0; r < k_; ++r) v_[o * stride() + r + 1] = ct_.value(f_, o, spec_.sources[r]);
    }
    cls_.resize(n_, {});
    for (index c = 0; c < n_; ++c) cls_[c] = c;
    decided_.assign(n_, no_option);
    cap_ = spec_.limits;
    row_.resize(k_, {});
    slack_.resize(k_, {});
    for (index r = 0; r < k_; ++r) {
      row_[r] = r;
      double widest = 0.0;
      for (index c = 0; c < n_; ++c) {
        double m = 0.0;
        for (index o = first_[c]; o < first_[c + 1]; ++o) m = std::max(m, val(o, r + 1));
        widest += m;
      }
      // Room for rounding in sums taken in another order than the layer order;
      // every plan accepted is checked exactly in layer order.
      slack_[r] = 1e-11 * (abs(cap_[r]) + widest);
    }
    scale_ = 0.0;
    for (index c = 0; c < n_; ++c) {
      double m = 0.0;
      for (index o = first_[c]; o < first_[c + 1]; ++o) m = std::max(m, val(o, 0));
      scale_ += m;
    }
  }

  /// Prefers a over b among options equal in every row: the higher precision, then the lower index.
  constexpr bool preferred(index a, index b) const noexcept {
    const precision pa = ct_.option_bits[id_[a]], pb = ct_.option_bits[id_[b]];
    if (pa.w_bits + pa.a_bits != pb.w_bits + pb.a_bits) return pa.w_bits + pa.a_bits > pb.w_bits + pb.a_bits;
    if (pa.w_bits != pb.w_bits) return pa.w_bits > pb.w_bits;
    return id_[a] < id_[b];
  }

  constexpr bool dominates(index a, index b) const noexcept {
    bool strictly = false;
    for (index r = 0; r <= k_; ++r) {
      if (val(a, r) > val(b, r)) return false;
      strictly = strictly || val(a, r) < val(b, r);
    }
    return strictly || preferred(a, b);
  }

  /// Keeps the marked options and rows; decides classes left with one
  /// option. Returns false when a class is left with none.
  constexpr bool rebuild(const std::vector<unsigned char>& keep, const std::vector<unsigned char>& keep_row,
                         bool& changed) {
    std::vector<index> first{0}, id, cls;
    std::vector<double> v;
    std::vector<double> cap = cap_;
    const index k2 = static_cast<index>(std::count(keep_row.begin(), keep_row.end(), 1));
    changed = k2 != k_;
    for (index c = 0; c < n_; ++c) {
      index kept = 0, last = 0;
      for (index o = first_[c]; o < first_[c + 1]; ++o) {
        if (keep[o]) ++kept, last = o;
      }
      if (kept == 0) return false;
      if (kept != first_[c + 1] - first_[c]) changed = true;
      if (kept == 1) {
        decided_[cls_[c]] = id_[last];
        base_ += val(last, 0);
        for (index r = 0; r < k_; ++r) cap[r] -= val(last, r + 1);
        changed = true;
        continue;
      }
      for (index o = first_[c]; o < first_[c + 1]; ++o) {
        if (!keep[o]) continue;
        id.push_back(id_[o]);
        v.push_back(val(o, 0));
        for (index r = 0; r < k_; ++r) {
          if (keep_row[r]) v.push_back(val(o, r + 1));
        }
      }
      first.push_back(id.size());
      cls.push_back(cls_[c]);
    }
    if (!changed) return true;
    ++model_version_;
    std::vector<double> cap2, slack2;
    std::vector<index> row2;
    for (index r = 0; r < k_; ++r) {
      if (!keep_row[r]) continue;
      cap2.push_back(cap[r]);
      slack2.push_back(slack_[r]);
      row2.push_back(row_[r]);
    }
    n_ = cls.size();
    k_ = k2;
    first_ = std::move(first);
    id_ = std::move(id);
    cls_ = std::move(cls);
    v_ = std::move(v);
    cap_ = std::move(cap2);
    slack_ = std::move(slack2);
    row_ = std::move(row2);
    return true;
  }

  /// Reduction to a fixed point. Returns false when no plan meets the rows.
  constexpr bool reduce() {
    for (;;) {
      const index options = first_[n_];
      std::vector<unsigned char> keep(options, 1), keep_row(k_, 1);
      for (index c = 0; c < n_; ++c) {
        for (index a = first_[c]; a < first_[c + 1]; ++a) {
          for (index b = first_[c]; b < first_[c + 1]; ++b) {
            if (a != b && keep[a] && keep[b] && dominates(a, b)) keep[b] = 0;
          }
        }
      }
      for (index r = 1; r <= k_; ++r) {
        double least = 0.0, most = 0.0;
        for (index c = 0; c < n_; ++c) {
          double lo = infinity, hi = 0.0;
          for (index o = first_[c]; o < first_[c + 1]; ++o) lo = std::min(lo, val(o, r)), hi = std::max(hi, val(o, r));
          least += lo;
          most += hi;
        }
        const double room = cap_[r - 1] + slack_[r - 1];
        if (least > room) return false;
        if (most <= cap_[r - 1]) {
          keep_row[r - 1] = 0;
          continue;
        }
        for (index c = 0; c < n_; ++c) {
          double lo = infinity;
          for (index o = first_[c]; o < first_[c + 1]; ++o) lo = std::min(lo, val(o, r));
          for (index o = first_[c]; o < first_[c + 1]; ++o) {
            if (val(o, r) - lo + least > room) keep[o] = 0;
          }
        }
      }
      bool changed = false;
      if (!rebuild(keep, keep_row, changed)) return false;
      if (!changed) break;
    }
    norm_.resize(k_, {});
    for (index r = 0; r < k_; ++r) norm_[r] = cap_[r] > 0.0 ? cap_[r] : 1.0;
    return true;
  }

  // -------------------------------------------------------------- incumbent
  /// Offers a plan (merged option per class); keeps it when it meets every
  /// limit in layer order and beats the incumbent.
  constexpr bool offer(const std::vector<index>& choice) {
    const std::vector<index> layers = layer_options(ct_, choice);
    for (index r = 0; r < spec_.sources.size(); ++r) {
      if (!(layer_total(f_, layers, spec_.sources[r]) <= spec_.limits[r])) return false;
    }
    const double objective = layer_total(f_, layers, spec_.objective);
    if (found_ && !(objective < ub_)) return false;
    found_ = true;
    ub_ = objective;
    best_ = choice;
    return true;
  }

  /// Offers the open classes' assignment `a` (option per open class).
  constexpr bool offer_open(const std::vector<index>& a) {
    std::vector<index> choice = decided_;
    for (index c = 0; c < n_; ++c) choice[cls_[c]] = id_[a[c]];
    return offer(choice);
  }

  constexpr double violation(const std::vector<double>& t) const noexcept {
    double s = 0.0;
    for (index r = 0; r < k_; ++r) {
      const double over = t[r + 1] - cap_[r] - slack_[r];
      if (over > 0.0) s += over / norm_[r];
    }
    return s;
  }

  /// Greedy repair (least objective per unit of violation removed) then
  /// improvement (most objective gained per unit of capacity spent) of an
  /// assignment of the open classes. Returns whether it ends feasible.
  constexpr bool repair_and_improve(std::vector<index>& a) const {
    std::vector<double> t(k_ + 1, 0.0), u(k_ + 1, 0.0);
    for (index c = 0; c < n_; ++c) {
      for (index r = 0; r <= k_; ++r) t[r] += val(a[c], r);
    }
    const index max_moves = 4 * first_[n_] + 16;
    for (index step = 0; step < max_moves; ++step) {
      const double now = violation(t);
      if (now <= 0.0) break;
      double best = infinity;
      index bc = n_, bo = 0;
      for (index c = 0; c < n_; ++c) {
        for (index o = first_[c]; o < first_[c + 1]; ++o) {
          if (o == a[c]) continue;
          for (index r = 0; r <= k_; ++r) u[r] = t[r] + val(o, r) - val(a[c], r);
          const double removed = now - violation(u);
          if (removed <= 0.0) continue;
          const double score = (u[0] - t[0]) / removed;
          if (score < best) best = score, bc = c, bo = o;
        }
      }
      if (bc == n_) return false;
      for (index r = 0; r <= k_; ++r) t[r] += val(bo, r) - val(a[bc], r);
      a[bc] = bo;
    }
    if (violation(t) > 0.0) return false;
    // Improvement in passes: every improving move by gain per unit of
    // capacity spent, best first, each taken while it still fits.
    std::vector<index> move_class, move_to, order;
    std::vector<double> ratio;
    for (index pass = 0; pass < 8; ++pass) {
      move_class.clear();
      move_to.clear();
      ratio.clear();
      for (index c = 0; c < n_; ++c) {
        for (index o = first_[c]; o < first_[c + 1]; ++o) {
          const double gain = val(a[c], 0) - val(o, 0);
          if (gain <= 0.0) continue;
          double spent = 1e-300;
          for (index r = 0; r < k_; ++r) spent += std::max(0.0, val(o, r + 1) - val(a[c], r + 1)) / norm_[r];
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
        if (!(val(o, 0) < val(a[c], 0))) continue;  // the class has moved since
        bool fits = true;
        for (index r = 0; r < k_ && fits; ++r) fits = t[r + 1] + val(o, r + 1) - val(a[c], r + 1) <= cap_[r] + slack_[r];
        if (!fits) continue;
        for (index r = 0; r <= k_; ++r) t[r] += val(o, r) - val(a[c], r);
        a[c] = o;
        moved = true;
      }
      if (!moved) break;
    }
    return true;
  }

  constexpr void try_heuristic(std::vector<index> a) {
    if (repair_and_improve(a)) offer_open(a);
  }

  // ------------------------------------------------------------ Lagrangian
  /// L(w) = base + sum over classes of min (objective + w . rows) - w . cap,
  /// with w in the rows' own units; `x` receives the minimisers.
  constexpr double lagrangian(const std::vector<double>& w, std::vector<index>& x) const {
    double value = base_;
    for (index r = 0; r < k_; ++r) value -= w[r] * cap_[r];
    for (index c = 0; c < n_; ++c) {
      double least = infinity;
      for (index o = first_[c]; o < first_[c + 1]; ++o) {
        double red = val(o, 0);
        for (index r = 0; r < k_; ++r) red += w[r] * val(o, r + 1);
        if (red < least) least = red, x[c] = o;
      }
      value += least;
    }
    return value;
  }

  /// Projected subgradient ascent with Polyak steps, in rows scaled by their
  /// capacity. Returns the best multipliers (rows' own units); `best` gets L there.
  constexpr std::vector<double> subgradient(std::vector<double> w, double& best, bool& infeasible) {
    std::vector<index> x(n_, 0);
    std::vector<double> best_w = w, g(k_, 0.0);
    double theta = 1.0;
    best = -infinity;
    index stall = 0;
    // Fewer steps in a constant evaluation, where each costs compile time.
    index iterations = 150;
    if (std::is_constant_evaluated()) iterations = 20;
    double most = base_;
    for (index c = 0; c < n_; ++c) {
      double m = 0.0;
      for (index o = first_[c]; o < first_[c + 1]; ++o) m = std::max(m, val(o, 0));
      most += m;
    }
    for (index it = 0; it < iterations && theta > 1e-3; ++it) {
      const double value = lagrangian(w, x);
      if (value > best) {
        best = value, best_w = w, stall = 0;
      } else if (++stall >= 6) {
        theta *= 0.5, stall = 0;
      }
      if (prunes(best)) break;
      // A dual value above every plan's objective proves that no plan exists.
      if (!found_ && best > most + 1e-9 * abs(most) + 1e-12 * scale_) {
        infeasible = true;
        break;
      }
      double norm2 = 0.0;
      for (index r = 0; r < k_; ++r) {
        double used = 0.0;
        for (index c = 0; c < n_; ++c) used += val(x[c], r + 1);
        g[r] = (used - cap_[r]) / norm_[r];
        if (w[r] <= 0.0 && g[r] < 0.0) g[r] = 0.0;
        norm2 += g[r] * g[r];
      }
      if (norm2 == 0.0) break;  // x meets every row with complementary slackness: the dual optimum
      if (it % 32 == 31) try_heuristic(x);
      const double target = found_ ? ub_ : best + 0.05 * abs(best) + 1e-6 * scale_;
      const double step = theta * (target - value) / norm2;
      for (index r = 0; r < k_; ++r) w[r] = std::max(0.0, w[r] + step * g[r] / norm_[r]);
    }
    try_heuristic(x);
    lagrangian(best_w, x);
    try_heuristic(x);
    return best_w;
  }


  // ------------------------------------------------------------ node bound
  // A node of the search is the set of options it bans (per option, 0 or 1);
  // every class keeps at least one option.

  /// One evaluation of the bound: the LP of row `keep` with the other rows
  /// priced by `price`, over the options not banned.
  struct evaluation {
    double value = infinity;    ///< a valid lower bound; infinity when the node has no plan
    double keep_price = 0.0;    ///< the LP's multiplier of row `keep`
    index split = 0;            ///< class the LP splits between two options, or n_ when none
    index split_to = 0;         ///< the heavier of those two options
    std::vector<double> slope;  ///< per row: LP spending minus capacity (a supergradient in the prices)
    std::vector<index> x;       ///< per class: LP option, the split class rounded down
  };

  /// Per row: each class's options by increasing weight in that row, made
  /// once per model (the reductions change the model).
  std::vector<std::vector<index>> by_weight_;
  std::uint64_t model_version_ = 0, by_weight_version_ = ~std::uint64_t{0};

  constexpr void sort_by_weight() {
    by_weight_.assign(k_, std::vector<index>(first_[n_], 0));
    for (index r = 0; r < k_; ++r) {
      std::vector<index>& order = by_weight_[r];
      for (index o = 0; o < order.size(); ++o) order[o] = o;
      for (index c = 0; c < n_; ++c) {
        std::sort(order.begin() + static_cast<std::ptrdiff_t>(first_[c]),
                  order.begin() + static_cast<std::ptrdiff_t>(first_[c + 1]), [&](index a, index b) {
                    if (val(a, r + 1) != val(b, r + 1)) return val(a, r + 1) < val(b, r + 1);
                    return a < b;
                  });
      }
    }
    by_weight_version_ = model_version_;
  }

  // Scratch of evaluate(), kept to spare an allocation per evaluation.
  std::vector<double> ft_, inc_w_, inc_s_;
  std::vector<index> hull_, inc_class_, inc_from_, inc_to_, inc_order_;

  /// Sinha-Zoltners over the lower convex hulls in the plane (weight in row
  /// `keep`, objective + priced rows): take increments by decreasing
  /// efficiency while they fit, split the first that does not.
  constexpr void evaluate(const std::vector<unsigned char>& banned, index keep, const std::vector<double>& price,
                          evaluation& e) {
    if (by_weight_.size() != k_ || by_weight_version_ != model_version_) sort_by_weight();
    const std::vector<index>& order = by_weight_[keep];
    ft_.resize(first_[n_], {});
    double value = base_, room = cap_[keep] + slack_[keep];
    for (index r = 0; r < k_; ++r) {
      if (r != keep) value -= price[r] * (cap_[r] + slack_[r]);
    }
    inc_class_.clear();
    inc_from_.clear();
    inc_to_.clear();
    inc_w_.clear();
    inc_s_.clear();
    e.x.resize(n_, {});
    e.slope.assign(k_, 0.0);
    e.split = n_;
    e.keep_price = 0.0;
    e.value = infinity;
    for (index c = 0; c < n_; ++c) {
      hull_.clear();
      for (index i = first_[c]; i < first_[c + 1]; ++i) {
        const index p = order[i];
        if (banned[p]) continue;
        double f = val(p, 0);
        for (index r = 0; r < k_; ++r) {
          if (r != keep) f += price[r] * val(p, r + 1);
        }
        ft_[p] = f;
        const double wp = val(p, keep + 1);
        if (!hull_.empty() && wp == val(hull_.back(), keep + 1)) {
          if (f >= ft_[hull_.back()]) continue;
          hull_.pop_back();
        }
        // Weighs more than the last hull point and gains nothing.
        if (!hull_.empty() && f >= ft_[hull_.back()]) continue;
        while (hull_.size() >= 2) {
          const index a = hull_[hull_.size() - 2], b = hull_.back();
          const double wa = val(a, keep + 1), wb = val(b, keep + 1);
          // b lies on or above the segment a-p: (f_a - f_b) / (w_b - w_a) <= (f_b - f_p) / (w_p - w_b).
          if ((ft_[a] - ft_[b]) * (wp - wb) <= (ft_[b] - f) * (wb - wa)) {
            hull_.pop_back();
          } else {
            break;
          }
        }
        hull_.push_back(p);
      }
      if (hull_.empty()) return;  // every option banned
      e.x[c] = hull_[0];
      room -= val(hull_[0], keep + 1);
      value += ft_[hull_[0]];
      for (index i = 1; i < hull_.size(); ++i) {
        inc_class_.push_back(c);
        inc_from_.push_back(hull_[i - 1]);
        inc_to_.push_back(hull_[i]);
        inc_w_.push_back(val(hull_[i], keep + 1) - val(hull_[i - 1], keep + 1));
        inc_s_.push_back(ft_[hull_[i - 1]] - ft_[hull_[i]]);
      }
    }
    if (room < 0.0) return;  // even the lightest options overrun row `keep`
    inc_order_.resize(inc_w_.size(), {});
    for (index i = 0; i < inc_order_.size(); ++i) inc_order_[i] = i;
    std::sort(inc_order_.begin(), inc_order_.end(), [&](index a, index b) {
      const double ea = inc_s_[a] * inc_w_[b], eb = inc_s_[b] * inc_w_[a];  // ea > eb: a more efficient
      if (ea != eb) return ea > eb;
      return a < b;
    });
    double fraction = 0.0;
    index cut = 0;
    for (const index i : inc_order_) {
      if (inc_w_[i] <= room) {
        room -= inc_w_[i];
        value -= inc_s_[i];
        e.x[inc_class_[i]] = inc_to_[i];
      } else {
        e.keep_price = inc_s_[i] / inc_w_[i];
        value -= room * e.keep_price;
        fraction = room / inc_w_[i];
        e.split = inc_class_[i];
        e.split_to = inc_to_[i];
        cut = i;
        break;
      }
    }
    e.value = value;
    for (index r = 0; r < k_; ++r) {
      double use = 0.0;
      for (index c = 0; c < n_; ++c) use += val(e.x[c], r + 1);
      if (e.split != n_) use += fraction * (val(inc_to_[cut], r + 1) - val(inc_from_[cut], r + 1));
      e.slope[r] = use - cap_[r] - slack_[r];
    }
  }

  // State of one bound computation.
  evaluation* best_eval_ = nullptr;
  evaluation scratch_;
  std::vector<double> best_price_, trial_, kink_;
  const std::vector<unsigned char>* banned_ = nullptr;
  index keep_ = 0;
  bool probing_ = false;
  std::vector<double> price_scale_;

  /// One evaluation at trial_, kept when it is the best so far.
  constexpr const evaluation& probe_at() {
    evaluate(*banned_, keep_, trial_, scratch_);
    if (scratch_.value > best_eval_->value) {
      std::swap(*best_eval_, scratch_);
      best_price_ = trial_;
      return *best_eval_;
    }
    return scratch_;
  }

  static constexpr int max_line_steps = 16;
  static constexpr int max_rounds = 4;

  /// Maximises the bound over the price of row r, the others fixed: a
  /// concave function of that price, whose maximum is bracketed between
  /// slopes of opposite sign and found by intersecting tangents.
  constexpr void line_search(index r) {
    trial_ = best_price_;
    double lo_p = -1.0, lo_h = 0.0, lo_g = 0.0, hi_p = -1.0, hi_h = 0.0, hi_g = 0.0;
    double p = trial_[r];
    kink_[r] = p;
    for (int step = 0; step < max_line_steps; ++step) {
      trial_[r] = p;
      const evaluation& at = probe_at();
      if (at.value == infinity) return;
      const double h = at.value, g = at.slope[r];
      if (g > 0.0) {
        lo_p = p, lo_h = h, lo_g = g;
      } else {
        hi_p = p, hi_h = h, hi_g = g;
      }
      if (prunes(best_eval_->value) || g == 0.0 || (p == 0.0 && g < 0.0)) break;
      if (hi_p < 0.0) {
        p = std::max(2.0 * lo_p, lo_p + price_scale_[r]);
      } else if (lo_p < 0.0) {
        p = hi_p > 1e-6 * price_scale_[r] ? 0.5 * hi_p : 0.0;
      } else {
        p = (hi_h - lo_h + lo_g * lo_p - hi_g * hi_p) / (lo_g - hi_g);
        if (!(p > lo_p && p < hi_p)) p = 0.5 * (lo_p + hi_p);
        kink_[r] = p;
        // The tangents cap every value between them. Stop once the best is
        // within reach of that cap, or once even the cap cannot prune and
        // the best is already close to it.
        const double ceiling = lo_h + lo_g * (p - lo_p), top = best_eval_->value;
        if (ceiling - top <= 1e-12 * (abs(top) + scale_)) break;
        if (found_ && ceiling < ub_ - tol() && ceiling - top <= 0.05 * (ub_ - ceiling)) break;
        if (hi_p - lo_p <= 1e-12 * hi_p) break;
      }
    }
  }

  struct mixed_pair {
    index cls, a, b;
  };
  std::vector<mixed_pair> pairs_;
  std::vector<index> best_x_;

  /// The node's bound: the best evaluation over the prices of the rows other
  /// than keep_, from `price` (updated to the best prices found): one price,
  /// a line search; more, line searches on each in turn. Then, unless
  /// probing, the pairs of options the LP mixes, from evaluations just either
  /// side of each price's kink.
  constexpr void bound_node(const std::vector<unsigned char>& banned, std::vector<double>& price, evaluation& best) {
    best_eval_ = &best;
    banned_ = &banned;
    best.value = -infinity;
    best_price_ = price;
    trial_ = price;
    kink_ = price;
    probe_at();
    for (int round = 0; round < max_rounds && k_ > 1; ++round) {
      const double before = best.value;
      for (index r = 0; r < k_ && best.value < infinity && !prunes(best.value); ++r) {
        if (r != keep_) line_search(r);
      }
      if (k_ == 2 || best.value == infinity || prunes(best.value)) break;
      if (!(best.value > before + 1e-12 * (abs(before) + scale_))) break;
    }
    price = best_price_;
    pairs_.clear();
    if (best.value == infinity || prunes(best.value) || probing_) return;
    if (best.split != n_) pairs_.push_back({best.split, best.x[best.split], best.split_to});
    best_x_ = best.x;
    for (index r = 0; r < k_; ++r) {
      if (r == keep_) continue;
      for (int side = 0; side < 2; ++side) {
        trial_ = best_price_;
        const double eps = 1e-9 * std::max(kink_[r], price_scale_[r]);
        trial_[r] = side == 0 ? std::max(0.0, kink_[r] - eps) : kink_[r] + eps;
        const evaluation& at = probe_at();
        if (at.value == infinity) continue;
        if (at.split != n_) pairs_.push_back({at.split, at.x[at.split], at.split_to});
        for (index c = 0; c < n_; ++c) {
          if (at.x[c] != best_x_[c]) pairs_.push_back({c, best_x_[c], at.x[c]});
        }
      }
    }
    price = best_price_;
  }

  /// Reduced cost of option o under multipliers `lambda` (every row).
  constexpr double reduced(const std::vector<double>& lambda, index o) const noexcept {
    double v = val(o, 0);
    for (index r = 0; r < k_; ++r) v += lambda[r] * val(o, r + 1);
    return v;
  }

  /// Bans what cannot be in a plan better than the incumbent by more than
  /// the tolerance: options whose reduced cost lifts `bound` that far.
  /// Appends them to `log` when given.
  constexpr bool fix_by_reduced_cost(double bound, const std::vector<double>& lambda,
                                     std::vector<unsigned char>& banned, std::vector<index>* log) {
    if (!found_) return false;
    bool any = false;
    for (index c = 0; c < n_; ++c) {
      double least = infinity;
      for (index o = first_[c]; o < first_[c + 1]; ++o) {
        if (!banned[o]) least = std::min(least, reduced(lambda, o));
      }
      for (index o = first_[c]; o < first_[c + 1]; ++o) {
        if (banned[o]) continue;
        const double b = bound + (reduced(lambda, o) - least);
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

  // ------------------------------------------------------------------ root
  constexpr search_result finish_exhausted() const {
    search_result r;
    if (!found_) return r;
    r.status = alloc::status::optimal;
    r.bound = std::min(ub_, std::max(root_bound_, pruned_min_));
    return r;
  }

  std::vector<double> root_price_;

  constexpr search_result solve_root_and_search() {
    if (!reduce()) return finish_exhausted();
    evaluation e;
    for (int round = 0;; ++round) {
      if (n_ == 0) {
        offer(decided_);
        return finish_exhausted();
      }
      const std::vector<unsigned char> none(first_[n_], 0);
      // Each row alone: its LP (the greedy's plan rounded down is an
      // incumbent when there is one row) and its multiplier.
      double bound = -infinity;
      std::vector<double> duals(k_, 0.0), zero(k_, 0.0);
      for (index r = 0; r < k_; ++r) {
        evaluate(none, r, zero, e);
        if (e.value == infinity) return finish_exhausted();
        bound = std::max(bound, e.value);
        duals[r] = e.keep_price;
        if (k_ == 1) try_heuristic(e.x);
      }
      // Several rows: Lagrangian multipliers by subgradient ascent, from the
      // rows' own multipliers shared out.
      std::vector<double> lambda = duals;
      for (double& w : lambda) w /= static_cast<double>(k_);
      if (k_ >= 2) {
        double value = -infinity;
        bool infeasible = false;
        lambda = subgradient(lambda, value, infeasible);
        if (infeasible) return finish_exhausted();
        bound = std::max(bound, value);
      }
      // The LP keeps the row whose price weighs most and prices the others.
      keep_ = 0;
      for (index r = 1; r < k_; ++r) {
        if (lambda[r] * norm_[r] > lambda[keep_] * norm_[keep_]) keep_ = r;
      }
      price_scale_.assign(k_, 0.0);
      for (index r = 0; r < k_; ++r) {
        price_scale_[r] = std::max({lambda[r], duals[r], 1e-9 * (scale_ + 1e-300) / norm_[r]});
      }
      std::vector<double> price = lambda;
      bound_node(none, price, e);
      if (e.value == infinity) return finish_exhausted();
      bound = std::max(bound, e.value);
      try_heuristic(e.x);
      // Later rounds bound only what fixing left: a bound on those plans alone.
      if (round == 0) root_bound_ = bound;
      if (prunes(bound)) {
        note_pruned(bound);
        return finish_exhausted();
      }
      root_price_ = price;
      // A constant evaluation leaves fixing to the first node: rounds cost compile time.
      if (!found_ || round == (std::is_constant_evaluated() ? 0 : 3)) break;
      // Reduced-cost fixing against the incumbent, then the reductions it enables.
      std::vector<double> full = price;
      full[keep_] = e.keep_price;
      std::vector<unsigned char> banned(first_[n_], 0);
      bool any = fix_by_reduced_cost(e.value, full, banned, nullptr);
      std::vector<index> x(n_, 0);
      any = fix_by_reduced_cost(lagrangian(lambda, x), lambda, banned, nullptr) || any;
      if (!any) break;
      std::vector<unsigned char> keep(first_[n_], 1), rows(k_, 1);
      for (index o = 0; o < keep.size(); ++o) keep[o] = banned[o] ? 0 : 1;
      bool changed = false;
      if (!rebuild(keep, rows, changed) || !reduce()) return finish_exhausted();
    }
    return branch_and_bound();
  }

  // ---------------------------------------------------- branch and bound
  /// A node waiting on the stack: what it bans on top of its parent
  /// (pool[first, last)), where the parent's state ends in the undo log,
  /// its bound and the prices to start from (prices[first_price ...]).
  struct pending {
    index log_mark;
    index first, last;
    double bound;
  };

  /// Splits class c between options a and b, which the LP mixes: one child
  /// keeps the options no heavier than the lighter of the two (in the kept
  /// row, or the first row where they differ), the other the rest. Fills
  /// what each child bans; false when that does not split the class.
  constexpr bool split_class(const std::vector<unsigned char>& banned, index c, index a, index b,
                             std::vector<index>& left_bans, std::vector<index>& right_bans) const {
    index row = keep_ + 1;
    if (val(a, row) == val(b, row)) {
      row = 0;
      for (index r = 1; r <= k_ && row == 0; ++r) {
        if (val(a, r) != val(b, r)) row = r;
      }
      if (row == 0) return false;
    }
    const double at = std::min(val(a, row), val(b, row));
    left_bans.clear();
    right_bans.clear();
    for (index o = first_[c]; o < first_[c + 1]; ++o) {
      if (banned[o]) continue;
      (val(o, row) > at ? left_bans : right_bans).push_back(o);
    }
    return !left_bans.empty() && !right_bans.empty();
  }

  constexpr search_result branch_and_bound() {
    std::vector<unsigned char> banned(first_[n_], 0);
    std::vector<index> log, pool;
    std::vector<pending> stack;
    std::vector<double> prices;  // k_ per pending node: its parent's prices
    std::vector<double> price = root_price_, lambda(k_, 0.0), probe_price;
    std::vector<index> sides[2], best_sides[2];
    std::vector<mixed_pair> pairs;
    evaluation e, probe;

    auto undo_to = [&](index mark) {
      while (log.size() > mark) banned[log.back()] = 0, log.pop_back();
    };
    auto ban = [&](const index* first, const index* last) {
      for (; first != last; ++first) {
        if (!banned[*first]) banned[*first] = 1, log.push_back(*first);
      }
    };

    stack.push_back(pending{0, 0, 0, -infinity});
    prices.insert(prices.end(), price.begin(), price.end());
    bool stopped = false;
    while (!stack.empty()) {
      const pending p = stack.back();
      stack.pop_back();
      price.assign(prices.begin() + static_cast<std::ptrdiff_t>(stack.size() * k_),
                   prices.begin() + static_cast<std::ptrdiff_t>((stack.size() + 1) * k_));
      prices.resize(stack.size() * k_, {});
      if (prunes(p.bound)) {  // the incumbent improved since this node was made
        note_pruned(p.bound);
        continue;
      }
      if (nodes_ >= opt_.node_limit ||
          ((nodes_ & 15u) == 0 && opt_.time_limit_seconds < infinity && clock_.seconds() > opt_.time_limit_seconds)) {
        stack.push_back(p);  // still open: it counts in the bound
        stopped = true;
        break;
      }
      ++nodes_;
      undo_to(p.log_mark);
      ban(pool.data() + p.first, pool.data() + p.last);
      pool.resize(p.first, {});

      bound_node(banned, price, e);
      if (e.value == infinity) continue;
      if (prunes(e.value)) {
        note_pruned(e.value);
        continue;
      }
      bool meets = true;
      for (index r = 0; r < k_ && meets; ++r) meets = e.slope[r] <= 0.0;
      if (e.split == n_ && meets) {
        // The LP point is a plan: offered, it closes the node when it matches the bound.
        offer_open(e.x);
        if (prunes(e.value)) {
          note_pruned(e.value);
          continue;
        }
      } else if ((nodes_ & 15u) == 1u || !found_) {
        try_heuristic(e.x);
      }
      // Reduced-cost fixing for the subtree.
      for (index r = 0; r < k_; ++r) lambda[r] = r == keep_ ? e.keep_price : price[r];
      fix_by_reduced_cost(e.value, lambda, banned, &log);
      const index mark = log.size();

      // Strong branching over the LP's mixed pairs: the split whose weaker
      // child bounds highest (its children's bounds come with it).
      double best_score = -infinity, best_other = -infinity, bounds[2] = {0.0, 0.0};
      bool any = false;
      auto consider = [&](index c, index oa, index ob) {
        if (oa == ob || !split_class(banned, c, oa, ob, sides[0], sides[1])) return;
        double v[2];
        for (int t = 0; t < 2; ++t) {
          ban(sides[t].data(), sides[t].data() + sides[t].size());
          probe_price = price;
          probing_ = true;
          bound_node(banned, probe_price, probe);
          probing_ = false;
          undo_to(mark);
          v[t] = std::max(probe.value, e.value);
        }
        const double lo = std::min(v[0], v[1]), hi = std::max(v[0], v[1]);
        if (!any || lo > best_score || (lo == best_score && hi > best_other)) {
          any = true;
          best_score = lo, best_other = hi;
          bounds[0] = v[0], bounds[1] = v[1];
          best_sides[0] = sides[0];
          best_sides[1] = sides[1];
        }
      };
      pairs = pairs_;  // probes overwrite pairs_
      // A constant evaluation probes fewer candidates: each costs compile time.
      index candidates = 0;
      index most = pairs.size();
      if (std::is_constant_evaluated()) most = 1;
      for (index i = 0; i < pairs.size() && candidates < most; ++i) {
        bool seen = false;
        for (index j = 0; j < i && !seen; ++j) seen = pairs[j].cls == pairs[i].cls;
        if (!seen) consider(pairs[i].cls, pairs[i].a, pairs[i].b), ++candidates;
      }
      if (!any) {
        // No mixed pair: the class of largest regret, between its two best options.
        double top = -1.0;
        index bc = n_, o1 = 0, o2 = 0;
        for (index c = 0; c < n_; ++c) {
          double r1 = infinity, r2 = infinity;
          index b1 = 0, b2 = 0;
          for (index o = first_[c]; o < first_[c + 1]; ++o) {
            if (banned[o]) continue;
            const double red = reduced(lambda, o);
            if (red < r1) {
              r2 = r1, b2 = b1, r1 = red, b1 = o;
            } else if (red < r2) {
              r2 = red, b2 = o;
            }
          }
          if (r2 < infinity && r2 - r1 > top) top = r2 - r1, bc = c, o1 = b1, o2 = b2;
        }
        if (bc == n_) continue;  // every class decided: the LP point was the plan
        consider(bc, o1, o2);
        if (!any) continue;
      }
      // The weaker child first on the stack, so the stronger one is explored
      // next; its ban list goes last in the pool, which unwinds with the stack.
      const int second = bounds[0] <= bounds[1] ? 0 : 1;
      for (const int t : {1 - second, second}) {
        const index first = pool.size();
        pool.insert(pool.end(), best_sides[t].begin(), best_sides[t].end());
        stack.push_back(pending{mark, first, pool.size(), bounds[t]});
        prices.insert(prices.end(), price.begin(), price.end());
      }
    }
    if (!stopped) return finish_exhausted();
    search_result r;
    r.status = alloc::status::limit;
    double lb = std::min(ub_, pruned_min_);
    for (const pending& q : stack) lb = std::min(lb, q.bound);
    r.bound = std::min(ub_, std::max(root_bound_, lb));
    return r;
  }
};

}  // namespace mixq::alloc::detail
