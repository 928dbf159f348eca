"""`--download` for MNIST / Fashion-MNIST: plumbed to the dataset, and its failure is one line."""
import gzip
import struct

import numpy as np
import pytest

from rosenblatt.cli import main
from rosenblatt.utils.data import datasets


def _idx(array):
    """IDX bytes of a uint8 array (magic 0x0000 08 ndim, big-endian dims)."""
    return struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A local 'mirror' with a tiny MNIST (file:// URLs), no checksums; an empty cache."""
    src = tmp_path / "mirror"
    src.mkdir()
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 40), ("t10k", 20)):
        (src / f"{prefix}-images-idx3-ubyte.gz").write_bytes(
            gzip.compress(_idx(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))))
        (src / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(np.arange(n, dtype=np.uint8) % 10)))
    monkeypatch.setattr(datasets.MNIST, "mirrors", [src.as_uri() + "/"])
    monkeypatch.setattr(datasets.MNIST, "resources", {})
    monkeypatch.setenv("ROSENBLATT_CACHE", str(tmp_path / "cache"))
    return src


def test_download_flag_fetches_then_trains(mirror, tmp_path, capsys):
    data = tmp_path / "data"
    argv = ["train", "mlp", "--dataset", "mnist", "--data-dir", str(data), "--epochs", "1", "--hidden", "8",
            "--out", str(tmp_path / "run"), "--progress", "none"]
    assert main(argv) == 2 and "add --download" in capsys.readouterr().err
    assert main(argv + ["--download"]) == 0
    assert "40 training / 20 test samples" in capsys.readouterr().out
    assert (data / "train-images-idx3-ubyte.gz").is_file()
    assert main(argv) == 0                          # now found without --download


def test_download_failure_is_one_line(mirror, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(datasets.MNIST, "mirrors", [(tmp_path / "nowhere").as_uri() + "/"])
    status = main(["train", "mlp", "--dataset", "mnist", "--download", "--data-dir", str(tmp_path / "d"),
                   "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1 and "could not download" in err, err
