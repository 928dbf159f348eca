"""The CPU buffer cache (recycled large arrays), the fast mode's allocator."""
import threading

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import backend
from rosenblatt.kernels.cpu import buffers


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch):
    # An empty cache of our own: buffers other tests still hold must not count here.
    monkeypatch.setattr(buffers, "_cache", {})
    monkeypatch.setattr(buffers, "_cache_bytes", 0)


BIG = (256, 256)          # 256 KiB of float32: above CACHE_MIN_BYTES


def test_free_buffer_is_reused_and_busy_one_is_not():
    a = buffers.empty(BIG)
    base = id(a.base)                           # (a reference to the buffer would hold it)
    b = buffers.empty(BIG)
    assert not np.shares_memory(a, b)           # a is still referenced
    del a
    c = buffers.empty((128, 512))               # same size, other shape: the free buffer
    assert id(c.base) == base
    assert c.shape == (128, 512) and c.flags.c_contiguous


def test_sizes_in_one_class_share_a_buffer():
    a = buffers.empty((300, 300), np.float32)          # 360000 bytes
    base = id(a.base)
    del a
    b = buffers.empty((95000,), np.float32)            # 380000 bytes: the same size class
    assert id(b.base) == base and b.flags.c_contiguous and b.shape == (95000,)
    assert buffers._size_class(360000) == buffers._size_class(380000) >= 380000
    c = buffers.empty((300, 300), np.float32)          # b holds that buffer: a new one
    assert id(c.base) != base and not np.shares_memory(b, c)


def test_the_buffer_handed_out_last_is_reused_first():
    a, b = buffers.empty(BIG), buffers.empty(BIG)
    last = id(b.base)
    del a, b
    assert id(buffers.empty(BIG).base) == last          # likelier to be still in cache


def test_a_view_keeps_its_buffer_busy():
    a = buffers.empty(BIG)
    keep = a[3:5][:, ::2]                       # a view of a view still holds the buffer
    base = id(a.base)
    del a
    b = buffers.empty(BIG)
    assert id(b.base) != base and not np.shares_memory(b, keep)
    del keep
    assert id(buffers.empty(BIG).base) == base  # free again; b's buffer is still busy


def test_small_arrays_bypass_the_cache():
    a = buffers.empty((4, 4))
    assert a.base is None and buffers.cache_info()["buffers"] == 0


def test_zeros_and_dtype():
    buffers.empty(BIG).fill(7)                  # leave garbage in a buffer that becomes free
    z = backend.zeros(BIG, np.float32)
    assert z.dtype == np.float32 and not z.any()
    i = buffers.empty(BIG, np.int64)
    assert i.dtype == np.int64 and i.shape == BIG


def test_empty_like_keeps_memory_order():
    x = np.empty((6, 128, 28, 28), np.float32).transpose(1, 0, 2, 3)   # channel-first view
    e = backend.empty_like(x)
    assert e.shape == x.shape and e.strides == x.strides
    f = backend.empty_like(np.empty((300, 300), np.float64), bool)
    assert f.dtype == bool and f.flags.c_contiguous


def test_empty_cache_and_info():
    a = buffers.empty(BIG)
    b = buffers.empty(BIG)
    del b
    info = buffers.cache_info()
    assert info["buffers"] == 2 and info["bytes"] == 2 * 256 * 256 * 4
    assert info["free_bytes"] == 256 * 256 * 4
    buffers.empty_cache()                       # drops the free one, keeps the busy one
    assert buffers.cache_info() == {"buffers": 1, "bytes": a.nbytes, "free_bytes": 0}


def test_cache_respects_its_byte_limit(monkeypatch):
    monkeypatch.setattr(buffers, "CACHE_MAX_BYTES", 3 * 256 * 256 * 4)
    held = [buffers.empty(BIG) for _ in range(5)]       # past the limit: 2 are not kept
    assert buffers.cache_info() == {"buffers": 3, "bytes": buffers.CACHE_MAX_BYTES,
                                    "free_bytes": 0}
    for i in range(5):
        held[i].fill(i)
    assert [int(a[0, 0]) for a in held] == [0, 1, 2, 3, 4]     # five distinct arrays
    del held
    other = buffers.empty((64, 64, 32))                 # a new size evicts the free ones
    assert buffers.cache_info() == {"buffers": 1, "bytes": other.nbytes, "free_bytes": 0}


def test_threads_never_get_the_same_buffer():
    got, lock = [], threading.Lock()

    def work():
        for _ in range(200):
            a = buffers.empty(BIG)
            a.fill(threading.get_ident() % 1000)
            with lock:
                got.append(a)                            # held: must stay distinct
    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len({id(a.base) for a in got}) == len(got)


def test_outputs_of_successive_steps_do_not_alias():
    # A layer's output from the cache must survive the next call while the caller holds it.
    rb.manual_seed(0)
    conv = rb.nn.Conv2d(3, 8, 3, padding=1)
    x1, x2 = rb.randn(16, 3, 32, 32), rb.randn(16, 3, 32, 32)
    y1 = rb.relu(conv(x1))
    snapshot = y1.data.copy()
    y2 = rb.relu(conv(x2))
    np.testing.assert_array_equal(y1.data, snapshot)
    assert not np.shares_memory(y1.data, y2.data)


def test_training_steps_reach_a_steady_cache():
    rb.manual_seed(0)
    model = rb.models.LeNet5("modern")
    opt = rb.optim.SGD(model.parameters(), lr=0.01)
    x, y = rb.randn(64, 1, 28, 28), rb.randint(0, 10, (64,))
    sizes = []
    for _ in range(4):
        opt.zero_grad()
        rb.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        sizes.append(buffers.cache_info()["bytes"])
    assert sizes[1] > 0 and sizes[1] == sizes[2] == sizes[3]     # nothing new after step 2


def test_flat_view_follows_memory_order():
    a = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(buffers.flat_view(a), a.ravel())
    cf = np.ascontiguousarray(a.transpose(1, 0, 2)).transpose(1, 0, 2)     # channel-first
    f = buffers.flat_view(cf)
    assert f is not None and np.shares_memory(f, cf)
    np.testing.assert_array_equal(f, cf.transpose(1, 0, 2).ravel())
    assert buffers.flat_view(a[:, ::2]) is None                            # not contiguous


def test_zeros_operand_is_read_only_zeros_of_any_length():
    z = buffers.zeros_operand(10, np.float32)
    assert z.dtype == np.float32 and z.shape == (10,) and not z.any()
    with pytest.raises(ValueError):
        z[0] = 1
    big = buffers.zeros_operand(1 << 20, np.float32)
    assert big.shape == (1 << 20,) and not big.any()


def test_reference_mode_turns_the_cache_off():
    with backend.use_kernels("reference"):
        a = backend.empty(BIG)
        assert a.base is None and buffers.cache_info()["buffers"] == 0
    b = backend.empty(BIG)                      # fast again: from the cache
    assert b.base is not None and buffers.cache_info()["buffers"] == 1
