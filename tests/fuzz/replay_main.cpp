// mixq_fuzz_replay TARGET PATH...: runs a fuzz target (tests/fuzz/targets)
// on every file named, and on every file of every folder named, in name
// order. The ordinary test suite replays the committed corpora with it, so
// each input that once found a bug stays a test without libFuzzer.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fuzz_target.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  const auto& targets = mixq_fuzz::registry();
  if (argc < 3 || !targets.contains(argv[1])) {
    fmt::print(stderr, "usage: mixq_fuzz_replay TARGET FILE|FOLDER...\ntargets:");
    for (const auto& [name, f] : targets) fmt::print(stderr, " {}", name);
    fmt::print(stderr, "\n");
    return 2;
  }
  const mixq_fuzz::target_fn target = targets.at(argv[1]);
  std::vector<fs::path> files;
  for (int i = 2; i < argc; ++i) {
    const fs::path p(argv[i]);
    if (fs::is_directory(p)) {
      for (const auto& e : fs::directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    } else if (fs::is_regular_file(p)) {
      files.push_back(p);
    } else {
      fmt::print(stderr, "mixq_fuzz_replay: {} is neither a file nor a folder\n", p.string());
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    fmt::print(stderr, "mixq_fuzz_replay: no inputs found\n");
    return 2;
  }
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    target(bytes.data(), bytes.size());
  }
  fmt::print("{}: {} inputs replayed\n", argv[1], files.size());
  return 0;
}
