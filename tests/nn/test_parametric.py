"""nn.PReLU against torch."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import compare


def _r(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_prelu_module_vs_torch():
    x = _r(2, 3, 4)
    compare("PReLU", lambda m, x: m.nn.PReLU()(x), x)
    compare("PReLU(3)", lambda m, x: m.nn.PReLU(3, init=0.1)(x), x)
    assert list(rb.nn.PReLU(3).state_dict()) == ["weight"]
    with pytest.raises(RuntimeError, match="mismatch of parameter numbers"):
        rb.nn.PReLU(4)(rb.zeros(2, 3))
