"""Recurrent layers (the reference, or the fused kernels in fast mode): float64
finite-difference checks and direct checks against PyTorch."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.functional import recurrent as R
from tests.oracle import COVERED, assert_close, torch

rng = np.random.default_rng(1)
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "gru": 3, "lstm": 4}


def _layer(kind, x, h, c, ws, reverse):
    if kind == "lstm":
        return R.lstm_layer(x, h, c, *ws, reverse=reverse)
    fn = {"rnn_tanh": R.rnn_tanh_layer, "rnn_relu": R.rnn_relu_layer, "gru": R.gru_layer}[kind]
    return fn(x, h, *ws, reverse=reverse)


@pytest.mark.parametrize("kind", list(GATES))
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_gradcheck_float64(kind, reverse, bias):
    T, B, I, H = 3, 2, 3, 2
    G = GATES[kind]

    def t(*shape):
        return rb.tensor(rng.standard_normal(shape), requires_grad=True)
    x, h, c = t(T, B, I), t(B, H), t(B, H)
    ws = [t(G * H, I), t(G * H, H)] + ([t(G * H), t(G * H)] if bias else [None, None])
    if kind == "rnn_relu":      # keep pre-activations away from relu's kink
        x.data += 0.5 * np.sign(x.data)
    args = [x, h] + ([c] if kind == "lstm" else []) + [w for w in ws if w is not None]

    def fn(*a):
        a = list(a)
        xx, hh = a[0], a[1]
        cc = a[2] if kind == "lstm" else None
        rest = a[3:] if kind == "lstm" else a[2:]
        wts = rest + [None, None] if not bias else rest
        return _layer(kind, xx, hh, cc, wts, reverse)
    assert rb.autograd.gradcheck(fn, args)


@pytest.mark.parametrize("kind", list(GATES))
@pytest.mark.parametrize("reverse", [False, True])
def test_layer_function_vs_torch(kind, reverse):
    COVERED.add(kind + "_layer")
    T, B, I, H = 6, 3, 4, 5
    G = GATES[kind]
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    h0 = rng.standard_normal((B, H)).astype(np.float32)
    c0 = rng.standard_normal((B, H)).astype(np.float32)
    ws = [(rng.standard_normal(s) * 0.5).astype(np.float32)
          for s in [(G * H, I), (G * H, H), (G * H,), (G * H,)]]
    tm = {"rnn_tanh": lambda: torch.nn.RNN(I, H), "rnn_relu": lambda: torch.nn.RNN(I, H, nonlinearity="relu"),
          "gru": lambda: torch.nn.GRU(I, H), "lstm": lambda: torch.nn.LSTM(I, H)}[kind]()
    with torch.no_grad():
        for p, w in zip(tm.parameters(), ws):
            p.copy_(torch.tensor(w))
    xt = x[::-1].copy() if reverse else x
    tx = torch.tensor(xt, requires_grad=True)
    th, tc = torch.tensor(h0, requires_grad=True), torch.tensor(c0, requires_grad=True)
    if kind == "lstm":
        to, (thn, tcn) = tm(tx, (th[None], tc[None]))
        touts = [to, thn[0], tcn[0]]
    else:
        to, thn = tm(tx, th[None])
        touts = [to, thn[0]]
    rx, rh, rc = (rb.tensor(a, requires_grad=True) for a in (x, h0, c0))
    rw = [rb.tensor(w, requires_grad=True) for w in ws]
    routs = list(_layer(kind, rx, rh, rc, rw, reverse))
    seeds = [rng.standard_normal(tuple(o.shape)).astype(np.float32) for o in touts]
    r_seed0 = seeds[0][::-1].copy() if reverse else seeds[0]
    to_cmp = touts[0].detach().numpy()
    assert_close(routs[0], to_cmp[::-1] if reverse else to_cmp, what=f"{kind} output")
    for a, b in zip(routs[1:], touts[1:]):
        assert_close(a, b, what=f"{kind} final state")
    torch.autograd.backward(touts, [torch.tensor(s) for s in seeds])
    r_seeds = [r_seed0] + seeds[1:]
    sum((o * rb.tensor(s)).sum() for o, s in zip(routs, r_seeds)).backward()
    txg = tx.grad.numpy()
    assert_close(rx.grad, txg[::-1] if reverse else txg, what="grad x")
    assert_close(rh.grad, th.grad, what="grad h0")
    if kind == "lstm":
        assert_close(rc.grad, tc.grad, what="grad c0")
    for w, p in zip(rw, tm.parameters()):
        assert_close(w.grad, p.grad, what="grad weight")


def test_no_grad_path_and_float64():
    x = rb.tensor(rng.standard_normal((4, 2, 3)))
    w = [rb.tensor(rng.standard_normal(s)) for s in [(8, 3), (8, 2), (8,), (8,)]]
    with rb.no_grad():
        out, h, c = R.lstm_layer(x, None, None, *w)
    assert out.dtype == np.float64 and out.grad_fn is None and out.shape == (4, 2, 2)


def test_bad_shapes():
    x = rb.zeros(4, 2, 3)
    with pytest.raises(ValueError, match="weight_ih"):
        R.gru_layer(x, None, rb.zeros(6, 2), rb.zeros(6, 2))
    with pytest.raises(ValueError, match="3-D"):
        R.rnn_tanh_layer(rb.zeros(4, 3), None, rb.zeros(2, 3), rb.zeros(2, 2))
    with pytest.raises(ValueError, match="hx"):
        R.rnn_tanh_layer(x, rb.zeros(3, 2), rb.zeros(2, 3), rb.zeros(2, 2))
    with pytest.raises(TypeError, match="must match"):
        R.gru_layer(x.double(), None, rb.zeros(6, 3), rb.zeros(6, 2))


def test_stable_sigmoid_extreme_inputs():
    x = rb.tensor(np.full((2, 1, 1), 1e4, np.float32))
    w = [rb.tensor(np.ones(s, np.float32)) for s in [(8, 1), (8, 2), (8,), (8,)]]
    with np.errstate(all="raise"):
        out, h, c = R.lstm_layer(x, None, None, *w)
        out2, _, _ = R.lstm_layer(-x, None, None, *w)
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(out2.data))
