"""``rb.cuda``: PyTorch's CUDA queries, answered for a CPU-only library.

``is_available()`` is False and ``device_count()`` 0, so the usual
``device = rb.device("cuda" if rb.cuda.is_available() else "cpu")`` picks the CPU.
The seeding calls are no-ops, as in PyTorch without a GPU, so seeding code runs unchanged.
"""

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize",
           "empty_cache", "current_device"]


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """No-op (no GPU generator to seed), as ``torch.cuda.manual_seed`` without a GPU."""


def manual_seed_all(seed):
    """No-op, as ``torch.cuda.manual_seed_all`` without a GPU."""


def synchronize(device=None):
    raise RuntimeError("rb.cuda.synchronize: CUDA is not available: rosenblatt runs on the CPU "
                       "with NumPy")


def empty_cache():
    """No-op (there is no GPU memory cache)."""


def current_device():
    raise RuntimeError("rb.cuda.current_device: CUDA is not available: rosenblatt runs on the CPU "
                       "with NumPy")
