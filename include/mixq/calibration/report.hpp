#pragma once
// Which observer to trust for a tensor: the SQNR each one's parameters give
// it under the reference quantize / dequantize, and the best of them.
//
//   auto report = calibrate_and_report<schemes::int8_sym>(weights);   // all six observers
//   fmt::print("{}\n", report);
//   qparams<schemes::int8_sym> p = report.best().params;
//
//   // or observers already calibrated on many batches, judged on one tensor:
//   auto r = make_calibration_report(sample, minmax, mse, entropy);

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xexpression.hpp>

#include <mixq/calibration/batch.hpp>
#include <mixq/calibration/entropy.hpp>
#include <mixq/calibration/histogram.hpp>
#include <mixq/calibration/minmax.hpp>
#include <mixq/calibration/mse.hpp>
#include <mixq/calibration/observer_concepts.hpp>
#include <mixq/calibration/percentile.hpp>
#include <mixq/config.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/core/scheme.hpp>
#include <mixq/io/format.hpp>
#include <mixq/core/quantize_rule.hpp>

namespace mixq {

/// Squared error of quantizing a tensor and dequantizing it again.
struct quantization_error {
  double signal = 0.0;  ///< sum of x^2
  double noise = 0.0;   ///< sum of (x - dequantize(quantize(x)))^2
  std::size_t size = 0;

  /// 10 log10(signal / noise) in dB: +inf when the round trip is exact.
  double sqnr_db() const noexcept {
    if (noise == 0.0) return std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(signal / noise);
  }
  double mean_squared_error() const noexcept { return size == 0 ? 0.0 : noise / static_cast<double>(size); }
};

/// The round-trip error of x under p, by the quantize rule of
/// core/quantize_rule.hpp. Throws for non-finite values, invalid parameters,
/// or a channel count that differs from x's extent along the axis.
template <scheme S, class E>
  requires ValidScheme<S>
quantization_error measure_quantization_error(const xt::xexpression<E>& x, const qparams<S>& p) {
  constexpr std::string_view where = "mixq::measure_quantization_error";
  validate(p, where);
  const detail::float_batch b = detail::make_batch<S>(x, where);
  validate_channels(p, b.channels(), where);
  quantization_error e;
  e.size = b.size();
  const float* v = b.values();
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (!std::isfinite(v[i])) {
      MIXQ_THROW(error, "{}: x[flat index {}] = {} is not finite; expected finite values", where, i, v[i]);
    }
    const std::size_t c = is_per_channel(S) ? b.channel_of(i) : 0;
    const float scale = scale_of(p, c);
    const std::int32_t zp = zero_point_of(p, c);
    const float y = dequantize_code(quantize_code<S>(v[i], 1.0f / scale, zp), scale, zp);
    const double d = static_cast<double>(v[i]) - static_cast<double>(y);
    e.signal += static_cast<double>(v[i]) * static_cast<double>(v[i]);
    e.noise += d * d;
  }
  return e;
}

/// One observer's result on the report's tensor.
template <scheme S>
struct calibration_entry {
  std::string observer;
  qparams<S> params;
  quantization_error error;
  double sqnr_db() const noexcept { return error.sqnr_db(); }
};

/// Each observer's parameters and SQNR on one tensor.
template <scheme S>
struct calibration_report {
  std::vector<calibration_entry<S>> entries;

  /// The entry with the highest SQNR (the first of equals). Throws when empty.
  const calibration_entry<S>& best() const {
    if (entries.empty()) MIXQ_THROW(error, "mixq::calibration_report::best: the report has no entries");
    std::size_t k = 0;
    for (std::size_t i = 1; i < entries.size(); ++i) {
      if (entries[i].error.noise < entries[k].error.noise) k = i;
    }
    return entries[k];
  }
};

/// Judges already-calibrated observers on x.
template <class E, class First, class... Rest>
  requires(CalibrationObserver<First> && (ObserverOf<Rest, First::scheme_value> && ...))
calibration_report<First::scheme_value> make_calibration_report(const xt::xexpression<E>& x, const First& first,
                                                                 const Rest&... rest) {
  constexpr scheme S = First::scheme_value;
  calibration_report<S> report;
  auto add = [&](const auto& o) {
    qparams<S> p = o.qparams();
    quantization_error e = measure_quantization_error(x, p);
    report.entries.push_back({std::string(o.name), std::move(p), e});
  };
  add(first);
  (add(rest), ...);
  return report;
}

/// Calibrates each of the six observers (default options) on x alone and
/// reports them. A moving average over one batch is its min-max.
template <scheme S, class E>
  requires ValidScheme<S>
calibration_report<S> calibrate_and_report(const xt::xexpression<E>& x) {
  minmax_observer<S> minmax;
  moving_average_minmax_observer<S> moving;
  histogram_observer<S> histogram;
  percentile_observer<S> percentile;
  mse_observer<S> mse;
  entropy_observer<S> entropy;
  minmax.observe(x);
  moving.observe(x);
  histogram.observe(x);
  percentile.observe(x);
  mse.observe(x);
  entropy.observe(x);
  return make_calibration_report(x, minmax, moving, histogram, percentile, mse, entropy);
}

}  // namespace mixq

/// A table: observer, SQNR, MSE and parameters, then the best observer.
template <mixq::scheme S>
struct fmt::formatter<mixq::calibration_report<S>> : mixq::detail::no_spec_formatter {
  template <class Ctx>
  auto format(const mixq::calibration_report<S>& r, Ctx& ctx) const -> decltype(ctx.out()) {
    auto out = ctx.out();
    const std::size_t size = r.entries.empty() ? 0 : r.entries.front().error.size;
    out = fmt::format_to(out, "calibration report: {}, {} values\n", S, size);
    out = fmt::format_to(out, "{:<16}{:>11}{:>13}  {}\n", "observer", "SQNR (dB)", "MSE", "parameters");
    for (const auto& e : r.entries) {
      out = fmt::format_to(out, "{:<16}{:>11.2f}{:>13.4g}  {}\n", e.observer, e.sqnr_db(),
                           e.error.mean_squared_error(), e.params);
    }
    if (!r.entries.empty()) {
      out = fmt::format_to(out, "best: {} ({:.2f} dB)", r.best().observer, r.best().sqnr_db());
    }
    return out;
  }
};
