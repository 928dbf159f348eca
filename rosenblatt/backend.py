"""The array-module seam.

Every op body gets its array library from :func:`get_array_module`, so a CuPy
backend can be added later by changing this file alone.  Dtype rules live here
too: float32 is the default floating dtype, as in PyTorch.
"""
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


class blas_threads:
    """Context manager: limit the BLAS thread pool to ``n`` threads (``None``: leave it).

    The recurrent and small-network experiments run many tiny GEMMs, on which a
    multi-threaded BLAS spends more time synchronising than computing (25x slower
    was measured on a loaded 2-core machine).  Needs the optional ``threadpoolctl``
    package; without it this is a no-op.
    """

    def __init__(self, n=1):
        self.n, self._limiter = n, None

    def __enter__(self):
        if self.n is not None:
            try:
                from threadpoolctl import threadpool_limits
            except ImportError:
                return self
            self._limiter = threadpool_limits(limits=self.n, user_api="blas")
        return self

    def __exit__(self, *exc):
        if self._limiter is not None:
            self._limiter.restore_original_limits()
        return False
