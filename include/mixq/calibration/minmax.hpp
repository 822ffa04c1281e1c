#pragma once
// Min-max observers, bit-identical to PyTorch 1.13's MinMaxObserver,
// PerChannelMinMaxObserver, MovingAverageMinMaxObserver and
// MovingAveragePerChannelMinMaxObserver: float32 running extremes, then the
// range rule of range_rule.hpp.
//
//   minmax_observer<schemes::uint8_asym> obs;
//   for (const auto& batch : activations) obs.observe(batch);
//   qparams<schemes::uint8_asym> p = obs.qparams();

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include <xtensor/xexpression.hpp>

#include <mixq/calibration/batch.hpp>
#include <mixq/calibration/observer_base.hpp>
#include <mixq/calibration/observer_options.hpp>
#include <mixq/calibration/range_rule.hpp>
#include <mixq/config.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/core/scheme.hpp>

namespace mixq {

namespace detail {

// Running extremes per channel; lo > hi until a channel sees a finite value.
struct channel_extremes {
  std::vector<float> lo, hi;

  // Grows only: merging an observer that has seen nothing must not shrink this one.
  void resize(std::size_t channels) {
    if (channels <= lo.size()) return;
    lo.resize(channels, std::numeric_limits<float>::infinity());
    hi.resize(channels, -std::numeric_limits<float>::infinity());
  }
  bool has(std::size_t c) const noexcept { return lo[c] <= hi[c]; }
  void clear() noexcept {
    lo.clear();
    hi.clear();
  }
};

// Parameters from per-channel extremes; pow2 exponents are chosen under the
// uniform model on [min, max], the only view of the data these observers keep.
inline std::vector<channel_qparams> extremes_to_params(const scheme_limits& r, const channel_extremes& x,
                                                      std::string_view where) {
  std::vector<channel_qparams> out;
  out.reserve(x.lo.size());
  for (std::size_t c = 0; c < x.lo.size(); ++c) {
    if (!x.has(c)) throw_empty_channel(where, c);
    const double lo = x.lo[c], hi = x.hi[c];
    out.push_back(range_params(r, x.lo[c], x.hi[c], where, c,
                               [&](const quantizer_model& q) { return uniform_mean_squared_error(q, lo, hi); }));
  }
  return out;
}

template <scheme S>
qparams<S> extremes_to_qparams(const channel_extremes& x, std::string_view where) {
  return assemble_qparams<S>(extremes_to_params(scheme_limits_of<S>(), x, where));
}

}  // namespace detail

/// Running minimum and maximum of everything observed (per channel when
/// S.axis >= 0). merge() gives exactly what observing both streams would.
template <scheme S>
  requires ValidScheme<S>
class minmax_observer : public detail::observer_base<S> {
  using base = detail::observer_base<S>;

public:
  using options = minmax_options;
  static constexpr std::string_view name = "minmax";

  explicit minmax_observer(const options& o = {}) : base(o.non_finite) {}

  /// Folds one batch in. Empty tensors are a no-op.
  template <class E>
  void observe(const xt::xexpression<E>& x) {
    constexpr std::string_view where = "mixq::minmax_observer::observe";
    const detail::float_batch b = detail::make_batch<S>(x, where);
    if (b.size() == 0) return;
    const detail::batch_ranges r = this->scan(b, where);
    extremes_.resize(b.channels());
    for (std::size_t c = 0; c < b.channels(); ++c) {
      if (!r.has(c)) continue;
      extremes_.lo[c] = r.lo[c] < extremes_.lo[c] ? r.lo[c] : extremes_.lo[c];
      extremes_.hi[c] = r.hi[c] > extremes_.hi[c] ? r.hi[c] : extremes_.hi[c];
    }
    this->commit(b, r);
  }

  /// Parameters covering the observed range (widened to include 0).
  mixq::qparams<S> qparams() const {
    constexpr std::string_view where = "mixq::minmax_observer::qparams";
    this->require_data(where);
    return detail::extremes_to_qparams<S>(extremes_, where);
  }

  /// Adds another observer's data, as if this one had observed it too.
  void merge(const minmax_observer& other) {
    this->check_merge(other, "mixq::minmax_observer::merge");
    extremes_.resize(other.extremes_.lo.size());
    for (std::size_t c = 0; c < other.extremes_.lo.size(); ++c) {
      if (!other.extremes_.has(c)) continue;
      extremes_.lo[c] = other.extremes_.lo[c] < extremes_.lo[c] ? other.extremes_.lo[c] : extremes_.lo[c];
      extremes_.hi[c] = other.extremes_.hi[c] > extremes_.hi[c] ? other.extremes_.hi[c] : extremes_.hi[c];
    }
    this->merge_counts(other);
  }

  /// Forgets everything observed.
  void reset() noexcept {
    extremes_.clear();
    this->reset_counts();
  }

  /// Observed extremes, one per channel (+inf / -inf for a channel without
  /// finite data).
  const std::vector<float>& min_values() const noexcept { return extremes_.lo; }
  const std::vector<float>& max_values() const noexcept { return extremes_.hi; }

private:
  detail::channel_extremes extremes_;
};

/// Exponential moving average of each batch's minimum and maximum:
/// min <- min + c * (batch_min - min), in float32 with the product rounded
/// before the sum, as PyTorch; the first batch sets them.
///
/// merge(): the average depends on the order of batches, so no merge can
/// equal one sequential run. It takes the mean of the two running values
/// weighted by how many batches each saw, which is exact when both saw the
/// same statistics and keeps merge symmetric.
template <scheme S>
  requires ValidScheme<S>
class moving_average_minmax_observer : public detail::observer_base<S> {
  using base = detail::observer_base<S>;

public:
  using options = moving_average_options;
  static constexpr std::string_view name = "moving_average";

  explicit moving_average_minmax_observer(const options& o = {}) : base(o.non_finite), c_(o.averaging_constant) {
    if (!(c_ > 0.0f && c_ <= 1.0f)) {
      MIXQ_THROW(error,
                 "mixq::moving_average_minmax_observer: options.averaging_constant = {} is invalid; expected 0 < c "
                 "<= 1",
                 c_);
    }
  }

  template <class E>
  void observe(const xt::xexpression<E>& x) {
    constexpr std::string_view where = "mixq::moving_average_minmax_observer::observe";
    const detail::float_batch b = detail::make_batch<S>(x, where);
    if (b.size() == 0) return;
    const detail::batch_ranges r = this->scan(b, where);
    extremes_.resize(b.channels());
    if (updates_.size() < b.channels()) updates_.resize(b.channels(), 0);
    for (std::size_t c = 0; c < b.channels(); ++c) {
      if (!r.has(c)) continue;  // only non-finite values in this channel: nothing to average
      if (updates_[c] == 0) {
        extremes_.lo[c] = r.lo[c];
        extremes_.hi[c] = r.hi[c];
      } else {
        extremes_.lo[c] = extremes_.lo[c] + detail::rounded_product(c_, r.lo[c] - extremes_.lo[c]);
        extremes_.hi[c] = extremes_.hi[c] + detail::rounded_product(c_, r.hi[c] - extremes_.hi[c]);
      }
      ++updates_[c];
    }
    this->commit(b, r);
  }

  mixq::qparams<S> qparams() const {
    constexpr std::string_view where = "mixq::moving_average_minmax_observer::qparams";
    this->require_data(where);
    return detail::extremes_to_qparams<S>(extremes_, where);
  }

  void merge(const moving_average_minmax_observer& other) {
    constexpr std::string_view where = "mixq::moving_average_minmax_observer::merge";
    this->check_merge(other, where);
    if (other.c_ != c_) {
      MIXQ_THROW(error, "{}: the other observer averages with c = {} but this one with c = {}; expected the same", where,
                 other.c_, c_);
    }
    extremes_.resize(other.extremes_.lo.size());
    if (updates_.size() < other.updates_.size()) updates_.resize(other.updates_.size(), 0);
    for (std::size_t c = 0; c < other.updates_.size(); ++c) {
      const std::uint64_t n = updates_[c], m = other.updates_[c];
      if (m == 0) continue;
      if (n == 0) {
        extremes_.lo[c] = other.extremes_.lo[c];
        extremes_.hi[c] = other.extremes_.hi[c];
      } else {
        const double w = static_cast<double>(m) / static_cast<double>(n + m);
        auto mean = [w](float a, float b) {
          return static_cast<float>(static_cast<double>(a) + w * (static_cast<double>(b) - static_cast<double>(a)));
        };
        extremes_.lo[c] = mean(extremes_.lo[c], other.extremes_.lo[c]);
        extremes_.hi[c] = mean(extremes_.hi[c], other.extremes_.hi[c]);
      }
      updates_[c] = n + m;
    }
    this->merge_counts(other);
  }

  void reset() noexcept {
    extremes_.clear();
    updates_.clear();
    this->reset_counts();
  }

  float averaging_constant() const noexcept { return c_; }
  const std::vector<float>& min_values() const noexcept { return extremes_.lo; }
  const std::vector<float>& max_values() const noexcept { return extremes_.hi; }

private:
  float c_;
  detail::channel_extremes extremes_;
  std::vector<std::uint64_t> updates_;  // batches that moved each channel
};

}  // namespace mixq
