#!/usr/bin/python3
"""Writes the ONNX graphs of tests/unit/io/onnx_graphs.cpp into graphs/:

    /usr/bin/python3 tests/golden/onnx/gen_graphs.py     (python3-onnx 1.12, python3-numpy)

One small graph per operator and attribute combination the importer takes,
at opsets 11, 13 and 17, and QDQ-quantized graphs in the forms PyTorch and
ONNX Runtime export. For each NAME:

    NAME.onnx          the model (checked by onnx.checker and strict shape inference)
    NAME.input.npy     float32 N x C x H x W (or N x F) inputs, N = 2
    NAME.output.npy    float32 expected outputs
    NAME.expect.txt    QDQ graphs only: what the importer must read from them
                       (weight codes in mixq's layout, scales, bits; the
                       activations' parameters; the native plan)

and index.txt lists the graphs. CI never runs this script: its output is
committed.

The expected outputs are computed by the numpy reference implementations
below, written for this script from the ONNX operator definitions
(https://onnx.ai/onnx/operators/): no runtime evaluates the graphs. They
compute in float64 from the float32 inputs and weights. For QDQ graphs they
compute what mixq's fp32 precision computes: the network in float with the
dequantized weights and biases, and the QuantizeLinear -> DequantizeLinear
pairs on activations passed through without rounding.

Where the ONNX 1.12 text leaves a case open, the graphs either avoid it or
follow PyTorch, and say so: an AveragePool window that ceil_mode lets run
past the padded input divides, with count_include_pad = 1, by its positions
inside the padded input (PyTorch's rule); ceil_mode windows starting in the
right padding (which PyTorch drops) never occur here (asserted).

Every graph draws its values from a generator seeded by a CRC of its name,
so the output is the same on every run and one graph can change alone.
"""
import pathlib
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

assert onnx.__version__.startswith("1.12"), onnx.__version__

OUT = pathlib.Path(__file__).resolve().parent / "graphs"
IR_OF_OPSET = {11: 6, 13: 7, 17: 8}
N = 2  # samples per input file

F32 = TensorProto.FLOAT
NP_OF = {TensorProto.FLOAT: np.float32, TensorProto.DOUBLE: np.float64, TensorProto.UINT8: np.uint8,
         TensorProto.INT8: np.int8, TensorProto.INT32: np.int32, TensorProto.INT64: np.int64, TensorProto.BOOL: np.bool_}


def f32(a):
    return np.asarray(a, dtype=np.float32)


def fmt_float(v):
    # Nine significant digits give back the same float32.
    return "%.9g" % float(np.float32(v))


# ---------------------------------------------------------------- references
# Tensors are (array, onnx dtype); float data is float64 here, ints are int64.

def pad_amounts(auto_pad, pads, in_hw, kernel, strides, dilations):
    """(top, left, bottom, right) as the ONNX Conv / pooling auto_pad rules give them."""
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        out = []
        for axis in range(2):
            size, k, s, d = in_hw[axis], kernel[axis], strides[axis], dilations[axis]
            o = -(-size // s)
            total = max(0, (o - 1) * s + (k - 1) * d + 1 - size)
            small, large = total // 2, total - total // 2
            out.append((small, large) if auto_pad == "SAME_UPPER" else (large, small))
        return out[0][0], out[1][0], out[0][1], out[1][1]
    if auto_pad == "VALID":
        return 0, 0, 0, 0
    assert auto_pad == "NOTSET", auto_pad
    return tuple(pads) if pads else (0, 0, 0, 0)


def window_out(size, k, s, d, pad_a, pad_b, ceil_mode=False):
    span = (k - 1) * d + 1
    num = size + pad_a + pad_b - span
    out = (-(-num // s) if ceil_mode else num // s) + 1
    # The last window starts inside the input or its left padding (else PyTorch drops it; see the docstring).
    assert (out - 1) * s < size + pad_a, "a ceil_mode window starting in the right padding"
    return out


def ref_conv(x, w, b, auto_pad="NOTSET", pads=None, strides=(1, 1), dilations=(1, 1), group=1):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    assert cg * group == c and o % group == 0
    pt, pl, pb, pr = pad_amounts(auto_pad, pads, (h, wd), (kh, kw), strides, dilations)
    oh = window_out(h, kh, strides[0], dilations[0], pt, pb)
    ow = window_out(wd, kw, strides[1], dilations[1], pl, pr)
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr))
    xp[:, :, pt:pt + h, pl:pl + wd] = x
    y = np.zeros((n, o, oh, ow))
    og = o // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        wg = w[g * og:(g + 1) * og]
        for ky in range(kh):
            for kx in range(kw):
                y0, x0 = ky * dilations[0], kx * dilations[1]
                patch = xs[:, :, y0:y0 + strides[0] * (oh - 1) + 1:strides[0], x0:x0 + strides[1] * (ow - 1) + 1:strides[1]]
                y[:, g * og:(g + 1) * og] += np.einsum("oc,nchw->nohw", wg[:, :, ky, kx], patch)
    if b is not None:
        y += b.reshape(1, o, 1, 1)
    return y


def ref_pool(x, kind, kernel, auto_pad="NOTSET", pads=None, strides=(1, 1), dilations=(1, 1), ceil_mode=0,
             count_include_pad=0):
    n, c, h, wd = x.shape
    kh, kw = kernel
    pt, pl, pb, pr = pad_amounts(auto_pad, pads, (h, wd), kernel, strides, dilations)
    oh = window_out(h, kh, strides[0], dilations[0], pt, pb, ceil_mode)
    ow = window_out(wd, kw, strides[1], dilations[1], pl, pr, ceil_mode)
    y = np.zeros((n, c, oh, ow))
    for oy in range(oh):
        for ox in range(ow):
            taps, padded_taps = [], 0
            for ky in range(kh):
                for kx in range(kw):
                    iy = oy * strides[0] + ky * dilations[0] - pt
                    ix = ox * strides[1] + kx * dilations[1] - pl
                    if -pt <= iy < h + pb and -pl <= ix < wd + pr:
                        padded_taps += 1
                    if 0 <= iy < h and 0 <= ix < wd:
                        taps.append(x[:, :, iy, ix])
            assert taps, "a window wholly in the padding"
            t = np.stack(taps)
            if kind == "max":
                y[:, :, oy, ox] = t.max(axis=0)
            elif count_include_pad:
                y[:, :, oy, ox] = t.sum(axis=0) / padded_taps
            else:
                y[:, :, oy, ox] = t.mean(axis=0)
    return y


def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            v = helper.get_attribute_value(a)
            return v.decode() if isinstance(v, bytes) else v
    return default


def evaluate(model, x):
    """The graph's output for input x: the references below, node by node.

    QuantizeLinear of an activation (a tensor computed from the graph input)
    yields the float values themselves, and Cast, Clip and DequantizeLinear
    of those pass them on: the fp32 semantics of a QDQ graph in mixq."""
    g = model.graph
    env, kind = {}, {}  # kind: 'const', 'act' (float activation), 'codes' (a passed-through quantized activation)
    for t in g.initializer:
        a = numpy_helper.to_array(t)
        env[t.name] = (a.astype(np.float64) if t.data_type == F32 else a.astype(np.int64), t.data_type)
        kind[t.name] = "const"
    env[g.input[0].name] = (x.astype(np.float64), F32)
    kind[g.input[0].name] = "act"

    def get(node, k):
        if k >= len(node.input) or node.input[k] == "":
            return None
        return env[node.input[k]][0]

    for node in g.node:
        op = node.op_type
        ins = [i for i in node.input if i]
        act_in = [kind[i] for i in ins if kind[i] != "const"]
        out_kind = "const" if not act_in else ("codes" if "codes" in act_in and op not in ("DequantizeLinear",) else "act")
        a = get(node, 0)
        dtype = F32
        if op == "Constant":
            t = attr(node, "value")
            v = numpy_helper.to_array(t)
            y, dtype = (v.astype(np.float64) if t.data_type == F32 else v.astype(np.int64)), t.data_type
        elif op == "Conv":
            y = ref_conv(a, get(node, 1), get(node, 2), attr(node, "auto_pad", "NOTSET"), attr(node, "pads"),
                         attr(node, "strides", [1, 1]), attr(node, "dilations", [1, 1]), attr(node, "group", 1))
        elif op == "Gemm":
            assert attr(node, "transA", 0) == 0
            b = get(node, 1)
            if attr(node, "transB", 0):
                b = b.T
            y = attr(node, "alpha", 1.0) * (a @ b)
            c = get(node, 2)
            if c is not None:
                y = y + attr(node, "beta", 1.0) * c
        elif op == "MatMul":
            y = a @ get(node, 1)
        elif op in ("Add", "Sub", "Mul", "Div"):
            b = get(node, 1)
            y = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op](a, b)
            dtype = env[node.input[0]][1]
        elif op == "Concat":
            y = np.concatenate([env[i][0] for i in node.input], axis=attr(node, "axis"))
            dtype = env[node.input[0]][1]
        elif op in ("MaxPool", "AveragePool"):
            y = ref_pool(a, "max" if op == "MaxPool" else "avg", attr(node, "kernel_shape"),
                         attr(node, "auto_pad", "NOTSET"), attr(node, "pads"), attr(node, "strides", [1, 1]),
                         attr(node, "dilations", [1, 1]), attr(node, "ceil_mode", 0), attr(node, "count_include_pad", 0))
        elif op == "GlobalAveragePool":
            y = a.mean(axis=(2, 3), keepdims=True)
        elif op == "GlobalMaxPool":
            y = a.max(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            ax = attr(node, "axis", 1)
            y = a.reshape(int(np.prod(a.shape[:ax])), -1)
        elif op == "Reshape":
            shape = list(get(node, 1))
            shape = [a.shape[k] if s == 0 else s for k, s in enumerate(shape)]
            y = a.reshape(shape)
            dtype = env[node.input[0]][1]
        elif op in ("Squeeze", "Unsqueeze"):
            axes = list(get(node, 1)) if get(node, 1) is not None else attr(node, "axes")
            if op == "Squeeze":
                y = np.squeeze(a, axis=tuple(ax % a.ndim for ax in axes))
            else:
                y = a
                for ax in sorted(ax % (a.ndim + len(axes)) for ax in axes):
                    y = np.expand_dims(y, ax)
            dtype = env[node.input[0]][1]
        elif op == "Shape":
            y, dtype = np.array(a.shape, dtype=np.int64), TensorProto.INT64
            out_kind = "const"  # the shape of an activation is known before it runs
        elif op == "Gather":
            y, dtype = np.take(a, get(node, 1), axis=attr(node, "axis", 0)), env[node.input[0]][1]
        elif op == "Relu":
            y = np.maximum(a, 0.0)
        elif op == "Clip":
            lo, hi = get(node, 1), get(node, 2)
            y, dtype = a, env[node.input[0]][1]
            if kind[node.input[0]] != "codes":
                y = np.clip(a, -np.inf if lo is None else lo, np.inf if hi is None else hi)
        elif op == "BatchNormalization":
            s, bb, m, v = (get(node, k).reshape(1, -1, 1, 1) for k in range(1, 5))
            y = (a - m) / np.sqrt(v + np.float64(np.float32(attr(node, "epsilon", 1e-5)))) * s + bb
        elif op in ("Identity", "Dropout"):
            y, dtype = a, env[node.input[0]][1]
        elif op == "Cast":
            to = attr(node, "to")
            y, dtype = a, to
            if kind[node.input[0]] != "codes":
                y = a.astype(np.float64) if to == F32 else a.astype(NP_OF[to]).astype(np.int64)
        elif op == "QuantizeLinear":
            zp_t = env[node.input[2]][1]
            if kind[node.input[0]] == "act":
                y, dtype, out_kind = a, zp_t, "codes"
            else:
                lo, hi = (-128, 127) if zp_t == TensorProto.INT8 else (0, 255)
                y, dtype = np.clip(np.round(a / get(node, 1)) + get(node, 2), lo, hi).astype(np.int64), zp_t
        elif op == "DequantizeLinear":
            if kind[node.input[0]] == "codes":
                y, out_kind = a, "act"
            else:
                scale = get(node, 1)
                zp = get(node, 2) if get(node, 2) is not None else np.zeros_like(scale, dtype=np.int64)
                if scale.ndim == 1 and scale.size > 1:
                    shape = [1] * a.ndim
                    shape[attr(node, "axis", 1)] = -1
                    scale, zp = scale.reshape(shape), zp.reshape(shape)
                # float32 arithmetic, as the operator's definition
                y = ((a - zp).astype(np.float32) * scale.astype(np.float32)).astype(np.float64)
        else:
            raise NotImplementedError(op)
        env[node.output[0]] = (y, dtype)
        kind[node.output[0]] = out_kind
    return env[g.output[0].name][0]


# ---------------------------------------------------------------- building graphs

class Graph:
    """One test graph: nodes, initializers, and what the C++ test expects of it."""

    def __init__(self, name, opset, in_shape, description, batch="N", qdq=False, low=-1.0, high=1.0):
        self.name, self.opset, self.in_shape, self.description = name, opset, list(in_shape), description
        self.batch, self.quantized = batch, qdq
        self.rng = np.random.default_rng(zlib.crc32(name.encode()))
        self.nodes, self.inits = [], []
        self.input = "x"
        self.x = f32(self.rng.uniform(low, high, [N] + self.in_shape))
        self.counter = 0
        self.expect = []  # lines of NAME.expect.txt

    def fresh(self, base):
        self.counter += 1
        return f"{base}_{self.counter}"

    def init(self, base, value, dtype=F32):
        name = self.fresh(base)
        self.inits.append(numpy_helper.from_array(np.asarray(value).astype(NP_OF[dtype]), name))
        return name

    def const(self, base, value, dtype=F32):
        """A Constant node (as PyTorch exports weights), not an initializer."""
        name = self.fresh(base)
        t = numpy_helper.from_array(np.asarray(value).astype(NP_OF[dtype]), name + "_value")
        self.nodes.append(helper.make_node("Constant", [], [name], name=name + "_Constant", value=t))
        return name

    def node(self, op, inputs, name=None, outputs=1, **attrs):
        name = name or self.fresh(op)
        outs = [f"{name}_out" if k == 0 else f"{name}_out{k}" for k in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs[0] if outputs == 1 else outs

    def weights(self, shape, fan_in):
        return f32(self.rng.uniform(-1.0, 1.0, shape) / np.sqrt(fan_in))

    # ---- layers with random float parameters

    def conv(self, x, cin, cout, k, name=None, bias=True, group=1, kernel_shape=True, **attrs):
        kh, kw = (k, k) if isinstance(k, int) else k
        w = self.init("W", self.weights([cout, cin // group, kh, kw], cin // group * kh * kw))
        ins = [x, w] + ([self.init("B", self.weights([cout], 4))] if bias else [])
        if kernel_shape:
            attrs["kernel_shape"] = [kh, kw]
        if group != 1:
            attrs["group"] = group
        return self.node("Conv", ins, name=name, **attrs)

    def gemm(self, x, k, n, name=None, trans_b=1, bias_shape="n", **attrs):
        b = self.weights([n, k] if trans_b else [k, n], k)
        ins = [x, self.init("B", b)]
        if bias_shape is not None:
            c = {"n": [n], "1n": [1, n], "scalar": []}[bias_shape]
            ins.append(self.init("C", self.weights(c, 4)))
        return self.node("Gemm", ins, name=name, transB=trans_b, **attrs)

    # ---- writing

    def finish(self, y):
        dims = [self.batch] + self.in_shape
        inp = helper.make_tensor_value_info(self.input, F32, dims)
        g = helper.make_graph(self.nodes, self.name, [inp], [helper.make_tensor_value_info(y, F32, None)],
                              initializer=self.inits)
        model = helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset)],
                                  producer_name="mixq gen_graphs.py", ir_version=IR_OF_OPSET[self.opset])
        expected = f32(evaluate(model, self.x))
        out_dims = [self.batch] + list(expected.shape[1:])
        model.graph.output[0].CopyFrom(helper.make_tensor_value_info(y, F32, out_dims))
        onnx.checker.check_model(model, full_check=True)
        onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
        onnx.save(model, str(OUT / f"{self.name}.onnx"))
        np.save(OUT / f"{self.name}.input.npy", self.x, allow_pickle=False)
        np.save(OUT / f"{self.name}.output.npy", expected, allow_pickle=False)
        if self.quantized:
            lines = [f"# {self.name}.onnx: written by gen_graphs.py", *self.expect]
            (OUT / f"{self.name}.expect.txt").write_text("\n".join(lines) + "\n")
        INDEX.append(f"{self.name} {'qdq' if self.quantized else 'float'} {self.opset} {self.description}")


INDEX = []
GRAPHS = []


def graph(fn):
    GRAPHS.append(fn)
    return fn


# ---------------------------------------------------------------- float graphs: convolution

@graph
def conv_pads_asymmetric():
    g = Graph("conv_pads_asymmetric", 11, [3, 7, 6], "Conv 3x3, pads (top 1, left 0, bottom 2, right 1)")
    g.finish(g.conv(g.input, 3, 4, 3, pads=[1, 0, 2, 1]))


@graph
def conv_strides():
    g = Graph("conv_strides", 13, [2, 9, 8], "Conv 3x3, strides 2x3, pads 1")
    g.finish(g.conv(g.input, 2, 5, 3, strides=[2, 3], pads=[1, 1, 1, 1]))


@graph
def conv_dilations():
    g = Graph("conv_dilations", 17, [3, 9, 10], "Conv 3x3, dilations 2x3, pads (2, 1, 2, 3)")
    g.finish(g.conv(g.input, 3, 4, 3, dilations=[2, 3], pads=[2, 1, 2, 3]))


@graph
def conv_rect_kernel():
    g = Graph("conv_rect_kernel", 13, [2, 6, 7], "Conv 2x4 kernel, strides 2x1, no pads")
    g.finish(g.conv(g.input, 2, 3, (2, 4), strides=[2, 1]))


@graph
def conv_1x1():
    g = Graph("conv_1x1", 13, [5, 4, 3], "Conv 1x1, stride 1, no pads (the direct GEMM path)")
    g.finish(g.conv(g.input, 5, 6, 1))


@graph
def conv_depthwise_3x3():
    g = Graph("conv_depthwise_3x3", 13, [4, 6, 6], "depthwise Conv 3x3 (group = C = 4), pads 1")
    g.finish(g.conv(g.input, 4, 4, 3, group=4, pads=[1, 1, 1, 1]))


@graph
def conv_depthwise_5x5():
    g = Graph("conv_depthwise_5x5", 17, [3, 9, 8], "depthwise Conv 5x5 (group = C = 3), strides 2, pads 2")
    g.finish(g.conv(g.input, 3, 3, 5, group=3, strides=[2, 2], pads=[2, 2, 2, 2]))


@graph
def conv_depthwise_dilated():
    g = Graph("conv_depthwise_dilated", 11, [5, 7, 7], "depthwise Conv 3x3 (group = C = 5), dilations 2, pads (1, 2, 3, 0)")
    g.finish(g.conv(g.input, 5, 5, 3, group=5, dilations=[2, 2], pads=[1, 2, 3, 0]))


@graph
def conv_same_upper():
    g = Graph("conv_same_upper", 11, [2, 6, 7], "Conv 3x3, strides 2, auto_pad SAME_UPPER (odd total padding along H)")
    g.finish(g.conv(g.input, 2, 3, 3, strides=[2, 2], auto_pad="SAME_UPPER"))


@graph
def conv_same_lower():
    g = Graph("conv_same_lower", 13, [2, 6, 7], "Conv 3x3, strides 2, auto_pad SAME_LOWER (odd total padding along H)")
    g.finish(g.conv(g.input, 2, 3, 3, strides=[2, 2], auto_pad="SAME_LOWER"))


@graph
def conv_same_even_kernel():
    g = Graph("conv_same_even_kernel", 17, [3, 5, 5], "Conv 2x2, auto_pad SAME_UPPER then a 4x4 SAME_LOWER")
    y = g.conv(g.input, 3, 3, 2, auto_pad="SAME_UPPER")
    g.finish(g.conv(y, 3, 2, 4, auto_pad="SAME_LOWER"))


@graph
def conv_valid():
    g = Graph("conv_valid", 17, [2, 8, 7], "Conv 3x3, strides 2, auto_pad VALID")
    g.finish(g.conv(g.input, 2, 4, 3, strides=[2, 2], auto_pad="VALID"))


@graph
def conv_no_bias():
    g = Graph("conv_no_bias", 13, [3, 5, 5], "Conv 3x3 without a bias input")
    g.finish(g.conv(g.input, 3, 4, 3, bias=False, pads=[1, 1, 1, 1]))


@graph
def conv_no_kernel_shape():
    g = Graph("conv_no_kernel_shape", 11, [3, 6, 5], "Conv 3x2 with kernel_shape omitted (taken from the weights)")
    g.finish(g.conv(g.input, 3, 4, (3, 2), kernel_shape=False, pads=[0, 1, 0, 1]))


@graph
def conv_batch_one():
    g = Graph("conv_batch_one", 17, [2, 5, 5], "Conv 3x3 + Relu, the batch fixed at 1 (run one sample at a time)", batch=1)
    g.finish(g.node("Relu", [g.conv(g.input, 2, 3, 3, pads=[1, 1, 1, 1])]))


# ---------------------------------------------------------------- Gemm and MatMul

@graph
def gemm_trans_b():
    g = Graph("gemm_trans_b", 11, [6], "Gemm transB = 1, bias of shape [N]")
    g.finish(g.gemm(g.input, 6, 5, trans_b=1, bias_shape="n"))


@graph
def gemm_no_trans_b():
    g = Graph("gemm_no_trans_b", 13, [6], "Gemm transB = 0, bias of shape [1, N]")
    g.finish(g.gemm(g.input, 6, 4, trans_b=0, bias_shape="1n"))


@graph
def gemm_alpha_beta():
    g = Graph("gemm_alpha_beta", 17, [7], "Gemm alpha = 0.5, beta = 1.75, transB = 1, scalar bias")
    g.finish(g.gemm(g.input, 7, 3, trans_b=1, bias_shape="scalar", alpha=0.5, beta=1.75))


@graph
def gemm_alpha_no_bias():
    g = Graph("gemm_alpha_no_bias", 13, [5], "Gemm alpha = -2, transB = 0, no bias")
    g.finish(g.gemm(g.input, 5, 6, trans_b=0, bias_shape=None, alpha=-2.0))


@graph
def matmul():
    g = Graph("matmul", 13, [6], "MatMul by a constant [6, 4]")
    g.finish(g.node("MatMul", [g.input, g.init("B", g.weights([6, 4], 6))]))


@graph
def matmul_add():
    g = Graph("matmul_add", 17, [5], "MatMul then Add of a bias [N] (folded into one dense layer), then Relu")
    y = g.node("MatMul", [g.input, g.init("B", g.weights([5, 7], 5))])
    y = g.node("Add", [y, g.init("bias", g.weights([7], 4))])
    g.finish(g.node("Relu", [y]))


@graph
def matmul_add_left():
    g = Graph("matmul_add_left", 11, [4], "MatMul then Add with the bias on the left")
    y = g.node("MatMul", [g.input, g.init("B", g.weights([4, 3], 4))])
    g.finish(g.node("Add", [g.init("bias", g.weights([3], 4)), y]))


# ---------------------------------------------------------------- elementwise by constants

def elementwise(name, opset, op, shape, left, description, nonzero=False, after_conv=False):
    g = Graph(name, opset, [3, 4, 5], description)
    c = g.rng.uniform(0.5, 2.0, shape) * g.rng.choice([-1.0, 1.0], shape) if nonzero else g.rng.uniform(-1, 1, shape)
    c = g.init("c", f32(c))
    x = g.conv(g.input, 3, 3, 3, pads=[1, 1, 1, 1]) if after_conv else g.input
    g.finish(g.node(op, [c, x] if left else [x, c]))


@graph
def add_scalar():
    elementwise("add_scalar", 11, "Add", [], False, "Add of a scalar constant")


@graph
def add_scalar_left():
    elementwise("add_scalar_left", 13, "Add", [1], True, "Add with a one-element constant [1] on the left")


@graph
def add_per_channel():
    elementwise("add_per_channel", 17, "Add", [3, 1, 1], False, "Add of a per-channel constant [C, 1, 1]")


@graph
def sub_scalar():
    elementwise("sub_scalar", 13, "Sub", [], False, "Sub of a scalar constant")


@graph
def sub_per_channel_left():
    elementwise("sub_per_channel_left", 11, "Sub", [1, 3, 1, 1], True, "constant [1, C, 1, 1] minus the tensor")


@graph
def mul_per_channel():
    elementwise("mul_per_channel", 13, "Mul", [1, 3, 1, 1], False, "Mul by a per-channel constant [1, C, 1, 1]")


@graph
def mul_scalar_left():
    elementwise("mul_scalar_left", 17, "Mul", [], True, "Mul with a scalar constant on the left")


@graph
def div_scalar():
    elementwise("div_scalar", 11, "Div", [], False, "Div by a scalar constant", nonzero=True)


@graph
def div_per_channel():
    elementwise("div_per_channel", 17, "Div", [3, 1, 1], False, "Div by a per-channel constant [C, 1, 1]", nonzero=True)


@graph
def conv_add_scalar():
    elementwise("conv_add_scalar", 13, "Add", [], True, "Conv then Add of a scalar (folded into the bias)",
                after_conv=True)


@graph
def normalize_input():
    g = Graph("normalize_input", 13, [3, 5, 4], "(x - mean[C]) / std[C] then Conv: input normalisation, as torchvision")
    mean = g.init("mean", f32([[[0.485]], [[0.456]], [[0.406]]]))
    std = g.init("std", f32([[[0.229]], [[0.224]], [[0.225]]]))
    y = g.node("Div", [g.node("Sub", [g.input, mean]), std])
    g.finish(g.conv(y, 3, 4, 3, pads=[1, 1, 1, 1]))


@graph
def conv_affine_per_channel():
    g = Graph("conv_affine_per_channel", 17, [2, 5, 5], "Conv, Mul by [1, C, 1, 1], Sub of [C, 1, 1], Relu (all folded)")
    y = g.conv(g.input, 2, 3, 3, pads=[1, 1, 1, 1])
    y = g.node("Mul", [y, g.init("s", f32(g.rng.uniform(0.5, 1.5, [1, 3, 1, 1])))])
    y = g.node("Sub", [y, g.init("t", f32(g.rng.uniform(-0.5, 0.5, [3, 1, 1])))])
    g.finish(g.node("Relu", [y]))


@graph
def vector_affine():
    g = Graph("vector_affine", 13, [6], "a vector: Mul by [F], Add of a scalar, then Gemm")
    y = g.node("Mul", [g.input, g.init("s", f32(g.rng.uniform(0.5, 2.0, [6])))])
    y = g.node("Add", [g.init("t", f32(0.25)), y])
    g.finish(g.gemm(y, 6, 3))


# ---------------------------------------------------------------- residual Add, Concat

@graph
def residual_add():
    g = Graph("residual_add", 13, [4, 5, 5], "residual block: Conv, Relu, Conv, Add of the block's input, Relu")
    y = g.node("Relu", [g.conv(g.input, 4, 4, 3, pads=[1, 1, 1, 1])])
    y = g.conv(y, 4, 4, 3, pads=[1, 1, 1, 1])
    g.finish(g.node("Relu", [g.node("Add", [y, g.input])]))


@graph
def residual_add_two_branches():
    g = Graph("residual_add_two_branches", 17, [3, 6, 6], "Add of two computed branches (a Conv and a 1x1 Conv with stride 2)")
    a = g.conv(g.input, 3, 5, 3, strides=[2, 2], pads=[1, 1, 1, 1])
    b = g.conv(g.input, 3, 5, 1, strides=[2, 2])
    g.finish(g.node("Add", [b, a]))


@graph
def concat_channels():
    g = Graph("concat_channels", 11, [3, 5, 5], "Concat along axis 1 of the input and two Convs")
    a = g.conv(g.input, 3, 2, 3, pads=[1, 1, 1, 1])
    b = g.node("Relu", [g.conv(g.input, 3, 4, 1)])
    g.finish(g.node("Concat", [a, g.input, b], axis=1))


@graph
def concat_negative_axis():
    g = Graph("concat_negative_axis", 13, [2, 4, 4], "Concat with axis = -3 (the channel axis of N x C x H x W), then MaxPool")
    a = g.conv(g.input, 2, 3, 3, pads=[1, 1, 1, 1])
    y = g.node("Concat", [g.input, a], axis=-3)
    g.finish(g.node("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2]))


# ---------------------------------------------------------------- pooling

@graph
def maxpool_pads_strides():
    g = Graph("maxpool_pads_strides", 11, [3, 7, 8], "MaxPool 3x3, strides 2, pads (1, 0, 1, 2)")
    g.finish(g.node("MaxPool", [g.input], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 2]))


@graph
def maxpool_dilations():
    g = Graph("maxpool_dilations", 13, [2, 7, 7], "MaxPool 2x3, dilations 2x2, strides 1")
    g.finish(g.node("MaxPool", [g.input], kernel_shape=[2, 3], dilations=[2, 2]))


@graph
def maxpool_ceil():
    g = Graph("maxpool_ceil", 17, [2, 6, 8], "MaxPool 3x3, strides 2, ceil_mode = 1 (one more window each way)")
    g.finish(g.node("MaxPool", [g.input], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1))


@graph
def maxpool_same_upper():
    g = Graph("maxpool_same_upper", 13, [2, 5, 6], "MaxPool 2x2, strides 2, auto_pad SAME_UPPER")
    g.finish(g.node("MaxPool", [g.input], kernel_shape=[2, 2], strides=[2, 2], auto_pad="SAME_UPPER"))


@graph
def avgpool_exclude_pad():
    g = Graph("avgpool_exclude_pad", 11, [3, 6, 5], "AveragePool 3x3, pads 1, count_include_pad = 0")
    g.finish(g.node("AveragePool", [g.input], kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=0))


@graph
def avgpool_include_pad():
    g = Graph("avgpool_include_pad", 13, [3, 6, 5], "AveragePool 3x3, strides 2, pads (1, 2, 1, 0), count_include_pad = 1")
    g.finish(g.node("AveragePool", [g.input], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 2, 1, 0],
                    count_include_pad=1))


@graph
def avgpool_ceil():
    g = Graph("avgpool_ceil", 17, [2, 7, 6], "AveragePool 3x3, strides 2, ceil_mode = 1 (one more window along W), "
              "count_include_pad = 0")
    g.finish(g.node("AveragePool", [g.input], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1))


@graph
def avgpool_ceil_include_pad():
    g = Graph("avgpool_ceil_include_pad", 13, [2, 6, 6],
              "AveragePool 3x3, strides 2, pads 1, ceil_mode = 1, count_include_pad = 1 (PyTorch's divisor past the padding)")
    g.finish(g.node("AveragePool", [g.input], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1,
                    count_include_pad=1))


@graph
def avgpool_same_lower():
    g = Graph("avgpool_same_lower", 11, [2, 5, 5], "AveragePool 2x2, auto_pad SAME_LOWER")
    g.finish(g.node("AveragePool", [g.input], kernel_shape=[2, 2], auto_pad="SAME_LOWER"))


@graph
def global_average_pool():
    g = Graph("global_average_pool", 13, [4, 5, 3], "Conv, GlobalAveragePool, Flatten, Gemm: a classifier head")
    y = g.node("GlobalAveragePool", [g.node("Relu", [g.conv(g.input, 4, 6, 3, pads=[1, 1, 1, 1])])])
    g.finish(g.gemm(g.node("Flatten", [y]), 6, 3))


@graph
def global_max_pool():
    g = Graph("global_max_pool", 17, [3, 4, 6], "GlobalMaxPool of the input")
    g.finish(g.node("GlobalMaxPool", [g.input]))


@graph
def global_average_pool_output():
    g = Graph("global_average_pool_output", 11, [5, 3, 4], "GlobalAveragePool as the output (N x C x 1 x 1)")
    g.finish(g.node("GlobalAveragePool", [g.input]))


# ---------------------------------------------------------------- Flatten, Reshape, Squeeze

@graph
def flatten_gemm():
    g = Graph("flatten_gemm", 11, [2, 4, 3], "Conv, Flatten (axis 1: C, H, W order), Gemm")
    y = g.node("Flatten", [g.conv(g.input, 2, 3, 3, pads=[1, 1, 1, 1])], axis=1)
    g.finish(g.gemm(y, 36, 4))


@graph
def flatten_output():
    g = Graph("flatten_output", 17, [3, 2, 4], "Flatten with the default axis as the output")
    g.finish(g.node("Flatten", [g.conv(g.input, 3, 2, 1)]))


@graph
def reshape_zero_minus_one():
    g = Graph("reshape_zero_minus_one", 13, [2, 3, 4], "Conv, Reshape to [0, -1] (a constant shape), Gemm")
    y = g.conv(g.input, 2, 2, 3, pads=[1, 1, 1, 1])
    y = g.node("Reshape", [y, g.init("shape", np.array([0, -1]), TensorProto.INT64)])
    g.finish(g.gemm(y, 24, 3))


@graph
def reshape_minus_one_features():
    g = Graph("reshape_minus_one_features", 17, [2, 3, 3], "Reshape to [-1, 18] (a Constant node), MatMul")
    y = g.node("Reshape", [g.input, g.const("shape", np.array([-1, 18]), TensorProto.INT64)])
    g.finish(g.node("MatMul", [y, g.init("B", g.weights([18, 4], 18))]))


def view_chain(name, opset):
    """x.view(x.size(0), -1) as torch.onnx exports it: Shape, Gather, Unsqueeze, Concat, Reshape."""
    g = Graph(name, opset, [3, 3, 4], f"Conv, Shape -> Gather -> Unsqueeze -> Concat -> Reshape (torch's view(x.size(0), -1), opset {opset}), Gemm")
    y = g.node("Relu", [g.conv(g.input, 3, 2, 3, pads=[1, 1, 1, 1])])
    size0 = g.node("Gather", [g.node("Shape", [y]), g.const("zero", np.array(0), TensorProto.INT64)], axis=0)
    if opset >= 13:
        batch = g.node("Unsqueeze", [size0, g.const("axes", np.array([0]), TensorProto.INT64)])
    else:
        batch = g.node("Unsqueeze", [size0], axes=[0])
    shape = g.node("Concat", [batch, g.const("minus_one", np.array([-1]), TensorProto.INT64)], axis=0)
    y = g.node("Reshape", [y, shape])
    g.finish(g.gemm(y, 24, 5))


@graph
def reshape_view_chain_11():
    view_chain("reshape_view_chain_11", 11)


@graph
def reshape_view_chain_13():
    view_chain("reshape_view_chain_13", 13)


@graph
def squeeze_13():
    g = Graph("squeeze_13", 13, [4, 3, 3], "GlobalAveragePool, Squeeze axes [2, 3] (an input, opset 13), Gemm")
    y = g.node("GlobalAveragePool", [g.input])
    y = g.node("Squeeze", [y, g.init("axes", np.array([2, 3]), TensorProto.INT64)])
    g.finish(g.gemm(y, 4, 2))


@graph
def squeeze_11():
    g = Graph("squeeze_11", 11, [4, 3, 3], "GlobalAveragePool, Squeeze axes [-1, -2] (an attribute, opset 11), MatMul")
    y = g.node("GlobalAveragePool", [g.input])
    y = g.node("Squeeze", [y], axes=[-1, -2])
    g.finish(g.node("MatMul", [y, g.init("B", g.weights([4, 3], 4))]))


# ---------------------------------------------------------------- Relu, Clip

@graph
def relu_input():
    g = Graph("relu_input", 13, [2, 3, 4], "Relu of the input (a clamp on its own)")
    g.finish(g.node("Relu", [g.input]))


@graph
def relu_after_conv():
    g = Graph("relu_after_conv", 17, [2, 4, 4], "Conv then Relu (fused)")
    g.finish(g.node("Relu", [g.conv(g.input, 2, 3, 3, pads=[1, 1, 1, 1])]))


@graph
def clip_min_only():
    g = Graph("clip_min_only", 11, [2, 4, 4], "Conv then Clip with min only (max input empty), opset 11")
    y = g.conv(g.input, 2, 3, 3, pads=[1, 1, 1, 1])
    g.finish(g.node("Clip", [y, g.init("min", f32(-0.2))]))


@graph
def clip_max_only():
    g = Graph("clip_max_only", 13, [2, 4, 4], "Clip of the input with max only (min input empty)")
    g.finish(g.node("Clip", [g.input, "", g.init("max", f32(0.3))]))


@graph
def clip_both():
    g = Graph("clip_both", 17, [3, 4, 3], "Conv then Clip(0, 6): ReLU6 (fused)", low=-3.0, high=3.0)
    y = g.conv(g.input, 3, 4, 3, pads=[1, 1, 1, 1])
    y = g.node("Mul", [y, g.init("gain", f32(8.0))])
    g.finish(g.node("Clip", [y, g.const("min", f32(0.0)), g.const("max", f32(6.0))]))


@graph
def clip_after_relu():
    g = Graph("clip_after_relu", 13, [2, 4, 4], "Relu then Clip(-1, 0.5) of the input: two clamps in a row")
    g.finish(g.node("Clip", [g.node("Relu", [g.input]), g.init("lo", f32(-1.0)), g.init("hi", f32(0.5))]))


# ---------------------------------------------------------------- BatchNormalization

def bn_params(g, c):
    return [g.init("gamma", f32(g.rng.uniform(0.5, 1.5, [c]))), g.init("beta", f32(g.rng.uniform(-0.5, 0.5, [c]))),
            g.init("mean", f32(g.rng.uniform(-0.5, 0.5, [c]))), g.init("var", f32(g.rng.uniform(0.25, 2.0, [c])))]


@graph
def conv_batchnorm():
    g = Graph("conv_batchnorm", 11, [3, 5, 5], "Conv, BatchNormalization (folded into the Conv), Relu")
    y = g.conv(g.input, 3, 4, 3, pads=[1, 1, 1, 1])
    y = g.node("BatchNormalization", [y] + bn_params(g, 4), epsilon=1e-3)
    g.finish(g.node("Relu", [y]))


@graph
def conv_batchnorm_17():
    g = Graph("conv_batchnorm_17", 17, [2, 5, 4], "depthwise Conv, BatchNormalization (opset 15+ form), Conv")
    y = g.conv(g.input, 2, 2, 3, group=2, pads=[1, 1, 1, 1], bias=False)
    y = g.node("BatchNormalization", [y] + bn_params(g, 2))
    g.finish(g.conv(y, 2, 3, 1))


@graph
def batchnorm_standalone():
    g = Graph("batchnorm_standalone", 13, [3, 4, 4], "BatchNormalization of the input (an affine layer), then Conv")
    y = g.node("BatchNormalization", [g.input] + bn_params(g, 3), epsilon=1e-2)
    g.finish(g.conv(y, 3, 2, 3))


@graph
def batchnorm_after_add():
    g = Graph("batchnorm_after_add", 17, [2, 4, 4], "residual Add then BatchNormalization (not foldable)")
    a = g.conv(g.input, 2, 2, 3, pads=[1, 1, 1, 1])
    g.finish(g.node("BatchNormalization", [g.node("Add", [a, g.input])] + bn_params(g, 2)))


# ---------------------------------------------------------------- Identity, Dropout, Cast

@graph
def identity_dropout_cast():
    g = Graph("identity_dropout_cast", 13, [2, 4, 4], "Conv, Identity, Dropout (inference), Cast to float, Relu, Conv")
    y = g.node("Identity", [g.conv(g.input, 2, 3, 3, pads=[1, 1, 1, 1])])
    y = g.node("Dropout", [y])
    y = g.node("Cast", [y], to=F32)
    g.finish(g.conv(g.node("Relu", [y]), 3, 2, 3))


@graph
def dropout_11():
    g = Graph("dropout_11", 11, [5], "Gemm, Dropout(ratio 0.3, opset 11 attribute), Gemm")
    y = g.node("Dropout", [g.gemm(g.input, 5, 4)], ratio=0.3)
    g.finish(g.gemm(y, 4, 3))


@graph
def dropout_17_ratio():
    g = Graph("dropout_17_ratio", 17, [2, 3, 3], "Dropout with a ratio input and training_mode false (opset 17)")
    y = g.node("Dropout", [g.input, g.init("ratio", f32(0.5)), g.init("training", np.array(False), TensorProto.BOOL)])
    g.finish(g.conv(y, 2, 2, 3, pads=[1, 1, 1, 1]))


# ---------------------------------------------------------------- QDQ graphs

def q_params(scale, zp, bits, signed):
    return (f32(scale), int(zp), bits, signed)


class QDQ(Graph):
    """A quantized graph; records what the importer must find as it goes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, qdq=True, **kwargs)
        self.style = "ort"

    def qdq(self, x, params, who, cast=False, clip=None):
        """x -> QuantizeLinear -> [Cast | Clip] -> DequantizeLinear; `who` is the layer whose output the parameters belong to."""
        scale, zp, bits, signed = params
        zt = TensorProto.INT8 if signed else TensorProto.UINT8
        make = self.const if self.style == "pytorch" else self.init
        s, z = make("scale", scale), make("zero_point", np.array(zp), zt)
        q = self.node("QuantizeLinear", [x, s, z])
        if cast:
            q = self.node("Cast", [q], to=zt)
        if clip is not None:
            q = self.node("Clip", [q, make("qmin", np.array(clip[0]), zt), make("qmax", np.array(clip[1]), zt)])
        self.expect.append(f"value {who} {fmt_float(scale)} {zp} {bits} {int(signed)}")
        return self.node("DequantizeLinear", [q, s, z])

    def quantized_weights(self, shape, out_axis, bits=8, narrow=False, per_channel=True):
        """Codes and scales of a weight tensor: int8 codes within `bits` bits (narrow: without -2^(bits-1))."""
        half = 1 << (bits - 1)
        lo = -half + (1 if narrow else 0)
        codes = self.rng.integers(lo, half, shape)
        codes.flat[0], codes.flat[-1] = lo, half - 1  # the whole range
        count = shape[out_axis] if per_channel else 1
        scales = f32(self.rng.uniform(0.5, 1.5, [count]) / (half * np.sqrt(np.prod(shape) / shape[out_axis])))
        return codes, scales

    def dq_weights(self, codes, scales, out_axis, axis_attr=True, clip=None, unsigned=False):
        make = self.const if self.style == "pytorch" else self.init
        if unsigned:
            c = make("weight_codes", codes + 128, TensorProto.UINT8)
            zt, zv = TensorProto.UINT8, 128
        else:
            c = make("weight_codes", codes, TensorProto.INT8)
            zt, zv = TensorProto.INT8, 0
        if clip is not None:
            c = self.node("Clip", [c, make("wmin", np.array(clip[0] + zv), zt), make("wmax", np.array(clip[1] + zv), zt)])
        per_channel = scales.size > 1
        s = make("weight_scale", scales if per_channel else scales[0])
        z = make("weight_zero_point", np.full(scales.shape, zv) if per_channel else np.array(zv), zt)
        attrs = {"axis": out_axis} if per_channel and axis_attr else {}
        return self.node("DequantizeLinear", [c, s, z], **attrs)

    def dq_bias(self, in_scale, w_scales, count):
        make = self.const if self.style == "pytorch" else self.init
        codes = self.rng.integers(-400, 400, [count])
        unit = f32(np.float32(in_scale) * w_scales)  # float32 product
        per_channel = unit.size > 1
        b = make("bias_codes", codes, TensorProto.INT32)
        s = make("bias_scale", unit if per_channel else unit[0])
        z = make("bias_zero_point", np.zeros(unit.shape, np.int64) if per_channel else np.array(0), TensorProto.INT32)
        attrs = {"axis": 0} if per_channel else {}
        return self.node("DequantizeLinear", [b, s, z], **attrs), codes, unit

    def qconv(self, x, cin, cout, k, name, in_params, bits=8, narrow=False, per_channel=True, group=1, clip=None,
              **attrs):
        codes, scales = self.quantized_weights([cout, cin // group, k, k], 0, bits, narrow, per_channel)
        w = self.dq_weights(codes, scales, 0, clip=clip)
        b, bcodes, unit = self.dq_bias(in_params[0], scales, cout)
        attrs["kernel_shape"] = [k, k]
        if group != 1:
            attrs["group"] = group
        y = self.node("Conv", [x, w, b], name=name, **attrs)
        self.weights_line(name, bits, codes.transpose(0, 2, 3, 1), scales, bcodes, unit)
        self.expect.append(f"plan {name} {bits} {in_params[2]}")
        return y

    def qgemm(self, x, k, n, name, in_params, trans_b=1, axis_attr=True, bits=8, alpha=1.0, unsigned=False):
        out_axis = 0 if trans_b else 1
        codes, scales = self.quantized_weights([n, k] if trans_b else [k, n], out_axis, bits)
        w = self.dq_weights(codes, scales, out_axis, axis_attr=axis_attr, unsigned=unsigned)
        b, bcodes, unit = self.dq_bias(in_params[0] * alpha, scales, n)
        attrs = {"alpha": alpha} if alpha != 1.0 else {}
        y = self.node("Gemm", [x, w, b], name=name, transB=trans_b, **attrs)
        self.weights_line(name, bits, codes if trans_b else codes.T, f32(scales * np.float32(alpha)), bcodes, unit)
        self.expect.append(f"plan {name} {bits} {in_params[2]}")
        return y

    def weights_line(self, layer, bits, codes, scales, bias_codes, bias_unit):
        self.expect.append(f"weights {layer} {bits} {len(scales)} " + " ".join(fmt_float(s) for s in scales))
        self.expect.append(f"codes {layer} {codes.size} " + " ".join(str(int(c)) for c in codes.flatten()))
        self.expect.append(f"bias {layer} {len(bias_codes)} " + " ".join(str(int(c)) for c in bias_codes) +
                           f" {len(bias_unit)} " + " ".join(fmt_float(s) for s in bias_unit))


@graph
def qdq_pytorch():
    """PyTorch's export: Constant nodes, per-channel weights (axis 0), int32 bias, Q -> Cast(UINT8) -> DQ."""
    g = QDQ("qdq_pytorch", 13, [3, 6, 6], "QDQ as PyTorch exports it: Constant int8 codes, per-channel DQ axis 0, "
            "int32 bias, activations Q -> Cast(UINT8) -> DQ", low=0.0, high=1.0)
    g.style = "pytorch"
    p_in = q_params(1 / 255, 0, 8, False)
    p1 = q_params(0.0125, 0, 8, False)
    p2 = q_params(0.02, 0, 8, False)
    p_out = q_params(0.03, 128, 8, False)
    x = g.qdq(g.input, p_in, "x", cast=True)
    y = g.node("Relu", [g.qconv(x, 3, 4, 3, "conv1", p_in, pads=[1, 1, 1, 1])], name="relu1")
    y = g.qdq(y, p1, "conv1", cast=True)
    y = g.node("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2], name="pool")
    y = g.qdq(y, p1, "pool", cast=True)
    y = g.node("Relu", [g.qconv(y, 4, 5, 3, "conv2", p1, pads=[1, 1, 1, 1])], name="relu2")
    y = g.qdq(y, p2, "conv2", cast=True)
    y = g.node("Flatten", [y], name="flatten")
    y = g.qgemm(y, 45, 3, "fc", p2)
    g.finish(g.qdq(y, p_out, "fc", cast=True))


@graph
def qdq_onnxruntime_uint8():
    """ONNX Runtime's QDQ format: initializers, uint8 activations with zero points, int8 per-channel weights."""
    g = QDQ("qdq_onnxruntime_uint8", 13, [3, 5, 5], "QDQ as ONNX Runtime writes it: initializers, uint8 activations, "
            "residual Add, GlobalAveragePool, a uint8 Gemm weight (zero point 128)")
    p_in = q_params(2 / 255, 128, 8, False)
    p1 = q_params(0.011, 3, 8, False)
    p2 = q_params(0.017, 121, 8, False)
    p3 = q_params(0.019, 60, 8, False)
    p4 = q_params(0.009, 0, 8, False)
    p_out = q_params(0.025, 131, 8, False)
    x = g.qdq(g.input, p_in, "x")
    a = g.node("Relu", [g.qconv(x, 3, 4, 3, "conv_a", p_in, pads=[1, 1, 1, 1])], name="relu_a")
    a = g.qdq(a, p1, "conv_a")
    b = g.qconv(a, 4, 4, 3, "conv_b", p1, pads=[1, 1, 1, 1])
    b = g.qdq(b, p2, "conv_b")
    s = g.qconv(x, 3, 4, 1, "conv_skip", p_in)
    s = g.qdq(s, p3, "conv_skip")
    y = g.node("Relu", [g.node("Add", [b, s], name="add")], name="relu_add")
    y = g.qdq(y, p2, "add")
    y = g.node("GlobalAveragePool", [y], name="gap")
    y = g.qdq(y, p4, "gap")
    y = g.node("Flatten", [y], name="flatten")
    y = g.qgemm(y, 4, 3, "fc", p4, unsigned=True)
    g.finish(g.qdq(y, p_out, "fc"))


@graph
def qdq_onnxruntime_int8():
    """Signed int8 activations, per-tensor weights, a depthwise convolution."""
    g = QDQ("qdq_onnxruntime_int8", 13, [4, 6, 5], "QDQ with int8 activations (zero points -3, 0, 5), per-tensor "
            "weights, a depthwise Conv, Concat")
    p_in = q_params(1 / 127, -3, 8, True)
    p1 = q_params(0.013, 0, 8, True)
    p2 = q_params(0.021, 5, 8, True)
    x = g.qdq(g.input, p_in, "x")
    d = g.qconv(x, 4, 4, 3, "depthwise", p_in, group=4, per_channel=False, pads=[1, 1, 1, 1])
    d = g.qdq(d, p1, "depthwise")
    c = g.qconv(x, 4, 2, 1, "pointwise", p_in, per_channel=False)
    c = g.qdq(c, p1, "pointwise")
    y = g.node("Concat", [d, c], axis=1, name="concat")
    y = g.qdq(y, p1, "concat")
    y = g.qconv(y, 6, 3, 3, "conv", p1, strides=[2, 2])
    g.finish(g.qdq(y, p2, "conv"))


@graph
def qdq_4bit():
    """4-bit codes: Q -> Clip(0, 15) -> DQ on activations, int8 codes clipped to [-8, 7] and [-7, 7] on weights."""
    g = QDQ("qdq_4bit", 13, [2, 6, 6], "4-bit QDQ: activations Q -> Clip(0, 15) -> DQ; weights int8 codes -> "
            "Clip(-8, 7) and Clip(-7, 7) -> DQ", low=0.0, high=1.0)
    p_in = q_params(1 / 15, 0, 4, False)
    p1 = q_params(0.1, 2, 4, False)
    p2 = q_params(0.05, 0, 8, False)
    p_out = q_params(0.04, 100, 8, False)
    x = g.qdq(g.input, p_in, "x", clip=(0, 15))
    y = g.qconv(x, 2, 3, 3, "conv4", p_in, bits=4, clip=(-8, 7), pads=[1, 1, 1, 1])
    y = g.qdq(y, p1, "conv4", clip=(0, 15))
    y = g.node("Relu", [g.qconv(y, 3, 4, 3, "conv4_narrow", p1, bits=4, narrow=True, clip=(-7, 7), strides=[2, 2])],
               name="relu")
    y = g.qdq(y, p2, "conv4_narrow")
    y = g.node("Flatten", [y], name="flatten")
    y = g.qgemm(y, 16, 3, "fc8", p2)
    g.finish(g.qdq(y, p_out, "fc8"))


@graph
def qdq_gemm_default_axis():
    """A per-channel DequantizeLinear without an axis attribute: the default, 1, is the output axis of B [K, N]."""
    g = QDQ("qdq_gemm_default_axis", 13, [6], "QDQ Gemm transB = 0 whose per-output weight scales lie along axis 1, "
            "the DequantizeLinear default (no axis attribute); alpha 0.5")
    p_in = q_params(2 / 255, 128, 8, False)
    p1 = q_params(0.01, 128, 8, False)
    p_out = q_params(0.02, 128, 8, False)
    x = g.qdq(g.input, p_in, "x")
    y = g.qgemm(x, 6, 5, "fc1", p_in, trans_b=0, axis_attr=False)
    y = g.qdq(g.node("Relu", [y], name="relu"), p1, "fc1")
    y = g.qgemm(y, 5, 4, "fc2", p1, trans_b=0, axis_attr=False, alpha=0.5)
    g.finish(g.qdq(y, p_out, "fc2"))


@graph
def qdq_quantize_after_flatten():
    """The activation quantized after a Flatten rather than before it (the input itself carries no parameters)."""
    g = QDQ("qdq_quantize_after_flatten", 13, [2, 3, 2], "QDQ quantizing after a Flatten of the input: Flatten -> "
            "Q -> DQ -> Gemm (per-channel weights)")
    p1 = q_params(2 / 255, 128, 8, False)
    p_out = q_params(0.02, 128, 8, False)
    y = g.qdq(g.node("Flatten", [g.input], name="flatten"), p1, "flatten")
    y = g.qgemm(y, 12, 4, "fc", p1)
    g.finish(g.qdq(y, p_out, "fc"))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for f in OUT.iterdir():
        f.unlink()
    for fn in GRAPHS:
        fn()
    (OUT / "index.txt").write_text("# name kind opset description -- written by gen_graphs.py\n" +
                                   "\n".join(INDEX) + "\n")
    total = sum(f.stat().st_size for f in OUT.iterdir())
    print(f"gen_graphs.py: {len(INDEX)} graphs, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
