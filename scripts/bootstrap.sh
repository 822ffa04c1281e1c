#!/usr/bin/env bash
# Installs the Debian (bookworm) packages mixq's build, tests and examples
# need; idempotent: installs only what is missing and runs `apt-get update`
# only then. Works as root or through sudo.
#
#   scripts/bootstrap.sh            compilers, CMake, Ninja, the libraries (libonnx and protobuf for ONNX import),
#                                   the aarch64 cross toolchain + qemu, Fashion-MNIST (the quick start, the trained-network
#                                   tests), the ONNX backend node tests (libonnx-testdata)
#   scripts/bootstrap.sh --bench    also the peers the benchmarks compare against
#   scripts/bootstrap.sh --golden   also PyTorch, NumPy and python3-onnx, to regenerate tests/golden and tests/unit/io/data
#   scripts/bootstrap.sh --models   also torchvision and OpenBLAS, to retrain models/ (train.py) and run qdq_semantics.py
set -euo pipefail

packages=(
  g++ clang cmake ninja-build
  libxtensor-dev libxsimd-dev xtl-dev libboost-dev libfmt-dev
  catch2 libbenchmark-dev nlohmann-json3-dev zlib1g-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  dataset-fashion-mnist
  g++-aarch64-linux-gnu qemu-user
)
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=(libdnnl-dev libxnnpack-dev libpthreadpool-dev libgemmlowp-dev coinor-libcbc-dev coinor-cbc libglpk-dev linux-perf
                        libtorch-dev python3-torch python3-torchvision) ;;
    --golden) packages+=(python3-torch python3-numpy python3-onnx) ;;
    --models) packages+=(python3-torch python3-torchvision python3-numpy python3-onnx libopenblas0-pthread) ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "bootstrap.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap.sh: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=(env)
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo env)
else
  echo "bootstrap.sh: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

echo "bootstrap.sh: installing ${missing[*]}"
"${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bootstrap.sh: installed ${missing[*]}"
