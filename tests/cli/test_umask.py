"""Files the command and the library write follow the user's umask (0o644 under 022, 0o600 under 077)."""
import json
import os
import stat

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.cli import main


@pytest.fixture(params=[0o022, 0o077], ids=["umask022", "umask077"])
def umask(request):
    old = os.umask(request.param)
    try:
        yield 0o666 & ~request.param
    finally:
        os.umask(old)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_train_outputs(umask, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "mlp", "--epochs", "1", "--limit", "100", "--hidden", "8", "--out", str(out),
                 "--progress", "none"]) == 0
    for name in ("model.npz", "checkpoint.npz", "config.json", "metrics.json"):
        assert _mode(out / name) == umask, name


def test_save_and_safetensors(umask, tmp_path):
    rb.save({"w": np.ones(2)}, tmp_path / "a.npz")
    assert _mode(tmp_path / "a.npz") == umask
    rb.save({"w": rb.ones(2)}, tmp_path / "a.safetensors")
    assert _mode(tmp_path / "a.safetensors") == umask


def test_charlm_checkpoint(umask, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("abcdefgh " * 100, encoding="utf-8")
    assert main(["train", "charlm", "--text", str(text), "--hidden-size", "4", "--embed-dim", "2",
                 "--batch-size", "2", "--num-steps", "4", "--max-steps", "1", "--quiet",
                 "--out", str(tmp_path)]) == 0
    assert _mode(tmp_path / "charlm-lstm.npz") == umask


def test_lab_report_files(umask, tmp_path):
    from rosenblatt.labs import report

    class Result:                                # the parts of a LabResult the writers read
        name, passed, seconds, metrics, figures = "demo", True, 1.0, {"x": 1.0}, {}

        def summary(self):
            return {"name": self.name, "passed": self.passed, "metrics": self.metrics, "seconds": 1.0}

        def to_dict(self):
            return self.summary()

    report.write_results_json([Result()], tmp_path / "results.json")
    report.save_result(Result(), tmp_path / "lab")
    assert json.loads((tmp_path / "results.json").read_text())["labs"][0]["name"] == "demo"
    for path in (tmp_path / "results.json", tmp_path / "lab" / "demo.json"):
        assert _mode(path) == umask, path


def test_download(umask, tmp_path):
    from rosenblatt.utils.data.datasets import download
    src = tmp_path / "src.bin"
    src.write_bytes(b"data")
    path = download(src.as_uri(), "copy.bin", root=tmp_path / "cache")
    assert path.read_bytes() == b"data" and _mode(path) == umask
