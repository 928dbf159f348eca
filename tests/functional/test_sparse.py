"""embedding / Embedding / one_hot against PyTorch."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.functional import sparse as S
from tests.oracle import COVERED, assert_close, compare, torch

rng = np.random.default_rng(2)


@pytest.mark.parametrize("vocab", [7, 5000])      # one-hot GEMM path and sort+reduceat path
@pytest.mark.parametrize("padding_idx", [None, 3])
def test_embedding_vs_torch_repeated_indices(vocab, padding_idx):
    w = rng.standard_normal((vocab, 4)).astype(np.float32)
    n = 6000 if vocab > 1000 else 40
    idx = rng.integers(0, min(vocab, 50), size=(n // 4, 4)).astype(np.int64)   # many repeats
    compare("embedding", lambda m, w, i: m.nn.functional.embedding(i, w, padding_idx=padding_idx),
            w, idx)


def test_embedding_module_vs_torch():
    COVERED.add("Embedding")
    t = torch.nn.Embedding(10, 3, padding_idx=0)
    r = rb.nn.Embedding(10, 3, padding_idx=0)
    assert np.all(r.weight.data[0] == 0)
    r.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    idx = np.array([[0, 1, 1, 9], [9, 0, 2, 1]])
    ro, to = r(rb.tensor(idx)), t(torch.tensor(idx))
    assert_close(ro, to)
    g = rng.standard_normal((2, 4, 3)).astype(np.float32)
    (ro * rb.tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    assert_close(r.weight.grad, t.weight.grad)
    assert np.all(r.weight.grad.data[0] == 0)


def test_embedding_init_and_errors():
    rb.manual_seed(0)
    e = rb.nn.Embedding(2000, 16)
    assert abs(e.weight.data.mean()) < 0.02 and abs(e.weight.data.std() - 1) < 0.02
    with pytest.raises(IndexError, match="out of range"):
        e(rb.tensor([2000]))
    with pytest.raises(TypeError, match="integer"):
        e(rb.tensor([1.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        rb.nn.Embedding(3, 2, padding_idx=5)


def test_scatter_rows_paths_agree():
    idx = rng.integers(0, 300, size=5000)
    g = rng.standard_normal((5000, 3))
    ref = np.zeros((300, 3))
    np.add.at(ref, idx, g)
    old = S._ONEHOT_LIMIT
    try:
        for limit in (0, 1 << 30):
            S._ONEHOT_LIMIT = limit
            np.testing.assert_allclose(S._scatter_rows(idx, g, 300), ref, atol=1e-10)
    finally:
        S._ONEHOT_LIMIT = old


def test_one_hot_vs_torch():
    COVERED.add("one_hot")
    idx = np.array([[0, 2], [1, 4]])
    for nc in (-1, 6):
        a = rb.nn.functional.one_hot(rb.tensor(idx), nc)
        b = torch.nn.functional.one_hot(torch.tensor(idx), nc)
        assert a.dtype == np.int64
        assert_close(a, b)
    with pytest.raises(RuntimeError, match="class values"):
        rb.nn.functional.one_hot(rb.tensor([3]), 2)
