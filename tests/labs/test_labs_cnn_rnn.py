"""Labs 13-15 (cnn, rnn-gradients, gates): quick runs pass their criteria, report their metrics,
draw their figures; plus the pieces they rely on (loop convolution, NumPy gate recomputation)."""
import math

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import labs
from rosenblatt.labs.base import LabResult, has_matplotlib

from . import quick_result

LABS = ["cnn", "rnn-gradients", "gates"]

EXPECTED_METRICS = {
    "cnn": ["loop_vs_conv2d_max_abs_diff", "C1_conv_params", "C1_fc_params", "C3_conv_params",
            "C3_fc_params", "lenet5_digits_test_accuracy", "shift1px_rel_change_conv",
            "shift1px_rel_change_conv_maxpool"],
    "rnn-gradients": ["linear_rho0.8_slope", "linear_rho1.0_slope", "linear_rho1.2_slope",
                      "linear_rho0.8_norm_T50", "linear_rho1.2_norm_T50", "tanh_rho0.8_slope",
                      "unclipped_steps_until_nonfinite", "initial_loss", "clipped_final_loss"],
    "gates": ["adding_T50_lstm_final_test_mse", "adding_T50_gru_final_test_mse",
              "adding_T50_rnn_best_test_mse", "charlm_bigram_val_perplexity",
              "charlm_rnn_val_perplexity", "charlm_gru_val_perplexity", "charlm_lstm_val_perplexity",
              "gates_numpy_vs_layer_max_abs_diff"],
}

EXPECTED_FIGURES = {
    "cnn": ["learned_filters", "feature_maps"],
    "rnn-gradients": ["gradient_norm_vs_T"],
    "gates": ["gate_activations", "charlm_perplexity_samples", "adding_problem_curves"],
}


def test_registered_in_course_order():
    names = labs.names()
    assert [n for n in names if n in LABS] == LABS
    assert names.index("cnn") > names.index("bias-variance")


@pytest.mark.parametrize("name", LABS)
def test_quick_lab_passes(name):
    r = quick_result(name)
    assert isinstance(r, LabResult) and r.name == name and not r.full
    failed = [k for k, ok in r.checks.items() if not ok]
    assert r.passed, f"{name} failed: {failed}; metrics {r.metrics}"
    assert r.claim and r.claim_zh and r.criterion and r.reference
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.claim_zh)
    for key in EXPECTED_METRICS[name]:
        assert key in r.metrics, key
    for k, v in r.metrics.items():
        assert isinstance(v, (int, float, bool, np.integer, np.floating)), (k, type(v))
        assert math.isfinite(float(v)), (k, v)
    assert r.seconds > 0          # measured (timing targets live in benchmarks, not tests)
    if has_matplotlib():
        from matplotlib.figure import Figure
        assert sorted(r.figures) == sorted(EXPECTED_FIGURES[name])
        assert all(isinstance(f, Figure) for f in r.figures.values())
    else:
        assert not r.figures and any("matplotlib" in n for n in r.notes)


def test_cnn_numbers_are_what_the_claim_says():
    m = quick_result("cnn").metrics
    assert m["C1_conv_params"] == 6 * (1 * 25 + 1) == 156
    assert m["C3_conv_params"] == 16 * (6 * 25 + 1)
    assert m["C1_fc_params"] == 784 * 6 * 28 * 28 + 6 * 28 * 28
    assert m["shift1px_rel_change_conv_maxpool"] < m["shift1px_rel_change_conv"]
    assert m["lenet5_digits_test_accuracy"] >= 0.97


def test_rnn_gradient_slopes_match_log_rho():
    m = quick_result("rnn-gradients").metrics
    for rho in (0.8, 1.0, 1.2):
        assert abs(m[f"linear_rho{rho}_slope"] - math.log(rho)) < 0.01
    assert m["unclipped_steps_until_nonfinite"] >= 1
    assert m["clipped_final_loss"] < m["initial_loss"]
    assert m["clip_runs"] == m["clipped_runs_finite"] == m["unclipped_runs_nonfinite"] == 5
    assert m["clipped_final_loss"] < 7 / 6


def test_gates_numbers():
    m = quick_result("gates").metrics
    assert m["adding_T50_lstm_final_test_mse"] < 0.05 and m["adding_T50_gru_final_test_mse"] < 0.05
    assert m["adding_T50_rnn_best_test_mse"] >= 1 / 12        # never carried the earlier value
    assert m["adding_T50_margin_rnn_best_over_worst_gated"] >= 3
    for cell in ("rnn", "gru", "lstm"):
        assert m[f"charlm_{cell}_val_perplexity"] < m["charlm_bigram_val_perplexity"]
    assert any("LSTM sample" in n for n in quick_result("gates").notes)


def test_loop_conv2d_matches_functional_with_stride_and_padding():
    from rosenblatt.labs.cnn import loop_conv2d
    g = np.random.default_rng(1)
    x, w, b = g.standard_normal((3, 6, 5)), g.standard_normal((2, 3, 3, 2)), g.standard_normal(2)
    ref = loop_conv2d(x, w, b, stride=2, padding=1)
    out = rb.nn.functional.conv2d(rb.tensor(x[None]), rb.tensor(w), rb.tensor(b), stride=2, padding=1)
    assert ref.shape == (2, 3, 3)
    np.testing.assert_allclose(out.numpy()[0], ref, atol=1e-12)


def test_numpy_gates_reproduce_untrained_layers():
    from rosenblatt.labs.gates import gru_gates, lstm_gates
    g = np.random.default_rng(2)
    x = g.standard_normal((7, 3))
    xt = rb.tensor(x[:, None, :].astype(np.float32))
    for layer, fn in ((rb.nn.GRU(3, 5), gru_gates), (rb.nn.LSTM(3, 5), lstm_gates)):
        with rb.no_grad():
            out = layer(xt)[0].numpy()[:, 0]
        gates = fn(layer, x)
        np.testing.assert_allclose(gates["h"], out, atol=1e-5)
        for k, v in gates.items():
            if k not in ("h", "c"):
                assert v.shape == (7, 5) and (v >= 0).all() and (v <= 1).all()
