"""Sequential / ModuleList / ModuleDict / ParameterList / ParameterDict vs PyTorch."""
from collections import OrderedDict

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.nn as nn
from tests.oracle import COVERED, assert_close, torch


def _seq(m):
    return m.nn.Sequential(m.nn.Linear(3, 4), m.nn.ReLU(), m.nn.Linear(4, 2), m.nn.Tanh())


def _names(mod):
    return [k for k, _ in mod.named_parameters()]


def test_sequential_forward_matches_torch():
    COVERED.add("nn.Sequential")
    r, t = _seq(rb), _seq(torch)
    r.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    assert_close(r(rb.tensor(x)), t(torch.tensor(x)))


def test_sequential_indexing_slicing_len():
    r, t = _seq(rb), _seq(torch)
    assert len(r) == len(t) == 4
    assert isinstance(r[0], nn.Linear) and isinstance(r[-1], nn.Tanh)
    sub_r, sub_t = r[1:3], t[1:3]
    assert isinstance(sub_r, nn.Sequential) and len(sub_r) == 2
    assert [k for k, _ in sub_r.named_children()] == [k for k, _ in sub_t.named_children()] == ["1", "2"]
    assert sub_r[1] is r[2]
    assert [type(m).__name__ for m in r] == [type(m).__name__ for m in t]
    with pytest.raises(IndexError, match="out of range"):
        r[4]
    with pytest.raises(IndexError):
        t[4]
    with pytest.raises(TypeError, match="integers or slices"):
        r["a"]


def test_sequential_setitem_delitem_append_insert_extend_pop():
    r, t = _seq(rb), _seq(torch)
    for m, mod in ((r, rb), (t, torch)):
        m[1] = mod.nn.Sigmoid()
        del m[0]
        m.append(mod.nn.Linear(2, 2))
        m.insert(0, mod.nn.Identity())
        m.extend([mod.nn.ReLU()])
        m.pop(1)
    assert [(k, type(v).__name__) for k, v in r.named_children()] == \
        [(k, type(v).__name__) for k, v in t.named_children()]
    assert _names(r) == _names(t)
    assert repr(r) == repr(t)


def test_sequential_ordered_dict_form():
    def make(m):
        return m.nn.Sequential(OrderedDict([("fc1", m.nn.Linear(2, 3)), ("act", m.nn.ReLU()),
                                            ("fc2", m.nn.Linear(3, 1))]))
    r, t = make(rb), make(torch)
    assert list(r.state_dict()) == list(t.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert r.fc1 is r[0] and r.act is r[1]
    assert repr(r) == repr(t)
    assert list(r[0:2].state_dict()) == list(t[0:2].state_dict())


def test_sequential_add_and_nested_keys():
    def make(m):
        return m.nn.Sequential(m.nn.Sequential(m.nn.Linear(2, 2), m.nn.ReLU()), m.nn.Linear(2, 1))
    r, t = make(rb), make(torch)
    assert list(r.state_dict()) == list(t.state_dict())
    assert len(r + r) == len(t + t) == 4
    with pytest.raises(TypeError, match="Module"):
        nn.Sequential(nn.ReLU(), 3)


def test_module_list():
    def make(m):
        return m.nn.ModuleList([m.nn.Linear(2, 2) for _ in range(3)])
    r, t = make(rb), make(torch)
    assert _names(r) == _names(t)
    r.append(nn.Linear(2, 3))
    t.append(torch.nn.Linear(2, 3))
    r.insert(1, nn.ReLU())
    t.insert(1, torch.nn.ReLU())
    r.extend([nn.Tanh()])
    t.extend([torch.nn.Tanh()])
    r += [nn.Sigmoid()]
    t += [torch.nn.Sigmoid()]
    del r[0]
    del t[0]
    assert len(r) == len(t)
    assert _names(r) == _names(t)
    assert [type(m).__name__ for m in r] == [type(m).__name__ for m in t]
    assert [type(m).__name__ for m in r[1:3]] == [type(m).__name__ for m in t[1:3]]
    assert isinstance(r[1:3], nn.ModuleList)
    assert r[-1] is list(r)[-1]
    assert repr(r) == repr(t)          # runs of equal modules folded: "(2-3): 2 x Linear(...)"
    r[0] = nn.Identity()
    t[0] = torch.nn.Identity()
    assert isinstance(r[0], nn.Identity)
    assert repr(r) == repr(t)
    with pytest.raises(IndexError):
        r[100]


def test_module_dict():
    def make(m):
        return m.nn.ModuleDict({"enc": m.nn.Linear(2, 3), "act": m.nn.ReLU()})
    r, t = make(rb), make(torch)
    r["dec"] = nn.Linear(3, 2)
    t["dec"] = torch.nn.Linear(3, 2)
    r.update([("out", nn.Linear(2, 1))])
    t.update([("out", torch.nn.Linear(2, 1))])
    assert list(r.keys()) == list(t.keys()) and list(r) == list(t)
    assert "enc" in r and "zzz" not in r and len(r) == len(t) == 4
    assert _names(r) == _names(t)
    assert isinstance(r.pop("act"), nn.ReLU) and "act" not in r
    assert [k for k, _ in r.items()] == ["enc", "dec", "out"]
    del r["out"]
    assert list(r.keys()) == ["enc", "dec"]
    r.clear()
    assert len(r) == 0


def test_parameter_list_and_dict():
    pl = nn.ParameterList([nn.Parameter(rb.zeros(2)), rb.ones(3)])
    tl = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2)), torch.ones(3)])
    assert _names(pl) == _names(tl) == ["0", "1"]
    assert all(isinstance(p, nn.Parameter) for p in pl)
    pd = nn.ParameterDict({"a": nn.Parameter(rb.zeros(1))})
    pd["b"] = rb.ones(2)
    assert _names(pd) == ["a", "b"] and isinstance(pd["b"], nn.Parameter)


def test_container_train_eval_and_module_list_has_no_forward():
    m = nn.ModuleList([nn.Dropout(), nn.BatchNorm1d(2)])
    m.eval()
    assert not any(x.training for x in m)
    with pytest.raises(NotImplementedError):
        m(rb.randn(2, 2))
