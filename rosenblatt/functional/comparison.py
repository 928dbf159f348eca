"""Comparisons and logical ops: bool results with broadcasting, no gradient.

``eq ne lt le gt ge`` take a tensor and a tensor or a number; ``isnan isinf
isfinite logical_not logical_and logical_or`` follow PyTorch (any dtype in, bool out).
"""
import numpy as np

from ..autograd.tensor import Tensor
from .arithmetic import _broadcast_error

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "isnan", "isinf", "isfinite", "logical_not",
           "logical_and", "logical_or"]

_NUMBER = (bool, int, float, np.integer, np.floating, np.bool_)


def _raw(x, fname, name):
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, _NUMBER) or isinstance(x, np.ndarray):
        return x
    if isinstance(x, (list, tuple)):
        return np.asarray(x)
    raise TypeError(f"{fname}(): argument '{name}' must be a Tensor or a number, "
                    f"not {type(x).__name__}")


def _bool(x):
    return Tensor._make(np.asarray(x), None, 0)


def _compare(ufunc, fname, input, other):
    a = _raw(input, fname, "input")
    b = _raw(other, fname, "other")
    try:
        out = ufunc(a, b)
    except ValueError as err:
        raise _broadcast_error(a, b, err) from None
    return _bool(out)


def eq(input, other):
    """``input == other`` elementwise (bool).  Comparing with None gives False, like torch."""
    if other is None:
        return False
    return _compare(np.equal, "eq", input, other)


def ne(input, other):
    if other is None:
        return True
    return _compare(np.not_equal, "ne", input, other)


def lt(input, other):
    return _compare(np.less, "lt", input, other)


def le(input, other):
    return _compare(np.less_equal, "le", input, other)


def gt(input, other):
    return _compare(np.greater, "gt", input, other)


def ge(input, other):
    return _compare(np.greater_equal, "ge", input, other)


def isnan(input):
    return _bool(np.isnan(_raw(input, "isnan", "input")))


def isinf(input):
    return _bool(np.isinf(_raw(input, "isinf", "input")))


def isfinite(input):
    return _bool(np.isfinite(_raw(input, "isfinite", "input")))


def logical_not(input):
    return _bool(np.logical_not(_raw(input, "logical_not", "input")))


def logical_and(input, other):
    return _compare(np.logical_and, "logical_and", input, other)


def logical_or(input, other):
    return _compare(np.logical_or, "logical_or", input, other)
