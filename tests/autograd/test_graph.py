"""The graph walk: shared nodes, accumulation, retain_graph, grad modes, hooks, autograd.grad,
deep graphs, multi-output Functions, error messages and in-place rules."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.autograd import Function
from tests.oracle import assert_close, torch


def pair(values):
    """The same leaf in rosenblatt and torch."""
    a = np.asarray(values, np.float32)
    return rb.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def test_diamond_graph_matches_torch():
    for m, x in zip((rb, torch), pair([0.5, -1.0, 2.0])):
        a = x * 3.0
        b = x + 2.0
        c = (a * b) @ m.ones(3)
        c.backward()
        if m is rb:
            r = x.grad
        else:
            assert_close(r, x.grad)
    # d/dx (3x)(x+2) = 6x + 6
    np.testing.assert_allclose(r.data, 6 * np.array([0.5, -1.0, 2.0]) + 6)


def test_reused_non_leaf():
    x, xt = pair([1.0, 2.0])
    for v in (x, xt):
        a = v * v
        b = a + a
        c = b + b
        (c * 1.0).backward(type(v)([1.0, 1.0]) if v is xt else rb.ones(2))
    assert_close(x.grad, xt.grad)
    np.testing.assert_allclose(x.grad.data, [8.0, 16.0])


def test_gradients_accumulate_across_backward_calls():
    x, xt = pair([1.0, -2.0, 3.0])
    for _ in range(2):
        (x * x @ rb.ones(3)).backward()
        (xt * xt @ torch.ones(3)).backward()
    assert_close(x.grad, xt.grad)
    np.testing.assert_allclose(x.grad.data, 4 * np.array([1.0, -2.0, 3.0]))
    x.grad = None
    (x * 2.0 @ rb.ones(3)).backward()
    np.testing.assert_allclose(x.grad.data, [2.0] * 3)


def test_retain_graph():
    x = rb.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x) @ rb.ones(2)
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, [4.0, 8.0])
    z = (x * x) @ rb.ones(2)
    z.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        z.backward()


def test_no_grad_enable_grad_set_grad_enabled():
    x = rb.ones(2, requires_grad=True)
    with rb.no_grad():
        y = x * 2
        assert not rb.is_grad_enabled()
        with rb.enable_grad():
            z = x * 2
    assert rb.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    @rb.no_grad()
    def f(t):
        return t * 3
    assert not f(x).requires_grad and rb.is_grad_enabled()

    @rb.enable_grad()
    def g(t):
        return t * 3
    with rb.no_grad():
        assert g(x).requires_grad

    with rb.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert rb.is_grad_enabled()
    rb.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        rb.set_grad_enabled(True)
    assert (x * 2).requires_grad
    # The mode is restored when the block raises.
    with pytest.raises(ValueError):
        with rb.no_grad():
            raise ValueError
    assert rb.is_grad_enabled()


def test_detach():
    x = rb.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and np.shares_memory(d.data, y.data)
    (d * x @ rb.ones(2)).backward()          # gradient flows to x only through the second factor
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_hooks_on_leaf_and_non_leaf():
    x, xt = pair([1.0, 2.0, 3.0])
    seen = []
    for v, m in ((x, rb), (xt, torch)):
        h1 = v.register_hook(lambda g: g * 10)
        a = v * v
        a.register_hook(lambda g, m=m: seen.append(m.__name__) or g + 1)
        (a @ m.ones(3)).backward()
        h1.remove()
        (v * 1.0 @ m.ones(3)).backward()         # the removed hook does not fire
    assert_close(x.grad, xt.grad)
    np.testing.assert_allclose(x.grad.data, 10 * 2 * 2 * np.array([1.0, 2.0, 3.0]) + 1)
    assert seen == ["rosenblatt", "torch"]
    with pytest.raises(RuntimeError, match="doesn't require"):
        rb.ones(2).register_hook(lambda g: g)


def test_hook_removal_on_non_leaf():
    x = rb.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    h = a.register_hook(lambda g: g * 0)
    h.remove()
    (a @ rb.ones(2)).backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])


def test_retain_grad():
    x, xt = pair([1.0, 2.0])
    for v, m in ((x, rb), (xt, torch)):
        a = v * 3.0
        b = v * 2.0
        a.retain_grad()
        (a * a @ m.ones(2)).backward()
        if m is rb:
            ra, rb_ = a, b
        else:
            assert_close(ra.grad, a.grad)
    assert rb_.grad is None
    np.testing.assert_allclose(ra.grad.data, [6.0, 12.0])


def test_autograd_grad():
    x = rb.tensor([1.0, 2.0], requires_grad=True)
    w = rb.tensor([3.0, 4.0], requires_grad=True)
    h = x * w
    y = (h * h) @ rb.ones(2)
    gx, gh = rb.autograd.grad(y, [x, h], retain_graph=True)
    np.testing.assert_allclose(gh.data, 2 * h.data)
    np.testing.assert_allclose(gx.data, 2 * h.data * w.data)
    assert x.grad is None and w.grad is None            # .grad untouched
    u = rb.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        rb.autograd.grad(y, [x, u], retain_graph=True)
    gx2, gu = rb.autograd.grad(y, [x, u], allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gx2.data, gx.data)
    # vs torch
    xt, wt = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([3.0, 4.0], requires_grad=True)
    ht = xt * wt
    gxt, ght = torch.autograd.grad((ht * ht).sum(), [xt, ht])
    assert_close(gx, gxt)
    assert_close(gh, ght)


def test_grad_outputs_and_multiple_outputs():
    x = rb.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y1, y2 = x * 2, x * x
    (g,) = rb.autograd.grad([y1, y2], x, grad_outputs=[rb.ones(3), rb.tensor([1.0, 0.0, 1.0])])
    np.testing.assert_allclose(g.data, [2 + 2, 2, 2 + 6])


def test_deep_chain_no_recursion_error():
    x = rb.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward(rb.ones(1))
    np.testing.assert_allclose(x.grad.data, [1.0001 ** 5000], rtol=1e-3)


class SplitHalves(Function):
    """Two outputs: the first half times 2, the second half squared."""

    def forward(self, a):
        n = a.shape[0] // 2
        self.a, self.n = a, n
        return a[:n] * 2, a[n:] ** 2

    def backward(self, g1, g2):
        return np.concatenate([g1 * 2, g2 * 2 * self.a[self.n:]])


def test_multi_output_function():
    x = rb.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    a, b = SplitHalves.apply(x)
    assert a.grad_fn is b.grad_fn and a._out_idx == 0 and b._out_idx == 1
    (a @ rb.ones(2) + b @ rb.tensor([1.0, 10.0])).backward()
    np.testing.assert_allclose(x.grad.data, [2, 2, 6, 80])
    x.grad = None
    a, b = SplitHalves.apply(x)
    (b @ rb.ones(2)).backward()                 # only one output used: zeros for the other
    np.testing.assert_allclose(x.grad.data, [0, 0, 6, 8])
    assert rb.autograd.gradcheck(lambda t: SplitHalves.apply(t),
                                 [rb.tensor([1.0, 2.0, 3.0, 4.0], dtype=rb.float64, requires_grad=True)])


def test_backward_error_messages():
    x = rb.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"scalar.*\(2, 3\)"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"\(3, 2\).*\(2, 3\)"):
        y.backward(gradient=rb.ones(3, 2))
    with pytest.raises(RuntimeError, match="does not require grad"):
        rb.ones(1).backward()
    y.backward(gradient=rb.ones(2, 3))
    np.testing.assert_allclose(x.grad.data, 2 * np.ones((2, 3)))


@pytest.mark.parametrize("op,args,expected", [
    ("add_", (rb.tensor([1.0, 1.0]),), [2.0, 3.0]),
    ("sub_", (rb.tensor([1.0, 1.0]),), [0.0, 1.0]),
    ("mul_", (3.0,), [3.0, 6.0]),
    ("copy_", (rb.tensor([5.0, 6.0]),), [5.0, 6.0]),
    ("fill_", (7.0,), [7.0, 7.0]),
    ("zero_", (), [0.0, 0.0]),
])
def test_inplace_ops(op, args, expected):
    w = rb.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(w, op)(*args)
    with rb.no_grad():
        out = getattr(w, op)(*args)
    assert out is w and w.tolist() == expected and w.requires_grad and w.is_leaf
    p = rb.tensor([1.0, 2.0])                   # no grad needed: fine without no_grad
    getattr(p, op)(*args)
    assert p.tolist() == expected
    # vs torch
    t = torch.tensor([1.0, 2.0])
    targs = [torch.tensor(a.data) if isinstance(a, rb.Tensor) else a for a in args]
    getattr(t, op)(*targs)
    assert t.tolist() == expected


def test_inplace_on_graph_tensor_and_copy_shape_error():
    x = rb.ones(2, requires_grad=True)
    y = x * 2
    y.add_(1.0)                            # recorded in the graph (tests/autograd/test_inplace.py)
    assert y.grad_fn.name() == "AddBackward" and y.tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2,\)"):
        rb.zeros(2).copy_(rb.ones(3))


def test_optimizer_style_update_under_no_grad():
    w = rb.tensor([1.0, 2.0], requires_grad=True)
    (w * w @ rb.ones(2)).backward()
    with rb.no_grad():
        w.sub_(w.grad, alpha=0.5)
        w.grad.zero_()
    np.testing.assert_allclose(w.data, [0.0, 0.0])
    np.testing.assert_allclose(w.grad.data, [0.0, 0.0])
    assert w.is_leaf and w.requires_grad


def test_backward_inputs_accumulates_only_into_the_given_tensors_like_torch():
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(3).astype(np.float32) for _ in range(3)]
    results = []
    for m in (rb, torch):
        a, b, u = (m.tensor(x.copy(), requires_grad=True) for x in arrays)
        h = a * 2
        (h * b).sum().backward(inputs=[h, a], retain_graph=True)
        (h * b).sum().backward(inputs=a)                           # accumulates into a.grad
        (a * b).sum().backward(inputs=[u])                         # unused: u.grad stays None
        m.autograd.backward([(a * a).sum()], inputs=[b]) if m is rb else \
            torch.autograd.backward([(a * a).sum()], inputs=[b])   # b unused: None
        results.append((h.grad, a.grad, b.grad, u.grad))
    for r, t in zip(*results):
        assert (r is None) == (t is None)
        if r is not None:
            assert_close(r, t)
    for m in (rb, torch):
        x = m.tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="cannot be empty"):
            (x * 2).sum().backward(inputs=[])


def test_backward_inputs_with_create_graph_matches_torch():
    results = []
    for m in (rb, torch):
        x = m.tensor([0.5, -1.0, 2.0], requires_grad=True)
        w = m.tensor([1.5, 0.2, -0.3], requires_grad=True)
        (x.tanh() * w).sum().backward(create_graph=True, inputs=[x])
        gx = x.grad
        gx.sum().backward(inputs=[w])
        results.append((gx, w.grad))
    for r, t in zip(*results):
        assert_close(r, t)
