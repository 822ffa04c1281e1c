// The bit-width allocator on allocation tables shaped like ResNet-50 and
// MobileNetV2 (their real layer shapes; 14 options, 3 budgets) and on
// synthetic 100-layer tables (8 options, 2 budgets), next to CBC (COIN-OR
// branch and cut, through its C interface) on the same instances in the same
// run. Both are timed from the problem in memory to the proven optimum:
// mixq's validation and preprocessing, CBC's model building. Each CBC run
// checks that both reach the same objective.
//
//   cmake --preset bench && cmake --build build/bench -j2 --target mixq_bench_alloc
//   build/bench/bench/mixq_bench_alloc --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// The first five instances are the headline ones; sweep/... adds 36 more:
// each family at three budget tightnesses, four tables each.
//
// The tables: latency from a roofline-like model of an edge CPU (integer
// throughput by operand container: 8, 4 or 2 bits; depthwise layers bound by
// memory), bytes of packed weights, BOPs = MACs x w_bits x a_bits, and a
// sensitivity that grows as 4^-bits shrinks, scaled per layer. Budgets sit
// at a fixed fraction between the least and the largest total.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <mixq/alloc/alloc.hpp>

#ifdef MIXQ_HAVE_CBC
#include <coin/Cbc_C_Interface.h>
#endif

namespace {

using mixq::alloc::option;
using mixq::alloc::problem;

struct conv {
  std::string name;
  int kernel, in, out, hw, groups;
  double macs() const { return double(kernel) * kernel * (double(in) / groups) * out * hw; }
  double params() const { return double(kernel) * kernel * (double(in) / groups) * out; }
  bool depthwise() const { return groups > 1; }
};

std::vector<conv> resnet50(std::vector<std::vector<std::string>>& ties) {
  std::vector<conv> net{{"conv1", 7, 3, 64, 112 * 112, 1}};
  const int blocks[] = {3, 4, 6, 3}, mids[] = {64, 128, 256, 512}, sizes[] = {56, 28, 14, 7};
  int in = 64, prev = 56;
  for (int s = 0; s < 4; ++s) {
    const int mid = mids[s], out = 4 * mid, hw = sizes[s] * sizes[s];
    for (int b = 0; b < blocks[s]; ++b) {
      const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(b) + ".";
      net.push_back({p + "conv1", 1, in, mid, b == 0 ? prev * prev : hw, 1});
      net.push_back({p + "conv2", 3, mid, mid, hw, 1});
      net.push_back({p + "conv3", 1, mid, out, hw, 1});
      if (b == 0) {
        net.push_back({p + "downsample", 1, in, out, hw, 1});
        ties.push_back({p + "conv3", p + "downsample"});  // the two inputs of the residual add
      }
      in = out;
    }
    prev = sizes[s];
  }
  net.push_back({"fc", 1, 2048, 1000, 1, 1});
  return net;
}

std::vector<conv> mobilenet_v2(std::vector<std::vector<std::string>>& ties) {
  std::vector<conv> net{{"features.0", 3, 3, 32, 112 * 112, 1}};
  struct stage { int t, c, n, s; };
  const stage stages[] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                          {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int in = 32, size = 112, block = 1;
  for (const stage& st : stages) {
    for (int i = 0; i < st.n; ++i, ++block) {
      const int stride = i == 0 ? st.s : 1, hidden = in * st.t, out_size = size / stride;
      const std::string p = "features." + std::to_string(block) + ".";
      if (st.t != 1) net.push_back({p + "expand", 1, in, hidden, size * size, 1});
      net.push_back({p + "dw", 3, hidden, hidden, out_size * out_size, hidden});
      net.push_back({p + "project", 1, hidden, st.c, out_size * out_size, 1});
      if (i > 0) ties.push_back({"features." + std::to_string(block - 1) + ".project", p + "project"});
      in = st.c;
      size = out_size;
    }
  }
  net.push_back({"features.18", 1, 320, 1280, 7 * 7, 1});
  net.push_back({"classifier", 1, 1280, 1000, 1, 1});
  return net;
}

std::vector<conv> synthetic(int layers, std::mt19937_64& rng) {
  const int widths[] = {32, 64, 128, 256, 512}, sizes[] = {7, 14, 28, 56};
  std::vector<conv> net;
  for (int l = 0; l < layers; ++l) {
    const int k = rng() % 3 == 0 ? 1 : 3, s = sizes[rng() % 4];
    net.push_back({"layer" + std::to_string(l), k, widths[rng() % 5], widths[rng() % 5], s * s, 1});
  }
  return net;
}

int container(int bits) { return bits <= 2 ? 2 : bits <= 4 ? 4 : 8; }

// Integer throughput relative to 8x8 bits, by operand containers.
double speedup(int w, int a) {
  const int cw = container(w), ca = container(a);
  if (ca == 8) return cw == 8 ? 1.0 : cw == 4 ? 1.35 : 1.6;
  return cw == 8 ? 1.15 : cw == 4 ? 2.0 : 2.5;
}

struct table_spec {
  std::vector<int> w_bits, a_bits;
  std::vector<std::string> costs;  // among latency_us, size_bytes, bops
  std::vector<double> tightness;   // per cost: 0 = least total, 1 = largest
  bool pin_ends = true;
};

problem make_table(const std::vector<conv>& net, const std::vector<std::vector<std::string>>& ties,
                   const table_spec& spec, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(1.0, 0.03);
  std::uniform_real_distribution<double> log_alpha(std::log(0.1), std::log(10.0));
  problem p;
  p.cost_names = spec.costs;
  for (std::size_t l = 0; l < net.size(); ++l) {
    const conv& c = net[l];
    mixq::alloc::layer layer{c.name, {}, {}};
    const bool end = l == 0 || l + 1 == net.size();
    const double alpha = std::exp(log_alpha(rng)) * (end ? 5.0 : 1.0);
    for (int w : spec.w_bits) {
      for (int a : spec.a_bits) {
        option o{w, a, 0.0, {}};
        o.sensitivity = alpha * 1e-5 * (std::pow(4.0, 8 - w) + 0.5 * std::pow(4.0, 8 - a)) * noise(rng);
        for (const std::string& name : spec.costs) {
          if (name == "latency_us") {
            // 50 GMAC/s at 8x8 bits; 10 GB/s; 3 us per layer.
            const double compute = c.macs() / (50e3 * (c.depthwise() ? 1.0 : speedup(w, a)));
            const double memory = (c.params() * w / 8.0 + c.hw * double(c.out) * a / 8.0) / 10e3;
            o.costs.push_back((3.0 + std::max(compute, memory)) * noise(rng));
          } else if (name == "size_bytes") {
            o.costs.push_back(std::ceil(c.params() * w / 8.0));
          } else {
            o.costs.push_back(c.macs() * w * a);
          }
        }
        layer.options.push_back(std::move(o));
      }
    }
    if (spec.pin_ends && end) layer.pin = mixq::alloc::precision{8, 8};
    p.layers.push_back(std::move(layer));
  }
  p.ties = ties;
  for (std::size_t k = 0; k < spec.costs.size(); ++k) {
    double lo = 0.0, hi = 0.0;
    for (const auto& layer : p.layers) {
      double a = INFINITY, b = 0.0;
      for (const auto& o : layer.options) {
        if (layer.pin && !(*layer.pin == o.bits())) continue;
        a = std::min(a, o.costs[k]), b = std::max(b, o.costs[k]);
      }
      lo += a;
      hi += b;
    }
    p.budgets.push_back(lo + spec.tightness[k] * (hi - lo));
  }
  return p;
}

struct instance {
  std::string name;
  problem table;
};

std::vector<instance> instances() {
  std::vector<instance> out;
  const table_spec large{{8, 6, 5, 4, 3, 2, 1}, {8, 4}, {"latency_us", "size_bytes", "bops"}, {0.35, 0.3, 0.3}};
  {
    std::vector<std::vector<std::string>> ties;
    const auto net = resnet50(ties);
    out.push_back({"resnet50/54x14x3", make_table(net, ties, large, 1)});
  }
  {
    std::vector<std::vector<std::string>> ties;
    const auto net = mobilenet_v2(ties);
    out.push_back({"mobilenet_v2/53x14x3", make_table(net, ties, large, 2)});
  }
  const table_spec small{{8, 6, 4, 2}, {8, 4}, {"latency_us", "size_bytes"}, {0.4, 0.35}, false};
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    std::mt19937_64 rng(seed);
    const auto net = synthetic(100, rng);
    out.push_back({"synthetic" + std::to_string(seed) + "/100x8x2", make_table(net, {}, small, 100 + seed)});
  }
  // The sweep: each family at three budget tightnesses (fraction of the way
  // from the least total to the largest), four tables each.
  for (const double t : {0.2, 0.35, 0.5}) {
    const std::string tight = fmt::format("t{:.2f}", t);
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
      table_spec big = large;
      big.tightness = {t, 0.9 * t, 0.8 * t};
      std::vector<std::vector<std::string>> ties;
      const auto resnet = resnet50(ties);
      out.push_back({fmt::format("sweep/resnet50/{}/s{}", tight, seed), make_table(resnet, ties, big, 7 * seed + 1)});
      ties.clear();
      const auto mobilenet = mobilenet_v2(ties);
      out.push_back(
          {fmt::format("sweep/mobilenet_v2/{}/s{}", tight, seed), make_table(mobilenet, ties, big, 7 * seed + 2)});
      table_spec two = small;
      two.tightness = {t, 0.9 * t};
      std::mt19937_64 rng(seed);
      const auto net = synthetic(100, rng);
      out.push_back({fmt::format("sweep/synthetic100/{}/s{}", tight, seed), make_table(net, {}, two, 100 + seed)});
    }
  }
  return out;
}

void bench_mixq(benchmark::State& state, const problem& p) {
  mixq::alloc::plan result;
  for (auto _ : state) {
    result = mixq::alloc::solve(p);
    benchmark::DoNotOptimize(result);
  }
  if (!result.optimal()) state.SkipWithError("mixq did not prove the optimum");
  state.counters["objective"] = result.objective;
  state.counters["nodes"] = double(result.nodes);
}

void bench_mixq_pareto(benchmark::State& state, const problem& p) {
  mixq::alloc::pareto_front front;
  for (auto _ : state) {
    front = mixq::alloc::pareto(p, 0);
    benchmark::DoNotOptimize(front);
  }
  state.counters["points"] = double(front.points.size());
  state.counters["nodes"] = double(front.nodes);
}

#ifdef MIXQ_HAVE_CBC
// The same problem as a 0-1 program: x[l][j] = 1 when layer l takes option j.
struct cbc_result {
  double objective;
  bool optimal;
  int nodes;
};

cbc_result solve_cbc(const problem& p) {
  Cbc_Model* m = Cbc_newModel();
  Cbc_setLogLevel(m, 0);
  // The same optimality criterion as mixq's default (relative 1e-9). CBC's
  // own default cutoff increment (an absolute 1e-5 step) accepts plans
  // measurably worse on these objectives, which are sums of small numbers.
  Cbc_setAllowableGap(m, 1e-12);
  Cbc_setAllowableFractionGap(m, 1e-9);
  Cbc_setParameter(m, "increment", "1e-12");
  std::vector<int> first{0};
  for (const auto& layer : p.layers) {
    for (const auto& o : layer.options) {
      const bool allowed = !layer.pin || *layer.pin == o.bits();
      Cbc_addCol(m, "", 0.0, allowed ? 1.0 : 0.0, o.sensitivity, 1, 0, nullptr, nullptr);
    }
    first.push_back(first.back() + int(layer.options.size()));
  }
  std::vector<int> cols;
  std::vector<double> coefs;
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    cols.clear();
    coefs.clear();
    for (int j = first[l]; j < first[l + 1]; ++j) cols.push_back(j), coefs.push_back(1.0);
    Cbc_addRow(m, "", int(cols.size()), cols.data(), coefs.data(), 'E', 1.0);
  }
  for (std::size_t k = 0; k < p.cost_names.size(); ++k) {
    if (!(p.budgets[k] < INFINITY)) continue;
    cols.clear();
    coefs.clear();
    for (std::size_t l = 0; l < p.layers.size(); ++l) {
      for (std::size_t j = 0; j < p.layers[l].options.size(); ++j) {
        cols.push_back(first[l] + int(j));
        coefs.push_back(p.layers[l].options[j].costs[k]);
      }
    }
    Cbc_addRow(m, "", int(cols.size()), cols.data(), coefs.data(), 'L', p.budgets[k]);
  }
  auto index_of = [&](const std::string& name) {
    for (std::size_t l = 0; l < p.layers.size(); ++l) {
      if (p.layers[l].name == name) return l;
    }
    return p.layers.size();
  };
  // A tie: for every precision, both layers take it or neither does.
  for (const auto& tie : p.ties) {
    const std::size_t a = index_of(tie[0]);
    for (std::size_t t = 1; t < tie.size(); ++t) {
      const std::size_t b = index_of(tie[t]);
      std::vector<mixq::alloc::precision> seen;
      for (const std::size_t l : {a, b}) {
        for (const auto& o : p.layers[l].options) {
          if (std::find(seen.begin(), seen.end(), o.bits()) == seen.end()) seen.push_back(o.bits());
        }
      }
      for (const auto bits : seen) {
        cols.clear();
        coefs.clear();
        for (std::size_t j = 0; j < p.layers[a].options.size(); ++j) {
          if (p.layers[a].options[j].bits() == bits) cols.push_back(first[a] + int(j)), coefs.push_back(1.0);
        }
        for (std::size_t j = 0; j < p.layers[b].options.size(); ++j) {
          if (p.layers[b].options[j].bits() == bits) cols.push_back(first[b] + int(j)), coefs.push_back(-1.0);
        }
        Cbc_addRow(m, "", int(cols.size()), cols.data(), coefs.data(), 'E', 0.0);
      }
    }
  }
  Cbc_solve(m);
  const cbc_result r{Cbc_getObjValue(m), Cbc_isProvenOptimal(m) != 0, Cbc_getNodeCount(m)};
  Cbc_deleteModel(m);
  return r;
}

void bench_cbc(benchmark::State& state, const problem& p) {
  cbc_result r{};
  for (auto _ : state) {
    r = solve_cbc(p);
    benchmark::DoNotOptimize(r);
  }
  const mixq::alloc::plan ours = mixq::alloc::solve(p);
  if (!r.optimal) {
    state.SkipWithError("CBC did not prove the optimum");
  } else if (std::abs(r.objective - ours.objective) > 1e-6 * std::abs(ours.objective) + 1e-12) {
    state.SkipWithError("CBC and mixq disagree on the optimum");
  }
  state.counters["objective"] = r.objective;
  state.counters["nodes"] = r.nodes;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  static const std::vector<instance> all = instances();
  for (const instance& in : all) {
    benchmark::RegisterBenchmark(("alloc/mixq/" + in.name).c_str(), bench_mixq, in.table)
        ->Unit(benchmark::kMicrosecond);
#ifdef MIXQ_HAVE_CBC
    benchmark::RegisterBenchmark(("alloc/cbc/" + in.name).c_str(), bench_cbc, in.table)
        ->Unit(benchmark::kMicrosecond);
#endif
  }
  // A whole Pareto sweep of latency: every non-dominated (latency, sensitivity) point.
  benchmark::RegisterBenchmark("alloc/mixq_pareto_latency/resnet50/54x14x3", bench_mixq_pareto, all[0].table)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(1);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
