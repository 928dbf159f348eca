"""RNN/GRU/LSTM cells and layers against PyTorch; fused layers against the unrolled cells."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import COVERED, assert_close, torch

rng = np.random.default_rng(0)


def _sd(m):
    return {k: v.detach().numpy() for k, v in m.state_dict().items()}


def _rand(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def _pair(cls_name, *args, **kwargs):
    """The same module in torch and rosenblatt, torch's parameters copied into ours."""
    t = getattr(torch.nn, cls_name)(*args, **kwargs)
    r = getattr(rb.nn, cls_name)(*args, **kwargs)
    assert list(r.state_dict()) == list(t.state_dict()), "parameter names/order differ"
    r.load_state_dict(_sd(t))
    return r, t


def _check_grads(r, t, r_in, t_in, what, atol=1e-5, rtol=1e-4):
    for (name, rp), (_, tp) in zip(r.named_parameters(), t.named_parameters()):
        assert_close(rp.grad, tp.grad, rtol, atol, what=f"{what} grad {name}")
    for i, (a, b) in enumerate(zip(r_in, t_in)):
        if b is not None and b.requires_grad:
            assert_close(a.grad, b.grad, rtol, atol, what=f"{what} grad of input {i}")


def _seeds(outs):
    return [_rand(*o.shape) for o in outs]


# -- cells --------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls_name,kw", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}),
                                         ("RNNCell", {"bias": False}), ("GRUCell", {}),
                                         ("GRUCell", {"bias": False}), ("LSTMCell", {}),
                                         ("LSTMCell", {"bias": False})])
@pytest.mark.parametrize("with_state", [False, True])
def test_cell_matches_torch(cls_name, kw, with_state):
    COVERED.add(cls_name)
    r, t = _pair(cls_name, 5, 7, **kw)
    x = _rand(4, 5)
    rx, tx = rb.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    r_in, t_in = [rx], [tx]
    if with_state:
        states = [_rand(4, 7) for _ in range(2 if cls_name == "LSTMCell" else 1)]
        rs = [rb.tensor(s, requires_grad=True) for s in states]
        ts = [torch.tensor(s, requires_grad=True) for s in states]
        r_in += rs
        t_in += ts
        ro = r(rx, tuple(rs) if len(rs) == 2 else rs[0])
        to = t(tx, tuple(ts) if len(ts) == 2 else ts[0])
    else:
        ro, to = r(rx), t(tx)
    ro = ro if isinstance(ro, tuple) else (ro,)
    to = to if isinstance(to, tuple) else (to,)
    for a, b in zip(ro, to):
        assert_close(a, b, what=f"{cls_name} output")
    seeds = _seeds(to)
    torch.autograd.backward(list(to), [torch.tensor(s) for s in seeds])
    sum((a * rb.tensor(s)).sum() for a, s in zip(ro, seeds)).backward()
    _check_grads(r, t, r_in, t_in, cls_name)


def test_cell_unbatched_and_errors():
    r, t = _pair("LSTMCell", 3, 4)
    x = _rand(3)
    h, c = r(rb.tensor(x))
    th, tc = t(torch.tensor(x))
    assert_close(h, th)
    assert_close(c, tc)
    with pytest.raises(ValueError, match="input_size"):
        r(rb.tensor(_rand(2, 5)))
    with pytest.raises(ValueError, match="hidden"):
        r(rb.tensor(_rand(2, 3)), (rb.zeros(2, 5), rb.zeros(2, 5)))


# -- layers ---------------------------------------------------------------------------------------
LAYER_CASES = [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("RNN", {"num_layers": 2}),
    ("RNN", {"bidirectional": True, "batch_first": True}), ("RNN", {"bias": False}),
    ("GRU", {}), ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"batch_first": True, "bias": False}),
    ("LSTM", {}), ("LSTM", {"num_layers": 2}), ("LSTM", {"bidirectional": True}),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {"bias": False, "batch_first": True}),
]


@pytest.mark.parametrize("cls_name,kw", LAYER_CASES)
@pytest.mark.parametrize("with_state", [False, True])
def test_layer_matches_torch(cls_name, kw, with_state):
    COVERED.add(cls_name)
    I, H, T, B = 4, 5, 6, 3
    r, t = _pair(cls_name, I, H, **kw)
    L = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    x = _rand(B, T, I) if kw.get("batch_first") else _rand(T, B, I)
    rx, tx = rb.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    r_in, t_in = [rx], [tx]
    lstm = cls_name == "LSTM"
    if with_state:
        states = [_rand(L, B, H) for _ in range(2 if lstm else 1)]
        rs = [rb.tensor(s, requires_grad=True) for s in states]
        ts = [torch.tensor(s, requires_grad=True) for s in states]
        r_in += rs
        t_in += ts
        ro = r(rx, tuple(rs) if lstm else rs[0])
        to = t(tx, tuple(ts) if lstm else ts[0])
    else:
        ro, to = r(rx), t(tx)
    ro = [ro[0], *ro[1]] if lstm else list(ro)
    to = [to[0], *to[1]] if lstm else list(to)
    for k, (a, b) in enumerate(zip(ro, to)):
        assert_close(a, b, what=f"{cls_name}{kw} output {k}")
    seeds = _seeds(to)
    torch.autograd.backward(to, [torch.tensor(s) for s in seeds])
    sum((a * rb.tensor(s)).sum() for a, s in zip(ro, seeds)).backward()
    _check_grads(r, t, r_in, t_in, f"{cls_name}{kw}")


@pytest.mark.parametrize("cls_name", ["RNN", "GRU", "LSTM"])
def test_layer_unbatched(cls_name):
    r, t = _pair(cls_name, 3, 4, num_layers=2)
    x = _rand(5, 3)
    ro, to = r(rb.tensor(x)), t(torch.tensor(x))
    assert_close(ro[0], to[0])
    if cls_name == "LSTM":
        assert_close(ro[1][0], to[1][0])
        assert_close(ro[1][1], to[1][1])
        h = _rand(2, 4)
        ro = r(rb.tensor(x), (rb.tensor(h), rb.tensor(h)))
        to = t(torch.tensor(x), (torch.tensor(h), torch.tensor(h)))
        assert_close(ro[1][1], to[1][1])
    else:
        assert_close(ro[1], to[1])


def test_layer_errors_and_options():
    with pytest.raises(NotImplementedError):
        rb.nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="nonlinearity"):
        rb.nn.RNN(3, 4, nonlinearity="sigmoid")
    m = rb.nn.GRU(3, 4, num_layers=2)
    with pytest.raises(RuntimeError, match="input_size"):
        m(rb.zeros(5, 2, 6))
    with pytest.raises(RuntimeError, match="hidden size"):
        m(rb.zeros(5, 2, 3), rb.zeros(1, 2, 4))
    with pytest.raises(ValueError, match="3D"):
        m(rb.zeros(5))
    bound = 1 / np.sqrt(4)
    for p in m.parameters():
        assert np.all(np.abs(p.data) <= bound) and p.dtype == np.float32
    assert "num_layers=2" in repr(m)


def test_dropout_between_layers_training_only():
    m = rb.nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = rb.tensor(_rand(4, 2, 3))
    m.eval()
    a, b = m(x)[0], m(x)[0]
    np.testing.assert_array_equal(a.data, b.data)
    m.train()
    c, d = m(x)[0], m(x)[0]
    assert not np.array_equal(c.data, d.data)


# -- fused layer == unrolled primitive-op cell -------------------------------------------------------
@pytest.mark.parametrize("cls_name", ["RNN", "GRU", "LSTM"])
def test_fused_equals_unrolled_cell(cls_name):
    T, B, I, H = 7, 3, 4, 5
    layer = getattr(rb.nn, cls_name)(I, H)
    cell = getattr(rb.nn, cls_name + "Cell")(I, H)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = _rand(T, B, I)
    x1, x2 = rb.tensor(x, requires_grad=True), rb.tensor(x, requires_grad=True)
    out, state = layer(x1)
    h = None
    outs = []
    for t in range(T):
        h = cell(x2[t], h)
        outs.append(h[0] if cls_name == "LSTM" else h)
    out2 = rb.stack(outs, 0)
    np.testing.assert_allclose(out.data, out2.data, rtol=1e-5, atol=1e-6)
    g = rb.tensor(_rand(T, B, H))
    (out * g).sum().backward()
    (out2 * g).sum().backward()
    np.testing.assert_allclose(x1.grad.data, x2.grad.data, rtol=1e-4, atol=1e-5)
    for (n1, p1), (n2, p2) in zip(layer.named_parameters(), cell.named_parameters()):
        np.testing.assert_allclose(p1.grad.data, p2.grad.data, rtol=1e-4, atol=1e-5, err_msg=n1)


def test_truncated_bptt_detach():
    m = rb.nn.LSTM(3, 4)
    state = None
    for _ in range(3):
        out, state = m(rb.tensor(_rand(5, 2, 3)), state)
        out.sum().backward()
        state = tuple(s.detach() for s in state)
        assert state[0].grad_fn is None and not state[0].requires_grad
