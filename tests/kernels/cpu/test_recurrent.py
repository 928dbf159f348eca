"""The fused recurrent kernels against the reference layers and against PyTorch."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import backend
from rosenblatt.functional import recurrent as R
from rosenblatt.kernels.cpu import recurrent as K
from tests.kernels.check import check_kernel
from tests.oracle import assert_close, torch

rng = np.random.default_rng(7)
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "gru": 3, "lstm": 4}
LAYER = {"rnn_tanh": R.rnn_tanh_layer, "rnn_relu": R.rnn_relu_layer, "gru": R.gru_layer,
         "lstm": R.lstm_layer}
CHAR_LM = dict(T=64, B=32, I=64, H=256)          # the char-LM lab's layer


def _arrays(kind, T, B, I, H, bias, state, dtype=np.float32, scale=0.5):
    """x, [h0, [c0]], w_ih, w_hh, [b_ih, b_hh] as arrays."""
    G = GATES[kind]
    x = rng.standard_normal((T, B, I)).astype(dtype)
    if kind == "rnn_relu":                        # keep pre-activations away from relu's kink
        x += 0.5 * np.sign(x)
    states = [rng.standard_normal((B, H)).astype(dtype) for _ in range(2 if kind == "lstm" else 1)]
    shapes = [(G * H, I), (G * H, H)] + ([(G * H,), (G * H,)] if bias else [])
    ws = [(rng.uniform(-1, 1, s) * scale / np.sqrt(H)).astype(dtype) for s in shapes]
    return [x] + (states if state else []) + ws


def _layer_fn(kind, bias, state, reverse):
    """fn(*tensors) calling the layer on the tensors laid out as :func:`_arrays` gives them."""
    n_state = 2 if kind == "lstm" else 1

    def fn(x, *rest):
        states = list(rest[:n_state]) if state else [None] * n_state
        ws = list(rest[n_state:] if state else rest)
        ws += [] if bias else [None, None]
        return LAYER[kind](x, *states, *ws, reverse=reverse)
    return fn


# -- kernel == reference ------------------------------------------------------------------------
SMALL = dict(T=5, B=3, I=4, H=6)
FLAGS = [(rev, bias, state) for rev in (False, True) for bias in (True, False)
         for state in (True, False)]


@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("reverse,bias,state", FLAGS)
def test_rnn_layer_kernel(kind, reverse, bias, state):
    check_kernel("rnn_layer", _layer_fn(kind, bias, state, reverse),
                 *_arrays(kind, **SMALL, bias=bias, state=state))


@pytest.mark.parametrize("reverse,bias,state", FLAGS)
def test_gru_layer_kernel(reverse, bias, state):
    check_kernel("gru_layer", _layer_fn("gru", bias, state, reverse),
                 *_arrays("gru", **SMALL, bias=bias, state=state))


@pytest.mark.parametrize("reverse,bias,state", FLAGS)
def test_lstm_layer_kernel(reverse, bias, state):
    check_kernel("lstm_layer", _layer_fn("lstm", bias, state, reverse),
                 *_arrays("lstm", **SMALL, bias=bias, state=state))


# At the char-LM lab's size the kernels use multi-MB cached buffers and threaded GEMMs.
def test_lstm_layer_kernel_char_lm_size():
    check_kernel("lstm_layer", _layer_fn("lstm", True, True, False),
                 *_arrays("lstm", **CHAR_LM, bias=True, state=True), rtol=1e-4, atol=1e-4)


def test_gru_layer_kernel_char_lm_size():
    check_kernel("gru_layer", _layer_fn("gru", True, False, True),
                 *_arrays("gru", **CHAR_LM, bias=True, state=False),
                 rtol=1e-4, atol=1e-4)


def test_rnn_layer_kernel_char_lm_size():
    check_kernel("rnn_layer", _layer_fn("rnn_tanh", True, True, False),
                 *_arrays("rnn_tanh", **dict(CHAR_LM, T=16), bias=True, state=True),
                 rtol=1e-4, atol=1e-4)


def test_each_mode_runs_its_own_function():
    x, h, c, *ws = (rb.tensor(a, requires_grad=True)
                    for a in _arrays("lstm", **SMALL, bias=True, state=True))
    with backend.use_kernels("reference"):
        out, _, _ = R.lstm_layer(x, h, c, *ws)
    assert type(out.grad_fn) is R.LSTMLayer
    with backend.use_kernels("fast"):
        out, _, _ = R.lstm_layer(x, h, c, *ws)
    assert type(out.grad_fn) is K.LSTMLayer and out.grad_fn.name() == "LSTMLayerBackward"


# -- the references: float64 finite differences -------------------------------------------------
@pytest.mark.parametrize("kind", list(GATES))
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_reference_gradcheck_float64(kind, reverse, bias):
    arrays = _arrays(kind, T=3, B=2, I=3, H=2, bias=bias, state=True, dtype=np.float64, scale=2)
    args = [rb.tensor(a, requires_grad=True) for a in arrays]
    with backend.use_kernels("reference"):
        assert rb.autograd.gradcheck(_layer_fn(kind, bias, True, reverse), args)


# -- against PyTorch at the char-LM size ----------------------------------------------------------
@pytest.mark.parametrize("mode", ["fast", "reference"])
@pytest.mark.parametrize("cls_name", ["LSTM", "GRU"])
def test_char_lm_size_matches_torch(cls_name, mode):
    T, B, I, H = CHAR_LM["T"], CHAR_LM["B"], CHAR_LM["I"], CHAR_LM["H"]
    t = getattr(torch.nn, cls_name)(I, H)
    r = getattr(rb.nn, cls_name)(I, H)
    r.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    rx, tx = rb.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with backend.use_kernels(mode):
        ro, rs = r(rx)
        ro = [ro, *rs] if cls_name == "LSTM" else [ro, rs]
        to, ts = t(tx)
        to = [to, *ts] if cls_name == "LSTM" else [to, ts]
        for k, (a, b) in enumerate(zip(ro, to)):
            assert_close(a, b, what=f"{cls_name} output {k}")
        seeds = [rng.standard_normal(tuple(o.shape)).astype(np.float32) for o in to]
        torch.autograd.backward(to, [torch.tensor(s) for s in seeds])
        sum((a * rb.tensor(s)).sum() for a, s in zip(ro, seeds)).backward()
    assert_close(rx.grad, tx.grad, rtol=1e-4, atol=1e-4, what="grad x")
    for (name, rp), (_, tp) in zip(r.named_parameters(), t.named_parameters()):
        assert_close(rp.grad, tp.grad, rtol=1e-3, atol=1e-4, what=f"{cls_name} grad {name}")
