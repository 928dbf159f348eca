"""Lab 16 (neocognitron): the quick run passes with its claim-level checks; the sabotage
(C-cells without pooling) fails; the pieces (prototypes, shifts, read-out) behave."""
import math

import numpy as np
import pytest

from rosenblatt import labs
from rosenblatt.labs import neocognitron as lab
from rosenblatt.labs.base import LabResult, has_matplotlib

from . import quick_result


def test_registered_after_gates():
    names = labs.names()
    assert "neocognitron" in names and names.index("neocognitron") > names.index("gates")
    spec = labs.get("neocognitron")
    assert "新认知机" in spec.claim_zh and "Neocognitron" in spec.claim


def test_glossary_has_the_terms():
    from rosenblatt.labs.glossary import lookup
    for term in ("新认知机", "S细胞", "C细胞"):
        assert lookup(term), term


def test_prototypes_and_shift():
    X = lab.prototypes()
    assert X.shape == (5, 16, 16) and set(np.unique(X)) == {0.0, 1.0}
    assert len({x.tobytes() for x in X}) == 5
    for s in (1, 2, 3):             # room for shifts of up to 3 in every direction: nothing lost
        imgs, y = lab.shifted_set(X, s)
        assert imgs.shape == (40, 16, 16) and (y[:5] == np.arange(5)).all()
        np.testing.assert_array_equal(imgs.sum((1, 2)), np.tile(X.sum((1, 2)), 8))
    np.testing.assert_array_equal(lab.shift(X, 2, -1)[:, 2:, :15], X[:, :14, 1:])


def test_quick_run_passes_with_a_margin():
    r = quick_result("neocognitron")
    assert isinstance(r, LabResult) and not r.full
    failed = [k for k, ok in r.checks.items() if not ok]
    assert r.passed, f"failed: {failed}; metrics {r.metrics}"
    m = r.metrics
    assert m["one_to_one_seeds"] == m["seeds"] == 3
    assert m["margin_shift2to4_mean"] >= lab.MARGIN and m["margin_shift2to4_min"] > 0
    assert m["uc3_cross_response_ratio_mean"] < lab.EXCLUSIVE      # the map is exclusive
    assert len(r.checks) == 4
    assert m["neo_acc_shift0_mean"] == 1.0 and m["mlp_acc_shift0_mean"] == 1.0
    for k, v in m.items():
        assert math.isfinite(float(v)), (k, v)
    assert r.seconds > 0
    if has_matplotlib():
        assert sorted(r.figures) == ["accuracy_vs_shift", "c_cell_responses", "learned_s_planes"]


def test_sabotage_without_pooling_fails():
    r = labs.run("neocognitron", seed=0, sabotage=True)
    assert not r.passed and r.sabotage
    failed = [k for k, ok in r.checks.items() if not ok]
    assert any("beats the MLP by" in k for k in failed), failed       # the claim-level check
    assert r.metrics["sabotage_no_pooling"] == 1
    assert r.metrics["margin_shift2to4_mean"] < lab.MARGIN


@pytest.mark.parametrize("seed", [1, 2])
def test_other_seeds_pass(seed):
    assert lab.run(seed=seed).passed
