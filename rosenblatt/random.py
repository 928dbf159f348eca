"""One seeded generator for everything random: init, dropout, shuffling.

``rb.manual_seed(s)`` resets it, so the same seed gives the same run.
"""
import json

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed):
    """Seed the global generator (like ``torch.manual_seed``); returns it."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed) % (2 ** 64))
    return _generator


def seed(s=None):
    return manual_seed(0 if s is None else s)


def default_generator():
    """The global ``numpy.random.Generator`` used by every random op."""
    return _generator


def get_rng_state():
    """The generator state as a JSON string (storable in an ``.npz`` without pickle)."""
    return json.dumps(_generator.bit_generator.state)


def set_rng_state(state):
    """Restore a state returned by :func:`get_rng_state`."""
    if isinstance(state, np.ndarray):
        state = str(state)
    _generator.bit_generator.state = json.loads(state)
