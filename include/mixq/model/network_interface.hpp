#pragma once
// What on-chip profiling (profile/) and forward-only sensitivity
// (sensitivity/) need of a network runtime, as a concept: mixq::model
// implements it, and so can an integrator's own engine -- then mixq measures
// that engine's layers, with that engine's kernels, on the device.
//
// The layers it speaks of are those a precision plan assigns (with weights),
// numbered 0 .. layer_count() - 1 in network order.

#include <concepts>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include <mixq/model/precision.hpp>

namespace mixq {

/// What a layer costs at a precision before it runs (model/model.hpp fills it).
struct layer_cost;

/// A network whose layers can each run at a precision chosen at run time:
///
///   layer_count(), layer_name(l)        the layers a plan assigns
///   supports(l, p)                      whether layer l has a kernel for p
///   layer_precision(l), set_precision(l, p)
///   cost(l, p)                          size_bytes, bops, macs of layer l at p
///   input_elements(), output_elements() floats per sample in and out
///   run(in, n, out)                     n samples through the whole network
///   run(in, n, out, &seconds)           the same, adding the time of each of its layers (all of them,
///                                       with weights or not, sizing `seconds` first) to seconds[i]
///   weighted_index(i)                   the plan layer of network layer i, or layer_count() for the others
///   run_layer(l)                        layer l alone again, on the input the last run gave it
///   capture_layer(l)                    layer l's output of the last run, as floats
template <class N>
concept QuantizableNetwork = requires(N& net, const N& cnet, std::size_t l, precision p, std::span<const float> in,
                                      std::size_t n, std::span<float> out, std::vector<double>* seconds) {
  { cnet.layer_count() } -> std::convertible_to<std::size_t>;
  { cnet.layer_name(l) } -> std::convertible_to<std::string_view>;
  { cnet.supports(l, p) } -> std::convertible_to<bool>;
  { cnet.layer_precision(l) } -> std::convertible_to<precision>;
  net.set_precision(l, p);
  cnet.cost(l, p);
  { cnet.input_elements() } -> std::convertible_to<std::size_t>;
  { cnet.output_elements() } -> std::convertible_to<std::size_t>;
  net.run(in, n, out);
  net.run(in, n, out, seconds);
  { cnet.weighted_index(l) } -> std::convertible_to<std::size_t>;
  net.run_layer(l);
  { cnet.capture_layer(l) } -> std::convertible_to<std::vector<float>>;
};

}  // namespace mixq
