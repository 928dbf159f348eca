"""nn.AdaptiveMaxPool2d against torch."""
import numpy as np

import rosenblatt as rb
from tests.oracle import torch


def _r(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_module_return_indices_and_repr():
    m = rb.nn.AdaptiveMaxPool2d((2, 2), return_indices=True)
    out, idx = m(rb.tensor(_r(1, 1, 4, 4)))
    assert out.shape == (1, 1, 2, 2) and idx.dtype == rb.int64
    assert repr(m) == repr(torch.nn.AdaptiveMaxPool2d((2, 2), return_indices=True))
