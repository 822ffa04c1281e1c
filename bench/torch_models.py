#!/usr/bin/python3
"""Writes the PyTorch peers of bench/mixq_bench_model.cpp: each benchmark
network quantized by PyTorch's eager post-training static quantization for
each of its quantized CPU engines, as TorchScript.

    /usr/bin/python3 bench/torch_models.py OUT_DIR

Writes OUT_DIR/<network>.<engine>.pt for the networks fcnet, resnet,
mobilenet (the Fashion-MNIST architectures of models/train.py, 1 x 28 x 28)
and resnet18, mobilenet_v2 (torchvision's quantizable models, 3 x 224 x 224)
and the engines onednn and qnnpack. Each file carries its input shape as the
extra file `input_shape` ("1,C,H,W"), which bench/support/torch_peer.cpp reads.

The weights are random (PyTorch's default initialization; for torchvision,
weights=None; BatchNorm statistics measured on random images), calibrated on
a few random images: the benchmarks measure latency, which does not depend
on the values. Quantization: per-channel
symmetric int8 weights and asymmetric uint8 activations (histogram observer)
on both engines. get_default_qconfig('qnnpack') has per-tensor weights; its
weight observer is replaced with the per-channel one so that both engines run
the scheme mixq and XNNPACK run. Fusion is each network's own: Conv + BN
(+ ReLU) fused; Linear and ReLU, and ReLU6 (Hardtanh), stay unfused in the
Fashion-MNIST networks as in models/train.py. torchvision's quantizable
MobileNetV2 uses ReLU where the original (and mixq's zoo) has ReLU6, so that
it fuses: the same layer shapes.

A pair that cannot be built is reported on stderr and has no file; the
benchmark then registers nothing for it.
"""
import importlib.util
import os
import sys
import warnings

import torch
import torchvision.models.quantization as tvq
from torch.ao import quantization as tq

SEED = 20261202
ENGINES = ("onednn", "qnnpack")
# Keep in step with bench/CMakeLists.txt (the build's outputs) and bench/mixq_bench_model.cpp.
NETWORKS = ("fcnet", "resnet", "mobilenet", "resnet18", "mobilenet_v2")
CALIBRATION_BATCHES = 4


def load_train_module():
    # models/train.py only defines things at import (its work is under __main__).
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "models", "train.py")
    spec = importlib.util.spec_from_file_location("mixq_models_train", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def float_model(name, train):
    """The float network with random weights, its fusion function and its input shape."""
    if name in train.NETWORKS:
        model = train.NETWORKS[name][0]()
        return model, model.fuse, (1, 1, 28, 28)
    builder = {"resnet18": tvq.resnet18, "mobilenet_v2": tvq.mobilenet_v2}[name]
    model = builder(weights=None, quantize=False)
    return model, model.fuse_model, (1, 3, 224, 224)


def settle_batch_norm(model, shape):
    """BatchNorm statistics taken on random images, in place of the initial ones (mean 0, variance 1).

    With those, random weights let activations vanish or saturate (ReLU6) with depth, down to logits that do
    not depend on the input; measured statistics normalize every layer as training would, so calibration
    and the check of the saved model see informative ranges."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # a plain average over the batches seen
    model.train()
    with torch.no_grad():
        model(torch.rand((8,) + shape[1:]))
    model.eval()


def qconfig_for(engine):
    default = tq.get_default_qconfig(engine)
    return tq.QConfig(activation=default.activation, weight=tq.default_per_channel_weight_observer)


def quantized_model(name, engine, train):
    torch.backends.quantized.engine = engine
    # The same seed for every engine: both get the same weights.
    torch.manual_seed(SEED)
    model, fuse, shape = float_model(name, train)
    settle_batch_norm(model, shape)
    fuse()
    model.qconfig = qconfig_for(engine)
    tq.prepare(model, inplace=True)
    with torch.no_grad():
        for _ in range(CALIBRATION_BATCHES):
            model(torch.rand(shape))
    tq.convert(model, inplace=True)
    return model, shape


def write(name, engine, out_dir, train):
    model, shape = quantized_model(name, engine, train)
    example = torch.rand(shape)
    path = os.path.join(out_dir, f"{name}.{engine}.pt")
    with torch.no_grad():
        expected = model(example)
        script = torch.jit.freeze(torch.jit.trace(model, example).eval())
        torch.jit.save(script, path, _extra_files={"input_shape": ",".join(str(d) for d in shape)})
        # Read back and run as the benchmark will: weights packed again on load, a channels-last input.
        got = torch.jit.load(path)(example.contiguous(memory_format=torch.channels_last))
    # The same integer kernels on the same codes: the same logits.
    if got.shape != expected.shape or not torch.allclose(expected, got):
        raise RuntimeError("the saved TorchScript model does not compute what the eager one does")
    return path


def main():
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    # One thread: the build may share the machine, and calibration is small.
    torch.set_num_threads(1)
    # MobileNet blocks without a residual keep an unused FloatFunctional whose observer never runs.
    warnings.filterwarnings("ignore", message="must run observer before calling calculate_qparams")
    train = load_train_module()
    for name in NETWORKS:
        for engine in ENGINES:
            # A file from an earlier run that is not written again would be benchmarked as if current.
            path = os.path.join(out_dir, f"{name}.{engine}.pt")
            if os.path.exists(path):
                os.remove(path)
            if engine not in torch.backends.quantized.supported_engines:
                print(f"{name}.{engine}: not written: this torch has no {engine} engine", file=sys.stderr)
                continue
            try:
                print(write(name, engine, out_dir, train), flush=True)
            except Exception as e:  # one pair failing must not stop the others
                if os.path.exists(path):
                    os.remove(path)
                print(f"{name}.{engine}: not written: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
