#pragma once
// Calibration of a network's activations: run it in float on sample inputs,
// observe every value, and keep the parameters the observer gives each one
// at 8, 4 and 2 bits (unsigned asymmetric codes, as PyTorch's quint8).
//
//   mixq::activation_calibration cal = mixq::calibrate(net, images, n);   // min-max
//   mixq::model m(net, cal, {.all = {8, 8}});

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <tuple>
#include <vector>

#include <xtensor/xadapt.hpp>

#include <mixq/calibration/entropy.hpp>
#include <mixq/calibration/histogram.hpp>
#include <mixq/calibration/minmax.hpp>
#include <mixq/calibration/mse.hpp>
#include <mixq/calibration/percentile.hpp>
#include <mixq/config.hpp>
#include <mixq/model/activation_params.hpp>
#include <mixq/model/model.hpp>

namespace mixq {

/// Which observer calibrates the activations (calibration/ has each).
enum class activation_observer { minmax, histogram, percentile, mse, entropy };

inline std::string_view to_string(activation_observer o) noexcept {
  switch (o) {
    case activation_observer::minmax: return "minmax";
    case activation_observer::histogram: return "histogram";
    case activation_observer::percentile: return "percentile";
    case activation_observer::mse: return "mse";
    case activation_observer::entropy: return "entropy";
  }
  return "?";
}

struct calibration_options {
  activation_observer observer = activation_observer::minmax;
  std::size_t batch = 32;  ///< samples per float pass
};

namespace detail {

inline constexpr scheme calibration_schemes[] = {{.bits = 8, .is_signed = false, .symmetric = false},
                                                 {.bits = 4, .is_signed = false, .symmetric = false},
                                                 {.bits = 2, .is_signed = false, .symmetric = false}};

// One observer per activation width for each value.
template <template <scheme> class Observer>
class observed_values {
public:
  explicit observed_values(std::size_t values) : observers_(values) {}

  void observe(value_id v, const float* x, std::size_t n) {
    auto data = xt::adapt(x, n, xt::no_ownership(), std::array<std::size_t, 1>{n});
    std::apply([&](auto&... obs) { (obs.observe(data), ...); }, observers_[v]);
    seen_[v] = true;
  }

  activation_calibration result() const {
    activation_calibration cal(observers_.size());
    for (value_id v = 0; v < observers_.size(); ++v) {
      if (!seen_[v]) continue;
      std::apply([&](const auto&... obs) { (cal.set(v, to_params(obs.qparams())), ...); }, observers_[v]);
    }
    return cal;
  }

private:
  template <scheme S>
  static activation_params to_params(const qparams<S>& q) {
    return {q.scale, q.zero_point, S.bits, S.is_signed};
  }
  using set = std::tuple<Observer<calibration_schemes[0]>, Observer<calibration_schemes[1]>,
                         Observer<calibration_schemes[2]>>;
  std::vector<set> observers_;
  std::vector<bool> seen_ = std::vector<bool>(observers_.size(), false);
};

template <template <scheme> class Observer, class Backend>
activation_calibration calibrate_with(basic_model<Backend>& m, std::span<const float> inputs, std::size_t n) {
  observed_values<Observer> obs(m.graph().values().size());
  m.run_observed(inputs, n, [&](value_id v, const float* x, std::size_t count) { obs.observe(v, x, count); });
  return obs.result();
}

}  // namespace detail

/// Parameters of every value from n sample inputs (n x C x H x W floats),
/// observed with the network in float. Throws mixq::error for no samples.
inline activation_calibration calibrate(std::shared_ptr<const network> net, std::span<const float> inputs,
                                        std::size_t n, const calibration_options& options = {}) {
  if (n == 0) MIXQ_THROW(error, "mixq::calibrate: no samples; expected at least one calibration input");
  using float_model = basic_model<kernel_backend<default_arch>>;
  float_model m(std::move(net), {}, precision_plan{.all = fp32}, {.max_batch = options.batch ? options.batch : 32});
  switch (options.observer) {
    case activation_observer::minmax: return detail::calibrate_with<minmax_observer>(m, inputs, n);
    case activation_observer::histogram: return detail::calibrate_with<histogram_observer>(m, inputs, n);
    case activation_observer::percentile: return detail::calibrate_with<percentile_observer>(m, inputs, n);
    case activation_observer::mse: return detail::calibrate_with<mse_observer>(m, inputs, n);
    case activation_observer::entropy: return detail::calibrate_with<entropy_observer>(m, inputs, n);
  }
  MIXQ_THROW(error, "mixq::calibrate: unknown observer");
}

}  // namespace mixq
