"""interpolate against PyTorch: nearest, nearest-exact, (bi/tri)linear with and without
align_corners, size or scale_factor; gradients and float64 gradcheck."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.autograd import gradcheck
from tests.oracle import compare


def _r(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


CASES = [
    ((2, 3, 4, 5), dict(scale_factor=2, mode="nearest")),
    ((2, 3, 4, 5), dict(size=(7, 3), mode="nearest")),
    ((2, 3, 4, 5), dict(scale_factor=1.7, mode="nearest")),
    ((2, 3, 4, 5), dict(size=(6, 9), mode="nearest-exact")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bilinear")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ((2, 3, 4, 5), dict(size=(3, 8), mode="bilinear")),
    ((2, 3, 4, 5), dict(size=(9, 2), mode="bilinear", align_corners=True)),
    ((2, 3, 4, 5), dict(scale_factor=(1.5, 0.5), mode="bilinear")),
    ((2, 3, 4, 5), dict(scale_factor=1.5, mode="bilinear", recompute_scale_factor=True)),
    ((2, 3, 6), dict(scale_factor=3, mode="linear")),
    ((2, 3, 6), dict(size=4, mode="linear", align_corners=True)),
    ((2, 3, 6), dict(size=11, mode="nearest")),
    ((1, 2, 3, 4, 2), dict(scale_factor=2, mode="trilinear")),
    ((1, 2, 3, 4, 2), dict(size=(2, 5, 3), mode="nearest")),
]


@pytest.mark.parametrize("shape,kw", CASES, ids=[f"{s}-{k}" for s, k in CASES])
def test_interpolate_vs_torch(shape, kw):
    compare("interpolate", lambda m, x: m.nn.functional.interpolate(x, **kw), _r(*shape))
    x = rb.tensor(_r(*shape)[:1, :1].astype(np.float64), requires_grad=True)
    assert gradcheck(lambda t: rb.nn.functional.interpolate(t, **kw), (x,), n_directions=4)


def test_upsample_modules_vs_torch():
    x = _r(2, 3, 4, 5)
    compare("Upsample", lambda m, x: m.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)(x), x)
    compare("UpsamplingNearest2d", lambda m, x: m.nn.UpsamplingNearest2d(scale_factor=2)(x), x)
    compare("UpsamplingBilinear2d", lambda m, x: m.nn.UpsamplingBilinear2d(size=(7, 7))(x), x)


def test_errors_like_torch():
    F = rb.nn.functional
    x = rb.zeros(1, 1, 2, 2)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D input"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
