#!/usr/bin/python3
"""Writes torch_observers.inc: golden vectors from PyTorch 1.13 for mixq's
calibration observers.

Run with Debian's system python and python3-torch:
    /usr/bin/python3 tests/golden/gen_torch_observers.py > tests/golden/torch_observers.inc

Cases:
  * MinMaxObserver, PerChannelMinMaxObserver, MovingAverageMinMaxObserver and
    MovingAveragePerChannelMinMaxObserver, affine and symmetric, over several
    batches: the final min / max state and the scales and zero points.
  * HistogramObserver (one batch or several): the clipping range its search
    picks and the resulting scale and zero point. PyTorch 1.13 builds the
    histogram over int(min) .. int(max) (the range truncated toward zero) but
    reads it as if it spanned min .. max. Each case therefore also records what
    the same search returns when the histogram covers the real range: a second
    run with torch.histc given the batch's real extremes ("fixed"; one-batch
    cases only, where the real range is the batch's). Where truncation changed
    the range, PyTorch's own histogram is kept too (its non-empty bins), so the
    tests can check it against mixq's within the bound the truncation implies.

Floats are written as hex literals so every value is exact.
"""
import sys

import numpy as np
import torch
from torch.ao.quantization.observer import (HistogramObserver, MinMaxObserver, MovingAverageMinMaxObserver,
                                            MovingAveragePerChannelMinMaxObserver, PerChannelMinMaxObserver)

assert torch.__version__.startswith("1.13"), torch.__version__
rng = np.random.default_rng(20261123)
out = sys.stdout


def f32(values):
    return np.asarray(values, dtype=np.float32)


def hexf(v):
    v = float(np.float32(v))
    if v == 0.0:
        return "-0.0f" if np.signbit(v) else "0.0f"
    mantissa, exponent = float.hex(v).split("p")
    return mantissa.rstrip("0").rstrip(".") + "p" + exponent + "f"


def floats(values):
    return ", ".join(hexf(v) for v in np.asarray(values).reshape(-1))


def ints(values):
    return ", ".join(str(int(v)) for v in np.asarray(values).reshape(-1))


def dyadic(values, step=1.0 / 64):
    """Rounds to a multiple of `step` (short hex literals, still varied)."""
    return f32(np.round(np.asarray(values) / step) * step)


# Schemes as mixq names them, with the PyTorch arguments that give the same
# integer range: (bits, signed, symmetric, narrow) -> (dtype, quant_min, quant_max).
# None for quant_min / quant_max keeps PyTorch's default range, which matters
# for quint8 symmetric: a customized range would move its zero point.
SCHEMES = {
    "uint8_asym": ((8, False, False, False), torch.quint8, None, None),
    "uint8_sym": ((8, False, True, False), torch.quint8, None, None),
    "int8_asym": ((8, True, False, False), torch.qint8, None, None),
    "int8_sym": ((8, True, True, False), torch.qint8, None, None),
    "int8_sym_narrow": ((8, True, True, True), torch.qint8, -127, 127),
    "int4_sym": ((4, True, True, False), torch.qint8, -8, 7),
    "uint4_asym": ((4, False, False, False), torch.quint8, 0, 15),
}


def qscheme_of(name, per_channel):
    symmetric = SCHEMES[name][0][2]
    if per_channel:
        return torch.per_channel_symmetric if symmetric else torch.per_channel_affine
    return torch.per_tensor_symmetric if symmetric else torch.per_tensor_affine


def make(cls, name, per_channel, **kwargs):
    _, dtype, qmin, qmax = SCHEMES[name]
    if qmin is not None:
        kwargs.update(quant_min=qmin, quant_max=qmax)
    return cls(dtype=dtype, qscheme=qscheme_of(name, per_channel), **kwargs)


# ----------------------------------------------------------------------------
# Data sets: a shape and a list of batches of that shape.

datasets = []  # (name, shape, axis, [batches])


def dataset(name, shape, axis, batches):
    datasets.append((name, tuple(shape), axis, [f32(b).reshape(shape) for b in batches]))


dataset("normal", (6, 8), -1, [dyadic(rng.normal(0.3, s, 48)) for s in (1.0, 2.5, 0.7)])
dataset("full_precision", (48,), -1, [f32(rng.normal(-0.2, 3.7, 48)) for _ in range(3)])
dataset("positive_only", (4, 12), -1, [f32(rng.uniform(0.5, 7.0, 48)) for _ in range(2)])
dataset("negative_only", (48,), -1, [f32(rng.uniform(-9.0, -0.25, 48)) for _ in range(2)])
dataset("all_zero", (2, 3, 4), -1, [np.zeros(24), np.zeros(24)])
dataset("constant", (16,), -1, [np.full(16, 3.25), np.full(16, 3.25)])
dataset("constant_negative", (16,), -1, [np.full(16, -1.7)])
dataset("tiny_range", (32,), -1, [f32(rng.uniform(-1e-6, 2e-6, 32))])
# min / scale is exactly -2.5 for uint8 affine: round half to even gives zero point 2.
dataset("half_tie", (8,), -1, [f32([-0.15625, 15.78125, 1.0, 2.0, -0.1, 3.0, 0.0, 7.5])])
# Ranges that move from batch to batch, so the moving average differs from min-max.
dataset("moving", (40,), -1, [dyadic(rng.uniform(lo, hi, 40), 1.0 / 128)
                              for lo, hi in ((-1, 2), (-3, 0.5), (-0.2, 5), (-0.9, 0.9))])


def special_channels(shape, axis, scale):
    """Random channels, except channel 0 all zero, 1 positive, 2 negative, 3 constant."""
    x = rng.normal(0.0, 1.0, shape) * scale
    x = np.moveaxis(x, axis, 0)
    x[0] = 0.0
    x[1] = np.abs(x[1]) + 0.125
    x[2] = -np.abs(x[2]) - 0.25
    x[3] = 1.375
    return f32(np.moveaxis(x, 0, axis))


dataset("channels_axis0", (5, 3, 8), 0, [special_channels((5, 3, 8), 0, s) for s in (1.0, 3.0, 0.5)])
dataset("channels_axis1", (3, 5, 4), 1, [dyadic(special_channels((3, 5, 4), 1, s)) for s in (2.0, 0.5)])
dataset("channels_axis2", (2, 3, 6), 2, [f32(rng.normal(0.0, s, (2, 3, 6))) for s in (1.5, 4.0, 0.25)])

# ----------------------------------------------------------------------------
# Min-max and moving-average cases.

minmax_states = []  # (dataset index, observer kind, min[], max[]): the same for every scheme
minmax_cases = []  # (state index, scheme name, scale[], zp[])
PER_TENSOR_SCHEMES = list(SCHEMES)
for index, (name, shape, axis, batches) in enumerate(datasets):
    per_channel = axis >= 0
    if per_channel and axis > 0:
        schemes = ["uint8_asym", "int8_sym"]
    else:
        schemes = PER_TENSOR_SCHEMES
    for kind in ("minmax", "moving_average"):
        if per_channel:
            cls = PerChannelMinMaxObserver if kind == "minmax" else MovingAveragePerChannelMinMaxObserver
        else:
            cls = MinMaxObserver if kind == "minmax" else MovingAverageMinMaxObserver
        state = None
        for scheme in schemes:
            kwargs = {"ch_axis": axis} if per_channel else {}
            obs = make(cls, scheme, per_channel, **kwargs)
            for b in batches:
                obs(torch.from_numpy(b))
            scale, zp = obs.calculate_qparams()
            mins, maxs = obs.min_val.reshape(-1).numpy(), obs.max_val.reshape(-1).numpy()
            if state is None:
                minmax_states.append((index, kind, mins, maxs))
                state = len(minmax_states) - 1
            assert np.array_equal(mins, minmax_states[state][2]) and np.array_equal(maxs, minmax_states[state][3])
            minmax_cases.append((state, scheme, scale.numpy().astype(np.float32), zp.numpy().astype(np.int64)))

# ----------------------------------------------------------------------------
# Histogram cases (per tensor only, as in PyTorch).

hist_datasets = []  # (name, [batches], exact_in_1_13)


def hist_dataset(name, batches):
    hist_datasets.append((name, [f32(b) for b in batches]))


n = 1000
x = dyadic(rng.normal(0.5, 4.0, n))
x[0], x[1] = -13.0, 17.0  # integer extremes: int() truncation changes nothing
hist_dataset("integer_range", [x])
hist_dataset("within_one", [dyadic(rng.uniform(-0.9, 0.8, n), 1.0 / 1024)])  # int(min) == int(max) == 0
hist_dataset("normal", [dyadic(rng.normal(0.3, 5.0, n))])
hist_dataset("heavy_tail", [dyadic(rng.standard_t(2.0, n) * 1.5, 1.0 / 128)])
hist_dataset("relu", [dyadic(np.maximum(rng.normal(1.0, 3.0, n), 0.0))])
hist_dataset("batches", [dyadic(rng.normal(0.0, s, n // 2)) for s in (2.0, 6.0, 1.0)])

_histc = torch.histc


def histc_over_real_range(input, bins=100, min=0, max=0, out=None):
    """torch.histc over the input's real extremes, ignoring the truncated range it was given."""
    lo, hi = float(input.min()), float(input.max())
    if out is None:
        return _histc(input, bins, min=lo, max=hi)
    return _histc(input, bins, min=lo, max=hi, out=out)


def run_histogram(scheme, batches, fixed):
    obs = make(HistogramObserver, scheme, False)
    if fixed:
        torch.histc = histc_over_real_range
    try:
        for b in batches:
            obs(torch.from_numpy(b))
    finally:
        torch.histc = _histc
    new_min, new_max = obs._non_linear_param_search()
    scale, zp = obs.calculate_qparams()
    return (float(new_min), float(new_max), float(scale[0]), int(zp[0])), obs.histogram.numpy().copy()


hist_cases = []
stock_histograms = {}  # dataset index -> PyTorch 1.13's histogram, where truncation changed the range
for index, (name, batches) in enumerate(hist_datasets):
    for scheme in ("uint8_asym", "int8_asym", "int8_sym"):
        stock, histogram = run_histogram(scheme, batches, fixed=False)
        fixed = run_histogram(scheme, batches, fixed=True)[0] if len(batches) == 1 else None
        hist_cases.append((index, scheme, stock, fixed))
        lo, hi = batches[0].min(), batches[0].max()
        if len(batches) == 1 and (int(lo) != lo or int(hi) != hi) and int(lo) != int(hi):
            stock_histograms[index] = histogram

# ----------------------------------------------------------------------------
# Output.

out.write("// Generated by tests/golden/gen_torch_observers.py with PyTorch %s. Do not edit.\n" % torch.__version__)
out.write("// Observer inputs (flattened, batch after batch) and PyTorch's min / max\n")
out.write("// state, clipping ranges, scales and zero points.\n\n")

for index, (name, shape, axis, batches) in enumerate(datasets):
    out.write(f"inline const float obs_data{index}[] = {{{floats(np.concatenate([b.reshape(-1) for b in batches]))}}};\n")
out.write("\nstruct torch_observer_dataset {\n  const char* name;\n  std::size_t rank;\n  std::size_t shape[4];\n"
          "  int axis;\n  std::size_t batches;\n  const float* values;\n};\n\n")
out.write("inline const torch_observer_dataset torch_observer_datasets[] = {\n")
for index, (name, shape, axis, batches) in enumerate(datasets):
    dims = ", ".join(str(d) for d in shape) + ", 1" * (4 - len(shape))
    out.write(f'  {{"{name}", {len(shape)}, {{{dims}}}, {axis}, {len(batches)}, obs_data{index}}},\n')
out.write("};\n\n")

for i, (index, kind, mins, maxs) in enumerate(minmax_states):
    out.write(f"inline const float mm_state{i}_min[] = {{{floats(mins)}}};\n")
    out.write(f"inline const float mm_state{i}_max[] = {{{floats(maxs)}}};\n")
out.write("\n// The observer's min / max state after all batches of a data set (the same for every scheme).\n")
out.write("struct torch_minmax_state {\n  std::size_t dataset;\n  const char* observer;  // minmax | moving_average\n"
          "  std::size_t channels;\n  const float* min;\n  const float* max;\n};\n\n")
out.write("inline const torch_minmax_state torch_minmax_states[] = {\n")
for i, (index, kind, mins, maxs) in enumerate(minmax_states):
    out.write(f'  {{{index}, "{kind}", {len(mins)}, mm_state{i}_min, mm_state{i}_max}},\n')
out.write("};\n\n")

for i, (state, scheme, scale, zp) in enumerate(minmax_cases):
    out.write(f"inline const float mm{i}_scale[] = {{{floats(scale)}}};\n")
    out.write(f"inline const std::int32_t mm{i}_zp[] = {{{ints(zp)}}};\n")
out.write("\nstruct torch_minmax_case {\n  std::size_t state;\n  const char* scheme;\n"
          "  const float* scale;\n  const std::int32_t* zero_point;\n};\n\n")
out.write("inline const torch_minmax_case torch_minmax_cases[] = {\n")
for i, (state, scheme, scale, zp) in enumerate(minmax_cases):
    out.write(f'  {{{state}, "{scheme}", mm{i}_scale, mm{i}_zp}},\n')
out.write("};\n\n")

for index, (name, batches) in enumerate(hist_datasets):
    out.write(f"inline const float hist_data{index}[] = {{{floats(np.concatenate(batches))}}};\n")
out.write("\nstruct torch_histogram_dataset {\n  const char* name;\n  std::size_t batches;\n"
          "  std::size_t batch_size;\n  const float* values;\n};\n\n")
out.write("inline const torch_histogram_dataset torch_histogram_datasets[] = {\n")
for index, (name, batches) in enumerate(hist_datasets):
    out.write(f'  {{"{name}", {len(batches)}, {len(batches[0])}, hist_data{index}}},\n')
out.write("};\n\n")

out.write("// PyTorch's result; `fixed` is the same search over a histogram of the real range.\n")
out.write("struct torch_histogram_result {\n  float clip_min;\n  float clip_max;\n  float scale;\n"
          "  std::int32_t zero_point;\n};\n\n")
out.write("struct torch_histogram_case {\n  std::size_t dataset;\n  const char* scheme;\n"
          "  torch_histogram_result stock;\n  bool has_fixed;\n  torch_histogram_result fixed;\n};\n\n")


def result(r):
    return "{%s, %s, %s, %d}" % (hexf(r[0]), hexf(r[1]), hexf(r[2]), r[3])


out.write("inline const torch_histogram_case torch_histogram_cases[] = {\n")
for index, scheme, stock, fixed in hist_cases:
    fixed_text = result(fixed) if fixed else "{0.0f, 0.0f, 0.0f, 0}"
    out.write(f'  {{{index}, "{scheme}", {result(stock)}, {"true" if fixed else "false"}, {fixed_text}}},\n')
out.write("};\n\n")

# The histogram PyTorch 1.13 kept (over int(min) .. int(max)), as (bin, count) pairs of its non-empty bins.
for index, histogram in stock_histograms.items():
    nonzero = np.flatnonzero(histogram)
    out.write(f"inline const std::uint16_t stock_hist{index}_bin[] = {{{ints(nonzero)}}};\n")
    out.write(f"inline const std::uint16_t stock_hist{index}_count[] = {{{ints(histogram[nonzero])}}};\n")
out.write("\nstruct torch_stock_histogram {\n  std::size_t dataset;\n  std::size_t nonempty;\n"
          "  const std::uint16_t* bin;\n  const std::uint16_t* count;\n};\n\n")
out.write("inline const torch_stock_histogram torch_stock_histograms[] = {\n")
for index, histogram in stock_histograms.items():
    out.write(f"  {{{index}, {np.count_nonzero(histogram)}, stock_hist{index}_bin, stock_hist{index}_count}},\n")
out.write("};\n")
