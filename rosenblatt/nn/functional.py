"""``rosenblatt.nn.functional``: the stateless ops, as in ``torch.nn.functional``.

They live in :mod:`rosenblatt.functional`; this module re-exports them so that
``import rosenblatt.nn.functional as F`` reads like PyTorch.
"""
from ..functional import *  # noqa: F401,F403
from ..functional import __dict__ as _all

globals().update({k: v for k, v in _all.items() if not k.startswith("__")})
