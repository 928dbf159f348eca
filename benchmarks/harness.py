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


def compare(name, rb_step, torch_step, repeat=20, warmup=3, unit="ms", target=None, note=""):
    """Time ``rb_step()`` and ``torch_step()`` alternately; report medians and the ratio.

    Each callable runs one full step (e.g. forward + backward + update).  Runs
    alternate so that both see the same machine state (thermal, other load).
    """
    for _ in range(warmup):
        rb_step()
        torch_step()
    t_rb, t_torch = [], []
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            rb_step()
            t1 = time.perf_counter()
            torch_step()
            t2 = time.perf_counter()
            t_rb.append(t1 - t0)
            t_torch.append(t2 - t1)
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
