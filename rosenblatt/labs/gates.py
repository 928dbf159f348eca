"""Lab 15 -- gates: LSTM and GRU remember across long gaps where a plain RNN cannot.

1. **Adding problem** (Hochreiter & Schmidhuber 1997; ``datasets.sequence_tasks.adding_problem``):
   a sequence of T pairs (value ~ U(0, 1), marker ∈ {0, 1}) with exactly two markers, one
   in each half; the target is the sum of the two marked values.  Predicting the mean gives
   MSE 1/6 ≈ 0.167; knowing the later marked value exactly and nothing of the earlier one
   leaves 1/12 ≈ 0.083 (the earlier value's variance), so a model below 1/12 -- and certainly
   one below 0.05 -- has carried the earlier marked value across ~T/2 steps or more.  The plain
   RNN is judged against that derived bound (it used to be an unexplained 0.15, which the RNN's
   0.160-0.175 cleared thinly).  Quick: T = 50; full: T = 100.  Each cell (``nn.RNN`` tanh, ``nn.GRU``,
   ``nn.LSTM``, hidden 32 quick / 64 full, a linear head on the last state) is trained with
   ``models.adding.train_adding_problem`` (the RNN helper's loop: fresh batches of 64, Adam
   lr 1e-2, gradient-norm clipping 1.0, test MSE on 1,000 fixed sequences every 50 steps)
   for at most 1,500 (quick) / 6,000 (full) steps, the same budget and the same stopping rule
   (stop once the test MSE < 0.01) for all three.  The tanh RNN is judged on its *best* test
   MSE over the run, the gated cells on their final one.
2. **Character language models** (``models.CharLM``, embedding 32, one recurrent layer of
   64 (quick) / 128 (full) units, ``train_charlm``: Adam lr 1e-2, clipping 1.0, random
   windows of 32 characters, batch 32, 300 (quick) / 3,000 (full) steps) on the default corpus
   (the text of CPython's pydoc topics, 90/10 contiguous split).  Validation perplexity of
   RNN, GRU and LSTM against the add-one-smoothed character bigram model counted on the
   training text; 120 sampled characters from each (temperature 0.7, seeded).  Reported, and
   only the "better than a bigram" sanity check is judged: at the quick size (300 steps) the
   three cells are within noise of each other (perplexity ≈ 5.8 each), so the quick LM does
   *not* show that gates help on text -- the adding problem is the judged contrast.
3. **Gate activations.**  For one adding-problem test sequence, the trained GRU's update
   (z) and reset (r) gates and the trained LSTM's input (i), forget (f) and output (o) gates
   are recomputed with NumPy from the cells' weights (PyTorch's gate order: GRU r, z, n;
   LSTM i, f, g, o) -- and checked: the recomputed last hidden state must equal the layer's.
"""

import numpy as np

import rosenblatt as rb

from .base import Experiment, memo

NAME = "gates"
TITLE = "Gated recurrent units: LSTM and GRU"
CLAIM = ("Gates (LSTM, GRU) let a recurrent network keep information across long time gaps, "
         "which a plain tanh RNN cannot learn; gated character models also predict text better.")
CLAIM_ZH = ("门控机制（LSTM、GRU）让循环网络能够跨越很长的时间间隔保存信息，而普通 tanh RNN 学不会；"
            "门控的字符级语言模型预测文本也更好。")
CRITERION = ("Adding problem, T = 50 (same data, step budget and stopping rule for all three cells): "
             "LSTM and GRU test MSE < 0.05 while the tanh RNN's best test MSE stays ≥ 1/12 ≈ 0.083, "
             "the error of a model that knows the later marked value exactly and nothing of the "
             "earlier one (predicting the mean: 1/6), so it never shows that it carried the earlier "
             "value across the gap; and the RNN's best is ≥ 3× the worse gated cell's; "
             "character LMs (RNN, GRU, LSTM, "
             "quick size) each reach a validation perplexity below the character bigram model's (a "
             "sanity check: their differences are not judged); gates recomputed with NumPy reproduce "
             "the layers' hidden states (max |diff| < 1e-4).")
CRITERION_FULL = CRITERION.replace("T = 50", "T = 100").replace("quick size", "full size")
REFERENCE = ("Hochreiter & Schmidhuber (1997), Long short-term memory, Neural Computation 9(8) "
             "(the adding problem); Cho et al. (2014), GRU; Chung et al. (2014), Empirical evaluation "
             "of gated recurrent neural networks; Karpathy (2015), char-rnn.")
HEADLINE = ["adding_T50_lstm_final_test_mse", "adding_T50_gru_final_test_mse", "adding_T50_rnn_best_test_mse",
            "adding_T100_lstm_final_test_mse", "adding_T100_gru_final_test_mse",
            "adding_T100_rnn_best_test_mse", "adding_T50_margin_rnn_best_over_worst_gated",
            "adding_T100_margin_rnn_best_over_worst_gated", "charlm_bigram_val_perplexity",
            "charlm_rnn_val_perplexity", "charlm_gru_val_perplexity", "charlm_lstm_val_perplexity"]
EFFECT = ['adding_T50_rnn_best_test_mse', 'adding_T50_lstm_final_test_mse', 'adding_T50_gru_final_test_mse']  # the claim-level numbers (docs/LABS.md: spread over seeds, sabotaged value)
SABOTAGE = ("the gated cells replaced by the plain tanh RNN (LSTM and GRU arms run nn.RNN on the same "
            "data and budget); the char-LM and gate read-out parts are skipped")


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _weights(layer):
    w = {k: v.detach().numpy().astype(np.float64) for k, v in layer.named_parameters()}
    return w["weight_ih_l0"], w["weight_hh_l0"], w["bias_ih_l0"], w["bias_hh_l0"]


def gru_gates(layer, x):
    """x (T, in) -> dict of r, z (T, H) and the hidden states h (T, H), by NumPy."""
    W_ih, W_hh, b_ih, b_hh = _weights(layer)
    H = W_hh.shape[1]
    h = np.zeros(H)
    out = {"r": [], "z": [], "h": []}
    for t in range(len(x)):
        gi = W_ih @ x[t] + b_ih
        gh = W_hh @ h + b_hh
        r = _sigmoid(gi[:H] + gh[:H])
        z = _sigmoid(gi[H:2 * H] + gh[H:2 * H])
        n = np.tanh(gi[2 * H:] + r * gh[2 * H:])
        h = (1 - z) * n + z * h
        for k, v in (("r", r), ("z", z), ("h", h)):
            out[k].append(v)
    return {k: np.array(v) for k, v in out.items()}


def lstm_gates(layer, x):
    """x (T, in) -> dict of i, f, o (T, H), cell c and hidden h (T, H), by NumPy."""
    W_ih, W_hh, b_ih, b_hh = _weights(layer)
    H = W_hh.shape[1]
    h, c = np.zeros(H), np.zeros(H)
    out = {"i": [], "f": [], "o": [], "c": [], "h": []}
    for t in range(len(x)):
        a = W_ih @ x[t] + b_ih + W_hh @ h + b_hh
        i, f, g, o = _sigmoid(a[:H]), _sigmoid(a[H:2 * H]), np.tanh(a[2 * H:3 * H]), _sigmoid(a[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        for k, v in (("i", i), ("f", f), ("o", o), ("c", c), ("h", h)):
            out[k].append(v)
    return {k: np.array(v) for k, v in out.items()}


def _adding(ex, full, seed, sabotage=False):
    from rosenblatt.models.adding import train_adding_problem
    T, H, steps = (100, 64, 6000) if full else (50, 32, 1500)
    res = {}
    for cell in ("lstm", "gru", "rnn"):
        built = "rnn" if sabotage else cell     # sabotage: every arm is the plain RNN (the same run)
        res[cell] = memo(("gates.adding", built, T, H, steps, seed), lambda c=built: train_adding_problem(
            c, seq_len=T, hidden_size=H, batch_size=64, lr=1e-2, clip=1.0, time_limit=float("inf"),
            max_steps=steps, eval_every=50, n_test=1000, stop_below=0.01, seed=seed))
        ex.metric(f"adding_T{T}_{cell}_final_test_mse", res[cell]["final_test_mse"])
        ex.metric(f"adding_T{T}_{cell}_best_test_mse", res[cell]["best_test_mse"])
        ex.metric(f"adding_T{T}_{cell}_steps", res[cell]["steps"])
        ex.metric(f"adding_T{T}_{cell}_seconds", res[cell]["seconds"])
    ex.metric("adding_baseline_mse", res["rnn"]["baseline_mse"])
    ex.check(f"adding problem T = {T}: LSTM test MSE < 0.05", res["lstm"]["final_test_mse"] < 0.05)
    ex.check(f"adding problem T = {T}: GRU test MSE < 0.05", res["gru"]["final_test_mse"] < 0.05)
    # 1/12 = Var(earlier marked value): knowing the later one exactly and nothing of the earlier
    # one leaves that error, so below it a model must have carried the earlier value (the claim)
    ex.check(f"adding problem T = {T}: tanh RNN best test MSE ≥ 1/12 within the same step budget",
             res["rnn"]["best_test_mse"] >= 1 / 12)
    worst_gated = max(res["lstm"]["final_test_mse"], res["gru"]["final_test_mse"])
    ex.check(f"adding problem T = {T}: tanh RNN best ≥ 3× the worse gated cell's test MSE",
             res["rnn"]["best_test_mse"] >= 3 * worst_gated)
    return T, res


def _charlm(ex, full, seed):
    from rosenblatt.models.charlm import CharLM, bigram_perplexity, generate, perplexity, train_charlm
    from rosenblatt.utils.data.datasets.text import TextCorpus, load_corpus
    H, steps = (128, 3000) if full else (64, 300)
    corpus = TextCorpus(load_corpus())
    V = len(corpus.vocab)
    bigram = bigram_perplexity(corpus.train, corpus.val, V)
    ex.metric("charlm_bigram_val_perplexity", bigram)
    ppl, samples = {}, {}
    for k, cell in enumerate(("rnn", "gru", "lstm")):
        rb.manual_seed(seed + k)
        model = CharLM(V, 32, H, cell=cell)
        train_charlm(model, corpus.train, None, epochs=1, batch_size=32, num_steps=32, lr=1e-2, clip=1.0,
                     use_random_iter=True, max_steps=steps)
        ppl[cell] = perplexity(model, corpus.val, 32, 64)
        g = np.random.default_rng(seed)
        samples[cell] = generate(model, corpus.vocab, "The ", 120, temperature=0.7, generator=g)
        ex.metric(f"charlm_{cell}_val_perplexity", ppl[cell])
        ex.notes.append(f"{cell.upper()} sample (T=0.7): {samples[cell]!r}")
    ex.metric("charlm_train_steps", steps)
    ex.metric("charlm_hidden_size", H)
    ex.check("every character LM (RNN, GRU, LSTM) beats the bigram perplexity",
             all(p < bigram for p in ppl.values()))
    return bigram, ppl, samples


def run(full=False, seed=0, sabotage=False):
    from rosenblatt.kernels.cpu.threads import blas_threads
    with blas_threads(1):       # many tiny per-step GEMMs: one BLAS thread is fastest
        return _run(full, seed, sabotage)


def _run(full, seed, sabotage=False):
    ex = Experiment(__name__, full=full, seed=seed, sabotage=sabotage)
    from rosenblatt.utils.data.datasets.sequence_tasks import adding_problem
    T, res = _adding(ex, full, seed, sabotage)
    ex.metric(f"adding_T{T}_margin_rnn_best_over_worst_gated",
              res["rnn"]["best_test_mse"] / max(res["lstm"]["final_test_mse"], res["gru"]["final_test_mse"]))
    if sabotage:
        return ex.finish()

    # -- gates over one test sequence -------------------------------------------------------------
    X, y = adding_problem(1, T, generator=np.random.default_rng(seed + 7))
    x = X.numpy()[0].astype(np.float64)
    gru, lstm = res["gru"]["model"], res["lstm"]["model"]
    G, L = gru_gates(gru.rnn, x), lstm_gates(lstm.rnn, x)
    xt = rb.tensor(np.ascontiguousarray(X.numpy().transpose(1, 0, 2)))
    with rb.no_grad():
        g_out = gru.rnn(xt)[0].numpy()[:, 0]
        l_out = lstm.rnn(xt)[0].numpy()[:, 0]
        pred = {"gru": float(gru(xt).numpy().ravel()[0]), "lstm": float(lstm(xt).numpy().ravel()[0])}
    diff = max(float(np.abs(G["h"] - g_out).max()), float(np.abs(L["h"] - l_out).max()))
    ex.metric("gates_numpy_vs_layer_max_abs_diff", diff)
    ex.check("NumPy gate recomputation reproduces the GRU and LSTM hidden states (max |diff| < 1e-4)",
             diff < 1e-4)
    marks = np.flatnonzero(x[:, 1] > 0.5)
    # how much the gates react at the markers (mean over units) compared with elsewhere
    other = np.setdiff1d(np.arange(T), marks)
    ex.metric("lstm_input_gate_mean_at_markers", float(L["i"][marks].mean()))
    ex.metric("lstm_input_gate_mean_elsewhere", float(L["i"][other].mean()))
    ex.metric("gru_update_gate_mean_at_markers", float(G["z"][marks].mean()))
    ex.metric("gru_update_gate_mean_elsewhere", float(G["z"][other].mean()))

    bigram, ppl, samples = _charlm(ex, full, seed)

    def draw_gates(fig):
        axes = fig.subplots(6, 1, sharex=True, gridspec_kw={"height_ratios": [1, 2, 2, 2, 2, 2]})
        ts = np.arange(T)
        axes[0].bar(ts, x[:, 0], color="lightgray", width=1.0)
        axes[0].bar(marks, x[marks, 0], color="tab:red", width=1.0)
        axes[0].set_ylabel("input", fontsize=8)
        axes[0].set_title(f"one test sequence (T = {T}); marked values in red, target {float(y.numpy()[0, 0]):.3f}, "
                          f"GRU predicts {pred['gru']:.3f}, LSTM {pred['lstm']:.3f}", fontsize=9)
        panels = [("GRU update z", G["z"]), ("GRU reset r", G["r"]), ("LSTM input i", L["i"]),
                  ("LSTM forget f", L["f"]), ("LSTM output o", L["o"])]
        for ax, (name, a) in zip(axes[1:], panels):
            im = ax.imshow(a.T, aspect="auto", cmap="magma", vmin=0, vmax=1, interpolation="nearest",
                           extent=(-0.5, T - 0.5, a.shape[1] - 0.5, -0.5))
            for m in marks:
                ax.axvline(m, color="cyan", lw=0.8, ls="--")
            ax.set_ylabel(name + "\n(unit)", fontsize=8)
        axes[-1].set_xlabel("time step")
        fig.colorbar(im, ax=list(axes[1:]), shrink=0.6, label="gate value")

    def draw_lm(fig):
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 2.2]})
        names = ["bigram", "RNN", "GRU", "LSTM"]
        vals = [bigram, ppl["rnn"], ppl["gru"], ppl["lstm"]]
        ax1.bar(names, vals, color=["gray", "tab:blue", "tab:orange", "tab:green"])
        for k, v in enumerate(vals):
            ax1.text(k, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
        ax1.set_ylabel("validation perplexity")
        ax1.set_title("character LMs (pydoc corpus)", fontsize=9)
        ax2.axis("off")
        txt = "\n\n".join(f"{c.upper()}:\n{_wrap(samples[c])}" for c in ("rnn", "gru", "lstm"))
        ax2.text(0.0, 1.0, txt, va="top", ha="left", family="monospace", fontsize=7,
                 transform=ax2.transAxes, bbox={"boxstyle": "round", "fc": "0.95", "ec": "0.7"})
        ax2.set_title("samples (prompt 'The ', temperature 0.7)", fontsize=9)

    def draw_curves(fig):
        ax = fig.subplots()
        for cell, c in (("rnn", "tab:blue"), ("gru", "tab:orange"), ("lstm", "tab:green")):
            cur = res[cell]["curve"]
            ax.plot(cur["step"], cur["test_mse"], color=c, label=cell.upper())
        ax.axhline(1 / 6, color="gray", ls=":", label="predict the mean (1/6)")
        ax.axhline(0.05, color="k", ls="--", lw=0.8, label="criterion 0.05")
        ax.set_yscale("log")
        ax.set_xlabel("training step")
        ax.set_ylabel("test MSE")
        ax.set_title(f"adding problem, T = {T}", fontsize=9)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3, which="both")

    ex.figure("adding_problem_curves", draw_curves, figsize=(6.4, 4))
    ex.figure("gate_activations", draw_gates, figsize=(10, 9))
    ex.figure("charlm_perplexity_samples", draw_lm, figsize=(11, 4))
    return ex.finish()


def _wrap(s, width=70):
    s = s.replace("\n", "⏎")
    return "\n".join(s[i:i + width] for i in range(0, len(s), width))
