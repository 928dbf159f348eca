"""`rosenblatt lab --notebook` and the tour's times (terminal and report agree)."""
import importlib.util
import json
import re

import rosenblatt.labs as labs
from rosenblatt.cli import main
from rosenblatt.cli.labs import _failed_result


def test_lab_notebook_flag(tmp_path, capsys):
    path = tmp_path / "xor.ipynb"
    status = main(["lab", "xor", "--notebook", str(path)])
    captured = capsys.readouterr()
    if importlib.util.find_spec("rosenblatt.labs.notebook") is None:
        assert status == 2 and "--notebook is not available" in captured.err
        assert len(captured.err.strip().splitlines()) == 1
    else:
        assert status == 0, captured.err
        assert "cells" in json.loads(path.read_text(encoding="utf-8"))


def test_tour_terminal_time_is_the_report_time(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(labs, "run", lambda name, full=False, seed=0:
                        _failed_result(name, RuntimeError("stub"), 1.25, full, seed))
    assert main(["tour", "--only", "xor,backprop", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    terminal = re.search(r"0/2 labs pass · ([0-9.]+) s in all", out).group(1)
    header = re.search(r"0 / 2 labs pass · ([0-9.]+) s in all", (tmp_path / "index.html").read_text()).group(1)
    assert terminal == header == "2.5"
