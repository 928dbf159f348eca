"""Dropout / Dropout2d: eval identity, mask scaling 1/(1-p), statistics, seeding, gradients."""
import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.nn as nn
from tests.oracle import COVERED, torch


def test_eval_is_identity_and_p0_is_identity():
    COVERED.add("nn.Dropout")
    x = rb.randn(4, 5)
    for m in (nn.Dropout(0.5), nn.Dropout2d(0.5), nn.Dropout1d(0.5)):
        m.eval()
        y = m(rb.randn(2, 3, 4))
        assert y.shape == (2, 3, 4)
        assert m(x if not isinstance(m, nn.Dropout2d) else rb.randn(2, 3, 4, 4)) is not None
    d = nn.Dropout(0.5).eval()
    assert d(x) is x
    assert rb.nn.functional.dropout(x, 0.0, training=True) is x
    assert rb.nn.functional.dropout(x, 0.7, training=False) is x


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_train_mask_scaling_and_statistics(p):
    x = rb.ones(200, 500)
    y = nn.Dropout(p)(x).data
    nz = y[y != 0]
    np.testing.assert_allclose(nz, 1 / (1 - p), rtol=1e-6)
    assert abs((y == 0).mean() - p) < 0.01
    assert abs(y.mean() - 1.0) < 0.03          # expectation preserved
    assert y.dtype == np.float32


def test_gradient_uses_same_mask():
    x = rb.randn(50, 40, requires_grad=True)
    y = rb.nn.functional.dropout(x, 0.3, training=True)
    y.sum().backward()
    kept = y.data != 0
    np.testing.assert_allclose(x.grad.data[kept], 1 / 0.7, rtol=1e-6)
    assert (x.grad.data[~kept] == 0).all()


def test_same_seed_same_mask():
    x = rb.ones(30, 30)
    rb.manual_seed(7)
    a = nn.Dropout(0.5)(x).data
    rb.manual_seed(7)
    b = nn.Dropout(0.5)(x).data
    c = nn.Dropout(0.5)(x).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_p_one_zeros_everything():
    x = rb.randn(3, 4, requires_grad=True)
    y = rb.nn.functional.dropout(x, 1.0)
    assert not y.data.any()
    y.sum().backward()
    assert not x.grad.data.any()


def test_dropout2d_zeros_whole_channels():
    COVERED.add("nn.Dropout2d")
    x = rb.ones(16, 32, 3, 3)
    y = nn.Dropout2d(0.5)(x).data
    per_channel = y.reshape(16, 32, -1)
    assert ((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1)).all()
    frac = (per_channel == 0).all(-1).mean()
    assert abs(frac - 0.5) < 0.08
    y3 = rb.nn.functional.dropout2d(rb.ones(4, 8, 5), 0.5).data   # (N, C, L) like torch
    assert ((y3 == 0).all(-1) | (y3 == 2.0).all(-1)).all()


def test_repr_and_bad_p():
    assert repr(nn.Dropout()) == repr(torch.nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.Dropout2d(0.2)) == repr(torch.nn.Dropout2d(0.2))
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        rb.nn.functional.dropout(rb.ones(2), -0.1)


def test_alpha_dropout_keeps_moments():
    x = rb.randn(400, 400)
    y = nn.AlphaDropout(0.2)(x).data
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.03


def test_mask_is_the_seeded_generators_uniforms_thresholded():
    # The mask is built in cached buffers; its values must be exactly the generator's
    # float32 uniforms u >= p, scaled by 1/(1-p), as a plain NumPy computation gives.
    rb.manual_seed(7)
    y = rb.nn.functional.dropout(rb.ones(64, 700), 0.3).data
    rb.manual_seed(7)
    u = rb.random.default_generator().random((64, 700), dtype=np.float32)
    np.testing.assert_array_equal(y, (u >= np.float32(0.3)).astype(np.float32) * np.float32(1 / 0.7))
    y2 = rb.nn.functional.dropout(rb.ones(64, 700), 0.3).data       # a new mask, not y's buffer
    assert not np.shares_memory(y, y2) and not np.array_equal(y, y2)
