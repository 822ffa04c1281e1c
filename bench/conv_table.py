#!/usr/bin/env python3
"""The convolution-layer table of docs/performance.md from mixq_bench_conv's JSON.

Reads what Google Benchmark writes (--benchmark_out=FILE
--benchmark_out_format=json, with --benchmark_repetitions and
--benchmark_report_aggregates_only), takes the medians of the
conv/<impl>/<precision>/<layer> benchmarks and prints, per layer, the
latency of mixq at w8a8 under each requantize rule and of XNNPACK, the
ratios (XNNPACK latency / mixq latency: above 1 mixq is faster), mixq's
GMAC/s and its share of the VNNI dot-product peak (when the peak
benchmark's JSON is given), and mixq's w4a8 / w2a8 speed over its w8a8.

    bench/conv_table.py conv.json [peak.json]
"""
import sys

from kernel_tables import medians


def micros(b):
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b.get("time_unit", "ns")]
    return b["real_time"] * scale


def main(conv_path, peak_path=None):
    context, runs = medians(conv_path)
    peak = None
    if peak_path:
        _, peaks = medians(peak_path)
        peak = peaks.get("peak/vnni_dpbusd", {}).get("GMACs")
    table, order = {}, {}
    for name, b in runs.items():
        parts = name.split("/")
        if len(parts) != 4 or parts[0] != "conv":
            continue
        impl, precision, layer = parts[1:4]
        table[(impl, precision, layer)] = b
        # The order the benchmark registers its layers in, whatever order an interleaved run wrote.
        order[layer] = min(order.get(layer, b.get("family_index", 0)), b.get("family_index", 0))
    layers = sorted(order, key=order.get)

    def cell(impl, precision, layer):
        return table.get((impl, precision, layer))

    print(f"{context.get('num_cpus')} CPUs at {context.get('mhz_per_cpu')} MHz (as reported); medians of "
          f"{context.get('executable', 'mixq_bench_conv')}")
    print()
    header = ["layer", "mixq", "mixq-float32", "XNNPACK", "mixq vs XNNPACK", "float32 vs XNNPACK", "mixq GMAC/s"]
    header += (["share of VNNI peak"] if peak else []) + ["w4a8 / w8a8", "w2a8 / w8a8"]
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    for layer in layers:
        tflite, fp32, xnn = (cell(i, "w8a8", layer) for i in ("mixq", "mixq-float32", "xnnpack"))
        cells = [layer]
        cells += [f"{micros(b):.1f} us" if b else "-" for b in (tflite, fp32, xnn)]
        cells += [f"{micros(xnn) / micros(b):.2f}x" if b and xnn else "-" for b in (tflite, fp32)]
        fastest = min((b for b in (tflite, fp32) if b), key=micros, default=None)
        rate = fastest.get("GMACs") if fastest else None
        cells.append(f"{rate:.1f}" if rate else "-")
        if peak:
            cells.append(f"{100 * rate / peak:.0f} %" if rate else "-")
        for bits in (4, 2):
            narrow = cell("mixq", f"w{bits}a8", layer)
            cells.append(f"{micros(tflite) / micros(narrow):.2f}x" if narrow and tflite else "-")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(*sys.argv[1:])
