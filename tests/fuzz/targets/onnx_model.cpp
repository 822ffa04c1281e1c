// The ONNX importer (float and QDQ models): any bytes are a network or a
// mixq::error. A network small enough to run quickly is then run once, in
// float and (for a quantized model) at its own quantization, on a zero
// input: what the importer accepts, the executors must run. A quantized one
// is also re-quantized to every preset (requant/network.hpp) and the result
// run: a conversion either succeeds or says why.
#include <cmath>
#include <vector>

#include <mixq/io/onnx.hpp>
#include <mixq/model/model.hpp>
#include <mixq/requant/network.hpp>

#include "../fuzz_target.hpp"

MIXQ_FUZZ_TARGET(onnx_model) {
  mixq::network net;
  try {
    net = mixq::import_onnx_bytes(data, size, "model.onnx");
  } catch (const mixq::error&) {
    return;
  }
  // Run only what stays cheap: a fuzzer needs thousands of inputs a second.
  std::size_t elements = 0, macs = 0;
  for (const auto& v : net.values()) elements += v.shape.elements();
  for (const auto& l : net.layers()) macs += mixq::layer_macs(l, net.values());
  if (elements > (1u << 16) || macs > (1u << 20)) return;

  const std::vector<float> zeros(net.input_shape().elements(), 0.0f);
  try {
    mixq::model fp(net, {}, mixq::precision_plan{.all = mixq::fp32});
    const std::vector<float> out = fp.run(zeros, 1);
    if (out.size() != net.output_shape().elements()) {
      mixq_fuzz::fail("the float executor wrote {} outputs for a {}-element output", out.size(),
                      net.output_shape().elements());
    }
    if (net.is_quantized()) {
      mixq::model q(net, mixq::source_calibration(net), mixq::native_plan(net));
      const std::vector<float> qout = q.run(zeros, 1);
      for (const float v : qout) {
        if (!std::isfinite(v)) mixq_fuzz::fail("the integer executor wrote a non-finite logit {}", v);
      }
      for (const auto& [name, preset] : mixq::requant_presets) {
        try {
          const auto r = mixq::requantize(net, preset, {}, mixq::propagate_means(net));
          mixq::model c(r.net, mixq::source_calibration(r.net), mixq::native_plan(r.net));
          for (const float v : c.run(zeros, 1)) {
            if (!std::isfinite(v)) mixq_fuzz::fail("the network re-quantized to {} wrote a non-finite logit {}", name, v);
          }
        } catch (const mixq::error&) {
          // A target the source cannot be converted to is refused with a message.
        }
      }
    }
  } catch (const mixq::error&) {
    // A network the executors refuse with a message (e.g. a precision without a kernel) is fine.
  }
}
