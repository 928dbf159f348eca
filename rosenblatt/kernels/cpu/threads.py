"""Threads: NumPy's BLAS thread count and rosenblatt's intra-op thread pool.

``rb.get_num_threads()`` / ``rb.set_num_threads(n)`` follow PyTorch's names: ``n`` threads
for NumPy's BLAS (which does the GEMMs) and for the pool.  The BLAS count is applied
through the optional ``threadpoolctl`` package; without it the BLAS keeps the count it
started with (``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS``), :func:`set_num_threads`
raises and the pool stays unused.

The pool (:func:`parallel_for`) runs an op's independent pieces on Python threads, each
with one BLAS thread: large convolutions split their batch chunks over it.
"""
import os
import threading
import time

__all__ = ["get_num_threads", "set_num_threads", "blas_threads", "parallel_for", "pool_size",
           "single_blas", "note_blas", "note_threaded_blas", "parallel_split", "blas_awake"]

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
    return _start_count()


def _start_count():
    """The thread count the process started with: ``OPENBLAS_NUM_THREADS`` or
    ``OMP_NUM_THREADS`` when set, else the CPUs this process may run on."""
    env = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or ""
    env = env.split(",")[0].strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                      # not Linux
        return max(1, os.cpu_count() or 1)


def set_num_threads(n):
    """Use ``n`` threads (``torch.set_num_threads``): the BLAS's count and the intra-op pool's
    (:func:`parallel_for`); needs ``threadpoolctl``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads(): argument 'n' must be a positive int, got {n!r}")
    blas = _blas_controllers()
    if not blas:
        raise RuntimeError("set_num_threads() needs the optional threadpoolctl package to "
                           "control NumPy's BLAS: pip install 'rosenblatt[threads]' (or set "
                           "OPENBLAS_NUM_THREADS before starting Python)")
    global _pool_size
    for c in blas:
        c.set_num_threads(n)
    _pool_size = n


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


# --- the intra-op thread pool -------------------------------------------------------------
# NumPy releases the GIL inside large copies and GEMMs, so an op can split its work into
# independent pieces (a convolution's batch chunks) and run them on Python threads, each
# with single-threaded GEMMs.  On 2 cores this beat one thread driving a threaded BLAS: the
# AlexNetSmall step went from 66-72 to 56-60 ms (in-process A/B), because the unfold copies
# and pooling passes run on both cores too and the many mid-sized GEMMs no longer wait at
# the BLAS's barriers.  Small ops stay serial: a hand-over costs tens of microseconds
# (LeNet-5's convolutions got slower on the pool).
#
# One hazard: after a threaded GEMM, OpenBLAS's workers spin for about 0.1 s, holding a
# core.  Pool threads started then compete with them (the AlexNetSmall step took 96 ms
# when its classifier's GEMMs ran threaded).  So small GEMMs run on one BLAS thread
# (:class:`single_blas`), ops that run threaded GEMMs record it (:func:`note_blas`), and
# :func:`parallel_for` runs its items on the calling thread while workers may still spin.

_pool_size = None                   # threads parallel_for may use (None: not set yet)
_workers = []                       # worker threads 1 .. pool size - 1 (the caller is thread 0)
_pool_lock = threading.Lock()       # held by the one caller using the workers
_local = threading.local()          # .busy: this thread is inside parallel_for
_last_threaded_blas = -1e9          # perf_counter() of the last threaded GEMM rosenblatt ran

#: Seconds after a threaded GEMM during which OpenBLAS's workers may still be spinning.
SPIN_S = 0.2
#: OpenBLAS runs a GEMM threaded only when m*n*k exceeds about this (65536 * its
#: GEMM_MULTITHREAD_THRESHOLD of 4); smaller ones never wake its workers.
BLAS_THREADED_MNK = 65536 * 4


def pool_size():
    """How many threads :func:`parallel_for` uses: the count the process started with
    (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` or the CPUs), or the last
    :func:`set_num_threads`."""
    global _pool_size
    if _pool_size is None:
        _pool_size = _start_count()
    return _pool_size


def note_blas(m, n, k):
    """Record that an op runs an (m x k) @ (k x n) GEMM outside :class:`single_blas`:
    if OpenBLAS may thread it, its workers will spin for a while."""
    if m * n * k > BLAS_THREADED_MNK:
        note_threaded_blas()


def note_threaded_blas():
    """Record that an op runs threaded GEMMs (outside :class:`single_blas`) now."""
    global _last_threaded_blas
    if not getattr(_local, "single", False):
        _last_threaded_blas = time.perf_counter()


def blas_awake():
    """Whether OpenBLAS's workers may still be spinning from a threaded GEMM rosenblatt ran
    (within ``SPIN_S``): a small GEMM then costs nothing extra threaded."""
    return time.perf_counter() - _last_threaded_blas < SPIN_S


class single_blas:
    """Context manager: the BLAS runs on one thread inside (two library calls, ~1 µs).

    For GEMMs too small to gain from threads, and so that they leave no spinning BLAS
    workers behind to compete with the pool."""

    def __enter__(self):
        self._saved = saved = []
        if not getattr(_local, "single", False):
            for c in _blas_controllers():
                k = c.num_threads
                if k != 1:
                    c.set_num_threads(1)
                    saved.append((c, k))
            _local.single = True
            self._outer = True
        else:
            self._outer = False
        return self

    def __exit__(self, *exc):
        if self._outer:
            _local.single = False
        for c, k in self._saved:
            c.set_num_threads(k)
        return False


class _Worker(threading.Thread):
    """Pool thread ``tid``: waits for a job, runs items tid, tid + T, ..., reports."""

    def __init__(self, tid):
        super().__init__(name=f"rosenblatt-pool-{tid}", daemon=True)
        self.tid = tid
        self.go = threading.Event()
        self.done = threading.Event()
        self.job = self.error = None
        self.outstanding = False        # a job was handed over and not yet waited for

    def run(self):
        _local.busy = True
        _local.single = True            # the caller holds the BLAS at one thread
        while True:
            self.go.wait()
            self.go.clear()
            fn, n, step = self.job
            self.job = None
            try:
                for i in range(self.tid, n, step):
                    fn(i, self.tid)
            except BaseException as e:      # re-raised by the caller
                self.error = e
            self.done.set()


def _reset_after_fork():
    # A forked child has only the forking thread: the workers are gone, and a lock held by
    # another thread at the fork would never be released.
    global _workers, _pool_lock
    _workers = []
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def parallel_for(fn, n):
    """Call ``fn(i, slot)`` for ``i`` in ``range(n)``, on up to :func:`pool_size` threads.

    Item ``i`` always gets ``slot = i % T`` (``T = min(pool_size(), n)``) and the items of
    a slot run in increasing order, whether they run on pool thread ``slot`` or all on the
    caller: per-slot partial results (a weight gradient) are then bit-for-bit the same
    either way, and the same every run for a given thread count.  Items must write disjoint
    outputs.  The BLAS is held at one thread while they run.  The caller runs every item
    itself when the pool has one thread, inside another ``parallel_for`` or without BLAS
    control (no ``threadpoolctl``); and, still with one BLAS thread and the same slots,
    within ``SPIN_S`` of a threaded GEMM or while another Python thread uses the pool.
    """
    T = min(pool_size(), n)

    def inline():
        for t in range(T):
            for i in range(t, n, T):
                fn(i, t)
    if T <= 1 or getattr(_local, "busy", False) or not _blas_controllers():
        inline()
        return
    if time.perf_counter() - _last_threaded_blas < SPIN_S or not _pool_lock.acquire(False):
        # Workers may still spin, or another Python thread is using the pool: run here.
        # Same slots, same single-threaded GEMMs (a threaded GEMM may round differently),
        # so the result does not depend on this timing-based choice.
        with single_blas():
            inline()
        return
    try:
        _run_on_workers(fn, n, T)
    finally:
        _pool_lock.release()


def _run_on_workers(fn, n, T):
    """:func:`parallel_for`'s threaded path (the caller holds ``_pool_lock``)."""
    while len(_workers) < T - 1:
        w = _Worker(len(_workers) + 1)
        w.start()
        _workers.append(w)
    workers = _workers[:T - 1]
    for w in workers:
        if w.outstanding:               # a caller interrupted while waiting (Ctrl-C): let the
            w.done.wait()               # worker finish that job before it gets this one
            w.outstanding = False
    with single_blas():
        _local.busy = True
        try:
            for w in workers:
                w.done.clear()
                w.error = None
                w.job = (fn, n, T)
                w.outstanding = True
                w.go.set()
            error = None
            try:
                for i in range(0, n, T):
                    fn(i, 0)
            except BaseException as e:
                error = e
            for w in workers:               # always wait: the items share the caller's buffers
                w.done.wait()
                w.outstanding = False
                error = error or w.error
            if error is not None:
                raise error
        finally:
            _local.busy = False


#: Pooling passes whose output has at least this many bytes are split over the pool: the
#: 3x3/2 max-pools of AlexNetSmall (outputs of 0.15-1.8 MB) gained 10-35% forward and
#: backward.  (ReLU, one memory-bound pass, gained nothing at any size and stays serial.)
PARALLEL_MIN_BYTES = 1 << 16


def parallel_split(fn, ref):
    """Call ``fn(index)`` for pieces of ``ref``'s shape that together cover it, split along
    its outermost axis in memory, on the pool when ``ref`` is large (else ``fn`` gets the
    whole range).  ``index`` is a tuple of slices to apply to every operand of ``ref``'s
    shape; the pieces must write disjoint outputs."""
    T = pool_size()
    if T <= 1 or ref.ndim == 0 or ref.nbytes < PARALLEL_MIN_BYTES:
        fn((Ellipsis,))                 # a[...] is a view even of a 0-d array
        return
    axis = max(range(ref.ndim), key=lambda i: (abs(ref.strides[i]), -i))
    n = ref.shape[axis]
    T = min(T, n)
    if T <= 1:
        fn((Ellipsis,))
        return
    bounds = [n * i // T for i in range(T + 1)]

    def piece(i, slot):
        fn((slice(None),) * axis + (slice(bounds[i], bounds[i + 1]),))
    parallel_for(piece, T)
