"""The PyTorch oracle: run one expression through rosenblatt and PyTorch and compare.

Write the expression once against a namespace ``m`` that is either ``rosenblatt``
or ``torch``::

    compare("matmul", lambda m, a, b: m.matmul(a, b), a_np, b_np)

Every floating input gets ``requires_grad``; the forward values are compared,
then both sides back-propagate the same random upstream gradient and every
input's gradient is compared.  In CI a missing torch is an error, never a skip.
"""
import os

import numpy as np

import rosenblatt as rb

if os.environ.get("CI"):
    import torch  # noqa: F401  (must be installed in CI: a failure here is intended)
else:
    import pytest
    torch = pytest.importorskip("torch")

torch.set_num_threads(max(1, torch.get_num_threads()))

#: Names of every op/module compared so far in this session (reported at the end).
COVERED = set()


def _to_np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    if isinstance(t, rb.Tensor):
        return t.data
    return np.asarray(t)


def _as_list(x):
    return list(x) if isinstance(x, (tuple, list)) else [x]


def assert_close(actual, expected, rtol=1e-4, atol=1e-5, what="value"):
    a, e = _to_np(actual), _to_np(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != torch's {e.shape}"
    if a.dtype.kind in "biu" or e.dtype.kind in "biu":
        np.testing.assert_array_equal(a, e, err_msg=what)
    else:
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=what)


def compare(name, fn, *arrays, rtol=1e-4, atol=1e-5, grad=True, grad_rtol=None, grad_atol=None,
            requires_grad=None, seed=0):
    """Compare ``fn(rb, *inputs)`` with ``fn(torch, *inputs)``, forward and backward.

    ``arrays`` are NumPy arrays (or Python scalars, passed through).  Returns
    ``(rb_outputs, torch_outputs)`` as lists.
    """
    COVERED.add(name)
    grad_rtol = rtol if grad_rtol is None else grad_rtol
    grad_atol = atol if grad_atol is None else grad_atol
    if requires_grad is None:
        requires_grad = [isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in arrays]
    r_in, t_in = [], []
    for a, rg in zip(arrays, requires_grad):
        if isinstance(a, np.ndarray):
            r = rb.tensor(a.copy())
            t = torch.tensor(a.copy())
            if rg and grad:
                r.requires_grad_(True)
                t.requires_grad_(True)
            r_in.append(r)
            t_in.append(t)
        else:
            r_in.append(a)
            t_in.append(a)
    saved = [a.copy() if isinstance(a, np.ndarray) else a for a in arrays]
    r_out = _as_list(fn(rb, *r_in))
    t_out = _as_list(fn(torch, *t_in))
    assert len(r_out) == len(t_out), f"{name}: {len(r_out)} outputs vs torch's {len(t_out)}"
    for i, (r, t) in enumerate(zip(r_out, t_out)):
        assert_close(r, t, rtol, atol, what=f"{name} output {i}")
        if isinstance(r, rb.Tensor):
            assert r.dtype == _to_np(t).dtype, f"{name} output {i}: dtype {r.dtype} vs torch's {_to_np(t).dtype}"
    # Inputs are never mutated by an op.
    for a, s, r in zip(arrays, saved, r_in):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(r.data, s, err_msg=f"{name} mutated its input")
    if not grad or not any(isinstance(t, torch.Tensor) and t.requires_grad for t in t_in):
        return r_out, t_out
    rng = np.random.default_rng(seed)
    r_roots, r_seeds, t_roots, t_seeds = [], [], [], []
    for r, t in zip(r_out, t_out):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            g = rng.standard_normal(tuple(t.shape)).astype(_to_np(t).dtype)
            r_roots.append(r)
            r_seeds.append(rb.tensor(g))
            t_roots.append(t)
            t_seeds.append(torch.tensor(g))
    torch.autograd.backward(t_roots, t_seeds)
    for r, g in zip(r_roots, r_seeds):
        # One backward per root with retain_graph so shared subgraphs accumulate like torch.
        r.backward(g, retain_graph=True)
    for i, (r, t) in enumerate(zip(r_in, t_in)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            if t.grad is None:
                assert r.grad is None or not np.any(r.grad.data), f"{name}: grad of input {i} should be None"
                continue
            assert r.grad is not None, f"{name}: input {i} got no gradient"
            assert_close(r.grad, t.grad, grad_rtol, grad_atol, what=f"{name} grad of input {i}")
    return r_out, t_out
