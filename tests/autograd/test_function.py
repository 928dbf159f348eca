"""PyTorch's custom autograd Function (``@staticmethod forward(ctx, ...)``/``backward``) and
the ops' own array style, side by side.

The tutorial program is ordinary PyTorch code, run under torch and under rosenblatt with
only its import line changed.
"""
import math

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.autograd import gradcheck, gradgradcheck
from tests.oracle import assert_close, torch

# "Learning PyTorch with Examples": PyTorch: Defining New autograd Functions
# (polynomial_custom_function.py), with 300 steps instead of 2000.
LEGENDRE_TUTORIAL = '''
import torch
import math


class LegendrePolynomial3(torch.autograd.Function):
    """
    We can implement our own custom autograd Functions by subclassing
    torch.autograd.Function and implementing the forward and backward passes
    which operate on Tensors.
    """

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


dtype = torch.float
device = torch.device("cpu")

x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)

learning_rate = 5e-6
for t in range(300):
    P3 = LegendrePolynomial3.apply

    y_pred = a + b * P3(c + d * x)

    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        print(t, loss.item())

    loss.backward()

    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad

        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

print(f'Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)')
'''


def run_program(source, module):
    """Run ``source`` (which imports torch) with ``import torch`` bound to ``module``."""
    text = source if module is torch else source.replace("import torch\n",
                                                         "import rosenblatt as torch\n")
    namespace = {"__name__": "__tutorial__"}
    exec(compile(text, "<tutorial>", "exec"), namespace)
    return namespace


def test_legendre_tutorial_runs_unchanged_under_both():
    assert LEGENDRE_TUTORIAL.count("import torch\n") == 1
    ours, theirs = run_program(LEGENDRE_TUTORIAL, rb), run_program(LEGENDRE_TUTORIAL, torch)
    for name in "abcd":
        assert abs(ours[name].item() - theirs[name].item()) < 1e-4, name
    assert abs(ours["loss"].item() - theirs["loss"].item()) < 1e-3 * theirs["loss"].item()
    assert ours["y_pred"].grad_fn.name() == "AddBackward"


class Legendre(rb.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


def test_ctx_function_node_and_gradcheck():
    x = rb.tensor(np.linspace(-1, 1, 7), dtype=rb.float64, requires_grad=True)
    y = Legendre.apply(x)
    assert y.grad_fn.name() == "LegendreBackward" and y.requires_grad
    assert gradcheck(Legendre.apply, (x,))
    # Its backward is written with differentiable ops: second derivatives work too.
    assert gradgradcheck(Legendre.apply, (x,))
    (g,) = rb.autograd.grad(y.sum(), x, create_graph=True)
    (h,) = rb.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, 15 * x.data, rtol=1e-12)   # P3'' = 15 x


def test_no_input_requires_grad_gives_a_plain_output():
    y = Legendre.apply(rb.tensor([0.5]))
    assert y.grad_fn is None and not y.requires_grad
    with rb.no_grad():
        y = Legendre.apply(rb.tensor([0.5], requires_grad=True))
    assert y.grad_fn is None


def _pair_classes(m):
    class SumAndProduct(m.autograd.Function):
        """Two outputs, a non-tensor argument and needs_input_grad."""

        @staticmethod
        def forward(ctx, a, b, scale):
            ctx.save_for_backward(a, b)
            ctx.scale = scale
            ctx.seen_needs = ctx.needs_input_grad
            return (a + b) * scale, a * b

        @staticmethod
        def backward(ctx, g_sum, g_prod):
            a, b = ctx.saved_tensors
            ga = g_sum * ctx.scale + g_prod * b if ctx.needs_input_grad[0] else None
            gb = g_sum * ctx.scale + g_prod * a if ctx.needs_input_grad[1] else None
            return ga, gb, None

    class SortWithIndices(m.autograd.Function):
        """A non-differentiable integer output next to a differentiable one."""

        @staticmethod
        def forward(ctx, x):
            values, idx = m.sort(x) if hasattr(m, "sort") else _np_sort(m, x)
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            ctx.x_shape = x.shape
            return values, idx

        @staticmethod
        def backward(ctx, g_values, g_idx):
            (idx,) = ctx.saved_tensors
            out = m.zeros(ctx.x_shape, dtype=g_values.dtype)
            out[idx] = g_values
            return out

    return SumAndProduct, SortWithIndices


def _np_sort(m, x):
    idx = np.argsort(x.detach().numpy(), kind="stable")
    return x[m.tensor(idx)], m.tensor(idx)


def test_two_outputs_and_needs_input_grad_match_torch():
    got = {}
    for m in (rb, torch):
        SumAndProduct, _ = _pair_classes(m)
        a = m.tensor([1.0, -2.0, 0.5], requires_grad=True)
        b = m.tensor([0.3, 0.7, -1.1])
        s, p = SumAndProduct.apply(a, b, 2.0)
        (s.sum() + (p * p).sum()).backward()
        got[m] = (s, p, a.grad, p.grad_fn is s.grad_fn)
    for r, t in zip(got[rb][:3], got[torch][:3]):
        assert_close(r, t)
    assert got[rb][3] and got[torch][3]


def test_only_one_output_used_gets_zeros_for_the_other():
    for m in (rb, torch):
        SumAndProduct, _ = _pair_classes(m)
        a = m.tensor([1.0, -2.0], requires_grad=True)
        s, p = SumAndProduct.apply(a, m.tensor([3.0, 4.0]), 1.0)
        p.sum().backward()               # g_sum arrives as zeros (materialized)
        np.testing.assert_allclose(np.asarray(a.grad.tolist()), [3.0, 4.0])


def test_non_differentiable_output_matches_torch():
    got = {}
    for m in (rb, torch):
        _, SortWithIndices = _pair_classes(m)
        x = m.tensor([0.3, -1.0, 2.0, 0.1], requires_grad=True)
        values, idx = SortWithIndices.apply(x)
        assert not idx.requires_grad and idx.grad_fn is None
        (values * m.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
        got[m] = (values, idx, x.grad)
    for r, t in zip(got[rb], got[torch]):
        assert_close(r, t)


def test_none_gradients_and_set_materialize_grads():
    seen = {}
    for m in (rb, torch):
        class Halves(m.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                ctx.set_materialize_grads(False)
                return x * 2, y * 3

            @staticmethod
            def backward(ctx, gx, gy):
                seen[m] = (gx is None, gy is None)
                return (None if gx is None else gx * 2), (None if gy is None else gy * 3)

        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = m.tensor([1.0, 2.0], requires_grad=True)
        u, v = Halves.apply(x, y)
        u.sum().backward()
        assert y.grad is None
        np.testing.assert_allclose(np.asarray(x.grad.tolist()), [2.0, 2.0])
    assert seen[rb] == seen[torch] == (False, True)


def test_returned_gradient_is_summed_to_the_input_shape_like_torch():
    for m in (rb, torch):
        class Broadcasting(m.autograd.Function):
            @staticmethod
            def forward(ctx, b):
                return b * 1.0

            @staticmethod
            def backward(ctx, g):
                return g.expand(3, 2)        # (3, 2) for an input of shape (2,)

        b = m.tensor([1.0, 2.0], requires_grad=True)
        Broadcasting.apply(b).sum().backward()
        np.testing.assert_allclose(np.asarray(b.grad.tolist()), [3.0, 3.0])


def test_wrong_number_of_gradients_is_a_clear_error():
    class TooFew(rb.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    a = rb.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"TooFewBackward returned an incorrect number of "
                                           r"gradients \(expected 2, got 1\)"):
        TooFew.apply(a, rb.tensor([2.0])).backward()


def test_save_for_backward_rejects_non_tensors_and_freed_context():
    class Bad(rb.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a, 3)
            return a

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="save_for_backward can only save tensors"):
        Bad.apply(rb.tensor([1.0], requires_grad=True))
    x = rb.tensor([0.5], requires_grad=True)
    y = Legendre.apply(x)
    ctx = y.grad_fn.ctx
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        ctx.saved_tensors


def test_setup_context_style():
    class Cube(rb.autograd.Function):
        @staticmethod
        def forward(x):
            return x ** 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    x = rb.tensor([2.0, -1.0], requires_grad=True)
    Cube.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [12.0, 3.0])


def test_returning_an_input_makes_a_new_output():
    class Identity(rb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = rb.tensor([1.0, 2.0], requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and x.grad_fn is None and y.grad_fn.name() == "IdentityBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])


def test_array_style_function_still_works():
    """The ops' own style (instance methods on arrays) is unchanged by the ctx style."""
    class Square(rb.autograd.Function):
        def forward(self, a):
            self.a = a
            return a * a

        def backward(self, g):
            return 2 * g * self.a

    x = rb.tensor([3.0], requires_grad=True)
    Square.apply(x).backward()
    assert x.grad.item() == 6.0
    assert math.isclose(Legendre.apply(rb.tensor(0.5)).item(), 0.5 * (5 * 0.125 - 1.5))


def test_saved_output_double_backward_matches_torch():
    got = {}
    for m in (rb, torch):
        class MyExp(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, g):
                (y,) = ctx.saved_tensors
                return g * y

        x = m.tensor([0.5, -1.0, 2.0], dtype=m.float64, requires_grad=True)
        y = MyExp.apply(x) * x
        (g,) = m.autograd.grad(y.sum(), x, create_graph=True)
        (h,) = m.autograd.grad((g * g).sum(), x)
        got[m] = (g, h)
    for r, t in zip(got[rb], got[torch]):
        assert_close(r, t, 1e-10, 1e-10)


def test_hooks_see_and_replace_graph_gradients():
    got = {}
    for m in (rb, torch):
        x = m.tensor([0.5, -1.0, 2.0], requires_grad=True)
        h = m.tanh(x)
        h.register_hook(lambda g: g * h)          # a hook whose result depends on x
        (g,) = m.autograd.grad((h * 3).sum(), x, create_graph=True)
        (gg,) = m.autograd.grad(g.sum(), x)
        got[m] = (g, gg)
    for r, t in zip(got[rb], got[torch]):
        assert_close(r, t)


def test_once_differentiable():
    from rosenblatt.autograd.function import once_differentiable

    class NumpyCube(rb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return rb.tensor(x.detach().numpy() ** 3)

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return rb.tensor(3 * x.detach().numpy() ** 2 * g.detach().numpy())

    x = rb.tensor([1.0, 2.0], requires_grad=True)
    NumpyCube.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 12.0])
    (g,) = rb.autograd.grad(NumpyCube.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, [3.0, 12.0])
    with pytest.raises(RuntimeError, match="once_differentiable.*cannot be differentiated again"):
        g.sum().backward()
