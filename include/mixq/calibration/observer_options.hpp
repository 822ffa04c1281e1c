#pragma once
// What the observers can be told: how to treat NaN and infinities, and each
// method's own knobs. Every field has the documented default, so `{}` is the
// usual argument and designated initializers name the rest:
//
//   minmax_observer<S> a;                                                 // NaN / inf -> mixq::error
//   minmax_observer<S> b({.non_finite = non_finite_policy::ignore});      // skip and count them
//   percentile_observer<S> p({.percentile = 99.9});

#include <cstddef>

namespace mixq {

/// What observe() does with NaN and infinities.
enum class non_finite_policy {
  error,   ///< throw mixq::error naming the first one (the default)
  ignore,  ///< leave them out of the statistics and count them (non_finite_count())
};

/// minmax_observer.
struct minmax_options {
  non_finite_policy non_finite = non_finite_policy::error;
};

/// moving_average_minmax_observer: min <- min + c * (batch_min - min), as PyTorch.
struct moving_average_options {
  float averaging_constant = 0.01f;  ///< c, in (0, 1]
  non_finite_policy non_finite = non_finite_policy::error;
};

/// histogram_observer, mse_observer and entropy_observer.
struct histogram_options {
  std::size_t bins = 2048;  ///< histogram bins per channel
  non_finite_policy non_finite = non_finite_policy::error;
};

/// percentile_observer.
struct percentile_options {
  double percentile = 99.99;  ///< in [50, 100]; 100 is the min-max range read from the histogram
  std::size_t bins = 2048;
  non_finite_policy non_finite = non_finite_policy::error;
};

}  // namespace mixq
