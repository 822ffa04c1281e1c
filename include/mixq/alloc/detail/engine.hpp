#pragma once
// The exact search over classes of layers: a multiple-choice knapsack with
// one capacity row per budget.
//
//   1. Reduction: dominated options, options no plan can afford, classes left
//      with one option, rows no plan can exceed.
//   2. Bound of a node: its LP relaxation, solved exactly by a dual simplex
//      over the budget rows alone (each class's convexity row is handled
//      implicitly by its key option: generalized upper bounding), with a
//      long-step ratio test that flips whole classes past their breakpoints.
//      A child starts from its parent's basis and takes a few pivots. The
//      bound reported is the Lagrangian value at the simplex's prices, valid
//      whatever state the basis is in.
//   3. Incumbent: a greedy that repairs an LP point into the budgets, then
//      spends what is left by gain per unit of capacity.
//   4. Reduced-cost fixing against the incumbent, at the root (in rounds,
//      each followed by the reductions it enables) and for each node's
//      subtree.
//   5. Best-first branch and bound. A node splits one class between the two
//      options its LP mixes most: one child keeps the lighter options, the
//      other the heavier. Strong branching picks the class whose children's
//      bound gains have the largest product (without a mixed class: the class
//      of largest regret). The open node of least bound goes next; past a
//      cap on open nodes, new ones are explored depth-first, so memory stays
//      bounded. The search stops when no open node's bound is below the
//      incumbent.
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

  // ------------------------------------------------------------ LP bound
  // The LP relaxation of the open classes: one convexity row per class, one
  // capacity row per budget. Each class has one basic option, its key; the
  // other k_ basic variables ("extras", one per slot) are options or the
  // surplus of a row. With the keys eliminated the LP has k_ rows, and its
  // basis is the k_ x k_ matrix W whose columns are the extras' weights minus
  // their keys' (a surplus: a unit column). A dual simplex keeps every
  // option's reduced cost >= 0 (the key is the cheapest option of its class
  // at the prices pi) and repairs the extras and keys that leave [0, 1] or
  // are banned while positive. Whatever the basis, the bound reported is the
  // Lagrangian value at pi >= 0: valid for any prices.

  // The scaled model: rows divided by their capacity, so that every row and
  // the fractions of options share one scale.
  index options_ = 0;         ///< open options
  std::vector<double> s_;     ///< objective per option
  std::vector<double> w_;     ///< r * options_ + option: weight in row r / norm_[r]
  std::vector<double> room_;  ///< per row: (capacity + slack) / norm_[r]
  std::vector<index> ocls_;   ///< option -> open class
  double most_ = 0.0;         ///< no plan of the open classes has a larger objective

  // The basis. An extra is an option, or options_ + r for the surplus of row r.
  std::vector<index> key_, ext_;
  std::vector<unsigned char> basic_;  ///< per option: key or extra
  std::vector<double> pi_;            ///< prices of the rows (scaled)
  std::vector<double> beta_;          ///< values of the extras
  std::vector<double> winv_;          ///< W^-1, row-major
  std::vector<double> wsum_;          ///< per row: total weight of the keys
  std::vector<double> red_;           ///< per option: objective + pi . weights
  bool lp_optimal_ = false;           ///< the basis is primal feasible: its point solves the LP

  // Scratch of the dual simplex.
  std::vector<double> t_, fac_, rho_, ray_price_, ext_sum_;
  std::vector<index> ext_class_, version_;
  struct candidate {
    index var;
    double a, d;  ///< |pivot entry|, reduced cost
  };
  std::vector<candidate> cand_;
  struct breakpoint {
    double step;
    index var, version;
    double a;
  };
  std::vector<breakpoint> heap_;

  static constexpr double primal_tol = 1e-9;
  static constexpr double pivot_tol = 1e-9;
  static constexpr index probe_pivot_limit = 16;

  constexpr double wt(index o, index r) const noexcept { return w_[r * options_ + o]; }
  constexpr index surplus(index r) const noexcept { return options_ + r; }
  constexpr bool is_surplus(index var) const noexcept { return var >= options_; }
  constexpr double dual_tol() const noexcept { return 1e-13 * (scale_ + 1e-300); }
  constexpr index root_pivot_limit() const noexcept { return 8 * options_ + 64; }
  constexpr index node_pivot_limit() const noexcept { return 2 * options_ + 32; }

  /// The scaled model of the open classes, after each reduction.
  constexpr void prepare_lp() {
    options_ = first_[n_];
    s_.resize(options_, {});
    w_.resize(options_ * k_, {});
    room_.resize(k_, {});
    ocls_.resize(options_, {});
    most_ = base_;
    for (index c = 0; c < n_; ++c) {
      double top = 0.0;
      for (index o = first_[c]; o < first_[c + 1]; ++o) {
        ocls_[o] = c;
        s_[o] = val(o, 0);
        top = std::max(top, s_[o]);
        for (index r = 0; r < k_; ++r) w_[r * options_ + o] = val(o, r + 1) / norm_[r];
      }
      most_ += top;
    }
    for (index r = 0; r < k_; ++r) room_[r] = (cap_[r] + slack_[r]) / norm_[r];
    key_.resize(n_, {});
    ext_.resize(k_, {});
    basic_.assign(options_, 0);
    pi_.assign(k_, 0.0);
    beta_.assign(k_, 0.0);
    winv_.assign(k_ * k_, 0.0);
    wsum_.assign(k_, 0.0);
    red_.resize(options_, {});
    t_.resize(options_, {});
    ext_sum_.assign(n_, 0.0);
    ext_class_.clear();
    version_.assign(n_, 0);
  }

  /// The basis of prices 0: each class keys its least-objective option, every
  /// row's surplus is basic. Dual feasible by construction.
  constexpr void crash() {
    for (index c = 0; c < n_; ++c) {
      index best = first_[c];
      for (index o = first_[c] + 1; o < first_[c + 1]; ++o) {
        if (s_[o] < s_[best] || (s_[o] == s_[best] && preferred(o, best))) best = o;
      }
      key_[c] = best;
    }
    for (index r = 0; r < k_; ++r) ext_[r] = surplus(r);
    mark_basic();
  }

  constexpr void mark_basic() {
    std::fill(basic_.begin(), basic_.end(), static_cast<unsigned char>(0));
    for (index c = 0; c < n_; ++c) basic_[key_[c]] = 1;
    for (const index e : ext_) {
      if (!is_surplus(e)) basic_[e] = 1;
    }
  }

  /// W^-1 and the extras' values. False when W is singular.
  constexpr bool factor_w() {
    const index m = k_;
    fac_.assign(m * m, 0.0);
    for (index i = 0; i < m; ++i) {
      const index e = ext_[i];
      if (is_surplus(e)) {
        fac_[(e - options_) * m + i] = 1.0;
      } else {
        const index key = key_[ocls_[e]];
        for (index r = 0; r < m; ++r) fac_[r * m + i] = wt(e, r) - wt(key, r);
      }
    }
    // Gauss-Jordan with partial pivoting: fac_ becomes I, winv_ W^-1.
    for (index i = 0; i < m * m; ++i) winv_[i] = 0.0;
    for (index i = 0; i < m; ++i) winv_[i * m + i] = 1.0;
    for (index col = 0; col < m; ++col) {
      index piv = col;
      for (index r = col + 1; r < m; ++r) {
        if (abs(fac_[r * m + col]) > abs(fac_[piv * m + col])) piv = r;
      }
      const double p = fac_[piv * m + col];
      if (!(abs(p) > 1e-12)) return false;
      if (piv != col) {
        for (index j = 0; j < m; ++j) {
          std::swap(fac_[piv * m + j], fac_[col * m + j]);
          std::swap(winv_[piv * m + j], winv_[col * m + j]);
        }
      }
      for (index j = 0; j < m; ++j) fac_[col * m + j] /= p, winv_[col * m + j] /= p;
      for (index r = 0; r < m; ++r) {
        const double f = fac_[r * m + col];
        if (r == col || f == 0.0) continue;
        for (index j = 0; j < m; ++j) fac_[r * m + j] -= f * fac_[col * m + j], winv_[r * m + j] -= f * winv_[col * m + j];
      }
    }
    update_beta();
    return true;
  }

  /// The extras' values: W^-1 (room - the keys' weights).
  constexpr void update_beta() {
    const index m = k_;
    for (index i = 0; i < m; ++i) {
      double b = 0.0;
      for (index r = 0; r < m; ++r) b += winv_[i * m + r] * (room_[r] - wsum_[r]);
      beta_[i] = b;
    }
  }

  constexpr void sum_keys() {
    for (index r = 0; r < k_; ++r) wsum_[r] = 0.0;
    for (index c = 0; c < n_; ++c) {
      for (index r = 0; r < k_; ++r) wsum_[r] += wt(key_[c], r);
    }
  }

  /// y += f * (row r's weights), over every option.
  constexpr void axpy(double f, index r, std::vector<double>& y) const noexcept {
    const double* w = w_.data() + r * options_;
    double* out = y.data();
    for (index o = 0; o < options_; ++o) out[o] += f * w[o];
  }

  constexpr void update_reduced() {
    std::copy(s_.begin(), s_.end(), red_.begin());
    for (index r = 0; r < k_; ++r) axpy(pi_[r], r, red_);
  }

  /// Everything from the keys and extras: W^-1, values, prices (the extras'
  /// reduced costs are 0) and reduced objectives. The basis of prices 0 when
  /// W is singular.
  constexpr void refactor() {
    sum_keys();
    if (!factor_w()) {
      crash();
      sum_keys();
      factor_w();
    }
    const index m = k_;
    for (index r = 0; r < m; ++r) {
      double p = 0.0;
      for (index i = 0; i < m; ++i) {
        const index e = ext_[i];
        if (!is_surplus(e)) p -= winv_[i * m + r] * (s_[e] - s_[key_[ocls_[e]]]);
      }
      pi_[r] = p;
    }
    update_reduced();
  }

  /// The Lagrangian bound at the prices: base + per class the least reduced
  /// objective - pi . room. A price below 0 (rounding) counts as 0, on a
  /// copy: the basis keeps its own.
  constexpr double price_bound(const std::vector<unsigned char>& banned) {
    const bool clamp = std::any_of(pi_.begin(), pi_.end(), [](double p) { return p < 0.0; });
    const std::vector<double>* red = &red_;
    if (clamp) {
      std::copy(s_.begin(), s_.end(), t_.begin());
      for (index r = 0; r < k_; ++r) axpy(std::max(pi_[r], 0.0), r, t_);
      red = &t_;
    }
    double g = base_;
    for (index r = 0; r < k_; ++r) g -= std::max(pi_[r], 0.0) * room_[r];
    for (index c = 0; c < n_; ++c) {
      double least = infinity;
      for (index o = first_[c]; o < first_[c + 1]; ++o) {
        if (!banned[o] && (*red)[o] < least) least = (*red)[o];
      }
      g += least;
    }
    return g;
  }

  /// The dual objective of the basis: no more than the Lagrangian bound.
  constexpr double dual_value() const {
    double dual = base_;
    for (index r = 0; r < k_; ++r) dual -= pi_[r] * room_[r];
    for (index c = 0; c < n_; ++c) dual += red_[key_[c]];
    return dual;
  }

  /// Whether even the lightest options left overrun a row: no plan.
  constexpr bool overruns(const std::vector<unsigned char>& banned) const {
    for (index r = 0; r < k_; ++r) {
      double least = 0.0;
      for (index c = 0; c < n_; ++c) {
        double lo = infinity;
        for (index o = first_[c]; o < first_[c + 1]; ++o) {
          if (!banned[o]) lo = std::min(lo, wt(o, r));
        }
        least += lo;
      }
      if (least > room_[r]) return true;
    }
    return false;
  }

  /// Per class with extras (ext_class_): their total value (ext_sum_).
  constexpr void sum_extras() {
    for (const index c : ext_class_) ext_sum_[c] = 0.0;
    ext_class_.clear();
    for (index i = 0; i < k_; ++i) {
      const index e = ext_[i];
      if (is_surplus(e)) continue;
      const index c = ocls_[e];
      if (std::find(ext_class_.begin(), ext_class_.end(), c) == ext_class_.end()) ext_class_.push_back(c);
      ext_sum_[c] += beta_[i];
    }
  }

  /// Whether an entering variable can instead become its class's key: an
  /// option of a class without extras.
  constexpr bool flippable(index var) const {
    if (is_surplus(var)) return false;
    const index c = ocls_[var];
    for (const index e : ext_) {
      if (!is_surplus(e) && ocls_[e] == c) return false;
    }
    return true;
  }

  /// The dual simplex from the current basis: at most `limit` pivots,
  /// stopping early once the dual objective reaches `enough`. Returns the
  /// bound, infinity when the options left hold no plan; sets lp_optimal_
  /// when the basis is primal feasible.
  constexpr double solve_lp(const std::vector<unsigned char>& banned, index limit, double enough) {
    const index m = k_;
    lp_optimal_ = false;
    index since_refactor = 0;
    for (index pivot = 0;; ++pivot) {
      // The most infeasible basic variable: an extra below 0 or banned above
      // 0, or a key (1 - its class's extras) likewise.
      sum_extras();
      double worst = primal_tol;
      index leave = m, leave_class = n_;
      for (index i = 0; i < m; ++i) {
        const double x = beta_[i];
        const double bad = x < 0.0 ? -x : (!is_surplus(ext_[i]) && banned[ext_[i]] ? x : 0.0);
        if (bad > worst) worst = bad, leave = i, leave_class = n_;
      }
      for (index c = 0; c < n_; ++c) {
        const double x = 1.0 - ext_sum_[c];
        const double bad = x < 0.0 ? -x : (banned[key_[c]] ? x : 0.0);
        if (bad > worst) worst = bad, leave = m, leave_class = c;
      }
      if (leave == m && leave_class == n_) {
        lp_optimal_ = true;
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
          const index e = ext_[i];
          if (is_surplus(e) || ocls_[e] != c) continue;
          if (swap == m || (banned[ext_[swap]] && !banned[e]) ||
              (banned[ext_[swap]] == banned[e] && beta_[i] > beta_[swap])) {
            swap = i;
          }
        }
        if (swap == m) {
          // No extras: the banned key gives way to its class's cheapest allowed option.
          index best = options_;
          for (index o = first_[c]; o < first_[c + 1]; ++o) {
            if (!banned[o] && (best == options_ || red_[o] < red_[best])) best = o;
          }
          if (best == options_) return infinity;
          basic_[key_[c]] = 0;
          basic_[best] = 1;
          for (index r = 0; r < m; ++r) wsum_[r] += wt(best, r) - wt(key_[c], r);
          key_[c] = best;
          update_beta();
          continue;
        }
        const index old = key_[c];
        key_[c] = ext_[swap];
        ext_[swap] = old;
        for (index r = 0; r < m; ++r) wsum_[r] += wt(key_[c], r) - wt(old, r);
        if (!factor_w()) {
          refactor();
          continue;
        }
        leave = swap;
        const double x = beta_[leave];
        if (!(x < -primal_tol || (banned[old] && x > primal_tol))) continue;
      }

      // Row `leave` of W^-1 prices the move; sign +1 raises the extra, -1 lowers it.
      const double sign = beta_[leave] < 0.0 ? 1.0 : -1.0;
      rho_.assign(winv_.begin() + static_cast<std::ptrdiff_t>(leave * m),
                  winv_.begin() + static_cast<std::ptrdiff_t>((leave + 1) * m));
      std::fill(t_.begin(), t_.end(), 0.0);
      for (index r = 0; r < m; ++r) axpy(rho_[r], r, t_);
      // Ratio test (two passes, Harris): the largest step keeping every
      // reduced cost >= -tolerance, then the largest pivot within it. A
      // reduced cost below 0 (rounding) counts as 0.
      const double dtol = dual_tol();
      double bound_step = infinity;
      cand_.clear();
      for (index c = 0; c < n_; ++c) {
        const index key = key_[c];
        const double tk = t_[key], rk = red_[key];
        for (index o = first_[c]; o < first_[c + 1]; ++o) {
          const double a = sign * (t_[o] - tk);
          if (a >= -pivot_tol || basic_[o] || banned[o]) continue;
          const double d = std::max(red_[o] - rk, 0.0);
          bound_step = std::min(bound_step, (d + dtol) / -a);
          cand_.push_back({o, -a, d});
        }
      }
      for (index r = 0; r < m; ++r) {
        if (std::find(ext_.begin(), ext_.end(), surplus(r)) != ext_.end()) continue;
        const double a = sign * rho_[r];
        if (a >= -pivot_tol) continue;
        const double d = std::max(pi_[r], 0.0);
        bound_step = std::min(bound_step, (d + dtol) / -a);
        cand_.push_back({surplus(r), -a, d});
      }
      if (bound_step == infinity) return ray_bound(banned, sign);
      index enter = options_ + m;
      double enter_a = 0.0, enter_d = 0.0;
      for (const candidate& q : cand_) {
        if (q.d / q.a <= bound_step && q.a > enter_a) enter = q.var, enter_a = q.a, enter_d = q.d;
      }
      if (enter == options_ + m) break;  // unreachable: the least ratio qualifies
      double step = enter_d / enter_a;
      const double infeasibility = sign * -beta_[leave];
      if (flippable(enter) && infeasibility - enter_a > primal_tol) {
        step = long_step(banned, sign, infeasibility, enter);
        if (enter == options_ + m) return ray_bound(banned, sign);
      }
      for (index r = 0; r < m; ++r) pi_[r] += step * sign * rho_[r];
      for (index o = 0; o < options_; ++o) red_[o] += step * sign * t_[o];
      const index out = ext_[leave];
      if (!is_surplus(out)) basic_[out] = 0;
      if (!is_surplus(enter)) basic_[enter] = 1;
      ext_[leave] = enter;
      if (!factor_w()) refactor(), since_refactor = 0;
    }
    const double g = price_bound(banned);
    if (g > most_ + 1e-9 * abs(most_)) return infinity;
    return g;
  }

  /// The long step (the GUB form of bound flipping): past each breakpoint
  /// where an option of a class without extras becomes the cheapest, that
  /// option becomes the key (its class flips whole), as long as the leaving
  /// variable stays infeasible; the first breakpoint that would end its
  /// infeasibility enters the basis. Returns the step and sets `enter`
  /// (options_ + k_ when none: the LP has no feasible point; the prices then
  /// stand at the last breakpoint).
  constexpr double long_step(const std::vector<unsigned char>& banned, double sign, double infeasibility,
                             index& enter) {
    const index m = k_;
    constexpr auto later = [](const breakpoint& x, const breakpoint& y) { return x.step > y.step; };
    heap_.clear();
    for (const candidate& q : cand_) {
      heap_.push_back({q.d / q.a, q.var, is_surplus(q.var) ? 0 : version_[ocls_[q.var]], q.a});
    }
    std::make_heap(heap_.begin(), heap_.end(), later);
    double step = 0.0;
    enter = options_ + m;
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      const breakpoint b = heap_.back();
      heap_.pop_back();
      if (!is_surplus(b.var) && (b.version != version_[ocls_[b.var]] || basic_[b.var])) continue;  // stale
      step = std::max(step, b.step);
      if (!flippable(b.var) || !(infeasibility - b.a > primal_tol)) {
        enter = b.var;
        break;
      }
      // Class c flips whole from its key to b.var; its other options'
      // breakpoints now count from the new key.
      infeasibility -= b.a;
      const index c = ocls_[b.var], old = key_[c], o = b.var;
      basic_[old] = 0;
      basic_[o] = 1;
      key_[c] = o;
      for (index r = 0; r < m; ++r) wsum_[r] += wt(o, r) - wt(old, r);
      const index v = ++version_[c];
      for (index q = first_[c]; q < first_[c + 1]; ++q) {
        if (q == o || banned[q]) continue;
        const double slope = sign * (t_[q] - t_[o]);
        if (!(slope < -pivot_tol)) continue;
        heap_.push_back({std::max((red_[q] - red_[o]) / -slope, step), q, v, -slope});
        std::push_heap(heap_.begin(), heap_.end(), later);
      }
    }
    if (enter == options_ + m) {
      for (index r = 0; r < m; ++r) pi_[r] += step * sign * rho_[r];
      for (index o = 0; o < options_; ++o) red_[o] += step * sign * t_[o];
      update_beta();
    }
    return step;
  }

  /// No variable can enter: the LP has no feasible point. The prices far out
  /// along the ray prove it with a bound above any plan's objective (or, at
  /// least, above the incumbent).
  constexpr double ray_bound(const std::vector<unsigned char>& banned, double sign) {
    if (overruns(banned)) return infinity;
    const index m = k_;
    const double dual = dual_value();
    double infeasibility = 0.0;
    for (index i = 0; i < m; ++i) infeasibility = std::max(infeasibility, abs(beta_[i]));
    const double target = (found_ ? std::max(ub_, most_) : most_) - dual;
    const double far = 4.0 * (abs(target) + 1e-9 * (scale_ + 1.0)) / std::max(infeasibility, primal_tol);
    ray_price_.resize(m, {});
    for (index r = 0; r < m; ++r) ray_price_[r] = std::max(0.0, pi_[r] + far * sign * rho_[r]);
    double g = base_;
    for (index r = 0; r < m; ++r) g -= ray_price_[r] * room_[r];
    for (index c = 0; c < n_; ++c) {
      double least = infinity;
      for (index o = first_[c]; o < first_[c + 1]; ++o) {
        if (banned[o]) continue;
        double v = s_[o];
        for (index r = 0; r < m; ++r) v += ray_price_[r] * wt(o, r);
        least = std::min(least, v);
      }
      g += least;
    }
    if (g > most_ + 1e-9 * abs(most_)) return infinity;
    return std::max(g, price_bound(banned));
  }

  /// The LP point: per class, its option of largest value (`a`). Returns
  /// whether every class takes one option whole; `fractional` gets the
  /// classes that mix options.
  constexpr bool lp_point(std::vector<index>& a, std::vector<index>& fractional) {
    sum_extras();
    a.resize(n_, {});
    fractional.clear();
    for (index c = 0; c < n_; ++c) a[c] = key_[c];
    for (const index c : ext_class_) {
      double top = 1.0 - ext_sum_[c];
      bool mixed = top > primal_tol && top < 1.0 - primal_tol;
      for (index i = 0; i < k_; ++i) {
        const index e = ext_[i];
        if (is_surplus(e) || ocls_[e] != c) continue;
        mixed = mixed || (beta_[i] > primal_tol && beta_[i] < 1.0 - primal_tol);
        if (beta_[i] > top) top = beta_[i], a[c] = e;
      }
      if (mixed) fractional.push_back(c);
    }
    return fractional.empty();
  }

  /// The two options of class c the LP takes most (after lp_point()).
  constexpr void mixed_pair(index c, index& first, index& second) const {
    double v1 = 1.0 - ext_sum_[c], v2 = -infinity;
    first = key_[c];
    second = key_[c];
    for (index i = 0; i < k_; ++i) {
      const index e = ext_[i];
      if (is_surplus(e) || ocls_[e] != c) continue;
      if (beta_[i] > v1) {
        v2 = v1, second = first, v1 = beta_[i], first = e;
      } else if (beta_[i] > v2) {
        v2 = beta_[i], second = e;
      }
    }
  }

  /// Bans what cannot be in a plan better than the incumbent by more than
  /// the tolerance: options whose reduced cost lifts `lagrangian` (the bound
  /// at the current prices) that far. Appends them to `log` when given.
  constexpr bool fix_by_reduced_cost(double lagrangian, std::vector<unsigned char>& banned,
                                     std::vector<index>* log) {
    if (!found_) return false;
    bool any = false;
    for (index c = 0; c < n_; ++c) {
      double least = infinity;
      for (index o = first_[c]; o < first_[c + 1]; ++o) {
        if (!banned[o]) least = std::min(least, red_[o]);
      }
      for (index o = first_[c]; o < first_[c + 1]; ++o) {
        if (banned[o] || basic_[o]) continue;
        const double b = lagrangian + (red_[o] - least);
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

  /// What a strong-branching probe changes and restores.
  struct lp_state {
    std::vector<index> key, ext;
    std::vector<unsigned char> basic;
    std::vector<double> pi, beta, winv, wsum, red;
    bool optimal = false;
  };

  constexpr void save(lp_state& s) const {
    s.key = key_, s.ext = ext_, s.basic = basic_;
    s.pi = pi_, s.beta = beta_, s.winv = winv_, s.wsum = wsum_, s.red = red_;
    s.optimal = lp_optimal_;
  }
  constexpr void restore(const lp_state& s) {
    key_ = s.key, ext_ = s.ext, basic_ = s.basic;
    pi_ = s.pi, beta_ = s.beta, winv_ = s.winv, wsum_ = s.wsum, red_ = s.red;
    lp_optimal_ = s.optimal;
  }

  // ------------------------------------------------------------------ root
  constexpr search_result finish_exhausted() const {
    search_result r;
    if (!found_) return r;
    r.status = alloc::status::optimal;
    r.bound = std::min(ub_, std::max(root_bound_, pruned_min_));
    return r;
  }

  double root_lp_ = -infinity;

  /// The basis in merged option ids (a surplus: ~its spec row), to carry it over a rebuild.
  constexpr void save_basis(std::vector<index>& keys, std::vector<index>& extras) const {
    keys.assign(ct_.count, no_option);
    for (index c = 0; c < n_; ++c) keys[cls_[c]] = id_[key_[c]];
    extras.clear();
    for (const index e : ext_) extras.push_back(is_surplus(e) ? ~row_[e - options_] : id_[e]);
  }

  /// The saved basis in the rebuilt model; false when it no longer fits.
  constexpr bool load_basis(const std::vector<index>& keys, const std::vector<index>& extras) {
    std::vector<index> local(ct_.merged_count(), no_option);
    for (index o = 0; o < options_; ++o) local[id_[o]] = o;
    for (index c = 0; c < n_; ++c) {
      const index k = keys[cls_[c]];
      if (k == no_option || local[k] == no_option) return false;
      key_[c] = local[k];
    }
    index slot = 0;
    for (const index e : extras) {
      index var = no_option;
      if (e >= ct_.merged_count()) {
        for (index r = 0; r < k_; ++r) {
          if (row_[r] == ~e) var = surplus(r);
        }
        if (var == no_option) continue;  // its row is gone
      } else {
        var = local[e];
        if (var == no_option) return false;
      }
      if (slot == k_) return false;
      ext_[slot++] = var;
    }
    if (slot != k_) return false;
    mark_basic();
    return true;
  }

  constexpr search_result solve_root_and_search() {
    if (!reduce()) return finish_exhausted();
    std::vector<index> keys, extras, a, fractional;
    bool carried = false;
    for (int round = 0;; ++round) {
      if (n_ == 0) {
        offer(decided_);
        return finish_exhausted();
      }
      prepare_lp();
      if (!(carried && load_basis(keys, extras))) crash();
      refactor();
      const std::vector<unsigned char> none(options_, 0);
      const double bound = solve_lp(none, root_pivot_limit(), infinity);
      if (bound == infinity) return finish_exhausted();
      if (lp_point(a, fractional)) {
        offer_open(a);
      } else {
        try_heuristic(a);
      }
      // Later rounds bound only what fixing left: a bound on those plans alone.
      if (round == 0) root_bound_ = bound;
      if (prunes(bound)) {
        note_pruned(bound);
        return finish_exhausted();
      }
      root_lp_ = bound;
      if (!found_ || round == 3) break;
      // Reduced-cost fixing against the incumbent, then the reductions it enables.
      std::vector<unsigned char> banned(options_, 0);
      if (!fix_by_reduced_cost(bound, banned, nullptr)) break;
      save_basis(keys, extras);
      carried = true;
      std::vector<unsigned char> keep(options_, 1), rows(k_, 1);
      for (index o = 0; o < options_; ++o) keep[o] = banned[o] ? 0 : 1;
      bool changed = false;
      if (!rebuild(keep, rows, changed) || !reduce()) return finish_exhausted();
    }
    return branch_and_bound();
  }

  // ---------------------------------------------------- branch and bound
  /// Splits class c between options a and b, which the LP mixes: one child
  /// keeps the options no heavier than the lighter of the two in the row
  /// that prices their difference most, the other the rest. Fills what each
  /// child bans; false when that does not split the class.
  constexpr bool split_class(const std::vector<unsigned char>& banned, index c, index a, index b,
                             std::vector<index>& left_bans, std::vector<index>& right_bans) const {
    index row = k_;
    double most = -1.0;
    for (index r = 0; r < k_; ++r) {
      const double diff = abs(wt(a, r) - wt(b, r));
      if (diff == 0.0) continue;
      const double weight = std::max(pi_[r], 0.0) * diff;
      if (weight > most) most = weight, row = r;
    }
    if (row == k_) return false;
    const double at = std::min(wt(a, row), wt(b, row));
    left_bans.clear();
    right_bans.clear();
    for (index o = first_[c]; o < first_[c + 1]; ++o) {
      if (banned[o]) continue;
      (wt(o, row) > at ? left_bans : right_bans).push_back(o);
    }
    return !left_bans.empty() && !right_bans.empty();
  }

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

  constexpr search_result branch_and_bound() {
    std::vector<unsigned char> banned(options_, 0);
    std::vector<index> applied, log, a, fractional, pairs, fixed;
    std::vector<index> sides[2], best_sides[2];
    lp_state parent;
    search_tree t;
    const index basis_size = n_ + k_;
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

    t.bases.insert(t.bases.end(), key_.begin(), key_.end());
    t.bases.insert(t.bases.end(), ext_.begin(), ext_.end());
    t.nodes.push_back(tree_node{no_option, 0, 0, root_lp_, 0});
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
      if (prunes(node.bound)) {
        note_pruned(node.bound);
        if (!deep) t.heap.clear();  // no open node bounds lower
        continue;
      }
      if (nodes_ >= opt_.node_limit ||
          ((nodes_ & 15u) == 0 && opt_.time_limit_seconds < infinity && clock_.seconds() > opt_.time_limit_seconds)) {
        t.heap.push_back(x);  // still open: it counts in the bound
        stopped = true;
        break;
      }
      ++nodes_;
      // The node's bans: every segment on its path to the root.
      for (const index o : applied) banned[o] = 0;
      applied.clear();
      for (index v = x; v != no_option; v = t.nodes[v].parent) {
        ban(t.pool.data() + t.nodes[v].first, t.pool.data() + t.nodes[v].last, applied);
      }
      // Its parent's basis, unless that is the current one.
      const auto keys = t.bases.begin() + static_cast<std::ptrdiff_t>(node.basis);
      const auto exts = keys + static_cast<std::ptrdiff_t>(n_);
      const auto end = exts + static_cast<std::ptrdiff_t>(k_);
      if (!(std::equal(keys, exts, key_.begin()) && std::equal(exts, end, ext_.begin()))) {
        std::copy(keys, exts, key_.begin());
        std::copy(exts, end, ext_.begin());
        mark_basic();
        refactor();
      }
      const double enough = found_ ? ub_ - tol() : infinity;
      const double lagrangian = solve_lp(banned, node_pivot_limit(), enough);
      if (lagrangian == infinity) continue;
      const double bound = std::max(lagrangian, node.bound);
      if (prunes(bound)) {
        note_pruned(bound);
        continue;
      }
      const bool integral = lp_point(a, fractional);
      if (lp_optimal_ && integral) {
        // The LP point is a plan: offered, it closes the node when it matches the bound.
        offer_open(a);
        if (prunes(bound)) {
          note_pruned(bound);
          continue;
        }
      } else if (nodes_ % 4 == 1 || !found_) {
        try_heuristic(a);
      }
      // Reduced-cost fixing for the subtree: from the Lagrangian value at
      // the prices the reduced costs belong to, not the (maybe higher) bound.
      fixed.clear();
      fix_by_reduced_cost(lagrangian, banned, &fixed);
      applied.insert(applied.end(), fixed.begin(), fixed.end());

      // Strong branching over the classes the LP mixes: the split whose
      // children's gains have the largest product (their bounds come with it).
      double best_score = -infinity, best_other = -infinity, bounds[2] = {0.0, 0.0};
      bool any = false;
      save(parent);
      auto consider = [&](index c, index oa, index ob) {
        if (oa == ob || !split_class(banned, c, oa, ob, sides[0], sides[1])) return;
        double v[2];
        for (int side = 0; side < 2; ++side) {
          log.clear();
          ban(sides[side].data(), sides[side].data() + sides[side].size(), log);
          v[side] = std::max(solve_lp(banned, probe_pivot_limit, enough), bound);
          for (const index o : log) banned[o] = 0;
          restore(parent);
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
        mixed_pair(fractional[i], oa, ob);
        pairs.push_back(oa), pairs.push_back(ob);
      }
      for (index i = 0; i < most; ++i) consider(fractional[i], pairs[2 * i], pairs[2 * i + 1]);
      if (!any) {
        // No mixed class: the class of largest regret, between its two best options.
        double top = -1.0;
        index bc = n_, o1 = 0, o2 = 0;
        for (index c = 0; c < n_; ++c) {
          double r1 = infinity, r2 = infinity;
          index b1 = 0, b2 = 0;
          for (index o = first_[c]; o < first_[c + 1]; ++o) {
            if (banned[o]) continue;
            if (red_[o] < r1) {
              r2 = r1, b2 = b1, r1 = red_[o], b1 = o;
            } else if (red_[o] < r2) {
              r2 = red_[o], b2 = o;
            }
          }
          if (r2 < infinity && r2 - r1 > top) top = r2 - r1, bc = c, o1 = b1, o2 = b2;
        }
        if (bc == n_) continue;  // every class decided: the LP point was the plan
        consider(bc, o1, o2);
        if (!any) continue;
      }
      // The children start from this node's basis. Depth-first (the child of
      // lower bound on top) once under way or when the heap is full.
      const index basis = t.bases.size();
      t.bases.insert(t.bases.end(), key_.begin(), key_.end());
      t.bases.insert(t.bases.end(), ext_.begin(), ext_.end());
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
        if (prunes(bounds[side])) {
          note_pruned(bounds[side]);
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
    if (!stopped) return finish_exhausted();
    search_result r;
    r.status = alloc::status::limit;
    double lb = std::min(ub_, pruned_min_);
    for (const index q : t.heap) lb = std::min(lb, t.nodes[q].bound);
    for (const index q : t.stack) lb = std::min(lb, t.nodes[q].bound);
    r.bound = std::min(ub_, std::max(root_bound_, lb));
    return r;
  }
};

}  // namespace mixq::alloc::detail
