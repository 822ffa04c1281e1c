#pragma once
// Runners of the integer executor on each instruction set compiled into the
// test binary (one translation unit per set, built with its flags, like the
// kernel tables), so the model tests compare every one the CPU has with the
// scalar twins.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <mixq/model/model.hpp>

namespace mixq_test {

struct model_arch {
  std::string name;
  bool (*available)();
  std::vector<float> (*run)(const std::shared_ptr<const mixq::network>& net, const mixq::activation_calibration& cal,
                            const mixq::precision_plan& plan, const std::vector<float>& x, std::size_t n,
                            const mixq::model_options& options);
};

template <class Arch>
model_arch make_model_arch() {
  return {Arch::name(), [] { return mixq::available<Arch>(); },
          [](const std::shared_ptr<const mixq::network>& net, const mixq::activation_calibration& cal,
             const mixq::precision_plan& plan, const std::vector<float>& x, std::size_t n,
             const mixq::model_options& options) {
            mixq::basic_model<mixq::kernel_backend<Arch>> m(net, cal, plan, options);
            return m.run(x, n);
          }};
}

/// Every architecture this binary has a runner for (the portable one first).
std::vector<model_arch> model_archs();

}  // namespace mixq_test
