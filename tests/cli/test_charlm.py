"""`rosenblatt train charlm`: defaults in --help, --time-limit, progress with total and ETA."""
import time

import pytest

import rosenblatt as rb
from rosenblatt.cli import main

TEXT = "the quick brown fox jumps over the lazy dog. " * 60


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT, encoding="utf-8")
    return str(path)


def _small(corpus, out):
    return ["train", "charlm", "--cell", "gru", "--text", corpus, "--hidden-size", "8", "--embed-dim", "4",
            "--batch-size", "4", "--num-steps", "8", "--out", str(out)]


def test_help_shows_defaults(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "charlm", "--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for shown in ("--lr LR Adam learning rate (default: 0.002)", "(default: lstm)", "(default: 32)",
                  "--time-limit SECONDS", "(default: runs/charlm)"):
        assert shown in text, shown


def test_time_limit_stops_saves_and_reports(corpus, tmp_path, capsys):
    t0 = time.perf_counter()
    assert main(_small(corpus, tmp_path / "out") + ["--epochs", "100000", "--time-limit", "1"]) == 0
    assert time.perf_counter() - t0 < 60
    out = capsys.readouterr().out
    assert "stopped at the time limit (1 s) after" in out
    ck = rb.load(tmp_path / "out" / "charlm-gru.npz")
    assert ck["steps"] > 0 and "sample: " in out


def test_progress_has_total_and_eta(corpus, tmp_path, capsys):
    assert main(_small(corpus, tmp_path / "out") + ["--max-steps", "60"]) == 0
    out = capsys.readouterr().out
    # the report at step 50 of 60: steps done of the total, time spent, time left
    line = next(line for line in out.splitlines() if "50/60 steps" in line)
    assert line.startswith("epoch 1/1: loss ") and "ETA " in line, line


def test_generate_from_the_trained_model(corpus, tmp_path, capsys):
    assert main(_small(corpus, tmp_path) + ["--max-steps", "3", "--quiet"]) == 0
    assert main(["generate", "--checkpoint", str(tmp_path / "charlm-gru.npz"), "--prompt", "the",
                 "--length", "5"]) == 0
    assert capsys.readouterr().out.startswith("the")
