"""unfold, fold and conv_transpose2d against PyTorch (values and every gradient), float64 gradcheck."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.autograd import gradcheck
from tests.oracle import compare


def _r(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape).astype(dtype)


GEOMETRIES = [dict(kernel_size=2), dict(kernel_size=(2, 3), stride=2, padding=1),
              dict(kernel_size=3, dilation=2, padding=2, stride=(1, 2)), dict(kernel_size=(1, 2), stride=(2, 1))]


@pytest.mark.parametrize("kw", GEOMETRIES)
def test_unfold_fold_vs_torch(kw):
    x = _r(2, 3, 6, 7)
    r, _ = compare("unfold", lambda m, x: m.nn.functional.unfold(x, **kw), x)
    cols = _r(*r[0].shape, seed=1)
    compare("fold", lambda m, c: m.nn.functional.fold(c, (6, 7), **kw), cols)
    compare("Unfold", lambda m, x: m.nn.Unfold(**kw)(x), x[0])           # unbatched
    compare("Fold", lambda m, c: m.nn.Fold((6, 7), **kw)(c), cols)
    xd = rb.tensor(x[:1, :2].astype(np.float64), requires_grad=True)
    assert gradcheck(lambda t: rb.nn.functional.unfold(t, **kw), (xd,))
    cd = rb.tensor(cols[:1, : cols.shape[1] // 3].astype(np.float64), requires_grad=True)
    assert gradcheck(lambda t: rb.nn.functional.fold(t, (6, 7), **kw), (cd,))


TRANSPOSED = [dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1),
              dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2)), dict(groups=2, stride=2),
              dict(dilation=2, padding=1), dict(dilation=(2, 1), stride=2, output_padding=1)]


@pytest.mark.parametrize("kw", TRANSPOSED)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose2d_vs_torch(kw, bias):
    g = kw.get("groups", 1)
    x, w, b = _r(2, 4, 4, 5), _r(4, 6 // g, 3, 2, seed=1), _r(6, seed=2)
    args = (x, w, b) if bias else (x, w)
    compare("conv_transpose2d", lambda m, *a: m.nn.functional.conv_transpose2d(*a, **kw), *args)
    xd, wd, bd = (rb.tensor(a.astype(np.float64), requires_grad=True) for a in (x[:1], w, b))
    assert gradcheck(lambda *t: rb.nn.functional.conv_transpose2d(*t, **kw),
                     (xd, wd, bd) if bias else (xd, wd), n_directions=4)


def test_errors():
    F = rb.nn.functional
    with pytest.raises(RuntimeError, match="calculated number of sliding blocks"):
        F.fold(rb.zeros(1, 4, 5), (4, 4), 2)
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        F.conv_transpose2d(rb.zeros(1, 2, 3, 3), rb.zeros(2, 2, 3, 3), output_padding=1)
    with pytest.raises(RuntimeError, match="expected a 3-D"):
        F.unfold(rb.zeros(3, 3), 2)
