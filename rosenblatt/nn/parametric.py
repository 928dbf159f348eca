"""PReLU: the activation with a learned negative slope (He et al., 2015)."""
import numpy as np

from .. import backend
from .. import functional as F
from .module import Module, Parameter

__all__ = ["PReLU"]


class PReLU(Module):
    """``PReLU(num_parameters=1, init=0.25)``: ``x if x > 0 else a * x`` with ``a`` learned, one
    slope or one per channel (``num_parameters = C``)."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        if not isinstance(num_parameters, int) or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive int, got {num_parameters!r}")
        self.num_parameters, self.init = num_parameters, init
        dt = np.dtype(backend.DEFAULT_FLOAT if dtype is None else dtype)
        self.weight = Parameter(np.full((num_parameters,), init, dt))

    def reset_parameters(self):
        self.weight.data[...] = self.init

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"
