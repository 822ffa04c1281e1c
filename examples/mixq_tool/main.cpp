// mixq: command-line tools around the library. `mixq help` lists them.
#include <algorithm>
#include <array>
#include <cstdio>
#include <exception>
#include <span>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <mixq/config.hpp>

#include "commands.hpp"

namespace {

// Add a subcommand: a row here and its function (declared in commands.hpp).
constexpr std::array commands{
    mixq_tool::command{"allocate", "PROBLEM.json [--time-limit S] [--pareto BUDGET]",
                       "choose each layer's bit-widths: least total sensitivity within the budgets, proven optimal",
                       &mixq_tool::allocate},
#if MIXQ_TOOL_WITH_NETWORKS
    mixq_tool::command{"eval", "MODEL.onnx --data DIR [--precision P] [--plan PLAN.json] [--limit N]",
                       "accuracy of a network on the test images at a precision, and the latency of one image",
                       &mixq_tool::eval},
    mixq_tool::command{"run", "MODEL.onnx --input X.npy -o Y.npy [--precision P] [--plan PLAN.json] [--data DIR]",
                       "a network's float outputs for the inputs of a .npy file", &mixq_tool::run},
    mixq_tool::command{"profile", "MODEL.onnx [--options w8a8,w4a8,...] [--check N]",
                       "each layer's latency at each precision, measured on this machine", &mixq_tool::profile},
    mixq_tool::command{"sensitivity", "MODEL.onnx --data DIR [--metric kl|mse|sqnr|flips] [--samples N]",
                       "each layer's accuracy impact at each precision, by forward passes", &mixq_tool::sensitivity},
    mixq_tool::command{"ohq", "MODEL.onnx --data DIR --budget latency=R [--budget size=R] [--out DIR]",
                       "profile, sensitivity, exact allocation and the measured mixed network, in one run",
                       &mixq_tool::ohq},
    mixq_tool::command{"requant", "MODEL.onnx --to PRESET -o OUT.onnx [--data DIR]",
                       "convert a quantized model to another scheme (sym, sym-per-channel, sym-pow2, tflite)",
                       &mixq_tool::requant},
#endif
};

// The commands that read ONNX models: built only where mixq::onnx and mixq::io are.
constexpr std::array<std::string_view, 6> network_commands{"eval", "run", "profile", "sensitivity", "ohq", "requant"};
#if MIXQ_TOOL_WITH_NETWORKS
constexpr bool with_networks = true;
#else
constexpr bool with_networks = false;
#endif

void usage(std::FILE* to) {
  fmt::print(to, "usage: mixq <command> [arguments]\n\ncommands:\n");
  for (const auto& c : commands) fmt::print(to, "  mixq {} {}\n      {}\n", c.name, c.arguments, c.summary);
  if (!with_networks) {
    fmt::print(to, "\nThis mixq was built without its network commands ({}):\n"
                   "they need libonnx and protobuf (Debian libonnx-dev), which the build did not find.\n",
               fmt::join(network_commands, ", "));
  }
  fmt::print(to, "\n`mixq <command> --help` describes a command.\n");
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) {
    usage(stderr);
    return 2;
  }
  if (args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    usage(stdout);
    return 0;
  }
  for (const auto& c : commands) {
    if (c.name != args[0]) continue;
    try {
      return c.run(std::span(args).subspan(1));
    } catch (const mixq_tool::input_error& e) {
      fmt::print(stderr, "mixq {}: {}\n", c.name, e.what());
      return 2;
    } catch (const mixq::error& e) {
      // The library's refusals name the input at fault (e.g. a model the kernels cannot run as given).
      fmt::print(stderr, "mixq {}: {}\n", c.name, e.what());
      return 2;
    } catch (const std::exception& e) {
      fmt::print(stderr, "mixq {}: internal error: {}\n", c.name, e.what());
      return 1;
    }
  }
  if (!with_networks && std::find(network_commands.begin(), network_commands.end(), args[0]) != network_commands.end()) {
    fmt::print(stderr, "mixq: '{}' is not built into this mixq: the network commands need libonnx and protobuf "
                       "(Debian libonnx-dev), which the build did not find\n", args[0]);
    return 2;
  }
  fmt::print(stderr, "mixq: unknown command '{}'\n\n", args[0]);
  usage(stderr);
  return 2;
}
