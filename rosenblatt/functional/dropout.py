"""Dropout (inverted: kept units are scaled by ``1/(1-p)`` so eval needs no rescaling).

Masks come from the one seeded generator (:func:`rosenblatt.random.default_generator`),
so the same seed gives the same mask.
"""
from .. import backend
from .. import random as _random
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .arithmetic import _binary

__all__ = ["dropout", "dropout1d", "dropout2d", "alpha_dropout"]

_number_types = (int, float, backend.xp.floating, backend.xp.integer)


class _MaskMul(Function):
    """``x * mask`` with a constant (already scaled) mask that broadcasts over ``x``."""

    def forward(self, x, mask):
        self.mask = mask
        return _binary(backend.get_array_module(x).multiply, x, mask)

    def backward(self, g):
        return _binary(backend.get_array_module(g).multiply, g, self.mask), None

    def graph_backward(self, g):               # the same, on Tensors (create_graph=True)
        return g * self.mask, None


def _check(input, p, fn):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' must be a Tensor, got {type(input).__name__}")
    if not isinstance(p, _number_types) or isinstance(p, bool) or not 0 <= p <= 1:
        raise ValueError(f"{fn}: dropout probability has to be between 0 and 1, but got {p}")
    if not backend.is_floating(input.dtype):
        raise TypeError(f"{fn}: input must be a floating point Tensor, got {input.dtype}")


def _mask(shape, p, dtype):
    xp = backend.xp                 # the module of new data (the generator's)
    if p == 1:
        return xp.zeros(shape, dtype)
    # Built in the backend's buffers (the CPU cache in fast mode: fresh arrays of this size
    # would fault their pages in on every step).
    u = _random.default_generator().random(dtype=xp.float32, out=backend.empty(shape, xp.float32))
    keep = xp.greater_equal(u, xp.float32(p), out=backend.empty(shape, bool))   # P(keep) = 1 - p
    return xp.multiply(keep, dtype.type(1.0 / (1.0 - p)), out=backend.empty(shape, dtype))


def _apply(input, p, training, mask_shape, fn):
    _check(input, p, fn)
    if not training or p == 0:
        return input
    return _MaskMul.apply(input, _mask(mask_shape, float(p), input.dtype))


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)``."""
    return _apply(input, p, training, input.shape, "dropout")


def _channel_mask_shape(input, fn, dims):
    if input.ndim < 2:
        raise RuntimeError(f"{fn}: expected an input with a batch and a channel dimension "
                           f"(N, C, ...), got shape {tuple(input.shape)}")
    return tuple(input.shape[:2]) + (1,) * (input.ndim - 2)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) input with probability ``p``."""
    if input.ndim == 2:           # unbatched (C, L)
        shape = (input.shape[0], 1)
    else:
        shape = _channel_mask_shape(input, "dropout1d", 1)
    return _apply(input, p, training, shape, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels (feature maps) of (N, C, H, W) input with probability ``p``.

    As in PyTorch, a 3-D input is treated as (N, C, L) (channel-wise 1-D dropout).
    """
    return _apply(input, p, training, _channel_mask_shape(input, "dropout2d", 2), "dropout2d")


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps SELU's zero mean / unit variance."""
    _check(input, p, "alpha_dropout")
    if not training or p == 0:
        return input
    if p == 1:
        return _MaskMul.apply(input, backend.xp.zeros(input.shape, input.dtype))
    alpha_p = -1.7580993408473766            # -scale * alpha of SELU
    keep = _random.default_generator().random(input.shape) >= p
    a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * p
    mask = keep.astype(input.dtype) * a
    shift = (~keep).astype(input.dtype) * (a * alpha_p) + b
    from .arithmetic import add
    return add(_MaskMul.apply(input, mask), Tensor._make(shift.astype(input.dtype), None, 0))
