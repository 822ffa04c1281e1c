#!/usr/bin/python3
"""Writes the inputs of the network command tests (tests/CMakeLists.txt):
the first four Fashion-MNIST test images as the committed models take them
(float32 N x 1 x 28 x 28, x / 255), and an input of the wrong size."""
import gzip
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
np.save(HERE / "fashion4.npy", images[:4].astype(np.float32) / 255)
np.save(HERE / "wrong_size.npy", np.zeros((2, 1, 14, 14), np.float32))

# fcnet with asymmetric weights and the same weight values: each channel's
# codes moved by +1 or -1 (where they stay int8) and its zero point with them.
import onnx
from onnx import numpy_helper

model = onnx.load(HERE.parents[3] / "models" / "fcnet.qdq.onnx")
constants = {n.output[0]: n for n in model.graph.node if n.op_type == "Constant"}
inits = {t.name: t for t in model.graph.initializer}


def tensor_of(name):
    if name in constants:
        return constants[name].attribute[0].t
    return inits[name]


for node in model.graph.node:
    if node.op_type != "DequantizeLinear" or len(node.input) < 3:
        continue
    if node.input[0] not in constants and node.input[0] not in inits:
        continue  # an activation's
    codes_t = tensor_of(node.input[0])
    codes = numpy_helper.to_array(codes_t)
    if codes.dtype != np.int8 or codes.ndim < 2:
        continue
    zp_t = tensor_of(node.input[2])
    zp = numpy_helper.to_array(zp_t).astype(np.int32).reshape(-1)
    if zp.size == 1:
        zp = np.repeat(zp, codes.shape[0])
    flat = codes.reshape(codes.shape[0], -1).astype(np.int32)
    shift = np.where(flat.max(axis=1) <= 126, 1, np.where(flat.min(axis=1) >= -127, -1, 0))
    flat = flat + shift[:, None]
    codes_t.CopyFrom(numpy_helper.from_array(flat.astype(np.int8).reshape(codes.shape), codes_t.name))
    zp_t.CopyFrom(numpy_helper.from_array((zp + shift).astype(np.int8), zp_t.name))
onnx.checker.check_model(model)
onnx.save(model, HERE / "fcnet_asym_weights.qdq.onnx")
