#pragma once
// Running per-channel histograms, and histogram_observer: PyTorch 1.13
// HistogramObserver's L2 search over 2048 bins.
//
// Histogram. Each channel keeps `bins` bins over [lo, hi], the extremes seen
// so far (over [0, max |x|] for magnitude histograms). A value's bin is
// torch.histc's: trunc((x - lo) * bins / (hi - lo)) in float32, the top edge
// in the last bin. A batch inside the current range adds to the bins as they
// are; a batch beyond it first moves the old mass onto bins over the widened
// range, spreading each old bin's mass over the new bins it overlaps (mass is
// assumed uniform inside a bin). Masses are doubles.
//
// PyTorch 1.13 builds each histogram with torch.histc(x, min=int(min),
// max=int(max)), the range truncated toward zero, yet reads the bins as if
// they spanned the real min..max: values outside int(min)..int(max) are
// dropped and the others displaced by up to one data unit. mixq deliberately
// bins over the real range; docs/calibration.md gives the consequences, and
// the tests check agreement where truncation changes nothing and the implied
// bound where it does. When the range grows, 1.13 also moves the old mass
// differently (128x up-sampling onto an integer multiple of the old width).
//
// Search. PyTorch's greedy L2 search (from Caffe2's norm minimisation): move
// the lower or upper quantile bound by 1e-5 of the mass at a time toward the
// side that drops fewer bins, evaluate the L2 error of quantizing the kept
// bins to 2^bits levels (mass uniform inside a bin), and stop at the first
// step that makes it worse. The comparisons are done in float32 as PyTorch
// does them, the error in double.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include <xtensor/xexpression.hpp>

#include <mixq/calibration/batch.hpp>
#include <mixq/calibration/kernels.hpp>
#include <mixq/calibration/observer_base.hpp>
#include <mixq/calibration/observer_options.hpp>
#include <mixq/calibration/range_rule.hpp>
#include <mixq/calibration/reference.hpp>
#include <mixq/platform.hpp>
#include <mixq/config.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/core/scheme.hpp>

namespace mixq {

namespace detail {

/// One histogram per channel (see the top of this file).
class channel_histograms {
public:
  channel_histograms(std::size_t bins, bool magnitude) : bins_(bins), magnitude_(magnitude) {}

  std::size_t bins() const noexcept { return bins_; }
  /// Whether the bins count |x| over [0, max |x|] rather than x over [min, max].
  bool magnitude() const noexcept { return magnitude_; }
  std::size_t channels() const noexcept { return lo_.size(); }
  bool has(std::size_t c) const noexcept { return lo_[c] <= hi_[c]; }
  float lo(std::size_t c) const noexcept { return lo_[c]; }
  float hi(std::size_t c) const noexcept { return hi_[c]; }
  /// Extremes of x itself (signed, also for magnitude histograms).
  float min_value(std::size_t c) const noexcept { return min_[c]; }
  float max_value(std::size_t c) const noexcept { return max_[c]; }
  const double* counts(std::size_t c) const noexcept { return counts_.data() + c * bins_; }
  double total(std::size_t c) const noexcept {
    double t = 0.0;
    for (std::size_t i = 0; i < bins_; ++i) t += counts(c)[i];
    return t;
  }

  /// Adds a scanned batch. Throws (before changing anything) when a
  /// channel's range would be too wide for float32.
  template <class Arch = default_arch>
  void add(const float_batch& b, const batch_ranges& r, std::string_view where) {
    const std::size_t channels = b.channels();
    std::vector<clip_range> target(channels);
    for (std::size_t c = 0; c < channels; ++c) {
      if (!r.has(c)) continue;
      auto [blo, bhi] = batch_range(r.lo[c], r.hi[c]);
      if (c < lo_.size() && has(c)) {
        blo = std::min(blo, lo_[c]);
        bhi = std::max(bhi, hi_[c]);
      }
      if (!std::isfinite(bhi - blo)) {
        MIXQ_THROW(error,
                   "{}: channel {}: the histogram range [{}, {}] is wider than float32 can hold (hi - lo "
                   "overflows); expected values within about +-1.7e38",
                   where, c, blo, bhi);
      }
      target[c] = {blo, bhi};
    }
    resize(channels);
    for (std::size_t c = 0; c < channels; ++c) {
      if (!r.has(c)) continue;
      if (!has(c)) {
        lo_[c] = target[c].lo;
        hi_[c] = target[c].hi;
      } else if (target[c].lo != lo_[c] || target[c].hi != hi_[c]) {
        grow(c, target[c].lo, target[c].hi);
      }
      min_[c] = std::min(min_[c], r.lo[c]);
      max_[c] = std::max(max_[c], r.hi[c]);
    }
    accumulate<Arch>(b, r);
  }

  /// Adds another set of histograms (same bins and kind) channel by channel.
  void merge(const channel_histograms& other) {
    resize(other.channels());
    for (std::size_t c = 0; c < other.channels(); ++c) {
      if (!other.has(c)) continue;
      if (!has(c)) {
        lo_[c] = other.lo_[c];
        hi_[c] = other.hi_[c];
        std::copy(other.counts(c), other.counts(c) + bins_, counts_.begin() + static_cast<std::ptrdiff_t>(c * bins_));
      } else {
        const float lo = std::min(lo_[c], other.lo_[c]), hi = std::max(hi_[c], other.hi_[c]);
        if (lo != lo_[c] || hi != hi_[c]) grow(c, lo, hi);
        std::vector<double> moved(bins_, 0.0);
        regrid(other.counts(c), other.lo_[c], other.hi_[c], moved.data(), lo, hi);
        for (std::size_t i = 0; i < bins_; ++i) counts_[c * bins_ + i] += moved[i];
      }
      min_[c] = std::min(min_[c], other.min_[c]);
      max_[c] = std::max(max_[c], other.max_[c]);
    }
  }

  void clear() noexcept {
    lo_.clear();
    hi_.clear();
    min_.clear();
    max_.clear();
    counts_.clear();
  }

  /// Moves `from` (bins over [lo, hi]) onto `to` (bins over [nlo, nhi], which
  /// contains [lo, hi]), adding to it. A one-point range moves as a point.
  void regrid(const double* from, float lo, float hi, double* to, float nlo, float nhi) const {
    if (lo == nlo && hi == nhi) {  // the same grid: exact, whatever the rounding below would do
      for (std::size_t i = 0; i < bins_; ++i) to[i] += from[i];
      return;
    }
    if (nlo == nhi) {
      for (std::size_t i = 0; i < bins_; ++i) to[0] += from[i];
      return;
    }
    if (lo == hi) {
      double mass = 0.0;
      for (std::size_t i = 0; i < bins_; ++i) mass += from[i];
      to[bin_rule(nlo, nhi - nlo, static_cast<std::uint32_t>(bins_))(lo)] += mass;
      return;
    }
    const double n = static_cast<double>(bins_);
    const double w = (static_cast<double>(hi) - lo) / n;
    const double scale = n / (static_cast<double>(nhi) - nlo);  // new bins per data unit
    const double last = n - 1.0;
    for (std::size_t i = 0; i < bins_; ++i) {
      const double m = from[i];
      if (m == 0.0) continue;
      const double x0 = static_cast<double>(lo) + static_cast<double>(i) * w;
      const double u0 = (x0 - nlo) * scale, u1 = (x0 + w - nlo) * scale;
      const double j0 = std::clamp(std::floor(u0), 0.0, last), j1 = std::clamp(std::floor(u1), 0.0, last);
      if (j0 == j1 || !(u1 > u0)) {
        to[static_cast<std::size_t>(j0)] += m;
        continue;
      }
      // New bins are at least as wide as old ones: the mass meets at most
      // j1 - j0 + 1 of them, in proportion to the overlap.
      const double per_unit = m / (u1 - u0);
      double placed = 0.0;
      for (double j = j0; j < j1; j += 1.0) {
        const double part = per_unit * (std::min(j + 1.0, u1) - std::max(j, u0));
        to[static_cast<std::size_t>(j)] += part;
        placed += part;
      }
      to[static_cast<std::size_t>(j1)] += m - placed;
    }
  }

private:
  clip_range batch_range(float lo, float hi) const noexcept {
    if (!magnitude_) return {lo, hi};
    return {0.0f, std::max(std::fabs(lo), std::fabs(hi))};
  }

  void resize(std::size_t channels) {
    if (channels <= lo_.size()) return;
    lo_.resize(channels, std::numeric_limits<float>::infinity());
    hi_.resize(channels, -std::numeric_limits<float>::infinity());
    min_.resize(channels, std::numeric_limits<float>::infinity());
    max_.resize(channels, -std::numeric_limits<float>::infinity());
    counts_.resize(channels * bins_, 0.0);
  }

  void grow(std::size_t c, float nlo, float nhi) {
    std::vector<double> moved(bins_, 0.0);
    regrid(counts(c), lo_[c], hi_[c], moved.data(), nlo, nhi);
    std::copy(moved.begin(), moved.end(), counts_.begin() + static_cast<std::ptrdiff_t>(c * bins_));
    lo_[c] = nlo;
    hi_[c] = nhi;
  }

  bin_rule rule(std::size_t c) const noexcept {
    return bin_rule(lo_[c], hi_[c] - lo_[c], static_cast<std::uint32_t>(bins_));
  }

  // Bins the batch into per-call uint32 tallies, folded into the double
  // masses before any tally could overflow.
  template <class Arch>
  void accumulate(const float_batch& b, const batch_ranges& r) {
    const float* x = b.values();
    const std::size_t channels = b.channels(), inner = b.inner();
    const bool clean = r.non_finite == 0;
    constexpr std::size_t fold_every = std::size_t{1} << 31;
    if (channels == 1 && b.outer() == 1) {
      // One long span: four interleaved tallies keep runs of one bin from
      // serialising on a single counter.
      constexpr std::size_t ways = 4;
      std::vector<std::uint32_t> tally(ways * bins_, 0);
      const bin_rule rl = rule(0);
      for (std::size_t start = 0; start < b.size(); start += fold_every) {
        const std::size_t n = std::min(fold_every, b.size() - start);
        if (clean) {
          histogram_kernel{}(Arch{}, x + start, n, rl, magnitude_, tally.data(), ways);
        } else {
          mixq::reference::histogram(x + start, n, rl, magnitude_, tally.data());
        }
        for (std::size_t w = 0; w < ways; ++w) fold(0, tally.data() + w * bins_);
        std::fill(tally.begin(), tally.end(), 0u);
      }
      return;
    }
    std::vector<std::uint32_t> tally(channels * bins_, 0);
    std::vector<bin_rule> rules(channels);
    for (std::size_t c = 0; c < channels; ++c) {
      if (r.has(c)) rules[c] = rule(c);
    }
    std::size_t since_fold = 0;
    auto fold_all = [&] {
      for (std::size_t c = 0; c < channels; ++c) fold(c, tally.data() + c * bins_);
      std::fill(tally.begin(), tally.end(), 0u);
      since_fold = 0;
    };
    for (std::size_t o = 0; o < b.outer(); ++o) {
      if (since_fold + channels * inner > fold_every) fold_all();
      for (std::size_t c = 0; c < channels; ++c) {
        if (!r.has(c)) continue;  // all of this channel's values are non-finite
        const float* block = x + (o * channels + c) * inner;
        std::uint32_t* t = tally.data() + c * bins_;
        if (clean && inner >= span_threshold) {
          histogram_kernel{}(Arch{}, block, inner, rules[c], magnitude_, t, 1);
        } else {
          mixq::reference::histogram(block, inner, rules[c], magnitude_, t);
        }
      }
      since_fold += channels * inner;
    }
    fold_all();
  }

  void fold(std::size_t c, const std::uint32_t* tally) noexcept {
    double* h = counts_.data() + c * bins_;
    for (std::size_t i = 0; i < bins_; ++i) h[i] += static_cast<double>(tally[i]);
  }

  std::size_t bins_;
  bool magnitude_;
  std::vector<float> lo_, hi_, min_, max_;
  std::vector<double> counts_;  // channels x bins
};

/// PyTorch's estimate of the L2 error of quantizing bins [start, end] of a
/// histogram on [lo, hi] to `levels` equal bins (mass uniform inside a bin,
/// mass outside clipped to the edge bins).
inline double l2_search_error(const double* h, std::size_t bins, double lo, double hi, std::size_t start,
                              std::size_t end, std::size_t levels) noexcept {
  const double width = (hi - lo) / static_cast<double>(bins);
  const double step = width * static_cast<double>(end - start + 1) / static_cast<double>(levels);
  if (step == 0.0) return 0.0;
  const double half = step / 2.0;
  const double top = static_cast<double>(levels - 1);
  // Integral of x^2 over [a, b].
  auto norm = [](double a, double b) { return (cube(b) - cube(a)) / 3.0; };
  const double whole = norm(-half, half);
  double total = 0.0;
  for (std::size_t i = 0; i < bins; ++i) {
    if (h[i] == 0.0) continue;
    const double begin = (static_cast<double>(i) - static_cast<double>(start)) * width;
    const double end_ = begin + width;
    const double first = std::clamp(std::floor(begin / step), 0.0, top);
    const double last = std::clamp(std::floor(end_ / step), 0.0, top);
    const double density = h[i] / width;
    // From begin to the end of its level, the whole levels in between, and
    // from the start of the last level to end_ (terms cancel when first == last).
    double e = norm(begin - (first + 0.5) * step, half);
    e += (last - first - 1.0) * whole;
    e += norm(-half, end_ - (last * step + half));
    total += density * e;
  }
  return total;
}

/// PyTorch 1.13 HistogramObserver's search: the clipping range [min, max]
/// chosen for a histogram on [lo, hi] quantized to `levels` levels.
inline clip_range l2_search(const double* h, std::size_t bins, float lo, float hi, std::size_t levels) {
  if (!(lo < hi)) return {lo, hi};
  std::vector<float> csum(bins);  // PyTorch keeps the cumulative sum in float32
  double run = 0.0;
  for (std::size_t i = 0; i < bins; ++i) {
    run += h[i];
    csum[i] = static_cast<float>(run);
  }
  const double total = static_cast<float>(run);
  const double step = 1e-5;
  double alpha = 0.0, beta = 1.0;
  std::size_t start = 0, end = bins - 1;
  double best = std::numeric_limits<double>::infinity();
  const auto first = csum.begin();
  while (alpha < beta) {
    const double next_alpha = alpha + step, next_beta = beta - step;
    // The quantile bounds, compared in float32.
    const auto low_target = static_cast<float>(next_alpha * total);
    const auto high_target = static_cast<float>(next_beta * total);
    const auto l = static_cast<std::size_t>(
        std::lower_bound(first + static_cast<std::ptrdiff_t>(start), first + static_cast<std::ptrdiff_t>(end),
                         low_target) -
        first);
    const auto r = static_cast<std::size_t>(std::upper_bound(first + static_cast<std::ptrdiff_t>(start + 1),
                                                             first + static_cast<std::ptrdiff_t>(end + 1),
                                                             high_target) -
                                            first) -
                   1;
    std::size_t next_start = start, next_end = end;
    if (l - start > end - r) {
      next_start = l;
      alpha = next_alpha;
    } else {
      next_end = r;
      beta = next_beta;
    }
    if (next_start == start && next_end == end) continue;
    const double e = l2_search_error(h, bins, lo, hi, next_start, next_end, levels);
    if (e > best) break;
    best = e;
    start = next_start;
    end = next_end;
  }
  const float width = (hi - lo) / static_cast<float>(bins);
  return {lo + rounded_product(width, static_cast<float>(start)),
          lo + rounded_product(width, static_cast<float>(end + 1))};
}

/// The pow2 error model of histogram observers: the histogram itself.
inline double histogram_error(const channel_histograms& hs, std::size_t c, const quantizer_model& q) {
  quantizer_model m = q;
  if (hs.magnitude()) m.low = 0.0;
  return histogram_squared_error(m, hs.counts(c), hs.bins(), hs.lo(c), hs.hi(c));
}

/// The range rule for each channel's clipping range, pow2 exponents chosen on
/// the channel's histogram.
inline std::vector<channel_qparams> histogram_params(const scheme_limits& r, const channel_histograms& hs,
                                                    const std::vector<clip_range>& ranges,
                                                    std::string_view where) {
  std::vector<channel_qparams> out;
  out.reserve(ranges.size());
  for (std::size_t c = 0; c < ranges.size(); ++c) {
    out.push_back(range_params(r, ranges[c].lo, ranges[c].hi, where, c,
                               [&](const quantizer_model& q) { return histogram_error(hs, c, q); }));
  }
  return out;
}

/// What the histogram-based observers share: observe (scan, then bin),
/// qparams (the range rule over each channel's clipping range), merge and
/// reset. An observer derives from it as histogram_observer_base<S,
/// itself> and adds its constructor, `name` and clipping_range(c) (and, if
/// it has options two observers must agree on, check_same_options()).
template <scheme S, class Derived>
  requires ValidScheme<S>
class histogram_observer_base : public observer_base<S> {
public:
  /// The histograms behind the estimate.
  const channel_histograms& histograms() const noexcept { return hist_; }

  /// Extremes of x, one per channel.
  std::vector<float> min_values() const {
    std::vector<float> out(hist_.channels());
    for (std::size_t c = 0; c < out.size(); ++c) out[c] = hist_.min_value(c);
    return out;
  }
  std::vector<float> max_values() const {
    std::vector<float> out(hist_.channels());
    for (std::size_t c = 0; c < out.size(); ++c) out[c] = hist_.max_value(c);
    return out;
  }

  /// Folds one batch in: scanned, then binned. Empty tensors are a no-op.
  template <class E>
  void observe(const xt::xexpression<E>& x) {
    static constexpr auto where = observer_where<Derived>("::observe");
    const float_batch b = make_batch<S>(x, where.view());
    if (b.size() == 0) return;
    const batch_ranges r = this->scan(b, where.view());
    hist_.add(b, r, where.view());
    this->commit(b, r);
  }

  /// The range rule over each channel's clipping range, pow2 exponents
  /// chosen on the histogram.
  mixq::qparams<S> qparams() const {
    static constexpr auto where = observer_where<Derived>("::qparams");
    this->require_data(where.view());
    const Derived& self = static_cast<const Derived&>(*this);
    std::vector<clip_range> ranges;
    ranges.reserve(hist_.channels());
    for (std::size_t c = 0; c < hist_.channels(); ++c) {
      if (!hist_.has(c)) throw_empty_channel(where.view(), c);
      ranges.push_back(self.clipping_range(c));
    }
    return assemble_qparams<S>(histogram_params(scheme_limits_of<S>(), hist_, ranges, where.view()));
  }

  /// Adds another observer's data, as if this one had observed it too.
  void merge(const Derived& other) {
    static constexpr auto where = observer_where<Derived>("::merge");
    if constexpr (requires { static_cast<const Derived&>(*this).check_same_options(other, where.view()); }) {
      static_cast<const Derived&>(*this).check_same_options(other, where.view());
    }
    this->check_merge(other, where.view());
    if (other.hist_.bins() != hist_.bins()) {
      MIXQ_THROW(error, "{}: the other observer has {} bins but this one {}; expected the same", where.view(),
                 other.hist_.bins(), hist_.bins());
    }
    hist_.merge(other.hist_);
    this->merge_counts(other);
  }

  /// Forgets everything observed.
  void reset() noexcept {
    hist_.clear();
    this->reset_counts();
  }

protected:
  histogram_observer_base(std::size_t bins, bool magnitude, non_finite_policy policy, std::size_t min_bins)
      : observer_base<S>(policy), hist_(bins, magnitude) {
    static constexpr auto where = observer_where<Derived>("");
    // Bin indices go through float32, which counts exactly only up to 2^24.
    if (bins < min_bins || bins > (std::size_t{1} << 24)) {
      MIXQ_THROW(error, "{}: options.bins = {} is invalid; expected {} <= bins <= 2^24", where.view(), bins, min_bins);
    }
  }

  channel_histograms hist_;
};

}  // namespace detail

/// PyTorch's HistogramObserver: a 2048-bin histogram of x per channel and
/// the greedy L2 search for the clipping range (see the top of this file),
/// quantized to 2^bits levels as PyTorch does (also for narrow schemes).
template <scheme S>
  requires ValidScheme<S>
class histogram_observer : public detail::histogram_observer_base<S, histogram_observer<S>> {
public:
  using options = histogram_options;
  static constexpr std::string_view name = "histogram";

  explicit histogram_observer(const options& o = {})
      : detail::histogram_observer_base<S, histogram_observer>(o.bins, false, o.non_finite, 1) {}

  /// The clipping range the search picks for channel c.
  clip_range clipping_range(std::size_t c) const {
    const auto& h = this->hist_;
    return detail::l2_search(h.counts(c), h.bins(), h.lo(c), h.hi(c), std::size_t{1} << S.bits);
  }
};

}  // namespace mixq
