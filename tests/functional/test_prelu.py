"""prelu against PyTorch (input and slope gradients), float64 gradcheck."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.autograd import gradcheck
from tests.oracle import compare


def _r(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4, 5), (2, 3, 6)])
@pytest.mark.parametrize("n", [1, 3])
def test_prelu_vs_torch(shape, n):
    w = np.array([0.25, -0.1, 0.7], np.float32)[:n]
    compare("prelu", lambda m, x, w: m.nn.functional.prelu(x, w), _r(*shape), w)
    x = rb.tensor(_r(*shape).astype(np.float64), requires_grad=True)
    wd = rb.tensor(w.astype(np.float64), requires_grad=True)
    assert gradcheck(rb.nn.functional.prelu, (x, wd), n_directions=4)
