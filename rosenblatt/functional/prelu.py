"""prelu: a leaky ReLU whose negative slope is learned (He et al., 2015)."""
from ..autograd.tensor import Tensor
from .elementwise import where

__all__ = ["prelu"]


def prelu(input, weight):
    """``x if x > 0 else a * x``, with ``weight`` (``a``) one slope, or one per channel
    (``input``'s dimension 1).  The gradient of ``a`` sums ``g * x`` over the negative entries."""
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"prelu(): argument '{name}' must be a Tensor, not {type(t).__name__}")
    n = weight.numel()
    if weight.ndim > 1 or (n != 1 and (input.ndim < 2 or input.shape[1] != n)):
        raise RuntimeError(f"prelu(): mismatch of parameter numbers and input channel size: weight "
                           f"has {n} elements, input shape is {tuple(input.shape)}")
    if n == 1:
        a = weight.reshape(())
    else:                               # one slope per channel: (C,) -> (C, 1, ..., 1)
        a = weight.reshape((n,) + (1,) * (input.ndim - 2))
    return where(input > 0, input, a * input)
