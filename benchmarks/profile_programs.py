"""Where the user programs' time goes (``benchmarks/bench_programs.py``), per op and GEMM share.

    python benchmarks/profile_programs.py [--only lenet,charlm,mlp,gru,alexnet] [--steps 10]
    python benchmarks/profile_programs.py --gemm-share      # instruction counts, under valgrind

The first form times ``--steps`` training steps of each program under ``cProfile`` and
prints the time of every rosenblatt function with self time over 1% (kernels' ``forward``
and ``backward`` are the layers' forward and backward), grouped by op.  ``--gemm-share``
runs each program's steps under callgrind on one thread and reports the share of executed
instructions inside the BLAS library (OpenBLAS): a load-independent measure of how much of
a step is GEMM work, the rest being NumPy's elementwise loops, copies and Python.
"""
import argparse
import cProfile
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import rosenblatt as rb  # noqa: E402
from benchmarks import bench_programs as bp  # noqa: E402

KEYS = ["lenet", "charlm", "mlp", "gru", "alexnet"]


def _step(key):
    if key == "alexnet":                 # make bench's AlexNetSmall row, as a torch-style program
        import numpy as np
        rng = np.random.default_rng(0)
        model = rb.models.AlexNetSmall()
        opt = rb.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x = rb.tensor(rng.standard_normal((64, 3, 32, 32)).astype(np.float32))
        y = rb.tensor(rng.integers(0, 10, 64))

        def step():
            opt.zero_grad()
            rb.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        return step
    return bp.build(rb, key)[1]


def profile(key, steps):
    step = _step(key)
    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    wall = (time.perf_counter() - t0) / steps * 1e3
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    st = pstats.Stats(prof)
    total = sum(v[2] for v in st.stats.values())
    print(f"\n## {key}: {wall:.1f} ms per step (without the profiler)")
    print("| function | ms per step | share |\n|---|---|---|")
    rows = sorted(((v[2], k) for k, v in st.stats.items()), reverse=True)
    for tt, (path, line, name) in rows:
        if tt < 0.01 * total:
            break
        where = os.path.relpath(path, ROOT) if path.startswith(ROOT) else path
        print(f"| {where}:{line} {name} | {tt / steps * 1e3:.2f} | {tt / total:.0%} |")


def _blas_and_total(key, steps):
    """Instructions (BLAS, all) of warm-up + ``steps`` steps of ``key`` under callgrind."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                   ROSENBLATT_ADAPTIVE_THREADS="0")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        sys.executable, os.path.abspath(__file__), "--_steps", key,
                        "--steps", str(steps)],
                       env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ann = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", out],
                             capture_output=True, text=True, check=True).stdout
    total = blas = 0
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\S", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        ir = int(m.group(1).replace(",", ""))
        total += ir
        if "openblas" in line.lower() or "libblas" in line.lower():
            blas += ir
    return blas, total


def gemm_share(key, steps):
    """(BLAS share of a step's instructions, instructions per step): ``steps`` + 1 steps
    minus 1 step, so that start-up and the warm-up step cancel."""
    b1, t1 = _blas_and_total(key, 1)
    b2, t2 = _blas_and_total(key, steps + 1)
    return (b2 - b1) / max(t2 - t1, 1), (t2 - t1) / steps


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", default=",".join(KEYS))
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--gemm-share", action="store_true")
    ap.add_argument("--_steps", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a._steps:                         # inside valgrind: a warm-up step, then the others
        step = _step(a._steps)
        for _ in range(a.steps):
            step()
        return
    for key in a.only.split(","):
        if a.gemm_share:
            share, total = gemm_share(key, a.steps)
            print(f"{key}: {share:.0%} of {total / 1e6:.0f} M instructions per step in the BLAS")
        else:
            profile(key, a.steps)


if __name__ == "__main__":
    main()
