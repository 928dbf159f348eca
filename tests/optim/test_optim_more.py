"""NAdam, RAdam, Adadelta, Adamax against torch.optim, step for step (with state_dict round trips)."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import torch
from tests.optim.test_optim import STEPS, Pair

CONFIGS = [
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.01, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.1}),
    ("Adadelta", {"maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.01, "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9)}),          # rho_t > 5 from step 6: both branches
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1, "maximize": True}),
]


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[c[0] + "-" + "-".join(f"{k}={v}" for k, v in c[1].items())
                                                      for c in CONFIGS])
def test_matches_torch_step_for_step(name, kwargs, tmp_path):
    pair = Pair(getattr(rb.optim, name), getattr(torch.optim, name), kwargs)
    for k in range(STEPS // 2):
        pair.step_rb()
        pair.step_torch()
        pair.check(f"{name} step {k + 1}")
    sd, tsd = pair.ro.state_dict(), pair.to.state_dict()
    for i in sd["state"]:
        assert set(sd["state"][i]) == set(tsd["state"][i])
        for key, val in sd["state"][i].items():
            np.testing.assert_allclose(np.asarray(val, np.float64),
                                       np.asarray(tsd["state"][i][key], np.float64),
                                       rtol=1e-4, atol=1e-5, err_msg=f"state[{i}][{key!r}]")
    for g, tg in zip(sd["param_groups"], tsd["param_groups"]):
        for key, val in g.items():
            assert key in tg and tg[key] == val, key
    rb.save({"opt": sd}, tmp_path / "opt.npz")
    clone = [rb.nn.Parameter(p.data.copy()) for p in pair.rp]
    opt2 = getattr(rb.optim, name)(clone, **kwargs)
    opt2.load_state_dict(rb.load(tmp_path / "opt.npz")["opt"])
    for k in range(STEPS // 2, STEPS):
        pair.step_rb()
        pair.step_torch()
        pair.check(f"{name} step {k + 1}")
        pair.step_rb(opt2, clone)
        for i, (a, b) in enumerate(zip(clone, pair.rp)):
            np.testing.assert_array_equal(a.data, b.data, err_msg=f"resumed run, step {k + 1}, param {i}")


@pytest.mark.parametrize("name", ["Adamax", "Adadelta", "NAdam", "RAdam"])
def test_bad_hyperparameters_raise_like_torch(name):
    p = [rb.nn.Parameter(np.zeros(2, np.float32))]
    with pytest.raises(ValueError, match="Invalid learning rate"):
        getattr(rb.optim, name)(p, lr=-1.0)
    with pytest.raises(ValueError, match="Invalid epsilon"):
        getattr(rb.optim, name)(p, eps=-1.0)
