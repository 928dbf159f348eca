"""AdaptiveMaxPool2d (AdaptiveAvgPool1d/2d are in pooling.py)."""
from .. import functional as F
from .module import Module

__all__ = ["AdaptiveMaxPool2d"]


class AdaptiveMaxPool2d(Module):
    """``AdaptiveMaxPool2d(output_size, return_indices=False)``: the maximum of each adaptive window."""

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"
