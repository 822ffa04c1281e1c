#pragma once
// The `mixq` tool's subcommands. A subcommand is a function from its
// arguments to an exit code, listed once in the table in main.cpp.
//
// Exit codes: 0 done (for `allocate`, whatever the plan's status), 1 an
// internal failure, 2 bad usage or malformed input (the message on stderr
// says what, and where: a JSON path such as $.layers[3].options[1]).

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mixq_tool {

/// Bad usage or malformed input: exit code 2, the message on stderr.
class input_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct command {
  std::string_view name;
  std::string_view arguments;  ///< usage after the name
  std::string_view summary;
  int (*run)(std::span<const std::string_view> args);
};

/// `mixq allocate PROBLEM.json [--time-limit S] [--pareto BUDGET]`
int allocate(std::span<const std::string_view> args);

/// `mixq eval MODEL.onnx --data DIR [--precision P] [--plan PLAN.json] [--limit N] ...`
int eval(std::span<const std::string_view> args);

/// `mixq run MODEL.onnx --input X.npy -o Y.npy [--precision P] [--plan PLAN.json] [--data DIR]`
int run(std::span<const std::string_view> args);

/// `mixq profile MODEL.onnx [--options LIST] [--check N]`
int profile(std::span<const std::string_view> args);

/// `mixq sensitivity MODEL.onnx --data DIR [--metric M] [--samples N]`
int sensitivity(std::span<const std::string_view> args);

/// `mixq ohq MODEL.onnx --data DIR --budget latency=R [--budget size=R] [--out DIR]`
int ohq(std::span<const std::string_view> args);

/// `mixq requant MODEL.onnx --to PRESET -o OUT.onnx [--data DIR]`
int requant(std::span<const std::string_view> args);

}  // namespace mixq_tool
