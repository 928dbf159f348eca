"""adaptive_max_pool2d against PyTorch: values, indices, gradients (overlapping windows), gradcheck."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.autograd import gradcheck
from tests.oracle import assert_close, compare, torch


def _r(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("size", [1, 2, (3, 2), (4, 7), (None, 3), 5])
def test_adaptive_max_pool2d_vs_torch(size):
    x = _r(2, 3, 5, 7)
    compare("adaptive_max_pool2d", lambda m, x: m.nn.functional.adaptive_max_pool2d(x, size), x)
    compare("AdaptiveMaxPool2d", lambda m, x: m.nn.AdaptiveMaxPool2d(size)(x), x[0])          # unbatched
    r = rb.nn.functional.adaptive_max_pool2d(rb.tensor(x), size, return_indices=True)
    t = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), size, return_indices=True)
    assert_close(r[1], t[1])
    xd = rb.tensor(x[:1, :2].astype(np.float64), requires_grad=True)
    assert gradcheck(lambda t: rb.nn.functional.adaptive_max_pool2d(t, size), (xd,))
