"""Comparisons and logical ops: bool results with broadcasting, no gradient.

``eq ne lt le gt ge`` take a tensor and a tensor or a number; ``isnan isinf
isfinite logical_not logical_and logical_or`` follow PyTorch (any dtype in, bool out).
"""
import numbers

from .. import backend
from ..autograd.tensor import Tensor
from .arithmetic import _broadcast_error

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "isnan", "isinf", "isfinite", "logical_not",
           "logical_and", "logical_or"]

# Python's numbers and the array module's scalars.  (Not numbers.Real: that admits Fraction,
# which NumPy's ufuncs cannot compare to a float array.)
_NUMBER = (bool, int, float, numbers.Integral, backend.xp.floating, backend.xp.bool_)


def _raw(x, fname, name):
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, _NUMBER) or backend.is_array(x):
        return x
    if isinstance(x, (list, tuple)):
        return backend.xp.asarray(x)
    raise TypeError(f"{fname}(): argument '{name}' must be a Tensor or a number, "
                    f"not {type(x).__name__}")


def _bool(x, xp):
    return Tensor._make(xp.asarray(x), None, 0)     # a 0-d result comes back as a scalar


def _compare(name, fname, input, other):
    a = _raw(input, fname, "input")
    b = _raw(other, fname, "other")
    xp = backend.get_array_module(a, b)
    try:
        out = getattr(xp, name)(a, b)
    except ValueError as err:
        raise _broadcast_error(a, b, err) from None
    return _bool(out, xp)


def eq(input, other):
    """``input == other`` elementwise (bool).  Comparing with None gives False, like torch."""
    if other is None:
        return False
    return _compare("equal", "eq", input, other)


def ne(input, other):
    if other is None:
        return True
    return _compare("not_equal", "ne", input, other)


def lt(input, other):
    return _compare("less", "lt", input, other)


def le(input, other):
    return _compare("less_equal", "le", input, other)


def gt(input, other):
    return _compare("greater", "gt", input, other)


def ge(input, other):
    return _compare("greater_equal", "ge", input, other)


def isnan(input):
    a = _raw(input, "isnan", "input")
    xp = backend.get_array_module(a)
    return _bool(xp.isnan(a), xp)


def isinf(input):
    a = _raw(input, "isinf", "input")
    xp = backend.get_array_module(a)
    return _bool(xp.isinf(a), xp)


def isfinite(input):
    a = _raw(input, "isfinite", "input")
    xp = backend.get_array_module(a)
    return _bool(xp.isfinite(a), xp)


def logical_not(input):
    a = _raw(input, "logical_not", "input")
    xp = backend.get_array_module(a)
    return _bool(xp.logical_not(a), xp)


def logical_and(input, other):
    return _compare("logical_and", "logical_and", input, other)


def logical_or(input, other):
    return _compare("logical_or", "logical_or", input, other)
