"""Instruction counts of one training step, for A/B comparisons on a noisy machine.

    python benchmarks/icount.py TREE [TREE ...] [--what ops,fwd,mlp,gru,lenet_sigmoid]

Runs each step under ``valgrind --tool=callgrind`` on one thread, once with 1 step and once with
5 (after 2 warm-up steps), and prints (count(5) - count(1)) / 4: the instructions of one step,
start-up excluded.  Counts do not depend on what else the machine is doing, so two source trees
can be compared to well under 1% where wall-clock A/Bs (benchmarks/ab.py) swing by 10% on a
shared VM.  Instructions are not seconds (memory stalls and threads are not counted); use this
to tell whether a change added work, and ab.py for time.  Each TREE is a checkout whose
``rosenblatt`` package is imported (e.g. ``git worktree add /tmp/base REV``).
String hashing is randomised per process, and the dict probes it decides move a step's count
by up to 2% (the same tree counted 11.53 M and 11.79 M with two hash seeds), so each count
pins ``PYTHONHASHSEED`` (both runs of a difference share it) and the result is the mean
over ``--seeds`` (default 0,1,2,3), printed with its range; ``-j`` runs counts in parallel.
Steps: ``ops`` 100 x (mul, add, tanh, sum) forward + backward on an (8,) tensor; ``fwd`` the
same forward under no_grad; ``mlp`` an MLP 784-256-256-10 SGD step; ``gru``/``lstm``/``rnn`` a
char-LM step (batch 32 x 64, hidden 256, Adam); ``lenet_sigmoid``/``lenet_modern``/``alexnet``
a CNN SGD step.  GRU and CNN steps take minutes under valgrind.
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys


def _step(what):
    """Build the step function ``what`` (runs in the child process)."""
    import numpy as np
    import rosenblatt as rb
    from rosenblatt import nn
    import rosenblatt.nn.functional as F
    rng = np.random.default_rng(0)
    rb.manual_seed(0)

    def images(n, c, size):
        x = rb.tensor(rng.standard_normal((n, c, size, size)).astype(np.float32))
        return x, rb.tensor(rng.integers(0, 10, n))

    def sgd_step(model, x, y):
        opt = rb.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def step():
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        return step

    if what in ("gru", "lstm", "rnn"):
        cell = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}[what]
        emb, rnn, fc = nn.Embedding(65, 64), cell(64, 256), nn.Linear(256, 65)
        opt = rb.optim.Adam([p for m in (emb, rnn, fc) for p in m.parameters()], lr=1e-3)
        x = rb.tensor(rng.integers(0, 65, (64, 32)))
        y = rb.tensor(rng.integers(0, 65, (64 * 32,)))

        def step():
            opt.zero_grad()
            out, _ = rnn(emb(x))
            F.cross_entropy(fc(out).reshape(-1, 65), y).backward()
            opt.step()
        return step
    if what == "alexnet":
        return sgd_step(rb.models.AlexNetSmall(), *images(64, 3, 32))
    if what in ("lenet_sigmoid", "lenet_modern"):
        return sgd_step(rb.models.LeNet5(variant=what.split("_")[1]), *images(128, 1, 28))
    if what == "mlp":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                              nn.Linear(256, 10))
        x = rb.tensor(rng.standard_normal((128, 784)).astype(np.float32))
        return sgd_step(model, x, rb.tensor(rng.integers(0, 10, 128)))
    if what in ("ops", "fwd"):
        a = rb.randn(8, requires_grad=True)

        def step():
            if what == "fwd":
                with rb.no_grad():
                    for _ in range(100):
                        (a * 2 + 1).tanh().sum()
            else:
                for _ in range(100):
                    (a * 2 + 1).tanh().sum().backward()
        return step
    raise SystemExit(f"icount: unknown step {what!r}; expected one of {', '.join(STEPS)}")


STEPS = ("ops", "fwd", "mlp", "gru", "lstm", "rnn", "lenet_sigmoid", "lenet_modern", "alexnet")


def _child(tree, what, n):
    sys.path.insert(0, tree)
    step = _step(what)
    for _ in range(2 + n):
        step()


def count(tree, what, n, seed=0):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONHASHSEED=str(seed),
               ROSENBLATT_ADAPTIVE_THREADS="0")     # no /proc/stat reads on a wall-clock timer
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
           __file__, "--child", tree, what, str(n)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


def main(argv=None):
    if argv is None and sys.argv[1:2] == ["--child"]:
        return _child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trees", nargs="+")
    ap.add_argument("--what", default="ops,fwd,mlp")
    ap.add_argument("--seeds", default="0,1,2,3", help="PYTHONHASHSEED values to average over")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="valgrind runs at a time")
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        runs = {(what, tree, n, s): pool.submit(count, tree, what, n, s) for what in
                args.what.split(",") for tree in args.trees for n in (1, 5) for s in seeds}
        for what in args.what.split(","):
            for tree in args.trees:
                steps = [(runs[what, tree, 5, s].result() - runs[what, tree, 1, s].result()) // 4
                         for s in seeds]
                mean = sum(steps) // len(steps)
                print(f"{what:14s} {tree}: {mean:,} instructions per step (mean of {len(seeds)} "
                      f"hash seeds; {min(steps):,}..{max(steps):,})", flush=True)


if __name__ == "__main__":
    sys.exit(main())
