"""Threads: NumPy's BLAS thread count and rosenblatt's intra-op thread pool.

``rb.get_num_threads()`` / ``rb.set_num_threads(n)`` follow PyTorch's names: ``n`` threads
for NumPy's BLAS (which does the GEMMs) and for the pool.  The BLAS count is applied
through the optional ``threadpoolctl`` package; without it the BLAS keeps the count it
started with (``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS``), :func:`set_num_threads`
raises and the pool stays unused.

The pool (:func:`parallel_for`) runs an op's independent pieces on Python threads, each
with one BLAS thread: large convolutions split their batch chunks over it.

Both back off on a shared machine: :func:`look_at_load` gives them only the cores other
processes leave free (``ROSENBLATT_ADAPTIVE_THREADS=0`` turns that off).
"""
import os
import threading
import time

__all__ = ["get_num_threads", "set_num_threads", "blas_threads", "parallel_for", "pool_size",
           "single_blas", "note_blas", "note_threaded_blas", "parallel_split", "blas_awake",
           "look_at_load"]

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
    """The number of threads the BLAS may use (``torch.get_num_threads``): the configured
    count, even while :func:`look_at_load` holds the BLAS lower on a shared machine."""
    if _lowered_from is not None and not _pinned:
        return _lowered_from
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
    global _pool_size, _lowered_from
    for c in blas:
        c.set_num_threads(n)
    _pool_size, _lowered_from = n, None
    if _allowed < n:                    # the machine is shared now: stay lower until it is not
        _lower(_allowed)


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
        global _pinned
        if self.n is not None:
            self._saved = [(c, c.num_threads) for c in _blas_controllers()]
            for c, _ in self._saved:
                c.set_num_threads(self.n)
            _pinned += 1                # look_at_load leaves the count alone inside
        return self

    def __exit__(self, *exc):
        global _pinned
        for c, n in self._saved or ():
            c.set_num_threads(n)
        if self.n is not None:
            _pinned -= 1
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
    :func:`set_num_threads`; fewer while other processes keep the cores busy
    (:func:`look_at_load`)."""
    global _pool_size
    if _pool_size is None:
        _pool_size = _start_count()
    return min(_pool_size, _allowed)


def note_blas(m, n, k):
    """Record that an op runs an (m x k) @ (k x n) GEMM outside :class:`single_blas`:
    if OpenBLAS may thread it, its workers will spin for a while."""
    if m * n * k > BLAS_THREADED_MNK:
        note_threaded_blas()


def note_threaded_blas():
    """Record that an op runs threaded GEMMs (outside :class:`single_blas`) now; now and
    then, look at the machine's load first (:func:`look_at_load`)."""
    global _last_threaded_blas
    if not getattr(_local, "single", False):
        now = time.perf_counter()
        if now >= _next_look:
            look_at_load(now)
        _last_threaded_blas = now


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
    global _workers, _pool_lock, _last_sample
    _workers = []
    _pool_lock = threading.Lock()
    _last_sample = None                 # the parent's CPU time is not the child's


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
    if time.perf_counter() >= _next_look and not getattr(_local, "busy", False):
        look_at_load()
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


# --- backing off when the cores are shared ----------------------------------------------
# With another process busy beside it, a threaded GEMM waits at its barriers for the thread
# that lost its core, and OpenBLAS's idle workers spin against the neighbour: on 2 cores
# next to one busy loop the char-LSTM step took 121.8 ms with 2 threads, 64.8 ms with one
# (40.6 ms alone).  So every ``LOOK_S`` seconds a threaded op looks at how much CPU time
# *other* processes used (``/proc/stat``'s busy time minus this process's own) and allows
# itself only the cores they leave: the BLAS and the pool drop to that count while the
# neighbour is busy and come back when it is gone.  ``ROSENBLATT_ADAPTIVE_THREADS=0``
# turns this off.

#: Seconds between two looks at the machine's load.
LOOK_S = 0.25
_next_look = 0.0                    # perf_counter() of the next look
_last_sample = None                 # (wall, busy CPU-seconds of the machine, of this process)
_allowed = 1 << 30                  # threads the other processes leave us (no limit yet)
_lowered_from = None                # the BLAS count before a look lowered it, or None
_pinned = 0                         # open blas_threads(n) blocks: their count is not changed
_adaptive = os.environ.get("ROSENBLATT_ADAPTIVE_THREADS", "1") != "0"
_ncpu = os.cpu_count() or 1
try:
    _TICK = 1.0 / os.sysconf("SC_CLK_TCK")
except (AttributeError, ValueError, OSError):
    _TICK = 0.01


def _machine_busy_seconds():
    """CPU-seconds all CPUs spent busy since boot (``/proc/stat``; steal counts as busy)."""
    with open("/proc/stat", "rb") as f:
        ticks = f.readline().split()[1:9]   # user nice system idle iowait irq softirq steal
    return (sum(map(int, ticks)) - int(ticks[3]) - int(ticks[4])) * _TICK


_own_busy_seconds = time.process_time    # CPU-seconds of this process, all its threads


def look_at_load(now=None):
    """Measure the cores other processes kept busy since the last look, ``others``, and
    allow this process ``max(1, floor(cpus - others + 0.5))`` threads: the pool's size and,
    lowered or restored, the BLAS's count.  Called by threaded ops, at most every ``LOOK_S``."""
    global _next_look, _last_sample, _allowed
    now = time.perf_counter() if now is None else now
    _next_look = now + LOOK_S
    if not _adaptive:
        return
    if pool_size() <= 1 and _lowered_from is None and _allowed > 1:
        _last_sample = None         # one thread already: nothing to lower, nothing to read
        return
    try:
        sample = (now, _machine_busy_seconds(), _own_busy_seconds())
    except (OSError, ValueError, IndexError):   # no /proc/stat (not Linux): never limit
        _next_look = float("inf")
        return
    last, _last_sample = _last_sample, sample
    if last is None or now - last[0] < 0.5 * LOOK_S:
        return
    wall = now - last[0]
    others = max(0.0, ((sample[1] - last[1]) - (sample[2] - last[2])) / wall)
    _allowed = max(1, int(_ncpu - others + 0.5))
    blas = _blas_controllers()
    if blas and not _pinned and (_lowered_from is not None
                                 or max(c.num_threads for c in blas) > _allowed):
        _lower(_allowed)


if _adaptive:                       # a first sample now, so that the first threaded op
    try:                            # already sees the load of the time since import
        _last_sample = (time.perf_counter(), _machine_busy_seconds(), _own_busy_seconds())
    except (OSError, ValueError, IndexError):
        pass


def _lower(n):
    """Run the BLAS on ``min(n, configured)`` threads; remember the configured count."""
    global _lowered_from
    blas = _blas_controllers()
    if not blas or _pinned:
        return
    if _lowered_from is None:
        _lowered_from = max(c.num_threads for c in blas)
    k = min(n, _lowered_from)
    for c in blas:
        if c.num_threads != k:
            c.set_num_threads(k)
    if k == _lowered_from:
        _lowered_from = None        # back to the configured count


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
