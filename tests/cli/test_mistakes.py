"""Every user mistake ends in one line on stderr and exit status 2, never a traceback (issue 20).

One row per mistake: the command line (``{tmp}`` is a folder of prepared files, ``{run}`` a
finished 3-epoch MLP run, ``{lenet}`` a finished 3-epoch LeNet-5 run), and a part of the
one-line message.  Internal errors are not caught: the last test checks that they keep their
traceback.
"""
import os
import pickle
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEXT = "the quick brown fox jumps over the lazy dog. " * 40

MISTAKES = [
    # -- evaluate: checkpoints that are not what they should be
    ("evaluate-truncated", "evaluate --checkpoint {tmp}/trunc.npz", "is truncated or corrupt"),
    ("evaluate-directory", "evaluate --checkpoint {tmp}", "is a directory"),
    ("evaluate-missing", "evaluate --checkpoint {tmp}/nope.npz", "no such file"),
    ("evaluate-empty", "evaluate --checkpoint {tmp}/empty.npz", "is empty (0 bytes)"),
    ("evaluate-charlm", "evaluate --checkpoint {tmp}/charlm-gru.npz",
     "is a charlm checkpoint; use `rosenblatt generate"),
    ("evaluate-text", "evaluate --checkpoint {tmp}/text.npz", "is a text file"),
    ("evaluate-pickle", "evaluate --checkpoint {tmp}/pickled.npz", "is a Python pickle"),
    ("evaluate-torch", "evaluate --checkpoint {tmp}/model.pt", "is a PyTorch file"),
    ("evaluate-plain-npz", "evaluate --checkpoint {tmp}/plain.npz", "not a checkpoint saved by"),
    ("evaluate-mnist-missing", "evaluate --checkpoint {run}/model.npz --dataset mnist --data-dir {tmp}/nodata",
     "add --download"),
    # -- train: data and options
    ("train-mnist-missing", "train mlp --dataset mnist --data-dir {tmp}/nodata --out {tmp}/o1",
     "add --download to fetch them"),
    ("train-negative-lr", "train mlp --lr -1 --out {tmp}/o2", "--lr: must be a positive number, got -1"),
    ("train-val-fraction", "train mlp --val-fraction 1.5 --out {tmp}/o3", "--val-fraction: must be in [0, 1)"),
    ("train-patience", "train mlp --patience 2 --out {tmp}/o4", "--patience needs a validation set"),
    ("train-out-is-file", "train mlp --out {tmp}/text.npz", "is a file; expected a folder"),
    ("train-hidden", "train mlp --hidden 12,x", "--hidden: expected comma-separated ints"),
    ("train-resume-truncated", "train mlp --resume --epochs 2 --out {tmp}/badrun --limit 50",
     "is truncated or corrupt"),
    # -- train charlm
    ("charlm-negative-lr", "train charlm --lr -1", "--lr: must be a positive number, got -1"),
    ("charlm-batch-size-0", "train charlm --batch-size 0", "--batch-size: must be a positive integer, got 0"),
    ("charlm-missing-text", "train charlm --text /nope.txt", "no such file: /nope.txt"),
    ("charlm-text-directory", "train charlm --text {tmp}", "is a directory"),
    ("charlm-not-utf8", "train charlm --text {tmp}/latin1.txt --out {tmp}/c1", "is not UTF-8 text"),
    ("charlm-text-too-short", "train charlm --text {tmp}/short.txt --batch-size 64 --out {tmp}/c2",
     "--batch-size 64 and --num-steps 64 need at least"),
    ("charlm-time-limit", "train charlm --time-limit 0", "--time-limit: must be a positive number"),
    # -- --resume
    ("resume-nothing-to-do", "train lenet5 --epochs 1 --resume --limit 32 --out {lenet}",
     "checkpoint already at epoch 3 of 3; nothing to do (raise --epochs"),
    ("resume-other-lr", "train mlp --epochs 5 --resume --limit 200 --hidden 16 --lr 0.02 --batch-size 64 --out {run}",
     "--lr 0.02 differs from the checkpoint's 0.01"),
    ("resume-other-hidden",
     "train mlp --epochs 5 --resume --limit 200 --hidden 32 --lr 0.01 --batch-size 64 --out {run}",
     "--hidden 32 differs from the checkpoint's 16"),
    ("resume-other-batch-size",
     "train mlp --epochs 5 --resume --limit 200 --hidden 16 --lr 0.01 --batch-size 8 --out {run}",
     "--batch-size 8 differs from the checkpoint's 64"),
    # -- generate
    ("generate-image-checkpoint", "generate --checkpoint {run}/model.npz", "is an image-classifier checkpoint"),
    ("generate-missing", "generate --checkpoint {tmp}/nope.npz", "no such file"),
    ("generate-truncated", "generate --checkpoint {tmp}/trunc.npz", "is truncated or corrupt"),
    ("generate-temperature", "generate --checkpoint {tmp}/charlm-gru.npz --temperature -1",
     "--temperature: must be a number >= 0"),
    # -- lab, tour
    ("lab-unknown", "lab no-such-lab", "no lab named 'no-such-lab'"),
    ("lab-notebook-suffix", "lab xor --notebook {tmp}/xor.txt", "must end in .ipynb"),
    ("lab-notebook-folder", "lab xor --notebook {tmp}/no/such/xor.ipynb", "does not exist"),
    ("lab-out-is-file", "lab xor --out {tmp}/text.npz", "is a file; expected a folder"),
    ("tour-unknown", "tour --only xor,nope --out {tmp}/t", "--only: unknown labs nope"),
    ("tour-out-is-file", "tour --out {tmp}/text.npz", "is a file; expected a folder"),
    # -- export (rosenblatt/cli/export.py raises the same UsageError)
    ("export-missing", "export --checkpoint {tmp}/nope.npz --format onnx --out {tmp}/m.onnx", "no such file"),
    ("export-truncated", "export --checkpoint {tmp}/trunc.npz --format onnx --out {tmp}/m.onnx",
     "is truncated or corrupt"),
    ("export-pickle", "export --checkpoint {tmp}/model.pt --format safetensors --out {tmp}/m.safetensors",
     "is a PyTorch file"),
    ("unknown-option", "train mlp --bogus", "train mlp: unrecognized arguments: --bogus"),
    ("invalid-choice", "train mlp --dataset cifar", "invalid choice: 'cifar'"),
]


def _train(argv):
    assert main(argv) == 0


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The prepared files and two finished 3-epoch runs."""
    tmp = tmp_path_factory.mktemp("mistakes")
    rb.save({"w": np.arange(100.0)}, tmp / "good.npz")
    data = (tmp / "good.npz").read_bytes()
    (tmp / "trunc.npz").write_bytes(data[:len(data) // 2])
    (tmp / "empty.npz").write_bytes(b"")
    (tmp / "text.npz").write_text("epoch,loss\n1,0.5\n", encoding="utf-8")
    (tmp / "pickled.npz").write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    np.savez(tmp / "plain.npz", w=np.ones(3))
    (tmp / "latin1.txt").write_bytes("caf\xe9 ".encode("latin-1") * 50)
    (tmp / "short.txt").write_text(TEXT[:100], encoding="utf-8")
    (tmp / "nodata").mkdir()
    import torch
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp / "model.pt")
    (tmp / "badrun").mkdir()
    (tmp / "badrun" / "checkpoint.npz").write_bytes(data[:len(data) // 2])
    (tmp / "corpus.txt").write_text(TEXT, encoding="utf-8")
    _train(["train", "charlm", "--cell", "gru", "--text", str(tmp / "corpus.txt"), "--hidden-size", "8",
            "--embed-dim", "4", "--batch-size", "4", "--num-steps", "8", "--max-steps", "2",
            "--out", str(tmp), "--quiet"])
    run, lenet = tmp / "run", tmp / "lenet"
    _train(["train", "mlp", "--epochs", "3", "--limit", "200", "--hidden", "16", "--lr", "0.01",
            "--batch-size", "64", "--out", str(run), "--progress", "none"])
    _train(["train", "lenet5", "--epochs", "3", "--limit", "32", "--out", str(lenet), "--progress", "none"])
    return {"tmp": str(tmp), "run": str(run), "lenet": str(lenet)}


@pytest.fixture
def no_cache(tmp_path, monkeypatch):
    """No MNIST anywhere: an empty cache folder."""
    monkeypatch.setenv("ROSENBLATT_CACHE", str(tmp_path / "cache"))


def _run_main(argv, capsys):
    """``(exit status, stderr)`` of ``rosenblatt argv`` run in this process."""
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    return status, capsys.readouterr().err


@pytest.mark.parametrize("argv,expected", [row[1:] for row in MISTAKES], ids=[row[0] for row in MISTAKES])
def test_mistake_is_one_line_and_exit_2(argv, expected, files, no_cache, capsys):
    status, err = _run_main(argv.format(**files).split(), capsys)
    lines = err.strip().splitlines()
    assert status == 2, err
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith("rosenblatt"), err
    assert expected in lines[0], err
    assert "allow_pickle" not in err


def test_resume_runs_finished_checkpoint_untouched(files, capsys):
    """The refusals above left the finished run as it was (still at epoch 3)."""
    assert rb.load(os.path.join(files["run"], "checkpoint.npz"))["epoch"] == 3


def test_mistake_through_the_console_script(files):
    """The real process: exit status 2, one line on stderr, no traceback."""
    for argv in (["evaluate", "--checkpoint", os.path.join(files["tmp"], "trunc.npz")],
                 ["train", "charlm", "--lr", "-1"]):
        res = subprocess.run([sys.executable, "-m", "rosenblatt", *argv], cwd=ROOT, capture_output=True,
                             text=True, timeout=300)
        assert res.returncode == 2, res.stderr
        assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr, res.stderr


def test_internal_error_keeps_its_traceback(files, monkeypatch):
    """A bug is not a user mistake: it propagates (the console script shows its traceback)."""
    import rosenblatt.cli.train as train_cli

    def broken(config):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(train_cli, "build_model", broken)
    with pytest.raises(ZeroDivisionError):
        main(["evaluate", "--checkpoint", os.path.join(files["run"], "model.npz")])


def test_resume_continues_with_the_checkpoint_lr(files, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(files["run"], run)
    assert main(["train", "mlp", "--epochs", "4", "--resume", "--limit", "200", "--hidden", "16",
                 "--lr", "0.01", "--batch-size", "64", "--out", str(run), "--progress", "plain"]) == 0
    out = capsys.readouterr().out
    assert "resuming after epoch 3 of 4 (lr now 0.01)" in out
    assert "epoch 4/4" in out and "epoch 3/" not in out
    assert rb.load(run / "checkpoint.npz")["epoch"] == 4


def test_bad_zip_entry_in_checkpoint(tmp_path, capsys):
    """A zip whose central directory is intact but whose entry data is damaged."""
    path = tmp_path / "ck.npz"
    rb.save({"model": {"w": np.arange(1000.0)}}, path, compress=True)
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.infolist()[0]
    start = info.header_offset + 30 + len(info.filename) + 40
    raw[start:start + 40] = b"\x00" * 40
    path.write_bytes(bytes(raw))
    status, err = _run_main(["evaluate", "--checkpoint", str(path)], capsys)
    assert status == 2 and len(err.strip().splitlines()) == 1 and "corrupt" in err, err
