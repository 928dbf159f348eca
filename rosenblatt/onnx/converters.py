"""Converters: one small function per traced ``Function`` class, emitting ONNX nodes.

``register_converter(FunctionClass)(fn)`` registers ``fn(ctx)`` (see ``_graph.Context``);
a class without its own converter uses its nearest base class's (so the CPU kernels, which
subclass the reference ops, share the reference's converter).  The recurrent layers are in
``_recurrent.py``.
"""
import importlib
import math

import numpy as np

from ._graph import INT_MAX


def _ops(name):
    # the submodule itself: rosenblatt.functional re-exports functions of the same names
    return importlib.import_module(f"..functional.{name}", __package__)


A = _ops("activation")
M = _ops("arithmetic")
C = _ops("conv")
E = _ops("elementwise")
I = _ops("indexing")
L = _ops("linear")
N = _ops("normalization")
PD = _ops("padding")
P = _ops("pooling")
R = _ops("reduction")
S = _ops("shape")
SP = _ops("sparse")

__all__ = ["register_converter", "converter_for"]

_CONVERTERS = {}


def register_converter(*classes):
    """Decorator: ``@register_converter(MyFunction)`` makes ``fn(ctx)`` convert its nodes."""
    def deco(fn):
        for cls in classes:
            _CONVERTERS[cls] = fn
        return fn
    return deco


def converter_for(cls):
    for base in cls.__mro__:
        if base in _CONVERTERS:
            return _CONVERTERS[base]
    return None


# -- elementwise ----------------------------------------------------------------------------
_UNARY = {E.ReLU: "Relu", E.Tanh: "Tanh", E.Sigmoid: "Sigmoid", E.Exp: "Exp", E.Log: "Log",
          E.Sqrt: "Sqrt", E.Abs: "Abs", E.Reciprocal: "Reciprocal", E.Sin: "Sin", E.Cos: "Cos",
          E.Tan: "Tan", E.Sign: "Sign", E.Floor: "Floor", E.Ceil: "Ceil", M.Neg: "Neg",
          E.Clone: "Identity", S.Contiguous: "Identity"}


def _unary(op):
    def convert(ctx):
        ctx.op(op, [ctx.input(0, ctx.out_dtype())], ctx.outputs[0])
    return convert


for _cls, _op in _UNARY.items():
    register_converter(_cls)(_unary(_op))

_BINARY = {M.Add: "Add", M.Sub: "Sub", M.Mul: "Mul", M.Div: "Div", M.Pow: "Pow",
           E.Maximum: "Max", E.Minimum: "Min"}


def _binary(op):
    def convert(ctx):
        dt = ctx.out_dtype()
        ctx.op(op, [ctx.input(0, dt), ctx.input(1, dt)], ctx.outputs[0])
    return convert


for _cls, _op in _BINARY.items():
    register_converter(_cls)(_binary(_op))


@register_converter(E.Cast)
def _cast(ctx):
    ctx.op("Cast", [ctx.input(0)], ctx.outputs[0], to=ctx.ex.onnx_dtype(ctx.out_dtype()))


@register_converter(E.Square)
def _square(ctx):
    x = ctx.input(0, ctx.out_dtype())
    ctx.op("Mul", [x, x], ctx.outputs[0])


@register_converter(E.Rsqrt)
def _rsqrt(ctx):
    ctx.op("Reciprocal", [ctx.op("Sqrt", [ctx.input(0, ctx.out_dtype())])], ctx.outputs[0])


@register_converter(E.Clamp)
def _clamp(ctx):
    dt = ctx.out_dtype()
    ctx.op("Clip", [ctx.input(0, dt), ctx.input(1, dt), ctx.input(2, dt)], ctx.outputs[0])


# -- activations ----------------------------------------------------------------------------
@register_converter(A.LeakyReLU)
def _leaky_relu(ctx):
    ctx.op("LeakyRelu", [ctx.input(0)], ctx.outputs[0], alpha=float(ctx.arg(1)))


@register_converter(A.ELU)
def _elu(ctx):
    ctx.op("Elu", [ctx.input(0)], ctx.outputs[0], alpha=float(ctx.arg(1)))


@register_converter(A.SiLU)
def _silu(ctx):
    x = ctx.input(0)
    ctx.op("Mul", [x, ctx.op("Sigmoid", [x])], ctx.outputs[0])


@register_converter(A.GELU)
def _gelu(ctx):
    """``x * Phi(x)``, Phi by Erf (exact) or the tanh formula; ONNX's Gelu op from opset 20."""
    x, dt = ctx.input(0), ctx.out_dtype()
    approximate = ctx.arg(1)
    if ctx.opset >= 20:
        ctx.op("Gelu", [x], ctx.outputs[0], approximate=approximate)
        return
    half = ctx.const(0.5, dt)
    one = ctx.const(1.0, dt)
    if approximate == "tanh":
        cube = ctx.op("Mul", [ctx.op("Mul", [x, x]), x])
        inner = ctx.op("Add", [x, ctx.op("Mul", [cube, ctx.const(0.044715, dt)])])
        t = ctx.op("Tanh", [ctx.op("Mul", [inner, ctx.const(math.sqrt(2.0 / math.pi), dt)])])
    else:
        t = ctx.op("Erf", [ctx.op("Mul", [x, ctx.const(1.0 / math.sqrt(2.0), dt)])])
    cdf = ctx.op("Mul", [ctx.op("Add", [t, one]), half])
    ctx.op("Mul", [x, cdf], ctx.outputs[0])


@register_converter(A.Hardtanh)
def _hardtanh(ctx):
    dt = ctx.out_dtype()
    ctx.op("Clip", [ctx.input(0), ctx.const(ctx.arg(1), dt), ctx.const(ctx.arg(2), dt)],
           ctx.outputs[0])


@register_converter(A.LogSigmoid)
def _log_sigmoid(ctx):
    """``-softplus(-x)``."""
    ctx.op("Neg", [ctx.op("Softplus", [ctx.op("Neg", [ctx.input(0)])])], ctx.outputs[0])


@register_converter(A.Softmax)
def _softmax(ctx):
    ctx.op("Softmax", [ctx.input(0)], ctx.outputs[0], axis=int(ctx.arg(1)))


@register_converter(A.LogSoftmax)
def _log_softmax(ctx):
    ctx.op("LogSoftmax", [ctx.input(0)], ctx.outputs[0], axis=int(ctx.arg(1)))


# -- linear algebra ---------------------------------------------------------------------------
@register_converter(L.Linear)
def _linear(ctx):
    x, w = ctx.input(0), ctx.input(1)
    b = ctx.input(2) if ctx.arg(2) is not None else None
    if len(ctx.in_shape(0)) == 2:                    # Gemm: x @ W^T + b in one node
        ctx.op("Gemm", [x, w] + ([b] if b else []), ctx.outputs[0], transB=1)
        return
    y = ctx.op("MatMul", [x, ctx.op("Transpose", [w], perm=[1, 0])],
               None if b else ctx.outputs[0])
    if b:
        ctx.op("Add", [y, b], ctx.outputs[0])


@register_converter(M.MatMul)
def _matmul(ctx):
    ctx.op("MatMul", [ctx.input(0), ctx.input(1)], ctx.outputs[0])


# -- convolution and pooling --------------------------------------------------------------------
def _conv_converter(ctx):
    stride, (pt, pb, pl, pr), dilation, groups = ctx.arg(3), ctx.arg(4), ctx.arg(5), ctx.arg(6)
    one_d = len(ctx.in_shape(0)) == 3
    ins = [ctx.input(0), ctx.input(1)] + ([ctx.input(2)] if ctx.arg(2) is not None else [])
    if one_d:
        attrs = dict(strides=[stride[1]], pads=[pl, pr], dilations=[dilation[1]])
    else:
        attrs = dict(strides=list(stride), pads=[pt, pl, pb, pr], dilations=list(dilation))
    ctx.op("Conv", ins, ctx.outputs[0], group=int(groups),
           kernel_shape=list(ctx.in_shape(1)[2:]), **attrs)


register_converter(C.Conv2d)(_conv_converter)


def _row_conv_converter(ctx):
    """The row-conv kernel (``kernels/cpu/conv_rows.py``) takes ``(x, w, b, pad)``: stride 1,
    no dilation, one group."""
    pt, pb, pl, pr = ctx.arg(3)
    ins = [ctx.input(0), ctx.input(1)] + ([ctx.input(2)] if ctx.arg(2) is not None else [])
    ctx.op("Conv", ins, ctx.outputs[0], kernel_shape=list(ctx.in_shape(1)[2:]),
           pads=[pt, pl, pb, pr])


try:                                  # not a Conv2d subclass: its arguments differ
    from ..kernels.cpu.conv_rows import RowConv
    register_converter(RowConv)(_row_conv_converter)
except ImportError:                   # pragma: no cover - a build without that kernel
    pass


def _pool_attrs(ctx, kernel, stride, padding, dilation=None):
    one_d = len(ctx.in_shape(0)) == 3
    sl = slice(1, 2) if one_d else slice(0, 2)
    pads = list(padding[sl]) * 2
    attrs = dict(kernel_shape=list(kernel[sl]), strides=list(stride[sl]), pads=pads)
    if dilation is not None and any(d != 1 for d in dilation):
        attrs["dilations"] = list(dilation[sl])
    return attrs


@register_converter(P.MaxPool2d)
def _max_pool(ctx):
    kernel, stride, padding, dilation, ceil_mode, indices_out = (ctx.arg(i) for i in range(1, 7))
    if indices_out is not None:
        ctx.fail("max pooling with return_indices=True has no ONNX converter")
    ctx.op("MaxPool", [ctx.input(0)], ctx.outputs[0], ceil_mode=int(bool(ceil_mode)),
           **_pool_attrs(ctx, kernel, stride, padding, dilation))


@register_converter(P.AvgPool2d)
def _avg_pool(ctx):
    kernel, stride, padding, ceil_mode, include_pad, divisor = (ctx.arg(i) for i in range(1, 7))
    if divisor:
        ctx.fail("avg pooling with divisor_override has no ONNX converter")
    ctx.op("AveragePool", [ctx.input(0)], ctx.outputs[0], ceil_mode=int(bool(ceil_mode)),
           count_include_pad=int(bool(include_pad)), **_pool_attrs(ctx, kernel, stride, padding))


@register_converter(P.AdaptiveAvgPool2d)
def _adaptive_avg_pool(ctx):
    """PyTorch's adaptive windows as the averaging matrices the op itself uses:
    ``A_h @ x @ A_w^T`` (two MatMuls with constants); exact for any input/output sizes."""
    if any(ctx.in_dyn(0)[2:]):
        ctx.fail("adaptive pooling over a dynamic spatial axis has no ONNX converter")
    y = ctx.input(0)
    ah, aw = ctx.fn.ah, ctx.fn.aw
    if ah is None and aw is None:
        ctx.op("Identity", [y], ctx.outputs[0])
        return
    if ah is not None:
        y = ctx.op("MatMul", [ctx.const(ah), y], ctx.outputs[0] if aw is None else None)
    if aw is not None:
        ctx.op("MatMul", [y, ctx.const(np.ascontiguousarray(aw.T))], ctx.outputs[0])


# -- normalisation ---------------------------------------------------------------------------
@register_converter(N.BatchNorm)
def _batch_norm(ctx):
    if ctx.arg(5):
        ctx.fail("batch norm in training mode (batch statistics) cannot be exported; the "
                 "export runs the model in eval mode, so this is a functional batch_norm "
                 "call with training=True")
    C, dt = ctx.in_shape(0)[1], ctx.out_dtype()
    scale = ctx.input(1) if ctx.arg(1) is not None else ctx.const(np.ones(C, dt))
    bias = ctx.input(2) if ctx.arg(2) is not None else ctx.const(np.zeros(C, dt))
    ctx.op("BatchNormalization", [ctx.input(0), scale, bias, ctx.input(3, dt), ctx.input(4, dt)],
           ctx.outputs[0], epsilon=float(ctx.arg(7)))


@register_converter(N.LayerNorm)
def _layer_norm(ctx):
    k, dt = int(ctx.arg(3)), ctx.out_dtype()
    shape = ctx.in_shape(0)[-k:]
    scale = ctx.input(1) if ctx.arg(1) is not None else ctx.const(np.ones(shape, dt))
    ins = [ctx.input(0), scale] + ([ctx.input(2)] if ctx.arg(2) is not None else [])
    ctx.op("LayerNormalization", ins, ctx.outputs[0], axis=-k, epsilon=float(ctx.arg(4)))


@register_converter(N.LocalResponseNorm)
def _local_response_norm(ctx):
    size, alpha, beta, k = (ctx.arg(i) for i in range(1, 5))
    if size % 2 == 0:                 # ONNX centres an even window the other way round
        ctx.fail(f"local response norm with an even size ({size}) has no ONNX converter")
    ctx.op("LRN", [ctx.input(0)], ctx.outputs[0], size=int(size), alpha=float(alpha),
           beta=float(beta), bias=float(k))


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@register_converter(PD.Pad)
def _pad(ctx):
    widths, mode = ctx.fn.widths, ctx.fn.mode
    if mode == "circular" and ctx.opset < 19:
        ctx.fail("circular padding needs opset_version 19 or later")
    pads = [int(b) for b, _ in widths] + [int(e) for _, e in widths]
    ins = [ctx.input(0), ctx.ints(pads)]
    if mode == "constant":            # the fill value (not saved by the op): read off the output
        out, value = ctx.ex.trace.out_tensor(ctx.fn).data, 0
        for axis, (b, e) in enumerate(widths):
            if b > 0 or e > 0:
                value = out.take(0 if b > 0 else -1, axis=axis).flat[0]
                break
        ins.append(ctx.const(value, ctx.out_dtype()))
    ctx.op("Pad", ins, ctx.outputs[0], mode=_PAD_MODES[mode])


# -- shapes -------------------------------------------------------------------------------------
@register_converter(S.Reshape)
def _reshape(ctx):
    """The target keeps dynamic axes dynamic: 0 copies an input axis that passes through
    unchanged, -1 takes the one axis that absorbs the dynamic size; static sizes stay."""
    out, dyn = ctx.out_shape(), ctx.out_dyn()
    target = list(out)
    if any(dyn):
        ins, idyn = ctx.in_shape(0), ctx.in_dyn(0)
        ins2, out2 = ctx.in_shape(0, 2), ctx.out_shape(0, 2)
        free = []
        for i, d in enumerate(dyn):
            if not d:
                continue
            if i < len(ins) and idyn[i] and ins[i] == out[i] and ins2[i] == out2[i]:
                target[i] = 0
            else:
                target[i] = -1
                free.append(i)
        if len(free) > 1:
            ctx.fail(f"reshape {ins} -> {tuple(out)} splits a dynamic axis into several "
                     f"(axes {free}); only one output axis may absorb a dynamic size")
    ctx.op("Reshape", [ctx.input(0), ctx.ints(target)], ctx.outputs[0])


@register_converter(S.Permute)
def _permute(ctx):
    perm = [int(p) for p in np.argsort(ctx.fn.inv)]
    ctx.op("Transpose", [ctx.input(0)], ctx.outputs[0], perm=perm)


@register_converter(S.Expand)
def _expand(ctx):
    ins, out, dyn = ctx.in_shape(0), ctx.out_shape(), ctx.out_dyn()
    lead = len(out) - len(ins)
    target = []
    for i, (s, d) in enumerate(zip(out, dyn)):
        j = i - lead
        if d and (j < 0 or ins[j] == 1):
            ctx.fail("expand to a dynamic size has no ONNX converter")
        target.append(1 if d else s)                 # 1: Expand keeps the input's own size
    ctx.op("Expand", [ctx.input(0), ctx.ints(target)], ctx.outputs[0])


@register_converter(S.Cat)
def _cat(ctx):
    dt = ctx.out_dtype()
    ins = [ctx.input(i, dt) for i, skip in enumerate(ctx.fn.skip) if not skip]
    ctx.op("Concat", ins, ctx.outputs[0], axis=int(ctx.fn.dim))


@register_converter(S.Stack)
def _stack(ctx):
    dt, axis = ctx.out_dtype(), int(ctx.fn.dim)
    ins = [ctx.op("Unsqueeze", [ctx.input(i, dt), ctx.ints([axis])])
           for i in range(len(ctx.fn.inputs))]
    ctx.op("Concat", ins, ctx.outputs[0], axis=axis)


@register_converter(S.Split)
def _split(ctx):
    axis = int(ctx.fn.dim)
    sizes = [ctx.out_shape(k)[axis] for k in range(ctx.n_out)]
    ctx.op("Split", [ctx.input(0), ctx.ints(sizes)], ctx.outputs, axis=axis)


@register_converter(S.Unbind)
def _unbind(ctx):
    axis = int(ctx.fn.dim)
    parts = ctx.op("Split", [ctx.input(0), ctx.ints([1] * ctx.n_out)], n=ctx.n_out, axis=axis)
    parts = [parts] if isinstance(parts, str) else parts
    for part, out in zip(parts, ctx.outputs):
        ctx.op("Squeeze", [part, ctx.ints([axis])], out)


@register_converter(S.Narrow)
def _narrow(ctx):
    axis, start, length = int(ctx.arg(1)), int(ctx.arg(2)), int(ctx.arg(3))
    ctx.op("Slice", [ctx.input(0), ctx.ints([start]), ctx.ints([start + length]),
                     ctx.ints([axis])], ctx.outputs[0])


@register_converter(I.BasicIndex)
def _basic_index(ctx):
    """``x[key]`` with ints (Gather of one index: the axis goes), slices (Slice, positive
    steps) and None (Unsqueeze); ``...`` stands for the axes the key does not name."""
    key, ndim = ctx.fn.key, len(ctx.in_shape(0))
    named = sum(1 for k in key if k is not None and k is not Ellipsis)
    if any(k is Ellipsis for k in key):
        at = next(i for i, k in enumerate(key) if k is Ellipsis)
        key = key[:at] + (slice(None),) * (ndim - named) + key[at + 1:]
    y, axis = ctx.input(0), 0
    for k in key:
        if k is None:
            y = ctx.op("Unsqueeze", [y, ctx.ints([axis])])
            axis += 1
        elif isinstance(k, slice):
            if k != slice(None):
                step = 1 if k.step is None else int(k.step)
                if step < 1:
                    ctx.fail(f"a slice with step {step} has no ONNX converter")
                start = 0 if k.start is None else int(k.start)
                stop = INT_MAX if k.stop is None else int(k.stop)
                y = ctx.op("Slice", [y, ctx.ints([start]), ctx.ints([stop]), ctx.ints([axis]),
                                     ctx.ints([step])])
            axis += 1
        else:
            y = ctx.op("Gather", [y, ctx.const(np.int64(k))], axis=axis)
    ctx.op("Identity", [y], ctx.outputs[0])


@register_converter(I.AdvancedIndex)
def _advanced_index(ctx):
    ctx.fail("indexing with integer arrays or boolean masks has no ONNX converter")


# -- reductions ---------------------------------------------------------------------------------
def _reduce(op):
    def convert(ctx):
        axes, keepdim = ctx.fn.axes, bool(ctx.fn.keepdim)
        dt = ctx.out_dtype()
        x = ctx.input(0, dt)
        if axes is None:
            axes = range(len(ctx.in_shape(0)))
        axes = [int(a) for a in (axes if isinstance(axes, (tuple, list, range)) else [axes])]
        if op == "ReduceSum" or ctx.opset >= 18:     # axes became an input (ReduceSum: opset 13)
            ctx.op(op, [x, ctx.ints(axes)], ctx.outputs[0], keepdims=int(keepdim))
        else:
            ctx.op(op, [x], ctx.outputs[0], axes=axes, keepdims=int(keepdim))
    return convert


register_converter(R.Sum)(_reduce("ReduceSum"))
register_converter(R.Mean)(_reduce("ReduceMean"))


# -- embedding ----------------------------------------------------------------------------------
@register_converter(SP.Embedding)
def _embedding(ctx):
    ctx.op("Gather", [ctx.input(0), ctx.input(1)], ctx.outputs[0], axis=0)


from . import _recurrent  # noqa: E402,F401  (registers the RNN/GRU/LSTM layer converters)
