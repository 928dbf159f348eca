"""Tensor creation, attributes, repr and dtype promotion, against torch."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import assert_close, compare, torch


def np_dtype(t):
    return t.numpy().dtype if isinstance(t, torch.Tensor) else t.dtype


@pytest.mark.parametrize("make", [
    lambda m: m.tensor([1.0, 2.0]), lambda m: m.tensor([1, 2]), lambda m: m.tensor([True, False]),
    lambda m: m.tensor(3.5), lambda m: m.tensor([[1, 2], [3, 4]], dtype=m.float64),
    lambda m: m.zeros(2, 3), lambda m: m.zeros((2, 3)), lambda m: m.ones(4), lambda m: m.ones(2, dtype=m.int64),
    lambda m: m.zeros_like(m.ones(2, 3, dtype=m.float64)), lambda m: m.ones_like(m.tensor([1, 2])),
    lambda m: m.full((2, 2), 1.5), lambda m: m.full((2,), 3), lambda m: m.empty(3, 2),
    lambda m: m.arange(5), lambda m: m.arange(1, 4, 0.5), lambda m: m.arange(0.0, 3.0),
    lambda m: m.linspace(0, 1, 5), lambda m: m.eye(3), lambda m: m.eye(2, 3),
    lambda m: m.rand(2, 3), lambda m: m.randn(4), lambda m: m.randint(0, 10, (3,)),
    lambda m: m.randperm(5), lambda m: m.rand(2, dtype=m.float64),
])
def test_creation_shapes_and_dtypes(make):
    r, t = make(rb), make(torch)
    assert tuple(r.shape) == tuple(t.shape)
    assert r.dtype == np_dtype(t)
    if {"rand", "randn", "randint", "randperm", "empty"} & set(make.__code__.co_names):
        return
    assert_close(r, t)


def test_creation_values():
    assert sorted(rb.randperm(6).tolist()) == list(range(6))
    v = rb.randint(3, 7, (100,))
    assert v.data.min() >= 3 and v.data.max() < 7
    u = rb.rand(1000)
    assert 0 <= u.data.min() and u.data.max() < 1
    assert rb.randn(2, 3, requires_grad=True).requires_grad


def test_from_numpy_shares_memory_and_tensor_copies():
    a = np.arange(4.0)
    t = rb.from_numpy(a)
    assert t.dtype == rb.float64
    a[0] = 42.0
    assert t[0].item() == 42.0
    c = rb.tensor(a)
    a[1] = -1.0
    assert c[1].item() == 1.0 and c.dtype == rb.float64


def test_manual_seed_determinism():
    rb.manual_seed(123)
    a = (rb.rand(5), rb.randn(3), rb.randint(0, 100, (4,)), rb.randperm(7))
    rb.manual_seed(123)
    b = (rb.rand(5), rb.randn(3), rb.randint(0, 100, (4,)), rb.randperm(7))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.data, y.data)
    rb.manual_seed(124)
    assert not np.array_equal(rb.rand(5).data, a[0].data)


def test_attributes():
    x = rb.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    t = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert tuple(x.shape) == tuple(t.shape) and x.ndim == t.ndim == 2 and x.dim() == 2
    assert x.size() == tuple(t.size()) and x.size(1) == t.size(1) == 3 and x.size(-1) == 3
    assert x.numel() == t.numel() == 6 and len(x) == 2
    assert tuple(x.T.shape) == (3, 2) and x.T.tolist() == t.T.tolist()
    assert x.tolist() == t.tolist()
    assert x[1, 2].item() == 6.0 and isinstance(x[1, 2].item(), float)
    assert rb.tensor([3]).item() == 3 and isinstance(rb.tensor([3]).item(), int)
    assert x.is_leaf and x.grad is None and x.grad_fn is None and x.requires_grad
    y = x * 2
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad
    assert x.detach().numpy() is x.data
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    with pytest.raises(ValueError, match="6 elements"):
        x.item()
    with pytest.raises(IndexError, match="range"):
        x.size(2)


def test_dtype_conversions_keep_the_graph():
    x = rb.tensor([1.5, -2.5], requires_grad=True)
    assert x.float() is x
    d = x.double()
    assert d.dtype == rb.float64 and d.requires_grad
    (d * d @ rb.ones(2, dtype=rb.float64)).backward()
    assert x.grad.dtype == rb.float32
    np.testing.assert_allclose(x.grad.data, [3.0, -5.0])
    i = x.long()
    assert i.dtype == rb.int64 and not i.requires_grad
    assert i.tolist() == torch.tensor([1.5, -2.5]).long().tolist()
    assert rb.tensor([1, 2]).float().dtype == rb.float32


def test_clone_detach_requires_grad_():
    x = rb.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.requires_grad and not c.is_leaf and not np.shares_memory(c.data, x.data)
    (c * 3.0 @ rb.ones(2)).backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])
    p = rb.zeros(2)
    assert p.requires_grad_() is p and p.requires_grad
    p.requires_grad_(False)
    assert not p.requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        rb.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).requires_grad_(False)


def test_repr_looks_like_torch():
    assert repr(rb.tensor([1.0, 2.0])) == "tensor([1., 2.])" == repr(torch.tensor([1.0, 2.0]))
    assert repr(rb.tensor([1, 2])) == repr(torch.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(rb.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    y = rb.tensor([1.0], requires_grad=True) * 2
    assert repr(y).startswith("tensor([2.], grad_fn=<") and repr(y).endswith(">)")
    assert "dtype=rosenblatt.float64" in repr(rb.tensor([1.0], dtype=rb.float64))
    assert repr(rb.tensor(True)) == "tensor(True)"


@pytest.mark.parametrize("expr", [
    lambda m: m.tensor([1, 2]) * 2.5,                                 # int tensor * float -> float32
    lambda m: m.tensor([1, 2]) * 2,                                   # stays int64
    lambda m: m.tensor([1.0, 2.0]) + m.tensor([1.0], dtype=m.float64),
    lambda m: m.tensor([1.0, 2.0], dtype=m.float64) * 3.0,
    lambda m: m.tensor([1, 2]) / 2,                                   # true division -> float32
    lambda m: m.tensor([1, 2]) + m.tensor([0.5, 0.5]),                # int64 + float32 -> float32
    lambda m: m.tensor([True, False]) + 1.5,
    lambda m: 2.0 - m.tensor([1, 2]),
    lambda m: m.tensor([1.0, 2.0]) ** 2,
    lambda m: m.tensor([[1.0, 2.0]]) @ m.tensor([[1.0], [2.0]], dtype=m.float32),
])
def test_dtype_promotion_like_torch(expr):
    r, t = expr(rb), expr(torch)
    assert r.dtype == np_dtype(t)
    assert_close(r, t)


def test_matmul_shapes_and_errors():
    for sa, sb in [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 2, 3), (3, 4)), ((3,), (5, 3, 2)),
                   ((2, 1, 2, 3), (4, 3, 2))]:
        a = np.random.default_rng(0).standard_normal(sa).astype(np.float32)
        b = np.random.default_rng(1).standard_normal(sb).astype(np.float32)
        compare("matmul", lambda m, x, y: m.matmul(x, y), a, b)
    with pytest.raises(RuntimeError, match=r"2x3 and 4x5"):
        rb.zeros(2, 3) @ rb.zeros(4, 5)
    with pytest.raises(RuntimeError, match=r"\(2, 2, 3\).*\(4, 5\)"):
        rb.zeros(2, 2, 3) @ rb.zeros(4, 5)


def test_broadcast_error_names_shapes():
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(4,\)"):
        rb.zeros(2, 3) + rb.zeros(4)
