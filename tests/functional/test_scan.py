"""cumprod against PyTorch (with zeros in the input), float64 gradcheck."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.autograd import gradcheck
from tests.oracle import compare


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumprod_vs_torch(dim):
    x = np.random.default_rng(0).uniform(0.5, 1.5, (3, 4)).astype(np.float32)
    compare("cumprod", lambda m, x: m.cumprod(x, dim), x)
    z = x.copy()
    z[1, 1] = 0.0
    z[2, 0] = 0.0
    z[2, 2] = 0.0                                    # one and two zeros in a row
    compare("cumprod(zeros)", lambda m, x: x.cumprod(dim=dim), z)
    compare("cumprod(int)", lambda m, x: m.cumprod(x, dim), np.arange(1, 13).reshape(3, 4), grad=False)
    compare("cumprod(dtype)", lambda m, x: m.cumprod(x, dim, dtype=m.float64), x)
    zd = rb.tensor(z.astype(np.float64), requires_grad=True)
    assert gradcheck(lambda t: rb.cumprod(t, dim), (zd,))


def test_cumprod_0d():
    compare("cumprod(0-d)", lambda m, x: m.cumprod(x, 0), np.array(2.5, np.float32))
