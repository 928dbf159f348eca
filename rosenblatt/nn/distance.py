"""CosineSimilarity (torch keeps it in nn/modules/distance.py)."""
from .. import functional as F
from .module import Module

__all__ = ["CosineSimilarity"]


class CosineSimilarity(Module):
    """``CosineSimilarity(dim=1, eps=1e-8)``: :func:`rosenblatt.functional.cosine_similarity`."""

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
