"""CNN rows: LeNet-5 and AlexNetSmall training steps, a LeNet-5 epoch's peak memory and wall time.

Every training step is forward + cross-entropy + backward + SGD(momentum) step, the same
network and data on both sides; PyTorch gets 2 threads (``setup_torch(2)``).  Peak memory
is measured in fresh subprocesses, one per framework: the growth of the peak resident set
(``VmHWM``, reset with ``/proc/self/clear_refs``; ``ru_maxrss`` where that is unavailable)
over one epoch (plus a warm-up step), after the data and the model are in memory.

    python -m benchmarks.bench_cnn [--quick]          # print this module's rows
    python -m benchmarks.bench_cnn --epoch rb|torch [--limit N]   # (internal) one epoch, JSON out
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import rosenblatt as rb  # noqa: E402
from benchmarks.harness import compare, setup_torch  # noqa: E402

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


# --- the same networks in torch ---------------------------------------------------------

def torch_lenet(torch, variant="modern"):
    nn = torch.nn
    act = {"modern": nn.ReLU, "sigmoid": nn.Sigmoid, "1998": nn.Tanh}[variant]
    pool = nn.MaxPool2d if variant == "modern" else nn.AvgPool2d
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), act(), pool(2), nn.Conv2d(6, 16, 5), act(), pool(2),
                         nn.Flatten(), nn.Linear(400, 120), act(), nn.Linear(120, 84), act(),
                         nn.Linear(84, 10))


def torch_alexnet_small(torch, in_channels=3, num_classes=10, channels=(32, 64, 96, 96, 64), hidden=256):
    nn = torch.nn
    c1, c2, c3, c4, c5 = channels
    return nn.Sequential(
        nn.Conv2d(in_channels, c1, 5, padding=2), nn.ReLU(True), nn.MaxPool2d(3, 2),
        nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU(True), nn.MaxPool2d(3, 2),
        nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(True), nn.Conv2d(c3, c4, 3, padding=1), nn.ReLU(True),
        nn.Conv2d(c4, c5, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(3, 2),
        nn.AdaptiveAvgPool2d((3, 3)), nn.Flatten(),
        nn.Dropout(), nn.Linear(c5 * 9, hidden), nn.ReLU(True), nn.Dropout(), nn.Linear(hidden, hidden),
        nn.ReLU(True), nn.Linear(hidden, num_classes))


def _steps(torch, rb_model, t_model, x, y, lr=0.01):
    rb_opt = rb.optim.SGD(rb_model.parameters(), lr=lr, momentum=0.9)
    t_opt = torch.optim.SGD(t_model.parameters(), lr=lr, momentum=0.9)
    rb_loss, t_loss = rb.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    xr, yr = rb.tensor(x), rb.tensor(y)
    xt, yt = torch.tensor(x), torch.tensor(y)

    def rb_step():
        rb_opt.zero_grad()
        rb_loss(rb_model(xr), yr).backward()
        rb_opt.step()

    def t_step():
        t_opt.zero_grad()
        t_loss(t_model(xt), yt).backward()
        t_opt.step()
    return rb_step, t_step


def _batch(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(np.float32), rng.integers(0, 10, shape[0])


# --- one epoch (run in a subprocess for the memory row) ---------------------------------

def load_fashion(limit=None):
    """Fashion-MNIST training images as float32 (N, 1, 28, 28) in [0, 1] and int64 labels,
    or a random stand-in of the same size when the IDX files are absent."""
    try:
        from rosenblatt.utils.data.datasets import FashionMNIST
        ds = FashionMNIST(train=True)
        raw, y = ds.data.data[:limit], ds.targets.data[:limit].astype(np.int64)
        X = raw.astype(np.float32)[:, None]
        X *= np.float32(1 / 255)                 # in place: no transient second copy
        real = True
    except Exception:
        rng = np.random.default_rng(0)
        n = limit or 60000
        X = rng.random((n, 1, 28, 28), dtype=np.float32)
        y = rng.integers(0, 10, n)
        real = False
    return np.ascontiguousarray(X), y, real


def run_epoch(framework, limit=None, batch=128, threads=None):
    """One LeNet-5 (modern) epoch; returns wall time and ru_maxrss growth (MiB)."""
    X, y, real = load_fashion(limit)
    if framework == "torch":
        torch = setup_torch(threads or int(os.environ.get("BENCH_THREADS", 2)))
        torch.manual_seed(0)
        model = torch_lenet(torch)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = torch.nn.CrossEntropyLoss()
        wrap = torch.from_numpy
    else:
        rb.manual_seed(0)
        model = rb.models.LeNet5("modern")
        opt = rb.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = rb.nn.CrossEntropyLoss()
        wrap = rb.tensor
    perm = np.random.default_rng(0).permutation(len(y))

    def step(idx):
        opt.zero_grad()
        loss_fn(model(wrap(X[idx])), wrap(y[idx])).backward()
        opt.step()
    base = _reset_peak()
    step(perm[:batch])                       # warm-up (inside the memory window, outside the timing)
    t0 = time.perf_counter()
    for i in range(0, len(perm), batch):
        step(perm[i:i + batch])
    wall = time.perf_counter() - t0
    peak = _peak_kib()
    return {"wall_s": wall, "growth_mib": (peak - base) / 1024.0, "peak_mib": peak / 1024.0,
            "samples": int(len(y)), "real_data": real}


def _status_kib(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak():
    """Current RSS (KiB), after resetting the peak where Linux allows it (clear_refs 5), so the
    data-loading transient does not hide the epoch's own peak."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return _status_kib("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_kib():
    return _status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _epoch_subprocess(framework, limit=None):
    cmd = [sys.executable, "-m", "benchmarks.bench_cnn", "--epoch", framework]
    if limit:
        cmd += ["--limit", str(limit)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _row(name, unit, ours, theirs, target, note=""):
    ratio = ours / theirs if theirs else float("inf")
    return {"name": name, "unit": unit, "rosenblatt": ours, "torch": theirs, "ratio": ratio,
            "target": target, "met": None if target is None else bool(ratio <= target), "note": note}


def rows(quick=False):
    # 2 torch threads as specified; BENCH_THREADS overrides (set OPENBLAS_NUM_THREADS to the
    # same value for NumPy's BLAS: on an oversubscribed machine threaded BLAS/OpenMP stall).
    torch = setup_torch(int(os.environ.get("BENCH_THREADS", 2)))
    rep = 10 if quick else 30
    out = []

    x, y = _batch((128, 1, 28, 28))
    for variant, label in (("modern", "ReLU/max"), ("sigmoid", "sigmoid/avg")):
        rb.manual_seed(0)
        torch.manual_seed(0)
        ours, theirs = rb.models.LeNet5(variant), torch_lenet(torch, variant)
        rb_step, t_step = _steps(torch, ours, theirs, x, y)
        out.append(compare(f"LeNet-5 {label} train step, batch 128, 1x28x28", rb_step, t_step,
                           repeat=rep, target=1.0))

    xa, ya = _batch((64, 3, 32, 32), seed=1)
    rb.manual_seed(0)
    rb_step, t_step = _steps(torch, rb.models.AlexNetSmall(3, 10), torch_alexnet_small(torch), xa, ya)
    out.append(compare("AlexNetSmall train step, batch 64, 3x32x32", rb_step, t_step,
                       repeat=max(5, rep // 3), target=1.5))

    limit = 12800 if quick else None
    try:
        r, t = _epoch_subprocess("rb", limit), _epoch_subprocess("torch", limit)
    except (subprocess.CalledProcessError, ValueError) as err:
        print(f"epoch subprocess failed: {err}", file=sys.stderr)
        return out
    data = "Fashion-MNIST" if r["real_data"] else "random stand-in data"
    note = f"{r['samples']} samples of {data}, batch 128"
    out.append(_row("LeNet-5 epoch peak memory growth (ru_maxrss)", "MiB", r["growth_mib"],
                    t["growth_mib"], 1.5, note))
    wall = _row("LeNet-5 epoch wall time", "s", r["wall_s"], t["wall_s"], None,
                note + (f"; target: rosenblatt <= 10 s per 60000 -> "
                        f"{'met' if r['wall_s'] * 60000 / r['samples'] <= 10 else 'not met'}"))
    out.append(wall)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--epoch", choices=["rb", "torch"])
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args(argv)
    if args.epoch:
        print(json.dumps(run_epoch(args.epoch, args.limit)))
        return
    from benchmarks.run import table
    print(table(rows(quick=args.quick)))


if __name__ == "__main__":
    main()
