"""Broadcasting made explicit: broadcast_to, meshgrid (views through ``expand``, so differentiable)."""
import warnings

from ..autograd.tensor import Tensor
from .shape import expand, reshape

__all__ = ["broadcast_to", "meshgrid"]


def broadcast_to(input, size):
    """``input`` broadcast to ``size`` (``-1`` keeps a size); the same as ``input.expand(size)``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"broadcast_to(): argument 'input' must be a Tensor, not {type(input).__name__}")
    return expand(input, tuple(size))


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors ``x1 (n1), ..., xk (nk)``.

    ``indexing='ij'`` (torch's default): every output has shape ``(n1, ..., nk)`` and ``out[i]``
    varies along axis ``i``.  ``indexing='xy'`` (NumPy's default): the first two axes swap, so
    ``meshgrid(x, y, indexing='xy')`` gives ``(len(y), len(x))`` grids for plotting.
    Each output is ``x_i`` reshaped to size 1 everywhere but its own axis, then expanded.
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"meshgrid(): tensors[{i}] must be a Tensor, not {type(t).__name__}")
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.ndim}D")
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    k = len(tensors)
    axes = list(range(k))
    if indexing == "xy" and k >= 2:
        axes[0], axes[1] = 1, 0
    sizes = [0] * k
    for t, ax in zip(tensors, axes):
        sizes[ax] = t.numel()
    outs = []
    for t, ax in zip(tensors, axes):
        shape = [1] * k
        shape[ax] = t.numel()
        outs.append(expand(reshape(t, tuple(shape)), tuple(sizes)))
    return tuple(outs)
