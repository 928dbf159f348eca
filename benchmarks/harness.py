"""Timing harness: rosenblatt and PyTorch in the same process, alternating runs.

Each ``bench_*.py`` module exposes ``rows(quick=False) -> list[dict]`` built with
:func:`compare`; ``benchmarks/run.py`` collects them into a markdown table and JSON.
"""
import gc
import os
import platform
import statistics
import time


def setup_torch(threads=None):
    """Import torch for the comparison, with as many threads as NumPy's BLAS gets."""
    import torch
    torch.set_num_threads(threads or int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1)))
    return torch


#: Pause (s) between blocks: OpenBLAS's worker threads spin for ~0.1 s after their last
#: GEMM (measured: 110 ms of CPU time in the 300 ms after one threaded 512x512 product),
#: and a spinning pool left by one framework would take a core from the other's block.
SETTLE_S = 0.25


def compare(name, rb_step, torch_step, repeat=20, warmup=3, unit="ms", target=None, note="",
            block=5, settle=SETTLE_S):
    """Time ``rb_step()`` and ``torch_step()`` in alternating blocks; report medians and the ratio.

    Each callable runs one full step (e.g. forward + backward + update).  Both run in the
    same process and alternate, so that both see the same machine state (thermal, other
    load): each round pauses ``settle`` seconds, gives one framework one untimed step and
    then ``block`` timed steps, and then does the same for the other, until each has
    ``repeat`` timed steps.  The pause lets the other framework's idle worker threads
    (OpenBLAS's for NumPy, OpenMP's for PyTorch) go to sleep, so that neither is timed
    against the other's spinning threads; alternating every single step without it timed
    mostly that contention (PyTorch's LeNet-5 step read 12-25 ms there, 5.5 ms alone).
    """
    for _ in range(warmup):
        rb_step()
        torch_step()
    t_rb, t_torch = [], []
    gc_was = gc.isenabled()
    gc.disable()
    clock = time.perf_counter
    try:
        while len(t_rb) < repeat:
            n = min(block, repeat - len(t_rb))
            for step, times in ((rb_step, t_rb), (torch_step, t_torch)):
                if settle:
                    time.sleep(settle)
                step()
                for _ in range(n):
                    t0 = clock()
                    step()
                    times.append(clock() - t0)
    finally:
        if gc_was:
            gc.enable()
    scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[unit]
    rb_med = statistics.median(t_rb) * scale
    torch_med = statistics.median(t_torch) * scale
    ratio = rb_med / torch_med
    return {"name": name, "unit": unit, "rosenblatt": rb_med, "torch": torch_med,
            "ratio": ratio, "target": target,
            "met": None if target is None else bool(ratio <= target), "note": note}


def machine():
    """A one-line description of the machine the numbers come from."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import numpy
    try:
        import torch
        tv = torch.__version__
    except ImportError:
        tv = "n/a"
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"NumPy {numpy.__version__}, PyTorch {tv}")
