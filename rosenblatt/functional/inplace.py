"""In-place operations (``x.add_(y)``, ``x += y``, ``x[mask] = 0``, ``relu(x, inplace=True)``).

One mechanism serves them all, :func:`apply_`: an in-place op is its out-of-place op, whose
result is written back into the tensor's memory (so every view sees it), plus, when the
tensor is in a graph, a *rebase*: the tensor gets the op's node as its ``grad_fn``, the
op's input being a snapshot of the tensor from before (``autograd/versions.py``)::

    y = x.tanh()            # y.grad_fn = TanhBackward (saves y's array)
    y.mul_(2)               # y.grad_fn = MulBackward(snapshot of y),  y._version == 1
    y.sum().backward()      # TanhBackward's saved array was overwritten: PyTorch's error

Rules, as in PyTorch: a leaf that requires grad cannot be modified in place while grad
mode is on (under ``no_grad``, as optimisers do, it can); every write bumps the version of
the tensor's storage, and a node that saved an array of that storage before the write
raises at backward.  An in-place op on a *view* of a tensor in a graph (``v = y[0];
v += 1``) also rebases the view's base: ``y``'s new node (:class:`CopySlices`) passes the
gradient of the view's region to the in-place op and the rest to the old ``y``.
"""
from .. import backend
from ..autograd import grad_mode, versions
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .arithmetic import unbroadcast
from .elementwise import ReLU, relu
from .indexing import BasicIndex
from .shape import Contiguous, Permute, Reshape, Split, Unbind

__all__ = []

_LEAF_MSG = ("a leaf Variable that requires grad is being used in an in-place operation. "
             "(Parameter updates belong inside `with rosenblatt.no_grad():`)")


def apply_(t, op, *args, region=None, **kwargs):
    """``t <- op(t, *args, **kwargs)`` in place; returns ``t``.

    ``op`` is an out-of-place op on Tensors.  It may also write into its input's array
    and return that same array (:class:`IndexPutInPlace`, :class:`ReLUInPlace`): nothing is
    then copied; ``_WRITES_INTO_INPUT`` maps an out-of-place op to such a form.
    ``region``: a view of the part of ``t`` that is written, when not all of it.
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"in-place operation: expected a Tensor, got {type(t).__name__}")
    op = _WRITES_INTO_INPUT.get(op, op)
    graph = grad_mode._enabled[0] and (t.requires_grad or any(
        isinstance(a, Tensor) and a.requires_grad for a in args + tuple(kwargs.values())))
    if graph and t.grad_fn is None and t.requires_grad:
        raise RuntimeError(_LEAF_MSG)
    _check_writeable(t)
    if not graph:
        res = op(t, *args, **kwargs)
        _write(t, res.data)
        versions.record_write(t.data)
        return t
    view = _view_of(t)
    when = versions.record_write(t.data)          # first, so that the new node is dated after it
    old = _snapshot(t)
    if any(a is t for a in args):                 # h += h: the right side is the old h too
        args = tuple(old if a is t else a for a in args)
    try:
        res = op(old, *args, **kwargs)
        _check_result(t, res.data)
    except Exception:
        versions.forget_write(t.data)             # nothing was written
        raise
    node = res.grad_fn
    if node is not None:
        _keep_originals(node, t.data, res.data, old)
    _write(t, res.data)
    if node is not None:
        _adopt_output(node, res.data, t.data)
    _rebase(t, res, when, old, t.data if region is None else region)
    repoint = _rebase_bases(t, view, when) if view is not None else ()
    # Second tick: nodes made from here on read the values after the write (versions.py).
    versions.clock[0] += 1
    for v, base, fn in repoint:
        # ``v`` stays a view of its rebased base, so that a second in-place op on it lands there too.
        made = ViewOf.apply(base, fn)
        v.grad_fn, v._out_idx = made.grad_fn, 0
    return t


def _snapshot(t):
    """A new Tensor with ``t``'s array and place in the graph (not re-dating the node, as
    ``Tensor._make`` would)."""
    s = Tensor._make(t.data, None, 0)
    s.grad_fn, s._out_idx, s.requires_grad = t.grad_fn, t._out_idx, t.requires_grad
    return s


def _check_writeable(t):
    # Read-only memory (a DataLoader batch viewing its dataset, an expand() view): the tensor
    # gets its own copy first.  PyTorch raises for expanded tensors; here the write stays local.
    if not t.data.flags.writeable:
        t.data = t.data.copy()


def _check_result(t, result):
    """PyTorch's rules: the result keeps ``t``'s shape, and its dtype casts to ``t``'s."""
    if result is t.data:
        return
    xp = backend.get_array_module(t.data)
    if result.shape != t.data.shape:
        raise RuntimeError(f"output with shape {list(t.data.shape)} doesn't match the broadcast "
                           f"shape {list(result.shape)}")
    if result.dtype != t.data.dtype and not xp.can_cast(result.dtype, t.data.dtype, "same_kind"):
        raise RuntimeError(f"result type {_type_name(result.dtype)} can't be cast to the desired "
                           f"output type {_type_name(t.data.dtype)}")


def _type_name(dtype):
    return versions.TYPE_NAMES.get(str(dtype), str(dtype)).replace("Tensor", "")


def _write(t, result):
    """Copy ``result`` into ``t``'s memory."""
    _check_result(t, result)
    if result is not t.data:
        t.data[...] = result


def _keep_originals(node, data, result, old):
    """The op saved its input's array, which is about to be overwritten: keep copies.  The
    snapshot ``old`` (the op's input tensor) takes the copy too, so that under create_graph
    the saved array is still recognised as that input's (``Function.tensor_view``)."""
    saved = node.__dict__
    may_share = backend.get_array_module(data).may_share_memory
    copies = {}                               # one copy per array (h.mul_(h) saves it twice)
    for key, v in list(saved.items()):
        if backend.is_array(v) and v is not result and may_share(v, data):
            copy = copies.get(id(v))
            if copy is None:
                copy = copies[id(v)] = v.copy()
            saved[key] = copy
    if id(old.data) in copies:
        old.data = copies[id(old.data)]


def _adopt_output(node, result, data):
    """The op saved its output: from now on that is the tensor's own memory, so that a later
    in-place write to the tensor is seen by the version check."""
    saved = node.__dict__
    for key, v in list(saved.items()):
        if v is result:
            saved[key] = data
            saved["_adopted"] = data          # names the tensor in the version error


def _rebase(t, res, when, old, region):
    t.grad_fn, t._out_idx, t.requires_grad = res.grad_fn, res._out_idx, res.grad_fn is not None
    history = getattr(t, "_rebases", None)
    if history is None:
        history = t._rebases = []
    elif len(history) >= 8:
        # Rebases whose old graph has been back-propagated (released) route nothing any more.
        history[:] = [h for h in history if h[1].grad_fn is not None and not h[1].grad_fn._released]
    history.append((when, old, region))


# --- views --------------------------------------------------------------------------------

def _split_view(node, out):
    dim, offsets = node.dim, node.offsets
    if out is None:
        return lambda a: a
    i = out._out_idx
    lo = offsets[i - 1] if i else 0
    hi = offsets[i] if i < len(offsets) else None
    key = (slice(None),) * dim + (slice(lo, hi),)
    return lambda a: a[key]


def _unbind_view(node, out):
    if out is None:
        return lambda a: a
    key = (slice(None),) * node.dim + (out._out_idx,)
    return lambda a: a[key]


# View functions take arrays (the engine's first-order pass) or Tensors (create_graph=True).

def _permute_view(node, out):
    inv = node.inv
    dims = tuple(sorted(range(len(inv)), key=inv.__getitem__))
    return lambda a: a.permute(dims) if isinstance(a, Tensor) else a.transpose(dims)


def _reshape_view(node, out):
    if out is None:
        return lambda a: a
    shape = out.shape
    return lambda a: a.reshape(shape)


class ViewOf(Function):
    """``view(a)`` for a view function rebuilt by :func:`_view_of` (the ``grad_fn`` a view
    gets after it was modified in place, so that it stays a view of its rebased base)."""

    def forward(self, a, view):
        self.in_shape, self.view = a.shape, view
        return view(a)

    def backward(self, g):
        ga = backend.get_array_module(g).zeros(self.in_shape, g.dtype)
        self.view(ga)[...] = g
        return ga, None

    def graph_backward(self, g):
        """On Tensors: the view is linear, so its gradient is the gradient of ``view(z)`` at
        any ``z`` (zeros), taken with create_graph so that it stays linear in ``g``."""
        return _view_grad(self.view, self.in_shape, g), None


def _view_grad(view, shape, g):
    """``g`` (shaped like ``view(a)``) scattered back to ``a``'s shape, differentiably."""
    from ..autograd.gradcheck import grad
    zeros = backend.get_array_module(g.data).zeros(shape, g.dtype)
    z = Tensor(zeros, dtype=g.dtype, requires_grad=True)
    return grad(view(z), z, g, create_graph=True)[0]


versions.view_ops.update({
    BasicIndex: lambda node, out: (lambda a, key=node.key: a[key]),
    Reshape: _reshape_view,
    Permute: _permute_view,
    Split: _split_view,
    Unbind: _unbind_view,
    Contiguous: lambda node, out: (lambda a: a),
    ViewOf: lambda node, out: node.view,
})


def _make_view(base, view):
    with grad_mode.enable_grad():        # backward may be called under no_grad
        return ViewOf.apply(base, view)


versions.make_view = _make_view


def _view_of(t):
    """``(base tensor, view function)`` if ``t`` is a view of another tensor of the graph."""
    node = t.grad_fn
    if node is None or node._released:
        return None
    make = versions.view_ops.get(type(node))
    if make is None or not node.inputs or not isinstance(node.inputs[0], Tensor):
        return None
    if node._out_meta is not None:
        raise RuntimeError(f"Output {t._out_idx} of {type(node).__name__} is a view and is being "
                           f"modified inplace. This view is the output of a function that returns "
                           f"multiple views. Such functions do not allow the output views to be "
                           f"modified inplace. You should replace the inplace operation by an "
                           f"out-of-place one.")
    base = node.inputs[0]
    xp = backend.get_array_module(t.data)
    if not xp.may_share_memory(t.data, base.data):
        return None                                  # e.g. a reshape that had to copy
    if base.requires_grad and base.grad_fn is None and grad_mode._enabled[0]:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    return base, make(node, t)


class CopySlices(Function):
    """The base of a view after the view was modified in place: ``base`` everywhere except
    the view's region, which holds ``value``.  The memory already holds the result (the view
    was written in place), so forward returns the base's array itself."""

    def forward(self, base, value, view):
        self.view = view
        return base

    def backward(self, g):
        nb, nv = self.needs_input_grad[:2]
        gb = gv = None
        if nb:
            gb = g.copy()
            self.view(gb)[...] = 0
        if nv:
            gv = self.view(g)
        return gb, gv, None

    def graph_backward(self, g):               # the same, on Tensors: g outside the region
        nb, nv = self.needs_input_grad[:2]
        gb = gv = None
        if nb:
            outside = backend.get_array_module(g.data).ones(g.shape, g.dtype)
            self.view(outside)[...] = 0
            gb = g * outside
        if nv:
            gv = self.view(g)
        return gb, gv, None


def _rebase_bases(t, view, when):
    """After the view ``t`` was modified in place, rebase its base (and the base's bases)
    onto CopySlices nodes; returns ``(view, base, view function)`` to re-point."""
    repoint = []
    while view is not None:
        base, fn = view
        outer = _view_of(base)
        old = _snapshot(base)
        res = CopySlices.apply(old, _snapshot(t), fn)
        _rebase(base, res, when, old, t.data)
        repoint.append((t, base, fn))
        t, view = base, outer
    return repoint


# --- ops that write their result straight into their input ------------------------------

class ReLUInPlace(ReLU):
    """``relu_`` / ``ReLU(inplace=True)``: ``max(0, x)`` written into ``x``'s own memory, so no
    new array and no copy back (:func:`apply_` sees the result *is* the input's array).
    Backward is ReLU's, from the saved output, which is ``x``'s memory from now on: a later
    in-place write to ``x`` is then caught by the version check, as in PyTorch."""

    def forward(self, a):
        self.out = backend.get_array_module(a).maximum(a.dtype.type(0), a, out=a)
        return self.out

    def name(self):
        return "ReLUBackward"                      # one name for both forms, as in PyTorch


def relu_into(input):
    """``max(0, input)`` into ``input``'s array (a kernel may take it: ``relu_``)."""
    if input.dtype == backend.xp.bool_:
        return relu(input)                         # raises relu's error
    return backend.dispatch("relu_", ReLUInPlace.apply, input)


# An out-of-place op -> its form that writes into its input, for apply_ to use instead.
_WRITES_INTO_INPUT = {relu: relu_into}


# --- ops without an out-of-place form -----------------------------------------------------

class Fill(Function):
    """``value`` broadcast to ``a``'s shape and dtype (fill_, zero_, copy_): the gradient
    of ``a`` is zero, that of ``value`` is ``g`` summed back to its shape."""

    def forward(self, a, value):
        xp = backend.get_array_module(a)
        self.vshape = xp.shape(value)
        self.vdtype = getattr(value, "dtype", None)
        try:
            return xp.broadcast_to(xp.asarray(value), a.shape).astype(a.dtype)
        except ValueError:
            raise RuntimeError(f"copy_: source of shape {tuple(self.vshape)} cannot be broadcast "
                               f"to the destination shape {tuple(a.shape)}") from None

    def backward(self, g):
        na, nv = self.needs_input_grad
        xp = backend.get_array_module(g)
        gv = None
        if nv:
            gv = unbroadcast(g, self.vshape)
            if self.vdtype is not None and gv.dtype != self.vdtype:
                gv = gv.astype(self.vdtype)
        return (xp.zeros_like(g) if na else None), gv

    def graph_backward(self, g):               # the same, on Tensors
        na, nv = self.needs_input_grad
        gv = None
        if nv:
            gv = unbroadcast(g, self.vshape)
            if self.vdtype is not None and gv.dtype != self.vdtype:
                gv = gv.to(self.vdtype)
        return (g * 0 if na else None), gv


def fill(input, value):
    return Fill.apply(input, value)


def div(input, other, rounding_mode=None):
    """``div`` for ``div_``: Div saves its output for the divisor's gradient only, so when
    the divisor needs none the node lets go of it (else ``x /= 3; x += 1`` would raise)."""
    from .arithmetic import div as divide
    out = divide(input, other, rounding_mode=rounding_mode)
    node = out.grad_fn
    if node is not None and not node.needs_input_grad[1]:
        node.__dict__.pop("out", None)
    return out
