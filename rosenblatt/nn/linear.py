"""``Identity``, ``Linear``, ``Bilinear``, ``Flatten``, ``Unflatten``."""
import math

import numpy as np

from .. import backend
from .. import functional as F
from . import init
from .module import Module, Parameter

__all__ = ["Identity", "Linear", "Bilinear", "LazyLinear", "Flatten", "Unflatten"]


def _dtype(dtype):
    return np.dtype(backend.DEFAULT_FLOAT if dtype is None else dtype)


def _check_int(value, name, cls, minimum=0):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise TypeError(f"{cls}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """Fully connected layer: ``y = x W^T + b``.

    Parameters: ``in_features``, ``out_features``; ``bias`` (default True).

    Shapes: input (*, in_features) -- any number of leading dimensions, e.g. (N, in_features);
    output (*, out_features).  ``weight`` W: (out_features, in_features); ``bias`` b:
    (out_features,).

    Initialised as PyTorch does: ``kaiming_uniform_(W, a=sqrt(5))``, i.e.
    U(-1/sqrt(in_features), 1/sqrt(in_features)), and the bias from the same range.
    Gradients (``functional/linear.py``): ``dx = dy W``, ``dW = dyᵀ x``, ``db = Σ_n dy``.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = _check_int(in_features, "in_features", "Linear")
        self.out_features = _check_int(out_features, "out_features", "Linear")
        dt = _dtype(dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dt))
        if bias:
            self.bias = Parameter(np.empty((self.out_features,), dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init._default_layer_init_(self.weight, self.bias)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class LazyLinear(Linear):
    """``Linear`` whose ``in_features`` is taken from the first input."""

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        Module.__init__(self)
        self.in_features = 0
        self.out_features = _check_int(out_features, "out_features", "LazyLinear")
        self._use_bias, self._dt = bias, _dtype(dtype)
        self.weight = Parameter(np.empty((0,), self._dt))
        if bias:
            self.bias = Parameter(np.empty((0,), self._dt))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        if self.in_features == 0:
            self.in_features = int(input.shape[-1])
            self.weight.data = np.empty((self.out_features, self.in_features), self._dt)
            if self.bias is not None:
                self.bias.data = np.empty((self.out_features,), self._dt)
            self.reset_parameters()
        return super().forward(input)


class Bilinear(Module):
    """``y = x1^T A x2 + b`` with A of shape (out_features, in1_features, in2_features)."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        dt = _dtype(dtype)
        self.weight = Parameter(np.empty((out_features, in1_features, in2_features), dt))
        if bias:
            self.bias = Parameter(np.empty((out_features,), dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


def _flat_shape(shape, start_dim, end_dim, cls="Flatten"):
    n = len(shape)
    if n == 0:
        return (1,)
    s, e = start_dim, end_dim
    if not -n <= s < n or not -n <= e < n:
        raise IndexError(f"{cls}: Dimension out of range (start_dim={start_dim}, end_dim={end_dim} "
                         f"for an input of {n} dimensions)")
    s, e = s % n, e % n
    if s > e:
        raise RuntimeError(f"{cls}: start_dim ({start_dim}) cannot come after end_dim ({end_dim})")
    mid = 1
    for d in shape[s:e + 1]:
        mid *= d
    return tuple(shape[:s]) + (mid,) + tuple(shape[e + 1:])


class Flatten(Module):
    """Flatten dims ``start_dim..end_dim`` into one (default: everything but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return F.reshape(input, _flat_shape(tuple(input.shape), self.start_dim, self.end_dim))

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dim ``dim`` into ``unflattened_size``."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if isinstance(dim, str):
            raise TypeError("Unflatten: named dimensions are not supported; give dim as an int")
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got "
                            f"{type(unflattened_size).__name__}")
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input):
        shape = tuple(input.shape)
        n = len(shape)
        if not -n <= self.dim < n:
            raise IndexError(f"Unflatten: dim {self.dim} out of range for input of shape {shape}")
        d = self.dim % n
        sizes = list(self.unflattened_size)
        if sizes.count(-1) > 1:
            raise RuntimeError("Unflatten: only one dimension can be inferred (-1)")
        known = 1
        for s in sizes:
            if s != -1:
                known *= s
        if -1 in sizes:
            if known == 0 or shape[d] % known:
                raise RuntimeError(f"Unflatten: cannot infer -1 in {tuple(sizes)} for dim of size {shape[d]}")
            sizes[sizes.index(-1)] = shape[d] // known
        elif known != shape[d]:
            raise RuntimeError(f"Unflatten: unflattened_size {tuple(self.unflattened_size)} must "
                               f"multiply to the size of dim {self.dim} ({shape[d]}) of input {shape}")
        return F.reshape(input, shape[:d] + tuple(sizes) + shape[d + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
