"""The `rosenblatt` command: train an MLP on digits, evaluate the checkpoint, help, errors."""
import json
import os
import re
import subprocess
import sys

import pytest

import rosenblatt as rb
from rosenblatt.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _accuracy(text):
    found = re.findall(r"test accuracy: ([0-9.]+)", text)
    assert found, text
    return float(found[-1])


def test_train_mlp_digits_then_evaluate(tmp_path, capsys):
    pytest.importorskip("sklearn")
    out = tmp_path / "run"
    argv = ["train", "mlp", "--dataset", "digits", "--epochs", "2", "--batch-size", "64", "--hidden", "32",
            "--lr", "0.01", "--out", str(out), "--progress", "plain"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    acc = _accuracy(text)
    assert acc > 0.5
    assert re.search(r"^epoch 2/2 .*cost", text, re.M)
    assert sorted(os.listdir(out)) == ["checkpoint.npz", "config.json", "metrics.json", "model.npz"]
    state = rb.load(out / "model.npz")
    config = json.loads(state["config"])
    assert config["model"] == "mlp" and config["hidden"] == [32] and config["in_features"] == 64
    assert list(state["model"]) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with open(out / "metrics.json") as f:
        assert json.load(f)["test_accuracy"] == pytest.approx(acc, abs=1e-4)

    assert main(["evaluate", "--checkpoint", str(out / "model.npz")]) == 0
    assert _accuracy(capsys.readouterr().out) == acc
    # the per-epoch training checkpoint evaluates too (config.json next to it)
    assert main(["evaluate", "--checkpoint", str(out / "checkpoint.npz")]) == 0
    assert _accuracy(capsys.readouterr().out) == acc

    # --resume with more epochs continues from epoch 2 (only epoch 3 is trained)
    assert main(argv[:4] + ["--epochs", "3"] + argv[6:] + ["--resume"]) == 0
    text = capsys.readouterr().out
    assert "epoch 3" in text and "epoch 1 " not in text


def test_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for command in ("train", "evaluate", "generate", "lab", "tour"):
        assert command in text
    with pytest.raises(SystemExit) as exc:
        main(["train", "mlp", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "--dataset" in text and "--hidden" in text and "--optimizer" in text
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for model in ("mlp", "lenet5", "lenet5-1998", "alexnet-small", "charlm"):
        assert model in text


def test_python_dash_m_help():
    res = subprocess.run([sys.executable, "-m", "rosenblatt", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0 and "rosenblatt" in res.stdout


def test_errors(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["train", "mlp", "--dataset", "cifar"])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["train", "mlp", "--bogus"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "--checkpoint", str(tmp_path / "missing.npz")])
    assert exc.value.code == 2 and "no such file" in capsys.readouterr().err
    assert main(["train", "mlp", "--patience", "2", "--out", str(tmp_path)]) == 2
    assert "--patience needs" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["train", "mlp", "--hidden", "12,x"])
    assert exc.value.code == 2


def test_delegated_commands_missing_module(monkeypatch):
    import rosenblatt.cli as cli
    monkeypatch.setattr(cli, "_import_cli_module", lambda name: None)
    with pytest.raises(SystemExit, match="rosenblatt.cli.labs"):
        main(["tour", "--out", "x"])
    with pytest.raises(SystemExit, match="rosenblatt.cli.charlm"):
        main(["generate", "--whatever"])


def test_train_lenet5_digits_enlarged_then_evaluate(tmp_path, capsys):
    pytest.importorskip("sklearn")
    out = tmp_path / "lenet"
    assert main(["train", "lenet5", "--dataset", "digits", "--epochs", "1", "--limit", "64",
                 "--out", str(out), "--progress", "none"]) == 0
    acc = _accuracy(capsys.readouterr().out)
    config = json.loads(rb.load(out / "model.npz")["config"])
    assert config["in_features"] == 28 * 28 and config["limit"] == 64
    assert main(["evaluate", "--checkpoint", str(out / "model.npz")]) == 0
    assert _accuracy(capsys.readouterr().out) == acc
