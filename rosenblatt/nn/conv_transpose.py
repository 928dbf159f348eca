"""``ConvTranspose2d``: the learnable upsampling layer (the gradient of a convolution as a layer).

``weight`` has torch's shape ``(in_channels, out_channels // groups, kH, kW)`` and torch's
init: ``kaiming_uniform_(a=sqrt(5))`` with ``fan_in = out_channels // groups * kH * kW`` (the
weight's dimension 1 times the kernel, as torch computes it), the bias from the same range.
"""

from .. import functional as F
from ..functional.conv import _ntuple
from .conv import _positive_int, _weight_and_bias
from . import init
from .module import Module

__all__ = ["ConvTranspose2d"]


class ConvTranspose2d(Module):
    """``ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros')``

    (N, C_in, H, W) -> (N, C_out, H_out, W_out) with
    ``H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1``.
    ``forward(input, output_size=None)``: ``output_size`` picks the ``output_padding`` that
    reaches that size (for undoing a strided convolution whose input size was ambiguous).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__()
        cls = "ConvTranspose2d"
        self.in_channels = _positive_int(in_channels, "in_channels", cls)
        self.out_channels = _positive_int(out_channels, "out_channels", cls)
        self.groups = _positive_int(groups, "groups", cls)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"{cls}: in_channels ({in_channels}) and out_channels ({out_channels}) "
                             f"must be divisible by groups ({groups})")
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {cls}')
        self.kernel_size = _ntuple(kernel_size, 2, "kernel_size", cls)
        self.stride = _ntuple(stride, 2, "stride", cls)
        self.padding = _ntuple(padding, 2, "padding", cls, minimum=0)
        self.output_padding = _ntuple(output_padding, 2, "output_padding", cls, minimum=0)
        self.dilation = _ntuple(dilation, 2, "dilation", cls)
        self.padding_mode, self.transposed = padding_mode, True
        _weight_and_bias(self, (self.in_channels, self.out_channels // self.groups), bias, dtype)

    def reset_parameters(self):
        init._default_layer_init_(self.weight, self.bias)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        want = tuple(output_size)[-2:]
        pads = []
        for k, n in enumerate(input.shape[-2:]):
            least = ((n - 1) * self.stride[k] - 2 * self.padding[k]
                     + self.dilation[k] * (self.kernel_size[k] - 1) + 1)
            extra = want[k] - least
            if not 0 <= extra < max(self.stride[k], self.dilation[k]):
                raise ValueError(f"requested an output size of {want}, but valid sizes along "
                                 f"dimension {k} range from {least} to "
                                 f"{least + max(self.stride[k], self.dilation[k]) - 1} "
                                 f"(for an input of {tuple(input.shape[-2:])})")
            pads.append(extra)
        return tuple(pads)

    def forward(self, input, output_size=None):
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups, self.dilation)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
