#pragma once
// PyTorch (libtorch) as a peer of the whole-network benchmark: its two
// quantized CPU engines, oneDNN and QNNPACK, running the benchmark's networks
// as TorchScript written by bench/torch_models.py (post-training static
// quantization: per-channel symmetric int8 weights, uint8 activations; random
// weights, which latency does not depend on). Only torch_peer.cpp sees torch's
// headers: this one is plain C++ for mixq_bench_model.cpp.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace mixq_bench {

/// Registers model/pytorch-<engine>/<network>/w8a8 (engine onednn or qnnpack)
/// for each network whose <model_dir>/<network>.<engine>.pt exists: batch 1,
/// one intra-op thread, counters latency_us and, when `macs` gives the
/// network's multiply-accumulates, GMAC/s. Where model_dir itself is missing
/// every pair is registered, to be skipped with a message saying how to make it.
void register_torch_peers(const std::vector<std::string>& networks, const std::string& model_dir,
                          std::function<std::size_t(const std::string&)> macs = {});

}  // namespace mixq_bench
