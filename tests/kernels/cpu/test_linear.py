"""The GEMM kernels (linear, matmul) against their reference, and linear's BLAS thread
policy."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import backend
from rosenblatt.kernels.cpu import linear as lin, threads
from tests.kernels.check import check_kernel

F = rb.nn.functional
rng = np.random.default_rng(0)


def _x(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def test_linear_kernel_at_mlp_size():
    # 256 x 784 @ 784 -> 512: a threaded GEMM (above SMALL_GEMM_FLOPS), cached outputs.
    check_kernel("linear", F.linear, _x(256, 784), _x(512, 784) * 0.05, _x(512),
                 rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("xshape", [(5,), (4, 6), (2, 3, 6)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_kernel_small_and_batched(xshape, bias):
    args = (_x(*xshape[:-1], 6), _x(3, 6)) + ((_x(3),) if bias else ())
    check_kernel("linear", F.linear, *args)


def test_linear_kernel_float64():
    check_kernel("linear", F.linear, _x(7, 5, dtype=np.float64), _x(4, 5, dtype=np.float64),
                 _x(4, dtype=np.float64), rtol=1e-12, atol=1e-12)


def test_matmul_kernel_2d_large():
    check_kernel("matmul", lambda a, b: a @ b, _x(256, 300), _x(300, 200), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("sa,sb", [((4,), (4,)), ((4,), (4, 3)), ((3, 4), (4,)),
                                   ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2))], ids=str)
def test_matmul_kernel_shapes(sa, sb):
    check_kernel("matmul", lambda a, b: rb.matmul(a, b), _x(*sa), _x(*sb))


def test_mm_and_bmm_take_the_matmul_kernel():
    check_kernel("matmul", rb.mm, _x(3, 4), _x(4, 5))
    check_kernel("matmul", rb.bmm, _x(2, 3, 4), _x(2, 4, 5))


def test_matmul_kernel_keeps_the_reference_errors():
    with backend.use_kernels("fast"):
        with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
            rb.ones(2, 3) @ rb.ones(2, 3)
        with pytest.raises(RuntimeError, match="both arguments need at least 1 dimension"):
            rb.matmul(rb.ones(()), rb.ones(3))


def test_matmul_kernel_notes_threaded_gemms(monkeypatch):
    monkeypatch.setattr(threads, "_last_threaded_blas", -1e9)
    with backend.use_kernels("fast"):
        rb.ones(8, 8) @ rb.ones(8, 8)                      # OpenBLAS keeps it on one thread
        assert not threads.blas_awake()
        rb.ones(128, 128) @ rb.ones(128, 128)              # above BLAS_THREADED_MNK
        assert threads.blas_awake()
    monkeypatch.setattr(threads, "_last_threaded_blas", -1e9)


@pytest.fixture
def pool2(monkeypatch):
    """Two threads, no recent threaded GEMM; restores the counts afterwards."""
    pytest.importorskip("threadpoolctl")
    before = rb.get_num_threads()
    rb.set_num_threads(2)
    monkeypatch.setattr(threads, "_last_threaded_blas", -1e9)
    yield
    rb.set_num_threads(before)


def test_small_linear_gemms_run_on_one_thread_unless_the_blas_is_awake(pool2, monkeypatch):
    seen = []
    real = np.matmul

    def spy(*a, **k):
        seen.append(rb.get_num_threads())
        return real(*a, **k)
    monkeypatch.setattr(lin.np, "matmul", spy)
    x, w = rb.randn(128, 400), rb.randn(120, 400)      # 12 MFLOP: below SMALL_GEMM_FLOPS
    with backend.use_kernels("fast"):
        F.linear(x, w)
        assert seen == [1] and not threads.blas_awake()
        threads.note_blas(4096, 4096, 4096)              # a convolution's threaded GEMM
        assert threads.blas_awake()
        F.linear(x, w)
    assert seen == [1, 2]                                # OpenBLAS decides
    monkeypatch.setattr(threads, "_last_threaded_blas", -1e9)
