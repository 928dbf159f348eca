"""Comparing whole tensors: isclose allclose equal (no gradient)."""
from .. import backend
from ..autograd.tensor import Tensor

__all__ = ["isclose", "allclose", "equal"]

_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
          "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _check_pair(input, other, fname):
    for name, t in (("input", input), ("other", other)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fname}(): argument '{name}' must be a Tensor, not {type(t).__name__}")


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (broadcast), a bool tensor.
    Both tensors must have the same dtype, as in torch; NaNs are equal only with ``equal_nan``."""
    _check_pair(input, other, "isclose")
    if input.dtype != other.dtype:
        a, b = (_NAMES.get(str(t.dtype), str(t.dtype)) for t in (input, other))
        raise RuntimeError(f"{a} did not match {b}")
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose(): rtol and atol must be non-negative, got rtol={rtol}, atol={atol}")
    xp = backend.get_array_module(input.data)
    return Tensor._make(xp.isclose(input.data, other.data, rtol=rtol, atol=atol, equal_nan=equal_nan),
                        None, 0)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``True`` when every element is :func:`isclose` (a Python bool)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).data.all())


def equal(input, other):
    """``True`` when both tensors have the same shape and the same values (a Python bool;
    dtypes may differ, NaN is never equal)."""
    _check_pair(input, other, "equal")
    if input.shape != other.shape:
        return False
    return bool(backend.get_array_module(input.data).array_equal(input.data, other.data))
