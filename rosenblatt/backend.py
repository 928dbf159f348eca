"""The backend: the array module, dtype rules, the kernel switch and the kernel registry.

**Array module.**  Op bodies never import NumPy; they ask ``xp = get_array_module(a)`` for
the library that owns their arrays (NumPy today; a CuPy backend changes this file and adds
``kernels/cuda``).  Dtype rules live here too: float32 is the default floating dtype, as in
PyTorch.

**Kernels.**  Every op's default code (in :mod:`rosenblatt.functional`) is the reference
algorithm.  Faster implementations live in :mod:`rosenblatt.kernels` and register here with
an applicability predicate; an op calls :func:`dispatch` (or :func:`kernel_for`) and runs a
kernel only when one applies and the kernel mode is ``"fast"`` (the default).
``ROSENBLATT_KERNELS=reference`` in the environment, or :func:`use_kernels` (a call or a
``with`` block), routes every op to its reference code.

**Allocation.**  Op bodies that fill a new array take it from :func:`empty` (or
:func:`empty_like`, :func:`zeros`): a plain ``xp.empty`` in reference mode; in fast mode the
kernels may plug in an allocator (the CPU buffer cache, ``kernels/cpu/buffers.py``).
"""
import os

import numpy as np

#: The default floating dtype (``torch.get_default_dtype()`` is float32 too).
DEFAULT_FLOAT = np.float32
DEFAULT_INT = np.int64


def get_array_module(*arrays):
    """Return the array module (``numpy`` today) that owns ``arrays``."""
    return np


#: The array module of new data (creation functions, Python numbers).
xp = np


def is_array(a):
    """Whether ``a`` is an array of a supported array module."""
    return isinstance(a, np.ndarray)


def is_floating(dtype):
    return np.issubdtype(dtype, np.floating)


def as_array(data, dtype=None):
    """Turn Python data or an array into an array with PyTorch's dtype rules.

    Python floats become float32, ints int64, bools bool; arrays keep their dtype unless
    ``dtype`` is given.
    """
    if dtype is not None:
        dtype = np.dtype(dtype)
    if isinstance(data, np.ndarray):
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    if isinstance(data, np.generic):
        arr = np.asarray(data)
        return arr if dtype is None else arr.astype(dtype)
    arr = np.asarray(data)
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    if arr.dtype == np.float64:
        return arr.astype(DEFAULT_FLOAT)
    if arr.dtype.kind in "iu":
        return arr.astype(DEFAULT_INT, copy=False)
    if arr.dtype.kind in "bf":
        return arr
    raise TypeError(f"cannot make a tensor from data of type {type(data).__name__} "
                    f"(NumPy dtype {arr.dtype}); expected numbers, bools or nested lists of them")


# --- the kernel switch and registry -----------------------------------------------------------
MODES = ("fast", "reference")


def _mode_from_env():
    mode = os.environ.get("ROSENBLATT_KERNELS", "fast").strip().lower() or "fast"
    if mode not in MODES:
        raise ValueError(f"ROSENBLATT_KERNELS must be 'fast' or 'reference', got {mode!r}")
    return mode


_mode = [_mode_from_env()]
_kernels = {}                    # op name -> [(applies, kernel)], in registration order
_active = {} if _mode[0] == "reference" else _kernels   # what kernel_for searches


def kernels_mode():
    """``"fast"`` or ``"reference"``: which code ops run now."""
    return _mode[0]


class use_kernels:
    """Route ops to their ``"fast"`` kernels (the default) or to their ``"reference"`` code.

    ``use_kernels("reference")`` switches at once; ``with use_kernels("reference"): ...``
    switches for the block and restores the previous mode after it.
    """

    def __init__(self, mode):
        if mode not in MODES:
            raise ValueError(f"use_kernels(): argument 'mode' must be 'fast' or 'reference', "
                             f"got {mode!r}")
        self._prev = _mode[0]
        _set_mode(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set_mode(self._prev)
        return False


def _set_mode(mode):
    global _active
    _mode[0] = mode
    _active = _kernels if mode == "fast" else {}
    for hook in _mode_hooks:
        hook(mode)


_mode_hooks = []                 # called with the new mode (the kernels' allocator listens)


def on_mode_change(hook):
    """Call ``hook(mode)`` now and whenever the kernel mode changes (for kernel packages)."""
    _mode_hooks.append(hook)
    hook(_mode[0])
    return hook


def register_kernel(op, applies):
    """Decorator: register ``kernel`` as a fast implementation of ``op``.

    ``applies(*args)`` gets the arguments the op passes to :func:`dispatch` and says whether
    the kernel handles them; ``kernel(*args)`` must then return what the reference would.
    """
    def deco(kernel):
        _kernels.setdefault(op, []).append((applies, kernel))
        return kernel
    return deco


def registered_kernels():
    """``{op: [kernel names]}`` of every registered kernel (whatever the mode)."""
    return {op: [getattr(k, "__self__", k).__qualname__ for _, k in ks] for op, ks in _kernels.items()}


def kernel_for(op, *args):
    """The first registered kernel of ``op`` that applies to ``args``, or None (always None
    in reference mode)."""
    for applies, kernel in _active.get(op, ()):
        if applies(*args):
            return kernel
    return None


def dispatch(op, reference, *args):
    """Run ``op`` on ``args``: with a kernel that applies, else with ``reference``."""
    for applies, kernel in _active.get(op, ()):
        if applies(*args):
            return kernel(*args)
    return reference(*args)


# --- allocation -------------------------------------------------------------------------------
def _plain_empty(shape, dtype=DEFAULT_FLOAT):
    return np.empty(shape, dtype)


_allocator = [_plain_empty]


def set_allocator(fn):
    """Use ``fn(shape, dtype)`` for :func:`empty` (None: plain ``xp.empty``)."""
    _allocator[0] = fn or _plain_empty


def empty(shape, dtype=DEFAULT_FLOAT):
    """A new uninitialised C-contiguous array (from the active allocator)."""
    return _allocator[0](shape, dtype)


def zeros(shape, dtype=DEFAULT_FLOAT):
    """:func:`empty`, filled with zeros."""
    a = empty(shape, dtype)
    a.fill(0)
    return a


def empty_like(a, dtype=None):
    """An uninitialised array of ``a``'s shape with ``a``'s memory order (a channel-first
    view gives a channel-first array), from :func:`empty`."""
    dtype = a.dtype if dtype is None else np.dtype(dtype)
    if a.flags.c_contiguous or a.ndim < 2:
        return empty(a.shape, dtype)
    # Axes from the largest stride to the smallest (stable: equal strides keep their order).
    perm = sorted(range(a.ndim), key=lambda i: -abs(a.strides[i]))
    buf = empty(tuple(a.shape[i] for i in perm), dtype)
    inv = [0] * a.ndim
    for k, i in enumerate(perm):
        inv[i] = k
    return buf.transpose(inv)
