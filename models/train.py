#!/usr/bin/python3
"""Trains mixq's three Fashion-MNIST networks and exports each as float ONNX
and as PyTorch's post-training-quantized QDQ ONNX.

    /usr/bin/python3 models/train.py [--only NAME] [--epochs N] [--out models]

Needs Debian's python3-torch (1.13), python3-onnx and dataset-fashion-mnist
(`scripts/bootstrap.sh --models`). Seeds are fixed. Writes, per network:

    NAME.onnx        float model, input N x 1 x 28 x 28 (x / 255), batch symbolic
    NAME.qdq.onnx    the int8 model as torch exports it (batch fixed at 1)
    NAME.torch.json  what torch measured: float and int8 accuracy on the
                     10,000 test images, int8 predictions of every test image,
                     logits of the first test images (float and int8)

The networks:
    resnet   a small ResNet: residual blocks with adds and 1x1 downsampling
    mobilenet a MobileNetV2-style network: inverted residuals, depthwise 3x3, ReLU6
    fcnet    a small convolutional front and a wide fully connected head
             (2.6 M weights, over 2 MB at int8: more than a core's L2)

Quantization: eager mode, the 'onednn' qconfig (per-channel symmetric int8
weights, asymmetric uint8 activations from a histogram observer), 2,000
training images for calibration. Linear and ReLU stay unfused: torch 1.13
cannot export quantized::linear_relu.
"""
import argparse
import gzip
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.ao import quantization as tq

assert torch.__version__.startswith("1.13"), torch.__version__

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    dims = magic & 0xFF
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(split):
    x = read_idx(f"{split}-images-idx3-ubyte.gz").astype(np.float32) / np.float32(255.0)
    y = read_idx(f"{split}-labels-idx1-ubyte.gz").astype(np.int64)
    return torch.from_numpy(x[:, None, :, :].copy()), torch.from_numpy(y.copy())


# ---------------------------------------------------------------- networks

def relu6():
    # nn.Hardtanh(0, 6) is ReLU6; torch 1.13 exports its quantized form
    # (as Clip between DequantizeLinear and QuantizeLinear) but not quantized::relu6.
    return nn.Hardtanh(0.0, 6.0)


def conv_bn(cin, cout, k=3, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = conv_bn(cin, cout, 3, stride)
        self.relu1 = nn.ReLU()
        self.conv2 = conv_bn(cout, cout, 3, 1)
        self.down = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else None
        self.add = nn.quantized.FloatFunctional()
        self.relu2 = nn.ReLU()

    def forward(self, x):
        y = self.conv2(self.relu1(self.conv1(x)))
        s = self.down(x) if self.down is not None else x
        return self.relu2(self.add.add(y, s))

    def fuse(self):
        tq.fuse_modules(self, [["conv1.0", "conv1.1", "relu1"], ["conv2.0", "conv2.1"]], inplace=True)
        if self.down is not None:
            tq.fuse_modules(self, [["down.0", "down.1"]], inplace=True)


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.stem = conv_bn(1, 16, 3, 1)
        self.stem_relu = nn.ReLU()
        self.layer1 = nn.Sequential(BasicBlock(16, 16, 1), BasicBlock(16, 16, 1))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2), BasicBlock(32, 32, 1))
        self.layer3 = nn.Sequential(BasicBlock(32, 64, 2), BasicBlock(64, 64, 1))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.stem_relu(self.stem(self.quant(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = torch.flatten(self.pool(x), 1)
        return self.dequant(self.fc(x))

    def fuse(self):
        tq.fuse_modules(self, [["stem.0", "stem.1", "stem_relu"]], inplace=True)
        for layer in (self.layer1, self.layer2, self.layer3):
            for block in layer:
                block.fuse()


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.expand = nn.Sequential(nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), relu6())
        self.dw = nn.Sequential(nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
                                nn.BatchNorm2d(hidden), relu6())
        self.project = conv_bn(hidden, cout, 1)
        self.residual = stride == 1 and cin == cout
        self.add = nn.quantized.FloatFunctional()

    def forward(self, x):
        y = self.project(self.dw(self.expand(x)))
        return self.add.add(y, x) if self.residual else y

    def fuse(self):
        # Conv + BN only: torch 1.13 has no fused conv + ReLU6 module.
        tq.fuse_modules(self, [["expand.0", "expand.1"], ["dw.0", "dw.1"], ["project.0", "project.1"]], inplace=True)


class MobileNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), relu6())
        cfg = [(16, 16, 1, 1), (16, 24, 2, 4), (24, 24, 1, 4), (24, 32, 2, 4), (32, 32, 1, 4), (32, 48, 1, 4),
               (48, 48, 1, 4)]
        self.blocks = nn.Sequential(*[InvertedResidual(a, b, s, e) for a, b, s, e in cfg])
        self.head = nn.Sequential(nn.Conv2d(48, 128, 1, bias=False), nn.BatchNorm2d(128), relu6())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, 10)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.head(self.blocks(self.stem(self.quant(x))))
        x = torch.flatten(self.pool(x), 1)
        return self.dequant(self.fc(x))

    def fuse(self):
        tq.fuse_modules(self, [["stem.0", "stem.1"], ["head.0", "head.1"]], inplace=True)
        for block in self.blocks:
            block.fuse()


class FcNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv1 = conv_bn(1, 16, 3)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = conv_bn(16, 32, 3)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(32 * 7 * 7, 1024)
        self.relu3 = nn.ReLU()
        self.drop1 = nn.Dropout(0.3)
        self.fc2 = nn.Linear(1024, 1024)
        self.relu4 = nn.ReLU()
        self.drop2 = nn.Dropout(0.3)
        self.fc3 = nn.Linear(1024, 10)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(self.quant(x))))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = self.drop1(self.relu3(self.fc1(x)))
        x = self.drop2(self.relu4(self.fc2(x)))
        return self.dequant(self.fc3(x))

    def fuse(self):
        tq.fuse_modules(self, [["conv1.0", "conv1.1", "relu1"], ["conv2.0", "conv2.1", "relu2"]], inplace=True)


NETWORKS = {
    "resnet": (ResNet, 12, 92.0),
    "mobilenet": (MobileNet, 12, 91.0),
    "fcnet": (FcNet, 10, 90.0),
}


# ---------------------------------------------------------------- training

def evaluate(model, x, y, batch=1000):
    model.eval()
    preds, first = [], None
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = model(x[i:i + batch])
            if first is None:
                first = logits[:16].clone()
            preds.append(logits.argmax(1))
    preds = torch.cat(preds)
    return float((preds == y).float().mean()), preds, first


def train(name, net_class, epochs, train_x, train_y, test_x, test_y):
    torch.manual_seed(20261202)
    random.seed(20261202)
    np.random.seed(20261202)
    model = net_class()
    # Channels-last is several times faster for the depthwise convolutions on CPU.
    model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)
    steps = epochs * ((len(train_x) + 127) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=steps, pct_start=0.2)
    gen = torch.Generator().manual_seed(20261202)
    for epoch in range(epochs):
        model.train()
        start = time.time()
        order = torch.randperm(len(train_x), generator=gen)
        total = 0.0
        for i in range(0, len(train_x), 128):
            idx = order[i:i + 128]
            xb = train_x[idx]
            # Light augmentation: random horizontal flips (clothes are symmetric enough).
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb).contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(model(xb), train_y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        acc, _, _ = evaluate(model, test_x, test_y)
        print(f"{name}: epoch {epoch + 1}/{epochs} loss {total / len(train_x):.4f} "
              f"test {100 * acc:.2f} % ({time.time() - start:.0f} s)", file=sys.stderr, flush=True)
    return model


def quantize(model, calib_x):
    torch.backends.quantized.engine = "onednn"
    q = net_copy(model)
    q.eval()
    q.fuse()
    q.qconfig = tq.get_default_qconfig("onednn")
    tq.prepare(q, inplace=True)
    with torch.no_grad():
        for i in range(0, len(calib_x), 500):
            q(calib_x[i:i + 500])
    tq.convert(q, inplace=True)
    return q


def net_copy(model):
    import copy
    return copy.deepcopy(model)


def export(model, path, dynamic_batch):
    example = torch.zeros(1, 1, 28, 28)
    kwargs = {}
    if dynamic_batch:
        kwargs["dynamic_axes"] = {"input": {0: "batch"}, "logits": {0: "batch"}}
    torch.onnx.export(model, example, path, opset_version=13, input_names=["input"], output_names=["logits"],
                      do_constant_folding=True, **kwargs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=sorted(NETWORKS), action="append")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)

    train_x, train_y = load("train")
    test_x, test_y = load("t10k")
    # Calibration: 2,000 training images drawn with a fixed seed.
    calib = train_x[torch.randperm(len(train_x), generator=torch.Generator().manual_seed(7))[:2000]]

    for name in args.only or NETWORKS:
        net_class, epochs, target = NETWORKS[name]
        model = train(name, net_class, args.epochs or epochs, train_x, train_y, test_x, test_y)
        model = model.to(memory_format=torch.contiguous_format)
        model.eval()
        acc, float_preds, float_logits = evaluate(model, test_x, test_y)
        export(model, os.path.join(args.out, f"{name}.onnx"), dynamic_batch=True)

        qmodel = quantize(model, calib)
        qacc, qpreds, q_logits = evaluate(qmodel, test_x, test_y, batch=500)
        export(qmodel, os.path.join(args.out, f"{name}.qdq.onnx"), dynamic_batch=False)

        report = {
            "network": name,
            "torch": torch.__version__,
            "quantized_engine": "onednn",
            "float_accuracy": acc,
            "int8_accuracy": qacc,
            "target_float_accuracy": target / 100,
            "test_images": len(test_y),
            "float_predictions": "".join(str(int(p)) for p in float_preds),
            "int8_predictions": "".join(str(int(p)) for p in qpreds),
            "float_logits_first16": [[float(v) for v in row] for row in float_logits],
            "int8_logits_first16": [[float(v) for v in row] for row in q_logits],
        }
        with open(os.path.join(args.out, f"{name}.torch.json"), "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
        print(f"{name}: float {100 * acc:.2f} % (target {target} %), int8 {100 * qacc:.2f} %", file=sys.stderr,
              flush=True)


if __name__ == "__main__":
    main()
