"""nn.init: gains, fans, bounds/std by formula vs torch's formula, sample statistics, seeding."""
import math

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.nn as nn
from rosenblatt.nn import init
from tests.oracle import torch

tinit = torch.nn.init

SHAPES = [(256, 784), (16, 6, 5, 5), (10, 3), (8, 4, 3)]


def test_calculate_gain_matches_torch():
    for nl in ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]:
        assert init.calculate_gain(nl) == pytest.approx(tinit.calculate_gain(nl)), nl
    for slope in (0, 0.2, 1, math.sqrt(5)):
        assert init.calculate_gain("leaky_relu", slope) == pytest.approx(tinit.calculate_gain("leaky_relu", slope))
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(rb.empty(*shape)) == \
        tinit._calculate_fan_in_and_fan_out(torch.empty(*shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(rb.empty(5))


def test_conv_fans_explicit():
    assert init._calculate_fan_in_and_fan_out(rb.empty(16, 6, 5, 5)) == (150, 400)
    assert init._calculate_fan_in_and_fan_out(rb.empty(256, 784)) == (784, 256)


def _bound_uniform(fn, shape, **kw):
    return fn(shape, **kw)


@pytest.mark.parametrize("shape", SHAPES[:2], ids=str)
@pytest.mark.parametrize("kw", [{}, {"a": math.sqrt(5)}, {"mode": "fan_out"},
                                {"nonlinearity": "relu"}, {"a": 0.1, "mode": "fan_out"}], ids=str)
def test_kaiming_uniform_bound_and_stats(shape, kw):
    t = rb.empty(*shape)
    assert init.kaiming_uniform_(t, **kw) is t
    fan_in, fan_out = tinit._calculate_fan_in_and_fan_out(torch.empty(*shape))
    fan = fan_out if kw.get("mode") == "fan_out" else fan_in
    gain = tinit.calculate_gain(kw.get("nonlinearity", "leaky_relu"), kw.get("a", 0))
    bound = gain * math.sqrt(3.0 / fan)
    w = t.data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.03 * bound
    tw = tinit.kaiming_uniform_(torch.empty(*shape), **kw).numpy()
    assert abs(np.abs(tw).max() - np.abs(w).max()) < 0.03 * bound


@pytest.mark.parametrize("shape", SHAPES[:2], ids=str)
@pytest.mark.parametrize("kw", [{}, {"mode": "fan_out", "nonlinearity": "relu"}], ids=str)
def test_kaiming_normal_std(shape, kw):
    t = init.kaiming_normal_(rb.empty(*shape), **kw)
    fan_in, fan_out = tinit._calculate_fan_in_and_fan_out(torch.empty(*shape))
    fan = fan_out if kw.get("mode") == "fan_out" else fan_in
    std = tinit.calculate_gain(kw.get("nonlinearity", "leaky_relu"), 0) / math.sqrt(fan)
    assert abs(t.data.std() - std) < 0.03 * std
    assert abs(t.data.mean()) < 0.03 * std
    tw = tinit.kaiming_normal_(torch.empty(*shape), **kw).numpy()
    assert abs(tw.std() - t.data.std()) < 0.05 * std


@pytest.mark.parametrize("shape", SHAPES[:2], ids=str)
@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier(shape, gain):
    fan_in, fan_out = tinit._calculate_fan_in_and_fan_out(torch.empty(*shape))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    u = init.xavier_uniform_(rb.empty(*shape), gain=gain).data
    bound = math.sqrt(3) * std
    assert np.abs(u).max() <= bound and np.abs(u).max() > 0.98 * bound
    assert abs(u.std() - std) < 0.03 * std
    n = init.xavier_normal_(rb.empty(*shape), gain=gain).data
    assert abs(n.std() - std) < 0.03 * std
    assert abs(tinit.xavier_normal_(torch.empty(*shape), gain=gain).numpy().std() - n.std()) < 0.05 * std


def test_uniform_normal_constant_ones_zeros_eye():
    t = rb.empty(300, 300)
    init.uniform_(t, -2, 3)
    assert t.data.min() >= -2 and t.data.max() <= 3 and abs(t.data.mean() - 0.5) < 0.02
    init.normal_(t, 1.0, 0.5)
    assert abs(t.data.mean() - 1) < 0.01 and abs(t.data.std() - 0.5) < 0.01
    assert t.dtype == np.float32
    assert (init.constant_(t, 0.3).data == np.float32(0.3)).all()
    assert (init.ones_(t).data == 1).all() and (init.zeros_(t).data == 0).all()
    e = init.eye_(rb.empty(3, 5))
    np.testing.assert_array_equal(e.data, tinit.eye_(torch.empty(3, 5)).numpy())
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(rb.empty(2, 2, 2))


def test_trunc_normal():
    t = init.trunc_normal_(rb.empty(200, 200), mean=0.0, std=1.0, a=-1.0, b=1.5).data
    assert t.min() >= -1.0 and t.max() <= 1.5
    ref = tinit.trunc_normal_(torch.empty(200, 200), 0.0, 1.0, -1.0, 1.5).numpy()
    assert abs(t.mean() - ref.mean()) < 0.02 and abs(t.std() - ref.std()) < 0.02
    s = init.trunc_normal_(rb.empty(100, 100), std=0.02).data   # the usual ViT call: [-2, 2] is wide
    assert abs(s.std() - 0.02) < 0.001


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 2, 3)], ids=str)
def test_orthogonal(shape):
    t = init.orthogonal_(rb.empty(*shape), gain=2.0).data.reshape(shape[0], -1).astype(np.float64)
    rows, cols = t.shape
    if rows >= cols:
        np.testing.assert_allclose(t.T @ t, 4 * np.eye(cols), atol=1e-5)
    else:
        np.testing.assert_allclose(t @ t.T, 4 * np.eye(rows), atol=1e-5)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(rb.empty(3))


def test_dirac_matches_torch():
    np.testing.assert_array_equal(init.dirac_(rb.empty(4, 3, 3, 3)).data,
                                  tinit.dirac_(torch.empty(4, 3, 3, 3)).numpy())


def test_in_place_on_parameter_under_grad_mode_and_seeded():
    lin = nn.Linear(5, 3)
    w = lin.weight
    data_before = w.data
    init.xavier_uniform_(w)                # no "leaf variable in-place" error
    assert w.data is data_before           # truly in place
    assert w.requires_grad and w.grad_fn is None
    rb.manual_seed(11)
    a = init.kaiming_normal_(rb.empty(4, 4)).data.copy()
    rb.manual_seed(11)
    b = init.kaiming_normal_(rb.empty(4, 4)).data
    np.testing.assert_array_equal(a, b)


def test_errors():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(rb.empty(3, 3), mode="fan_avg")
    with pytest.raises(TypeError, match="Tensor"):
        init.uniform_(np.zeros(3))
