"""``autograd.functional``: Jacobians, Hessians and their products, as PyTorch has them.

Everything here is built from :func:`~rosenblatt.autograd.grad`:

- ``vjp``: v^T J, one backward pass seeded with v;
- ``jacobian``: one vjp per output element, each a row of J;
- ``jvp``: J v by the double-backward trick: g(u) = J^T u is linear in a dummy u, so
  J v = d(g(u) . v)/du, a backward pass through the graph of the first one;
- ``hessian``: the Jacobian of the gradient (computed with create_graph=True);
- ``vhp`` / ``hvp``: d(grad f . v)/dx = v^T H = H v (the Hessian is symmetric).

``func`` takes the inputs (a Tensor or a tuple of Tensors) and returns a Tensor or a
tuple of Tensors.  Results are cut from the graph unless ``create_graph=True``.
"""
from .gradcheck import grad
from .grad_mode import enable_grad
from .tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _tensors(x, what, fname):
    """(was it a tuple, the tensors as a tuple), checked."""
    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fname}(): {what} must be a Tensor or a tuple of Tensors, but "
                            f"element {i} is {type(t).__name__}")
    return is_tuple, xs


def _prepare(inputs, create_graph):
    """The points ``func`` is differentiated at: tensors that require grad.  With
    create_graph, an input that already requires grad keeps its graph (a view of it)."""
    out = []
    for x in inputs:
        if create_graph and x.requires_grad:
            out.append(x.view_as(x))
        else:
            out.append(x.detach().requires_grad_(True))
    return tuple(out)


def _finish(ts, create_graph):
    return tuple(None if t is None else (t if create_graph else t.detach()) for t in ts)


def _shape_like(v, refs, what, fname):
    is_tuple, vs = _tensors(v, what, fname)
    if len(vs) != len(refs):
        raise RuntimeError(f"{fname}(): {what} has {len(vs)} tensors, expected {len(refs)}")
    for i, (a, r) in enumerate(zip(vs, refs)):
        if a.shape != r.shape:
            raise RuntimeError(f"{fname}(): {what}[{i}] has shape {tuple(a.shape)}, expected "
                               f"{tuple(r.shape)}")
    return vs


def _grads(outputs, inputs, seeds, create_graph, strict, fname):
    """grad(outputs, inputs, seeds) with zeros for inputs that the outputs don't use."""
    pairs = [(o, s) for o, s in zip(outputs, seeds) if o.requires_grad]
    gs = [None] * len(inputs)
    if pairs:
        gs = list(grad([o for o, _ in pairs], inputs, [s for _, s in pairs], retain_graph=True,
                       create_graph=create_graph, allow_unused=True))
    for i, g in enumerate(gs):
        if g is None:
            if strict:
                raise RuntimeError(f"{fname}(): the output of the user-provided function is "
                                   f"independent of input {i}; this is not allowed in strict mode")
            gs[i] = inputs[i].detach() * 0
    return gs


def _ones_for_scalars(outputs, fname):
    for o in outputs:
        if o.numel() != 1:
            raise RuntimeError(f"{fname}(): the vector v can only be None if the user-provided "
                               f"function returns a single-element Tensor; it returned shape "
                               f"{tuple(o.shape)}")
    return [Tensor._make(o.data * 0 + 1, None, 0) for o in outputs]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    is_tuple, xs = _tensors(inputs, "inputs", "vjp")
    with enable_grad():
        xs = _prepare(xs, create_graph)
        out = func(*xs)
        out_tuple, outs = _tensors(out, "the outputs of func", "vjp")
        vs = _ones_for_scalars(outs, "vjp") if v is None else _shape_like(v, outs, "v", "vjp")
        gs = _grads(outs, xs, vs, create_graph, strict, "vjp")
    outs, gs = _finish(outs, create_graph), _finish(gs, create_graph)
    return (outs if out_tuple else outs[0]), (tuple(gs) if is_tuple else gs[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-backward trick."""
    is_tuple, xs = _tensors(inputs, "inputs", "jvp")
    if v is None:
        vs = _ones_for_scalars(xs, "jvp")
    else:
        vs = _shape_like(v, xs, "v", "jvp")
    with enable_grad():
        xs = _prepare(xs, create_graph)
        out = func(*xs)
        out_tuple, outs = _tensors(out, "the outputs of func", "jvp")
        us = [Tensor._make(o.data * 0, None, 0).requires_grad_(True) for o in outs]
        gx = _grads(outs, xs, us, True, strict, "jvp")             # J^T u, linear in u
        keep = [(g, w) for g, w in zip(gx, vs) if g.requires_grad]
        if keep:
            jv = list(grad([g for g, _ in keep], us, [w for _, w in keep], retain_graph=True,
                           create_graph=create_graph, allow_unused=True))
        else:
            jv = [None] * len(us)
        jv = [u.detach() * 0 if g is None else g for g, u in zip(jv, us)]
    outs, jv = _finish(outs, create_graph), _finish(jv, create_graph)
    return (outs if out_tuple else outs[0]), (tuple(jv) if out_tuple else jv[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for output i and input j a tensor of shape
    ``out_i.shape + in_j.shape``; nested in tuples as ``(outputs)(inputs)`` where ``func``
    returns a tuple or ``inputs`` is one (as PyTorch).  ``vectorize`` is accepted and
    ignored (one backward pass per output element)."""
    from .. import functional as F          # the ops (stack) sit above autograd
    if strategy != "reverse-mode":
        raise NotImplementedError(f"jacobian(): strategy={strategy!r} is not supported; "
                                  f"use 'reverse-mode'")
    in_tuple, xs = _tensors(inputs, "inputs", "jacobian")
    with enable_grad():
        xs = _prepare(xs, create_graph)
        out = func(*xs)
        out_tuple, outs = _tensors(out, "the outputs of func", "jacobian")
        jac = []
        for o in outs:
            rows = [[] for _ in xs]
            flat = o.data.reshape(-1)
            for k in range(flat.size):
                e = flat * 0
                e[k] = 1
                gs = _grads([o], xs, [Tensor._make(e.reshape(o.shape), None, 0)], create_graph,
                            strict, "jacobian")
                for j, g in enumerate(gs):
                    rows[j].append(g.reshape(-1))
            jac.append(tuple(
                (F.stack(r) if r else F.zeros((0, x.numel()), dtype=x.dtype)).reshape(
                    tuple(o.shape) + tuple(x.shape)) for r, x in zip(rows, xs)))
    jac = [_finish(row, create_graph) for row in jac]
    if not in_tuple:
        jac = [row[0] for row in jac]
    return tuple(jac) if out_tuple else jac[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar ``func`` at ``inputs``: shape ``in.shape + in.shape``
    (a tuple of tuples for several inputs): the Jacobian of the gradient."""
    in_tuple, xs = _tensors(inputs, "inputs", "hessian")

    def gradient(*ys):
        out = func(*ys)
        if not isinstance(out, Tensor) or out.numel() != 1:
            got = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise RuntimeError(f"hessian(): the function given to hessian should return a single "
                               f"Tensor with one element, got {got}")
        gs = _grads([out], ys, [Tensor._make(out.data * 0 + 1, None, 0)], True, strict, "hessian")
        return tuple(gs) if in_tuple else gs[0]

    return jacobian(gradient, xs if in_tuple else xs[0], create_graph=create_graph, strict=strict,
                    strategy=outer_jacobian_strategy)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar ``func``: the gradient of (grad f . v)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar ``func``; equal to :func:`vhp` (H is symmetric)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph, strict, fname):
    is_tuple, xs = _tensors(inputs, "inputs", fname)
    vs = _ones_for_scalars(xs, fname) if v is None else _shape_like(v, xs, "v", fname)
    with enable_grad():
        xs = _prepare(xs, create_graph)
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError(f"{fname}(): the function given to {fname} should return a single "
                               f"Tensor with one element")
        gs = _grads([out], xs, [Tensor._make(out.data * 0 + 1, None, 0)], True, strict, fname)
        keep = [(g, w) for g, w in zip(gs, vs) if g.requires_grad]
        res = _grads([g for g, _ in keep], xs, [w for _, w in keep], create_graph, strict, fname) \
            if keep else [x.detach() * 0 for x in xs]
    out, res = _finish((out,), create_graph)[0], _finish(res, create_graph)
    return out, (tuple(res) if is_tuple else res[0])
