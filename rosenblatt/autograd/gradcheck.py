"""``autograd.grad`` and the finite-difference ``gradcheck``."""
from .. import backend
from . import engine
from .tensor import Tensor


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` w.r.t. ``inputs`` as a tuple of tensors (no ``.grad`` touched)."""
    if create_graph:
        raise NotImplementedError("create_graph=True (higher-order gradients) is not supported: "
                                  "backward functions work on raw arrays")
    single_out = isinstance(outputs, Tensor)
    outputs = [outputs] if single_out else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    seeds = []
    for out, g in zip(outputs, grad_outputs):
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs; got an "
                                   f"output of shape {tuple(out.shape)}: pass grad_outputs=")
            seeds.append(backend.get_array_module(out.data).ones(out.shape, out.dtype))
        else:
            seeds.append(g.data if isinstance(g, Tensor) else backend.as_array(g, out.dtype))
    for x in inputs:
        if not x.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = engine.run_backward(outputs, seeds, retain_graph=bool(retain_graph), inputs=inputs)
    result = []
    for x, g in zip(inputs, grads):
        if g is None:
            if not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used "
                                   "in the graph. Set allow_unused=True if this is the desired behavior.")
            result.append(None)
        else:
            if g.shape != x.shape:
                g = backend.get_array_module(g).broadcast_to(g, x.shape).copy()
            result.append(Tensor._make(g.astype(x.dtype, copy=False), None, 0))
    return tuple(result)


def _as_tuple(x):
    return x if isinstance(x, (tuple, list)) else (x,)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, n_directions=None,
              seed=0):
    """Compare autograd with central finite differences, in float64.

    ``fn(*inputs)`` returns a tensor or tuple of tensors.  Every input that
    requires grad must be float64.  For small problems the full Jacobian is
    checked; for large ones (or when ``n_directions`` is given) random
    directional derivatives ``v^T J u`` are compared, which stays cheap.
    """
    inputs = _as_tuple(inputs)
    diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad")
    xp = backend.get_array_module(*[x.data for x in diff])
    for x in diff:
        if x.dtype != xp.float64:
            raise TypeError(f"gradcheck: inputs must be float64 for a meaningful check, got {x.dtype}; "
                            f"use .double()")
    for x in diff:
        # Perturbed in place through a flat view (ascontiguousarray would turn 0-d into 1-d).
        if not (x.data.flags.c_contiguous and x.data.flags.writeable):
            x.data = x.data.copy()
    rng = xp.random.default_rng(seed)

    def outputs():
        return [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor) and
                backend.is_floating(o.dtype)]

    outs = outputs()
    vs = [rng.standard_normal(o.shape) for o in outs]
    n_in = sum(x.numel() for x in diff)
    n_out = sum(o.numel() for o in outs)
    if n_directions is None and n_in * n_out > 20000:
        n_directions = 6

    def analytic_vjp(vlist):
        o = outputs()
        return grad(o, diff, grad_outputs=[Tensor._make(v, None, 0) for v in vlist],
                    allow_unused=True)

    def numeric_jvp(ulist, vlist):
        total = 0.0
        for x, u in zip(diff, ulist):
            orig = x.data.copy()
            x.data = orig + eps * u
            plus = [o.data.copy() for o in outputs()]
            x.data = orig - eps * u
            minus = [o.data.copy() for o in outputs()]
            x.data = orig
            total += sum(float(xp.sum(v * (p - m))) for v, p, m in zip(vlist, plus, minus)) / (2 * eps)
        return total

    def fail(msg):
        if raise_exception:
            raise AssertionError("gradcheck failed: " + msg)
        return False

    if n_directions:
        for _ in range(n_directions):
            us = [rng.standard_normal(x.shape) for x in diff]
            vs = [rng.standard_normal(o.shape) for o in outs]
            g = analytic_vjp(vs)
            a = sum(float(xp.sum(gi.data * u)) for gi, u in zip(g, us) if gi is not None)
            n = numeric_jvp(us, vs)
            if not abs(a - n) <= atol + rtol * abs(n):
                return fail(f"directional derivative: analytical {a!r} vs numerical {n!r}")
        return True

    # Full Jacobian: numerical columns (two evaluations per input element) against
    # analytical rows (one backward per output element).
    numeric = []                      # numeric[xi][j] = flattened d(outputs)/d(x_xi[j])
    for x in diff:
        cols = []
        flat = x.data.reshape(-1)
        for j in range(x.numel()):
            orig = flat[j]
            flat[j] = orig + eps
            plus = xp.concatenate([o.data.reshape(-1) for o in outputs()])
            flat[j] = orig - eps
            minus = xp.concatenate([o.data.reshape(-1) for o in outputs()])
            flat[j] = orig
            cols.append((plus - minus) / (2 * eps))
        numeric.append(xp.stack(cols, axis=1) if cols else xp.zeros((n_out, 0)))
    row = 0
    for oi, o in enumerate(outs):
        for k in range(o.numel()):
            vlist = [xp.zeros(p.shape) for p in outs]
            vlist[oi].reshape(-1)[k] = 1.0
            g = analytic_vjp(vlist)
            for xi, x in enumerate(diff):
                a = xp.zeros(x.numel()) if g[xi] is None else g[xi].data.reshape(-1)
                n = numeric[xi][row]
                bad = xp.abs(a - n) > atol + rtol * xp.abs(n)
                if bad.any():
                    j = int(xp.argmax(bad))
                    return fail(f"output {oi} element {k}, input {xi} element {j}: "
                                f"analytical {a[j]!r} vs numerical {n[j]!r}")
            row += 1
    return True
