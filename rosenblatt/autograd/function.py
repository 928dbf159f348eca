"""``Function``: one differentiable operation, forward and backward side by side.

There are two ways to write one, and ``Function`` takes both.

**The ops' way** (every op in :mod:`rosenblatt.functional`): two methods on raw arrays::

    class Mul(Function):
        def forward(self, a, b):          # arrays in, array out
            self.a, self.b = a, b         # save what backward needs on the node
            return a * b
        def backward(self, g):            # dL/d(out) in, dL/d(each input) out
            return g * self.b, g * self.a

``Mul.apply(x, y)`` runs ``forward`` on the inputs' arrays and, when any input
requires grad, keeps the node in the graph as the output's ``grad_fn``.  The
node object *is* the context: whatever ``forward`` stores on ``self`` is what
``backward`` can read.  Inputs that are not tensors (Python numbers, shapes,
axes) are passed through unchanged and receive no gradient.
``forward`` may return a tuple for several outputs; ``backward`` then receives
one gradient per output (zeros for outputs that received none).
``self.needs_input_grad`` (a tuple of bools) is set before ``forward`` runs so
an op can skip saving what it will not need.
Rules for backward: return one array (or None) per input, in input order, with
the input's shape; never modify the incoming gradient in place.

**PyTorch's way** (``forward`` and ``backward`` are ``@staticmethod``\\ s taking a
``ctx``; tensors in, tensors out), for your own functions::

    class Cube(rosenblatt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3
        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return grad_output * 3 * x ** 2

A subclass whose ``forward`` is a staticmethod gets :func:`_apply_with_ctx` as its
``apply``: the graph node is then a :class:`_CtxNode` that calls the class's
``backward`` with tensors (:class:`FunctionCtx` is the ``ctx``; a ``backward`` that
works on values only can be marked :func:`once_differentiable`).

**Higher-order gradients.**  ``backward(create_graph=True)`` calls each node's
``graph_backward`` instead of ``backward``: the same chain rule on *Tensors*, so the
operations that compute the gradient are recorded and can be differentiated again.
An op whose ``backward`` is written only with operators and methods that arrays and
Tensors share says ``graph_backward = backward``; others write the formula again with
Tensor operations.  ``graph_backward`` runs on :meth:`Function.tensor_view`, a copy of
the node whose saved arrays are Tensors: a saved input, stored under its ``forward``
parameter's name, becomes that input tensor, and a saved output stored as ``out``
becomes the output tensor.  ``graph_backward = None`` (the default): the gradient is
computed on arrays and differentiating it again raises, naming the op.
"""
import functools
import inspect

from . import grad_mode

_enabled = grad_mode._enabled
_new = object.__new__
_NO_GRAD = tuple((False,) * n for n in range(8))


class Function:
    __slots__ = ("inputs", "needs_input_grad", "_out_meta", "_hooks", "_released",
                 "__dict__", "__weakref__")

    # Filled in by tensor.py (avoids an import cycle).
    _Tensor = None

    #: The backward formula on Tensors, recorded under create_graph=True (see the module doc).
    graph_backward = None

    #: Multi-output nodes: fill outputs that received no gradient with zeros before backward.
    materialize_grads = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if isinstance(cls.__dict__.get("forward"), staticmethod):
            cls.apply = classmethod(_apply_with_ctx)       # PyTorch's ctx style

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, *grads):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = cls._Tensor
        node = _new(cls)
        # One pass over the inputs: their arrays for forward, and which require grad.  A loop,
        # not comprehensions: CPython 3.11 builds a function object for every comprehension.
        arrays, needs = [], []
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a.data)
                needs.append(a.requires_grad)
            else:
                arrays.append(a)
                needs.append(False)
        requires = _enabled[0] and True in needs
        if requires:
            node.needs_input_grad = tuple(needs)
        else:
            node.needs_input_grad = _NO_GRAD[len(args)] if len(args) < 8 else (False,) * len(args)
        out = node.forward(*arrays, **kwargs)
        make = Tensor._make
        if not requires:
            if out.__class__ is tuple:
                return tuple([make(o, None, 0) for o in out])
            return make(out, None, 0)
        node.inputs = args
        node._hooks = None
        node._released = False
        if out.__class__ is tuple:
            node._out_meta = tuple([(o.shape, o.dtype) for o in out])
            return tuple([make(o, node, i) for i, o in enumerate(out)])
        node._out_meta = None
        return make(out, node, 0)

    # -- graph bookkeeping -------------------------------------------------
    def release(self):
        """Free what forward saved; a later backward through this node raises."""
        self.__dict__.clear()
        self.inputs = ()
        self._released = True

    def name(self):
        return type(self).__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name()}>"

    @property
    def next_functions(self):
        return tuple((getattr(t, "grad_fn", None), getattr(t, "_out_idx", 0))
                     for t in self.inputs)

    # -- higher-order gradients --------------------------------------------
    def tensor_view(self):
        """A copy of this node whose saved arrays are Tensors that carry their graph.

        What ``graph_backward`` reads under create_graph=True: an attribute named like a
        ``forward`` parameter that holds that input's array becomes the input tensor; the
        attribute ``out`` (a single-output node's saved output) becomes the output tensor,
        whose ``grad_fn`` is this node.  Anything else (shapes, masks) stays as it is: a
        constant of the gradient formula.
        """
        Tensor = self._Tensor
        view = _new(type(self))
        view.inputs, view.needs_input_grad = self.inputs, self.needs_input_grad
        view._out_meta, view._hooks, view._released = self._out_meta, None, False
        positions = _forward_params(type(self))
        saved = view.__dict__
        for key, value in self.__dict__.items():
            pos = positions.get(key)
            if pos is not None and pos < len(self.inputs) and value is not None:
                inp = self.inputs[pos]
                if isinstance(inp, Tensor):
                    if value is inp.data:
                        value = inp
                    elif inp.requires_grad:
                        raise RuntimeError(f"create_graph=True: {self.name()} saved '{key}' as a "
                                           f"changed copy of its input, so its gradient cannot be "
                                           f"differentiated again (write a graph_backward that "
                                           f"reads self.inputs)")
            elif key == "out" and self._out_meta is None and value is not None:
                value = Tensor._make(value, None, 0)          # the output tensor, rebuilt:
                value.grad_fn, value.requires_grad = self, True   # (not re-dated by _make)
            saved[key] = value
        return view


_PARAMS = {}


def _forward_params(cls):
    """{parameter name: position} of ``cls.forward`` (without ``self``), cached per class."""
    found = _PARAMS.get(cls)
    if found is None:
        params = list(inspect.signature(cls.forward).parameters.values())[1:]
        found = {p.name: i for i, p in enumerate(params)
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)}
        _PARAMS[cls] = found
    return found


# --- PyTorch's ctx-style Function ----------------------------------------------------------

class FunctionCtx:
    """The ``ctx`` that a PyTorch-style Function's ``forward`` and ``backward`` share.

    Store tensors with :meth:`save_for_backward` (read them back as ``saved_tensors``; an
    in-place write to one of them before backward raises there, as in PyTorch) and
    anything else as attributes (``ctx.constant = 0.5``, not checked).  ``needs_input_grad[i]`` says
    whether the i-th argument of ``forward`` needs a gradient.
    """

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.materialize_grads = True
        self._saved = ()
        self._non_differentiable = ()

    def save_for_backward(self, *tensors):
        Tensor = Function._Tensor
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save tensors (or None), but argument "
                                f"{i} is of type {type(t).__name__}; store other values as ctx "
                                f"attributes")
        self._saved = tensors

    @property
    def saved_tensors(self):
        if self._saved is None:
            from .engine import _FREED_MSG
            raise RuntimeError(_FREED_MSG)
        return self._saved

    def mark_non_differentiable(self, *tensors):
        """Outputs that get no gradient (e.g. indices); backward still receives zeros for them."""
        self._non_differentiable = self._non_differentiable + tensors

    def set_materialize_grads(self, value):
        """``False``: backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors):
        raise NotImplementedError("ctx.mark_dirty (in-place custom Functions) is not supported; "
                                  "return a new tensor from forward instead")


def once_differentiable(backward):
    """Decorator for a PyTorch-style ``backward`` that computes values only (e.g. with NumPy):
    it runs with recording off, and differentiating its result again raises (as PyTorch)."""
    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        recording = _enabled[0]
        with grad_mode.no_grad():
            result = backward(ctx, *grads)
        Tensor = Function._Tensor
        sources = [t for t in list(grads) + list(ctx._saved or ())
                   if isinstance(t, Tensor) and t.requires_grad]
        if not recording or not sources:
            return result
        from .engine import NotDifferentiableTwice
        op = f"{backward.__qualname__} (once_differentiable)"
        single = not isinstance(result, tuple)
        out = tuple(Tensor._make(r.data, NotDifferentiableTwice.on(op, sources), 0)
                    if isinstance(r, Tensor) else r for r in ((result,) if single else result))
        return out[0] if single else out
    return wrapper


def _apply_with_ctx(cls, *args, **kwargs):
    """``apply`` of a PyTorch-style Function: ``forward(ctx, *args)`` runs on the tensors
    with recording off; if any input requires grad, the tensor outputs become outputs of a
    :class:`_CtxNode` (floating outputs not marked non-differentiable)."""
    Tensor = cls._Tensor
    requires = _enabled[0] and any(isinstance(a, Tensor) and a.requires_grad for a in args)
    ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
                      if requires else (False,) * len(args))
    setup = getattr(cls, "setup_context", None)
    with grad_mode.no_grad():
        if setup is None:
            out = cls.forward(ctx, *args, **kwargs)
        else:                                  # PyTorch 2's split form
            out = cls.forward(*args, **kwargs)
            setup(ctx, args, out)
    if not requires:
        return out
    node = _new(_CtxNode)
    node.fn_cls, node.ctx = cls, ctx
    node._epoch = _clock[0]                    # dated as Tensor._make dates nodes (versions.py)
    node.inputs, node.needs_input_grad = args, ctx.needs_input_grad
    node._hooks, node._released = None, False
    node.materialize_grads = ctx.materialize_grads
    single = not isinstance(out, tuple)
    outs = [out] if single else list(out)
    positions = [i for i, o in enumerate(outs) if isinstance(o, Tensor)]
    node.positions, node.n_outputs = positions, len(outs)
    node._out_meta = None if single else tuple((outs[i].shape, outs[i].dtype) for i in positions)
    skip = {id(t) for t in ctx._non_differentiable}
    inputs = {id(a) for a in args}
    for k, i in enumerate(positions):
        o = outs[i]
        if id(o) in skip or o.dtype.kind != "f":
            continue                           # no grad_fn: backward gets zeros for it
        if id(o) in inputs or o.requires_grad:
            o = outs[i] = Tensor._make(o.data, None, 0)   # returned an input: a new tensor
        o.grad_fn, o._out_idx, o.requires_grad = node, k, True
    return outs[0] if single else tuple(outs)


class _CtxNode(Function):
    """The graph node of a PyTorch-style Function: calls ``fn_cls.backward(ctx, *grads)``."""

    def name(self):
        return self.fn_cls.__name__ + "Backward"

    def release(self):
        cls, ctx = self.fn_cls, self.ctx
        super().release()
        ctx._saved = None
        self.fn_cls = cls

    def tensor_view(self):
        return self                            # saved values are tensors already

    def backward(self, *grads):
        """Array gradients in and out (the first-order engine): wrap, call, unwrap."""
        make = self._Tensor._make
        result = self._call([None if g is None else make(g, None, 0) for g in grads])
        return tuple(None if r is None else r.data for r in result)

    def graph_backward(self, *grads):
        """Tensor gradients in and out (create_graph=True): the user's formula is recorded."""
        return self._call(list(grads))

    def _call(self, grads):
        user = [None] * self.n_outputs        # non-tensor outputs get None
        for k, i in enumerate(self.positions):
            user[i] = grads[k]
        result = self.fn_cls.backward(self.ctx, *user)
        result = result if isinstance(result, tuple) else (result,)
        n = len(self.inputs)
        if len(result) < n or any(r is not None for r in result[n:]):
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(result)})")
        return tuple(self._check(i, r) for i, r in enumerate(result[:n]))

    def _check(self, i, r):
        """A returned gradient, summed down to its input's shape (as PyTorch) and cast."""
        inp = self.inputs[i]
        if r is None or not self.needs_input_grad[i]:
            return None
        if not isinstance(r, self._Tensor):
            raise TypeError(f"function {self.name()} returned a gradient of type "
                            f"{type(r).__name__} at index {i}; expected a Tensor or None")
        if r.shape != inp.shape:
            from ..functional.arithmetic import unbroadcast    # lazily: functional sits above
            try:
                r = unbroadcast(r, inp.shape)
            except (RuntimeError, ValueError):
                raise RuntimeError(f"function {self.name()} returned an invalid gradient at index "
                                   f"{i} - got {list(r.shape)} but expected shape compatible "
                                   f"with {list(inp.shape)}") from None
        return r if r.dtype == inp.dtype else r.to(inp.dtype)


from .versions import clock as _clock  # noqa: E402  (versions.py imports Function from here)
