"""BatchNorm1d / 2d / 3d against PyTorch: train and eval, gradients of input and affine
parameters, running statistics after several steps, momentum=None, no affine, no tracking."""
import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.nn as nn
from tests.oracle import COVERED, assert_close, compare, torch

rng = np.random.default_rng(0)


def _x(*shape, dtype=np.float32):
    return (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)


CASES = [("BatchNorm1d", (8, 4)), ("BatchNorm1d", (5, 4, 6)), ("BatchNorm2d", (4, 4, 3, 5)),
         ("BatchNorm3d", (2, 4, 2, 3, 2))]


def _pair(name, **kw):
    r, t = getattr(nn, name)(4, **kw), getattr(torch.nn, name)(4, **kw)
    if r.weight is not None:
        with torch.no_grad():
            t.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, 4).astype(np.float32)))
            if t.bias is not None:
                t.bias.copy_(torch.tensor(rng.standard_normal(4).astype(np.float32)))
    r.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return r, t


def _step(name, r, t, x, rtol=1e-4, atol=1e-5):
    COVERED.add("nn." + name)
    xr, xt = rb.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yr, yt = r(xr), t(xt)
    assert_close(yr, yt, rtol, atol, what=f"{name} output")
    g = rng.standard_normal(x.shape).astype(x.dtype)
    yr.backward(rb.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xr.grad, xt.grad, rtol, atol * 10, what=f"{name} input grad")
    tp = dict(t.named_parameters())
    for k, p in r.named_parameters():
        assert_close(p.grad, tp[k].grad, rtol, atol * 10, what=f"{name} grad {k}")
    r.zero_grad()
    t.zero_grad()
    for k, v in t.state_dict().items():
        assert_close(r.state_dict()[k], v, rtol, atol, what=f"{name} {k}")


@pytest.mark.parametrize("name,shape", CASES, ids=[f"{n}{s}" for n, s in CASES])
@pytest.mark.parametrize("kw", [{}, {"momentum": None}, {"momentum": 0.3, "eps": 1e-3},
                                {"affine": False}, {"bias": False},
                                {"track_running_stats": False}], ids=str)
def test_batchnorm_train_then_eval_vs_torch(name, shape, kw):
    r, t = _pair(name, **kw)
    for _ in range(3):                  # running stats after several steps
        _step(name, r, t, _x(*shape))
    r.eval()
    t.eval()
    _step(name, r, t, _x(*shape))
    r.train()
    t.train()
    _step(name, r, t, _x(*shape))


def test_batchnorm_buffers_and_repr_like_torch():
    r, t = nn.BatchNorm2d(5), torch.nn.BatchNorm2d(5)
    assert list(r.state_dict()) == list(t.state_dict())
    assert r.num_batches_tracked.dtype == np.int64 and r.num_batches_tracked.shape == ()
    assert repr(r) == repr(t)
    assert repr(nn.BatchNorm1d(3, affine=False, momentum=None)) == \
        repr(torch.nn.BatchNorm1d(3, affine=False, momentum=None))
    assert list(nn.BatchNorm1d(3, track_running_stats=False).state_dict()) == \
        list(torch.nn.BatchNorm1d(3, track_running_stats=False).state_dict())
    r(rb.randn(2, 5, 2, 2))
    r(rb.randn(2, 5, 2, 2))
    assert int(r.num_batches_tracked.item()) == 2
    r.reset_running_stats()
    assert int(r.num_batches_tracked.item()) == 0 and (r.running_var.data == 1).all()


def test_eval_uses_running_stats_and_does_not_update():
    m = nn.BatchNorm1d(3)
    m.running_mean.data[...] = [1.0, 2.0, 3.0]
    m.running_var.data[...] = [4.0, 1.0, 0.25]
    m.eval()
    x = rb.tensor(_x(6, 3))
    y = m(x)
    expected = (x.data - [1.0, 2.0, 3.0]) / np.sqrt(np.array([4.0, 1.0, 0.25]) + 1e-5)
    np.testing.assert_allclose(y.data, expected, rtol=1e-5, atol=1e-5)
    assert m.num_batches_tracked.item() == 0
    np.testing.assert_array_equal(m.running_mean.data, [1.0, 2.0, 3.0])


def test_functional_batch_norm_vs_torch_and_gradcheck():
    x = _x(6, 3, 4)
    rm, rv = rng.standard_normal(3).astype(np.float32), rng.uniform(0.5, 2, 3).astype(np.float32)
    w, b = rng.uniform(0.5, 1.5, 3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    for training in (True, False):
        compare("batch_norm", lambda m, x, w, b: m.nn.functional.batch_norm(
            x, m.tensor(rm.copy()), m.tensor(rv.copy()), w, b, training=training), x, w, b)
    xd = rb.tensor(_x(5, 3, 2, dtype=np.float64), requires_grad=True)
    wd = rb.tensor(rng.uniform(0.5, 1.5, 3), dtype=rb.float64, requires_grad=True)
    bd = rb.tensor(rng.standard_normal(3), dtype=rb.float64, requires_grad=True)
    for training in (True, False):
        assert rb.autograd.gradcheck(lambda x, w, b: rb.nn.functional.batch_norm(
            x, rb.zeros(3, dtype=rb.float64), rb.ones(3, dtype=rb.float64), w, b, training=training),
            (xd, wd, bd))


def test_batchnorm_bad_input():
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.BatchNorm1d(3)(rb.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(rb.randn(2, 3))
    with pytest.raises(RuntimeError, match="3 channels"):
        nn.BatchNorm1d(3)(rb.randn(4, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(rb.randn(1, 3))
