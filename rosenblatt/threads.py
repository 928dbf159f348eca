"""Thread counts: how many threads NumPy's BLAS (which does rosenblatt's GEMMs) may use.

``rb.get_num_threads()`` / ``rb.set_num_threads(n)`` follow PyTorch's names.  The count is
applied through the optional ``threadpoolctl`` package; without it the BLAS keeps the
count it started with (``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS``) and
:func:`set_num_threads` raises.

Splitting ops over Python threads instead (NumPy releases the GIL) was measured and
dropped: it made a LeNet-5 training step 15-18% slower on 2 cores, as every hand-over
between threads (GIL and wake-ups) cost tens of microseconds on a virtual machine.
"""
import os

__all__ = ["get_num_threads", "set_num_threads", "blas_threads"]

_blas = None                        # threadpoolctl controllers of the BLAS NumPy uses


def _blas_controllers():
    """threadpoolctl's controllers for the BLAS libraries loaded now (NumPy's), or []."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _blas = []
        else:
            _blas = list(ThreadpoolController().select(user_api="blas").lib_controllers)
    return _blas


def get_num_threads():
    """The number of threads the BLAS may use (``torch.get_num_threads``)."""
    blas = _blas_controllers()
    if blas:
        return max(c.num_threads for c in blas)
    env = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or ""
    env = env.split(",")[0].strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                      # not Linux
        return max(1, os.cpu_count() or 1)


def set_num_threads(n):
    """Let the BLAS use ``n`` threads (``torch.set_num_threads``); needs ``threadpoolctl``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads(): argument 'n' must be a positive int, got {n!r}")
    blas = _blas_controllers()
    if not blas:
        raise RuntimeError("set_num_threads() needs the optional threadpoolctl package to "
                           "control NumPy's BLAS: pip install 'rosenblatt[threads]' (or set "
                           "OPENBLAS_NUM_THREADS before starting Python)")
    for c in blas:
        c.set_num_threads(n)


class blas_threads:
    """Context manager: limit the BLAS thread pool to ``n`` threads (``None``: leave it).

    The recurrent and small-network experiments run many tiny GEMMs, on which a
    multi-threaded BLAS spends more time synchronising than computing (25x slower
    was measured on a loaded 2-core machine).  Needs the optional ``threadpoolctl``
    package; without it this is a no-op.
    """

    def __init__(self, n=1):
        self.n, self._saved = n, None

    def __enter__(self):
        if self.n is not None:
            self._saved = [(c, c.num_threads) for c in _blas_controllers()]
            for c, _ in self._saved:
                c.set_num_threads(self.n)
        return self

    def __exit__(self, *exc):
        for c, n in self._saved or ():
            c.set_num_threads(n)
        return False
