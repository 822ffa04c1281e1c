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
