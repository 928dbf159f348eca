"""nn.ConvTranspose2d against torch: shapes, init distribution, forward/backward with copied weights."""
import math

import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import assert_close, torch

CONFIGS = [dict(in_channels=4, out_channels=6, kernel_size=3),
           dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=2, padding=1, output_padding=1),
           dict(in_channels=4, out_channels=2, kernel_size=2, stride=2, groups=2, bias=False),
           dict(in_channels=2, out_channels=3, kernel_size=3, dilation=2, padding=(1, 2))]


@pytest.mark.parametrize("kw", CONFIGS)
def test_module_matches_torch(kw):
    rm, tm = rb.nn.ConvTranspose2d(**kw), torch.nn.ConvTranspose2d(**kw)
    assert rm.weight.shape == tuple(tm.weight.shape) and repr(rm) == repr(tm)
    # init as torch: U(-b, b), b = 1/sqrt(fan_in), fan_in = weight.shape[1] * kh * kw
    fan_in = rm.weight.shape[1] * rm.weight.shape[2] * rm.weight.shape[3]
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(rm.weight.data).max() <= bound
    if rm.bias is not None:
        assert np.abs(rm.bias.data).max() <= bound
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(rm.weight.data))
        if tm.bias is not None:
            tm.bias.copy_(torch.tensor(rm.bias.data))
    x = np.random.default_rng(0).standard_normal((2, kw["in_channels"], 4, 5)).astype(np.float32)
    rx, tx = rb.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ry, ty = rm(rx), tm(tx)
    assert_close(ry, ty)
    ry.sum().backward()
    ty.sum().backward()
    assert_close(rx.grad, tx.grad)
    assert_close(rm.weight.grad, tm.weight.grad, rtol=1e-4, atol=1e-4)
    assert list(rm.state_dict()) == list(tm.state_dict())


def test_init_spread_matches_torch():
    w = rb.nn.ConvTranspose2d(16, 32, 3).weight.data
    bound = 1 / math.sqrt(32 * 9)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound


def test_output_size_picks_output_padding():
    rm, tm = rb.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1), torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    x = rb.zeros(1, 3, 4, 4)
    assert rm(x, output_size=(8, 8)).shape == tuple(tm(torch.zeros(1, 3, 4, 4), output_size=(8, 8)).shape)
    with pytest.raises(ValueError, match="output size"):
        rm(x, output_size=(12, 12))
    with pytest.raises(ValueError, match="divisible by groups"):
        rb.nn.ConvTranspose2d(3, 2, 3, groups=2)
