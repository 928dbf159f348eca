"""``Tensor``: an array, an optional gradient, and the node that made it.

The methods here are thin: each forwards to an op in :mod:`rosenblatt.functional`,
where the op's forward and backward live side by side.
"""
import numbers

from .. import backend
from . import engine, grad_mode
from .function import Function

# Taken from the backend once: ``Tensor._make`` runs for every op's output.
_array_type = backend.xp.ndarray
_asarray = backend.xp.asarray


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)``; prefer :func:`rosenblatt.tensor`.
    """

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "_out_idx", "_hooks",
                 "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # so ``ndarray + Tensor`` defers to Tensor.__radd__

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = backend.as_array(data, dtype)
        self.grad = None
        self.grad_fn = None
        self._out_idx = 0
        self._hooks = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, grad_fn, idx):
        """Fast constructor used by ``Function.apply`` (no dtype conversion)."""
        t = object.__new__(cls)
        t.data = data if type(data) is _array_type else _asarray(data)
        t.grad = None
        t.grad_fn = grad_fn
        t._out_idx = idx
        t._hooks = None
        t._retains_grad = False
        t.requires_grad = grad_fn is not None
        return t

    # -- metadata -------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def device(self):
        return "cpu"

    def size(self, dim=None):
        if dim is None:
            return self.data.shape
        return self.data.shape[_check_dim(dim, self.ndim, "dim")]

    def dim(self):
        return self.data.ndim

    def numel(self):
        return int(self.data.size)

    nelement = numel

    def element_size(self):
        return self.data.itemsize

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    # -- conversion -----------------------------------------------------------
    def item(self):
        if self.data.size != 1:
            raise ValueError(f"a Tensor with {self.data.size} elements cannot be converted to "
                             f"Scalar (shape {tuple(self.data.shape)})")
        return self.data.reshape(()).item()

    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self.data

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous "
                               f"(shape {tuple(self.data.shape)})")
        return bool(self.data.reshape(()))

    __hash__ = object.__hash__

    def to(self, dtype=None, *args, **kwargs):
        """``to(dtype)`` casts; ``to('cpu')`` is a no-op (the only device today)."""
        if isinstance(dtype, str) or dtype is None:
            if dtype not in (None, "cpu"):
                raise ValueError(f"to(): unknown device {dtype!r}; rosenblatt runs on 'cpu'")
            dtype = kwargs.get("dtype")
            if dtype is None:
                return self
        return F.cast(self, dtype)

    def type(self, dtype):
        return F.cast(self, dtype)

    def float(self):
        return F.cast(self, backend.xp.float32)

    def double(self):
        return F.cast(self, backend.xp.float64)

    def long(self):
        return F.cast(self, backend.xp.int64)

    def int(self):
        return F.cast(self, backend.xp.int32)

    def bool(self):
        return F.cast(self, backend.xp.bool_)

    def cpu(self):
        return self

    # -- autograd -------------------------------------------------------------
    def requires_grad_(self, requires_grad=True):
        if requires_grad and not backend.is_floating(self.data.dtype):
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients "
                               f"(this one is {self.data.dtype})")
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables.")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        """A tensor sharing this one's data, cut from the graph."""
        return Tensor._make(self.data, None, 0)

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    def clone(self):
        return F.clone(self)

    def retain_grad(self):
        """Keep ``.grad`` for a non-leaf tensor after backward."""
        if self.is_leaf or self._retains_grad:
            return
        self._retains_grad = True

        def _store(grad, t=self):
            t.grad = grad if t.grad is None else Tensor._make(t.grad.data + grad.data, None, 0)
        self.register_hook(_store)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new gradient."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            hooks, item = self._hooks, hook
        else:
            node = self.grad_fn
            if node._hooks is None:
                node._hooks = {}
            node._hooks.setdefault(self._out_idx, []).append(hook)
            hooks, item = node._hooks[self._out_idx], hook
        return _RemovableHandle(hooks, item)

    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``."""
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs; this "
                                   f"tensor has shape {tuple(self.data.shape)}: pass gradient=")
            g = backend.get_array_module(self.data).ones(self.data.shape, self.data.dtype)
        else:
            g = gradient.data if isinstance(gradient, Tensor) else backend.as_array(gradient, self.data.dtype)
            if g.shape != self.data.shape:
                raise RuntimeError(f"backward: gradient has shape {tuple(g.shape)} but the tensor "
                                   f"has shape {tuple(self.data.shape)}; they must match")
        engine.run_backward([self], [g], retain_graph=retain_graph)

    def _accumulate_grad(self, g):
        if g.dtype != self.data.dtype:
            g = g.astype(self.data.dtype)
        if g.shape != self.data.shape:
            g = backend.get_array_module(g).broadcast_to(g, self.data.shape).copy()
        if self.grad is None:
            self.grad = Tensor._make(g, None, 0)
        else:
            # Out of place: the engine may hand the same array to several leaves.
            self.grad.data = self.grad.data + g

    # -- representation -------------------------------------------------------
    def __repr__(self):
        xp = backend.get_array_module(self.data)
        body = xp.array2string(self.data, separator=", ", precision=4, prefix="tensor(",
                               threshold=1000, edgeitems=3)
        extra = []
        if self.data.dtype not in (xp.float32, xp.int64, xp.bool_):
            extra.append(f"dtype=rosenblatt.{self.data.dtype}")
        if self.grad_fn is not None:
            extra.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extra) + ")"

    __str__ = __repr__

    # -- operators ------------------------------------------------------------
    def __add__(self, other): return F.add(self, other)
    def __radd__(self, other): return F.add(self, other)
    def __sub__(self, other): return F.sub(self, other)
    def __rsub__(self, other): return F.rsub(self, other)
    def __mul__(self, other): return F.mul(self, other)
    def __rmul__(self, other): return F.mul(self, other)
    def __truediv__(self, other): return F.div(self, other)
    def __rtruediv__(self, other): return F.rdiv(self, other)
    def __pow__(self, other): return F.pow(self, other)
    def __rpow__(self, other): return F.rpow(self, other)
    def __matmul__(self, other): return F.matmul(self, other)
    def __rmatmul__(self, other): return F.matmul(other, self)
    def __neg__(self): return F.neg(self)
    def __pos__(self): return self
    def __abs__(self): return F.abs(self)
    def __getitem__(self, key): return F.index(self, key)
    def __setitem__(self, key, value): F.index_put_(self, key, value)
    def __eq__(self, other): return F.eq(self, other)
    def __ne__(self, other): return F.ne(self, other)
    def __lt__(self, other): return F.lt(self, other)
    def __le__(self, other): return F.le(self, other)
    def __gt__(self, other): return F.gt(self, other)
    def __ge__(self, other): return F.ge(self, other)
    def __invert__(self): return F.logical_not(self)
    def __and__(self, other): return F.logical_and(self, other)
    def __or__(self, other): return F.logical_or(self, other)
    def __floordiv__(self, other): return F.floor_divide(self, other)
    def __mod__(self, other): return F.remainder(self, other)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(F.unbind(self, 0))

    @property
    def T(self):
        return F.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self):
        return F.transpose(self, -2, -1)

    # -- in-place (for parameter updates under no_grad) -------------------------
    def _check_inplace(self):
        if grad_mode._enabled[0]:
            if self.requires_grad and self.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                                   "operation; wrap the update in `with rosenblatt.no_grad():`")
            if self.grad_fn is not None:
                raise RuntimeError("in-place operations on tensors that are part of a graph are not "
                                   "supported; use the out-of-place form (e.g. x = x + y)")

    def _inplace(self, value):
        self._check_inplace()
        value = _raw(value)
        if self.data.flags.writeable:
            self.data[...] = value
        else:
            xp = backend.get_array_module(self.data)
            self.data = xp.array(xp.broadcast_to(value, self.data.shape), dtype=self.data.dtype)
        return self

    def add_(self, other, alpha=1):
        o = _raw(other)
        return self._inplace(self.data + (o if alpha == 1 else alpha * o))

    def sub_(self, other, alpha=1):
        o = _raw(other)
        return self._inplace(self.data - (o if alpha == 1 else alpha * o))

    def mul_(self, other):
        return self._inplace(self.data * _raw(other))

    def div_(self, other):
        return self._inplace(self.data / _raw(other))

    def clamp_(self, min=None, max=None):
        return self._inplace(backend.get_array_module(self.data).clip(self.data, min, max))

    def copy_(self, src):
        src = _raw(src)
        xp = backend.get_array_module(self.data)
        try:
            ok = xp.broadcast_shapes(xp.shape(src), self.data.shape) == self.data.shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"copy_: source of shape {tuple(xp.shape(src))} cannot be broadcast "
                               f"to the destination shape {tuple(self.data.shape)}")
        return self._inplace(src)

    def fill_(self, value):
        return self._inplace(_raw(value))

    def zero_(self):
        return self._inplace(0)

    def uniform_(self, a=0.0, b=1.0):
        from .. import random
        return self._inplace(random.default_generator().uniform(a, b, self.data.shape))

    def normal_(self, mean=0.0, std=1.0):
        from .. import random
        return self._inplace(random.default_generator().normal(mean, std, self.data.shape))


def _raw(x):
    return x.data if isinstance(x, Tensor) else x


def _check_dim(dim, ndim, name="dim"):
    n = max(ndim, 1)
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"{name} must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected {name} to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim % n


class _RemovableHandle:
    def __init__(self, hooks, item):
        self._hooks, self._item = hooks, item

    def remove(self):
        if self._item in self._hooks:
            self._hooks.remove(self._item)


Function._Tensor = Tensor

# Method table: every op is also a Tensor method, as in PyTorch.  Bound at the end
# of rosenblatt.functional's import (see functional/__init__.py).
from .. import functional as F  # noqa: E402
