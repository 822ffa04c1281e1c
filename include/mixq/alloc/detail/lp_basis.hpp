#pragma once
// The state of the LP bound: the LP relaxation of the open classes, scaled,
// with a basis and the prices and reduced costs that go with it. The LP has
// one convexity row per class and one capacity row per budget. Each class
// has one basic option, its key; the other k basic variables ("extras", one
// per slot, k the number of budget rows) are options or the surplus of a
// row. With the keys eliminated the LP has k rows, and its basis is the
// k x k matrix W whose columns are the extras' weights minus their keys' (a
// surplus: a unit column). dual_simplex.hpp moves the basis.

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include <mixq/alloc/detail/model.hpp>
#include <mixq/alloc/detail/open_problem.hpp>

namespace mixq::alloc::detail {

/// The LP of one open problem: its scaled model and a basis, priced.
class lp_basis {
public:
  constexpr index options() const noexcept { return options_; }
  /// Whether the basis is primal feasible after solve(): its point solves the LP.
  constexpr bool optimal() const noexcept { return optimal_; }
  /// Option o's objective plus the prices times its weights.
  constexpr double reduced(index o) const noexcept { return reduced_[o]; }
  constexpr bool is_basic(index o) const noexcept { return basic_[o] != 0; }
  /// The basis: a key option per class and k extras (options, or options() + r for row r's surplus).
  constexpr const std::vector<index>& keys() const noexcept { return key_; }
  constexpr const std::vector<index>& extras() const noexcept { return extra_; }

  /// Whether the basis is the one stored at stored_keys[0, classes) and stored_extras[0, k).
  template <class It>
  constexpr bool holds(It stored_keys, It stored_extras) const {
    return std::equal(key_.begin(), key_.end(), stored_keys) && std::equal(extra_.begin(), extra_.end(), stored_extras);
  }

  /// Starts from a stored basis: copies it, then prices it.
  template <class It>
  constexpr void load(It stored_keys, It stored_extras) {
    std::copy(stored_keys, stored_keys + static_cast<std::ptrdiff_t>(classes_), key_.begin());
    std::copy(stored_extras, stored_extras + static_cast<std::ptrdiff_t>(rows_), extra_.begin());
    mark_basic();
    refactor();
  }

  /// The scaled model of `model`'s open classes; called again after each
  /// reduction of the model. The basis is left to crash() or load_basis().
  constexpr void prepare(const open_problem& model) {
    model_ = &model;
    classes_ = model.classes;
    rows_ = model.rows;
    first_ = model.option_first;
    decided_objective_ = model.decided_objective;
    objective_scale_ = model.objective_scale;
    options_ = model.options();
    objective_.resize(options_, {});
    weight_.resize(options_ * rows_, {});
    room_.resize(rows_, {});
    class_of_.resize(options_, {});
    most_objective_ = decided_objective_;
    for (index c = 0; c < classes_; ++c) {
      double top = 0.0;
      for (index o = first_[c]; o < first_[c + 1]; ++o) {
        class_of_[o] = c;
        objective_[o] = model_->value(o, 0);
        top = std::max(top, objective_[o]);
        for (index r = 0; r < rows_; ++r) weight_[r * options_ + o] = model_->value(o, r + 1) / model_->norm[r];
      }
      most_objective_ += top;
    }
    for (index r = 0; r < rows_; ++r) room_[r] = (model_->capacity[r] + model_->slack[r]) / model_->norm[r];
    key_.resize(classes_, {});
    extra_.resize(rows_, {});
    basic_.assign(options_, 0);
    price_.assign(rows_, 0.0);
    extra_value_.assign(rows_, 0.0);
    w_inverse_.assign(rows_ * rows_, 0.0);
    key_weight_.assign(rows_, 0.0);
    reduced_.resize(options_, {});
    pivot_row_.resize(options_, {});
    extra_total_.assign(classes_, 0.0);
    extra_classes_.clear();
    class_version_.assign(classes_, 0);
  }

  /// The basis of prices 0: each class keys its least-objective option, every
  /// row's surplus is basic. Dual feasible by construction.
  constexpr void crash() {
    for (index c = 0; c < classes_; ++c) {
      index best = first_[c];
      for (index o = first_[c] + 1; o < first_[c + 1]; ++o) {
        if (objective_[o] < objective_[best] || (objective_[o] == objective_[best] && model_->preferred(o, best))) best = o;
      }
      key_[c] = best;
    }
    for (index r = 0; r < rows_; ++r) extra_[r] = surplus(r);
    mark_basic();
  }

  constexpr void mark_basic() {
    std::fill(basic_.begin(), basic_.end(), static_cast<unsigned char>(0));
    for (index c = 0; c < classes_; ++c) basic_[key_[c]] = 1;
    for (const index e : extra_) {
      if (!is_surplus(e)) basic_[e] = 1;
    }
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
    const index m = rows_;
    for (index r = 0; r < m; ++r) {
      double p = 0.0;
      for (index i = 0; i < m; ++i) {
        const index e = extra_[i];
        if (!is_surplus(e)) p -= w_inverse_[i * m + r] * (objective_[e] - objective_[key_[class_of_[e]]]);
      }
      price_[r] = p;
    }
    update_reduced();
  }

  /// What a strong-branching probe changes and restores.
  struct basis_state {
    std::vector<index> key, extra;
    std::vector<unsigned char> basic;
    std::vector<double> price, extra_value, w_inverse, key_weight, reduced;
    bool optimal = false;
  };

  constexpr void save(basis_state& s) const {
    s.key = key_, s.extra = extra_, s.basic = basic_;
    s.price = price_, s.extra_value = extra_value_, s.w_inverse = w_inverse_, s.key_weight = key_weight_;
    s.reduced = reduced_;
    s.optimal = optimal_;
  }
  constexpr void restore(const basis_state& s) {
    key_ = s.key, extra_ = s.extra, basic_ = s.basic;
    price_ = s.price, extra_value_ = s.extra_value, w_inverse_ = s.w_inverse, key_weight_ = s.key_weight;
    reduced_ = s.reduced;
    optimal_ = s.optimal;
  }

  /// The basis in merged option ids (a surplus: ~its spec row), to carry it over a rebuild.
  constexpr void save_basis(std::vector<index>& merged_keys, std::vector<index>& merged_extras) const {
    merged_keys.assign(model_->table->count, no_option);
    for (index c = 0; c < classes_; ++c) merged_keys[model_->class_id[c]] = model_->merged_option[key_[c]];
    merged_extras.clear();
    for (const index e : extra_) merged_extras.push_back(is_surplus(e) ? ~model_->spec_row[e - options_] : model_->merged_option[e]);
  }

  /// The saved basis in the rebuilt model; false when it no longer fits.
  constexpr bool load_basis(const std::vector<index>& merged_keys, const std::vector<index>& merged_extras) {
    std::vector<index> local(model_->table->merged_count(), no_option);
    for (index o = 0; o < options_; ++o) local[model_->merged_option[o]] = o;
    for (index c = 0; c < classes_; ++c) {
      const index k = merged_keys[model_->class_id[c]];
      if (k == no_option || local[k] == no_option) return false;
      key_[c] = local[k];
    }
    index slot = 0;
    for (const index e : merged_extras) {
      index var = no_option;
      if (e >= model_->table->merged_count()) {
        for (index r = 0; r < rows_; ++r) {
          if (model_->spec_row[r] == ~e) var = surplus(r);
        }
        if (var == no_option) continue;  // its row is gone
      } else {
        var = local[e];
        if (var == no_option) return false;
      }
      if (slot == rows_) return false;
      extra_[slot++] = var;
    }
    if (slot != rows_) return false;
    mark_basic();
    return true;
  }

protected:
  /// W^-1 and the extras' values. False when W is singular.
  constexpr bool factor_w() {
    const index m = rows_;
    factor_.assign(m * m, 0.0);
    for (index i = 0; i < m; ++i) {
      const index e = extra_[i];
      if (is_surplus(e)) {
        factor_[(e - options_) * m + i] = 1.0;
      } else {
        const index key = key_[class_of_[e]];
        for (index r = 0; r < m; ++r) factor_[r * m + i] = weight(e, r) - weight(key, r);
      }
    }
    // Gauss-Jordan with partial pivoting: factor_ becomes I, w_inverse_ W^-1.
    for (index i = 0; i < m * m; ++i) w_inverse_[i] = 0.0;
    for (index i = 0; i < m; ++i) w_inverse_[i * m + i] = 1.0;
    for (index col = 0; col < m; ++col) {
      index piv = col;
      for (index r = col + 1; r < m; ++r) {
        if (abs(factor_[r * m + col]) > abs(factor_[piv * m + col])) piv = r;
      }
      const double p = factor_[piv * m + col];
      if (!(abs(p) > 1e-12)) return false;
      if (piv != col) {
        for (index j = 0; j < m; ++j) {
          std::swap(factor_[piv * m + j], factor_[col * m + j]);
          std::swap(w_inverse_[piv * m + j], w_inverse_[col * m + j]);
        }
      }
      for (index j = 0; j < m; ++j) factor_[col * m + j] /= p, w_inverse_[col * m + j] /= p;
      for (index r = 0; r < m; ++r) {
        const double f = factor_[r * m + col];
        if (r == col || f == 0.0) continue;
        for (index j = 0; j < m; ++j) factor_[r * m + j] -= f * factor_[col * m + j], w_inverse_[r * m + j] -= f * w_inverse_[col * m + j];
      }
    }
    update_beta();
    return true;
  }

  /// The extras' values: W^-1 (room - the keys' weights).
  constexpr void update_beta() {
    const index m = rows_;
    for (index i = 0; i < m; ++i) {
      double b = 0.0;
      for (index r = 0; r < m; ++r) b += w_inverse_[i * m + r] * (room_[r] - key_weight_[r]);
      extra_value_[i] = b;
    }
  }

  constexpr void sum_keys() {
    for (index r = 0; r < rows_; ++r) key_weight_[r] = 0.0;
    for (index c = 0; c < classes_; ++c) {
      for (index r = 0; r < rows_; ++r) key_weight_[r] += weight(key_[c], r);
    }
  }

  /// y += f * (row r's weights), over every option.
  constexpr void axpy(double f, index r, std::vector<double>& y) const noexcept {
    const double* w = weight_.data() + r * options_;
    double* out = y.data();
    for (index o = 0; o < options_; ++o) out[o] += f * w[o];
  }

  constexpr void update_reduced() {
    std::copy(objective_.begin(), objective_.end(), reduced_.begin());
    for (index r = 0; r < rows_; ++r) axpy(price_[r], r, reduced_);
  }

  /// The Lagrangian bound at the prices: base + per class the least reduced
  /// objective - pi . room. A price below 0 (rounding) counts as 0, on a
  /// copy: the basis keeps its own.
  constexpr double price_bound(const std::vector<unsigned char>& banned) {
    const bool clamp = std::any_of(price_.begin(), price_.end(), [](double p) { return p < 0.0; });
    const std::vector<double>* red = &reduced_;
    if (clamp) {
      std::copy(objective_.begin(), objective_.end(), pivot_row_.begin());
      for (index r = 0; r < rows_; ++r) axpy(std::max(price_[r], 0.0), r, pivot_row_);
      red = &pivot_row_;
    }
    double g = decided_objective_;
    for (index r = 0; r < rows_; ++r) g -= std::max(price_[r], 0.0) * room_[r];
    for (index c = 0; c < classes_; ++c) {
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
    double dual = decided_objective_;
    for (index r = 0; r < rows_; ++r) dual -= price_[r] * room_[r];
    for (index c = 0; c < classes_; ++c) dual += reduced_[key_[c]];
    return dual;
  }

  /// Whether even the lightest options left overrun a row: no plan.
  constexpr bool overruns(const std::vector<unsigned char>& banned) const {
    for (index r = 0; r < rows_; ++r) {
      double least = 0.0;
      for (index c = 0; c < classes_; ++c) {
        double lo = infinity;
        for (index o = first_[c]; o < first_[c + 1]; ++o) {
          if (!banned[o]) lo = std::min(lo, weight(o, r));
        }
        least += lo;
      }
      if (least > room_[r]) return true;
    }
    return false;
  }

  /// Per class with extras (extra_classes_): their total value (extra_total_).
  constexpr void sum_extras() {
    for (const index c : extra_classes_) extra_total_[c] = 0.0;
    extra_classes_.clear();
    for (index i = 0; i < rows_; ++i) {
      const index e = extra_[i];
      if (is_surplus(e)) continue;
      const index c = class_of_[e];
      if (std::find(extra_classes_.begin(), extra_classes_.end(), c) == extra_classes_.end()) extra_classes_.push_back(c);
      extra_total_[c] += extra_value_[i];
    }
  }

  /// Whether an entering variable can instead become its class's key: an
  /// option of a class without extras.
  constexpr bool flippable(index var) const {
    if (is_surplus(var)) return false;
    const index c = class_of_[var];
    for (const index e : extra_) {
      if (!is_surplus(e) && class_of_[e] == c) return false;
    }
    return true;
  }

  // The shape of the model when prepared, kept here for the pivots' loops.
  const open_problem* model_ = nullptr;
  index classes_ = 0;
  index rows_ = 0;
  std::vector<index> first_;        ///< per open class, its first option
  double decided_objective_ = 0.0;  ///< objective of the decided classes
  double objective_scale_ = 0.0;    ///< the largest objective any plan can have

  // The scaled model: rows divided by their norm, so that every row and the
  // fractions of options share one scale.
  index options_ = 0;                 ///< open options
  std::vector<double> objective_;     ///< per option
  std::vector<double> weight_;        ///< r * options_ + option: weight in row r / norm[r]
  std::vector<double> room_;          ///< per row: (capacity + slack) / norm[r]
  std::vector<index> class_of_;       ///< option -> open class
  double most_objective_ = 0.0;       ///< no plan of the open classes has a larger objective

  // The basis. An extra is an option, or options_ + r for the surplus of row r.
  std::vector<index> key_, extra_;
  std::vector<unsigned char> basic_;  ///< per option: key or extra
  std::vector<double> price_;         ///< per row: its price pi (scaled)
  std::vector<double> extra_value_;   ///< per slot: the value of its extra
  std::vector<double> w_inverse_;     ///< W^-1, row-major
  std::vector<double> key_weight_;    ///< per row: total weight of the keys
  std::vector<double> reduced_;       ///< per option: objective + pi . weights
  bool optimal_ = false;              ///< the basis is primal feasible: its point solves the LP

  // Scratch of the dual simplex, kept to reuse its memory.
  std::vector<double> pivot_row_;      ///< per option: the leaving row of W^-1 times its weights
  std::vector<double> leaving_row_;    ///< row `leave` of W^-1
  std::vector<double> factor_;         ///< W while it is inverted
  std::vector<double> ray_price_;      ///< prices far out along a ray of infeasibility
  std::vector<double> extra_total_;    ///< per class: the total value of its extras
  std::vector<index> extra_classes_;   ///< classes that have extras
  std::vector<index> class_version_;   ///< per class: bumped when the long step flips it

  static constexpr double primal_tol = 1e-9;
  static constexpr double pivot_tol = 1e-9;

  constexpr double weight(index o, index r) const noexcept { return weight_[r * options_ + o]; }
  constexpr index surplus(index r) const noexcept { return options_ + r; }
  constexpr bool is_surplus(index var) const noexcept { return var >= options_; }
  constexpr double dual_tol() const noexcept { return 1e-13 * (objective_scale_ + 1e-300); }
};

}  // namespace mixq::alloc::detail
