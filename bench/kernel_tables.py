#!/usr/bin/env python3
"""Markdown tables of the kernel benchmarks for docs/performance.md.

Reads the JSON that Google Benchmark writes (--benchmark_out=FILE
--benchmark_out_format=json, with --benchmark_repetitions and
--benchmark_report_aggregates_only), takes the medians, and prints the GEMM
table (with ratios to oneDNN and to the VNNI peak), the table of every
weight x activation combination on each shape (with its speed-up over
w8a8), and the streaming table (as a share of the copy bandwidth).

    bench/kernel_tables.py peak.json gemm.json quantize.json
"""
import json
import sys


def medians(path):
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"]
        out[name] = b
    return data["context"], out


def gmacs(b):
    return b["GMACs"]


def main(peak_path, gemm_path, quantize_path):
    context, peak = medians(peak_path)
    _, gemm = medians(gemm_path)
    _, stream = medians(quantize_path)
    vnni = gmacs(peak["peak/vnni_dpbusd"]) if "peak/vnni_dpbusd" in peak else None

    print(f"CPU: {context.get('num_cpus')} CPUs at {context.get('mhz_per_cpu')} MHz (as reported), "
          f"caches {', '.join(str(c['size'] // 1024) + ' KiB L' + str(c['level']) for c in context.get('caches', []))}")
    print()
    print("| shape (M x N x K) | mixq | oneDNN | XNNPACK | gemmlowp | mixq / oneDNN | mixq / VNNI peak |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    shapes = []
    for name in gemm:
        impl, bits, shape = name.split("/")[1:4]
        if impl == "mixq" and bits == "w8a8":
            shapes.append(shape)
    for shape in shapes:
        row = {impl: gemm.get(f"gemm/{impl}/w8a8/{shape}") for impl in ("mixq", "onednn", "xnnpack", "gemmlowp")}
        cells = [f"{gmacs(row[i]):.1f}" if row[i] else "–" for i in ("mixq", "onednn", "xnnpack", "gemmlowp")]
        ratio = f"{gmacs(row['mixq']) / gmacs(row['onednn']):.2f}×" if row["onednn"] else "–"
        share = f"{100 * gmacs(row['mixq']) / vnni:.0f} %" if vnni else "–"
        print(f"| {shape} | " + " | ".join(cells) + f" | {ratio} | {share} |")
    print()
    # Every weight x activation combination: GMAC/s, and the speed-up over
    # mixq's w8a8 on the same shape.
    combos = []
    by_shape = {}
    for name, b in gemm.items():
        impl, bits, shape = name.split("/")[1:4]
        if impl != "mixq":
            continue
        if bits not in combos:
            combos.append(bits)
        by_shape.setdefault(shape, {})[bits] = b
    print("GMAC/s (speed-up over mixq w8a8 on the shape):")
    print()
    print("| shape (M x N x K) | " + " | ".join(combos) + " |")
    print("|---|" + "---:|" * len(combos))
    for shape, row in by_shape.items():
        if len(row) < 2:
            continue
        base = row.get("w8a8")
        cells = []
        for bits in combos:
            b = row.get(bits)
            if not b:
                cells.append("–")
            elif base and bits != "w8a8":
                cells.append(f"{gmacs(b):.0f} ({base['real_time'] / b['real_time']:.2f}×)")
            else:
                cells.append(f"{gmacs(b):.0f}")
        print(f"| {shape} | " + " | ".join(cells) + " |")
    print()
    copy = stream.get("copy/64MB")
    print("| kernel (64 MB in) | GB/s (read + written) | share of copy bandwidth |")
    print("|---|---:|---:|")
    for name, b in stream.items():
        rate = b["bytes_per_second"] / 1e9
        share = f"{100 * b['bytes_per_second'] / copy['bytes_per_second']:.0f} %" if copy else "–"
        print(f"| {name} | {rate:.1f} | {share} |")
    for name in ("peak/vnni_dpbusd", "peak/read/16MB", "peak/read/64MB", "peak/copy/64MB"):
        if name in peak:
            b = peak[name]
            value = f"{gmacs(b):.0f} GMAC/s" if "GMACs" in b else f"{b['bytes_per_second'] / 1e9:.1f} GB/s"
            print(f"\n{name}: {value}", end="")
    print()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
