"""Lab 10 -- weight decay (L2 regularisation) against overfitting.

Setup (the high-dimensional linear regression of *Dive into Deep Learning* §3.7).
``y = 0.05 + Σ_i 0.01·x_i + ε``, x ~ N(0, I_200), ε ~ N(0, 0.01²); 20 training
points, 100 test points (1,000 in full mode).  The model ``ŷ = x·w + b`` starts
from w ~ N(0, I) (as in the book), b = 0, and is trained by full-batch gradient
descent (lr 0.02, 300 steps quick / 1,000 full) on the objective::

    J(w, b) = (1/n) Σ ½ (ŷ_n - y_n)²  +  (λ/2) ‖w‖²        (cost + penalty)

Why λ = 0 overfits here: 20 points constrain only a 20-dimensional subspace of
w; the other 180 directions keep their random initial values, so the model fits
the training set perfectly and is wrong everywhere else.  With λ = 3 every step
multiplies w by (1 - lr·λ) on top of the data gradient, which erases those 180
directions: ‖w‖ drops from ≈ 13 to ≈ 0.04 and the test loss falls to the noise
floor of the true signal.  Losses are reported as mean squared error (½ dropped).
The same λ applied as ``rb.optim.SGD(weight_decay=λ)`` (on w only) is checked to
give the same weights as the explicit penalty: weight decay *is* the L2 term.
"""
import numpy as np

import rosenblatt as rb

from .base import Experiment

NAME = "weight-decay"
TITLE = "Weight decay (L2 regularisation)"
CLAIM = ("Without regularisation a high-dimensional linear model overfits 20 training points; "
         "weight decay shrinks the weights and lowers the test loss.")
CLAIM_ZH = "高维线性回归只有 20 个训练样本时，不加正则化会过拟合；权重衰减（L2 正则化）压缩权重并降低测试误差。"
CRITERION = ("20 training points, 200 dimensions: with λ = 0 the training MSE is < 1/100 of the test "
             "MSE; with λ = 3 ‖w‖ is more than 100× smaller than with λ = 0 and the test MSE is lower; "
             "SGD(weight_decay=λ) equals the explicit (λ/2)‖w‖² penalty (max |Δw| < 1e-5).")
REFERENCE = ("Zhang, Lipton, Li & Smola, Dive into Deep Learning, §3.7 Weight Decay (λ = 0: "
             "overfits; λ = 3: ‖w‖ small, test loss low); Krogh & Hertz (1992), NeurIPS.")
HEADLINE = ['lambda0_train_mse', 'lambda0_test_mse', 'lambda3_test_mse', 'w_norm_shrink_factor']  # metrics shown in docs/LABS.md

N_TRAIN, DIM, LR = 20, 200, 0.02
LAMBDAS = (0.0, 0.01, 0.1, 0.3, 1.0, 3.0, 10.0)


def _data(n, rng):
    X = rng.standard_normal((n, DIM)).astype(np.float32)
    y = (0.05 + X @ np.full(DIM, 0.01, np.float32) + 0.01 * rng.standard_normal(n)).astype(np.float32)
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


def _mse(X, y, w, b):
    return float(np.mean((X @ w + b - y) ** 2))


def run(full=False, seed=0):
    ex = Experiment(__name__, full=full, seed=seed)
    rng = ex.rng()
    steps, n_test = (1000, 1000) if full else (300, 100)
    Xtr, ytr = _data(N_TRAIN, rng)
    Xte, yte = _data(n_test, rng)
    w0 = rng.standard_normal(DIM).astype(np.float32)
    sweep = {}
    curves = {}
    for lam in LAMBDAS:
        w, b, curve = _train(Xtr, ytr, lam, w0, steps)
        sweep[lam] = (_mse(Xtr, ytr, w, b), _mse(Xte, yte, w, b), float(np.linalg.norm(w)), w)
        if lam in (0.0, 3.0):
            curves[lam] = curve
    for lam in (0.0, 3.0):
        tr, te, norm, _ = sweep[lam]
        ex.metric(f"lambda{lam:g}_train_mse", tr)
        ex.metric(f"lambda{lam:g}_test_mse", te)
        ex.metric(f"lambda{lam:g}_w_norm", norm)
    shrink = sweep[0.0][2] / sweep[3.0][2]
    ex.metric("w_norm_shrink_factor", shrink)
    w_opt, _, _ = _train(Xtr, ytr, 3.0, w0, steps, use_optimizer_decay=True)
    dw = float(np.abs(w_opt - sweep[3.0][3]).max())
    ex.metric("sgd_weight_decay_vs_penalty_max_abs_diff", dw)
    ex.metric("true_w_norm", float(0.01 * np.sqrt(DIM)))

    ex.check("λ = 0 overfits: train MSE < test MSE / 100", sweep[0.0][0] < sweep[0.0][1] / 100)
    ex.check("λ = 3 shrinks ‖w‖ more than 100×", shrink > 100)
    ex.check("λ = 3 lowers the test MSE", sweep[3.0][1] < sweep[0.0][1])
    ex.check("SGD(weight_decay=3) = explicit L2 penalty", dw < 1e-5)

    def draw(fig):
        ax1, ax2 = fig.subplots(1, 2)
        for lam, c in curves.items():
            ax1.semilogy(c, label=f"train, λ = {lam:g}")
            ax1.axhline(sweep[lam][1], ls="--", lw=0.9, color=ax1.lines[-1].get_color(),
                        label=f"test (final), λ = {lam:g}")
        ax1.set_xlabel("gradient-descent step")
        ax1.set_ylabel("MSE")
        ax1.set_title("training curves", fontsize=10)
        ax1.legend(fontsize=8)
        ax1.grid(alpha=0.3, which="both")
        lams = np.array(LAMBDAS[1:])
        ax2.loglog(lams, [sweep[l][0] for l in lams], "o-", label="train MSE")
        ax2.loglog(lams, [sweep[l][1] for l in lams], "s-", label="test MSE")
        ax2.loglog(lams, [sweep[l][2] for l in lams], "^-", label="‖w‖")
        ax2.axhline(sweep[0.0][1], ls=":", color="gray", lw=0.9, label="test MSE at λ = 0")
        ax2.set_xlabel("λ")
        ax2.set_title("sweep over λ", fontsize=10)
        ax2.legend(fontsize=8)
        ax2.grid(alpha=0.3, which="both")

    ex.figure("weight_decay", draw, figsize=(11, 3.8))
    return ex.finish()
