"""Double backward for ops whose ``backward`` is written on arrays: two general mechanisms.

Under ``create_graph=True`` the engine calls an op's ``graph_backward`` (see
:mod:`rosenblatt.autograd.function`).  The ops whose fast array ``backward`` cannot simply
run on Tensors get it from one of two mix-ins here; the first-order path is untouched.

1. :class:`LinearInInput` -- ops that are linear in their input, or piecewise linear with the
   pieces fixed by saved indices (pooling, gather/index_select, sort/topk values, cumsum,
   fold/unfold).  Their gradient ``gx = J^T g`` is linear in ``g`` and constant in ``x``
   (almost everywhere), so it is the op :class:`LinearGrad`: forward ``J^T g`` (the array
   ``backward``), backward ``J w`` (``jvp``: the op's forward applied to ``w`` with the same
   windows / indices), and its own ``graph_backward`` is the same pair swapped.  Any order
   closes on these two maps.
2. :class:`Recomputed` -- ops with a smooth gradient (recurrent layers, local response norm,
   normalize, prod, cumprod).  ``graph_backward`` runs the op again as a composition of
   differentiable Tensor ops (``composition``, the textbook formula) and back-propagates the
   incoming gradients through it with ``create_graph=True``.  The recomputed graph starts at
   *cut* tensors (:class:`_Cut`): copies of the inputs whose node has no inputs while the inner
   pass runs (so it does not walk the graph above the op), and is then connected to the real
   inputs so that a further derivative flows through.
"""
from ..autograd import versions
from ..autograd.function import Function
from ..autograd.tensor import Tensor


def _rerun(cls, args):
    """A node of the reference class ``cls`` after running its ``forward`` on ``args``'
    arrays: the saved state (windows, indices) that ``jvp`` and ``backward`` read."""
    node = object.__new__(cls)
    node.inputs = args
    node.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    node.forward(*[a.data if isinstance(a, Tensor) else (None if isinstance(a, list) else a)
                   for a in args])
    return node


class LinearGrad(Function):
    """``adjoint=True``: ``J^T g`` (``op``'s array backward); ``adjoint=False``: ``J w``
    (``op.jvp``).  Each is the other's gradient, so the pair differentiates to any order."""

    def forward(self, g, op, adjoint):
        self.op, self.adjoint = op, adjoint
        return _apply_map(op, g, adjoint)

    def backward(self, w):
        return _apply_map(self.op, w, not self.adjoint), None, None

    def graph_backward(self, w):
        return LinearGrad.apply(w, self.op, not self.adjoint), None, None

    def tensor_view(self):
        return self


def _keep(node):
    """A copy of ``node``'s saved state that outlives ``release()`` (the graph of the gradient
    needs it after the pass that made it frees the node)."""
    op = object.__new__(type(node))
    op.__dict__.update(node.__dict__)
    op.inputs, op.needs_input_grad = node.inputs, node.needs_input_grad
    return op


def _apply_map(op, v, adjoint):
    if not adjoint:
        return op.jvp(v)
    r = op.backward(v)
    return r[0] if isinstance(r, tuple) else r


class LinearInInput:
    """Mix-in for a ``Function`` whose first input ``x`` enters linearly (with fixed pieces).

    The class that lists this mix-in among its bases is the *reference*; kernels subclass it
    with their own ``backward`` and, under create_graph, are re-run as it (their saved state
    differs).  ``jvp(w)`` defaults to the reference forward on ``w`` with the same other
    arguments (right for a linear op whose ``apply`` gets them positionally); the others
    (max pooling, gather, ...) define it from their saved indices.
    """
    __slots__ = ()

    def jvp(self, w):
        node = object.__new__(type(self))
        node.needs_input_grad = (True,) + (False,) * (len(self.inputs) - 1)
        return node.forward(w, *[a.data if isinstance(a, Tensor) else
                                 (None if isinstance(a, list) else a) for a in self.inputs[1:]])

    def graph_backward(self, g):
        ref = next(k for k in type(self).__mro__ if LinearInInput in k.__bases__)
        kernel = type(self).backward is not ref.backward     # a kernel's own saved state
        if kernel:                       # the re-run reads the inputs as they are now
            versions.check_saved(self, [a.data for a in self.inputs if isinstance(a, Tensor)])
        op = _rerun(ref, self.inputs) if kernel else _keep(self)
        return (LinearGrad.apply(g, op, True),) + (None,) * (len(self.inputs) - 1)

    def tensor_view(self):
        return self                      # reads only arrays and self.inputs


class _Cut(Function):
    """Identity node that starts a recomputed graph (its input is attached after the inner
    pass, see :class:`Recomputed`)."""

    def backward(self, g):
        return (g,) * len(self.inputs)

    graph_backward = backward


def _cut(t):
    """(node, tensor): ``t``'s values as the output of a :class:`_Cut` without inputs (yet)."""
    node = object.__new__(_Cut)
    node.inputs, node.needs_input_grad = (), ()
    node._out_meta, node._hooks, node._released = None, None, False
    return node, Tensor._make(t.data, node, 0)


class Recomputed:
    """Mix-in: ``graph_backward`` through ``composition(*inputs)``, the op rebuilt from
    differentiable Tensor ops (same outputs, tuple for multi-output ops)."""
    __slots__ = ()

    def composition(self, *inputs):  # pragma: no cover - abstract
        raise NotImplementedError

    def graph_backward(self, *grads):
        from ..autograd.engine import run_backward
        args, cut = list(self.inputs), {}          # position -> the cut node standing there
        for i, a in enumerate(args):
            if isinstance(a, Tensor) and a.requires_grad:
                cut[i], args[i] = _cut(a)
        outs = self.composition(*args)
        outs = outs if isinstance(outs, tuple) else (outs,)
        pairs = [(o, g) for o, g in zip(outs, grads) if g is not None and o.requires_grad]
        found = [None] * len(cut)
        if pairs and cut:
            found = run_backward([o for o, _ in pairs], [g for _, g in pairs], retain_graph=True,
                                 inputs=[args[i] for i in cut], create_graph=True)
        for i, node in cut.items():          # joined now: a further pass reaches input i
            node.inputs, node.needs_input_grad = (self.inputs[i],), (True,)
        result = [None] * len(args)
        for i, g in zip(cut, found):
            result[i] = g
        return tuple(result)

    def tensor_view(self):
        return self                      # the composition reads self.inputs only


def _along(ndim, axis, sl):
    """An index that applies slice ``sl`` along ``axis`` only."""
    return (slice(None),) * (axis % ndim) + (sl,)


def multiply_halves(x, axis):
    """Product of Tensor ``x`` along ``axis`` (kept, size 1) as pairwise products of halves:
    ``log2(n)`` differentiable multiplications, no division (zeros are exact)."""
    from .shape import cat
    n = x.shape[axis]
    if n == 0:
        return (x.sum(axis, keepdim=True) * 0 + 1)
    while n > 1:
        h = n // 2
        y = x[_along(x.ndim, axis, slice(0, h))] * x[_along(x.ndim, axis, slice(h, 2 * h))]
        x = cat([y, x[_along(x.ndim, axis, slice(2 * h, n))]], axis) if n % 2 else y
        n = x.shape[axis]
    return x


def scan_multiply(x, axis):
    """Running product of Tensor ``x`` along ``axis`` by doubling (Hillis-Steele):
    ``y_k *= y_{k-s}`` for s = 1, 2, 4, ...: ``log2(n)`` differentiable steps."""
    from .shape import cat
    n, s = x.shape[axis], 1
    while s < n:
        head, tail, prev = (x[_along(x.ndim, axis, sl)] for sl in
                            (slice(0, s), slice(s, n), slice(0, n - s)))
        x = cat([head, tail * prev], axis)
        s *= 2
    return x
