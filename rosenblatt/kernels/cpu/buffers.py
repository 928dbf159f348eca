"""The CPU buffer cache: recycled large arrays for the fast kernels.

The large arrays of a training step (activations, gradients, im2col columns) have the same
sizes every step, and a fresh multi-MB allocation comes from ``mmap`` (or from a heap that
glibc has just trimmed), so each of its pages is faulted in and zeroed again by the kernel
(measured at 20-30% of a LeNet-5 step and a third of an LSTM step; docs/DEVELOPING.md).
The cache keeps every large buffer it hands out and gives it out again once nothing else
refers to it (its reference count says so), so steady-state training allocates nothing
large.  It is the backend's allocator in fast mode only (``backend.set_allocator``);
``use_kernels("reference")`` turns it off.
"""
import math
import sys
import threading

import numpy as np

from ... import backend

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
#: power of two below it, so that arrays of nearly the same size share buffers.
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


def empty(shape, dtype=backend.DEFAULT_FLOAT):
    """An uninitialised C-contiguous array of ``shape``, recycled from the cache when large."""
    dtype = np.dtype(dtype)
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    size = math.prod(shape)
    nbytes = size * dtype.itemsize
    if nbytes < CACHE_MIN_BYTES or not _gil:
        return np.empty(shape, dtype)
    global _cache_bytes
    # Keyed by size class in bytes: a buffer serves any dtype and shape that fits, as a view
    # of its start.
    want, nbytes = nbytes, _size_class(nbytes)
    with _cache_lock:
        bufs = _cache.get(nbytes)
        if bufs:
            # The free buffer handed out most recently (kept last): the likeliest to be
            # still in the CPU's cache.
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
    """Release the cache's free buffers to the system (``torch.cuda.empty_cache``'s
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
    array one.  The array comes from ``np.zeros`` (calloc): large ones are fresh pages that
    the kernel maps to its single zero page on first read."""
    dtype = np.dtype(dtype)
    z = _zero_operands.get(dtype)
    if z is None or z.size < n:
        z = np.zeros(max(n, 1 << 16), dtype)
        z.flags.writeable = False
        _zero_operands[dtype] = z
    return z[:n]


# The cache is the backend's allocator in fast mode, plain np.empty in reference mode.
backend.on_mode_change(lambda mode: backend.set_allocator(empty if mode == "fast" else None))
