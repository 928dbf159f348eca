"""Kernel-versus-reference checks: the same inputs through an op in fast and reference mode.

``check_kernel(op, fn, *arrays)`` runs ``fn(*tensors)`` once with the kernels on (with two
threads, the thread count of the machines this runs on, so that the pool and threaded BLAS
paths run even when the suite is started with ``OPENBLAS_NUM_THREADS=1``; and with one) and once in reference mode, asserts that a kernel
registered for ``op`` actually ran in fast mode, and compares the outputs and every input's
gradient (one fixed random upstream gradient).
"""
import contextlib

import numpy as np

import rosenblatt as rb
from rosenblatt import backend


@contextlib.contextmanager
def counting(op):
    """Count the calls of ``op``'s registered kernels inside the block: yields a list whose
    length is the count."""
    calls = []
    saved = backend._kernels[op]

    def wrap(kernel):
        def counted(*args):
            calls.append(kernel.__qualname__)
            return kernel(*args)
        return counted
    backend._kernels[op] = [(applies, wrap(k)) for applies, k in saved]
    backend._set_mode(backend.kernels_mode())        # re-point the active table
    try:
        yield calls
    finally:
        backend._kernels[op] = saved
        backend._set_mode(backend.kernels_mode())


def _run(fn, arrays, seed):
    ins = [rb.tensor(a.copy(), requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray)
           else a for a in arrays]
    outs = fn(*ins)
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    rng = np.random.default_rng(seed)
    total = None
    for o in outs:
        if o.dtype.kind == "f" and o.requires_grad:
            term = (o * rb.tensor(rng.standard_normal(o.shape).astype(o.dtype))).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()
    grads = [t.grad.data.copy() if isinstance(t, rb.Tensor) and t.grad is not None else None
             for t in ins]
    return [o.data.copy() for o in outs], grads


def check_kernel(op, fn, *arrays, rtol=1e-5, atol=1e-5, seed=0, threads=(2, 1)):
    """Assert that ``op``'s kernel runs for ``fn(*arrays)`` and matches the reference, forward
    and backward, at each thread count in ``threads`` (None: the default)."""
    with backend.use_kernels("reference"):
        ref_out, ref_grads = _run(fn, arrays, seed)
    for n in threads:
        before = rb.get_num_threads()
        ctx = contextlib.nullcontext() if n is None else rb.kernels.cpu.threads.blas_threads(n)
        try:
            if n is not None:
                rb.set_num_threads(n)
            with ctx, backend.use_kernels("fast"), counting(op) as calls:
                out, grads = _run(fn, arrays, seed)
        finally:
            rb.set_num_threads(before)
        assert calls, f"no {op} kernel ran for these inputs (threads={n})"
        for i, (a, e) in enumerate(zip(out, ref_out)):
            assert a.shape == e.shape and a.dtype == e.dtype, f"output {i}: {a.shape} {a.dtype}"
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"{op} output {i}")
        for i, (a, e) in enumerate(zip(grads, ref_grads)):
            assert (a is None) == (e is None), f"{op}: gradient {i} present in one mode only"
            if a is not None:
                np.testing.assert_allclose(a, e, rtol=rtol, atol=atol,
                                           err_msg=f"{op} gradient of input {i} (threads={n})")
