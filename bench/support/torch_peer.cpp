// PyTorch's quantized engines as peers of bench/mixq_bench_model.cpp (see torch_peer.hpp).
#include "support/torch_peer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <ATen/Parallel.h>
#include <torch/script.h>

namespace mixq_bench {
namespace {

struct engine {
  const char* name;  // as torch.backends.quantized.engine and the file names spell it
  at::QEngine id;
};

constexpr engine engines[] = {{"onednn", at::QEngine::ONEDNN}, {"qnnpack", at::QEngine::QNNPACK}};

// "1,3,224,224" (the extra file bench/torch_models.py stores) -> {1, 3, 224, 224}.
std::vector<std::int64_t> parse_shape(const std::string& text) {
  std::vector<std::int64_t> shape;
  std::istringstream in(text);
  std::string d;
  while (std::getline(in, d, ',')) shape.push_back(std::stoll(d));
  if (shape.size() != 4) throw std::runtime_error(fmt::format("input_shape '{}': expected N,C,H,W", text));
  return shape;
}

void model_torch(benchmark::State& state, const std::string& network, const engine& e, const std::string& path,
                 const std::function<std::size_t(const std::string&)>& macs) {
  try {
    if (!std::filesystem::exists(path)) {
      const std::string why = fmt::format("no {}: building mixq_bench_model writes it (bench/torch_models.py)", path);
      state.SkipWithError(why.c_str());
      return;
    }
    const auto& supported = at::globalContext().supportedQEngines();
    if (std::find(supported.begin(), supported.end(), e.id) == supported.end()) {
      state.SkipWithError(fmt::format("this libtorch has no {} quantized engine", e.name).c_str());
      return;
    }
    // Before the load: quantized weights are packed for the engine current when the module is read.
    at::globalContext().setQEngine(e.id);
    at::set_num_threads(1);
    torch::jit::ExtraFilesMap extra{{"input_shape", ""}};
    torch::jit::Module module = torch::jit::load(path, c10::nullopt, extra);
    module.eval();
    c10::InferenceMode inference;
    at::manual_seed(2);
    // Channels-last, the layout torch's quantized convolutions work in (as XNNPACK is given NHWC):
    // no conversion of the input inside the timed run.
    const std::vector<c10::IValue> inputs{at::rand(parse_shape(extra["input_shape"]))
                                              .contiguous(at::MemoryFormat::ChannelsLast)};
    for (int i = 0; i < 3; ++i) {
      if (!module.forward(inputs).isTensor()) throw std::runtime_error(path + ": the output is not a tensor");
    }
    const auto start = std::chrono::steady_clock::now();
    for (auto _ : state) {
      c10::IValue y = module.forward(inputs);
      benchmark::DoNotOptimize(y);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double runs = static_cast<double>(state.iterations());
    state.counters["latency_us"] = seconds * 1e6 / runs;
    if (macs) {
      try {
        state.counters["GMAC/s"] = static_cast<double>(macs(network)) * runs / seconds * 1e-9;
      } catch (const std::exception&) {
        // No count for this network (mixq could not build it): latency alone.
      }
    }
  } catch (const c10::Error& err) {
    state.SkipWithError(fmt::format("torch ({}): {}", e.name, err.what_without_backtrace()).c_str());
  } catch (const std::exception& err) {
    state.SkipWithError(fmt::format("torch ({}): {}", e.name, err.what()).c_str());
  }
}

}  // namespace

void register_torch_peers(const std::vector<std::string>& networks, const std::string& model_dir,
                          std::function<std::size_t(const std::string&)> macs) {
  const bool have_dir = std::filesystem::is_directory(model_dir);
  for (const std::string& network : networks) {
    for (const engine& e : engines) {
      const std::string path = fmt::format("{}/{}.{}.pt", model_dir, network, e.name);
      // No file in an existing directory: bench/torch_models.py could not build that pair (it said why).
      if (have_dir && !std::filesystem::exists(path)) continue;
      auto run = [network, &e, path, macs](benchmark::State& s) { model_torch(s, network, e, path, macs); };
      benchmark::RegisterBenchmark(fmt::format("model/pytorch-{}/{}/w8a8", e.name, network).c_str(), run)
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
    }
  }
}

}  // namespace mixq_bench
