"""einsum outer dot tensordot tril triu diag against PyTorch, float64 gradcheck."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.autograd import gradcheck
from tests.oracle import compare, torch


def _r(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed + len(shape) * 7 + sum(shape)).standard_normal(shape).astype(dtype)


EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),                        # implicit output
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ii->i", [(3, 3)]),                                # diagonal
    ("ii", [(3, 3)]),                                   # trace
    ("ij->", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ijk,k->ij", [(2, 3, 4), (4,)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 2)]),     # batched with an ellipsis
    ("...i,i->...", [(2, 5, 3), (3,)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),  # attention scores
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),         # three operands
    ("i,ij->j", [(3,), (3, 3)]),
    ("ijj->ij", [(2, 3, 3)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_vs_torch(eq, shapes):
    arrays = [_r(*s, seed=i) for i, s in enumerate(shapes)]
    compare("einsum", lambda m, *xs: m.einsum(eq, *xs), *arrays)
    compare("einsum(list)", lambda m, *xs: m.einsum(eq, list(xs)), *arrays)
    doubles = [rb.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]
    assert gradcheck(lambda *xs: rb.einsum(eq, *xs), doubles)


def test_products_vs_torch():
    compare("outer", lambda m, a, b: m.outer(a, b), _r(3), _r(4))
    compare("Tensor.outer", lambda m, a, b: a.outer(b), _r(3), _r(4, seed=1))
    compare("dot", lambda m, a, b: m.dot(a, b), _r(5), _r(5, seed=1))
    compare("Tensor.dot", lambda m, a, b: a.dot(b), _r(5), _r(5, seed=1))
    compare("tensordot", lambda m, a, b: m.tensordot(a, b), _r(2, 3, 4), _r(3, 4, 5))
    compare("tensordot(1)", lambda m, a, b: m.tensordot(a, b, dims=1), _r(2, 3), _r(3, 4))
    compare("tensordot(0)", lambda m, a, b: m.tensordot(a, b, dims=0), _r(2), _r(3))
    compare("tensordot(lists)", lambda m, a, b: m.tensordot(a, b, dims=([2, 0], [0, 1])), _r(2, 3, 4), _r(4, 2, 5))
    a, b = (rb.tensor(_r(2, 3, 4, seed=i, dtype=np.float64), requires_grad=True) for i in range(2))
    assert gradcheck(lambda a, b: rb.tensordot(a, b, dims=([1, 2], [1, 2])), (a, b))
    v, w = (rb.tensor(_r(4, seed=i, dtype=np.float64), requires_grad=True) for i in range(2))
    assert gradcheck(rb.outer, (v, w))
    assert gradcheck(rb.dot, (v, w))


@pytest.mark.parametrize("k", [0, 1, -1, 3, -5])
def test_triangles_and_diag_vs_torch(k):
    compare("tril", lambda m, x: m.tril(x, k), _r(4, 5))
    compare("triu", lambda m, x: m.triu(x, diagonal=k), _r(2, 4, 3))
    compare("Tensor.tril", lambda m, x: x.tril(k), _r(3, 3))
    compare("diag(vector)", lambda m, x: m.diag(x, k), _r(4))
    if abs(k) < 4:
        compare("diag(matrix)", lambda m, x: m.diag(x, k), _r(4, 5))
        compare("Tensor.diag", lambda m, x: x.diag(k), _r(5, 3))
    x = rb.tensor(_r(3, 4, dtype=np.float64), requires_grad=True)
    v = rb.tensor(_r(3, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda x: rb.triu(x, k), (x,))
    assert gradcheck(lambda x: rb.tril(x, k), (x,))
    assert gradcheck(lambda v: rb.diag(v, k), (v,))
    if abs(k) < 3:
        assert gradcheck(lambda x: rb.diag(x, k), (x,))


def test_errors_like_torch():
    with pytest.raises(RuntimeError, match="outer: Expected 1-D argument self, but got 2-D"):
        rb.outer(rb.ones(2, 2), rb.ones(2))
    with pytest.raises(RuntimeError, match="inconsistent tensor size"):
        rb.dot(rb.ones(2), rb.ones(3))
    with pytest.raises(RuntimeError, match="same dtype"):
        rb.dot(rb.ones(2), rb.ones(2, dtype=rb.float64))
    with pytest.raises(ValueError, match="operand 0 has 2 dimensions"):
        rb.einsum("i,i->", rb.ones(2, 2), rb.ones(2))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        rb.tril(rb.ones(3))
    with pytest.raises(RuntimeError, match="contracted dimensions"):
        rb.tensordot(rb.ones(2, 3), rb.ones(4, 5), dims=1)


def test_tril_second_derivative_vs_torch():
    x = np.random.default_rng(5).standard_normal((3, 3))
    out = []
    for m in (rb, torch):
        t = m.tensor(x.copy(), requires_grad=True)
        (g,) = m.autograd.grad((m.tril(t, -1) ** 3).sum(), t, create_graph=True)
        (h,) = m.autograd.grad((m.tril(g) * g).sum(), t)
        out.append(h)
    np.testing.assert_allclose(out[0].data, out[1].numpy(), rtol=1e-10)


@pytest.mark.parametrize("eq,shapes", [("ij,jk->ik", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]),
                                       ("bi,bj->bij", [(2, 3), (2, 4)])])
def test_einsum_second_derivative_vs_torch(eq, shapes):
    arrays = [np.random.default_rng(i).standard_normal(s) for i, s in enumerate(shapes)]
    out = []
    for m in (rb, torch):
        ts = [m.tensor(a.copy(), requires_grad=True) for a in arrays]
        y = m.einsum(eq, *ts)
        gs = m.autograd.grad((y * y * y).sum(), ts, create_graph=True)
        hs = m.autograd.grad(sum((g * g).sum() for g in gs), ts)
        out.append([h.data if m is rb else h.numpy() for h in hs])
    for r, t in zip(*out):
        np.testing.assert_allclose(r, t, rtol=1e-8, atol=1e-10)
