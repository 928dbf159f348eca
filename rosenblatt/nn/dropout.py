"""``Dropout``, ``Dropout1d``, ``Dropout2d``, ``AlphaDropout``: active in training mode only.

``inplace=True`` writes the result into the input's memory (functional/inplace.py).
"""
from .. import functional as F
from ..functional.inplace import apply_
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "AlphaDropout"]


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"

    def _run(self, fn, input):
        if self.inplace and self.training and self.p > 0:
            return apply_(input, fn, self.p, True)
        return fn(input, self.p, self.training)


class Dropout(_DropoutNd):
    """Zero elements with probability ``p`` in training; scale the rest by ``1/(1-p)``."""

    def forward(self, input):
        return self._run(F.dropout, input)


class Dropout1d(_DropoutNd):
    def forward(self, input):
        return self._run(F.dropout1d, input)


class Dropout2d(_DropoutNd):
    """Zero whole channels with probability ``p`` in training."""

    def forward(self, input):
        return self._run(F.dropout2d, input)


class AlphaDropout(_DropoutNd):
    def forward(self, input):
        return self._run(F.alpha_dropout, input)
