"""Vocab, corpora (incl. a download from a local HTTP server), the two minibatch schemes."""
import functools
import hashlib
import http.server
import threading

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.utils.data.datasets import text as T
from rosenblatt.utils.data.datasets import sequence_tasks as S


def test_vocab_round_trip_english_and_chinese():
    for s in ["hello world, hello!", "学而时习之，不亦说乎？有朋自远方来，不亦乐乎？"]:
        v = T.Vocab(s)
        idx = v.encode(s)
        assert idx.dtype == np.int64 and len(idx) == len(s)
        assert v.decode(idx) == s
        assert v.decode(rb.tensor(idx)) == s
        assert v.itos[0] == "<unk>" and 0 not in idx
        assert T.Vocab.from_json(v.to_json()) == v
    v = T.Vocab("aab")
    assert v.itos[1] == "a"                        # most frequent first
    assert list(v.encode("abz")) == [1, 2, 0]      # unknown -> <unk>
    assert v["z"] == 0 and v.decode([0]) == "<unk>"
    assert list(T.Vocab("aab", min_freq=2).encode("ab")) == [1, 0]


def test_default_corpus_and_file(tmp_path):
    text = T.load_corpus()
    assert len(text) > 100_000 and "the" in text
    p = tmp_path / "zh.txt"
    p.write_text("天地玄黄，宇宙洪荒。", encoding="utf-8")
    assert T.load_corpus(str(p)) == "天地玄黄，宇宙洪荒。"
    with pytest.raises(FileNotFoundError):
        T.load_corpus(str(tmp_path / "missing.txt"))


@pytest.fixture
def http_root(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))

    class Quiet(handler.func):
        def log_message(self, *a):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(served)))
    th = threading.Thread(target=server.serve_forever, daemon=True)
    th.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_shakespeare_loader_downloads_checks_and_caches(http_root, tmp_path):
    served, base = http_root
    body = "First Citizen:\nBefore we proceed any further, hear me speak.\n" * 50
    (served / "input.txt").write_bytes(body.encode())
    sha = hashlib.sha256(body.encode()).hexdigest()
    cache = tmp_path / "cache"
    text = T.load_shakespeare(root=cache, urls=[f"{base}/input.txt"], sha256=sha)
    assert text == body
    (served / "input.txt").unlink()                     # second call: from the cache
    assert T.load_shakespeare(root=cache, urls=[f"{base}/input.txt"], sha256=sha) == body
    (served / "bad.txt").write_bytes(b"tampered")
    with pytest.raises(Exception, match="(?i)sha256|checksum|digest"):
        T.load_shakespeare(root=tmp_path / "c2", urls=[f"{base}/bad.txt"], sha256=sha)


def test_corpus_split_is_contiguous():
    c = T.TextCorpus("abcdefghij" * 100, val_fraction=0.1)
    assert len(c.train) == 900 and len(c.val) == 100
    np.testing.assert_array_equal(np.concatenate([c.train, c.val]), c.indices)


@pytest.mark.parametrize("fn", [T.seq_data_iter_random, T.seq_data_iter_sequential])
def test_minibatch_shapes_shift_and_no_val_overlap(fn):
    n_chars, split = 5000, 4500
    positions = np.arange(n_chars)                 # "text" whose tokens are their positions
    train = positions[:split]
    batches = list(fn(train, 8, 20))
    assert len(batches) > 10
    seen = set()
    for X, Y in batches:
        assert X.shape == (8, 20) and Y.shape == (8, 20) and X.dtype == np.int64
        np.testing.assert_array_equal(Y.data, X.data + 1)
        assert Y.data.max() < split                # no validation index in any window
        seen.update(X.data.ravel().tolist())
    if fn is T.seq_data_iter_random:               # windows never overlap
        assert len(seen) == sum(X.numel() for X, _ in batches)


def test_sequential_batches_continue_rows():
    batches = list(T.seq_data_iter_sequential(np.arange(1000), 4, 10))
    for (X1, _), (X2, _) in zip(batches, batches[1:]):
        np.testing.assert_array_equal(X2.data[:, 0], X1.data[:, -1] + 1)


def test_seeded_batches_reproducible():
    rb.manual_seed(3)
    a = [x.data for x, _ in T.SeqDataLoader(np.arange(900), 4, 10, use_random_iter=True)]
    rb.manual_seed(3)
    b = [x.data for x, _ in T.SeqDataLoader(np.arange(900), 4, 10, use_random_iter=True)]
    assert all(np.array_equal(p, q) for p, q in zip(a, b))


def test_adding_problem():
    X, y = S.adding_problem(4000, 50)
    assert X.shape == (4000, 50, 2) and y.shape == (4000, 1) and X.dtype == np.float32
    assert np.all(X.data[..., 1].sum(1) == 2)
    assert np.all(X.data[:, :25, 1].sum(1) == 1)
    np.testing.assert_allclose((X.data[..., 0] * X.data[..., 1]).sum(1), y.data[:, 0], rtol=1e-6)
    mse = float(((y.data - 1.0) ** 2).mean())
    assert abs(mse - S.adding_problem_baseline_mse()) < 0.015
    rb.manual_seed(1)
    a = S.adding_problem(3, 10)[0].data
    rb.manual_seed(1)
    np.testing.assert_array_equal(a, S.adding_problem(3, 10)[0].data)


def test_copy_task():
    X, Y = S.copy_task(5, delay=7, n_copy=4, n_symbols=6)
    assert X.shape == Y.shape == (5, 15)
    np.testing.assert_array_equal(X.data[:, :4], Y.data[:, -4:])
    assert np.all(X.data[:, 10] == 7) and np.all(Y.data[:, :11] == 0)
    assert S.copy_task_baseline(7, 4, 6) == pytest.approx(4 * np.log(6) / 15)
