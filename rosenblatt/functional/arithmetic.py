"""Arithmetic with NumPy broadcasting: add sub mul div neg pow matmul.

Broadcasting copies an input along new or size-1 axes, so its gradient is the
sum of the output gradient over those axes (:func:`unbroadcast`).
"""
import math

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor

__all__ = ["add", "sub", "rsub", "mul", "div", "rdiv", "true_divide", "neg", "pow", "rpow",
           "matmul", "mm", "bmm", "floor_divide", "remainder", "unbroadcast"]

_f64 = backend.xp.dtype(backend.xp.float64)
_f32 = backend.xp.dtype(backend.xp.float32)
# Type tests on the hot path of every binary op: the backend's array and scalar types.
_array_type = backend.xp.ndarray
_scalar_type = backend.xp.generic


def unbroadcast(g, shape):
    """Sum ``g`` down to ``shape`` (undoing NumPy broadcasting)."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and g.shape[i + lead] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)     # NumPy's names, which Tensor.sum takes too (as torch)
    return g.reshape(shape)


def _shape(x):
    return getattr(x, "shape", ())


def _broadcast_error(a, b, err):
    sa, sb = _shape(a), _shape(b)
    return RuntimeError(f"shapes {tuple(sa)} and {tuple(sb)} cannot be broadcast together "
                        f"(each dimension must match or be 1, aligned from the right)")


def _ufunc(ufunc, a, b):
    return ufunc(a, b)


def _binary(ufunc, a, b):
    """``ufunc(a, b)`` with PyTorch's result dtype and error messages (every binary op and
    its backward come here).  Large operands go through the "binary_ufunc" kernel, which may
    write the result into a recycled buffer; small ones skip the dispatch, the common case."""
    try:
        if (type(a) is _array_type and a.size > 4096) or (type(b) is _array_type and b.size > 4096):
            out = backend.dispatch("binary_ufunc", _ufunc, ufunc, a, b)
        else:
            out = ufunc(a, b)
    except ValueError as err:
        raise _broadcast_error(a, b, err) from None
    except TypeError:
        raise TypeError(f"unsupported operand types for {ufunc.__name__}: "
                        f"{_describe(a)} and {_describe(b)}") from None
    # PyTorch: int tensor (op) Python float -> float32, not NumPy's float64.
    if out.dtype is _f64 and not (getattr(a, "dtype", None) is _f64 or getattr(b, "dtype", None) is _f64) \
            and (isinstance(a, _array_type) or isinstance(b, _array_type)):
        out = out.astype(_f32)
    return out


def _describe(x):
    return f"array{tuple(x.shape)} of {x.dtype}" if hasattr(x, "dtype") else type(x).__name__


class Add(Function):
    """``a + b``; each gradient is ``g`` summed back to its input's shape."""

    def forward(self, a, b):
        if self.needs_input_grad[0] or self.needs_input_grad[1]:
            self.sa, self.sb = _shape(a), _shape(b)
        return _binary(backend.get_array_module(a, b).add, a, b)

    def backward(self, g):
        na, nb = self.needs_input_grad
        return (unbroadcast(g, self.sa) if na else None,
                unbroadcast(g, self.sb) if nb else None)

    graph_backward = backward        # arrays or Tensors alike (create_graph=True)


class Sub(Function):
    """``a - b``; gradients ``g`` and ``-g``, summed back to each input's shape."""

    def forward(self, a, b):
        if self.needs_input_grad[0] or self.needs_input_grad[1]:
            self.sa, self.sb = _shape(a), _shape(b)
        return _binary(backend.get_array_module(a, b).subtract, a, b)

    def backward(self, g):
        na, nb = self.needs_input_grad
        return (unbroadcast(g, self.sa) if na else None,
                unbroadcast(-g, self.sb) if nb else None)

    graph_backward = backward


class Mul(Function):
    """``a * b``; d/da = ``g * b``, d/db = ``g * a`` (each saved only if the other needs it)."""

    def forward(self, a, b):
        na, nb = self.needs_input_grad
        if na or nb:
            self.a = a if nb else None
            self.b = b if na else None
            self.sa, self.sb = _shape(a), _shape(b)
        return _binary(backend.get_array_module(a, b).multiply, a, b)

    def backward(self, g):
        na, nb = self.needs_input_grad
        mul = backend.get_array_module(g).multiply
        return (unbroadcast(_binary(mul, g, self.b), self.sa) if na else None,
                unbroadcast(_binary(mul, g, self.a), self.sb) if nb else None)

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        na, nb = self.needs_input_grad
        return (unbroadcast(g * self.b, self.sa) if na else None,
                unbroadcast(g * self.a, self.sb) if nb else None)


class Div(Function):
    """``a / b`` (integer inputs give float32); d/da = ``g / b``, d/db = ``-g * out / b``."""

    def forward(self, a, b):
        out = _binary(backend.get_array_module(a, b).true_divide, a, b)
        if not backend.is_floating(out.dtype):
            out = out.astype(_f32)
        self.b, self.out = b, out
        self.sa, self.sb = _shape(a), _shape(b)
        return out

    def backward(self, g):
        na, nb = self.needs_input_grad
        gb = g / self.b
        return (unbroadcast(gb, self.sa) if na else None,
                unbroadcast(-gb * self.out, self.sb) if nb else None)

    graph_backward = backward


class Neg(Function):
    def forward(self, a):
        return backend.get_array_module(a).negative(a)

    def backward(self, g):
        return -g

    graph_backward = backward


class Pow(Function):
    """``a ** b`` for a tensor or scalar exponent ``b``: d/da = ``g * b * a**(b-1)``,
    d/db = ``g * out * log(a)``."""

    def forward(self, a, b):
        out = _binary(backend.get_array_module(a, b).power, a, b)
        self.a, self.b, self.out = a, b, out
        self.sa, self.sb = _shape(a), _shape(b)
        return out

    def backward(self, g):
        xp = backend.get_array_module(g)
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        ga = gb = None
        if na:
            if isinstance(b, (int, float)) and b == 2:
                ga = g * (2 * a)
            else:
                ga = unbroadcast(g * b * xp.power(a, b - 1), self.sa)
        if nb:
            with xp.errstate(divide="ignore", invalid="ignore"):
                # PyTorch's convention: d(0**b)/db = 0 where a == 0 and b >= 0.
                loga = xp.where(a == 0, 0.0, xp.log(xp.where(a == 0, 1, a))).astype(self.out.dtype)
            gb = unbroadcast(g * self.out * loga, self.sb)
        return ga, gb

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        ga = unbroadcast(g * b * a ** (b - 1), self.sa) if na else None
        gb = None
        if nb:
            if isinstance(a, Tensor):
                loga = a.masked_fill(a == 0, 1).log()        # 0 where a == 0 (PyTorch's convention)
            else:
                loga = math.log(a) if a > 0 else (0.0 if a == 0 else math.nan)
            gb = unbroadcast(g * self.out * loga, self.sb)
        return ga, gb


def _mat_error(a, b):
    sa, sb = _shape(a), _shape(b)
    if len(sa) == 2 and len(sb) == 2:
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                            f"({sa[0]}x{sa[1]} and {sb[0]}x{sb[1]})")
    return RuntimeError(f"matmul: shapes {tuple(sa)} and {tuple(sb)} are not compatible (the last "
                        f"dimension of the first must equal the second-to-last of the second, and "
                        f"batch dimensions must broadcast)")


class MatMul(Function):
    """``a @ b`` (1-D, 2-D or batched): d/da = ``g @ b^T``, d/db = ``a^T @ g``, with batch
    dimensions summed back where they were broadcast."""

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                               f"{tuple(a.shape)} and {tuple(b.shape)}")
        try:
            out = backend.get_array_module(a, b).matmul(a, b)
        except ValueError:
            raise _mat_error(a, b) from None
        self.a, self.b = a, b
        return out

    def backward(self, g):
        a, b = self.a, self.b
        na, nb = self.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:
            return (g @ b.T if na else None), (a.T @ g if nb else None)
        # Promote 1-D operands as matmul does, then undo it on the gradients.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if b.ndim == 1:                  # restore the dropped column axis first (g may be 0-d)
            g2 = g2[..., None]
        if a.ndim == 1:
            g2 = g2[..., None, :]
        ga = gb = None
        if na:
            ga = unbroadcast(g2 @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape)
        if nb:
            gb = unbroadcast(a2.swapaxes(-1, -2) @ g2, b2.shape).reshape(b.shape)
        return ga, gb

    graph_backward = backward


def _tensor_or_scalar(x, name):
    if isinstance(x, (Tensor, int, float, _array_type, _scalar_type)):
        return x
    raise TypeError(f"{name} must be a Tensor or a number, got {type(x).__name__}")


def add(input, other, alpha=1):
    """``input + alpha * other`` with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return Add.apply(input, other)


def sub(input, other, alpha=1):
    if alpha != 1:
        other = mul(other, alpha)
    return Sub.apply(input, other)


def rsub(input, other):
    """``other - input``."""
    return Sub.apply(_tensor_or_scalar(other, "other"), input)


def mul(input, other):
    return Mul.apply(input, other)


def div(input, other, rounding_mode=None):
    if rounding_mode is not None:
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")
        a = input.data if isinstance(input, Tensor) else input
        b = other.data if isinstance(other, Tensor) else other
        xp = backend.get_array_module(a, b)
        fn = xp.floor if rounding_mode == "floor" else xp.trunc
        out = fn(xp.true_divide(a, b))
        dt = xp.result_type(a, b) if not backend.is_floating(xp.result_type(a, b)) else out.dtype
        return Tensor._make(out.astype(dt), None, 0)
    return Div.apply(input, other)


true_divide = div


def rdiv(input, other):
    """``other / input``."""
    return Div.apply(_tensor_or_scalar(other, "other"), input)


def neg(input):
    return Neg.apply(input)


def pow(input, exponent):
    return Pow.apply(input, _tensor_or_scalar(exponent, "exponent"))


def rpow(input, other):
    """``other ** input`` (a scalar base)."""
    return Pow.apply(_tensor_or_scalar(other, "base"), input)


def matmul(input, other):
    """Matrix product with NumPy/PyTorch rules: 1-D, 2-D and batched (broadcast batch dims)."""
    if not isinstance(input, Tensor):
        input = Tensor(input, dtype=getattr(input, "dtype", None))     # an array keeps its dtype
    if not isinstance(other, Tensor):
        other = Tensor(other, dtype=getattr(other, "dtype", None))
    if input.dtype != other.dtype:              # PyTorch raises; NumPy would silently promote
        raise RuntimeError(f"matmul(): expected m1 and m2 to have the same dtype, but got: "
                           f"{input.dtype} != {other.dtype}")
    return backend.dispatch("matmul", MatMul.apply, input, other)


def mm(input, mat2):
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: both arguments must be 2-D, got shapes {tuple(input.shape)} "
                           f"and {tuple(mat2.shape)}")
    return backend.dispatch("matmul", MatMul.apply, input, mat2)


def bmm(input, mat2):
    if input.ndim != 3 or mat2.ndim != 3 or input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm: expected 3-D tensors with equal batch size, got shapes "
                           f"{tuple(input.shape)} and {tuple(mat2.shape)}")
    return backend.dispatch("matmul", MatMul.apply, input, mat2)


def floor_divide(input, other):
    """``input // other`` (no gradient, as in PyTorch)."""
    a = input.data if isinstance(input, Tensor) else input
    b = other.data if isinstance(other, Tensor) else other
    return Tensor._make(backend.get_array_module(a, b).floor_divide(a, b), None, 0)


def remainder(input, other):
    """Python-style modulus; gradient flows to ``input`` only (as in PyTorch)."""
    b = other.data if isinstance(other, Tensor) else other
    return sub(input, mul(floor_divide(input.detach(), b), b))
