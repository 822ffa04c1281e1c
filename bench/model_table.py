#!/usr/bin/env python3
"""The whole-network table of docs/performance.md from mixq_bench_model's JSON.

Reads what Google Benchmark writes (--benchmark_out=FILE
--benchmark_out_format=json, with --benchmark_repetitions and
--benchmark_report_aggregates_only), takes the medians of the
model/<runtime>/<network>/<precision> benchmarks and prints, per network and
precision, each runtime's latency, mixq's ratio to every peer (peer latency /
mixq latency: above 1 mixq is faster) under each requantize rule, and the
share of the VNNI dot-product peak mixq's fastest rule reaches (when the
peak benchmark's JSON is given).

    bench/model_table.py model.json [peak.json]
"""
import sys

from kernel_tables import medians

MIXQ_RULES = ("mixq", "mixq-float32")
PEERS = ["xnnpack", "pytorch-onednn", "pytorch-qnnpack"]
NETWORKS = ["fcnet", "resnet", "mobilenet", "resnet18", "mobilenet_v2"]


def micros(b):
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b.get("time_unit", "ns")]
    return b["real_time"] * scale


def latency_text(us):
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} us"


def main(model_path, peak_path=None):
    context, runs = medians(model_path)
    peak = None
    if peak_path:
        _, peaks = medians(peak_path)
        if "peak/vnni_dpbusd" in peaks:
            peak = peaks["peak/vnni_dpbusd"]["GMACs"]
    # model/<runtime>/<network>/<precision>/real_time (breakdowns excluded)
    table, runtimes = {}, []
    for name, b in runs.items():
        parts = name.split("/")
        if len(parts) != 5 or parts[0] != "model" or parts[4] != "real_time":
            continue
        runtime, network, precision = parts[1:4]
        table.setdefault((network, precision), {})[runtime] = b
        if runtime not in runtimes:
            runtimes.append(runtime)
    # A fixed order whatever order the (possibly interleaved) run wrote.
    rules = [r for r in MIXQ_RULES if r in runtimes]
    peers = sorted((r for r in runtimes if r not in MIXQ_RULES), key=lambda r: (r not in PEERS, PEERS.index(r) if r in PEERS else 0, r))
    runtimes = rules + peers
    table = dict(sorted(table.items(), key=lambda item: (item[0][0] not in NETWORKS,
                                                         NETWORKS.index(item[0][0]) if item[0][0] in NETWORKS else 0,
                                                         item[0])))
    print(f"{context.get('num_cpus')} CPUs at {context.get('mhz_per_cpu')} MHz (as reported); medians of "
          f"{context.get('executable', 'mixq_bench_model')}")
    print()
    header = ["network", "precision"] + runtimes
    header += [f"{r} vs {p}" for r in rules for p in peers]
    header += ["mixq GMAC/s"] + (["share of VNNI peak"] if peak else [])
    print("| " + " | ".join(header) + " |")
    print("|---|---|" + "---:|" * (len(header) - 2))
    for (network, precision), row in table.items():
        cells = [network, precision]
        cells += [latency_text(micros(row[r])) if r in row else "-" for r in runtimes]
        for r in rules:
            for p in peers:
                ok = r in row and p in row
                cells.append(f"{micros(row[p]) / micros(row[r]):.2f}x" if ok else "-")
        fastest = min((row[r] for r in rules if r in row), key=micros, default=None)
        rate = fastest.get("GMAC/s") if fastest else None
        cells.append(f"{rate:.1f}" if rate else "-")
        if peak:
            cells.append(f"{100 * rate / peak:.0f} %" if rate else "-")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(*sys.argv[1:])
