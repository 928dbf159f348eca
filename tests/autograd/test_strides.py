"""Strides as PyTorch reports them (rosenblatt/autograd/strides.py): random chains of view ops
give the same ``stride()`` and ``is_contiguous()`` as in PyTorch, and ``view`` raises exactly
where PyTorch raises, with its message; ``reshape`` always works."""
import math
import random

import numpy as np
import pytest
import torch

import rosenblatt as rb
from rosenblatt.autograd import strides

VIEW_ERROR = (r"view size is not compatible with input tensor's size and stride \(at least one "
              r"dimension spans across two contiguous subspaces\)\. Use \.reshape\(\.\.\.\) instead\.")


def _factorizations(n, most=4):
    """Shapes of up to ``most`` dims with ``n`` elements (size-1 dims included)."""
    out = set()

    def grow(rest, cur):
        if rest == 1:
            out.add(tuple(cur))
        if len(cur) == most:
            return
        for f in range(1, rest + 1):
            if rest % f == 0 and (f > 1 or cur.count(1) < 2):
                grow(rest // f, cur + [f])
    grow(n, [])
    return sorted(out | ({()} if n == 1 else set()))


def _random_key(rng, shape):
    key = []
    for n in shape:
        c = rng.random()
        if c < 0.2 and n:
            key.append(rng.randrange(-n, n))
        elif c < 0.3:
            key += [None, slice(None)]
        else:
            a = rng.randint(0, n)
            key.append(slice(a, rng.randint(a, n), rng.choice([None, 1, 2, 3])))
    if rng.random() < 0.3:                       # an Ellipsis standing for the trailing dims
        cut = rng.randint(0, len(key))
        key = key[:cut] + [Ellipsis] + [None] * (rng.random() < 0.3)
    return tuple(key)


def _view_op(rng, shape):
    """A random view op for a tensor of ``shape``: ``fn(module, x)`` and its name."""
    nd = len(shape)
    choices = ["unsqueeze", "expand", "view", "reshape", "detach"]
    if nd:
        choices += ["transpose", "permute", "index", "narrow", "squeeze", "movedim", "split",
                    "unbind", "flatten", "unflatten", "contiguous"]
    if nd == 2:
        choices += ["t", "T"]
    if nd >= 2:
        choices += ["mT"]
    op = rng.choice(choices)
    if op == "transpose":
        a, b = rng.randrange(nd), rng.randrange(nd)
        return op, lambda m, x: x.transpose(a, b)
    if op == "permute":
        dims = list(range(nd))
        rng.shuffle(dims)
        return op, lambda m, x: x.permute(tuple(dims))
    if op == "movedim":
        a, b = rng.randrange(nd), rng.randrange(nd)
        return op, lambda m, x: m.movedim(x, a, b)
    if op in ("t", "T", "mT", "detach", "contiguous"):
        return op, {"t": lambda m, x: x.t(), "T": lambda m, x: x.T, "mT": lambda m, x: x.mT,
                    "detach": lambda m, x: x.detach(),
                    "contiguous": lambda m, x: x.contiguous()}[op]
    if op == "expand":
        sizes = [rng.choice([n, 2, 3]) if n == 1 else rng.choice([n, -1]) for n in shape]
        sizes = [rng.choice([1, 2])] * (rng.random() < 0.4) + sizes
        return op, lambda m, x: x.expand(tuple(sizes))
    if op == "index":
        key = _random_key(rng, shape)
        return op, lambda m, x: x[key]
    if op == "narrow":
        d = rng.randrange(nd)
        start = rng.randint(0, shape[d])
        length = rng.randint(0, shape[d] - start)
        return op, lambda m, x: x.narrow(d, start, length)
    if op == "unsqueeze":
        d = rng.randint(-nd - 1, nd)
        return op, lambda m, x: x.unsqueeze(d)
    if op == "squeeze":
        dims = tuple(d for d in range(nd) if rng.random() < 0.5)
        return op, (lambda m, x: x.squeeze()) if rng.random() < 0.3 else (lambda m, x: x.squeeze(dims))
    if op == "split":
        d = rng.randrange(nd)
        size = rng.randint(1, max(shape[d], 1))
        pieces = -(-shape[d] // size) if shape[d] else 1
        i = rng.randrange(pieces)
        return op, lambda m, x: x.split(size, d)[i]
    if op == "unbind":
        d = rng.randrange(nd)
        if not shape[d]:
            return "detach", lambda m, x: x.detach()
        i = rng.randrange(shape[d])
        return op, lambda m, x: x.unbind(d)[i]
    if op == "flatten":
        a = rng.randrange(nd)
        b = rng.randrange(a, nd)
        return op, lambda m, x: x.flatten(a, b)
    if op == "unflatten":
        d = rng.randrange(nd)
        sizes = rng.choice([s for s in _factorizations(shape[d], 2) if s]) if shape[d] else (0, 2)
        return op, lambda m, x: x.unflatten(d, sizes)
    targets = _factorizations(math.prod(shape)) if math.prod(shape) else [shape, (0,), (2, 0)]
    new = rng.choice(targets)
    return op, (lambda m, x: x.view(new)) if op == "view" else (lambda m, x: x.reshape(new))


def _start(rng):
    """A tensor from an ordinary op, in rosenblatt and torch, with the same values."""
    shape = tuple(rng.choice([1, 2, 3, 4] if rng.random() > 0.05 else [0, 2])
                  for _ in range(rng.randint(0, 4)))
    values = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    r, t = rb.tensor(values), torch.tensor(values)
    if rng.random() < 0.3:                                   # an op's output, not a leaf
        r, t = r * 2 + 1, t * 2 + 1
    return r, t


def _same(r, t, where):
    assert tuple(r.shape) == tuple(t.shape), where
    assert r.stride() == t.stride(), where
    assert r.is_contiguous() == t.is_contiguous(), where
    np.testing.assert_array_equal(r.numpy(), t.numpy(), err_msg=str(where))


@pytest.mark.parametrize("seed", range(8))
def test_view_raises_exactly_where_torch_does_after_random_view_chains(seed):
    rng = random.Random(seed)
    raised = viewed = 0
    for trial in range(60):
        r, t = _start(rng)
        chain = []
        for _ in range(rng.randint(1, 4)):
            name, fn = _view_op(rng, tuple(t.shape))
            try:
                t2 = fn(torch, t)
            except RuntimeError as err:
                with pytest.raises(RuntimeError, match=VIEW_ERROR):
                    fn(rb, r)
                assert "view size is not compatible" in str(err)
                raised += 1
                continue
            chain.append(name)
            r, t = fn(rb, r), t2
            _same(r, t, (seed, trial, chain))
        for _ in range(3):                                    # then views of the chain's end
            n = math.prod(t.shape)
            new = rng.choice(_factorizations(n) if n else [(0,), (2, 0), tuple(t.shape)])
            try:
                tv = t.view(new)
            except RuntimeError as err:
                assert "view size is not compatible" in str(err)
                with pytest.raises(RuntimeError, match=VIEW_ERROR):
                    r.view(new)
                raised += 1
            else:
                _same(r.view(new), tv, (seed, trial, chain, "view", new))
                viewed += 1
            _same(r.reshape(new), t.reshape(new), (seed, trial, chain, "reshape", new))
    assert raised > 5 and viewed > 20            # both outcomes were exercised


def test_classic_cases_like_torch():
    for make, shape in [
        (lambda m: m.randn(2, 3).t(), (6,)),                          # the example
        (lambda m: m.randn(4, 6)[:, 1:], (-1,)),                      # a slice, not a permute
        (lambda m: m.randn(4, 6)[:, ::2], (12,)),
        (lambda m: m.randn(4, 6)[::2], (12,)),                        # rows: still one run
        (lambda m: m.randn(3, 1).expand(3, 4), (12,)),
        (lambda m: m.randn(2, 3, 4).transpose(0, 1), (3, 8)),         # (2, 4) merge across runs
        (lambda m: m.randn(2, 3, 4).transpose(0, 1), (6, 4)),
        (lambda m: m.randn(4, 6)[:, 1:2], (4,)),                      # size-1 dims keep strides
        (lambda m: m.randn(2, 3, 4).permute(2, 0, 1).narrow(1, 0, 1), (4, 3)),
    ]:
        t = make(torch)
        try:
            expected = t.view(shape).stride()
        except RuntimeError:
            expected = None
        r = make(rb)
        assert r.stride() == t.stride()
        if expected is None:
            with pytest.raises(RuntimeError, match=VIEW_ERROR):
                r.view(shape)
            assert r.reshape(shape).shape == t.reshape(shape).shape
        else:
            assert r.view(shape).stride() == expected


def test_kernel_layouts_count_as_contiguous():
    # A conv's output may sit in memory in another order than NCHW (fast kernels choose);
    # in PyTorch it is contiguous, so every view of it that PyTorch allows must work.
    x = rb.randn(2, 3, 8, 8)
    out = rb.nn.Conv2d(3, 4, 3)(x)
    assert out.is_contiguous() and out.stride() == (144, 36, 6, 1)
    assert out.view(2, -1).shape == (2, 144)
    with pytest.raises(RuntimeError, match=VIEW_ERROR):
        out.permute(0, 2, 3, 1).view(2, -1)                   # as in PyTorch
    assert out.permute(0, 2, 3, 1).reshape(2, -1).shape == (2, 144)
    y = out.permute(0, 2, 3, 1).contiguous()
    assert y.is_contiguous() and y.view(2, -1).shape == (2, 144)


def test_ordinary_ops_give_contiguous_tensors():
    # PyTorch keeps an elementwise op's input layout (x.t() * 2 has x.t()'s strides); here
    # every non-view op's output is contiguous (docs/PYTORCH.md lists the difference).
    x = rb.randn(3, 4)
    assert (x.t() * 2).is_contiguous() and (x.t() * 2).view(-1).shape == (12,)
    assert x.t()[[0, 2]].is_contiguous()                      # advanced indexing copies


def test_gradients_flow_through_views_of_views():
    a = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    grads = []
    for m in (rb, torch):
        x = m.tensor(a, requires_grad=True)
        y = x.permute(2, 0, 1)[1:, ::2].reshape(4, -1).unsqueeze(0).expand(2, 4, 8)
        (y * m.arange(64.0).reshape(2, 4, 8)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1])


def test_contiguous_copies_and_returns_self_like_torch():
    x = rb.randn(3, 4)
    assert x.contiguous() is x
    y = x.t()
    c = y.contiguous()
    assert c is not y and c.stride() == (3, 1)
    c[0, 0] = 100.0                                           # a copy, not a view
    assert x[0, 0].item() != 100.0
    s = x[1:2, 1:]                                            # contiguous in PyTorch's sense
    assert s.contiguous() is s and s.stride() == (4, 1) and s.is_contiguous()


def test_the_rules_on_their_own():
    assert strides.contiguous((2, 0, 3)) == (3, 3, 1)
    assert strides.view((3, 4), (1, 3), (12,)) is None
    assert strides.view((3, 4), (1, 3), (3, 2, 2)) == (1, 6, 3)
    assert strides.expand((), (), (1,)) == (0,)
    assert strides.index((4, 6), (6, 1), (slice(None), None, slice(1, None, 2))) == (6, 6, 2)   # as torch
    assert strides.is_contiguous((1, 4), (7, 1)) and not strides.is_contiguous((4, 1), (3, 7))


def test_stride_of_one_dim_like_torch():
    for m in (rb, torch):
        x = m.zeros(2, 3, 4).transpose(0, 2)
        assert (x.stride(0), x.stride(-1)) == (1, 12)
        with pytest.raises(IndexError, match="Dimension"):
            m.zeros(()).stride(0)
