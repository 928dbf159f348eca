"""LambdaLR, LinearLR, OneCycleLR, CosineAnnealingWarmRestarts against torch's lr sequence, step by step."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import torch


def _pair(opt="SGD", lrs=(0.1, 0.01), **kw):
    rp = [rb.nn.Parameter(np.zeros(2, np.float32)) for _ in lrs]
    tp = [torch.nn.Parameter(torch.zeros(2)) for _ in lrs]
    kw = kw or ({"momentum": 0.9} if opt == "SGD" else {})
    ro = getattr(rb.optim, opt)([{"params": [p], "lr": lr} for p, lr in zip(rp, lrs)], lr=0.5, **kw)
    to = getattr(torch.optim, opt)([{"params": [p], "lr": lr} for p, lr in zip(tp, lrs)], lr=0.5, **kw)
    return ro, to


def _check(rs, ts, ro, to, where):
    np.testing.assert_allclose(rs.get_last_lr(), ts.get_last_lr(), rtol=1e-10, atol=1e-15, err_msg=where)
    for g, tg in zip(ro.param_groups, to.param_groups):
        np.testing.assert_allclose(g["lr"], tg["lr"], rtol=1e-10, atol=1e-15, err_msg=where)
        for key in ("momentum", "betas"):
            if key in g:
                np.testing.assert_allclose(g[key], tg[key], rtol=1e-10, err_msg=f"{where} {key}")


CASES = [
    ("LambdaLR", {"lr_lambda": lambda e: 0.95 ** e}, "SGD"),
    ("LambdaLR", {"lr_lambda": [lambda e: 1 / (e + 1), lambda e: 0.5]}, "SGD"),
    ("LinearLR", {}, "SGD"),
    ("LinearLR", {"start_factor": 0.5, "end_factor": 0.1, "total_iters": 7}, "SGD"),
    ("CosineAnnealingWarmRestarts", {"T_0": 4}, "SGD"),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.001}, "SGD"),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 30}, "SGD"),
    ("OneCycleLR", {"max_lr": [0.5, 0.2], "epochs": 3, "steps_per_epoch": 10, "anneal_strategy": "linear"}, "SGD"),
    ("OneCycleLR", {"max_lr": 0.02, "total_steps": 30, "three_phase": True, "pct_start": 0.25}, "Adam"),
    ("OneCycleLR", {"max_lr": 0.02, "total_steps": 30, "cycle_momentum": False}, "Adam"),
]


@pytest.mark.parametrize("name,kwargs,opt", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_torch_step_by_step(name, kwargs, opt):
    ro, to = _pair(opt)
    rs = getattr(rb.optim.lr_scheduler, name)(ro, **kwargs)
    ts = getattr(torch.optim.lr_scheduler, name)(to, **kwargs)
    _check(rs, ts, ro, to, f"{name} step 0")
    for k in range(1, 30):
        ro.step()
        to.step()
        rs.step()
        ts.step()
        assert rs.last_epoch == ts.last_epoch
        _check(rs, ts, ro, to, f"{name} step {k}")


def test_warm_restarts_fractional_epochs_match_torch():
    ro, to = _pair()
    rs = rb.optim.lr_scheduler.CosineAnnealingWarmRestarts(ro, T_0=2, T_mult=3)
    ts = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(to, T_0=2, T_mult=3)
    for epoch in np.arange(0, 12, 0.25):
        rs.step(float(epoch))
        ts.step(float(epoch))
        _check(rs, ts, ro, to, f"epoch {epoch}")


def test_state_dict_resumes(tmp_path):
    ro, _ = _pair()
    rs = rb.optim.lr_scheduler.OneCycleLR(ro, max_lr=0.5, total_steps=20)
    for _ in range(5):
        rs.step()
    rb.save({"s": rs.state_dict()}, tmp_path / "s.npz")
    ro2, _ = _pair()
    rs2 = rb.optim.lr_scheduler.OneCycleLR(ro2, max_lr=0.5, total_steps=20)
    rs2.load_state_dict(rb.load(tmp_path / "s.npz")["s"])
    for _ in range(5):
        rs.step()
        rs2.step()
    np.testing.assert_allclose(rs.get_last_lr(), rs2.get_last_lr())


def test_errors():
    ro, _ = _pair()
    S = rb.optim.lr_scheduler
    with pytest.raises(ValueError, match="total_steps OR"):
        S.OneCycleLR(ro, max_lr=0.1)
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        s = S.OneCycleLR(ro, max_lr=0.1, total_steps=2)
        for _ in range(3):
            s.step()
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        S.LinearLR(ro, start_factor=0)
    with pytest.raises(ValueError, match="T_mult"):
        S.CosineAnnealingWarmRestarts(ro, T_0=2, T_mult=0)
    with pytest.raises(TypeError, match="lr_lambda"):
        S.LambdaLR(ro, lr_lambda=3)
    with pytest.raises(ValueError, match="momentum or beta1"):
        S.OneCycleLR(rb.optim.Adagrad([rb.nn.Parameter(np.zeros(2, np.float32))]), max_lr=0.1, total_steps=5)
