"""``Function``: one differentiable operation, forward and backward side by side.

A subclass writes two methods on raw arrays::

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
"""
from . import grad_mode

_enabled = grad_mode._enabled
_new = object.__new__
_NO_GRAD = tuple((False,) * n for n in range(8))


class Function:
    __slots__ = ("inputs", "needs_input_grad", "_out_meta", "_hooks", "_released",
                 "__dict__", "__weakref__")

    # Filled in by tensor.py (avoids an import cycle).
    _Tensor = None

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, *grads):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = cls._Tensor
        node = _new(cls)
        requires = False
        if _enabled[0]:
            for a in args:
                if isinstance(a, Tensor) and a.requires_grad:
                    requires = True
                    break
        if requires:
            node.needs_input_grad = tuple([isinstance(a, Tensor) and a.requires_grad for a in args])
        else:
            node.needs_input_grad = _NO_GRAD[len(args)] if len(args) < 8 else (False,) * len(args)
        out = node.forward(*[a.data if isinstance(a, Tensor) else a for a in args], **kwargs)
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
