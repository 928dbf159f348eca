"""Learning-rate schedulers against torch.optim.lr_scheduler, epoch by epoch."""
import warnings

import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import torch

EPOCHS = 20


def _opts(lrs=(0.1, 0.01)):
    rp = [rb.nn.Parameter(np.zeros(2, np.float32)) for _ in lrs]
    tp = [torch.nn.Parameter(torch.zeros(2)) for _ in lrs]
    ro = rb.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(rp, lrs)], lr=0.5, momentum=0.9)
    to = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(tp, lrs)], lr=0.5, momentum=0.9)
    return ro, to


SCHEDULERS = [
    ("StepLR", {"step_size": 3}),
    ("StepLR", {"step_size": 4, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 11], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 6}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}),
]


def _assert_lrs(rs, ts, ro, to, where):
    np.testing.assert_allclose(rs.get_last_lr(), ts.get_last_lr(), rtol=1e-12, atol=0, err_msg=where)
    np.testing.assert_allclose([g["lr"] for g in ro.param_groups], [g["lr"] for g in to.param_groups],
                               rtol=1e-12, atol=0, err_msg=where)


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=[f"{n}-{k}" for n, k in SCHEDULERS])
def test_scheduler_matches_torch(name, kwargs, tmp_path):
    ro, to = _opts()
    rs = getattr(rb.optim.lr_scheduler, name)(ro, **kwargs)
    ts = getattr(torch.optim.lr_scheduler, name)(to, **kwargs)
    _assert_lrs(rs, ts, ro, to, f"{name} epoch 0")
    for epoch in range(1, EPOCHS + 1):
        ro.step()
        to.step()
        rs.step()
        ts.step()
        _assert_lrs(rs, ts, ro, to, f"{name} epoch {epoch}")
        assert rs.last_epoch == ts.last_epoch
        if epoch == EPOCHS // 2:
            # save (no pickle) and resume into fresh objects
            rb.save({"sched": rs.state_dict(), "opt": ro.state_dict()}, tmp_path / "s.npz")
    ck = rb.load(tmp_path / "s.npz")
    ro2, _ = _opts()
    ro2.load_state_dict(ck["opt"])
    rs2 = getattr(rb.optim.lr_scheduler, name)(ro2, **kwargs)
    rs2.load_state_dict(ck["sched"])
    ro, to = _opts()
    rs = getattr(rb.optim.lr_scheduler, name)(ro, **kwargs)
    ts = getattr(torch.optim.lr_scheduler, name)(to, **kwargs)
    for epoch in range(1, EPOCHS + 1):
        ro.step()
        to.step()
        rs.step()
        ts.step()
        if epoch > EPOCHS // 2:
            ro2.step()
            rs2.step()
            assert rs2.get_last_lr() == rs.get_last_lr(), f"resumed {name}, epoch {epoch}"
            assert rs2.last_epoch == rs.last_epoch


def test_chained_manual_change_matches_torch():
    """The recursive forms follow manual changes of lr like torch's."""
    ro, to = _opts()
    rs = rb.optim.lr_scheduler.CosineAnnealingLR(ro, T_max=5)
    ts = torch.optim.lr_scheduler.CosineAnnealingLR(to, T_max=5)
    for epoch in range(1, 15):
        if epoch == 3:
            ro.param_groups[0]["lr"] *= 0.5
            to.param_groups[0]["lr"] *= 0.5
        ro.step(), to.step(), rs.step(), ts.step()
        _assert_lrs(rs, ts, ro, to, f"epoch {epoch}")


def test_step_with_epoch_uses_closed_form():
    ro, to = _opts()
    rs = rb.optim.lr_scheduler.StepLR(ro, step_size=2, gamma=0.5)
    ts = torch.optim.lr_scheduler.StepLR(to, step_size=2, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rs.step(5)
        ts.step(5)
    _assert_lrs(rs, ts, ro, to, "step(5)")


PLATEAU = [
    {},
    {"mode": "max", "factor": 0.5, "patience": 2},
    {"patience": 1, "threshold": 0.1, "threshold_mode": "abs", "cooldown": 2, "min_lr": 0.004},
    {"patience": 0, "factor": 0.5, "min_lr": [0.05, 0.001], "eps": 1e-3},
    {"mode": "max", "threshold_mode": "abs", "patience": 1, "cooldown": 1},
]


@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_lr_on_plateau_matches_torch(kwargs, tmp_path):
    ro, to = _opts()
    rs = rb.optim.lr_scheduler.ReduceLROnPlateau(ro, **kwargs)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(to, **kwargs)
    rng = np.random.default_rng(1)
    metrics = list(np.linspace(1.0, 0.5, 5)) + list(0.5 + 0.05 * rng.standard_normal(25))
    history = []
    for epoch, m in enumerate(metrics):
        rs.step(m)
        ts.step(m)
        _assert_lrs(rs, ts, ro, to, f"plateau {kwargs} epoch {epoch}")
        assert rs.num_bad_epochs == ts.num_bad_epochs and rs.cooldown_counter == ts.cooldown_counter
        history.append(list(rs.get_last_lr()))
        if epoch == 12:
            rb.save({"sched": rs.state_dict(), "opt": ro.state_dict()}, tmp_path / "p.npz")
    # resume from the checkpoint: the rest of the run is identical
    ck = rb.load(tmp_path / "p.npz")
    ro2, _ = _opts()
    ro2.load_state_dict(ck["opt"])
    rs2 = rb.optim.lr_scheduler.ReduceLROnPlateau(ro2, **kwargs)
    rs2.load_state_dict(ck["sched"])
    for epoch in range(13, len(metrics)):
        rs2.step(metrics[epoch])
        assert rs2.get_last_lr() == history[epoch], f"resumed, epoch {epoch}"


def test_scheduler_errors():
    ro, _ = _opts()
    with pytest.raises(TypeError, match="not an Optimizer"):
        rb.optim.lr_scheduler.StepLR(object(), step_size=2)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        rb.optim.lr_scheduler.ReduceLROnPlateau(ro, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown"):
        rb.optim.lr_scheduler.ReduceLROnPlateau(ro, mode="avg")
    with pytest.raises(KeyError, match="initial_lr"):
        rb.optim.lr_scheduler.ExponentialLR(ro, gamma=0.9, last_epoch=3)
