"""isclose allclose equal against PyTorch."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import assert_close, torch


def test_isclose_allclose_equal_vs_torch():
    a = np.array([1.0, 1.0 + 1e-6, np.nan, np.inf, -np.inf, 0.0], np.float32)
    b = np.array([1.0, 1.0, np.nan, np.inf, np.inf, 1e-9], np.float32)
    for kw in [{}, {"equal_nan": True}, {"rtol": 0.0, "atol": 0.0}, {"rtol": 1e-3, "atol": 1e-3}]:
        assert_close(rb.isclose(rb.tensor(a), rb.tensor(b), **kw), torch.isclose(torch.tensor(a), torch.tensor(b), **kw))
        assert rb.allclose(rb.tensor(a), rb.tensor(b), **kw) == torch.allclose(torch.tensor(a), torch.tensor(b), **kw)
        assert rb.tensor(a[:2]).allclose(rb.tensor(b[:2]), **kw) == torch.tensor(a[:2]).allclose(torch.tensor(b[:2]), **kw)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert_close(rb.tensor(x).isclose(rb.tensor(x[0])), torch.tensor(x).isclose(torch.tensor(x[0])))  # broadcast
    for other in (x, x + 1, x[:1], x.astype(np.float64), x.T.copy()):
        assert rb.equal(rb.tensor(x), rb.tensor(other)) == torch.equal(torch.tensor(x), torch.tensor(other))
    assert rb.tensor([np.nan]).equal(rb.tensor([np.nan])) == torch.equal(torch.tensor([np.nan]), torch.tensor([np.nan]))


def test_isclose_dtype_mismatch_raises_like_torch():
    with pytest.raises(RuntimeError, match="Float did not match Double"):
        rb.isclose(rb.ones(2), rb.ones(2, dtype=rb.float64))
    with pytest.raises(TypeError, match="'other' must be a Tensor"):
        rb.allclose(rb.ones(2), [1.0, 1.0])
