"""Module / Parameter behaviour against PyTorch: registration, traversal order and names,
state_dict keys, load_state_dict (strict, shapes), train/eval, zero_grad, apply, repr."""

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.nn as nn
from tests.oracle import COVERED, assert_close, torch

rng = np.random.default_rng(0)


def _build(m):
    return m.nn.Sequential(m.nn.Linear(4, 8), m.nn.BatchNorm1d(8), m.nn.ReLU(), m.nn.Linear(8, 3))


def _from_torch(tmod):
    return {k: v.detach().numpy() for k, v in tmod.state_dict().items()}


class _Net:
    """The same nested model for both frameworks."""

    @staticmethod
    def make(m):
        class Block(m.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = m.nn.Linear(3, 3)
                self.scale = m.nn.Parameter(m.ones(3))
                self.register_buffer("offset", m.zeros(3))

            def forward(self, x):
                return self.fc(x) * self.scale + self.offset

        class Net(m.nn.Module):
            def __init__(self):
                super().__init__()
                self.features = m.nn.Sequential(Block(), m.nn.Tanh(), Block())
                self.head = m.nn.Linear(3, 2)
                self.extra = m.nn.ModuleList([m.nn.Linear(2, 2), m.nn.Dropout(0.1)])

            def forward(self, x):
                return self.extra[0](self.head(self.features(x)))

        return Net()


def test_traversal_order_and_names_match_torch():
    r, t = _Net.make(rb), _Net.make(torch)
    assert [k for k, _ in r.named_parameters()] == [k for k, _ in t.named_parameters()]
    assert [tuple(p.shape) for p in r.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert [k for k, _ in r.named_buffers()] == [k for k, _ in t.named_buffers()]
    assert [k for k, _ in r.named_children()] == [k for k, _ in t.named_children()]
    assert [k for k, _ in r.named_modules()] == [k for k, _ in t.named_modules()]
    assert [type(m).__name__ for m in r.modules()] == [type(m).__name__ for m in t.modules()]
    assert [type(m).__name__ for m in r.children()] == [type(m).__name__ for m in t.children()]
    assert list(r.state_dict()) == list(t.state_dict())
    assert [k for k, _ in r.named_parameters(recurse=False)] == []
    assert [k for k, _ in r.features[0].named_parameters(recurse=False)] == ["scale"]


def test_state_dict_keys_sequential_linear_bn_relu_linear():
    r, t = _build(rb), _build(torch)
    assert list(r.state_dict()) == list(t.state_dict()) == [
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
        "1.num_batches_tracked", "3.weight", "3.bias"]
    for (k, a), (_, b) in zip(r.state_dict().items(), t.state_dict().items()):
        assert tuple(a.shape) == tuple(b.shape), k
        assert a.dtype == b.detach().numpy().dtype, k


def test_load_state_dict_from_torch_gives_identical_outputs():
    COVERED.add("nn.Sequential")
    r, t = _build(rb), _build(torch)
    t.train()
    x = rng.standard_normal((6, 4)).astype(np.float32)
    with torch.no_grad():          # move torch's running stats away from their init
        t(torch.tensor(x))
    result = r.load_state_dict(_from_torch(t))
    assert result.missing_keys == [] and result.unexpected_keys == []
    for mode in ("train", "eval"):
        getattr(r, mode)()
        getattr(t, mode)()
        xr = rb.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        yr, yt = r(xr), t(xt)
        assert_close(yr, yt, what=f"{mode} output")
        yr.sum().backward()
        yt.sum().backward()
        assert_close(xr.grad, xt.grad, what=f"{mode} input grad")
        tp = dict(t.named_parameters())
        for k, p in r.named_parameters():
            assert_close(p.grad, tp[k].grad, rtol=1e-4, atol=1e-5, what=f"{mode} grad {k}")
        r.zero_grad()
        t.zero_grad()
    for k, v in t.state_dict().items():
        assert_close(r.state_dict()[k], v, what=k)


def test_load_state_dict_strict_names_missing_and_unexpected():
    r = _build(rb)
    sd = dict(_from_torch(_build(torch)))
    del sd["3.bias"]
    sd["9.weight"] = np.zeros(2, np.float32)
    with pytest.raises(RuntimeError) as err:
        r.load_state_dict(sd)
    msg = str(err.value)
    assert 'Missing key(s) in state_dict: "3.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "9.weight"' in msg
    res = r.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["3.bias"] and res.unexpected_keys == ["9.weight"]


def test_load_state_dict_shape_mismatch_names_key_and_shapes():
    r = _build(rb)
    sd = _from_torch(_build(torch))
    sd["0.weight"] = np.zeros((8, 5), np.float32)
    with pytest.raises(RuntimeError, match=r"size mismatch for 0\.weight.*\(8, 5\).*\(8, 4\)"):
        r.load_state_dict(sd)
    with pytest.raises(RuntimeError, match=r"0\.weight"):
        r.load_state_dict(sd, strict=False)


def test_load_state_dict_accepts_torch_tensors_and_own_state_dict():
    t = _build(torch)
    r = _build(rb)
    r.load_state_dict(t.state_dict())
    r2 = _build(rb)
    r2.load_state_dict(r.state_dict())
    for k, v in r.state_dict().items():
        np.testing.assert_array_equal(r2.state_dict()[k].data, v.data)


def test_state_dict_is_detached_and_shares_storage():
    r = _build(rb)
    sd = r.state_dict()
    assert not sd["0.weight"].requires_grad
    assert sd["0.weight"].data is r[0].weight.data
    assert r.state_dict(keep_vars=True)["0.weight"] is r[0].weight


def test_train_eval_propagate():
    r = _Net.make(rb)
    assert all(m.training for m in r.modules())
    assert r.eval() is r
    assert not any(m.training for m in r.modules())
    r.train()
    assert all(m.training for m in r.modules())
    r.features.eval()
    assert r.training and not r.features[0].fc.training and r.head.training
    with pytest.raises(ValueError, match="boolean"):
        r.train("no")


def test_zero_grad_and_requires_grad():
    r = _build(rb)
    r(rb.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in r.parameters())
    r.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in r.parameters())
    r.zero_grad()
    assert all(p.grad is None for p in r.parameters())
    r.requires_grad_(False)
    assert not any(p.requires_grad for p in r.parameters())


def test_apply_visits_children_first_like_torch():
    r, t = _Net.make(rb), _Net.make(torch)
    seen_r, seen_t = [], []
    r.apply(lambda m: seen_r.append(type(m).__name__))
    t.apply(lambda m: seen_t.append(type(m).__name__))
    assert seen_r == seen_t

    def init_fn(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)
            nn.init.zeros_(m.bias)
    assert r.apply(init_fn) is r
    assert (r.head.weight.data == 0.5).all() and (r.head.bias.data == 0).all()


def test_repr_matches_torch():
    assert repr(_build(rb)) == repr(_build(torch))
    r, t = repr(_Net.make(rb)), repr(_Net.make(torch))
    assert r == t


def test_parameter_and_registration_rules():
    p = nn.Parameter(rb.randn(2, 3))
    assert p.requires_grad and isinstance(p, rb.Tensor) and p.is_leaf
    assert repr(p).startswith("Parameter containing:")

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Parameter(rb.zeros(2))
            self.sub = nn.Linear(2, 2)
            self.plain = 3

    m = M()
    assert [k for k, _ in m.named_parameters()] == ["a", "sub.weight", "sub.bias"]
    m.a = None
    assert [k for k, _ in m.named_parameters()] == ["sub.weight", "sub.bias"]
    del m.sub
    assert list(m.named_children()) == []
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        m.missing

    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(rb.zeros(1))
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_shared_parameter_counted_once_like_torch():
    def make(m):
        lin = m.nn.Linear(3, 3)
        return m.nn.Sequential(lin, m.nn.ReLU(), lin)
    r, t = make(rb), make(torch)
    assert [k for k, _ in r.named_parameters()] == [k for k, _ in t.named_parameters()]
    assert list(r.state_dict()) == list(t.state_dict())


def test_non_persistent_buffer_not_in_state_dict():
    m = nn.Module()
    m.register_buffer("a", rb.zeros(2))
    m.register_buffer("b", rb.zeros(2), persistent=False)
    assert list(m.state_dict()) == ["a"]
    assert [k for k, _ in m.named_buffers()] == ["a", "b"]


# -- casts and devices (Module.to/cpu/cuda/float/double/half) -------------------------------------
def test_module_casts_keep_parameter_objects_like_torch():
    for lib in (rb, torch):
        net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4))
        params = list(net.parameters())
        assert net.double() is net
        assert all(p is q for p, q in zip(params, net.parameters()))
        dtypes = {k: str(v.dtype).replace("torch.", "") for k, v in net.state_dict().items()}
        assert dtypes["0.weight"] == dtypes["1.running_mean"] == "float64"
        assert dtypes["1.num_batches_tracked"] == "int64"           # integer buffers stay
        assert net.float()[0].weight.dtype == lib.float32
        assert net.half()[0].bias.dtype == lib.float16
        assert net.to(lib.float64)[0].weight.dtype == lib.float64
        assert net.to("cpu") is net and net.cpu() is net
        assert net.to(lib.zeros(1))[0].weight.dtype == lib.float32
        assert net.to(lib.device("cpu"), lib.float64)[0].weight.dtype == lib.float64


def test_module_cast_converts_existing_grads_and_trains_in_float64():
    net = rb.nn.Linear(2, 1)
    net(rb.ones(1, 2)).sum().backward()
    net.double()
    assert net.weight.grad.dtype == rb.float64
    opt = rb.optim.SGD(net.parameters(), lr=0.1)
    net(rb.ones(1, 2, dtype=rb.float64)).sum().backward()
    opt.step()
    assert net.weight.dtype == rb.float64


def test_module_cuda_and_integer_dtype_raise():
    net = rb.nn.Linear(2, 1)
    with pytest.raises(RuntimeError, match="Module.cuda: CUDA is not available"):
        net.cuda()
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        net.to("cuda:0")
    with pytest.raises(TypeError, match="floating point dtype"):
        net.to(rb.int64)
