"""RNN, GRU and LSTM layers as ONNX's own ``RNN``, ``GRU`` and ``LSTM`` ops.

Design: the conversion is per traced layer ``Function`` (``RNNLayer``, ``GRULayer``,
``LSTMLayer`` and their fused CPU kernels, which subclass them), not per ``nn.RNN`` module.
``nn.RNN/GRU/LSTM`` already run one such node per layer and direction, and glue them with
ordinary ops that have converters of their own: ``transpose`` for ``batch_first``, ``cat``
of the two directions' outputs, ``h_0[k]`` for the initial states, ``stack`` of the final
states.  So one ONNX op per layer and direction (``direction`` 'forward' or 'reverse')
covers multi-layer, bidirectional and batch-first networks, and the functional
``rosenblatt.functional.recurrent.*_layer`` calls too, with no special case for modules.

Each node's inputs are ``(x (T, B, I), h0 (B, H)[, c0], w_ih, w_hh, b_ih, b_hh, reverse
[, relu])``.  The weights become ONNX's W (1, G*H, I), R (1, G*H, H), B (1, 2*G*H) with the
gate blocks re-ordered: PyTorch's LSTM i, f, g, o -> ONNX i, o, f, c; GRU r, z, n -> z, r, h
(``linear_before_reset=1``: PyTorch applies r to ``W_hn h + b_hn``).  Their initializers
are named after the state_dict keys with a ``.onnx`` suffix (their layout differs).  A zero
initial state that the layer made itself (``h_0`` not given) is left out: ONNX's default
is zeros of the runtime batch size.
"""
import numpy as np

import importlib

from .converters import register_converter

R = importlib.import_module("..functional.recurrent", __package__)

# PyTorch gate block -> position in ONNX's order
_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN": [0]}


def _regate(w, kind):
    blocks = np.split(np.asarray(w), len(_ORDER[kind]), axis=0)
    return np.concatenate([blocks[i] for i in _ORDER[kind]], axis=0)


def _weight(ctx, i, kind, suffix):
    if ctx.is_value(i):
        ctx.fail("recurrent weights computed in the forward have no ONNX converter (the weights "
                 "must be parameters or constants)")
    params, w = ctx.ex.params, ctx.arg(i)
    name = params.get(id(w)) or params.get(id(getattr(w, "data", None)))
    return _regate(ctx.array(i), kind)[None], f"{name or ctx.op_name}.onnx{suffix}"


def _state(ctx, i):
    """The initial state as (1, B, H), or '' for a constant zero state."""
    if not ctx.is_value(i):
        arr = ctx.array(i)
        if not arr.any():
            return ""
        if any(ctx.in_dyn(0)):
            ctx.fail("a constant non-zero initial state cannot follow a dynamic batch axis")
        return ctx.const(arr[None])
    return ctx.op("Unsqueeze", [ctx.input(i), ctx.ints([0])])


def _layer(ctx, kind, n_states):
    """Emit the ONNX op for one layer and direction; ``n_states``: 1 (h) or 2 (h, c)."""
    w_at = 1 + n_states                               # index of w_ih among the inputs
    H = ctx.in_shape(w_at + 1)[1]
    dt = ctx.out_dtype()
    W, w_name = _weight(ctx, w_at, kind, "_W")
    Rw, r_name = _weight(ctx, w_at + 1, kind, "_R")
    G = W.shape[1]
    biases = []
    for j in (w_at + 2, w_at + 3):
        biases.append(np.zeros(G, dt) if ctx.arg(j) is None else _regate(ctx.array(j), kind))
    b_name = ctx.ex.params.get(id(ctx.arg(w_at + 2)), ctx.op_name) + ".onnx_B"
    ins = [ctx.input(0), ctx.initializer(W.astype(dt), w_name),
           ctx.initializer(Rw.astype(dt), r_name),
           ctx.initializer(np.concatenate(biases)[None].astype(dt), b_name), ""]
    ins += [_state(ctx, 1 + s) for s in range(n_states)]
    while ins and ins[-1] == "":
        ins.pop()
    reverse = bool(ctx.arg(w_at + 4))
    attrs = dict(hidden_size=int(H), direction="reverse" if reverse else "forward")
    if kind == "GRU":
        attrs["linear_before_reset"] = 1
    if kind == "RNN":
        attrs["activations"] = ["Relu" if ctx.arg(w_at + 5) else "Tanh"]
    outs = ctx.op(kind, ins, n=2 + (n_states == 2), **attrs)
    ctx.op("Squeeze", [outs[0], ctx.ints([1])], ctx.outputs[0])       # Y (T, 1, B, H)
    for k in range(1, len(outs)):
        ctx.op("Squeeze", [outs[k], ctx.ints([0])], ctx.outputs[k])   # Y_h, Y_c (1, B, H)


@register_converter(R.RNNLayer)
def _rnn_layer(ctx):
    _layer(ctx, "RNN", 1)


@register_converter(R.GRULayer)
def _gru_layer(ctx):
    _layer(ctx, "GRU", 1)


@register_converter(R.LSTMLayer)
def _lstm_layer(ctx):
    _layer(ctx, "LSTM", 2)
