#!/usr/bin/env python
"""Run every lab in full (paper-sized) mode and write the results table into docs/LABS.md.

    python scripts/reproduce_labs.py                 # all labs, full mode, seed 0
    python scripts/reproduce_labs.py --quick         # the quick versions (what the tour runs)
    python scripts/reproduce_labs.py --only xor,kaiming --out out/labs-full

The table (lab, claim, measured headline numbers, verdict, time, published
reference) replaces the text between the ``<!-- results:start -->`` and
``<!-- results:end -->`` markers of docs/LABS.md.  ``--out DIR`` also writes
the HTML report, results.json and every figure.
"""
import argparse
import datetime
import os
import platform
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from rosenblatt import labs  # noqa: E402
from rosenblatt.cli.labs import run_tour  # noqa: E402

START, END = "<!-- results:start -->", "<!-- results:end -->"


def _fmt(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    if v != 0 and (abs(v) >= 1e4 or abs(v) < 1e-3):
        return f"{v:.2e}"
    return f"{v:.4g}"


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(results):
    rows = ["| # | Lab | Claim | Measured | Verdict | Time | Published reference |",
            "|---|-----|-------|----------|---------|------|---------------------|"]
    for i, r in enumerate(results, 1):
        try:
            keys = getattr(labs.get(r.name).module, "HEADLINE", None)
        except Exception:  # noqa: BLE001
            keys = None
        keys = [k for k in (keys or list(r.metrics)[:6]) if k in r.metrics]
        measured = "<br>".join(f"`{k}` = {_fmt(r.metrics[k])}" for k in keys) or "(no metrics)"
        claim = f"{r.claim}<br>{r.claim_zh}"
        verdict = "**PASS**" if r.passed else "**FAIL**"
        rows.append(f"| {i} | `{r.name}` | {_cell(claim)} | {_cell(measured)} | {verdict} | "
                    f"{r.seconds:.1f} s | {_cell(r.reference)} |")
    return "\n".join(rows)


def write_table(results, path, full, seed, wall):
    mode = "full" if full else "quick"
    n_pass = sum(r.passed for r in results)
    header = (f"Mode: **{mode}**, seed {seed}; {n_pass}/{len(results)} labs pass; "
              f"{wall:.0f} s in all on {os.cpu_count()} CPU core(s), Python {platform.python_version()}, "
              f"NumPy {np.__version__}; generated {datetime.date.today().isoformat()} by "
              f"`python scripts/reproduce_labs.py{'' if full else ' --quick'}`.")
    block = f"{START}\n{header}\n\n{table(results)}\n{END}"
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n## Results\n\n" + block + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="run the quick versions instead of full")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", default=None, help="comma-separated lab names")
    p.add_argument("--out", default=None, help="also write index.html, results.json and figures here")
    p.add_argument("--doc", default=os.path.join(ROOT, "docs", "LABS.md"))
    args = p.parse_args(argv)
    names = [n.strip() for n in args.only.split(",")] if args.only else None
    full = not args.quick
    t0 = time.perf_counter()
    results = run_tour(names, full=full, seed=args.seed, out=args.out)
    wall = time.perf_counter() - t0
    if args.out:
        from rosenblatt.labs.report import save_result
        for r in results:
            save_result(r, os.path.join(args.out, "labs"))
    for r in results:
        print(f"{'PASS' if r.passed else 'FAIL'}  {r.name:<25} {r.seconds:7.1f} s")
    write_table(results, args.doc, full, args.seed, wall)
    print(f"table written to {args.doc}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
