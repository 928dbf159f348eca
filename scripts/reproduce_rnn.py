"""Reproduce the RNN chapter's claims and record the curves.

1. Adding problem, T=100 (Hochreiter & Schmidhuber 1997): LSTM and GRU reach test
   MSE < 0.05 within the time budget (default 5 minutes each on 2 cores); a tanh RNN
   with the same budget stays near the constant-prediction baseline (1/6 ≈ 0.167; claim: ≥ 0.15).
2. Character LM on the default corpus (CPython's pydoc topics): validation perplexity of
   RNN, GRU, LSTM against the add-one bigram baseline on the same split, plus samples.

    python scripts/reproduce_rnn.py [--budget 300] [--charlm-seconds 120] [--out runs/reproduce_rnn]

Writes ``adding_curves.csv``, ``results.json`` into ``--out``.
"""
import argparse
import csv
import json
import os
import pathlib
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import rosenblatt as rb  # noqa: E402
from rosenblatt.models.adding import train_adding_problem  # noqa: E402
from rosenblatt.models.charlm import CharLM, bigram_perplexity, generate, train_charlm  # noqa: E402
from rosenblatt.utils.data.datasets.text import TextCorpus, load_corpus  # noqa: E402


def adding(args, results):
    out = {}
    rows = []
    for cell in ("lstm", "gru", "rnn"):
        r = train_adding_problem(cell, seq_len=args.seq_len, hidden_size=args.hidden,
                                 time_limit=args.budget, eval_every=100,
                                 stop_below=args.stop_below if cell != "rnn" else None,
                                 seed=args.seed, log=print)
        r.pop("model")
        curve = r["curve"]
        for i in range(len(curve["step"])):
            rows.append({"cell": cell, **{k: curve[k][i] for k in curve}})
        below = [s for s, m in zip(curve["seconds"], curve["test_mse"]) if m < 0.05]
        r["seconds_to_mse_0.05"] = below[0] if below else None
        if cell == "rnn":
            r["claim"] = "final test MSE >= 0.15"
            r["claim_met"] = r["final_test_mse"] >= 0.15
        else:
            r["claim"] = f"test MSE < 0.05 within {args.budget:.0f} s"
            r["claim_met"] = r["best_test_mse"] < 0.05
        out[cell] = r
        print(f"== adding T={args.seq_len} {cell}: best test MSE {r['best_test_mse']:.4f}, final "
              f"{r['final_test_mse']:.4f} after {r['steps']} steps / {r['seconds']:.0f} s; "
              f"claim {r['claim']}: {'MET' if r['claim_met'] else 'NOT MET'}", flush=True)
    with open(args.out / "adding_curves.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["cell", "step", "seconds", "train_mse", "test_mse"])
        w.writeheader()
        w.writerows(rows)
    results["adding_problem"] = out


def charlm(args, results):
    text = load_corpus(None)
    corpus = TextCorpus(text, val_fraction=0.1)
    V = len(corpus.vocab)
    bigram = bigram_perplexity(corpus.train, corpus.val, V)
    res = {"corpus_chars": len(text), "vocab": V, "bigram_val_perplexity": bigram, "models": {}}
    print(f"== char LM: {len(text)} chars, vocab {V}; bigram (add-one) validation perplexity "
          f"{bigram:.2f}", flush=True)
    for cell in ("rnn", "gru", "lstm"):
        rb.manual_seed(args.seed)
        m = CharLM(V, 64, args.charlm_hidden, cell=cell)
        h = train_charlm(m, corpus.train, corpus.val, epochs=100, batch_size=32, num_steps=64,
                         lr=2e-3, time_limit=args.charlm_seconds, log=None)
        rb.manual_seed(args.seed)
        sample = generate(m, corpus.vocab, "The ", 300, temperature=0.8)
        res["models"][cell] = {"val_perplexity": h["val_ppl"][-1], "steps": h["steps"],
                               "seconds": h["seconds"], "loss_curve": list(zip(h["step"], h["loss"])),
                               "sample": sample}
        print(f"== char LM {cell}: validation perplexity {h['val_ppl'][-1]:.2f} (bigram {bigram:.2f}) "
              f"after {h['steps']} steps / {h['seconds']:.0f} s\n{sample}\n", flush=True)
    results["charlm"] = res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=300, help="seconds per adding-problem run")
    ap.add_argument("--seq-len", type=int, default=100)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--stop-below", type=float, default=0.01,
                    help="stop an LSTM/GRU adding run once test MSE is below this")
    ap.add_argument("--charlm-seconds", type=float, default=120)
    ap.add_argument("--charlm-hidden", type=int, default=256)
    ap.add_argument("--skip-adding", action="store_true")
    ap.add_argument("--skip-charlm", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=pathlib.Path, default=pathlib.Path("runs/reproduce_rnn"))
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "args": {k: str(v) for k, v in vars(args).items()}}
    if not args.skip_adding:
        adding(args, results)
    if not args.skip_charlm:
        charlm(args, results)
    with open(args.out / "results.json", "w") as f:
        json.dump(results, f, indent=1, default=float)
    print(f"wrote {args.out / 'results.json'}")


if __name__ == "__main__":
    main()
