"""Lab 10 -- weight decay (L2 regularisation) against fitting label noise.

Setup.  A linear regression whose labels are half noise:
``y = x·w* + ε``, x ~ N(0, I_40), w* ~ N(0, I/40) (so ‖w*‖ ≈ 1 and the signal
has variance ≈ 1), ε ~ N(0, 1) -- label noise as large as the signal.  50
training points (barely more than the 40 weights, so an unregularised fit
chases the noise), 50 validation points, 1,000 test points.  The model
``ŷ = x·w + b`` starts from ``nn.Linear``'s default init (U(±1/√40)) and is
trained by full-batch gradient descent (lr 0.25, 1,000 steps quick / 3,000
full; the whole λ sweep as the columns of one weight matrix) on the objective::

    J(w, b) = (1/n) Σ ½ (ŷ_n - y_n)²  +  (λ/2) ‖w‖²        (cost + penalty)

for λ ∈ {0, 0.03, 0.1, 0.3, 1, 3}.  λ is *chosen on the validation set* (never on
test), and the test MSE at that λ is compared with λ = 0 on each of 5 (quick) /
20 (full) independent draws of the data -- a paired comparison.  Losses are
reported as mean squared error (½ dropped); the noise floor is σ² = 1.  The
same λ applied as ``rb.optim.SGD(weight_decay=λ)`` (on w only) is checked to
give the same weights as the explicit penalty: weight decay *is* the L2 term.
"""
import numpy as np

import rosenblatt as rb

from .base import Experiment

NAME = "weight-decay"
TITLE = "Weight decay (L2 regularisation)"
CLAIM = ("Without regularisation a linear model with nearly as many weights as training points fits "
         "the label noise; weight decay shrinks the weights and lowers the test error.")
CLAIM_ZH = "参数个数接近训练样本数时，不加正则化的线性模型会拟合标签噪声；权重衰减（L2 正则化）压缩权重并降低测试误差。"
CRITERION = ("40 weights, 50 noisy training points (noise σ² = 1 = signal variance), default init, "
             "over independent data draws: with λ = 0 the training MSE is below the noise floor "
             "(< 0.8 σ², it fits noise) while the test MSE is > 1.5 σ²; with λ chosen on a validation "
             "set the test MSE is lower than with λ = 0 on every draw, by ≥ 20% on average; "
             "SGD(weight_decay=λ) equals the explicit (λ/2)‖w‖² penalty (max |Δw| < 1e-5).")
REFERENCE = ("Krogh & Hertz (1992), A simple weight decay can improve generalization, NeurIPS; "
             "Hastie, Tibshirani & Friedman, The Elements of Statistical Learning, §3.4.1 (ridge); "
             "Zhang, Lipton, Li & Smola, Dive into Deep Learning, §3.7 Weight Decay.")
EFFECT = ['test_mse_gain_mean', 'test_mse_gain_min']  # the claim-level numbers (docs/LABS.md: spread over seeds, sabotaged value)
SABOTAGE = "weight decay switched off: every λ of the sweep set to 0"
HEADLINE = ['lambda0_train_mse', 'lambda0_test_mse', 'chosen_lambda_test_mse', 'test_mse_gain_mean',
            'test_mse_gain_min', 'test_mse_gain_std', 'draws']

N_TRAIN, N_VAL, DIM, LR, SIGMA = 50, 50, 40, 0.25, 1.0
LAMBDAS = (0.0, 0.03, 0.1, 0.3, 1.0, 3.0)


def _data(n, w_true, rng):
    X = rng.standard_normal((n, DIM)).astype(np.float32)
    y = (X @ w_true + SIGMA * rng.standard_normal(n)).astype(np.float32)
    return X, y


def _train(X, y, lam, w0, steps, use_optimizer_decay=False):
    w = rb.nn.Parameter(w0.copy())
    b = rb.nn.Parameter(np.zeros(1, np.float32))
    if use_optimizer_decay:
        opt = rb.optim.SGD([{"params": [w], "weight_decay": lam}, {"params": [b]}], lr=LR)
    else:
        opt = rb.optim.SGD([w, b], lr=LR)
    Xt, yt = rb.tensor(X), rb.tensor(y)
    curve = []
    for _ in range(steps):
        opt.zero_grad()
        cost = 0.5 * ((Xt @ w + b - yt) ** 2).mean()
        objective = cost if (use_optimizer_decay or lam == 0) else cost + 0.5 * lam * (w ** 2).sum()
        objective.backward()
        opt.step()
        curve.append(2 * float(cost.item()))
    return w.data.copy(), float(b.data[0]), curve


def _train_sweep(X, y, lams, w0, steps):
    """Every λ of the sweep at once: column k of ``W`` (DIM, L) is the model trained with ``lams[k]``.

    The objective is the sum of the L independent objectives, so each column's gradient (and
    so its GD path) is exactly the one it would have alone -- one graph instead of L loops.
    """
    L = len(lams)
    W = rb.nn.Parameter(np.repeat(w0[:, None], L, axis=1))
    b = rb.nn.Parameter(np.zeros(L, np.float32))
    lam = rb.tensor(np.asarray(lams, np.float32))
    opt = rb.optim.SGD([W, b], lr=LR)
    Xt, yt = rb.tensor(X), rb.tensor(y[:, None])
    curves = []
    for _ in range(steps):
        opt.zero_grad()
        cost = 0.5 * ((Xt @ W + b - yt) ** 2).mean(0)                  # (L,) one cost per λ
        objective = (cost + 0.5 * lam * (W ** 2).sum(0)).sum()
        objective.backward()
        opt.step()
        curves.append(2 * cost.data.copy())
    return W.data.copy(), b.data.copy(), np.array(curves)


def _mse(X, y, w, b):
    return float(np.mean((X @ w + b - y) ** 2))


def _draw_once(rng, steps, n_test, sabotage):
    """One data draw: the λ sweep -> {λ: (train, val, test MSE, ‖w‖, w)}, data, w0."""
    w_true = (rng.standard_normal(DIM) / np.sqrt(DIM)).astype(np.float32)
    (Xtr, ytr), (Xva, yva), (Xte, yte) = (_data(n, w_true, rng) for n in (N_TRAIN, N_VAL, n_test))
    w0 = (rng.uniform(-1, 1, DIM) / np.sqrt(DIM)).astype(np.float32)    # nn.Linear's default init
    sweep, curves = {}, {}
    W, B, C = _train_sweep(Xtr, ytr, [0.0 if sabotage else lam for lam in LAMBDAS], w0, steps)
    for k, lam in enumerate(LAMBDAS):
        w, b = W[:, k], B[k]
        sweep[lam] = (_mse(Xtr, ytr, w, b), _mse(Xva, yva, w, b), _mse(Xte, yte, w, b),
                      float(np.linalg.norm(w)), w)
        curves[lam] = C[:, k]
    return sweep, curves, (Xtr, ytr, w0)


def run(full=False, seed=0, sabotage=False):
    ex = Experiment(__name__, full=full, seed=seed, sabotage=sabotage)
    rng = ex.rng()
    steps, n_test, draws = (3000, 1000, 20) if full else (1000, 1000, 5)
    rows = []
    for k in range(draws):
        sweep, c, data = _draw_once(rng, steps, n_test, sabotage)
        best = min(LAMBDAS, key=lambda lam: sweep[lam][1])          # chosen on validation
        rows.append((sweep[0.0][0], sweep[0.0][2], best, sweep[best][2], sweep[0.0][3], sweep[best][3]))
        if k == 0:
            first, curves, (Xtr, ytr, w0), lam0 = sweep, c, data, best
    rows = np.array(rows, dtype=np.float64)
    gain = 1 - rows[:, 3] / rows[:, 1]                              # relative test-MSE reduction
    ex.metric("draws", draws)
    ex.metric("noise_variance", SIGMA ** 2)
    ex.metric("lambda0_train_mse", float(rows[:, 0].mean()))
    ex.metric("lambda0_test_mse", float(rows[:, 1].mean()))
    ex.metric("chosen_lambda_median", float(np.median(rows[:, 2])))
    ex.metric("chosen_lambda_test_mse", float(rows[:, 3].mean()))
    ex.metric("lambda0_w_norm", float(rows[:, 4].mean()))
    ex.metric("chosen_lambda_w_norm", float(rows[:, 5].mean()))
    ex.metric("test_mse_gain_mean", float(gain.mean()))
    ex.metric("test_mse_gain_min", float(gain.min()))
    ex.metric("test_mse_gain_std", float(gain.std()))
    w_opt, _, _ = _train(Xtr, ytr, lam0, w0, steps, use_optimizer_decay=True)
    w_pen = _train(Xtr, ytr, lam0, w0, steps)[0]
    dw = float(np.abs(w_opt - w_pen).max())
    ex.metric("sgd_weight_decay_vs_penalty_max_abs_diff", dw)
    dsweep = 0.0 if sabotage else float(np.abs(w_pen - first[lam0][4]).max())
    ex.metric("sweep_column_vs_single_model_max_abs_diff", dsweep)

    ex.check("λ = 0 fits the noise: train MSE < 0.8 σ² and test MSE > 1.5 σ²",
             rows[:, 0].mean() < 0.8 * SIGMA ** 2 and rows[:, 1].mean() > 1.5 * SIGMA ** 2)
    ex.check("λ chosen on validation lowers the test MSE on every draw", bool(np.all(gain > 0)))
    ex.check("... by ≥ 20% on average", gain.mean() >= 0.2)
    ex.check("SGD(weight_decay=λ) = explicit L2 penalty, and a sweep column = the model trained alone "
             "(max |Δw| < 1e-5)", dw < 1e-5 and dsweep < 1e-5)
    sweep = first

    def draw(fig):
        ax1, ax2 = fig.subplots(1, 2)
        for lam in (0.0, lam0):
            ax1.semilogy(curves[lam], label=f"train, λ = {lam:g}")
            ax1.axhline(sweep[lam][2], ls="--", lw=0.9, color=ax1.lines[-1].get_color(),
                        label=f"test (final), λ = {lam:g}")
        ax1.axhline(SIGMA ** 2, ls=":", color="gray", lw=0.9, label="noise floor σ²")
        ax1.set_xlabel("gradient-descent step")
        ax1.set_ylabel("MSE")
        ax1.set_title(f"training curves (draw 1; λ = {lam0:g} chosen on validation)", fontsize=10)
        ax1.legend(fontsize=8)
        ax1.grid(alpha=0.3, which="both")
        lams = np.array(LAMBDAS[1:])
        ax2.loglog(lams, [sweep[l][0] for l in lams], "o-", label="train MSE")
        ax2.loglog(lams, [sweep[l][1] for l in lams], "d-", label="validation MSE")
        ax2.loglog(lams, [sweep[l][2] for l in lams], "s-", label="test MSE")
        ax2.loglog(lams, [sweep[l][3] for l in lams], "^-", label="‖w‖")
        ax2.axhline(sweep[0.0][2], ls=":", color="gray", lw=0.9, label="test MSE at λ = 0")
        ax2.set_xlabel("λ")
        ax2.set_title("sweep over λ", fontsize=10)
        ax2.legend(fontsize=8)
        ax2.grid(alpha=0.3, which="both")

    ex.figure("weight_decay", draw, figsize=(11, 3.8))
    return ex.finish()
