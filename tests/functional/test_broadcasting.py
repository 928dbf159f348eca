"""broadcast_to and meshgrid against PyTorch (values and gradients)."""
import warnings

import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import compare


def test_broadcast_to_vs_torch():
    x = np.random.default_rng(0).standard_normal((3, 1)).astype(np.float32)
    compare("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3, 4)), x)
    compare("Tensor.broadcast_to", lambda m, x: x.broadcast_to((-1, 5)), x)
    with pytest.raises(RuntimeError, match="expanded size"):
        rb.broadcast_to(rb.tensor(x), (2, 4))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_vs_torch(indexing):
    rng = np.random.default_rng(1)
    a, b, c = (rng.standard_normal(n).astype(np.float32) for n in (2, 3, 4))
    compare("meshgrid", lambda m, a, b: m.meshgrid(a, b, indexing=indexing), a, b)
    compare("meshgrid(3)", lambda m, a, b, c: m.meshgrid([a, b, c], indexing=indexing), a, b, c)


def test_meshgrid_default_warns_and_is_ij():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        gx, gy = rb.meshgrid(rb.arange(2), rb.arange(3))
    assert gx.shape == (2, 3) and any("indexing" in str(x.message) for x in w)
    with pytest.raises(ValueError, match="indexing"):
        rb.meshgrid(rb.arange(2), indexing="yx")
