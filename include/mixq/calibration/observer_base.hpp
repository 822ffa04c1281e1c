#pragma once
// What every observer shares: the non-finite policy, the channel count fixed
// by the first batch, the counters, and the checks at the start of
// observe(), merge() and qparams().

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <mixq/calibration/batch.hpp>
#include <mixq/calibration/observer_options.hpp>
#include <mixq/config.hpp>
#include <mixq/core/scheme.hpp>

namespace mixq::detail {

/// Text known at compile time, kept in a constant.
template <std::size_t N>
struct fixed_text {
  char text[N] = {};
  constexpr std::string_view view() const noexcept { return {text, N}; }
};

/// "mixq::<Observer::name>_observer<member>" as a constant: the `where` of
/// an observer's messages, e.g. observer_where<mse_observer<S>>("::merge").
template <class Observer, std::size_t M>
constexpr auto observer_where(const char (&member)[M]) noexcept {
  constexpr std::string_view prefix = "mixq::", name = Observer::name, suffix = "_observer";
  fixed_text<prefix.size() + name.size() + suffix.size() + M - 1> out;
  std::size_t i = 0;
  for (const std::string_view part : {prefix, name, suffix, std::string_view(member, M - 1)}) {
    for (const char ch : part) out.text[i++] = ch;
  }
  return out;
}

/// Thrown by qparams() for a channel that never saw a finite value.
[[noreturn]] inline void throw_empty_channel(std::string_view where, std::size_t channel) {
  MIXQ_THROW(error,
             "{}: channel {} has seen no finite value (all were NaN or infinite); expected at least one per channel "
             "before qparams()",
             where, channel);
}

template <scheme S>
  requires ValidScheme<S>
class observer_base {
public:
  static constexpr mixq::scheme scheme_value = S;

  /// Channels seen so far: 1 for per-tensor schemes, the extent along the
  /// axis once a per-channel observer has seen data, 0 before.
  std::size_t channels() const noexcept { return channels_; }
  /// Finite values observed.
  std::uint64_t count() const noexcept { return count_; }
  /// NaN and infinities left out under non_finite_policy::ignore.
  std::uint64_t non_finite_count() const noexcept { return non_finite_; }
  /// Non-empty batches observed (merge adds the other observer's).
  std::uint64_t batches() const noexcept { return batches_; }
  non_finite_policy non_finite() const noexcept { return policy_; }

protected:
  explicit observer_base(non_finite_policy policy) noexcept : policy_(policy) {}

  /// Checks a non-empty batch against earlier ones and scans it. Nothing is
  /// modified, so a throw leaves the observer as it was.
  batch_ranges scan(const float_batch& b, std::string_view where) const {
    if (channels_ != 0 && b.channels() != channels_) {
      MIXQ_THROW(error,
                 "{}: x has extent {} along axis {} but earlier batches had {}; expected the same number of "
                 "channels in every batch",
                 where, b.channels(), S.axis, channels_);
    }
    return scan_ranges(b, policy_, where);
  }

  /// Records a batch that was accepted.
  void commit(const float_batch& b, const batch_ranges& r) noexcept {
    channels_ = b.channels();
    count_ += b.size() - r.non_finite;
    non_finite_ += r.non_finite;
    ++batches_;
  }

  /// Throws unless `other` can be merged into this observer.
  void check_merge(const observer_base& other, std::string_view where) const {
    if (channels_ != 0 && other.channels_ != 0 && channels_ != other.channels_) {
      MIXQ_THROW(error, "{}: the other observer saw {} channels but this one {}; expected the same number", where,
                 other.channels_, channels_);
    }
  }

  void merge_counts(const observer_base& other) noexcept {
    if (channels_ == 0) channels_ = other.channels_;
    count_ += other.count_;
    non_finite_ += other.non_finite_;
    batches_ += other.batches_;
  }

  void reset_counts() noexcept {
    channels_ = is_per_channel(S) ? 0 : 1;
    count_ = non_finite_ = batches_ = 0;
  }

  /// Throws unless some finite data was observed.
  void require_data(std::string_view where) const {
    if (count_ == 0) {
      MIXQ_THROW(error,
                 "{}: no data observed yet ({} batches, {} non-finite values left out); expected observe() with at "
                 "least one finite value before qparams()",
                 where, batches_, non_finite_);
    }
  }

  non_finite_policy policy_;
  std::size_t channels_ = is_per_channel(S) ? 0 : 1;
  std::uint64_t count_ = 0;
  std::uint64_t non_finite_ = 0;
  std::uint64_t batches_ = 0;
};

/// The preamble of observe(): the axis check and the conversion to float32.
template <scheme S, class E>
float_batch make_batch(const xt::xexpression<E>& x, std::string_view where) {
  check_axis<S>(x, where);
  return float_batch(x, S.axis);
}

}  // namespace mixq::detail
