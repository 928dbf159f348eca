"""Training runs beside a busy neighbour: alone, next to one busy-looping process, and next
to it with one BLAS thread -- for one or more source trees, alternating, in one run.

    python benchmarks/busy.py TREE [TREE ...] [--rounds 3] [--only charlm,lenet5]

Each run is a fresh ``python -m rosenblatt train ...`` process of that tree (wall time
from start to exit, so imports and data loading count too).  The neighbour is
``python -c "while True: pass"``, started a second before the run.  Prints the median
over rounds per tree, run and setting, and each setting's time over the one-thread time.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = {
    "charlm": ["train", "charlm", "--cell", "lstm", "--max-steps", "60"],
    "lenet5": ["train", "lenet5", "--dataset", "fashion-mnist", "--limit", "30720", "--epochs", "1"],
}
SETTINGS = ["alone", "busy", "busy, 1 BLAS thread"]


def one_run(tree, args, setting):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env["PYTHONPATH"] = tree
    if setting.endswith("1 BLAS thread"):
        env["OPENBLAS_NUM_THREADS"] = "1"
    busy = None
    if setting.startswith("busy"):
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(1.0)
    try:
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "rosenblatt", *args, "--out", out], cwd=tree,
                           env=env, check=True, stdout=subprocess.DEVNULL)
            return time.perf_counter() - t0
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("trees", nargs="+")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default=",".join(RUNS))
    a = ap.parse_args(argv)
    runs = a.only.split(",")
    times = {}
    for r in range(a.rounds):
        for run in runs:
            for setting in SETTINGS:
                for tree in a.trees:
                    times.setdefault((tree, run, setting), []).append(
                        one_run(os.path.abspath(tree), RUNS[run], setting))
        print(f"round {r + 1}/{a.rounds} done", file=sys.stderr)
    print("| tree | run | " + " | ".join(SETTINGS) + " | busy / busy with 1 thread |")
    print("|---|---|" + "---|" * (len(SETTINGS) + 1))
    for tree in a.trees:
        for run in runs:
            med = [statistics.median(times[(tree, run, s)]) for s in SETTINGS]
            cells = " | ".join(f"{m:.1f} s" for m in med)
            print(f"| {tree} | {run} | {cells} | {med[1] / med[2]:.2f} |")


if __name__ == "__main__":
    main()
