"""Losses (functional and modules) against PyTorch: every reduction, weights, ignore_index,
label smoothing, probability targets, pos_weight, 1-D to 4-D inputs, extreme logits."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import compare, torch

rng = np.random.default_rng(0)
REDUCTIONS = ["mean", "sum", "none"]


def _x(*shape, scale=1.0, dtype=np.float32):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def _F(m):
    return m.nn.functional


# -- regression losses ---------------------------------------------------------------------
REGRESSION = [
    ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
    ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {}), ("huber_loss", {"delta": 0.3}),
]


@pytest.mark.parametrize("name,kw", REGRESSION, ids=[f"{n}{kw}" for n, kw in REGRESSION])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 2, 3, 3)], ids=str)
def test_regression_losses(name, kw, reduction, shape):
    x, y = _x(*shape), _x(*shape)
    # both input and target get gradients
    compare(name, lambda m, a, b: getattr(_F(m), name)(a, b, reduction=reduction, **kw), x, y)


def test_mse_broadcast_target():
    x, y = _x(3, 4), _x(4)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare("mse_loss", lambda m, a, b: _F(m).mse_loss(a, b), x, y)


# -- binary cross-entropy -------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6,), (3, 4), (2, 3, 4), (2, 2, 2, 3)], ids=str)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce(reduction, shape, weighted):
    p = rng.uniform(0.02, 0.98, shape).astype(np.float32)
    t = rng.uniform(0, 1, shape).astype(np.float32)
    w = rng.uniform(0.5, 2, shape[-1:]).astype(np.float32)
    compare("binary_cross_entropy",
            lambda m, p, t, w: _F(m).binary_cross_entropy(p, t, weight=w if weighted else None,
                                                           reduction=reduction),
            p, t, w, requires_grad=[True, True, False], grad_rtol=1e-3)


def test_bce_saturated_probabilities_clamped_like_torch():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], np.float32)
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0], np.float32)
    compare("binary_cross_entropy", lambda m, p, t: _F(m).binary_cross_entropy(p, t), p, t,
            requires_grad=[True, False])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6,), (3, 4), (2, 3, 4), (2, 2, 2, 3)], ids=str)
@pytest.mark.parametrize("weighted,pos", [(False, False), (True, False), (False, True), (True, True)])
def test_bce_with_logits(reduction, shape, weighted, pos):
    x, t = _x(*shape, scale=3), rng.uniform(0, 1, shape).astype(np.float32)
    w = rng.uniform(0.5, 2, shape[-1:]).astype(np.float32)
    pw = rng.uniform(0.5, 3, shape[-1:]).astype(np.float32)
    compare("binary_cross_entropy_with_logits",
            lambda m, x, t, w, pw: _F(m).binary_cross_entropy_with_logits(
                x, t, weight=w if weighted else None, reduction=reduction,
                pos_weight=pw if pos else None),
            x, t, w, pw, requires_grad=[True, True, False, False])


def test_bce_with_logits_extreme_finite():
    x = np.array([1e4, -1e4, 1e4, -1e4, 0.0], np.float32)
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.5], np.float32)
    pw = np.array([2.0] * 5, np.float32)
    for p in (None, pw):
        r, _ = compare("binary_cross_entropy_with_logits",
                       lambda m, x, t, pw: _F(m).binary_cross_entropy_with_logits(x, t, pos_weight=pw),
                       x, t, p if p is not None else pw, requires_grad=[True, False, False])
        assert np.isfinite(r[0].data).all()
        xr = rb.tensor(x, requires_grad=True)
        rb.nn.functional.binary_cross_entropy_with_logits(
            xr, rb.tensor(t), pos_weight=None if p is None else rb.tensor(p)).backward()
        assert np.isfinite(xr.grad.data).all()


# -- cross-entropy / NLL ---------------------------------------------------------------------
def _targets(shape, C, ignore=False):
    t = rng.integers(0, C, shape).astype(np.int64)
    if ignore and t.size > 1:
        t.reshape(-1)[::3] = -100 if ignore is True else ignore
    return t


CE_SHAPES = [((5,), ()), ((6, 5), (6,)), ((3, 5, 4), (3, 4)), ((2, 5, 3, 2), (2, 3, 2))]


@pytest.mark.parametrize("xs,ts", CE_SHAPES, ids=[str(s[0]) for s in CE_SHAPES])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_class_indices(xs, ts, reduction, weighted, ignore, smoothing):
    C = xs[0] if len(xs) == 1 else xs[1]
    x = _x(*xs, scale=2)
    t = _targets(ts, C, ignore and len(xs) > 1)
    w = rng.uniform(0.2, 2, C).astype(np.float32)
    compare("cross_entropy",
            lambda m, x, t, w: _F(m).cross_entropy(x, t, weight=w if weighted else None,
                                                   reduction=reduction, label_smoothing=smoothing),
            x, t, w, requires_grad=[True, False, False])


def test_cross_entropy_custom_ignore_index():
    x, t = _x(8, 4), _targets((8,), 4)
    t[[1, 4]] = 2
    compare("cross_entropy", lambda m, x, t: _F(m).cross_entropy(x, t, ignore_index=2), x, t)
    compare("nll_loss", lambda m, x, t: _F(m).nll_loss(x, t, ignore_index=2), x, t)


@pytest.mark.parametrize("xs", [(5,), (6, 5), (3, 5, 4), (2, 5, 3, 2)], ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_probability_targets(xs, reduction, weighted, smoothing):
    C = xs[0] if len(xs) == 1 else xs[1]
    x = _x(*xs, scale=2)
    p = rng.uniform(0, 1, xs).astype(np.float32)
    p = (p / p.sum(axis=0 if len(xs) == 1 else 1, keepdims=True)).astype(np.float32)
    w = rng.uniform(0.2, 2, C).astype(np.float32)
    # gradient w.r.t. the soft target too (torch supports it)
    compare("cross_entropy_probs",
            lambda m, x, p, w: _F(m).cross_entropy(x, p, weight=w if weighted else None,
                                                   reduction=reduction, label_smoothing=smoothing),
            x, p, w, requires_grad=[True, True, False])


def test_cross_entropy_extreme_logits_finite():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4]],
                 np.float32)
    t = np.array([1, 1, 0, 2])
    for ls in (0.0, 0.1):
        r, _ = compare("cross_entropy", lambda m, x, t: _F(m).cross_entropy(x, t, label_smoothing=ls),
                       x, t, rtol=1e-4, atol=1e-2)
        assert np.isfinite(r[0].data).all()
        xr = rb.tensor(x, requires_grad=True)
        rb.nn.functional.cross_entropy(xr, rb.tensor(t), label_smoothing=ls).backward()
        assert np.isfinite(xr.grad.data).all()


def test_cross_entropy_all_ignored_is_nan_like_torch():
    x, t = _x(3, 4), np.full(3, -100)
    r = rb.nn.functional.cross_entropy(rb.tensor(x), rb.tensor(t))
    assert np.isnan(r.item()) and np.isnan(torch.nn.functional.cross_entropy(
        torch.tensor(x), torch.tensor(t)).item())


@pytest.mark.parametrize("xs,ts", CE_SHAPES, ids=[str(s[0]) for s in CE_SHAPES])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(xs, ts, reduction, weighted):
    C = xs[0] if len(xs) == 1 else xs[1]
    x = _x(*xs)
    t = _targets(ts, C, len(xs) > 1)
    w = rng.uniform(0.2, 2, C).astype(np.float32)
    compare("nll_loss", lambda m, x, t, w: _F(m).nll_loss(x, t, weight=w if weighted else None,
                                                          reduction=reduction),
            x, t, w, requires_grad=[True, False, False])


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x = np.log(rng.dirichlet(np.ones(5), 4)).astype(np.float32)
    t = rng.dirichlet(np.ones(5), 4).astype(np.float32)
    if log_target:
        t = np.log(t)
    compare("kl_div", lambda m, x, t: _F(m).kl_div(x, t, reduction=reduction, log_target=log_target),
            x, t, requires_grad=[True, False])


# -- float64 gradcheck of each fused loss ---------------------------------------------------------
def _d(*shape):
    return rb.tensor(rng.standard_normal(shape), dtype=rb.float64, requires_grad=True)


def test_gradcheck_losses_float64():
    F = rb.nn.functional
    gc = rb.autograd.gradcheck
    a, b = _d(3, 4), _d(3, 4)
    for red in REDUCTIONS:
        assert gc(lambda a, b: F.mse_loss(a, b, reduction=red), (a, b))
        assert gc(lambda a, b: F.smooth_l1_loss(a, b, reduction=red, beta=0.7), (a, b))
        assert gc(lambda a, b: F.huber_loss(a, b, reduction=red, delta=0.6), (a, b))
    assert gc(lambda a, b: F.l1_loss(a, b), (a, b))
    p = rb.tensor(rng.uniform(0.1, 0.9, (3, 4)), requires_grad=True)
    t = rb.tensor(rng.uniform(0, 1, (3, 4)), requires_grad=True)
    w = rb.tensor(rng.uniform(0.5, 2, (4,)))
    assert gc(lambda p, t: F.binary_cross_entropy(p, t, weight=w), (p, t))
    assert gc(lambda a, t: F.binary_cross_entropy_with_logits(a, t, weight=w, pos_weight=w * 2), (a, t))
    tgt = rb.tensor(rng.integers(0, 4, 3))
    tgt.data[1] = -100
    cw = rb.tensor(rng.uniform(0.5, 2, 4))
    for red in REDUCTIONS:
        assert gc(lambda a: F.cross_entropy(a, tgt, weight=cw, reduction=red, label_smoothing=0.1), (a,))
        assert gc(lambda a: F.nll_loss(a, tgt, weight=cw, reduction=red), (a,))
    x4 = _d(2, 4, 3, 2)
    t4 = rb.tensor(rng.integers(0, 4, (2, 3, 2)))
    assert gc(lambda a: F.cross_entropy(a, t4, label_smoothing=0.2), (x4,))
    q = rb.tensor(rng.dirichlet(np.ones(4), 3), requires_grad=True)
    assert gc(lambda a, q: F.cross_entropy(a, q, weight=cw, label_smoothing=0.1), (a, q))


# -- modules -----------------------------------------------------------------------------------
def test_loss_modules_vs_torch():
    x, y = _x(4, 3), _x(4, 3)
    t = _targets((4,), 3)
    w = rng.uniform(0.5, 2, 3).astype(np.float32)
    probs = rng.uniform(0.05, 0.95, (4, 3)).astype(np.float32)
    cases = [
        ("MSELoss", lambda m: m.nn.MSELoss(), x, y),
        ("L1Loss", lambda m: m.nn.L1Loss(reduction="sum"), x, y),
        ("SmoothL1Loss", lambda m: m.nn.SmoothL1Loss(beta=0.5), x, y),
        ("HuberLoss", lambda m: m.nn.HuberLoss(delta=0.5, reduction="none"), x, y),
        ("BCELoss", lambda m: m.nn.BCELoss(weight=m.tensor(w)), probs, np.round(probs)),
        ("BCEWithLogitsLoss", lambda m: m.nn.BCEWithLogitsLoss(pos_weight=m.tensor(w)), x, np.round(probs)),
        ("CrossEntropyLoss", lambda m: m.nn.CrossEntropyLoss(weight=m.tensor(w), label_smoothing=0.1), x, t),
        ("NLLLoss", lambda m: m.nn.NLLLoss(reduction="sum"), x, t),
        ("KLDivLoss", lambda m: m.nn.KLDivLoss(reduction="batchmean"), x, probs),
    ]
    for name, make, a, b in cases:
        compare("nn." + name, lambda m, a, b: make(m)(a, b), a, b,
                requires_grad=[True, False])
        assert repr(make(rb)) == repr(make(torch)) == name + "()"
    # state_dict of a weighted loss holds the weight buffer, like torch
    assert list(rb.nn.CrossEntropyLoss(weight=rb.tensor(w)).state_dict()) == \
        list(torch.nn.CrossEntropyLoss(weight=torch.tensor(w)).state_dict())


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_legacy_size_average_reduce():
    x, y = _x(3, 2), _x(3, 2)
    compare("mse_loss", lambda m, a, b: m.nn.functional.mse_loss(a, b, size_average=False), x, y)
    compare("mse_loss", lambda m, a, b: m.nn.functional.mse_loss(a, b, reduce=False), x, y)


# -- errors --------------------------------------------------------------------------------------
def test_target_checks_raise_clearly():
    F = rb.nn.functional
    x = rb.randn(4, 3)
    with pytest.raises(TypeError, match="class indices.*int64"):
        F.cross_entropy(x, rb.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"expected target of shape \(4,\)"):
        F.cross_entropy(x, rb.tensor([0, 1, 2]))
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        F.cross_entropy(x, rb.tensor([0, 1, 3, 1]))
    with pytest.raises(IndexError, match="out of bounds"):
        F.nll_loss(x, rb.tensor([0, -1, 2, 1]))
    with pytest.raises(RuntimeError, match="weight must be a 1-D tensor of 3"):
        F.cross_entropy(x, rb.tensor([0, 1, 2, 1]), weight=rb.ones(4))
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        F.cross_entropy(x, rb.rand(4, 3), ignore_index=1)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.cross_entropy(x, rb.tensor([0, 1, 2, 1]), reduction="avg")
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        rb.nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, rb.tensor([0, 1, 2, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="Target size"):
        F.binary_cross_entropy_with_logits(x, rb.rand(4))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(x, rb.rand(4, 3))
    with pytest.raises(RuntimeError, match=r"\(4, 3\).*\(5,\)"):
        F.mse_loss(x, rb.rand(5))
