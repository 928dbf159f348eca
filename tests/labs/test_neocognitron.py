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


def test_validation_hand_is_disjoint_from_the_judged_patterns():
    X, V = lab.prototypes(), lab.validation_prototypes()
    assert V.shape == (5, 16, 16) and set(np.unique(V)) == {0.0, 1.0}
    for s in range(5):              # no shift of a validation pattern is a judged pattern
        imgs, _ = lab.shifted_set(V, s)
        judged = {x.tobytes() for x in X}
        assert not any(im.tobytes() in judged for im in imgs), s


def test_tuning_script_never_sees_the_judged_patterns():
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "tune_neocognitron.py")
    text = open(path, encoding="utf-8").read()
    assert "validation_prototypes()" in text
    assert "lab.prototypes(" not in text and "_PROTOTYPES" not in text
    assert 'handwritten_digits("train")' in text and '"test"' not in text    # never the test half
    spec = importlib.util.spec_from_file_location("tune_neocognitron", path)
    tune = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tune)
    assert set(tune.SEEDS).isdisjoint(range(14))            # the lab's seeds (quick 0-6, full 0-13)
    res = tune.score(tune.BEFORE, lab.validation_prototypes(), seeds=(100,))
    assert set(res) == {"one_to_one", "cross", "acc_far", "acc_far_min"}
    assert 0 <= res["acc_far"] <= 1


def test_the_models_defaults_are_the_tuned_setting():
    import rosenblatt as rb
    neo = rb.models.Neocognitron(generator=np.random.default_rng(0))
    assert [s.q for s in neo.s_layers] == [100.0] * 3 and [s.r for s in neo.s_layers] == [4.0] * 3
    assert neo.c_layers[0].kernel == 7 and neo.c_layers[1].kernel == 5
    assert neo.c_layers[0].alpha == 0.2 and neo.c_layers[2].alpha == 1.0
    np.testing.assert_allclose(neo.c_layers[0].d.data[3, 4], 0.8)          # d_gamma 0.8, 1 pixel off


def test_handwritten_accuracy_on_a_small_split():
    X, y = lab.handwritten_digits("train")
    assert X.shape[1:] == (16, 16) and len(X) == len(y)
    acc = lab.handwritten_accuracy(X[:60], y[:60], X[60:100], y[60:100], 0, planes=(8, 8, 20))
    assert 0.0 <= acc <= 1.0


def test_deformed_keeps_shapes_and_labels():
    X = lab.prototypes()
    imgs, y = lab.deformed(X, np.random.default_rng(0), 3)
    assert imgs.shape == (15, 16, 16) and (y == np.tile(np.arange(5), 3)).all()
    same, _ = lab.deformed(X, np.random.default_rng(0), 1, angle=0, scale=0, shear=0)
    np.testing.assert_array_equal(same, X)


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
