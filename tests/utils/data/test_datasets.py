"""IDX reading, download (against a local HTTP server), MNIST/Fashion-MNIST, synthetic sets, digits."""
import functools
import gzip
import hashlib
import http.server
import pathlib
import threading

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.utils.data import DataLoader
from rosenblatt.utils.data import datasets as D

DEBIAN_FMNIST = pathlib.Path("/usr/share/datasets/fashion-mnist")


def idx_bytes(arr):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
             np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}
    arr = np.asarray(arr)
    big = arr.astype(arr.dtype.newbyteorder(">")) if arr.dtype.itemsize > 1 else arr
    header = bytes([0, 0, codes[big.dtype], arr.ndim]) + np.array(arr.shape, ">u4").tobytes()
    return header + big.tobytes()


def fake_mnist(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n).astype(np.uint8)


# -- IDX -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_roundtrip(tmp_path, dtype, compress):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == np.uint8:
        arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    data = idx_bytes(arr)
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    path.write_bytes(gzip.compress(data) if compress else data)
    out = D.read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, arr)


def test_read_idx_malformed(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x12\x34\x08\x01\x00\x00\x00\x02ab")
    with pytest.raises(D.IDXError, match="magic number"):
        D.read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(idx_bytes(np.zeros((3, 2), np.uint8))[:-1])
    with pytest.raises(D.IDXError, match=r"shape \(3, 2\)"):
        D.read_idx(short)
    broken_gz = tmp_path / "broken.gz"
    broken_gz.write_bytes(gzip.compress(idx_bytes(np.zeros(5, np.uint8)))[:-6])
    with pytest.raises(D.IDXError, match="gzip"):
        D.read_idx(broken_gz)


# -- a local HTTP server -----------------------------------------------------------------
class _Handler(http.server.SimpleHTTPRequestHandler):
    hits = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).hits.append(self.path)
        super().do_GET()


@pytest.fixture
def server(tmp_path, monkeypatch):
    """Serves ``tmp_path/www`` on 127.0.0.1 (ephemeral port); yields (base_url, www, hits)."""
    www = tmp_path / "www"
    (www / "good").mkdir(parents=True)
    (www / "bad").mkdir()
    monkeypatch.setenv("ROSENBLATT_CACHE", str(tmp_path / "cache"))
    _Handler.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(_Handler, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", www, _Handler.hits
    finally:
        httpd.shutdown()
        httpd.server_close()


def _publish(www, name, payload):
    (www / "good" / name).write_bytes(payload)
    (www / "bad" / name).write_bytes(payload[:-3] + b"xyz")
    return hashlib.sha256(payload).hexdigest()


def test_download_success_and_cache(server):
    base, www, hits = server
    payload = gzip.compress(idx_bytes(np.arange(10, dtype=np.uint8)))
    digest = _publish(www, "f.gz", payload)
    path = D.download(base + "/good/f.gz", "f.gz", digest)
    assert path == D.cache_dir() / "f.gz" and path.read_bytes() == payload
    assert hits == ["/good/f.gz"]
    again = D.download([base + "/good/f.gz"], "f.gz", digest)
    assert again == path and len(hits) == 1                      # served from the cache
    assert [p.name for p in path.parent.iterdir()] == ["f.gz"]  # no temp files left


def test_download_first_mirror_404(server, tmp_path):
    base, www, hits = server
    digest = _publish(www, "g.bin", b"hello world" * 100)
    path = D.download([base + "/missing/g.bin", base + "/good/g.bin"], "g.bin", sha256=digest,
                      root=tmp_path / "r")
    assert path.read_bytes() == b"hello world" * 100
    assert hits == ["/missing/g.bin", "/good/g.bin"]


def test_download_corrupted_raises_and_caches_nothing(server):
    base, www, hits = server
    digest = _publish(www, "h.gz", b"0123456789" * 50)
    with pytest.raises(D.ChecksumError) as info:
        D.download(base + "/bad/h.gz", "h.gz", sha256=digest)
    msg = str(info.value)
    bad_digest = hashlib.sha256(b"0123456789" * 49 + b"0123456xyz").hexdigest()
    assert "h.gz" in msg and digest in msg and bad_digest in msg
    assert list(D.cache_dir().iterdir()) == []
    # md5 works too, and a bad mirror followed by a good one succeeds
    md5 = hashlib.md5(b"0123456789" * 50).hexdigest()
    path = D.download([base + "/bad/h.gz", base + "/good/h.gz"], "h.gz", md5=md5)
    assert path.read_bytes() == b"0123456789" * 50


def test_download_all_mirrors_fail(server):
    base, _, _ = server
    with pytest.raises(RuntimeError, match="could not download x.bin"):
        D.download([base + "/nope/x.bin"], "x.bin")
    assert list(D.cache_dir().iterdir()) == []


# -- MNIST -------------------------------------------------------------------------------
def _publish_mnist(www, n_train=50, n_test=20):
    md5 = {}
    for prefix, n, seed in (("train", n_train, 0), ("t10k", n_test, 1)):
        images, labels = fake_mnist(n, seed)
        for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{prefix}-{kind}-ubyte.gz"
            payload = gzip.compress(idx_bytes(arr))
            _publish(www, name, payload)
            md5[name] = hashlib.md5(payload).hexdigest()
    return md5


def test_mnist_download_then_load(server, monkeypatch, tmp_path):
    base, www, hits = server
    md5 = _publish_mnist(www)
    monkeypatch.setattr(D.MNIST, "mirrors", [base + "/missing/", base + "/good/"])
    monkeypatch.setattr(D.MNIST, "resources", md5)
    with pytest.raises(RuntimeError, match="download=True"):
        D.MNIST(train=True)
    ds = D.MNIST(train=True, download=True)
    assert (D.cache_dir("mnist") / "train-images-idx3-ubyte.gz").is_file()
    images, labels = fake_mnist(50, 0)
    assert len(ds) == 50 and ds.data.dtype == np.uint8 and ds.data.shape == (50, 28, 28)
    assert ds.targets.dtype == np.int64
    np.testing.assert_array_equal(ds.targets.data, labels)
    x, y = ds[3]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32 and isinstance(y, int)
    np.testing.assert_allclose(x.data[0], images[3] / 255.0, rtol=1e-6)
    X, Y = ds.tensors()
    assert X.shape == (50, 1, 28, 28) and float(X.data.max()) <= 1.0
    # the loader's batch path gives the same as per-sample indexing
    xb, yb = next(iter(DataLoader(ds, batch_size=8, shuffle=True)))
    assert xb.shape == (8, 1, 28, 28) and yb.dtype == np.int64
    n_hits = len(hits)
    test = D.MNIST(train=False, download=True)
    assert len(test) == 20 and len(hits) == n_hits + 4  # the test files only (404 + 200 each)
    D.MNIST(train=False, download=True)
    assert len(hits) == n_hits + 4                       # cached now
    # explicit root, torchvision's layout, and transforms
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images, labels = fake_mnist(7, 5)
    (raw / "train-images-idx3-ubyte").write_bytes(idx_bytes(images))
    (raw / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    ds = D.MNIST(root=tmp_path / "data", transform=lambda t: t * 2.0)
    assert len(ds) == 7
    np.testing.assert_allclose(ds[0][0].data[0], images[0] / 255.0 * 2.0, rtol=1e-6)
    batch = next(iter(DataLoader(ds, batch_size=7)))   # transform: per-sample path
    np.testing.assert_allclose(batch[0].data[:, 0], images / 255.0 * 2.0, rtol=1e-6)


@pytest.mark.skipif(not (DEBIAN_FMNIST / "train-images-idx3-ubyte.gz").is_file(),
                    reason="Debian package dataset-fashion-mnist is not installed "
                           "(apt-get install dataset-fashion-mnist)")
def test_fashion_mnist_from_debian(tmp_path, monkeypatch):
    monkeypatch.setenv("ROSENBLATT_CACHE", str(tmp_path / "empty-cache"))
    train = D.FashionMNIST(train=True)
    test = D.FashionMNIST(train=False)
    assert train.files[0].parent == DEBIAN_FMNIST
    assert train.data.shape == (60000, 28, 28) and train.targets.shape == (60000,)
    assert test.data.shape == (10000, 28, 28) and test.targets.shape == (10000,)
    assert sorted(np.unique(train.targets.data).tolist()) == list(range(10))
    assert np.bincount(train.targets.data).tolist() == [6000] * 10
    for name, digest in D.FashionMNIST.idx_sha256.items():
        with gzip.open(DEBIAN_FMNIST / (name + ".gz"), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest, name


# -- synthetic ---------------------------------------------------------------------------
@pytest.mark.parametrize("make,kw", [(D.make_xor, {"n_samples": 40}), (D.make_moons, {"noise": 0.1}),
                                     (D.make_circles, {"noise": 0.05}), (D.make_spirals, {})])
def test_synthetic_classification(make, kw):
    X, y = make(**kw, seed=3)
    X2, y2 = make(**kw, seed=3)
    np.testing.assert_array_equal(X, X2)
    assert X.dtype == np.float32 and X.shape[1] == 2 and y.dtype == np.int64 and len(X) == len(y)
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1                      # balanced
    rb.manual_seed(0)
    a = make(**kw)[0]
    rb.manual_seed(0)
    np.testing.assert_array_equal(a, make(**kw)[0])            # seeded by rb.manual_seed
    ds = make(**kw, seed=3, as_dataset=True)
    assert isinstance(ds, rb.utils.data.TensorDataset) and len(ds) == len(X)


def test_xor_truth_table_and_regression():
    X, y = D.make_xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    X, y, w = D.make_regression(20000, n_features=3, noise=0.3, bias=1.0, seed=0, return_coef=True)
    assert X.shape == (20000, 3) and y.shape == (20000, 1) and w.shape == (3, 1)
    resid = y - (X @ w + 1.0)
    assert abs(resid.std() - 0.3) < 0.01
    X, y = D.make_regression(500, fn=lambda x: np.sin(3 * x), noise=0.0, seed=1)
    np.testing.assert_allclose(y, np.sin(3 * X), atol=1e-6)


# -- digits ------------------------------------------------------------------------------
def test_load_digits():
    pytest.importorskip("sklearn", reason="the 'digits' extra (scikit-learn) is not installed")
    X, y = D.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 <= float(X.data.min()) and float(X.data.max()) == 1.0
    Xtr, ytr = D.load_digits("train")
    Xte, yte = D.load_digits("test", flatten=False)
    assert len(ytr) + len(yte) == 1797 and abs(len(ytr) - len(yte)) <= 1
    assert Xte.shape[1:] == (1, 8, 8)
    tr, te = D.split_indices(1797, 0.5, seed=0)
    assert not set(tr.tolist()) & set(te.tolist())
    np.testing.assert_array_equal(D.load_digits("train")[1].data, ytr.data)   # same seed, same split
    with pytest.raises(ValueError, match="split"):
        D.load_digits("valid")


def test_missing_extra_message(monkeypatch):
    import sys
    from rosenblatt.utils.data.datasets import digits
    monkeypatch.setattr(digits, "_ARRAYS", [])
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)   # makes the import fail
    with pytest.raises(ImportError, match=r"rosenblatt\[digits\]"):
        D.load_digits()
