"""Double backward of the ops whose backward is written on arrays (functional/_higher_order.py).

Piecewise-linear ops (pooling, gather/index_select, sort/topk, max with indices, amax, cumsum,
fold/unfold, interpolate) get their gradient as the op ``LinearGrad``; smooth ones (prod,
cumprod, local_response_norm, normalize, the fused RNN/GRU/LSTM layers) back-propagate
through their composition of Tensor ops.  Each is compared with PyTorch's double backward
(float64, within 1e-6) and checked by ``gradgradcheck``, in the reference and the fast kernel
mode; then the acceptance programs: a WGAN-GP penalty through a CNN with max- and
avg-pooling, and Hessian-vector products through GRU/LSTM layers (1e-4 float32, 1e-8 float64).
"""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import backend
from rosenblatt.autograd import gradgradcheck
from tests.autograd.test_higher_order import arr, double_compare
from tests.oracle import assert_close, torch

MODES = ["fast", "reference"]


def F(m):
    return m.nn.functional


def _zeros_at(a, *positions):
    a = a.copy()
    for p in positions:
        a[p] = 0.0
    return a


IDX = np.array([[0, 2, 1, 0], [1, 1, 0, 2]])
WITH_ZEROS = _zeros_at(arr(3, 5, seed=3), (0, 1), (2, 1), (2, 3))

OPS = {
    # pooling (the 2x2/2 and other windows take different fast kernels)
    "max_pool2d": (lambda m, x: F(m).max_pool2d(x * x, 3, 2, 1), arr(2, 3, 7, 7)),
    "max_pool2d_2x2": (lambda m, x: F(m).max_pool2d(x * x, 2), arr(2, 3, 8, 8)),
    "max_pool2d_dilation_ceil": (lambda m, x: F(m).max_pool2d(x * x, 2, 2, 1, dilation=2,
                                                              ceil_mode=True), arr(1, 2, 7, 6)),
    "max_pool2d_indices": (lambda m, x: F(m).max_pool2d(x * x, 2, return_indices=True)[0],
                           arr(1, 2, 6, 6)),
    "max_pool1d": (lambda m, x: F(m).max_pool1d(x * x, 3, 2, 1), arr(2, 3, 9)),
    "avg_pool2d": (lambda m, x: F(m).avg_pool2d(x * x, 3, 2, 1, count_include_pad=False),
                   arr(2, 3, 7, 7)),
    "avg_pool2d_2x2": (lambda m, x: F(m).avg_pool2d(x * x, 2), arr(2, 3, 8, 8)),
    "avg_pool2d_divisor": (lambda m, x: F(m).avg_pool2d(x * x, 2, 1, divisor_override=3),
                           arr(1, 2, 5, 5)),
    "avg_pool1d": (lambda m, x: F(m).avg_pool1d(x * x, 2), arr(2, 3, 8)),
    "adaptive_avg_pool2d": (lambda m, x: F(m).adaptive_avg_pool2d(x * x, (3, 2)), arr(2, 3, 7, 5)),
    "adaptive_avg_pool1d": (lambda m, x: F(m).adaptive_avg_pool1d(x * x, 3), arr(2, 3, 7)),
    "adaptive_max_pool2d": (lambda m, x: F(m).adaptive_max_pool2d(x * x, (3, 2)), arr(2, 3, 7, 5)),
    "max_pool2d_unbatched": (lambda m, x: F(m).max_pool2d(x * x, 2), arr(3, 6, 6)),
    # selection by indices
    "sort": (lambda m, x: m.sort(x * x, 1, descending=True)[0], arr(3, 5)),
    "topk": (lambda m, x: m.topk(x * x, 2, 1)[0], arr(3, 5)),
    "gather": (lambda m, x: m.gather(x * x, 1, m.tensor(IDX)), arr(2, 3)),
    "index_select": (lambda m, x: m.index_select(x * x, 1, m.tensor(np.array([0, 2, 2]))),
                     arr(2, 3)),
    "max_min_dim": (lambda m, x: m.max(x * x, 1)[0] * m.min(x, 0, keepdim=True)[0].sum(),
                    arr(3, 5)),
    "amax_amin_max": (lambda m, x: m.amax(x * x, 1) * m.amin(x, (0, 1)) + m.max(x * x), arr(3, 5)),
    # scans and products
    "cumsum": (lambda m, x: m.cumsum(x * x, 1), arr(3, 4)),
    "cumprod": (lambda m, x: m.cumprod(x, 1), arr(3, 5)),
    "cumprod_dim0": (lambda m, x: m.cumprod(x, 0), arr(6, 2)),
    "cumprod_zeros": (lambda m, x: m.cumprod(x, 1), WITH_ZEROS),
    "prod_dim": (lambda m, x: m.prod(x, 1), arr(3, 5)),
    "prod_all": (lambda m, x: m.prod(x), arr(3, 3)),
    "prod_zeros": (lambda m, x: m.prod(x, 1, keepdim=True), WITH_ZEROS),
    # fold / unfold / upsampling
    "unfold": (lambda m, x: F(m).unfold(x * x, 2, padding=1, stride=2), arr(2, 2, 5, 5)),
    "fold": (lambda m, x: F(m).fold(x * x, (4, 5), 2), arr(2, 8, 12)),
    "conv_transpose2d": (lambda m, x, w: F(m).conv_transpose2d(x * x, w * w, stride=2),
                         arr(1, 2, 3, 3), arr(2, 3, 2, 2)),
    "interpolate_bilinear": (lambda m, x: F(m).interpolate(x * x, scale_factor=2, mode="bilinear"),
                             arr(2, 2, 3, 3)),
    "interpolate_nearest": (lambda m, x: F(m).interpolate(x * x, size=(5, 4)), arr(2, 2, 3, 3)),
    # normalisation
    "local_response_norm": (lambda m, x: F(m).local_response_norm(x, 3, alpha=0.5, beta=0.75),
                            arr(2, 5, 3, 2)),
    "local_response_norm_even": (lambda m, x: F(m).local_response_norm(x, 4, alpha=0.3, k=2.0),
                                 arr(2, 3, 4)),
    "normalize": (lambda m, x: F(m).normalize(x, dim=1), arr(3, 4)),
    "normalize_p3": (lambda m, x: F(m).normalize(x, p=3, dim=0), arr(3, 4)),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(OPS))
def test_double_backward_matches_torch(name, mode):
    fn, *arrays = OPS[name]
    with backend.use_kernels(mode):
        worst = double_compare(name, fn, *arrays, rtol=1e-6, atol=1e-6)
    assert worst < 1e-6


def test_third_order_through_max_and_avg_pool_matches_torch():
    """The gradient's gradient is LinearGrad again (the adjoint pair swapped): any order."""
    got = {}
    for m in (rb, torch):
        x = m.tensor(arr(1, 2, 6, 6, seed=7), requires_grad=True)
        y = F(m).max_pool2d(x ** 3, 2) + F(m).avg_pool2d(x ** 3, 2)
        (g1,) = m.autograd.grad(y.sum(), x, create_graph=True)
        (g2,) = m.autograd.grad((g1 * g1).sum(), x, create_graph=True)
        (g3,) = m.autograd.grad(g2.sum(), x)
        got[m] = (g1, g2, g3)
    for r, t in zip(got[rb], got[torch]):
        assert_close(r, t, 1e-8, 1e-8)


# -- recurrent layers ------------------------------------------------------------------------

def _rnn_pair(kind, dtype, num_layers=1, bidirectional=False, seed=0, **kw):
    """The same rosenblatt and torch RNN module (identical weights)."""
    nets = {}
    for m in (rb, torch):
        net = getattr(m.nn, kind)(3, 4, num_layers=num_layers, bidirectional=bidirectional, **kw)
        rng = np.random.default_rng(seed)
        with m.no_grad():
            for p in net.parameters():
                p.copy_(m.tensor((rng.standard_normal(tuple(p.shape)) * 0.5).astype(dtype)))
        nets[m] = net.double() if dtype == "float64" else net
    return nets


RNNS = {
    "rnn_tanh": ("RNN", {}),
    "rnn_relu_bidirectional": ("RNN", {"nonlinearity": "relu", "bidirectional": True}),
    "gru": ("GRU", {}),
    "gru_two_layers_bidirectional": ("GRU", {"num_layers": 2, "bidirectional": True}),
    "lstm": ("LSTM", {}),
    "lstm_no_bias_two_layers": ("LSTM", {"num_layers": 2, "bias": False}),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(RNNS))
def test_recurrent_double_backward_matches_torch(name, mode):
    """grad of (output, h_n[, c_n]) w.r.t. input, h0 and weights with create_graph, then the
    gradient of <grads, w> w.r.t. all of them and the upstream gradients: PyTorch's, 1e-6."""
    kind, kw = RNNS[name]
    nets = _rnn_pair(kind, "float64", **kw)
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal((5, 2, 3))
    dirs = 2 if kw.get("bidirectional") else 1
    h0 = rng.standard_normal((kw.get("num_layers", 1) * dirs, 2, 4)) * 0.5
    got = {}
    with backend.use_kernels(mode):
        for m, net in nets.items():
            x, h = m.tensor(x0, requires_grad=True), m.tensor(h0, requires_grad=True)
            state = (h, m.tanh(h)) if kind == "LSTM" else h
            out, hn = net(x, state)
            outs = [out] + (list(hn) if kind == "LSTM" else [hn])
            diff = [x, h] + list(net.parameters())
            r = np.random.default_rng(2)
            vs = [m.tensor(r.standard_normal(tuple(o.shape)), requires_grad=True) for o in outs]
            gs = m.autograd.grad(outs, diff, vs, create_graph=True)
            s = sum((g * m.tensor(r.standard_normal(tuple(g.shape)))).sum() for g in gs)
            got[m] = list(gs) + list(m.autograd.grad(s, diff + vs))
    for i, (a, b) in enumerate(zip(got[rb], got[torch])):
        assert_close(a, b, 1e-6, 1e-6, what=f"{name} ({mode}): gradient {i}")


@pytest.mark.parametrize("layer", ["rnn", "gru", "lstm"])
def test_recurrent_layer_gradgradcheck(layer):
    """Finite differences of the layer functions themselves (every input, reverse direction)."""
    from rosenblatt.functional import recurrent as R
    rng = np.random.default_rng(3)
    G = {"rnn": 1, "gru": 3, "lstm": 4}[layer]

    def t(*shape):
        return rb.tensor(rng.standard_normal(shape) * 0.5, requires_grad=True)
    x, h, c = t(3, 2, 2), t(2, 3), t(2, 3)
    wi, wh, bi, bh = t(G * 3, 2), t(G * 3, 3), t(G * 3), t(G * 3)
    if layer == "lstm":
        assert gradgradcheck(lambda *a: R.lstm_layer(*a, reverse=True), [x, h, c, wi, wh, bi, bh])
    else:
        fn = R.rnn_tanh_layer if layer == "rnn" else R.gru_layer
        assert gradgradcheck(lambda *a: fn(*a, reverse=True), [x, h, wi, wh, bi, bh])


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
@pytest.mark.parametrize("dtype,tol", [("float32", 1e-4), ("float64", 1e-8)])
def test_hessian_vector_product_through_recurrent_layer(kind, dtype, tol):
    """H v of a sequence-regression loss w.r.t. the layer's and the head's weights."""
    nets = _rnn_pair(kind, dtype, seed=4)
    rng = np.random.default_rng(5)
    x0, y0 = rng.standard_normal((6, 3, 3)).astype(dtype), rng.standard_normal((3, 2)).astype(dtype)
    head = (rng.standard_normal((2, 4)) * 0.5).astype(dtype)
    vs0 = None
    got = {}
    for m, net in nets.items():
        w = m.tensor(head, requires_grad=True)
        params = list(net.parameters()) + [w]
        out, _ = net(m.tensor(x0))
        loss = ((out[-1] @ w.T - m.tensor(y0)) ** 2).mean()
        grads = m.autograd.grad(loss, params, create_graph=True)
        if vs0 is None:
            vs0 = [rng.standard_normal(tuple(p.shape)).astype(dtype) for p in params]
        hv = m.autograd.grad(sum((g * m.tensor(v)).sum() for g, v in zip(grads, vs0)), params)
        got[m] = hv
    for i, (r, t) in enumerate(zip(got[rb], got[torch])):
        assert_close(r, t, tol, tol, what=f"HVP {kind} {dtype} parameter {i}")


# -- WGAN-GP through a CNN with max- and avg-pooling -----------------------------------------

def _cnn_pair(dtype):
    rng = np.random.default_rng(8)
    nets = {}
    for m in (rb, torch):
        net = m.nn.Sequential(
            m.nn.Conv2d(2, 4, 3, padding=1), m.nn.Tanh(), m.nn.MaxPool2d(2),
            m.nn.Conv2d(4, 6, 3, padding=1), m.nn.Tanh(), m.nn.AvgPool2d(2),
            m.nn.Flatten(), m.nn.Linear(6 * 2 * 2, 1))
        r = np.random.default_rng(8)
        with m.no_grad():
            for p in net.parameters():
                p.copy_(m.tensor((r.standard_normal(tuple(p.shape)) * 0.4).astype(dtype)))
        nets[m] = net.double() if dtype == "float64" else net
    del rng
    return nets


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype,tol", [("float32", 1e-4), ("float64", 1e-8)])
def test_gradient_penalty_through_cnn_with_pooling(dtype, tol, mode):
    """WGAN-GP: (||d critic(x_hat)/d x_hat||_2 - 1)^2 on interpolates, backward to the weights."""
    nets = _cnn_pair(dtype)
    rng = np.random.default_rng(9)
    real, fake = rng.standard_normal((4, 2, 8, 8)), rng.standard_normal((4, 2, 8, 8))
    alpha = rng.uniform(size=(4, 1, 1, 1))
    xhat = (alpha * real + (1 - alpha) * fake).astype(dtype)
    got = {}
    with backend.use_kernels(mode):
        for m, net in nets.items():
            x = m.tensor(xhat, requires_grad=True)
            out = net(x)
            (g,) = m.autograd.grad(out, x, grad_outputs=m.ones_like(out), create_graph=True)
            penalty = ((g.reshape(4, -1).norm(2, dim=1) - 1) ** 2).mean()
            (out.mean() + 10 * penalty).backward()
            got[m] = [p.grad for p in net.parameters()] + [x.grad, penalty.detach()]
    for i, (r, t) in enumerate(zip(got[rb], got[torch])):
        assert_close(r, t, tol, tol, what=f"gradient penalty ({dtype}, {mode}) item {i}")


def test_first_order_backward_of_these_ops_never_calls_graph_backward(monkeypatch):
    from rosenblatt.functional import _higher_order as H

    def boom(*a, **k):
        raise AssertionError("graph_backward ran without create_graph")
    monkeypatch.setattr(H.LinearInInput, "graph_backward", boom)
    monkeypatch.setattr(H.Recomputed, "graph_backward", boom)
    x = rb.randn(2, 3, 6, 6, requires_grad=True)
    y = F(rb).max_pool2d(x, 2).sum() + F(rb).avg_pool2d(x, 2).sum() + rb.cumprod(x, 1).sum()
    lstm = rb.nn.LSTM(6, 4)
    y = y + lstm(x.reshape(6, 6, 6))[0].sum()
    y.backward()
    assert x.grad.shape == x.shape


@pytest.mark.parametrize("k,s", [(2, 2), (3, 2)])
def test_max_pool_input_modified_in_place_before_double_backward(k, s):
    # A fast kernel's node is re-run as its reference for the graph of its gradient: it
    # must not read an input that an in-place op changed since, and raises as PyTorch does
    # (PyTorch saves the input).  The reference node keeps its forward-time winners, so it
    # needs no input and gives the gradients of the graph as it was built.
    x0 = np.random.default_rng(3).standard_normal((1, 2, 7, 7))

    def second(lib, modify):
        x = lib.tensor(x0, requires_grad=True)
        h = x * 1.0
        y = lib.nn.functional.max_pool2d(h, k, s)
        if modify:
            h.mul_(-1.0)
        g, = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        g.sum().backward()
        return x.grad
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        second(torch, True)
    if backend.kernels_mode() == "fast":
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            second(rb, True)
    else:
        assert_close(second(rb, True), second(torch, False))
