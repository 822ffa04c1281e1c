#pragma once
// The quantization parameters of a network's activations: for every value
// and each activation width (8, 4, 2 bits), the scale and zero point its
// codes use. They come from the source model (a QDQ import) or from
// calibration (model/calibrate.hpp).

#include <array>
#include <cmath>
#include <cstddef>
#include <optional>
#include <vector>

#include <xtensor/xadapt.hpp>

#include <mixq/calibration/minmax.hpp>
#include <mixq/config.hpp>
#include <mixq/core/scheme.hpp>
#include <mixq/model/graph.hpp>
#include <mixq/model/precision.hpp>

namespace mixq {

/// Activation widths a network's codes may have.
inline constexpr int activation_widths[] = {8, 4, 2};

constexpr std::size_t width_index(int bits) noexcept { return bits == 8 ? 0 : bits == 4 ? 1 : 2; }

namespace detail {
template <int Bits>
activation_params unsigned_params_from_range(float lo, float hi) {
  constexpr scheme S{.bits = Bits, .is_signed = false, .symmetric = false};
  minmax_observer<S> obs;
  const std::array<float, 2> range{lo, hi};
  obs.observe(xt::adapt(range.data(), range.size(), xt::no_ownership(), std::array<std::size_t, 1>{2}));
  const qparams<S> q = obs.qparams();
  return {q.scale, q.zero_point, Bits, false};
}
}  // namespace detail

/// Unsigned asymmetric parameters of `bits` bits covering [lo, hi] (widened
/// to include 0), by the min-max rule (calibration/range_rule.hpp).
inline activation_params params_from_range(float lo, float hi, int bits) {
  switch (bits) {
    case 8: return detail::unsigned_params_from_range<8>(lo, hi);
    case 4: return detail::unsigned_params_from_range<4>(lo, hi);
    case 2: return detail::unsigned_params_from_range<2>(lo, hi);
    default: MIXQ_THROW(error, "mixq::params_from_range: bits = {}; expected 8, 4 or 2", bits);
  }
}

/// The range a set of parameters represents: [scale * (qmin - zp), scale * (qmax - zp)].
inline std::pair<float, float> represented_range(const activation_params& p) noexcept {
  return {p.scale * static_cast<float>(p.qmin() - p.zero_point), p.scale * static_cast<float>(p.qmax() - p.zero_point)};
}

/// Parameters of every value at each activation width, where known.
class activation_calibration {
public:
  activation_calibration() = default;
  explicit activation_calibration(std::size_t values) : table_(values) {}

  std::size_t values() const noexcept { return table_.size(); }

  const std::optional<activation_params>& get(value_id v, int bits) const {
    return table_.at(v)[width_index(bits)];
  }
  void set(value_id v, const activation_params& p) { table_.at(v)[width_index(p.bits)] = p; }

  /// Every width from one range (observed in float).
  void set_range(value_id v, float lo, float hi) {
    for (const int b : activation_widths) set(v, params_from_range(lo, hi, b));
  }

  /// Fills what `other` knows and this does not.
  void merge_missing(const activation_calibration& other) {
    if (table_.size() < other.table_.size()) table_.resize(other.table_.size());
    for (std::size_t v = 0; v < other.table_.size(); ++v) {
      for (std::size_t b = 0; b < 3; ++b) {
        if (!table_[v][b] && other.table_[v][b]) table_[v][b] = other.table_[v][b];
      }
    }
  }

private:
  std::vector<std::array<std::optional<activation_params>, 3>> table_;
};

/// The parameters a quantized (QDQ) source model gives its values: its own
/// width as stored, the other widths from the range the stored ones cover.
inline activation_calibration source_calibration(const network& net) {
  activation_calibration cal(net.values().size());
  for (value_id v = 0; v < net.values().size(); ++v) {
    const auto& src = net.value(v).source;
    if (!src) continue;
    const auto [lo, hi] = represented_range(*src);
    for (const int b : activation_widths) {
      if (b == src->bits) {
        cal.set(v, *src);
      } else {
        cal.set(v, params_from_range(lo, hi, b));
      }
    }
  }
  return cal;
}

/// The precision of each layer with weights as a quantized source model
/// stores it: its weight codes' width and its input's activation width
/// (8 where the source does not say; max pooling and flatten pass their
/// input's on). A float model's plan is w8a8 throughout.
inline precision_plan native_plan(const network& net) {
  precision_plan plan;
  for (const std::size_t i : net.weighted_layers()) {
    const layer& l = net.layers()[i];
    precision p{8, 8};
    std::visit(
        [&](const auto& op) {
          if constexpr (requires { op.source; }) {
            if (op.source) p.w_bits = op.source->bits;
          }
        },
        l.op);
    value_id v = l.inputs[0];
    for (;;) {
      const layer& producer = net.layers()[net.producer(v)];
      const auto* pool = std::get_if<pool_op>(&producer.op);
      if (net.value(v).source || !(std::holds_alternative<flatten_op>(producer.op) || (pool && pool->max))) break;
      v = producer.inputs[0];
    }
    if (net.value(v).source) p.a_bits = net.value(v).source->bits;
    plan.layers.emplace_back(l.name, p);
  }
  return plan;
}

}  // namespace mixq
