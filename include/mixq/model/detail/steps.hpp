#pragma once
// The steps an executor runs, in order: what a network under a precision
// plan compiles to. Each step reads and writes buffers ("slots") sized for
// the executor's largest batch, and belongs to one layer of the network (its
// owner), so a profile can time a layer's steps together.

#include <cstddef>
#include <cstdint>
#include <variant>
#include <vector>

#include <mixq/core/fixed_point.hpp>
#include <mixq/kernels/requantize.hpp>
#include <mixq/model/detail/code_ops.hpp>
#include <mixq/model/detail/layer_weights.hpp>
#include <mixq/model/graph.hpp>
#include <mixq/model/precision.hpp>

namespace mixq::detail {

/// A buffer of the executor: float32 values or one byte per code.
struct slot {
  bool codes = false;
  value_id value = 0;
  std::size_t elements = 0;  ///< per sample
  activation_params params;  ///< of the codes
};

/// Float input -> codes (the network's input, or a float value an integer layer reads).
struct quantize_step {
  std::size_t from, to;
};
/// Codes -> float (for a float layer or the network's output).
struct dequantize_step {
  std::size_t from, to;
};
/// Codes -> codes of other parameters (a consumer that reads fewer bits).
struct convert_step {
  std::size_t from, to;
  code_table table;
};

/// A layer with weights on codes, through the backend's kernels. `Kernel` is
/// the typed instantiation chosen for the layer's precision.
template <class Kernel>
struct weighted_step {
  std::size_t layer;
  std::size_t from, to;
  bool float_output = false;
  Kernel kernel;
  std::vector<std::int32_t> bias;              ///< in units of in_scale * w_scale[n]
  std::vector<fixed_multiplier> multipliers;   ///< code output: in_scale * w_scale[n] / out_scale
  std::vector<float> output_scale;             ///< float output: in_scale * w_scale[n]; code output under
                                               ///< requantize_rule::float32: in_scale * w_scale[n] / out_scale
  requantize_params requantize{};              ///< code output (points into `multipliers` or `output_scale`)
  fused_clamp clamp;                           ///< float output
};

/// A layer computed in float32 (any operator).
struct float_step {
  std::size_t layer;
  std::vector<std::size_t> from;
  std::size_t to;
};

/// A layer without weights on codes.
struct code_step {
  std::size_t layer;
  std::vector<std::size_t> from;
  std::size_t to;
  add_params add;                      ///< add
  average_params average;              ///< average and global pooling
  std::vector<code_table> tables;      ///< concat: one per input; clamp: one
  std::vector<bool> copy;              ///< concat: input needs no rescaling
};

}  // namespace mixq::detail
