"""Elementwise ops: exp log sqrt trig tanh sigmoid relu clamp maximum where cast ...

Each op is a ``Function`` whose forward and backward work on raw arrays.  Ops that
only make sense on floating data (exp, log, sin, ...) turn integer/bool input into
float32 first, as PyTorch does; ops that are closed over integers (abs, relu, clamp,
floor, ...) keep the input dtype.  Rounding ops (floor/ceil/round/trunc) and sign
have a zero gradient, as in PyTorch.
"""
import math
import numbers

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .arithmetic import _broadcast_error, unbroadcast

__all__ = ["exp", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "abs", "sign", "sin", "cos",
           "tan", "tanh", "sigmoid", "relu", "clamp", "clip", "maximum", "minimum", "where",
           "square", "reciprocal", "exp2", "expm1", "floor", "ceil", "round", "trunc", "cast",
           "clone"]

_f32 = backend.xp.dtype(backend.xp.float32)
_f64 = backend.xp.dtype(backend.xp.float64)
# Types that count as numbers and arrays in argument checks (Python's and the backend's).
_array_type = backend.xp.ndarray
_number_types = (bool, int, float, backend.xp.integer, backend.xp.floating)
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _float(a):
    """Integer/bool arrays become float32 (PyTorch's result dtype for float-only ops)."""
    return a if a.dtype.kind == "f" else a.astype(_f32)


def _check(input, fname, name="input"):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}(): argument '{name}' must be a Tensor, not {type(input).__name__}")


def _shape(x):
    return getattr(x, "shape", ())


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _quiet(xp):
    # PyTorch returns inf/nan silently (log(0), 1/0, exp(1e4)); NumPy would warn.
    return xp.errstate(divide="ignore", invalid="ignore", over="ignore")


# --- exponentials and logarithms ---------------------------------------------------

class Exp(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        with _quiet(xp):
            out = xp.exp(_float(a))
        self.out = out
        return out

    def backward(self, g):
        return g * self.out

    graph_backward = backward        # arrays or Tensors alike (create_graph=True)


class Exp2(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        with _quiet(xp):
            out = xp.exp2(_float(a))
        self.out = out
        return out

    def backward(self, g):
        with _quiet(backend.get_array_module(g)):
            return g * self.out * _LN2

    graph_backward = backward


class Expm1(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        with _quiet(xp):
            out = xp.expm1(_float(a))
        self.out = out
        return out

    def backward(self, g):
        with _quiet(backend.get_array_module(g)):
            return g * (self.out + 1)

    graph_backward = backward


class Log(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        a = _float(a)
        self.a = a
        with _quiet(xp):
            return xp.log(a)

    def backward(self, g):
        with _quiet(backend.get_array_module(g)):
            return g / self.a

    graph_backward = backward


class Log1p(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        a = _float(a)
        self.a = a
        with _quiet(xp):
            return xp.log1p(a)

    def backward(self, g):
        with _quiet(backend.get_array_module(g)):
            return g / (self.a + 1)

    graph_backward = backward


class Log2(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        a = _float(a)
        self.a = a
        with _quiet(xp):
            return xp.log2(a)

    def backward(self, g):
        with _quiet(backend.get_array_module(g)):
            return g / (self.a * _LN2)

    graph_backward = backward


class Log10(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        a = _float(a)
        self.a = a
        with _quiet(xp):
            return xp.log10(a)

    def backward(self, g):
        with _quiet(backend.get_array_module(g)):
            return g / (self.a * _LN10)

    graph_backward = backward


class Sqrt(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        with _quiet(xp):
            out = xp.sqrt(_float(a))
        self.out = out
        return out

    def backward(self, g):
        with _quiet(backend.get_array_module(g)):
            return g / (2 * self.out)

    graph_backward = backward


class Rsqrt(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        a = _float(a)
        with _quiet(xp):
            out = 1 / xp.sqrt(a)
        self.out = out
        return out.astype(a.dtype, copy=False)

    def backward(self, g):
        o = self.out
        with _quiet(backend.get_array_module(g)):
            return g * (-0.5 * o * o * o)

    graph_backward = backward


class Reciprocal(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        a = _float(a)
        with _quiet(xp):
            # 1 / a rather than xp.reciprocal: the same bits, and NumPy's divide is 2x faster.
            out = xp.divide(1, a, out=backend.empty_like(a))
        self.out = out
        return out

    def backward(self, g):
        o = self.out
        with _quiet(backend.get_array_module(g)):
            return -g * o * o

    graph_backward = backward


class Square(Function):
    def forward(self, a):
        self.a = a
        return backend.get_array_module(a).square(a)

    def backward(self, g):
        return g * (2 * self.a)

    graph_backward = backward


# --- sign-like -----------------------------------------------------------------

class Abs(Function):
    def forward(self, a):
        self.a = a
        return backend.get_array_module(a).abs(a)

    def backward(self, g):
        return g * backend.get_array_module(g).sign(self.a)

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        return g * self.a.sign()


class _ZeroGrad(Function):
    """Piecewise-constant ops: PyTorch defines their gradient as zero everywhere."""
    ufunc = None        # the array module's function of that name

    def forward(self, a):
        if a.dtype.kind in "iub" and type(self) is not Sign:
            return a.copy()
        return getattr(backend.get_array_module(a), type(self).ufunc)(a)

    def backward(self, g):
        return backend.get_array_module(g).zeros_like(g)

    def graph_backward(self, g):
        return Tensor._make(backend.get_array_module(g.data).zeros_like(g.data), None, 0)


class Sign(_ZeroGrad):
    ufunc = "sign"


class Floor(_ZeroGrad):
    ufunc = "floor"


class Ceil(_ZeroGrad):
    ufunc = "ceil"


class Trunc(_ZeroGrad):
    ufunc = "trunc"


class Round(_ZeroGrad):
    def forward(self, a, decimals=0):
        if decimals == 0 and a.dtype.kind in "iub":
            return a.copy()
        return backend.get_array_module(a).round(a, decimals)   # half to even, like torch.round


# --- trigonometric / hyperbolic ----------------------------------------------------

class Sin(Function):
    def forward(self, a):
        a = _float(a)
        self.a = a
        return backend.get_array_module(a).sin(a)

    def backward(self, g):
        return g * backend.get_array_module(g).cos(self.a)

    def graph_backward(self, g):
        return g * self.a.cos()


class Cos(Function):
    def forward(self, a):
        a = _float(a)
        self.a = a
        return backend.get_array_module(a).cos(a)

    def backward(self, g):
        return g * -backend.get_array_module(g).sin(self.a)

    def graph_backward(self, g):
        return g * -self.a.sin()


class Tan(Function):
    def forward(self, a):
        out = backend.get_array_module(a).tan(_float(a))
        self.out = out
        return out

    def backward(self, g):
        o = self.out
        return g * (1 + o * o)

    graph_backward = backward


class Tanh(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        a = _float(a)
        out = xp.tanh(a, out=backend.empty_like(a))
        self.out = out
        return out

    def backward(self, g):
        xp = backend.get_array_module(g)
        o = self.out
        d = xp.multiply(o, o, out=backend.empty_like(o))   # one temporary, updated in place
        xp.subtract(1, d, out=d)
        xp.multiply(d, g, out=d)
        return d

    def graph_backward(self, g):     # the same formula on Tensors (create_graph=True)
        return g * (1 - self.out * self.out)


class Sigmoid(Function):
    """Stable logistic, 1 / (1 + exp(-x)) in four in-place passes.

    For x << 0, exp(-x) overflows to inf and 1/(1+inf) = 0, which is the correctly
    rounded float result; the overflow warning is silenced because nothing is wrong.
    The tail keeps full relative precision (sigmoid(-20) = 2.06e-9), unlike the
    0.5 + 0.5*tanh(x/2) form, and no branch or masked select is needed (a masked
    select is ~5x slower than a ufunc here).
    """

    def forward(self, a):
        xp = backend.get_array_module(a)
        if a.dtype.kind != "f":
            a = a.astype(_f32)
        out = xp.negative(a, out=backend.empty_like(a))
        with xp.errstate(over="ignore"):
            xp.exp(out, out=out)
        xp.add(out, 1, out=out)
        xp.divide(1, out, out=out)          # = reciprocal, bit for bit; 2x faster than xp.reciprocal
        self.out = out
        return out

    def backward(self, g):
        xp = backend.get_array_module(g)
        o = self.out
        d = xp.subtract(1, o, out=backend.empty_like(o))   # one temporary, updated in place
        xp.multiply(d, o, out=d)
        xp.multiply(d, g, out=d)
        return d

    def graph_backward(self, g):     # the same formula on Tensors (create_graph=True)
        return g * ((1 - self.out) * self.out)


class ReLU(Function):
    """``max(x, 0)``; the gradient is ``g`` where the output is positive, else 0.

    Zero is the first operand: maximum of two equal values returns the second, so -0.0
    stays -0.0 as in PyTorch; a NaN input gives NaN (maximum propagates NaNs) and no gradient.
    """

    def forward(self, a):
        out = backend.get_array_module(a).maximum(a.dtype.type(0), a)
        self.out = out
        return out

    def backward(self, g):
        return g * (self.out > 0)

    graph_backward = backward        # arrays or Tensors alike (create_graph=True)


# --- clamp, maximum, minimum, where --------------------------------------------------

def _bcast(fn, a, b):
    try:
        return fn(a, b)
    except ValueError as err:
        raise _broadcast_error(a, b, err) from None


class Clamp(Function):
    """``min(max(x, lo), hi)`` where ``lo``/``hi`` are scalars, arrays, or None."""

    def forward(self, a, lo, hi):
        xp = backend.get_array_module(a)
        out = a
        if lo is not None:
            out = _bcast(xp.maximum, out, lo)
        if hi is not None:
            out = _bcast(xp.minimum, out, hi)
        if out is a:
            out = a.copy()
        if a.dtype.kind in "iub" and out.dtype == _f64 and not any(
                isinstance(v, _array_type) and v.dtype == _f64 for v in (lo, hi)):
            out = out.astype(_f32)     # int tensor clamped by a Python float -> float32
        self.a, self.lo, self.hi = a, lo, hi
        return out

    def backward(self, g):
        # Masks multiply the gradient (branch-free; a where() is ~20x slower on random masks).
        na, nlo, nhi = self.needs_input_grad
        a, lo, hi = self.a, self.lo, self.hi
        ga = glo = ghi = None
        if na:
            keep = True
            if lo is not None:
                keep = a >= lo
            if hi is not None:
                keep = keep & (a <= hi)
            ga = unbroadcast(g * keep, a.shape)
        if nlo:
            m = a < lo
            if hi is not None:
                m = m & (lo < hi)      # lo > hi: the output is hi everywhere, lo gets nothing
            glo = unbroadcast(g * m, lo.shape)
        if nhi:
            m = a > hi
            if lo is not None:
                m = m | (hi < lo)
            ghi = unbroadcast(g * m, hi.shape)
        return ga, glo, ghi

    def graph_backward(self, g):     # g (a Tensor) times masks: constants, made from the arrays
        self.a, self.lo, self.hi = (_data(v) for v in (self.a, self.lo, self.hi))
        return self.backward(g)


class _MaxMin(Function):
    """``maximum``/``minimum``; on ties each input gets half the gradient (as torch)."""
    pick = None     # "maximum" / "minimum"

    def forward(self, a, b):
        out = _bcast(getattr(backend.get_array_module(a, b), type(self).pick), a, b)
        self.a, self.b = a, b
        return out

    def backward(self, g):
        # torch: each input gets g, halved on ties, zeroed where the other one won
        # (a NaN compares neither way, so both sides get the gradient).
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        a_loses, b_loses = (a < b, a > b) if type(self).pick == "maximum" else (a > b, a < b)
        half = (a == b) * 0.5
        ga = gb = None
        if na:
            ga = unbroadcast(g * (1 - half - a_loses).astype(g.dtype, copy=False), _shape(a))
        if nb:
            gb = unbroadcast(g * (1 - half - b_loses).astype(g.dtype, copy=False), _shape(b))
        return ga, gb

    def graph_backward(self, g):     # g (a Tensor) times masks: constants, made from the arrays
        self.a, self.b = _data(self.a), _data(self.b)
        return self.backward(g)


class Maximum(_MaxMin):
    pick = "maximum"


class Minimum(_MaxMin):
    pick = "minimum"


class Where(Function):
    def forward(self, cond, a, b):
        out = _where3(cond, a, b)
        self.cond = cond
        self.sa, self.sb = _shape(a), _shape(b)
        return out

    def backward(self, g):
        na, nb = self.needs_input_grad[1:]
        c = self.cond
        # g * mask rather than where(mask, g, 0): ~20x faster on random masks (no
        # branches); the two differ only where the incoming gradient is itself inf/nan.
        ga = unbroadcast(g * c, self.sa) if na else None
        gb = unbroadcast(g * ~c, self.sb) if nb else None
        return None, ga, gb

    graph_backward = backward        # arrays or Tensors alike (create_graph=True)


def _where3(cond, a, b):
    try:
        out = backend.get_array_module(cond).where(cond, a, b)
    except ValueError:
        shapes = ", ".join(str(tuple(_shape(x))) for x in (cond, a, b))
        raise RuntimeError(f"where: condition, input and other of shapes {shapes} cannot be "
                           f"broadcast together") from None
    # Tensor with a Python float: keep the tensor's dtype (int tensor -> float32).
    if out.dtype == _f64 and not any(isinstance(x, _array_type) and x.dtype == _f64
                                     for x in (a, b)):
        out = out.astype(_f32)
    return out


# --- dtype change and copy ---------------------------------------------------------

class Cast(Function):
    def forward(self, a, dtype):
        self.in_dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g):
        return g.astype(self.in_dtype, copy=False)

    def graph_backward(self, g):
        return g.to(self.in_dtype)


class Clone(Function):
    def forward(self, a):
        return a.copy()

    def backward(self, g):
        return g

    graph_backward = backward


# --- public functions ----------------------------------------------------------------

def exp(input):
    _check(input, "exp")
    return Exp.apply(input)


def exp2(input):
    _check(input, "exp2")
    return Exp2.apply(input)


def expm1(input):
    _check(input, "expm1")
    return Expm1.apply(input)


def log(input):
    _check(input, "log")
    return Log.apply(input)


def log1p(input):
    _check(input, "log1p")
    return Log1p.apply(input)


def log2(input):
    _check(input, "log2")
    return Log2.apply(input)


def log10(input):
    _check(input, "log10")
    return Log10.apply(input)


def sqrt(input):
    _check(input, "sqrt")
    return Sqrt.apply(input)


def rsqrt(input):
    _check(input, "rsqrt")
    return Rsqrt.apply(input)


def reciprocal(input):
    _check(input, "reciprocal")
    return Reciprocal.apply(input)


def square(input):
    _check(input, "square")
    return Square.apply(input)


def abs(input):
    _check(input, "abs")
    return Abs.apply(input)


def sign(input):
    _check(input, "sign")
    return Sign.apply(input)


def floor(input):
    _check(input, "floor")
    return Floor.apply(input)


def ceil(input):
    _check(input, "ceil")
    return Ceil.apply(input)


def trunc(input):
    _check(input, "trunc")
    return Trunc.apply(input)


def round(input, decimals=0):
    _check(input, "round")
    if not isinstance(decimals, numbers.Integral) or isinstance(decimals, bool):
        raise TypeError(f"round(): argument 'decimals' must be int, not {type(decimals).__name__}")
    return Round.apply(input, decimals=int(decimals))


def sin(input):
    _check(input, "sin")
    return Sin.apply(input)


def cos(input):
    _check(input, "cos")
    return Cos.apply(input)


def tan(input):
    _check(input, "tan")
    return Tan.apply(input)


def tanh(input):
    return Tanh.apply(input)


def sigmoid(input):
    return Sigmoid.apply(input)


def relu(input, inplace=False):
    """``max(x, 0)``; ``inplace=True`` writes the result into ``input`` (``input.relu_()``)."""
    if getattr(input, "dtype", None) == backend.xp.bool_:
        raise RuntimeError("relu(): input must be a number tensor, got dtype bool (PyTorch "
                           "refuses it too); convert it first, e.g. input.float()")
    if inplace:
        from .inplace import apply_
        return apply_(input, relu)
    return backend.dispatch("relu", ReLU.apply, input)


def _bound(v, name):
    if v is None or isinstance(v, Tensor):
        return v
    if isinstance(v, _number_types):
        return v
    if isinstance(v, _array_type):
        return Tensor._make(v, None, 0)
    raise TypeError(f"clamp(): argument '{name}' must be a number, a Tensor or None, "
                    f"not {type(v).__name__}")


def clamp(input, min=None, max=None):
    """Clamp into ``[min, max]``; bounds may be numbers or (broadcastable) tensors."""
    _check(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("clamp(): at least one of 'min' or 'max' must not be None")
    return Clamp.apply(input, _bound(min, "min"), _bound(max, "max"))


clip = clamp


def _operand(x, fname, name):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, _number_types + (_array_type,)):
        return Tensor._make(backend.as_array(x), None, 0)
    raise TypeError(f"{fname}(): argument '{name}' must be a Tensor or a number, "
                    f"not {type(x).__name__}")


def maximum(input, other):
    """Elementwise maximum with broadcasting; ties split the gradient 0.5/0.5."""
    return Maximum.apply(_operand(input, "maximum", "input"), _operand(other, "maximum", "other"))


def minimum(input, other):
    """Elementwise minimum with broadcasting; ties split the gradient 0.5/0.5."""
    return Minimum.apply(_operand(input, "minimum", "input"), _operand(other, "minimum", "other"))


def where(condition, input=None, other=None):
    """``input`` where ``condition`` is True, else ``other`` (either may be a scalar).

    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``.  The Tensor
    method ``x.where(condition, y)`` is ``where(condition, x, y)``, as in torch.
    """
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' must be a bool Tensor, "
                        f"not {type(condition).__name__}")
    if condition.dtype != backend.xp.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype}")
    if input is None and other is None:
        xp = backend.get_array_module(condition.data)
        return tuple(Tensor._make(i.astype(xp.int64), None, 0) for i in xp.nonzero(condition.data))
    if input is None or other is None:
        raise TypeError("where(): pass both 'input' and 'other' (or neither)")
    for v, name in ((input, "input"), (other, "other")):
        if not isinstance(v, (Tensor,) + _number_types):
            raise TypeError(f"where(): argument '{name}' must be a Tensor or a number, "
                            f"not {type(v).__name__}")
    return Where.apply(condition.data, input, other)


def cast(input, dtype):
    """Differentiable dtype change (``.float()``, ``.double()``, ``.to(dtype)``).

    Floating -> floating keeps the graph (the gradient is cast back); a non-floating
    target cuts it.  Casting to the tensor's own dtype returns the tensor itself.
    """
    _check(input, "cast")
    try:
        dtype = backend.xp.dtype(dtype)
    except TypeError:
        raise TypeError(f"cast(): 'dtype' must be a dtype (e.g. rosenblatt.float32), "
                        f"got {dtype!r}") from None
    if dtype == input.dtype:
        return input
    if dtype.kind != "f" or input.dtype.kind != "f":
        return Tensor._make(input.data.astype(dtype), None, 0)
    return Cast.apply(input, dtype=dtype)


def clone(input):
    _check(input, "clone")
    return Clone.apply(input)
