"""Conv1d/Conv2d and pooling modules: shapes, state_dict keys, init, repr, torch weights give torch outputs."""
import math

import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import COVERED, assert_close, torch


def _load_from_torch(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def _compare_module(name, ours, theirs, x):
    COVERED.add(name)
    _load_from_torch(ours, theirs)
    xr, xt = rb.tensor(x.copy(), requires_grad=True), torch.tensor(x.copy(), requires_grad=True)
    yr, yt = ours(xr), theirs(xt)
    if isinstance(yt, tuple):
        yr, yt = yr[0], yt[0]
    assert_close(yr, yt, 1e-4, 1e-4, what=f"{name} output")
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(np.float32)
    yr.backward(rb.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xr.grad, xt.grad, 1e-4, 1e-4, what=f"{name} input grad")
    params = dict(ours.named_parameters())
    for k, p in theirs.named_parameters():
        assert_close(params[k].grad, p.grad, 1e-4, 1e-4, what=f"{name} grad of {k}")


CONV2D = [
    dict(in_channels=3, out_channels=6, kernel_size=5),
    dict(in_channels=4, out_channels=8, kernel_size=(3, 5), stride=(2, 1), padding=(1, 2)),
    dict(in_channels=4, out_channels=4, kernel_size=3, padding="same", groups=4, bias=False),
    dict(in_channels=4, out_channels=6, kernel_size=3, dilation=2, groups=2, padding=2),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode="reflect"),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode="circular"),
]


@pytest.mark.parametrize("kw", CONV2D)
def test_conv2d_module_matches_torch(kw):
    ours, theirs = rb.nn.Conv2d(**kw), torch.nn.Conv2d(**kw)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in theirs.state_dict().items():
        assert tuple(ours.state_dict()[k].shape) == tuple(v.shape)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal((2, kw["in_channels"], 9, 8)).astype(np.float32)
    _compare_module("Conv2d", ours, theirs, x)


@pytest.mark.parametrize("kw", [dict(in_channels=3, out_channels=5, kernel_size=3),
                                dict(in_channels=4, out_channels=4, kernel_size=5, stride=2,
                                     padding=2, groups=2, bias=False),
                                dict(in_channels=2, out_channels=4, kernel_size=3, padding="same",
                                     dilation=2)])
def test_conv1d_module_matches_torch(kw):
    ours, theirs = rb.nn.Conv1d(**kw), torch.nn.Conv1d(**kw)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal((2, kw["in_channels"], 15)).astype(np.float32)
    _compare_module("Conv1d", ours, theirs, x)


def test_conv_default_init_range_and_seed():
    rb.manual_seed(3)
    a = rb.nn.Conv2d(6, 16, 5)
    bound = 1 / math.sqrt(6 * 5 * 5)
    assert a.weight.shape == (16, 6, 5, 5) and a.bias.shape == (16,)
    assert a.weight.dtype == np.float32
    assert np.abs(a.weight.data).max() <= bound and np.abs(a.bias.data).max() <= bound
    assert np.abs(a.weight.data).max() > 0.8 * bound          # uniform over the whole range
    rb.manual_seed(3)
    b = rb.nn.Conv2d(6, 16, 5)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    g = rb.nn.Conv2d(8, 4, 3, groups=4)
    assert g.weight.shape == (4, 2, 3, 3)
    assert np.abs(g.weight.data).max() <= 1 / math.sqrt(2 * 9)


def test_conv_module_errors():
    with pytest.raises(ValueError, match="divisible by groups"):
        rb.nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        rb.nn.Conv2d(3, 6, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="strided"):
        rb.nn.Conv2d(3, 6, 3, stride=2, padding="same")
    m = rb.nn.Conv2d(3, 6, 3)
    with pytest.raises(RuntimeError, match="input has 1 channels"):
        m(rb.zeros(2, 1, 8, 8))


@pytest.mark.parametrize("ours,theirs", [
    (lambda: rb.nn.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2)),
    (lambda: rb.nn.MaxPool2d(3, 2, 1, ceil_mode=True), lambda: torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
    (lambda: rb.nn.MaxPool2d(2, return_indices=True), lambda: torch.nn.MaxPool2d(2, return_indices=True)),
    (lambda: rb.nn.AvgPool2d(3, 2, 1, count_include_pad=False),
     lambda: torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False)),
    (lambda: rb.nn.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2)),
    (lambda: rb.nn.AdaptiveAvgPool2d((3, 5)), lambda: torch.nn.AdaptiveAvgPool2d((3, 5))),
    (lambda: rb.nn.AdaptiveAvgPool2d(4), lambda: torch.nn.AdaptiveAvgPool2d(4)),
])
def test_pool_modules_match_torch(ours, theirs):
    o, t = ours(), theirs()
    assert repr(o) == repr(t)
    x = np.random.default_rng(2).standard_normal((2, 3, 9, 10)).astype(np.float32)
    _compare_module(type(o).__name__, o, t, x)


@pytest.mark.parametrize("ours,theirs", [
    (lambda: rb.nn.MaxPool1d(3, 2, 1), lambda: torch.nn.MaxPool1d(3, 2, 1)),
    (lambda: rb.nn.AvgPool1d(3, 2, 1), lambda: torch.nn.AvgPool1d(3, 2, 1)),
    (lambda: rb.nn.AdaptiveAvgPool1d(4), lambda: torch.nn.AdaptiveAvgPool1d(4)),
])
def test_pool1d_modules_match_torch(ours, theirs):
    o, t = ours(), theirs()
    assert repr(o) == repr(t)
    x = np.random.default_rng(2).standard_normal((2, 3, 11)).astype(np.float32)
    _compare_module(type(o).__name__, o, t, x)
