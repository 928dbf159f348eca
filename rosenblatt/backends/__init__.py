"""``rb.backends``: PyTorch's backend switches, for programs that set them.

Seeding boilerplate writes ``torch.backends.cudnn.deterministic = True`` and device pickers
ask ``torch.backends.mps.is_available()``; both work here.  Nothing reads the cuDNN flags
(rosenblatt is deterministic on the CPU already); the GPU backends report unavailable.
Not to be confused with :mod:`rosenblatt.backend` (the array module and the kernel switch).
"""
from . import cudnn, mps  # noqa: F401

__all__ = ["cudnn", "mps"]
