"""gradcheck passes on correct ops, fails on a wrong one, and insists on float64."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.autograd import Function, gradcheck


def f64(*shape, seed=0):
    return rb.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=rb.float64,
                     requires_grad=True)


class WrongSquare(Function):
    """forward x**2 with a deliberately wrong backward (x instead of 2x)."""

    def forward(self, a):
        self.a = a
        return a * a

    def backward(self, g):
        return g * self.a


class RightSquare(WrongSquare):
    def backward(self, g):
        return 2 * g * self.a


@pytest.mark.parametrize("fn,shapes", [
    (lambda a, b: a * b + a, [(2, 3), (2, 3)]),
    (lambda a, b: a / (b * b + 1.0), [(3,), (2, 3)]),              # broadcasting
    (lambda a, b: a @ b, [(2, 3), (3, 4)]),
    (lambda a, b: a @ b, [(3,), (3,)]),
    (lambda a, b: rb.matmul(a, b), [(2, 2, 3), (3, 2)]),
    (lambda a: (a * a + 1.0) ** 1.5, [(4,)]),
    (lambda a: 2.0 - a / 3.0, [(2, 2)]),
    (lambda a: -a, [(3,)]),
    (lambda a: RightSquare.apply(a), [(3,)]),
])
def test_gradcheck_passes_on_correct_ops(fn, shapes):
    assert gradcheck(fn, [f64(*s, seed=i) for i, s in enumerate(shapes)])


def test_gradcheck_fails_on_a_wrong_backward():
    x = f64(3)
    with pytest.raises(AssertionError, match="gradcheck failed"):
        gradcheck(lambda a: WrongSquare.apply(a), [x])
    assert gradcheck(lambda a: WrongSquare.apply(a), [x], raise_exception=False) is False


def test_gradcheck_random_directions_path():
    # Large problems switch to random directional derivatives; they still catch a wrong op.
    x = f64(200)
    assert gradcheck(lambda a: RightSquare.apply(a), [x], n_directions=3)
    assert gradcheck(lambda a: WrongSquare.apply(a), [x], n_directions=3, raise_exception=False) is False
    w = f64(150, 150, seed=1)
    assert gradcheck(lambda a: a @ a, [w])                       # n_in * n_out > 20000 -> directions


def test_gradcheck_requires_float64_and_grad():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda a: a * 2, [rb.randn(3, requires_grad=True)])
    with pytest.raises(ValueError, match="requires grad"):
        gradcheck(lambda a: a * 2, [rb.randn(3, dtype=rb.float64)])


def test_gradcheck_zero_dim_input_and_non_tensor_args():
    s = rb.tensor(0.7, dtype=rb.float64, requires_grad=True)
    assert gradcheck(lambda a, k: a * a * k, [s, 3.0])
    assert s.shape == ()
