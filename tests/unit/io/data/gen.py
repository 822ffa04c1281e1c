#!/usr/bin/env python3
"""Writes the fixture files of tests/unit/io/readers.cpp with NumPy's np.save
and Python's gzip module, the references the readers are checked against.

    /usr/bin/python3 tests/unit/io/data/gen.py      (needs python3-numpy)

The values follow the formulas readers.cpp repeats; gzip output is made
reproducible with mtime=0.
"""
import gzip
import io
import itertools
import pathlib
import struct

import numpy as np
from numpy.lib import format as npy_format

HERE = pathlib.Path(__file__).resolve().parent


def save(name, array, version=None):
    path = HERE / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if version is None:
        np.save(path, array, allow_pickle=False)
    else:
        with open(path, "wb") as f:
            npy_format.write_array(f, array, version=version, allow_pickle=False)


def idx_bytes(array):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
             np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}
    header = struct.pack(">BBBB", 0, 0, codes[array.dtype], array.ndim)
    header += b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.tobytes(order="C")


def write(name, data, compress=False):
    path = HERE / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)


def idx_image(n, h, w):
    """(n * 20 + h * 5 + w) * 13 mod 256: every image differs, bytes cover 0..255."""
    n_, h_, w_ = np.meshgrid(np.arange(n), np.arange(h), np.arange(w), indexing="ij")
    return ((n_ * 20 + h_ * 5 + w_) * 13 % 256).astype(np.uint8)


# npy files, one per dtype and format version the readers accept.
save("npy/f32_2x3.npy", (np.arange(6, dtype=np.float32) * 0.5 - 1.0).reshape(2, 3))
save("npy/f32_5.npy", np.array([0.25, -3.0, 1e-3, 7.5, 65504.0], dtype=np.float32))
save("npy/f32_scalar.npy", np.float32(2.5))
save("npy/f32_be.npy", np.array([1.5, -2.25, 3e38], dtype=">f4"))
# float64 -> float32 rounding at the edges: to FLT_MAX, to -inf, underflow to 0.
flt_max = float(np.finfo(np.float32).max)
f64 = np.array([[0.1, -1e300], [1e-50, flt_max + 2.0**102]], dtype="<f8")
with np.errstate(over="ignore"):
    assert list(f64.astype(np.float32).ravel()) == [np.float32(0.1), -np.inf, 0.0, np.finfo(np.float32).max]
save("npy/f64_2x2.npy", f64)
save("npy/f64_be.npy", np.array([-0.5, 1e10], dtype=">f8"))
save("npy/u8_4.npy", np.array([0, 1, 128, 255], dtype=np.uint8))
save("npy/i8_labels.npy", np.array([9, 0, 3, -1], dtype="<i8"))
save("npy/i8_be_labels.npy", np.array([9, -7, 2**40], dtype=">i8"))
save("npy/i4_labels.npy", np.array([5, 2, -4], dtype="<i4"))
save("npy/u8_big.npy", np.array([1, 2**63], dtype="<u8"))
save("npy/v2_f32.npy", np.array([1.0, 2.0], dtype=np.float32), version=(2, 0))
save("npy/v3_f32.npy", np.array([[3.0], [4.0]], dtype=np.float32), version=(3, 0))
save("npy/fortran_2x3.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))

# A shape whose header, before padding, ends exactly on a 64-byte boundary:
# numpy then pads with 64 spaces, not none. With shape[0] = 0 numpy also adds
# 20 spare spaces, so the header ends in 84; the array is empty. No shape of
# rank 8 or less gets there without overflowing, so this one has rank 9.
def aligned_shape():
    for rank in range(2, 11):
        for digits in itertools.product(range(1, 6), repeat=rank - 1):
            shape = (0,) + tuple(10 ** (d - 1) for d in digits)
            buf = io.BytesIO()
            try:
                np.save(buf, np.zeros(shape, np.float32))
            except ValueError:  # numpy refuses shapes whose byte size overflows
                continue
            text = buf.getvalue()[10:].decode("latin1").rstrip("\n")
            if len(text) - len(text.rstrip(" ")) == 84:
                return shape
    raise RuntimeError("no shape found")


save("npy/f32_aligned.npy", np.zeros(aligned_shape(), np.float32))

# An IDX split pair in each arrangement load_dataset accepts.
write("idx/t10k-images-idx3-ubyte.gz", idx_bytes(idx_image(3, 4, 5)), compress=True)
write("idx/t10k-labels-idx1-ubyte", idx_bytes(np.array([9, 0, 7], dtype=np.uint8)))
write("idx/train-images-idx3-ubyte", idx_bytes(idx_image(2, 4, 5)))
write("idx/train-labels-idx1-ubyte.gz", idx_bytes(np.array([1, 2], dtype=np.uint8)), compress=True)
write("idx/i4_2x2.idx.gz", idx_bytes(np.array([[-2, 16909060], [0, 2**31 - 1]], dtype=">i4")), compress=True)

# .npy pairs: bytes N x H x W with uint8 labels; float32 N x C x H x W with int64 labels.
save("npy_pair/test_images.npy", idx_image(3, 4, 5))
save("npy_pair/test_labels.npy", np.array([4, 4, 1], dtype=np.uint8))
save("npy_pair/train_images.npy", (np.arange(24, dtype=np.float32) / 4 - 2).reshape(2, 3, 2, 2))
save("npy_pair/train_labels.npy", np.array([3, 8], dtype=np.int64))
