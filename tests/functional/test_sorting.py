"""sort argsort topk unique bincount against PyTorch (values, indices, gradients), float64 gradcheck."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.autograd import gradcheck
from tests.oracle import assert_close, compare, torch


def _x(shape=(3, 5), seed=0, dtype=np.float32):
    # distinct values: torch's (unstable) order is then unique
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape).astype(dtype) * 0.37 - 2


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_vs_torch(dim, descending):
    compare("sort", lambda m, x: tuple(m.sort(x, dim=dim, descending=descending)), _x())
    compare("Tensor.sort", lambda m, x: tuple(x.sort(dim, descending)), _x((2, 3, 4)))
    compare("argsort", lambda m, x: m.argsort(x, dim=dim, descending=descending), _x())


def test_sort_stable_ties_and_nan_like_torch():
    a = np.array([[2, 1, 2, np.nan, 1, 0]], np.float32)
    for descending in (False, True):
        r = rb.sort(rb.tensor(a), descending=descending, stable=True)
        t = torch.sort(torch.tensor(a), descending=descending, stable=True)
        assert_close(r.values, t.values)
        assert_close(r.indices, t.indices)
    ints = np.array([3, 1, 3, 0, 1], np.int64)
    assert_close(rb.sort(rb.tensor(ints), stable=True).indices, torch.sort(torch.tensor(ints), stable=True).indices)


@pytest.mark.parametrize("k,dim,largest", [(1, -1, True), (3, 1, True), (2, 0, False), (5, -1, False), (0, 1, True)])
def test_topk_vs_torch(k, dim, largest):
    compare("topk", lambda m, x: tuple(m.topk(x, k, dim=dim, largest=largest)), _x())
    compare("Tensor.topk", lambda m, x: tuple(x.topk(k, dim, largest)), _x())


def test_gradcheck_sort_topk():
    x = rb.tensor(_x((3, 4), dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda x: rb.sort(x, 0, descending=True).values, (x,))
    assert gradcheck(lambda x: rb.topk(x, 2).values, (x,))


def test_unique_vs_torch():
    a = np.array([[3, 1, 2], [1, 3, 7]], np.int64)
    for kw in [{}, {"return_inverse": True}, {"return_counts": True},
               {"return_inverse": True, "return_counts": True}, {"sorted": False}]:
        r, t = rb.unique(rb.tensor(a), **kw), torch.unique(torch.tensor(a), **kw)
        for x, y in zip(r if isinstance(r, tuple) else [r], t if isinstance(t, tuple) else [t]):
            assert_close(x, y)
    rows = np.array([[1, 2], [1, 2], [0, 5]], np.int64)
    r = rb.tensor(rows).unique(dim=0, return_inverse=True, return_counts=True)
    t = torch.tensor(rows).unique(dim=0, return_inverse=True, return_counts=True)
    for x, y in zip(r, t):
        assert_close(x, y)
    f = np.array([0.5, -1.0, 0.5], np.float32)
    assert_close(rb.unique(rb.tensor(f)), torch.unique(torch.tensor(f)))


def test_bincount_vs_torch():
    a = np.array([0, 1, 1, 3, 7], np.int64)
    assert_close(rb.bincount(rb.tensor(a)), torch.bincount(torch.tensor(a)))
    assert_close(rb.tensor(a).bincount(minlength=10), torch.tensor(a).bincount(minlength=10))
    for w in (np.arange(5, dtype=np.float32), np.arange(5, dtype=np.int64), np.arange(5, dtype=np.float64)):
        r, t = rb.bincount(rb.tensor(a), rb.tensor(w)), torch.bincount(torch.tensor(a), torch.tensor(w))
        assert r.dtype == t.numpy().dtype
        assert_close(r, t)


def test_errors():
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        rb.topk(rb.ones(2), 3)
    with pytest.raises(RuntimeError, match="1-d non-negative integral"):
        rb.bincount(rb.tensor([-1]))
    with pytest.raises(RuntimeError, match="1-d non-negative integral"):
        rb.bincount(rb.tensor([1.0]))
    with pytest.raises(IndexError):
        rb.sort(rb.ones(2, 3), dim=2)
    with pytest.raises(TypeError, match="'input' must be a Tensor"):
        rb.sort([3, 1])
