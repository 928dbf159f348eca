"""ZeroPad2d, Upsample, Fold/Unfold modules against torch (values, gradients, repr)."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import compare, torch


@pytest.mark.parametrize("padding", [1, (1, 2, 0, 3), (0, 0, 2, 1)])
def test_zeropad2d_vs_torch(padding):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    compare("ZeroPad2d", lambda m, x: m.nn.ZeroPad2d(padding)(x), x)
    assert repr(rb.nn.ZeroPad2d(padding)) == repr(torch.nn.ZeroPad2d(padding))


def test_reprs_match_torch():
    for args in [dict(scale_factor=2), dict(size=(3, 4), mode="bilinear"), dict(scale_factor=1.5, mode="nearest")]:
        assert repr(rb.nn.Upsample(**args)) == repr(torch.nn.Upsample(**args))
    assert repr(rb.nn.PReLU(3)) == repr(torch.nn.PReLU(3))
