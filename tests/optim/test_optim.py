"""Every optimiser, with each option, against torch.optim step for step."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import torch

N, D_IN, D_H, D_OUT = 8, 3, 5, 2
STEPS = 20


def _init(seed=0):
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((N, D_IN)).astype(np.float32),
            "y": rng.standard_normal((N, D_OUT)).astype(np.float32),
            "params": [(0.5 * rng.standard_normal(s)).astype(np.float32)
                       for s in [(D_IN, D_H), (D_H,), (D_H, D_OUT), (D_OUT,)]]}


def _loss_backward(m, params, x, y, sign=1.0):
    """A 2-layer MLP (square activation) and an MSE loss (times ``sign``: maximize
    runs get -loss, so they stay bounded); back-propagates into params."""
    w1, b1, w2, b2 = params
    h = x @ w1 + b1
    out = (h * h) * 0.5 @ w2 + b2
    r = (out - y) ** 2
    g = np.full(r.shape, sign / r.shape[0], np.float32)
    r.backward(m.tensor(g))


class Pair:
    """The same model and data on both sides; ``step()`` runs one training step on each."""

    def __init__(self, rb_cls, torch_cls, kwargs, groups=None, seed=0):
        d = _init(seed)
        self.x_np, self.y_np = d["x"], d["y"]
        self.rp = [rb.nn.Parameter(a.copy()) for a in d["params"]]
        self.tp = [torch.nn.Parameter(torch.tensor(a.copy())) for a in d["params"]]
        self.rb_cls, self.torch_cls, self.kwargs, self.groups = rb_cls, torch_cls, kwargs, groups
        self.sign = -1.0 if kwargs.get("maximize") else 1.0
        self.ro = rb_cls(self._groups(self.rp), **kwargs)
        self.to = torch_cls(self._groups(self.tp), **kwargs)

    def _groups(self, ps):
        if self.groups is None:
            return ps
        return [{"params": ps[:2], **self.groups[0]}, {"params": ps[2:], **self.groups[1]}]

    def step_rb(self, opt=None, params=None):
        opt = opt or self.ro
        params = params or self.rp
        opt.zero_grad()
        _loss_backward(rb, params, rb.tensor(self.x_np), rb.tensor(self.y_np), self.sign)
        opt.step()

    def step_torch(self):
        self.to.zero_grad()
        _loss_backward(torch, self.tp, torch.tensor(self.x_np), torch.tensor(self.y_np), self.sign)
        self.to.step()

    def check(self, where, atol=1e-5, rtol=1e-5):
        for i, (r, t) in enumerate(zip(self.rp, self.tp)):
            np.testing.assert_allclose(r.data, t.detach().numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"{where}: parameter {i}")


CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01, "maximize": True}),
    ("SGD", {"lr": 0.02, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.8}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "maximize": True, "weight_decay": 0.01}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.1}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
]


def _ids(c):
    return c[0] + "-" + "-".join(f"{k}={v}" for k, v in c[1].items())


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[_ids(c) for c in CONFIGS])
def test_matches_torch_step_for_step(name, kwargs, tmp_path):
    pair = Pair(getattr(rb.optim, name), getattr(torch.optim, name), kwargs)
    for k in range(STEPS // 2):
        pair.step_rb()
        pair.step_torch()
        pair.check(f"{name} step {k + 1}")
    # state_dict: torch's layout, savable with rb.save (no pickle), round-trips exactly
    sd = pair.ro.state_dict()
    tsd = pair.to.state_dict()
    assert sorted(sd["state"]) == sorted(tsd["state"])
    for i in sd["state"]:
        assert set(sd["state"][i]) == set(tsd["state"][i]), (sd["state"][i].keys(), tsd["state"][i].keys())
        for key, val in sd["state"][i].items():
            np.testing.assert_allclose(np.asarray(val, np.float64),
                                       np.asarray(tsd["state"][i][key], np.float64),
                                       rtol=1e-4, atol=1e-5, err_msg=f"state[{i}][{key!r}]")
    assert [g["params"] for g in sd["param_groups"]] == [g["params"] for g in tsd["param_groups"]]
    for g, tg in zip(sd["param_groups"], tsd["param_groups"]):
        for key, val in g.items():
            assert key in tg and tg[key] == val, key
    rb.save({"opt": sd}, tmp_path / "opt.npz")
    loaded = rb.load(tmp_path / "opt.npz")["opt"]
    clone = [rb.nn.Parameter(p.data.copy()) for p in pair.rp]
    opt2 = getattr(rb.optim, name)(clone, **kwargs)
    opt2.load_state_dict(loaded)
    for k in range(STEPS // 2, STEPS):
        pair.step_rb()
        pair.step_torch()
        pair.check(f"{name} step {k + 1}")
        pair.step_rb(opt2, clone)
        for i, (a, b) in enumerate(zip(clone, pair.rp)):
            np.testing.assert_array_equal(a.data, b.data, err_msg=f"resumed run, step {k + 1}, param {i}")


@pytest.mark.parametrize("name,kwargs", [("SGD", {"lr": 0.05, "momentum": 0.9}),
                                         ("Adam", {"lr": 0.01, "amsgrad": True}),
                                         ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
                                         ("Adagrad", {"lr": 0.1})])
def test_param_groups_and_torch_state_dict(name, kwargs):
    groups = [{"lr": 0.02}, {"weight_decay": 0.1}]
    pair = Pair(getattr(rb.optim, name), getattr(torch.optim, name), kwargs, groups=groups)
    assert pair.ro.param_groups[0]["lr"] == 0.02 and pair.ro.param_groups[1]["lr"] == kwargs["lr"]
    for k in range(5):
        pair.step_rb()
        pair.step_torch()
        pair.check(f"{name} (2 groups) step {k + 1}")
    # a torch state_dict (tensors) loads into ours
    fresh = [rb.nn.Parameter(t.detach().numpy().copy()) for t in pair.tp]
    opt = getattr(rb.optim, name)([{"params": fresh[:2]}, {"params": fresh[2:]}], **kwargs)
    opt.load_state_dict(pair.to.state_dict())
    assert opt.param_groups[0]["lr"] == 0.02
    for k in range(5):
        pair.step_torch()
        pair.step_rb(opt, fresh)
        for i, (r, t) in enumerate(zip(fresh, pair.tp)):
            np.testing.assert_allclose(r.data, t.detach().numpy(), rtol=1e-5, atol=1e-5)


def test_add_param_group_and_zero_grad():
    a = rb.nn.Parameter(np.ones(3, np.float32))
    b = rb.nn.Parameter(np.ones(2, np.float32))
    opt = rb.optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [b], "lr": 0.5})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.5
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    a.grad = rb.ones(3)
    b.grad = rb.ones(2)
    opt.step()
    np.testing.assert_allclose(a.data, 0.9)
    np.testing.assert_allclose(b.data, 0.5)
    opt.zero_grad(set_to_none=False)
    assert np.all(a.grad.data == 0)
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    opt.step()  # no gradients: nothing changes
    np.testing.assert_allclose(a.data, 0.9)
    sd = opt.state_dict()
    assert sd["param_groups"][1]["params"] == [1] and list(sd["state"]) == [0, 1]
    assert isinstance(sd["state"][0]["momentum_buffer"], np.ndarray)


def test_closure_and_no_graph():
    p = rb.nn.Parameter(np.array([[1.0, 2.0]], np.float32))
    opt = rb.optim.Adam([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p) @ rb.tensor(np.ones((2, 1), np.float32))
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss) == pytest.approx(5.0)
    assert p.grad_fn is None and p.is_leaf and p.requires_grad
    np.testing.assert_allclose(p.data, [[0.9, 1.9]], rtol=1e-5)


@pytest.mark.parametrize("make,msg", [
    (lambda ps: rb.optim.SGD(ps, lr=-1), "Invalid learning rate: -1"),
    (lambda ps: rb.optim.SGD(ps, lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda ps: rb.optim.SGD(ps, lr=0.1, nesterov=True), "Nesterov momentum requires"),
    (lambda ps: rb.optim.SGD(ps, lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda ps: rb.optim.Adam(ps, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda ps: rb.optim.Adam(ps, eps=-1e-8), "Invalid epsilon value"),
    (lambda ps: rb.optim.AdamW(ps, betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
    (lambda ps: rb.optim.RMSprop(ps, alpha=-0.1), "Invalid alpha value: -0.1"),
    (lambda ps: rb.optim.Adagrad(ps, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda ps: rb.optim.Adagrad(ps, initial_accumulator_value=-1),
     "Invalid initial_accumulator_value value: -1"),
    (lambda ps: rb.optim.SGD([], lr=0.1), "empty parameter list"),
])
def test_invalid_arguments(make, msg):
    ps = [rb.nn.Parameter(np.zeros(2, np.float32))]
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        make(ps)


def test_bad_param_types():
    with pytest.raises(TypeError, match="single Tensor"):
        rb.optim.SGD(rb.nn.Parameter(np.zeros(2, np.float32)), lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        rb.optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        rb.optim.SGD({rb.nn.Parameter(np.zeros(2, np.float32))}, lr=0.1)


def test_defaults_match_torch():
    p = [rb.nn.Parameter(np.zeros(2, np.float32))]
    tp = [torch.nn.Parameter(torch.zeros(2))]
    for name in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]:
        ours = getattr(rb.optim, name)(p).defaults
        theirs = getattr(torch.optim, name)(tp).defaults
        for k, v in ours.items():
            assert theirs[k] == v, (name, k, v, theirs[k])
