"""A verdict that cannot fail proves nothing: with its mechanism removed every lab must FAIL.

``labs.run(name, sabotage=True)`` runs the lab with the claim's mechanism taken out (the
module's ``SABOTAGE``: dropout p = 0, gates replaced by a plain RNN, Xavier replaced by
N(0, 0.01), ...).  Each test asserts that the sabotaged run fails *a claim-level check*, not
just anything -- and that the same lab passes unsabotaged (``test_labs.py`` and
``test_labs_cnn_rnn.py``).  Plus: a failing lab makes ``rosenblatt tour`` exit non-zero and
shows FAIL in its report.
"""
import json

import pytest

from rosenblatt import labs
from rosenblatt.cli import main

# lab -> a fragment of the check that the sabotage must break (the claim-level one)
BROKEN_CHECK = {
    "xor": "MLP reaches 100%",
    "linear-collapse": "same stack with ReLU",
    "universal-approximation": "error falls with width",
    "activations": "ReLU: first-layer gradient",
    "backprop": "autograd = finite differences",
    "loss-cost-objective": "cross-entropy reaches 90%",
    "zero-init": "hidden units stay identical",
    "xavier": "Xavier (gain 1) is healthy",
    "kaiming": "Kaiming: training loss falls",
    "weight-decay": "lowers the test MSE on every draw",
    "dropout": "test accuracy higher with dropout",
    "bias-variance": "bias² falls with capacity",
    "cnn": "conv+maxpool features change less",
    "rnn-gradients": "with clip_grad_norm_",
    "gates": "LSTM test MSE",
    "neocognitron": "",
}


@pytest.mark.parametrize("name", labs.names())
def test_sabotaged_lab_fails(name):
    mod = labs.get(name).module
    assert getattr(mod, "SABOTAGE", ""), f"lab {name} does not say what sabotage=True removes (SABOTAGE)"
    r = labs.run(name, sabotage=True)
    assert r.sabotage and any(n.startswith("SABOTAGED") for n in r.notes), r.notes
    assert not r.passed, f"{name} still passes with its mechanism removed: {r.checks}; {r.metrics}"
    fragment = BROKEN_CHECK.get(name, "")
    failed = [k for k, ok in r.checks.items() if not ok]
    assert any(fragment in k for k in failed), (name, failed)


def test_every_core_lab_names_the_check_its_sabotage_breaks():
    assert set(BROKEN_CHECK) >= set(labs.names()) - {"neocognitron"}


def _failing_lab():
    import sys
    import types

    from rosenblatt.labs.base import Experiment
    mod = types.ModuleType("rosenblatt_test_failing_lab")
    mod.NAME, mod.TITLE, mod.REFERENCE = "always-fails", "A lab whose claim is false", "none"
    mod.CLAIM, mod.CLAIM_ZH, mod.CRITERION = "1 + 1 = 3", "一加一等于三", "measured sum == 3"
    mod.SABOTAGE = "nothing to remove"

    def run(full=False, seed=0, sabotage=False):
        sys.modules[mod.__name__] = mod
        ex = Experiment(mod.__name__, full=full, seed=seed, sabotage=sabotage)
        s = ex.metric("sum", 1 + 1)
        ex.check("sum is 3", s == 3)
        return ex.finish()

    mod.run = run
    return mod


def test_a_failing_lab_makes_the_tour_exit_nonzero_and_shows_fail(tmp_path, capsys):
    from rosenblatt.labs import registry
    labs.register("always-fails", _failing_lab())
    try:
        out_dir = tmp_path / "tour"
        code = main(["tour", "--out", str(out_dir), "--only", "backprop,always-fails"])
        text = capsys.readouterr().out
    finally:
        registry._EXTRA.pop("always-fails", None)
    assert code != 0
    assert "FAIL  always-fails" in text and "PASS  backprop" in text
    assert "1/2 labs pass" in text
    with open(out_dir / "results.json", encoding="utf-8") as f:
        d = json.load(f)
    verdicts = {e["name"]: e["passed"] for e in d["labs"]}
    assert verdicts == {"backprop": True, "always-fails": False}
    html = (out_dir / "index.html").read_text(encoding="utf-8")
    assert "FAIL" in html


def test_sabotage_flag_is_recorded_and_off_by_default():
    r = labs.run("backprop")
    assert not r.sabotage and r.passed and r.to_dict()["sabotage"] is False
    s = labs.run("backprop", sabotage=True)
    assert s.sabotage and not s.passed and s.to_dict()["sabotage"] is True
    assert "sabotaged" in repr(s)
