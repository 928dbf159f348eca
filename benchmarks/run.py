"""Run every benchmark module; print a markdown table and write JSON.

    python benchmarks/run.py [--quick] [--only core,mlp,cnn,rnn,programs,reference] [--json benchmarks/results.json]
"""
import argparse
import importlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.harness import machine  # noqa: E402

MODULES = ["core", "mlp", "cnn", "rnn", "programs", "reference"]


def fmt(v):
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def table(rows):
    lines = ["| benchmark | rosenblatt | PyTorch | ratio | target |", "|---|---|---|---|---|"]
    for r in rows:
        tgt = "" if r.get("target") is None else f"≤ {r['target']} {'✓' if r['met'] else '✗'}"
        lines.append(f"| {r['name']} | {fmt(r['rosenblatt'])} {r['unit']} | {fmt(r['torch'])} {r['unit']} "
                     f"| {r['ratio']:.2f} | {tgt} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--only", default=",".join(MODULES))
    ap.add_argument("--json", default="benchmarks/results.json")
    args = ap.parse_args(argv)
    rows = []
    for name in args.only.split(","):
        try:
            mod = importlib.import_module(f"benchmarks.bench_{name}")
        except ImportError as err:
            print(f"skipping {name}: {err}", file=sys.stderr)
            continue
        t0 = time.time()
        got = mod.rows(quick=args.quick)
        print(f"[{name}: {len(got)} rows in {time.time() - t0:.0f}s]", file=sys.stderr)
        rows.extend(got)
    info = machine()
    print(f"Machine: {info}\n")
    print(table(rows))
    with open(args.json, "w") as f:
        json.dump({"machine": info, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
