"""A/B of two source trees: ``make bench`` of each, alternating, in one run.

    python benchmarks/ab.py OLD_TREE NEW_TREE [--rounds 3] [--only core,mlp,cnn,rnn] [--quick]

Each round runs ``benchmarks/run.py`` of the old tree, then of the new one (each imports its
own ``rosenblatt``), so that both see the same machine phases.  Per row it prints the median
over rounds of rosenblatt's time and of its ratio to PyTorch (timed in the same process),
and new/old of both: the ratio column cancels the machine's slow and fast phases.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def run_tree(tree, only, quick):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    cmd = [sys.executable, os.path.join(tree, "benchmarks", "run.py"), "--only", only, "--json", out]
    if quick:
        cmd.append("--quick")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    subprocess.run(cmd, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        rows = json.load(f)["rows"]
    os.unlink(out)
    return {r["name"]: r for r in rows}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="core,mlp,cnn,rnn")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    runs = {"old": [], "new": []}
    for r in range(args.rounds):
        for side in ("old", "new"):
            runs[side].append(run_tree(getattr(args, side), args.only, args.quick))
            print(f"round {r + 1}/{args.rounds}: {side} done", file=sys.stderr)
    print("| benchmark | old rb | new rb | new/old time | old ratio | new ratio | new/old ratio |")
    print("|---|---|---|---|---|---|---|")
    for name in runs["old"][0]:
        if not all(name in run for side in runs.values() for run in side):
            continue
        med = {side: (statistics.median(run[name]["rosenblatt"] for run in runs[side]),
                      statistics.median(run[name]["ratio"] for run in runs[side]))
               for side in runs}
        unit = runs["old"][0][name]["unit"]
        (ot, orat), (nt, nrat) = med["old"], med["new"]
        print(f"| {name} | {ot:.3g} {unit} | {nt:.3g} {unit} | {nt / ot:.3f} | {orat:.3f} | "
              f"{nrat:.3f} | {nrat / orat:.3f} |")


if __name__ == "__main__":
    main()
