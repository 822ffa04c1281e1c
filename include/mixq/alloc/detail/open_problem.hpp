#pragma once
// Presolve of the search: the open part of an allocation problem as classes
// of options with one value per row (row 0 the objective, then one per
// budget), and its reduction to a fixed point: dominated options, options no
// plan can afford, classes left with one option (decided), rows no plan can
// exceed.

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include <mixq/alloc/detail/model.hpp>

namespace mixq::alloc::detail {

/// What the search minimises and which totals it bounds.
struct search_spec {
  int objective = sensitivity_source;
  std::vector<int> sources;    ///< constrained totals (sensitivity or costs)
  std::vector<double> limits;  ///< one finite limit per source
};

/// The classes still undecided, their options' values and the capacity they
/// may still spend. Open classes and options are numbered from 0; `class_id`
/// and `merged_option` map them back to the class table.
struct open_problem {
  const class_table* table = nullptr;
  index classes = 0;                  ///< open classes
  index rows = 0;                     ///< budget rows still binding
  std::vector<index> option_first;    ///< per open class, its first option; classes + 1 entries
  std::vector<double> values;         ///< option * (rows + 1) + row; row 0 is the objective
  std::vector<index> merged_option;   ///< open option -> merged option of the class table
  std::vector<index> class_id;        ///< open class -> class of the class table
  std::vector<double> capacity;       ///< what the open classes may still spend, per row
  std::vector<double> slack;          ///< rounding room per row (sums in another order than the layers')
  std::vector<double> norm;           ///< per row: the scale the LP divides it by
  std::vector<index> spec_row;        ///< row -> row of the search spec
  double decided_objective = 0.0;     ///< objective of the decided classes
  std::vector<index> decided;         ///< per class: its merged option once decided, else no_option
  double objective_scale = 0.0;       ///< the largest objective any plan can have

  constexpr open_problem(const flat_problem& f, const class_table& ct, const search_spec& spec) : table(&ct) {
    classes = ct.count;
    rows = spec.sources.size();
    option_first = ct.option_first;
    const index merged = ct.merged_count();
    merged_option.resize(merged, {});
    values.resize(merged * stride(), {});
    for (index o = 0; o < merged; ++o) {
      merged_option[o] = o;
      values[o * stride()] = ct.value(f, o, spec.objective);
      for (index r = 0; r < rows; ++r) values[o * stride() + r + 1] = ct.value(f, o, spec.sources[r]);
    }
    class_id.resize(classes, {});
    for (index c = 0; c < classes; ++c) class_id[c] = c;
    decided.assign(classes, no_option);
    capacity = spec.limits;
    spec_row.resize(rows, {});
    slack.resize(rows, {});
    for (index r = 0; r < rows; ++r) {
      spec_row[r] = r;
      double widest = 0.0;
      for (index c = 0; c < classes; ++c) {
        double m = 0.0;
        for (index o = option_first[c]; o < option_first[c + 1]; ++o) m = std::max(m, value(o, r + 1));
        widest += m;
      }
      // Room for rounding in sums taken in another order than the layer order;
      // every plan accepted is checked exactly in layer order.
      slack[r] = 1e-11 * (abs(capacity[r]) + widest);
    }
    objective_scale = 0.0;
    for (index c = 0; c < classes; ++c) {
      double m = 0.0;
      for (index o = option_first[c]; o < option_first[c + 1]; ++o) m = std::max(m, value(o, 0));
      objective_scale += m;
    }
  }

  constexpr index stride() const noexcept { return rows + 1; }
  constexpr index options() const noexcept { return option_first[classes]; }
  constexpr double value(index o, index r) const noexcept { return values[o * stride() + r]; }

  /// Prefers a over b among options equal in every row: the higher precision, then the lower index.
  constexpr bool preferred(index a, index b) const noexcept {
    const precision pa = table->option_bits[merged_option[a]], pb = table->option_bits[merged_option[b]];
    if (pa.w_bits + pa.a_bits != pb.w_bits + pb.a_bits) return pa.w_bits + pa.a_bits > pb.w_bits + pb.a_bits;
    if (pa.w_bits != pb.w_bits) return pa.w_bits > pb.w_bits;
    return merged_option[a] < merged_option[b];
  }

  constexpr bool dominates(index a, index b) const noexcept {
    bool strictly = false;
    for (index r = 0; r <= rows; ++r) {
      if (value(a, r) > value(b, r)) return false;
      strictly = strictly || value(a, r) < value(b, r);
    }
    return strictly || preferred(a, b);
  }

  /// Keeps the marked options and rows; decides classes left with one
  /// option. Returns false when a class is left with none.
  constexpr bool rebuild(const std::vector<unsigned char>& keep, const std::vector<unsigned char>& keep_row,
                         bool& changed) {
    std::vector<index> first{0}, id, cls;
    std::vector<double> v;
    std::vector<double> cap = capacity;
    const index k2 = static_cast<index>(std::count(keep_row.begin(), keep_row.end(), 1));
    changed = k2 != rows;
    for (index c = 0; c < classes; ++c) {
      index kept = 0, last = 0;
      for (index o = option_first[c]; o < option_first[c + 1]; ++o) {
        if (keep[o]) ++kept, last = o;
      }
      if (kept == 0) return false;
      if (kept != option_first[c + 1] - option_first[c]) changed = true;
      if (kept == 1) {
        decided[class_id[c]] = merged_option[last];
        decided_objective += value(last, 0);
        for (index r = 0; r < rows; ++r) cap[r] -= value(last, r + 1);
        changed = true;
        continue;
      }
      for (index o = option_first[c]; o < option_first[c + 1]; ++o) {
        if (!keep[o]) continue;
        id.push_back(merged_option[o]);
        v.push_back(value(o, 0));
        for (index r = 0; r < rows; ++r) {
          if (keep_row[r]) v.push_back(value(o, r + 1));
        }
      }
      first.push_back(id.size());
      cls.push_back(class_id[c]);
    }
    if (!changed) return true;
    std::vector<double> cap2, slack2;
    std::vector<index> row2;
    for (index r = 0; r < rows; ++r) {
      if (!keep_row[r]) continue;
      cap2.push_back(cap[r]);
      slack2.push_back(slack[r]);
      row2.push_back(spec_row[r]);
    }
    classes = cls.size();
    rows = k2;
    option_first = std::move(first);
    merged_option = std::move(id);
    class_id = std::move(cls);
    values = std::move(v);
    capacity = std::move(cap2);
    slack = std::move(slack2);
    spec_row = std::move(row2);
    return true;
  }

  /// Reduction to a fixed point. Returns false when no plan meets the rows.
  constexpr bool reduce() {
    for (;;) {
      const index count = options();
      std::vector<unsigned char> keep(count, 1), keep_row(rows, 1);
      for (index c = 0; c < classes; ++c) {
        for (index a = option_first[c]; a < option_first[c + 1]; ++a) {
          for (index b = option_first[c]; b < option_first[c + 1]; ++b) {
            if (a != b && keep[a] && keep[b] && dominates(a, b)) keep[b] = 0;
          }
        }
      }
      for (index r = 1; r <= rows; ++r) {
        double least = 0.0, most = 0.0;
        for (index c = 0; c < classes; ++c) {
          double lo = infinity, hi = 0.0;
          for (index o = option_first[c]; o < option_first[c + 1]; ++o) lo = std::min(lo, value(o, r)), hi = std::max(hi, value(o, r));
          least += lo;
          most += hi;
        }
        const double room = capacity[r - 1] + slack[r - 1];
        if (least > room) return false;
        if (most <= capacity[r - 1]) {
          keep_row[r - 1] = 0;
          continue;
        }
        for (index c = 0; c < classes; ++c) {
          double lo = infinity;
          for (index o = option_first[c]; o < option_first[c + 1]; ++o) lo = std::min(lo, value(o, r));
          for (index o = option_first[c]; o < option_first[c + 1]; ++o) {
            if (value(o, r) - lo + least > room) keep[o] = 0;
          }
        }
      }
      bool changed = false;
      if (!rebuild(keep, keep_row, changed)) return false;
      if (!changed) break;
    }
    norm.resize(rows, {});
    for (index r = 0; r < rows; ++r) norm[r] = capacity[r] > 0.0 ? capacity[r] : 1.0;
    return true;
  }};

}  // namespace mixq::alloc::detail
