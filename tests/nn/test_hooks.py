"""Module hooks (nn/hooks.py) against PyTorch: forward pre-hooks, forward hooks, full
backward hooks, their handles."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import assert_close, torch


def _pair(seed=0):
    """The same small MLP in both libraries (weights copied)."""
    torch.manual_seed(seed)
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    r = rb.nn.Sequential(rb.nn.Linear(3, 4), rb.nn.Tanh(), rb.nn.Linear(4, 2))
    r.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return t, r


def _np(x):
    return None if x is None else (x.detach().numpy() if hasattr(x, "detach") else x.numpy()).copy()


@pytest.mark.parametrize("input_grad", [False, True])
def test_full_backward_hook_sees_torchs_gradients(input_grad):
    t, r = _pair()
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    logs = {}
    for lib, net in (("torch", t), ("rb", r)):
        log = logs[lib] = []
        for i in range(3):
            net[i].register_full_backward_hook(
                lambda m, gi, go, i=i: log.append((i, [_np(g) for g in gi], [_np(g) for g in go])))
        m = torch if lib == "torch" else rb
        inp = m.tensor(x, requires_grad=input_grad)
        with pytest.warns(UserWarning) if lib == "torch" and not input_grad else _nothing():
            net(inp).pow(2).sum().backward()
    assert [e[0] for e in logs["rb"]] == [e[0] for e in logs["torch"]] == [2, 1, 0]
    for (_, gi_r, go_r), (_, gi_t, go_t) in zip(logs["rb"], logs["torch"]):
        assert len(gi_r) == len(gi_t) and len(go_r) == len(go_t)
        for a, b in zip(gi_r + go_r, gi_t + go_t):
            assert (a is None) == (b is None)
            if a is not None:
                assert_close(a, b)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_backward_hook_can_replace_grad_input():
    t, r = _pair()
    x = np.ones((2, 3), np.float32)
    grads = []
    for m, net in ((torch, t), (rb, r)):
        net[1].register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0,))
        inp = m.tensor(x, requires_grad=True)
        net(inp).sum().backward()
        grads.append((inp.grad, net[0].weight.grad, net[2].weight.grad))
    for a, b in zip(grads[1], grads[0]):
        assert_close(a, b)
    assert float(np.abs(_np(grads[1][0])).sum()) == 0.0


def test_forward_hooks_and_pre_hooks_change_values_like_torch():
    t, r = _pair()
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    outs = []
    for m, net in ((torch, t), (rb, r)):
        seen = []
        h1 = net[0].register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        h2 = net[1].register_forward_hook(lambda mod, args, out: out + 1)
        h3 = net[2].register_forward_hook(lambda mod, args, out: seen.append(_np(out)))
        y1 = net(m.tensor(x))
        for h in (h1, h2, h3):
            h.remove()
        y2 = net(m.tensor(x))
        outs.append((y1, y2, seen[0]))
    for a, b in zip(outs[1], outs[0]):
        assert_close(a, b)
    assert not np.allclose(_np(outs[1][0]), _np(outs[1][1]))     # the hooks did act, then left


def test_handles_order_prepend_and_context_manager():
    lin = rb.nn.Linear(2, 2)
    order = []
    lin.register_forward_hook(lambda m, a, o: order.append("a"))
    lin.register_forward_hook(lambda m, a, o: order.append("b"), prepend=True)
    with lin.register_forward_pre_hook(lambda m, a: order.append("pre")):
        lin(rb.zeros(1, 2))
    lin(rb.zeros(1, 2))
    assert order == ["pre", "b", "a", "b", "a"]
    with pytest.raises(TypeError, match="hook must be callable"):
        lin.register_forward_hook(3)


def test_backward_hook_with_tuple_output_and_non_tensor_argument():
    class Two(rb.nn.Module):
        def forward(self, x, scale):
            return x * scale, x.sum()

    seen = []
    mod = Two()
    mod.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    x = rb.ones(3, requires_grad=True)
    a, b = mod(x, 2.0)
    (a.sum() + 3 * b).backward()
    (gi, go), = seen
    assert gi[1] is None and gi[0].tolist() == [5.0, 5.0, 5.0]
    assert go[0].tolist() == [1.0, 1.0, 1.0] and go[1].item() == 3.0
    assert x.grad.tolist() == [5.0, 5.0, 5.0]


def test_module_without_hooks_is_called_directly():
    lin = rb.nn.Linear(2, 2)
    assert not lin._forward_hooks and not lin._forward_pre_hooks and not lin._backward_hooks
    h = lin.register_full_backward_hook(lambda m, gi, go: None)
    h.remove()
    assert not lin._backward_hooks
