"""rb.nn.utils.clip_grad_norm_ / clip_grad_value_ against torch."""
import math

import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import torch


def _pair(scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 2, 3)]
    grads = [(scale * rng.standard_normal(s)).astype(np.float32) for s in shapes]
    rp, tp = [], []
    for g in grads:
        r = rb.nn.Parameter(np.zeros(g.shape, np.float32))
        r.grad = rb.tensor(g.copy())
        t = torch.nn.Parameter(torch.zeros(g.shape))
        t.grad = torch.tensor(g.copy())
        rp.append(r)
        tp.append(t)
    return rp, tp


@pytest.mark.parametrize("max_norm", [0.5, 100.0])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, math.inf, "inf"])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    rp, tp = _pair()
    rn = rb.nn.utils.clip_grad_norm_(rp, max_norm, norm_type=norm_type)
    tn = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    assert isinstance(rn, rb.Tensor) and rn.shape == () and rn.dtype == np.float32
    np.testing.assert_allclose(rn.data, tn.numpy(), rtol=1e-5)
    for r, t in zip(rp, tp):
        np.testing.assert_allclose(r.grad.data, t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_edge_cases():
    p = rb.nn.Parameter(np.zeros(3, np.float32))
    assert float(rb.nn.utils.clip_grad_norm_([p], 1.0)) == 0.0  # no grads
    p.grad = rb.tensor(np.array([3.0, 4.0, 0.0], np.float32))
    n = rb.nn.utils.clip_grad_norm_(p, 1.0)  # a single tensor is accepted
    assert float(n) == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.data, [0.6, 0.8, 0.0], rtol=1e-5)
    p.grad = rb.tensor(np.array([np.inf, 1.0, 0.0], np.float32))
    with pytest.raises(RuntimeError, match="non-finite"):
        rb.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    with pytest.raises(TypeError, match="max_norm"):
        rb.nn.utils.clip_grad_norm_([p], "1")


def test_clip_grad_norm_shared_grad_array_scaled_once():
    g = np.array([3.0, 4.0], np.float32)
    a, b = rb.nn.Parameter(np.zeros(2, np.float32)), rb.nn.Parameter(np.zeros(2, np.float32))
    a.grad = rb.Tensor._make(g, None, 0)
    b.grad = rb.Tensor._make(g, None, 0)
    rb.nn.utils.clip_grad_norm_([a, b], 1.0)
    expected = np.array([3.0, 4.0]) / (5.0 * math.sqrt(2) + 1e-6)
    np.testing.assert_allclose(a.grad.data, expected, rtol=1e-5)
    np.testing.assert_allclose(b.grad.data, expected, rtol=1e-5)


def test_clip_grad_value_matches_torch():
    rp, tp = _pair(scale=2.0)
    assert rb.nn.utils.clip_grad_value_(rp, 0.7) is None
    torch.nn.utils.clip_grad_value_(tp, 0.7)
    for r, t in zip(rp, tp):
        np.testing.assert_array_equal(r.grad.data, t.grad.numpy())
