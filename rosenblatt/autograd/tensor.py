"""``Tensor``: an array, an optional gradient, and the node that made it.

The methods here are thin: each forwards to an op in :mod:`rosenblatt.functional`,
where the op's forward and backward live side by side.
"""
import numbers

from .. import backend
from .. import devices as _device
from . import engine, grad_mode
from . import strides as _strides
from .function import Function
from .versions import clock as _clock

# Taken from the backend once: ``Tensor._make`` runs for every op's output.
_array_type = backend.xp.ndarray
_asarray = backend.xp.asarray


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    PyTorch's legacy constructor, with its rules: ``Tensor(2, 3)`` is an uninitialised
    float32 2x3 tensor, ``Tensor()`` an empty one, ``Tensor([1, 2])`` and ``Tensor(ndarray)``
    are float32 whatever the data's dtype (an array that is float32 already is shared, not
    copied), ``Tensor(other_tensor)`` shares ``other_tensor``'s data and dtype, a lone number
    is an error.  Prefer :func:`rosenblatt.tensor`, which infers the dtype.  Beyond
    PyTorch: ``requires_grad=`` and ``dtype=`` (instead of float32).
    """

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "_out_idx", "_hooks",
                 "_retains_grad", "_rebases", "__weakref__")   # _rebases: set by in-place ops
    __array_priority__ = 1000  # so ``ndarray + Tensor`` defers to Tensor.__radd__

    def __init__(self, *data, requires_grad=False, dtype=None, device=None):
        if device is not None:
            _device.check(device, "Tensor")
        self.data = _legacy_data(data, dtype)
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
        if grad_fn is None:
            t.requires_grad = False
        else:
            t.requires_grad = True
            if _clock[0]:                 # the node's date, once in-place writes exist (versions.py)
                grad_fn._epoch = _clock[0]
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
        """Where the data lives: always ``device(type='cpu')`` (NumPy arrays)."""
        return _device.CPU

    is_cuda = False

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

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device, dtype=None)``, ``to(other_tensor)``, as in PyTorch.

        Returns ``self`` when nothing changes (unless ``copy=True``).  Devices other than
        the CPU raise (see :mod:`rosenblatt.devices`); ``non_blocking`` is accepted and moot.
        """
        _, dtype, _, copy = _device.parse_to(args, kwargs, "Tensor.to")
        out = self if dtype is None else F.cast(self, dtype)
        return F.clone(out) if copy and out is self else out

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

    def half(self):
        return F.cast(self, backend.xp.float16)

    def cpu(self):
        return self

    def cuda(self, device=None, non_blocking=False):
        """Raises: there is no GPU backend (``rb.cuda.is_available()`` is False)."""
        _device.check(device if device is not None else "cuda", "Tensor.cuda")

    def stride(self, dim=None):
        """The strides PyTorch would report (elements per step along each dim): set by view
        ops; other ops' outputs are contiguous, whatever memory order a kernel chose
        (:mod:`rosenblatt.autograd.strides`)."""
        s = _strides.of(self.data)
        if dim is None:
            return s
        if not s:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return s[_check_dim(dim, self.ndim, "dim")]

    def is_contiguous(self, memory_format=None):
        """Whether :meth:`stride` is row-major (ignoring size-1 dims), as in PyTorch."""
        s = _strides.recorded(self.data)
        return s is None or _strides.is_contiguous(self.data.shape, s)

    # new_*: same dtype as this tensor unless ``dtype`` is given, as in PyTorch.
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return self._new_like(None, data, dtype, device, requires_grad, "new_tensor")

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new_like(size, 0, dtype, device, requires_grad, "new_zeros")

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new_like(size, 1, dtype, device, requires_grad, "new_ones")

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return self._new_like((size,), fill_value, dtype, device, requires_grad, "new_full")

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new_like(size, None, dtype, device, requires_grad, "new_empty")

    def _new_like(self, size, value, dtype, device, requires_grad, where):
        _device.check(device, f"Tensor.{where}")
        xp = backend.get_array_module(self.data)
        dtype = self.data.dtype if dtype is None else xp.dtype(dtype)
        if size is None:                              # new_tensor: a copy of the data
            arr = xp.array(value.data if isinstance(value, Tensor) else value, dtype=dtype)
        else:
            if len(size) == 1 and isinstance(size[0], (tuple, list)):
                size = tuple(size[0])
            if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 0
                       for s in size):
                raise ValueError(f"Tensor.{where}: size must be non-negative ints, got {tuple(size)}")
            arr = xp.empty(size, dtype) if value is None else xp.full(size, value, dtype)
        t = Tensor._make(arr, None, 0)
        return t.requires_grad_(True) if requires_grad else t

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

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``create_graph=True`` records the backward pass, so the ``.grad`` tensors can be
        differentiated again; ``retain_graph`` defaults to ``create_graph``.  ``inputs``
        (tensors, leaves or not): accumulate into their ``.grad`` only.
        """
        if create_graph or inputs is not None:
            from .gradcheck import backward
            return backward(self, gradient, retain_graph, create_graph, inputs=inputs)
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
        # Positional: CPython 3.11 specialises (inlines) calls without keyword arguments.
        engine.run_backward([self], [g], retain_graph)

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
        from .printing import array2string_options      # rb.set_printoptions
        body = xp.array2string(self.data, separator=", ", prefix="tensor(", **array2string_options())
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

    # -- in-place: the out-of-place op, written back, graph rebased (functional/inplace.py) --
    @property
    def _version(self):
        """How many in-place writes this tensor's storage has had (views share the count)."""
        return versions.version(self.data)

    def _check_inplace(self):
        if grad_mode._enabled[0] and self.requires_grad and self.grad_fn is None:
            raise RuntimeError(_ip._LEAF_MSG)

    def _inplace(self, value):
        """Overwrite with ``value`` (an array or number), in place."""
        return _ip.apply_(self, _ip.fill, _raw(value))

    def add_(self, other, alpha=1): return _ip.apply_(self, F.add, other, alpha=alpha)
    def sub_(self, other, alpha=1): return _ip.apply_(self, F.sub, other, alpha=alpha)
    def mul_(self, other): return _ip.apply_(self, F.mul, other)
    def div_(self, other, rounding_mode=None):
        return _ip.apply_(self, _ip.div, other, rounding_mode=rounding_mode)
    def pow_(self, exponent): return _ip.apply_(self, F.pow, exponent)
    def clamp_(self, min=None, max=None): return _ip.apply_(self, F.clamp, min, max)
    clip_ = clamp_
    def relu_(self): return _ip.apply_(self, F.relu)
    def sigmoid_(self): return _ip.apply_(self, F.sigmoid)
    def tanh_(self): return _ip.apply_(self, F.tanh)
    def exp_(self): return _ip.apply_(self, F.exp)
    def log_(self): return _ip.apply_(self, F.log)
    def sqrt_(self): return _ip.apply_(self, F.sqrt)
    def abs_(self): return _ip.apply_(self, F.abs)
    def neg_(self): return _ip.apply_(self, F.neg)

    def __iadd__(self, other): return _ip.apply_(self, F.add, other)
    def __isub__(self, other): return _ip.apply_(self, F.sub, other)
    def __imul__(self, other): return _ip.apply_(self, F.mul, other)
    def __itruediv__(self, other): return _ip.apply_(self, _ip.div, other)
    def __ipow__(self, other): return _ip.apply_(self, F.pow, other)

    def copy_(self, src):
        """Copy ``src`` (broadcast, cast to this dtype) in; differentiable in ``src``."""
        return _ip.apply_(self, _ip.fill, src)

    def fill_(self, value):
        return _ip.apply_(self, _ip.fill, value)

    def zero_(self):
        return _ip.apply_(self, _ip.fill, 0)

    def uniform_(self, a=0.0, b=1.0):
        from .. import random
        return self._inplace(random.default_generator().uniform(a, b, self.data.shape))

    def normal_(self, mean=0.0, std=1.0):
        from .. import random
        return self._inplace(random.default_generator().normal(mean, std, self.data.shape))


def _raw(x):
    return x.data if isinstance(x, Tensor) else x


def _is_size(a):
    # torch reads a 0-d integer array as a size too (it has __index__)
    if isinstance(a, _array_type):
        return a.ndim == 0 and a.dtype.kind in "iu"
    return isinstance(a, numbers.Integral) and not isinstance(a, bool)


def _legacy_data(args, dtype):
    """The array for ``Tensor(*args)``: sizes, nothing, or one piece of data (torch's rules)."""
    xp = backend.xp
    given, dtype = dtype, xp.dtype(dtype or backend.DEFAULT_FLOAT)
    if all(_is_size(a) for a in args):                        # also Tensor(): shape (0,)
        size = tuple(int(a) for a in args) if args else (0,)
        if any(s < 0 for s in size):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                               f"{list(size)} (Tensor(*sizes): sizes must be non-negative)")
        return xp.empty(size, dtype)
    if len(args) != 1:
        raise TypeError(f"Tensor(): expected sizes (ints) or one piece of data, got {len(args)} "
                        f"arguments of types {[type(a).__name__ for a in args]}")
    data = args[0]
    if isinstance(data, Tensor):                              # an alias, as in torch
        return data.data if given is None or data.dtype == dtype else data.data.astype(dtype)
    if isinstance(data, _array_type):
        return _from_array(data, dtype)
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type 'str' (Tensor() takes sizes or a sequence "
                        f"of numbers)")
    if data is None or isinstance(data, (numbers.Number, xp.generic)):
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__}); for a "
                        f"0-d tensor use rosenblatt.tensor({data!r})")
    return backend.as_array(data, dtype)


def _from_array(a, dtype):
    """``Tensor(ndarray)``: float32 (or ``dtype``), sharing ``a`` when it has that dtype,
    with ``a``'s memory order as its strides, as ``torch.Tensor`` does."""
    if a.dtype != dtype:
        a = a.astype(dtype)                                   # keeps the memory order
    if not a.flags.c_contiguous and a.size:
        if min(a.strides) <= 0 or any(s % a.itemsize for s in a.strides):
            return backend.xp.ascontiguousarray(a)            # (torch refuses negative strides)
        a = a.view()                                          # own record, a's may differ
        _strides.record(a, tuple(s // a.itemsize for s in a.strides))
    return a


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
from ..functional import inplace as _ip  # noqa: E402
from . import versions  # noqa: E402
