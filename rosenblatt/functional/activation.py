"""Activations beyond the elementwise basics: leaky_relu elu gelu silu softplus hardtanh relu6
softmax log_softmax.

(``sigmoid``, ``tanh`` and ``relu`` live in :mod:`.elementwise`.)  Each op is one
fused ``Function``: forward and backward on raw arrays, nothing intermediate in
the graph.  ``softmax``/``log_softmax`` subtract the row maximum first, so
logits of +-1e4 stay finite.
"""
import math
import numbers
import warnings

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor

__all__ = ["leaky_relu", "elu", "gelu", "silu", "softplus", "hardtanh", "relu6", "softmax",
           "log_softmax", "softmin", "logsigmoid", "erf_array"]


def apply_(input, op, *args):
    """``inplace=True``: ``op``'s result written into ``input`` (functional/inplace.py)."""
    from .inplace import apply_ as write_back
    return write_back(input, op, *args)


def _check_tensor(x, fn, name="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be a Tensor, got {type(x).__name__}")
    if not backend.is_floating(x.dtype):
        raise TypeError(f"{fn}(): argument '{name}' must be a floating point Tensor, got {x.dtype}")


def _sigmoid(x):
    """Logistic function, overflow-free (via tanh)."""
    return 0.5 * (1.0 + backend.get_array_module(x).tanh(0.5 * x))


# -- erf (needed by the exact GELU; NumPy has none) ---------------------------------------
# |x| < 3: Maclaurin series, evaluated by Horner in x^2 (terms of alternating sign; a
# 3-digit cancellation at |x| = 3 leaves ~1e-13 accuracy).  |x| >= 3: erfc via the
# continued fraction  erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
# evaluated bottom-up at a fixed depth (it converges fast for x >= 3).
_SERIES_N = 60
_SERIES_C = [(-1.0) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(_SERIES_N)]
_CF_DEPTH = 60


def erf_array(x):
    """The error function of a float array (float64-accurate, ~1e-13)."""
    xp = backend.get_array_module(x)
    x = xp.asarray(x)
    dt = x.dtype if backend.is_floating(x.dtype) else xp.dtype(xp.float64)
    xd = x.astype(xp.float64)
    out = xp.empty_like(xd)
    ax = xp.abs(xd)
    small = ax < 3.0
    if small.any():
        xs = xd[small]
        z = xs * xs
        acc = xp.full_like(xs, _SERIES_C[-1])
        for c in _SERIES_C[-2::-1]:
            acc = acc * z + c
        out[small] = (2.0 / math.sqrt(math.pi)) * xs * acc
    big = ~small
    if big.any():
        xb = ax[big]
        frac = xp.zeros_like(xb)
        for k in range(_CF_DEPTH, 0, -1):
            frac = (k / 2.0) / (xb + frac)
        erfc = xp.exp(-xb * xb) / math.sqrt(math.pi) / (xb + frac)
        out[big] = xp.sign(xd[big]) * (1.0 - erfc)
    return out.astype(dt, copy=False)


# -- pointwise activations ------------------------------------------------------------------
class LeakyReLU(Function):
    def forward(self, x, negative_slope):
        xp = backend.get_array_module(x)
        self.pos = x > 0
        self.slope = negative_slope
        return xp.where(self.pos, x, x * negative_slope)

    def backward(self, g):
        xp = backend.get_array_module(g)
        return xp.where(self.pos, g, g * self.slope), None

    def graph_backward(self, g):     # on Tensors: g times each element's (constant) slope
        slope = backend.get_array_module(self.pos).where(self.pos, 1.0, self.slope)
        return g * slope.astype(g.dtype), None


class ELU(Function):
    def forward(self, x, alpha):
        xp = backend.get_array_module(x)
        self.x, self.alpha = x, alpha
        return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))

    def backward(self, g):
        xp = backend.get_array_module(g)
        x = self.x
        return xp.where(x > 0, g, g * (self.alpha * xp.exp(xp.minimum(x, 0)))), None

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        x = self.x
        neg = x.clamp(max=0)
        return g * (x > 0) + g * (self.alpha * neg.exp()) * (x <= 0), None


_SQRT_2_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)


class GELU(Function):
    def forward(self, x, approximate):
        xp = backend.get_array_module(x)
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            self.t = xp.tanh(_SQRT_2_PI * (x + 0.044715 * x * x * x))
            return 0.5 * x * (1.0 + self.t)
        self.cdf = 0.5 * (1.0 + erf_array(x * _INV_SQRT2))
        return x * self.cdf

    def backward(self, g):
        xp = backend.get_array_module(g)
        x = self.x
        if self.approximate == "tanh":
            t = self.t
            dinner = _SQRT_2_PI * (1.0 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dinner), None
        pdf = _INV_SQRT_2PI * xp.exp(-0.5 * x * x)
        return g * (self.cdf + x * pdf), None

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        x = self.x
        if self.approximate == "tanh":
            t = (_SQRT_2_PI * (x + 0.044715 * x * x * x)).tanh()
            dinner = _SQRT_2_PI * (1.0 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dinner), None
        return g * (NormalCDF.apply(x) + x * _normal_pdf(x)), None


def _normal_pdf(x):
    return _INV_SQRT_2PI * (-0.5 * x * x).exp()


class NormalCDF(Function):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, the exact GELU's gate, as an op (for its
    differentiable backward); d Phi / dx = the normal density."""

    def forward(self, x):
        self.x = x
        return 0.5 * (1.0 + erf_array(x * _INV_SQRT2))

    def backward(self, g):
        return g * (_INV_SQRT_2PI * backend.get_array_module(g).exp(-0.5 * self.x * self.x))

    def graph_backward(self, g):
        return g * _normal_pdf(self.x)


class SiLU(Function):
    def forward(self, x):
        self.x = x
        self.s = _sigmoid(x)
        return x * self.s

    def backward(self, g):
        s = self.s
        return g * (s * (1.0 + self.x * (1.0 - s)))

    def graph_backward(self, g):     # on Tensors, sigmoid(x) recomputed from x (create_graph=True)
        s = self.x.sigmoid()
        return g * (s * (1.0 + self.x * (1.0 - s)))


class Softplus(Function):
    def forward(self, x, beta, threshold):
        xp = backend.get_array_module(x)
        bx = x * beta
        self.lin = bx > threshold
        self.bx = bx
        out = xp.logaddexp(xp.zeros((), x.dtype), bx)
        if beta != 1:
            out = out / beta
        return xp.where(self.lin, x, out).astype(x.dtype, copy=False)

    def backward(self, g):
        xp = backend.get_array_module(g)
        return xp.where(self.lin, g, g * _sigmoid(self.bx)), None, None

    def graph_backward(self, g):     # on Tensors, sigmoid(beta x) recomputed from x
        x, beta = self.inputs[:2]
        return g * (x * beta).sigmoid().masked_fill(self.lin, 1), None, None


class Hardtanh(Function):
    def forward(self, x, min_val, max_val):
        xp = backend.get_array_module(x)
        self.inside = (x > min_val) & (x < max_val)
        return xp.clip(x, min_val, max_val)

    def backward(self, g):
        xp = backend.get_array_module(g)
        return xp.where(self.inside, g, xp.zeros((), g.dtype)), None, None

    def graph_backward(self, g):     # g times the (constant) mask, on Tensors
        return g * self.inside, None, None


def leaky_relu(input, negative_slope=0.01, inplace=False):
    _check_tensor(input, "leaky_relu")
    if inplace:
        return apply_(input, leaky_relu, negative_slope)
    return LeakyReLU.apply(input, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    _check_tensor(input, "elu")
    if inplace:
        return apply_(input, elu, alpha)
    return ELU.apply(input, alpha)


def gelu(input, approximate="none"):
    _check_tensor(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate)


def silu(input, inplace=False):
    _check_tensor(input, "silu")
    if inplace:
        return apply_(input, silu)
    return SiLU.apply(input)


def softplus(input, beta=1.0, threshold=20.0):
    _check_tensor(input, "softplus")
    return Softplus.apply(input, beta, threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    _check_tensor(input, "hardtanh")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    if inplace:
        return apply_(input, hardtanh, min_val, max_val)
    return Hardtanh.apply(input, min_val, max_val)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def logsigmoid(input):
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large |x|."""
    _check_tensor(input, "logsigmoid")
    return LogSigmoid.apply(input)


class LogSigmoid(Function):
    def forward(self, x):
        xp = backend.get_array_module(x)
        self.x = x
        return -xp.logaddexp(xp.zeros((), x.dtype), -x)

    def backward(self, g):
        return g * _sigmoid(-self.x)

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        return g * (-self.x).sigmoid()


# -- softmax family -------------------------------------------------------------------------
def _softmax_dim(input, dim, fn):
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {fn} has been deprecated. "
                      f"Change the call to include dim=X as an argument.", stacklevel=3)
        dim = 0 if input.ndim in (0, 1, 3) else 1
    n = max(input.ndim, 1)
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"{fn}(): dim must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(f"{fn}(): Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return int(dim) % n


class Softmax(Function):
    def forward(self, x, dim):
        xp = backend.get_array_module(x)
        if x.ndim == 0:
            self.out = xp.ones_like(x)
            self.dim = None
            return self.out
        e = xp.exp(x - x.max(axis=dim, keepdims=True))
        e /= e.sum(axis=dim, keepdims=True)
        self.out, self.dim = e, dim
        return e

    def backward(self, g):
        xp = backend.get_array_module(g)
        y = self.out
        if self.dim is None:
            return xp.zeros_like(g), None
        return y * (g - (g * y).sum(axis=self.dim, keepdims=True)), None

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        if self.dim is None:
            return g * 0, None
        y = self.out
        return y * (g - (g * y).sum(self.dim, keepdim=True)), None


class LogSoftmax(Function):
    def forward(self, x, dim):
        xp = backend.get_array_module(x)
        if x.ndim == 0:
            self.out, self.dim = xp.zeros_like(x), None
            return self.out
        shifted = x - x.max(axis=dim, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        self.out, self.dim = out, dim
        return out

    def backward(self, g):
        xp = backend.get_array_module(g)
        if self.dim is None:
            return xp.zeros_like(g), None
        return g - xp.exp(self.out) * g.sum(axis=self.dim, keepdims=True), None

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        if self.dim is None:
            return g * 0, None
        return g - self.out.exp() * g.sum(self.dim, keepdim=True), None


def _cast_for(input, dtype):
    if dtype is not None and input.dtype != backend.xp.dtype(dtype):
        from . import cast
        return cast(input, dtype)
    return input


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / sum(exp(x), dim)`` computed with the maximum subtracted (stable)."""
    _check_tensor(input, "softmax")
    input = _cast_for(input, dtype)
    return Softmax.apply(input, _softmax_dim(input, dim, "softmax"))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``x - logsumexp(x, dim)`` (stable for logits of any magnitude)."""
    _check_tensor(input, "log_softmax")
    input = _cast_for(input, dtype)
    return LogSoftmax.apply(input, _softmax_dim(input, dim, "log_softmax"))


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    from .arithmetic import neg
    _check_tensor(input, "softmin")
    input = _cast_for(input, dtype)
    return Softmax.apply(neg(input), _softmax_dim(input, dim, "softmin"))
