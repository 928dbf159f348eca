"""``autograd.grad``, ``autograd.backward`` and the finite-difference ``gradcheck``."""
from .. import backend
from . import engine
from .tensor import Tensor


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """Gradients of ``outputs`` w.r.t. ``inputs`` as a tuple of tensors (no ``.grad`` touched).

    ``create_graph=True`` records the gradient computation, so the results can be
    differentiated again (Hessian-vector products, gradient penalties); ``grad_outputs``
    may then carry a graph too.  ``retain_graph`` defaults to ``create_graph``.  An input
    the outputs don't depend on raises, or gives None (``allow_unused``), or zeros
    (``materialize_grads``).
    """
    if allow_unused is None:
        allow_unused = materialize_grads
    single_out = isinstance(outputs, Tensor)
    outputs = [outputs] if single_out else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    seeds = _seeds(outputs, grad_outputs, create_graph)
    for x in inputs:
        if not x.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    grads = engine.run_backward(outputs, seeds, retain_graph=bool(retain_graph), inputs=inputs,
                                create_graph=create_graph)
    result = []
    for x, g in zip(inputs, grads):
        if g is None:
            if not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used "
                                   "in the graph. Set allow_unused=True if this is the desired behavior.")
            zeros = backend.get_array_module(x.data).zeros_like(x.data)
            result.append(Tensor._make(zeros, None, 0) if materialize_grads else None)
        elif create_graph:
            g = g if g.shape == x.shape else g.expand(x.shape)
            result.append(g if g.dtype == x.dtype else g.to(x.dtype))
        else:
            if g.shape != x.shape:
                g = backend.get_array_module(g).broadcast_to(g, x.shape).copy()
            result.append(Tensor._make(g.astype(x.dtype, copy=False), None, 0))
    return tuple(result)


def _seeds(outputs, grad_outputs, as_tensors):
    """The gradient each output starts with: arrays, or Tensors under create_graph."""
    seeds = []
    for out, g in zip(outputs, grad_outputs):
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs; got an "
                                   f"output of shape {tuple(out.shape)}: pass grad_outputs=")
            g = backend.get_array_module(out.data).ones(out.shape, out.dtype)
        elif isinstance(g, Tensor):
            if as_tensors:
                seeds.append(g)
                continue
            g = g.data
        else:
            g = backend.as_array(g, out.dtype)
        if tuple(g.shape) != tuple(out.shape):
            raise RuntimeError(f"Mismatch in shape: grad_output has a shape of {tuple(g.shape)} "
                               f"and output has a shape of {tuple(out.shape)}")
        seeds.append(Tensor._make(g, None, 0) if as_tensors else g)
    return seeds


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``torch.autograd.backward``: accumulate the gradients of ``tensors`` into the leaves'
    ``.grad`` or, given ``inputs`` (leaves or not), into those tensors' ``.grad`` only."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(tensors) if grad_tensors is None else [grad_tensors]
    seeds = _seeds(tensors, grad_tensors, create_graph)
    retain = bool(create_graph if retain_graph is None else retain_graph)
    if inputs is None:
        engine.run_backward(tensors, seeds, retain_graph=retain, create_graph=create_graph)
        return
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    for x in inputs:
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError("backward(inputs=...): every input must be a Tensor that requires "
                               "grad")
        if x.grad_fn is not None:
            x.retain_grad()      # as PyTorch: a non-leaf input keeps its .grad (from now on)
    grads = engine.run_backward(tensors, seeds, retain_graph=retain, inputs=inputs,
                                create_graph=create_graph)
    for x, g in zip(inputs, grads):
        if g is None or x.grad_fn is not None:
            continue             # not reached (.grad untouched), or stored by retain_grad's hook
        if create_graph:
            engine._accumulate_graph_grad(x, g)
        else:
            x._accumulate_grad(g.copy())          # its own array (g may be shared)


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


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, n_directions=None, seed=0):
    """Check second derivatives against finite differences, in float64.

    :func:`gradcheck` of ``(inputs, v) -> grad(fn(inputs), inputs, v, create_graph=True)``:
    the gradient computed with ``create_graph=True`` is itself differentiated by autograd
    and compared with central differences, with respect to the inputs and to ``v``
    (random unless ``grad_outputs`` is given).
    """
    inputs = tuple(_as_tuple(inputs))
    outs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor) and
            backend.is_floating(o.dtype)]
    if grad_outputs is None:
        rng = backend.get_array_module(*[o.data for o in outs]).random.default_rng(seed + 1)
        grad_outputs = [Tensor._make(rng.standard_normal(o.shape), None, 0).requires_grad_(True)
                        for o in outs]
    grad_outputs = tuple(_as_tuple(grad_outputs))
    n = len(inputs)

    def first_derivatives(*args):
        xs, vs = args[:n], args[n:]
        ys = [o for o in _as_tuple(fn(*xs)) if isinstance(o, Tensor) and
              backend.is_floating(o.dtype)]
        wrt = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        gs = grad(ys, wrt, list(vs), create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None and g.requires_grad)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, n_directions=n_directions, seed=seed)
