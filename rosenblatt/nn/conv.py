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


def _weight_and_bias(module, leading, bias, dtype):
    """``module.weight`` of shape ``leading + kernel_size`` and ``module.bias`` (out_channels,)
    or None, initialised by ``module.reset_parameters()`` (Conv and ConvTranspose)."""
    dt = np.dtype(backend.DEFAULT_FLOAT if dtype is None else dtype)
    module.weight = Parameter(np.empty(tuple(leading) + module.kernel_size, dt))
    if bias:
        module.bias = Parameter(np.empty((module.out_channels,), dt))
    else:
        module.register_parameter("bias", None)
    module.reset_parameters()


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
        _weight_and_bias(self, (self.out_channels, self.in_channels // self.groups), bias, dtype)

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
    r"""2-D convolution (cross-correlation, as in PyTorch) over (N, C_in, H, W) input.

    ``out[n, o, i, j] = bias[o] + Σ_c Σ_p Σ_q weight[o, c, p, q] ·
    x_pad[n, g·C_in/groups + c, i·sH + p·dH, j·sW + q·dW]`` with ``g`` the group of ``o``.

    Parameters: ``in_channels``, ``out_channels``; ``kernel_size``, ``stride`` (default 1),
    ``padding`` (default 0; an int, a pair, ``'valid'`` = 0 or ``'same'`` = output as large as
    the input, stride 1 only), ``dilation`` (default 1) -- each an int or an (H, W) pair;
    ``groups`` (default 1: every output channel sees every input channel; ``in_channels``:
    depthwise); ``bias`` (default True); ``padding_mode`` ``'zeros' | 'reflect' | 'replicate' |
    'circular'``.

    Shapes: input (N, C_in, H, W) or unbatched (C_in, H, W); output (N, C_out, H_out, W_out) with
    ``H_out = floor((H + 2·padding_H - dilation_H·(kH - 1) - 1) / stride_H) + 1`` (W likewise);
    e.g. LeNet-5's C1: 28 + 2·2 - 4 - 1 = 27, 27 / 1 + 1 = 28.
    ``weight``: (C_out, C_in / groups, kH, kW); ``bias``: (C_out,).

    Init (PyTorch's): ``weight ~ U(-b, b)`` with ``b = 1/sqrt(fan_in)``,
    ``fan_in = C_in / groups · kH · kW`` (that is ``kaiming_uniform_(a=sqrt(5))``); ``bias`` from
    the same range.  For ReLU networks re-initialise with ``nn.init.kaiming_normal_``.
    """

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
