"""The array-module seam.

Every op body gets its array library from :func:`get_array_module`, so a CuPy
backend can be added later by changing this file alone.  Dtype rules live here
too: float32 is the default floating dtype, as in PyTorch.

It also owns the *buffer cache* (:func:`empty`, :func:`zeros`, :func:`empty_like`): the
large arrays of a training step (activations, gradients, im2col columns) have the same
sizes every step, and a fresh multi-MB allocation comes from ``mmap`` (or from a heap that
glibc has just trimmed), so each of its pages is faulted in and zeroed again by the
kernel: measured at 20-30% of a LeNet-5 step and a third of an LSTM step.  The cache keeps
every large buffer it hands out and gives it out again once nothing else refers to it
(its reference count says so), so steady-state training allocates nothing large.
"""
import math
import sys
import threading

import numpy as np

#: The default floating dtype (``torch.get_default_dtype()`` is float32 too).
DEFAULT_FLOAT = np.float32
DEFAULT_INT = np.int64


def get_array_module(*arrays):
    """Return the array module (``numpy`` today) that owns ``arrays``."""
    return np


xp = np


def is_floating(dtype):
    return np.issubdtype(dtype, np.floating)


def as_array(data, dtype=None):
    """Turn Python data or an array into an array with PyTorch's dtype rules.

    Python floats become float32, ints int64, bools bool; NumPy arrays keep
    their dtype unless ``dtype`` is given.
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
    if arr.dtype.kind == "b":
        return arr
    if arr.dtype.kind == "f":
        return arr
    raise TypeError(f"cannot make a tensor from data of type {type(data).__name__} "
                    f"(NumPy dtype {arr.dtype}); expected numbers, bools or nested lists of them")


from .threads import blas_threads  # noqa: E402,F401  (kept here: labs and models use it)


# --- the buffer cache ---------------------------------------------------------------------
# A buffer is a flat array owned by the cache; callers get a reshaped view of it, and every
# view (and view of a view) keeps a reference to the buffer.  So a buffer whose only
# references are the cache's own is free: no tensor, saved activation or user array can see
# it, and it may be handed out again.  Small arrays are left to malloc, which recycles them
# from its free lists without touching the kernel.

#: Arrays smaller than this (bytes) bypass the cache (glibc's default mmap threshold).
CACHE_MIN_BYTES = 1 << 17
#: Most bytes the cache holds; past it, free buffers are dropped before a new one is kept.
CACHE_MAX_BYTES = 512 << 20
#: Buffers come in size classes: a request is rounded up to a multiple of 1/4 to 1/8 of the
#: power of two below it, so that arrays of nearly the same size (LeNet-5's 2.06, 2.15,
#: 2.21 and 2.41 MB) share buffers.  Fewer distinct buffers -- 21.0 instead of 23.8 MiB for
#: a LeNet-5 step, 100 instead of 121 MiB for AlexNetSmall's -- means more of them are
#: still in cache when reused (LeNet-5 step 2-7% faster in in-process A/B runs).
CLASS_BITS = 3


def _size_class(nbytes):
    step = 1 << max(0, nbytes.bit_length() - CLASS_BITS)
    return -(-nbytes // step) * step


_cache = {}                      # size in bytes -> [flat uint8 buffers]
_cache_bytes = 0
_cache_lock = threading.Lock()
_refcount = sys.getrefcount
_gil = getattr(sys, "_is_gil_enabled", lambda: True)()   # free-threaded builds: no cache


def _free_refs():
    """The reference count a free buffer shows in :func:`empty`'s loop (probed the same way,
    so that interpreter changes in reference counting cannot fool the test)."""
    bufs = [np.empty(1)]
    for buf in bufs:
        return _refcount(buf)


_FREE = _free_refs()


def empty(shape, dtype=DEFAULT_FLOAT):
    """An uninitialised C-contiguous array of ``shape``, recycled from the buffer cache when
    it is large (see the module docstring)."""
    dtype = np.dtype(dtype)
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    size = math.prod(shape)
    nbytes = size * dtype.itemsize
    if nbytes < CACHE_MIN_BYTES or not _gil:
        return np.empty(shape, dtype)
    global _cache_bytes
    # Keyed by size class in bytes: a buffer serves any dtype and shape that fits (a float32
    # activation one step, a uint64 bit-pattern scratch the next), as a view of its start.
    want, nbytes = nbytes, _size_class(nbytes)
    with _cache_lock:
        bufs = _cache.get(nbytes)
        if bufs:
            # The free buffer handed out most recently (kept last): the likeliest to be
            # still in cache (measured: LeNet-5 and AlexNetSmall steps ~2% faster than
            # taking the first free one).
            for k in range(len(bufs) - 1, -1, -1):
                buf = bufs[k]
                if _refcount(buf) == _FREE:
                    if k != len(bufs) - 1:
                        del bufs[k]
                        bufs.append(buf)
                    return buf[:want].view(dtype).reshape(shape)
        buf = np.empty(nbytes, np.uint8)
        if _cache_bytes + nbytes > CACHE_MAX_BYTES:
            _drop_free()
        if _cache_bytes + nbytes <= CACHE_MAX_BYTES:
            _cache.setdefault(nbytes, []).append(buf)
            _cache_bytes += nbytes
        return buf[:want].view(dtype).reshape(shape)


def _drop_free():
    """Forget every free buffer (caller holds the lock)."""
    global _cache_bytes
    for key in list(_cache):
        keep = []
        for buf in _cache[key]:
            if _refcount(buf) == _FREE:
                _cache_bytes -= buf.nbytes
            else:
                keep.append(buf)
        if keep:
            _cache[key] = keep
        else:
            del _cache[key]


def empty_cache():
    """Release the buffer cache's free buffers to the system (``torch.cuda.empty_cache``'s
    counterpart); buffers in use stay tracked."""
    with _cache_lock:
        _drop_free()


def cache_info():
    """``{'buffers': n, 'bytes': held, 'free_bytes': reusable now}`` of the buffer cache."""
    n = free = 0
    with _cache_lock:
        for bufs in _cache.values():
            for buf in bufs:
                n += 1
                if _refcount(buf) == _FREE:
                    free += buf.nbytes
        return {"buffers": n, "bytes": _cache_bytes, "free_bytes": free}


def zeros(shape, dtype=DEFAULT_FLOAT):
    """:func:`empty`, filled with zeros."""
    a = empty(shape, dtype)
    a.fill(0)
    return a


def empty_like(a, dtype=None):
    """An uninitialised array of ``a``'s shape with ``a``'s memory order (a channel-first
    view gives a channel-first array), from the buffer cache."""
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


def flat_view(a):
    """A 1-D view of ``a``'s elements in memory order, or None when ``a`` is not contiguous
    in any axis order (a C-contiguous array or a channel-first view of one qualifies)."""
    if a.flags.c_contiguous:
        return a.reshape(-1)
    perm = sorted(range(a.ndim), key=lambda i: -abs(a.strides[i]))
    b = a.transpose(perm)
    return b.reshape(-1) if b.flags.c_contiguous else None


_zero_operands = {}              # dtype -> read-only 1-D zeros, grown on demand


def zeros_operand(n, dtype):
    """A read-only 1-D array of ``n`` zeros of ``dtype``, to stand in for a scalar 0.

    NumPy's ``maximum``/``minimum`` run about 3x slower with a scalar operand than with an
    array one (186 vs 58 µs on 602,112 float32).  The array comes from ``np.zeros``
    (calloc): large ones are fresh pages that the kernel maps to its single zero page on
    first read, so they cost address space, not memory or bandwidth."""
    dtype = np.dtype(dtype)
    z = _zero_operands.get(dtype)
    if z is None or z.size < n:
        z = np.zeros(max(n, 1 << 16), dtype)
        z.flags.writeable = False
        _zero_operands[dtype] = z
    return z[:n]
