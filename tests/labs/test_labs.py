"""Every quick lab runs and passes its criterion; the registry; reproducibility; the CLI."""
import json
import math
import os

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import labs
from rosenblatt.cli import main
from rosenblatt.labs.base import LabResult

from . import CORE_LABS, quick_result


def test_registry_lists_the_core_labs_in_course_order():
    names = labs.names()
    assert names[:len(CORE_LABS)] == CORE_LABS
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", CORE_LABS)
def test_quick_lab_passes_its_criterion(name):
    r = quick_result(name)
    assert isinstance(r, LabResult)
    assert r.name == name and not r.full and r.seed == 0
    failed = [k for k, ok in r.checks.items() if not ok]
    assert r.passed, f"{name} failed: {failed}; metrics {r.metrics}"
    assert r.checks and all(r.checks.values())
    # metadata in both languages, a criterion, a reference
    assert r.claim and r.claim_zh and r.criterion and r.reference and r.title
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.claim_zh)
    # metrics are numbers
    assert r.metrics
    for k, v in r.metrics.items():
        assert isinstance(k, str)
        assert isinstance(v, (int, float, bool, np.integer, np.floating)), (k, type(v))
        assert math.isfinite(float(v)), (k, v)
    assert r.seconds > 0          # measured (timing targets live in benchmarks, not tests)
    # at least one matplotlib figure
    from matplotlib.figure import Figure
    assert r.figures and all(isinstance(f, Figure) for f in r.figures.values())


def test_spec_metadata_without_running():
    spec = labs.get("xor")
    assert spec.name == "xor"
    assert "XOR" in spec.claim and "异或" in spec.claim_zh
    with pytest.raises(KeyError, match="no lab named"):
        labs.get("no-such-lab")


def test_same_seed_same_metrics_other_seed_other_data():
    a = labs.run("bias-variance", seed=3)
    b = labs.run("bias-variance", seed=3)
    assert a.metrics == b.metrics
    c = labs.run("bias-variance", seed=4)
    assert c.metrics["deg14_variance"] != a.metrics["deg14_variance"]
    assert c.passed


def test_stochastic_lab_is_reproducible():
    a = labs.run("zero-init", seed=1)
    b = labs.run("zero-init", seed=1)
    assert a.metrics == b.metrics


def test_running_a_lab_leaves_the_callers_generator_alone():
    rb.manual_seed(123)
    expected = rb.random.default_generator().standard_normal(3)
    rb.manual_seed(123)
    labs.run("bias-variance")
    got = rb.random.default_generator().standard_normal(3)
    np.testing.assert_array_equal(got, expected)


def test_register_adds_a_lab_at_run_time():
    import types

    from rosenblatt.labs import registry
    from rosenblatt.labs.base import Experiment

    mod = types.ModuleType("rosenblatt_test_lab")
    mod.NAME, mod.TITLE, mod.REFERENCE = "toy", "Toy", "none"
    mod.CLAIM, mod.CLAIM_ZH, mod.CRITERION = "1 + 1 = 2", "一加一等于二", "measured sum == 2"

    def run(full=False, seed=0):
        import sys
        sys.modules[mod.__name__] = mod
        ex = Experiment(mod.__name__, full=full, seed=seed)
        s = ex.metric("sum", 1 + 1)
        ex.check("sum is 2", s == 2)
        return ex.finish()

    mod.run = run
    labs.register("toy", mod)
    try:
        assert "toy" in labs.names()
        r = labs.run("toy")
        assert r.passed and r.metrics == {"sum": 2}
    finally:
        registry._EXTRA.pop("toy", None)
    assert "toy" not in labs.names()


def test_cli_lab_list(capsys):
    assert main(["lab", "--list"]) == 0
    out = capsys.readouterr().out
    for name in CORE_LABS:
        assert name in out
    assert "单层感知机" in out


def test_cli_lab_xor_writes_figures_and_json(tmp_path, capsys):
    out_dir = tmp_path / "xor"
    assert main(["lab", "xor", "--out", str(out_dir)]) == 0
    text = capsys.readouterr().out
    assert "PASS" in text and "claim:" in text and "criterion:" in text
    assert "perceptron_best_correct" in text
    files = sorted(os.listdir(out_dir))
    assert "xor.json" in files
    assert any(f.endswith(".png") for f in files)
    with open(out_dir / "xor.json", encoding="utf-8") as f:
        d = json.load(f)
    assert d["name"] == "xor" and d["passed"] is True
    assert d["metrics"]["perceptron_best_correct"] <= 3
    with open(out_dir / [f for f in files if f.endswith(".png")][0], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_cli_lab_unknown_name(capsys):
    assert main(["lab", "no-such-lab"]) == 2
    assert "no lab named" in capsys.readouterr().err


def test_cli_tour_subset(tmp_path, capsys):
    out_dir = tmp_path / "tour"
    assert main(["tour", "--out", str(out_dir), "--only", "backprop,bias-variance"]) == 0
    assert (out_dir / "index.html").exists()
    with open(out_dir / "results.json", encoding="utf-8") as f:
        d = json.load(f)
    assert [e["name"] for e in d["labs"]] == ["backprop", "bias-variance"]
    assert "2/2 labs pass" in capsys.readouterr().out


# Stable verdicts: the cheap labs on seeds 1-4 here (seed 0 above); every lab on seeds 0-4 is
# `python scripts/reproduce_labs.py --quick --seeds 0-4 --sabotage` (make reproduce).
@pytest.mark.parametrize("name", ["linear-collapse", "activations", "backprop", "loss-cost-objective",
                                  "xavier", "bias-variance"])
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_cheap_lab_passes_on_other_seeds(name, seed):
    r = labs.run(name, seed=seed)
    assert r.passed, f"{name} seed {seed} failed: {[k for k, ok in r.checks.items() if not ok]}; {r.metrics}"


def test_every_lab_declares_its_sabotage_and_effect_metrics():
    for name in labs.names():
        mod = labs.get(name).module
        assert getattr(mod, "SABOTAGE", ""), name
        if name in CORE_LABS:
            assert getattr(mod, "EFFECT", None), name
