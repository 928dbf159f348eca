"""Every lab as an executed Jupyter notebook in docs/notebooks/ (``make notebooks``).

    python scripts/make_notebooks.py [--out docs/notebooks] [--only xor,backprop] [--no-execute]

Each notebook is generated from its lab module (``rosenblatt.labs.notebook.write_notebook``),
run top to bottom in a fresh ``python3`` kernel (nbclient + ipykernel), and stored with its
outputs; ``docs/notebooks/README.md`` lists them with their verdicts.  Exit status 1 when a
notebook raises or its lab fails.
"""
import argparse
import os
import re
import sys
import time

import nbformat

import rosenblatt as rb
from rosenblatt.labs.notebook import execute_notebook, verdict_of, write_notebook


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs/notebooks", help="folder (default docs/notebooks)")
    ap.add_argument("--only", default=None, help="comma-separated lab names (default: all)")
    ap.add_argument("--no-execute", action="store_true", help="write the notebooks, do not run them")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell (default 1800)")
    args = ap.parse_args(argv)
    names = rb.labs.names() if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in rb.labs.names()]
    if unknown:
        ap.error(f"--only: unknown labs {', '.join(unknown)}; labs: {', '.join(rb.labs.names())}")
    os.makedirs(args.out, exist_ok=True)
    rows, ok = [], True
    for i, name in enumerate(names, 1):
        path = os.path.join(args.out, f"{rb.labs.names().index(name) + 1:02d}-{name}.ipynb")
        write_notebook(name, path)
        if args.no_execute:
            print(f"[{i}/{len(names)}] wrote {path}", flush=True)
            continue
        t0 = time.perf_counter()
        try:
            nb = execute_notebook(path, timeout=args.timeout)
        except Exception as err:  # noqa: BLE001 - report every notebook, then fail
            message = re.sub(r"\x1b\[[0-9;]*m", "", str(err))[-3000:]     # no terminal colours
            print(f"[{i}/{len(names)}] {path}: ERROR {type(err).__name__}: {message}",
                  file=sys.stderr, flush=True)
            ok = False
            continue
        verdict = verdict_of(nb)
        passed = bool(verdict and verdict[0])
        ok &= passed
        print(f"[{i}/{len(names)}] {path}: {'PASS' if passed else 'FAIL'} "
              f"({time.perf_counter() - t0:.1f} s with the kernel's start)", flush=True)
    _write_index(args.out)
    return 0 if ok else 1


def _write_index(out):
    """docs/notebooks/README.md from the notebooks on disk and the verdicts stored in them."""
    rows = []
    for name in rb.labs.names():
        path = os.path.join(out, f"{rb.labs.names().index(name) + 1:02d}-{name}.ipynb")
        if os.path.exists(path):
            verdict = verdict_of(nbformat.read(path, as_version=4))
            rows.append((name, path, "not executed" if verdict is None else
                         "PASS" if verdict[0] else "FAIL", "" if verdict is None else verdict[1]))
    lines = ["# The labs as notebooks · 实验笔记本", "",
             "Generated and executed by `make notebooks` (`scripts/make_notebooks.py`): each lab's "
             "experiment step by step, with its figures and its verdict (quick mode, seed 0).  "
             "`rosenblatt lab NAME --notebook NAME.ipynb` writes one (unexecuted) for you to run "
             "and change.", "",
             "每个实验（quick 模式，随机种子 0）的完整步骤、图和结论；"
             "`rosenblatt lab NAME --notebook NAME.ipynb` 生成一个可以自己运行、修改的笔记本。", "",
             "| # | lab | claim · 论断 | verdict | lab seconds |",
             "|---|---|---|---|---|"]
    for name, path, verdict, seconds in rows:
        spec = rb.labs.get(name)
        lines.append(f"| {rb.labs.names().index(name) + 1} | [{name}]({os.path.basename(path)}) | "
                     f"{spec.claim}<br>{spec.claim_zh} | {verdict} | {seconds} |")
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
