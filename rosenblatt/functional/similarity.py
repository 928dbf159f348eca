"""cosine_similarity: the cosine of the angle between vectors along a dimension."""
from .. import backend
from ..autograd.tensor import Tensor
from .broadcasting import broadcast_to
from .elementwise import clamp

__all__ = ["cosine_similarity"]


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``sum(x1 * x2, dim) / (max(||x1||, eps) * max(||x2||, eps))`` after broadcasting
    ``x1`` and ``x2``; each vector is divided by its (clamped) norm first, as torch does."""
    for name, t in (("x1", x1), ("x2", x2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"cosine_similarity(): argument '{name}' must be a Tensor, not {type(t).__name__}")
    if x1.shape != x2.shape:                # broadcast first: the norms are of the broadcast vectors
        shape = backend.xp.broadcast_shapes(x1.shape, x2.shape)
        x1, x2 = broadcast_to(x1, shape), broadcast_to(x2, shape)
    n1 = clamp((x1 * x1).sum(dim, keepdim=True).sqrt(), min=eps)
    n2 = clamp((x2 * x2).sum(dim, keepdim=True).sqrt(), min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)
