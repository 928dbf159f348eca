"""Lab 12 -- the bias-variance decomposition, measured.

Setup.  ``f(x) = sin(πx) + x/2`` on [-1, 1], noise σ = 0.3 (σ² = 0.09).  A
training set is 20 evenly spaced inputs with fresh noisy targets
``y = f(x) + ε``; it is resampled M times (1,000 quick, 10,000 full).  For each
capacity -- polynomial degree d = 0..14, Legendre features -- a model is fitted
to every training set by **closed-form least squares** (normal equations
``w = (ΦᵀΦ + λI)⁻¹ Φᵀ y`` solved in NumPy float64; λ = 0, and λ = 1 for the L2
comparison) and evaluated on a grid of 200 test inputs with *fresh* test noise.
Then, over training sets m and test inputs x::

    error    = mean (y_test - ŷ_m(x))²           (expected squared error)
    noise    = mean (y_test - f(x))²              (measured, should be σ²)
    bias²    = mean_x (mean_m ŷ_m(x) - f(x))²
    variance = mean_x var_m ŷ_m(x)

and the claim is ``error ≈ bias² + variance + noise``: the cross terms vanish
because the test noise is independent of the fitted model.
"""
import numpy as np
from numpy.polynomial import legendre

from .base import Experiment

NAME = "bias-variance"
TITLE = "The bias-variance decomposition"
CLAIM = ("Expected test error = bias² + variance + noise; more capacity lowers bias and raises "
         "variance (a U-shaped test error), and L2 regularisation lowers variance.")
CLAIM_ZH = "期望测试误差 = 偏差² + 方差 + 噪声；模型容量增大时偏差下降、方差上升（测试误差呈 U 形），L2 正则化降低方差。"
CRITERION = ("Polynomial regression (degree 0..14, closed-form least squares) retrained on M resampled "
             "training sets with known σ = 0.3: measured noise within 10% of σ²; bias² + variance + "
             "noise within 2% of the expected squared error at every degree; bias² falls (mean over "
             "degrees 8-14 < 1% of the mean over 0-6; degree 14 < 1% of degree 0); variance rises "
             "(Spearman ρ(degree, variance) > 0.9); the test error is U-shaped (minimum at an interior "
             "degree); L2 (λ = 1) at degree 14 halves the variance or better.")
REFERENCE = ("Geman, Bienenstock & Doursat (1992), Neural networks and the bias/variance dilemma, "
             "Neural Computation 4(1); Hastie, Tibshirani & Friedman, The Elements of Statistical "
             "Learning, §7.3.")
EFFECT = ['deg14_bias2', 'spearman_degree_variance', 'best_degree']  # the claim-level numbers (docs/LABS.md: spread over seeds, sabotaged value)
SABOTAGE = "capacity removed: every 'degree' fits a constant (degree-0 features), so nothing changes with d"
HEADLINE = ['noise_measured_mean', 'decomposition_max_rel_gap', 'deg0_bias2', 'deg14_bias2', 'deg0_variance', 'deg14_variance', 'best_degree', 'deg14_variance_L2']  # metrics shown in docs/LABS.md

SIGMA, N_TRAIN, N_TEST, DEGREES, L2 = 0.3, 20, 200, tuple(range(15)), 1.0


def f(x):
    return np.sin(np.pi * x) + 0.5 * x


def _spearman(a, b):
    ra = np.argsort(np.argsort(a)).astype(float)
    rb_ = np.argsort(np.argsort(b)).astype(float)
    return float(np.corrcoef(ra, rb_)[0, 1])


def decompose(degree, lam, M, rng, x_train, x_test):
    """Fit M resampled training sets; return (bias², variance, noise, error, predictions)."""
    P = legendre.legvander(x_train, degree)
    Y = f(x_train) + SIGMA * rng.standard_normal((M, x_train.size))
    W = np.linalg.solve(P.T @ P + lam * np.eye(degree + 1), P.T @ Y.T).T      # (M, d+1)
    pred = W @ legendre.legvander(x_test, degree).T                          # (M, T)
    eps = SIGMA * rng.standard_normal(pred.shape)
    y_test = f(x_test) + eps
    error = float(np.mean((y_test - pred) ** 2))
    noise = float(np.mean(eps ** 2))
    mean = pred.mean(0)
    bias2 = float(np.mean((mean - f(x_test)) ** 2))
    variance = float(np.mean(pred.var(0)))
    return bias2, variance, noise, error, pred


def run(full=False, seed=0, sabotage=False):
    ex = Experiment(__name__, full=full, seed=seed, sabotage=sabotage)
    rng = ex.rng()
    M = 10000 if full else 1000
    x_train = np.linspace(-1, 1, N_TRAIN)
    x_test = np.linspace(-1, 1, N_TEST)
    rows, preds = {}, {}
    for lam in (0.0, L2):
        for d in DEGREES:
            b2, v, n, e, p = decompose(0 if sabotage else d, lam, M, rng, x_train, x_test)
            rows[lam, d] = (b2, v, n, e)
            if lam == 0.0 and d in (1, 4, 14):
                preds[d] = p[:25]
    ex.metric("training_sets", M)
    ex.metric("sigma_squared", SIGMA ** 2)
    noise = np.array([rows[0.0, d][2] for d in DEGREES])
    bias2 = np.array([rows[0.0, d][0] for d in DEGREES])
    var = np.array([rows[0.0, d][1] for d in DEGREES])
    err = np.array([rows[0.0, d][3] for d in DEGREES])
    gap = np.abs(bias2 + var + noise - err) / err
    for d in (0, 1, 3, 5, 10, 14):
        ex.metric(f"deg{d}_bias2", bias2[d])
        ex.metric(f"deg{d}_variance", var[d])
        ex.metric(f"deg{d}_error", err[d])
    ex.metric("noise_measured_mean", float(noise.mean()))
    ex.metric("noise_max_rel_dev_from_sigma2", float(np.abs(noise / SIGMA ** 2 - 1).max()))
    ex.metric("decomposition_max_rel_gap", float(gap.max()))
    ex.metric("best_degree", int(np.argmin(err)))
    rho = _spearman(np.array(DEGREES), var)
    ex.metric("spearman_degree_variance", rho)
    v_l2 = rows[L2, DEGREES[-1]][1]
    ex.metric("deg14_variance_L2", v_l2)
    ex.metric("deg14_error_L2", rows[L2, DEGREES[-1]][3])

    ex.check("measured noise within 10% of σ² (every degree)", np.all(np.abs(noise / SIGMA ** 2 - 1) < 0.1))
    ex.check("bias² + variance + noise within 2% of the error (every degree)", np.all(gap < 0.02))
    ex.check("bias² falls with capacity", bias2[8:].mean() < 0.01 * bias2[:7].mean()
             and bias2[-1] < 0.01 * bias2[0])
    ex.check("variance rises with capacity (Spearman ρ > 0.9)", rho > 0.9)
    ex.check("test error is U-shaped (interior minimum)", 0 < int(np.argmin(err)) < len(DEGREES) - 1)
    ex.check("L2 (λ = 1) halves the variance at degree 14", v_l2 < 0.5 * var[-1])

    def draw(fig):
        gs = fig.add_gridspec(1, 5)
        ax = fig.add_subplot(gs[0, :2])
        d = np.array(DEGREES)
        ax.plot(d, err, "ko-", ms=4, label="expected squared error")
        ax.plot(d, bias2 + var + noise, "w.", ms=3, mec="gray", label="bias² + variance + noise")
        ax.plot(d, bias2, "s-", ms=3, label="bias²")
        ax.plot(d, var, "^-", ms=3, label="variance")
        ax.plot(d, noise, "--", label="noise (measured)")
        ax.plot(d, [rows[L2, k][1] for k in DEGREES], ":", label=f"variance, L2 λ = {L2:g}")
        ax.set_ylim(0, max(0.45, float(err.min()) * 3))
        ax.set_xlabel("polynomial degree (capacity)")
        ax.set_title(f"the U-curve (M = {M} training sets, n = {N_TRAIN}, σ = {SIGMA})", fontsize=10)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        for i, k in enumerate((1, 4, 14)):
            a = fig.add_subplot(gs[0, 2 + i])
            for p in preds[k]:
                a.plot(x_test, p, color="#7aa6d6", lw=0.5, alpha=0.6)
            a.plot(x_test, preds[k].mean(0), color="#1f4e8c", lw=1.5, label="mean fit")
            a.plot(x_test, f(x_test), "k--", lw=1.2, label="f(x)")
            a.set_ylim(-2.2, 2.2)
            a.set_title(f"degree {k}: 25 of the M fits", fontsize=9)
            a.legend(fontsize=7, loc="lower right")

    ex.figure("u_curve", draw, figsize=(14, 3.8))
    return ex.finish()
