#!/usr/bin/python3
"""Evaluate a committed QDQ model with ONNX's own semantics, in float.

QuantizeLinear / DequantizeLinear as the ONNX operators define them, and
every other node in float32 between them (torch.nn.functional). This is what
the exported file says, independent of mixq's integer executor and of the
runtime that exported it; comparing the two with it tells which of them a
disagreement comes from (docs/models.md).

    /usr/bin/python3 models/qdq_semantics.py mobilenet [--images N] [--mixq Y.npy]

prints the file's top-1 agreement with torch's quantized predictions
(models/NAME.torch.json) and, with --mixq, with the logits `mixq run` wrote
for the same first N test images. Needs python3-torch and python3-onnx;
CI does not run it.
"""
import argparse
import gzip
import json
import pathlib

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = pathlib.Path(__file__).resolve().parent
ONNX_TYPES = {1: torch.float32, 2: torch.uint8, 3: torch.int8, 6: torch.int32, 7: torch.int64}


def attribute(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def pads_of(node):
    top, left, bottom, right = attribute(node, "pads", [0, 0, 0, 0])
    return (left, right, top, bottom)  # F.pad order: last axis first


def per_axis(t, rank, axis):
    shape = [1] * rank
    shape[axis] = -1
    return t.reshape(shape)


def evaluate(model, x):
    values = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    values[model.graph.input[0].name] = x
    for node in model.graph.node:
        a = [values[name] if name else None for name in node.input]
        op = node.op_type
        if op == "Constant":
            y = torch.from_numpy(numpy_helper.to_array(attribute(node, "value")).copy())
        elif op == "ConstantOfShape":
            fill = attribute(node, "value")
            fill = numpy_helper.to_array(fill) if fill is not None else np.zeros(1, np.float32)
            y = torch.from_numpy(np.full(tuple(a[0].tolist()), fill.reshape(-1)[0], dtype=fill.dtype))
        elif op == "Cast":
            y = a[0].to(ONNX_TYPES[attribute(node, "to")])
        elif op == "QuantizeLinear":
            scale, zero = a[1].float(), a[2]
            lo, hi = (0, 255) if zero.dtype == torch.uint8 else (-128, 127)
            if scale.numel() > 1:
                scale = per_axis(scale, a[0].dim(), attribute(node, "axis", 1))
                zero = per_axis(zero, a[0].dim(), attribute(node, "axis", 1))
            # torch.round rounds half to even, as QuantizeLinear does.
            y = torch.clamp(torch.round(a[0] / scale) + zero.float(), lo, hi).to(zero.dtype)
        elif op == "DequantizeLinear":
            scale = a[1].float()
            zero = a[2] if len(a) > 2 and a[2] is not None else torch.zeros(scale.shape, dtype=torch.int32)
            if scale.numel() > 1:
                scale = per_axis(scale, a[0].dim(), attribute(node, "axis", 1))
                zero = per_axis(zero, a[0].dim(), attribute(node, "axis", 1))
            y = (a[0].to(torch.int32) - zero.to(torch.int32)).float() * scale
        elif op == "Conv":
            bias = a[2] if len(a) > 2 else None
            y = F.conv2d(F.pad(a[0], pads_of(node)), a[1], bias, stride=attribute(node, "strides", [1, 1]),
                         dilation=attribute(node, "dilations", [1, 1]), groups=attribute(node, "group", 1))
        elif op == "Clip":
            y = torch.clamp(a[0], float(a[1]), float(a[2]))
        elif op == "Relu":
            y = F.relu(a[0])
        elif op == "Add":
            y = a[0] + a[1]
        elif op == "GlobalAveragePool":
            y = a[0].mean(dim=(2, 3), keepdim=True)
        elif op == "MaxPool":
            y = F.max_pool2d(F.pad(a[0], pads_of(node), value=float("-inf")), attribute(node, "kernel_shape"),
                             attribute(node, "strides"))
        elif op == "Flatten":
            y = a[0].reshape(a[0].shape[0], -1)
        elif op == "Gemm":
            weight = a[1].t() if attribute(node, "transB", 0) else a[1]
            y = a[0] @ weight + (a[2] if len(a) > 2 else 0)
        else:
            raise SystemExit(f"{node.name}: {op} is not an operator this script evaluates")
        values[node.output[0]] = y
    return values[model.graph.output[0].name]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=["resnet", "mobilenet", "fcnet"])
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--mixq", help="logits written by `mixq run` for the same first N test images")
    args = parser.parse_args()
    torch.set_num_threads(2)

    with gzip.open(f"{args.data}/t10k-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[: args.images]
    x = torch.from_numpy(images.astype(np.float32) / 255)
    model = onnx.load(str(HERE / f"{args.name}.qdq.onnx"))
    with torch.no_grad():
        logits = torch.cat([evaluate(model, x[k : k + 250]) for k in range(0, len(x), 250)]).numpy()
    ours = logits.argmax(1)

    reference = json.loads((HERE / f"{args.name}.torch.json").read_text())
    torch_int8 = np.array([int(c) for c in reference["int8_predictions"][: len(ours)]])
    report = {"model": f"{args.name}.qdq.onnx", "images": len(ours),
              "file_vs_torch_int8": float((ours == torch_int8).mean())}
    if args.mixq:
        mixq = np.load(args.mixq).argmax(1)[: len(ours)]
        report["file_vs_mixq"] = float((ours == mixq).mean())
        report["mixq_vs_torch_int8"] = float((mixq == torch_int8).mean())
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
