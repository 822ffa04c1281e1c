#!/usr/bin/env bash
# The tables of docs/requant.md: each committed network's PyTorch QDQ export
# re-quantized to each preset, with the techniques switched on one by one,
# and quantized from its float weights for comparison. Accuracy on the full
# Fashion-MNIST test set with mixq's integer executor.
#   scripts/requant_table.sh [BUILD_DIR] [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
data=${2:-/usr/share/datasets/fashion-mnist}
mixq="$build/examples/mixq"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

row() {  # network preset label args...
  local net=$1 preset=$2 label=$3
  shift 3
  "$mixq" requant "models/$net.qdq.onnx" --to "$preset" -o "$out/m.onnx" "$@" > "$out/r.json"
  /usr/bin/python3 - "$out/r.json" "$net" "$preset" "$label" <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))
w = [l["weights"]["sqnr_db"] for l in r["layers"]]
o = [l["output_sqnr_db"] for l in r["layers"] if l["output_sqnr_db"] is not None]
def fmt(xs):
    finite = [x for x in xs if x is not None]  # None: exact (infinite SQNR)
    if not finite:
        return "exact | exact"
    return f"{min(finite):.1f} | {sum(finite) / len(finite):.1f}"
a = r.get("accuracy")
acc = f"{100 * a['before']:.2f} | {100 * a['after']:.2f} | {100 * (a['after'] - a['before']):+.2f}" if a else "- | - | -"
print(f"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {acc} | {fmt(w)} | {fmt(o)} | {r['seconds'] * 1000:.0f} |")
PY
}

header() {
  echo "| network | preset | $1 | source % | converted % | change | weight SQNR dB, min | mean | output SQNR dB, min | mean | convert ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
}

header options
for net in ${NETWORKS:-fcnet resnet mobilenet}; do
  for preset in sym sym-per-channel sym-pow2 tflite; do
    row "$net" "$preset" "default" --data "$data"
  done
done
echo
header techniques
for net in ${NETWORKS:-fcnet resnet mobilenet}; do
  for preset in ${PRESETS:-sym sym-pow2}; do
    row "$net" "$preset" "plain re-rounding" --data "$data" --no-weight-correction --no-folding
    row "$net" "$preset" "+ weight correction" --data "$data" --no-folding
    row "$net" "$preset" "+ folding (default)" --data "$data"
    row "$net" "$preset" "default, data-free means" --data "$data" --means network
    row "$net" "$preset" "from float weights" --data "$data" --from-float "models/$net.onnx"
  done
done
echo
header weights
for net in ${NETWORKS:-fcnet resnet mobilenet}; do
  row "$net" sym-per-channel "8 -> 4 bits, plain" --data "$data" --weight-bits 4 --no-weight-correction
  row "$net" sym-per-channel "8 -> 4 bits, corrected" --data "$data" --weight-bits 4
  row "$net" sym-per-channel "4 bits from float" --data "$data" --weight-bits 4 --from-float "models/$net.onnx"
done
