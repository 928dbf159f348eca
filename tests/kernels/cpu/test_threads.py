"""rb.get_num_threads / rb.set_num_threads, the blas_threads context and the intra-op pool."""
import pytest

import rosenblatt as rb
from rosenblatt.kernels.cpu.threads import blas_threads

pytest.importorskip("threadpoolctl")      # in the [test] extra; absent only in bare installs


@pytest.fixture(autouse=True)
def _no_backing_off(monkeypatch):
    """The load of a busy test machine must not change thread counts under these tests
    (the tests of look_at_load feed it a fake load)."""
    from rosenblatt.kernels.cpu import threads
    monkeypatch.setattr(threads, "_adaptive", False)
    monkeypatch.setattr(threads, "_allowed", 1 << 30)
    monkeypatch.setattr(threads, "_lowered_from", None)


def test_set_and_get_num_threads_round_trip():
    before = rb.get_num_threads()
    try:
        rb.set_num_threads(1)
        assert rb.get_num_threads() == 1
        rb.set_num_threads(2)
        assert rb.get_num_threads() == 2
    finally:
        rb.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_set_num_threads_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="argument 'n' must be a positive int"):
        rb.set_num_threads(bad)


def test_blas_threads_restores_the_count():
    before = rb.get_num_threads()
    try:
        rb.set_num_threads(2)
        with blas_threads(1):
            assert rb.get_num_threads() == 1
        assert rb.get_num_threads() == 2
        with blas_threads(None):                # None leaves it alone
            assert rb.get_num_threads() == 2
    finally:
        rb.set_num_threads(before)


# --- the intra-op pool ------------------------------------------------------------------------
import os  # noqa: E402
import threading  # noqa: E402

import numpy as np  # noqa: E402

from rosenblatt.kernels.cpu import threads  # noqa: E402
from rosenblatt.kernels.cpu import conv as conv_mod  # noqa: E402


@pytest.fixture
def pool2(monkeypatch):
    """Two pool threads, no recent threaded GEMM; restores the counts afterwards."""
    before = rb.get_num_threads()
    monkeypatch.setattr(threads, "_adaptive", False)      # a busy test machine must not
    monkeypatch.setattr(threads, "_allowed", 1 << 30)     # shrink the pool under the test
    rb.set_num_threads(2)
    monkeypatch.setattr(threads, "_last_threaded_blas", -1e9)
    yield
    rb.set_num_threads(before)


def test_parallel_for_runs_each_item_once_in_its_slot_on_two_threads(pool2):
    seen, names = [], set()
    lock = threading.Lock()

    def body(i, slot):
        with lock:
            seen.append((i, slot))
            names.add(threading.current_thread().name)
    threads.parallel_for(body, 9)
    assert sorted(seen) == [(i, i % 2) for i in range(9)]
    for s in (0, 1):                          # a slot's items run in increasing order
        items = [i for i, slot in seen if slot == s]
        assert items == sorted(items)
    assert len(names) == 2 and threading.current_thread().name in names


def test_parallel_for_holds_the_blas_at_one_thread(pool2):
    counts = []
    threads.parallel_for(lambda i, s: counts.append(rb.get_num_threads()), 4)
    assert counts == [1, 1, 1, 1]
    assert rb.get_num_threads() == 2          # restored


def test_parallel_for_reraises_a_worker_error_after_all_items(pool2):
    done = []

    def body(i, slot):
        if i == 1:
            raise KeyError("item 1")
        done.append(i)
    with pytest.raises(KeyError, match="item 1"):
        threads.parallel_for(body, 4)
    assert sorted(done) == [0, 2]             # slot 1 stopped at its first item; slot 0 finished
    threads.parallel_for(lambda i, s: done.append(i), 2)   # the pool still works afterwards
    assert sorted(done) == [0, 0, 1, 2]


def test_nested_parallel_for_runs_inline(pool2):
    inner = []

    def body(i, slot):
        names = set()
        threads.parallel_for(lambda j, s: names.add(threading.current_thread().name), 4)
        inner.append(len(names))
    threads.parallel_for(body, 2)
    assert inner == [1, 1]


def test_after_a_threaded_gemm_items_run_on_the_caller_in_the_same_slots(pool2):
    threads.note_blas(4096, 4096, 4096)       # OpenBLAS's workers may be spinning now
    seen = []
    threads.parallel_for(lambda i, s: seen.append((i, s, threading.current_thread().name,
                                                    rb.get_num_threads())), 4)
    me = threading.current_thread().name
    assert seen == [(0, 0, me, 1), (2, 0, me, 1), (1, 1, me, 1), (3, 1, me, 1)]


def test_note_blas_ignores_gemms_openblas_runs_on_one_thread(pool2):
    threads.note_blas(64, 64, 64)             # 262144 = m*n*k: not threaded by OpenBLAS
    assert threads._last_threaded_blas == -1e9
    with threads.single_blas():
        threads.note_blas(4096, 4096, 4096)   # inside single_blas nothing spins
    assert threads._last_threaded_blas == -1e9


def test_single_blas_nests_and_restores():
    before = rb.get_num_threads()
    try:
        rb.set_num_threads(2)
        with threads.single_blas():
            assert rb.get_num_threads() == 1
            with threads.single_blas():
                assert rb.get_num_threads() == 1
            assert rb.get_num_threads() == 1
        assert rb.get_num_threads() == 2
    finally:
        rb.set_num_threads(before)


def test_set_num_threads_sets_the_pool_size():
    before = rb.get_num_threads()
    try:
        rb.set_num_threads(3)
        assert threads.pool_size() == 3
        rb.set_num_threads(1)
        assert threads.pool_size() == 1
    finally:
        rb.set_num_threads(before)


def _conv_case(seed, shape, wshape, **kw):
    rng = np.random.default_rng(seed)
    x = rb.tensor(rng.standard_normal(shape), requires_grad=True)
    w = rb.tensor(rng.standard_normal(wshape), requires_grad=True)
    b = rb.tensor(rng.standard_normal(wshape[0]), requires_grad=True)
    g = rng.standard_normal
    y = rb.nn.functional.conv2d(x, w, b, **kw)
    y.backward(rb.tensor(g(tuple(y.shape))))
    return y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()


CONV_CASES = [((6, 4, 9, 9), (6, 4, 3, 3), dict(padding=1)),              # wide, stride 1
              ((5, 4, 9, 8), (6, 2, 3, 2), dict(stride=2, groups=2)),     # strided, grouped
              ((4, 3, 7, 7), (8, 3, 3, 3), dict(stride=2, dilation=2, padding=2))]


@pytest.mark.parametrize("shape,wshape,kw", CONV_CASES)
def test_pooled_convolution_matches_serial_and_the_fallback_bit_for_bit(pool2, monkeypatch,
                                                                       shape, wshape, kw):
    # Many one-image chunks, every convolution on the pool.
    monkeypatch.setattr(conv_mod, "CHUNK_BYTES", 64)
    monkeypatch.setattr(conv_mod, "PARALLEL_MIN_FLOPS", 0)
    names = set()
    run = threads.parallel_for

    def spy(fn, n):
        def body(i, s):
            names.add(threading.current_thread().name)
            fn(i, s)
        run(body, n)
    monkeypatch.setattr(conv_mod, "parallel_for", spy)
    pooled = _conv_case(0, shape, wshape, **kw)
    assert len(names) == 2                    # the chunks really ran on two threads
    threads.note_blas(4096, 4096, 4096)       # next call: the same slots on the caller
    fallback = _conv_case(0, shape, wshape, **kw)
    for a, b in zip(pooled, fallback):
        np.testing.assert_array_equal(a, b)
    monkeypatch.setattr(threads, "_pool_size", 1)
    serial = _conv_case(0, shape, wshape, **kw)
    for a, b in zip(pooled, serial):          # float64: only the summation order differs
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_pooled_convolution_weight_gradient_only(pool2, monkeypatch):
    monkeypatch.setattr(conv_mod, "CHUNK_BYTES", 64)
    monkeypatch.setattr(conv_mod, "PARALLEL_MIN_FLOPS", 0)
    rng = np.random.default_rng(1)
    x = rb.tensor(rng.standard_normal((6, 1, 8, 8)))          # input needs no gradient
    w = rb.tensor(rng.standard_normal((4, 1, 3, 3)), requires_grad=True)
    rb.nn.functional.conv2d(x, w, padding=1).sum().backward()
    monkeypatch.setattr(threads, "_pool_size", 1)
    w2 = rb.tensor(w.detach().numpy(), requires_grad=True)
    rb.nn.functional.conv2d(x, w2, padding=1).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), w2.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_parallel_split_covers_the_array_along_its_outermost_memory_axis(pool2, monkeypatch):
    monkeypatch.setattr(threads, "PARALLEL_MIN_BYTES", 0)
    a = np.zeros((4, 6, 5), np.float32).transpose(1, 0, 2)     # axis 1 is outermost in memory
    pieces = []
    threads.parallel_split(lambda ix: pieces.append(ix), a)
    assert sorted(p[1].start for p in pieces) == [0, 2] and all(len(p) == 2 for p in pieces)
    out = np.zeros_like(a)
    threads.parallel_split(lambda ix: out.__setitem__(ix, 1), out)
    assert out.all()


def test_parallel_split_leaves_small_and_0d_arrays_whole(pool2):
    seen = []
    threads.parallel_split(lambda ix: seen.append(ix), np.zeros((8, 8)))
    threads.parallel_split(lambda ix: seen.append(ix), np.zeros(()))
    assert seen == [(Ellipsis,), (Ellipsis,)]


@pytest.mark.parametrize("layout", ["contiguous", "channel_first"])
def test_pooled_overlapping_max_pool_matches_serial_bit_for_bit(pool2, monkeypatch, layout):
    monkeypatch.setattr(threads, "PARALLEL_MIN_BYTES", 0)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 6, 11, 11)).astype(np.float32)
    x[:, :, 4, 4:7] = 2.5                                         # ties: the first max wins
    if layout == "channel_first":
        x = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)

    def run():
        t = rb.tensor(x, requires_grad=True)
        y = rb.nn.functional.max_pool2d(rb.nn.functional.relu(t), 3, 2)
        y.backward(rb.tensor(np.arange(y.numel(), dtype=np.float32).reshape(tuple(y.shape))))
        return y.detach().numpy(), t.grad.numpy()
    names, calls = set(), {"scatter": 0}
    split = threads.parallel_for

    def spy(fn, n):
        if fn.__name__ == "scatter":
            calls["scatter"] += 1

        def body(i, s):
            names.add(threading.current_thread().name)
            fn(i, s)
        split(body, n)
    monkeypatch.setattr(threads, "parallel_for", spy)
    pooled = run()
    assert len(names) == 2
    assert calls["scatter"] >= 1                 # the bincount slabs went to the pool too
    monkeypatch.setattr(threads, "_pool_size", 1)
    serial = run()
    for a, b in zip(pooled, serial):
        np.testing.assert_array_equal(a, b)


def test_a_job_left_running_by_an_interrupted_caller_finishes_before_the_next(pool2):
    # Simulate a caller interrupted while waiting: hand worker 1 a slow job, do not wait.
    threads.parallel_for(lambda i, s: None, 2)               # start the worker
    w = threads._workers[0]
    started, release, log = threading.Event(), threading.Event(), []

    def slow(i, slot):
        started.set()
        release.wait(5)
        log.append("old")
    w.done.clear()
    w.job, w.outstanding = (slow, 2, 2), True
    w.go.set()
    assert started.wait(5)
    threading.Timer(0.05, release.set).start()
    threads.parallel_for(lambda i, s: log.append(("new", i)), 2)
    assert log[0] == "old" and sorted(log[1:]) == [("new", 0), ("new", 1)]


def test_two_python_threads_using_pooled_ops_at_once_get_correct_results(pool2, monkeypatch):
    # One caller uses the workers; a second caller meanwhile runs its items itself.
    monkeypatch.setattr(conv_mod, "CHUNK_BYTES", 64)
    monkeypatch.setattr(conv_mod, "PARALLEL_MIN_FLOPS", 0)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((8, 4, 9, 9))
    w = rng.standard_normal((6, 4, 3, 3))
    monkeypatch.setattr(threads, "_pool_size", 1)
    want = rb.nn.functional.conv2d(rb.tensor(x), rb.tensor(w), padding=1).numpy()
    monkeypatch.setattr(threads, "_pool_size", 2)
    results, errors = [], []

    def work():
        try:
            for _ in range(20):
                results.append(rb.nn.functional.conv2d(rb.tensor(x), rb.tensor(w), padding=1).numpy())
        except BaseException as e:           # pragma: no cover - reported below
            errors.append(e)
    ts = [threading.Thread(target=work) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors and len(results) == 40
    for r in results:
        np.testing.assert_allclose(r, want, rtol=1e-10, atol=1e-10)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_pool_works_in_a_forked_child(pool2):
    threads.parallel_for(lambda i, s: None, 2)          # the parent has a worker now
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                         # child: the pool must start afresh
        names = set()
        threads.parallel_for(lambda i, s: names.add(threading.current_thread().name), 4)
        os.write(w, str(len(names)).encode())
        os._exit(0)
    os.close(w)
    got = os.read(r, 16)
    os.waitpid(pid, 0)
    assert got == b"2"


# --- backing off when the cores are shared ----------------------------------------------------
class _FakeLoad:
    """A machine whose other processes keep ``others`` cores busy: feeds look_at_load."""

    def __init__(self, monkeypatch, ncpu=2):
        self.wall = self.machine = self.own = 0.0
        monkeypatch.setattr(threads, "_ncpu", ncpu)
        monkeypatch.setattr(threads, "_pool_size", ncpu)
        monkeypatch.setattr(threads, "_adaptive", True)
        monkeypatch.setattr(threads, "_allowed", 1 << 30)
        monkeypatch.setattr(threads, "_lowered_from", None)
        monkeypatch.setattr(threads, "_last_sample", None)
        monkeypatch.setattr(threads, "_machine_busy_seconds", lambda: self.machine)
        monkeypatch.setattr(threads, "_own_busy_seconds", lambda: self.own)

    def after(self, seconds, others, own=1.0):
        self.wall += seconds
        self.machine += seconds * (others + own)
        self.own += seconds * own
        threads.look_at_load(self.wall)


def test_look_at_load_lowers_the_blas_and_pool_beside_a_busy_process_and_restores_them(
        monkeypatch):
    if not threads._blas_controllers():
        pytest.skip("needs threadpoolctl")      # it is in the test extra: never skipped in CI
    before = rb.get_num_threads()
    load = _FakeLoad(monkeypatch)
    try:
        rb.set_num_threads(2)
        load.after(0, 0)                           # first sample
        load.after(0.3, others=0.1)
        assert threads._allowed == 2 and threads.pool_size() == 2
        load.after(0.3, others=1.0, own=1.2)       # one busy neighbour on 2 cores
        assert threads._allowed == 1 and threads.pool_size() == 1
        assert [c.num_threads for c in threads._blas_controllers()] == [1] * len(
            threads._blas_controllers())
        assert rb.get_num_threads() == 2           # the configured count, as torch reports it
        with threads.blas_threads(2):              # an explicit block is left alone
            load.after(0.3, others=1.0)
            assert all(c.num_threads == 2 for c in threads._blas_controllers())
        load.after(0.3, others=0.0, own=2.0)       # the neighbour is gone
        assert threads._allowed == 2 and threads._lowered_from is None
        assert all(c.num_threads == 2 for c in threads._blas_controllers())
    finally:
        rb.set_num_threads(before)


def test_look_at_load_keeps_the_configured_count_when_cores_are_free(monkeypatch):
    load = _FakeLoad(monkeypatch, ncpu=16)
    load.after(0, 0)
    load.after(0.3, others=3.0)
    assert threads._allowed == 13                  # 16 cores, 3 busy: 13 left
    load.after(0.3, others=15.8)
    assert threads._allowed == 1                   # never below one thread


def test_look_at_load_off_by_environment(monkeypatch):
    load = _FakeLoad(monkeypatch)
    monkeypatch.setattr(threads, "_adaptive", False)
    load.after(0, 0)
    load.after(0.3, others=2.0)
    assert threads._allowed == 1 << 30


def test_look_at_load_reads_this_machine(monkeypatch):
    import os
    if not os.path.exists("/proc/stat"):
        pytest.skip("Linux only: elsewhere the back-off is off")
    monkeypatch.setattr(threads, "_adaptive", True)
    monkeypatch.setattr(threads, "_last_sample", None)
    monkeypatch.setattr(threads, "_pool_size", 2)
    threads.look_at_load(1.0)
    threads.look_at_load(1.5)
    assert 1 <= threads._allowed <= threads._ncpu


def test_look_at_load_reads_nothing_on_one_thread(monkeypatch):
    load = _FakeLoad(monkeypatch)
    monkeypatch.setattr(threads, "_pool_size", 1)
    monkeypatch.setattr(threads, "_machine_busy_seconds", lambda: 1 / 0)    # never called
    load.after(0, 0)
    load.after(0.3, others=2.0)
    assert threads._allowed == 1 << 30
