"""``BatchNorm1d``/``2d``/``3d``: batch statistics in training, running statistics in eval.

Buffers and state_dict keys as in PyTorch: ``weight``, ``bias``, ``running_mean``,
``running_var``, ``num_batches_tracked``.  ``momentum=None`` gives a cumulative average.
"""
import numpy as np

from .. import backend
from .. import functional as F
from ..autograd.tensor import Tensor
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _BatchNorm(Module):
    _ndims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or isinstance(num_features, bool) \
                or num_features < 1:
            raise TypeError(f"{type(self).__name__}: num_features must be a positive int, got "
                            f"{num_features!r}")
        self.num_features = int(num_features)
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dt = np.dtype(backend.DEFAULT_FLOAT if dtype is None else dtype)
        if affine:
            self.weight = Parameter(np.ones(self.num_features, dt))
            if bias:
                self.bias = Parameter(np.zeros(self.num_features, dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._make(np.zeros(self.num_features, dt), None, 0))
            self.register_buffer("running_var", Tensor._make(np.ones(self.num_features, dt), None, 0))
            self.register_buffer("num_batches_tracked", Tensor._make(np.array(0, np.int64), None, 0))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            self.weight.data[...] = 1
            if self.bias is not None:
                self.bias.data[...] = 0

    def _check_input_dim(self, input):
        if input.ndim not in self._ndims:
            want = " or ".join(f"{d}D" for d in self._ndims)
            raise ValueError(f"{type(self).__name__}: expected {want} input (got {input.ndim}D input "
                             f"of shape {tuple(input.shape)})")
        if input.shape[1] != self.num_features:
            raise RuntimeError(f"{type(self).__name__}({self.num_features}): expected input with "
                               f"{self.num_features} channels in dim 1, got shape {tuple(input.shape)}")

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.data += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.data)
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        use_stats = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if use_stats else None,
                            self.running_var if use_stats else None, self.weight, self.bias,
                            bn_training, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm of (N, C) or (N, C, L) input."""
    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation (Ioffe & Szegedy, 2015) of (N, C, H, W) input, per channel c::

        y = (x - mean_c) / sqrt(var_c + eps) * weight[c] + bias[c]

    In training, ``mean_c``/``var_c`` are the batch's, over N, H and W (``var`` biased, /m with
    m = N·H·W), and the running estimates are updated as
    ``running = (1 - momentum) · running + momentum · batch`` (the variance unbiased, ·m/(m-1));
    in ``eval()`` the running estimates are used.

    Parameters: ``num_features`` = C; ``eps`` (default 1e-5); ``momentum`` (default 0.1; None:
    a cumulative average); ``affine`` (default True: learn ``weight`` (C,), init 1, and ``bias``
    (C,), init 0); ``track_running_stats`` (default True: buffers ``running_mean`` (C,) init 0,
    ``running_var`` (C,) init 1, ``num_batches_tracked``).  Shapes: input and output (N, C, H, W).
    """
    _ndims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch norm of (N, C, D, H, W) input."""
    _ndims = (5,)
