"""``Conv1d`` and ``Conv2d``: PyTorch's arguments, weight layout, init and repr.

``weight`` has shape ``(out_channels, in_channels // groups, *kernel_size)``; both it and
``bias`` start as PyTorch's do: ``kaiming_uniform_(a=sqrt(5))``, i.e. U(-1/sqrt(fan_in),
1/sqrt(fan_in)) with ``fan_in = in_channels // groups * prod(kernel_size)``, and the bias
from the same range.  ``padding_mode`` other than 'zeros' pads with ``functional.pad``
first ('reflect', 'replicate', 'circular').
"""

import numpy as np

from .. import backend
from .. import functional as F
from ..functional.conv import _ntuple
from . import init
from .module import Module, Parameter

__all__ = ["Conv1d", "Conv2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _positive_int(v, name, cls):
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
        raise ValueError(f"{cls}: {name} must be a positive int, got {v!r}")
    return int(v)


class _ConvNd(Module):
    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        cls, nd = type(self).__name__, self._nd
        self.in_channels = _positive_int(in_channels, "in_channels", cls)
        self.out_channels = _positive_int(out_channels, "out_channels", cls)
        self.groups = _positive_int(groups, "groups", cls)
        if self.in_channels % self.groups:
            raise ValueError(f"{cls}: in_channels ({in_channels}) must be divisible by groups ({groups})")
        if self.out_channels % self.groups:
            raise ValueError(f"{cls}: out_channels ({out_channels}) must be divisible by groups ({groups})")
        self.kernel_size = _ntuple(kernel_size, nd, "kernel_size", cls)
        self.stride = _ntuple(stride, nd, "stride", cls)
        self.dilation = _ntuple(dilation, nd, "dilation", cls)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{cls}: invalid padding string {padding!r}, should be one of "
                                 f"{{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{cls}: padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _ntuple(padding, nd, "padding", cls, minimum=0)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{cls}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}")
        self.padding_mode = padding_mode
        self.transposed = False
        self.output_padding = (0,) * nd
        dt = np.dtype(backend.DEFAULT_FLOAT if dtype is None else dtype)
        self.weight = Parameter(np.empty((self.out_channels, self.in_channels // self.groups)
                                         + self.kernel_size, dt))
        if bias:
            self.bias = Parameter(np.empty((self.out_channels,), dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init._default_layer_init_(self.weight, self.bias)

    def _padded_input(self, input):
        """For padding_mode != 'zeros': pad explicitly, then convolve with padding 0."""
        if self.padding == "valid":
            return input, 0
        if self.padding == "same":
            amounts = []
            for k, d in zip(reversed(self.kernel_size), reversed(self.dilation)):
                total = d * (k - 1)
                amounts += [total // 2, total - total // 2]
        else:
            amounts = []
            for p in reversed(self.padding):
                amounts += [p, p]
        return F.pad(input, tuple(amounts), mode=self.padding_mode), 0

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W): ``weight`` (out, in/groups, kH, kW), ``bias`` (out,)."""

    _nd = 2

    def forward(self, input):
        padding = self.padding
        if self.padding_mode != "zeros":
            input, padding = self._padded_input(input)
        return F.conv2d(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L): ``weight`` (out, in/groups, kW), ``bias`` (out,)."""

    _nd = 1

    def forward(self, input):
        padding = self.padding
        if self.padding_mode != "zeros":
            input, padding = self._padded_input(input)
        return F.conv1d(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)
