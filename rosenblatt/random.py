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
    _generator = Generator().manual_seed(int(seed))   # the same stream as default_rng(seed)
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


class Generator(np.random.Generator):
    """``torch.Generator``: an independent seeded stream for ``generator=`` arguments.

    It *is* a ``numpy.random.Generator`` (PCG64), so it is accepted wherever rosenblatt takes
    one (``DataLoader``, ``random_split``, samplers, ``multinomial``).  ``manual_seed(s)``
    reseeds it in place (the same stream as ``numpy.random.default_rng(s)``); ``get_state()``
    returns a uint8 tensor that ``set_state`` restores.
    """

    default_seed = 67280421310721                   # torch's default

    def __init__(self, device="cpu"):
        if str(device) not in ("cpu", "cpu:0"):
            raise RuntimeError(f"Generator: only the 'cpu' device is available, got {device!r}")
        super().__init__(np.random.PCG64(self.default_seed))
        self.device = "cpu"
        self._initial_seed = self.default_seed

    def manual_seed(self, seed):
        """Reseed with the int ``seed``; returns the generator."""
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
        self._initial_seed = int(seed) % (2 ** 64)
        self.bit_generator.state = np.random.PCG64(self._initial_seed).state
        return self

    def seed(self):
        """Reseed from the operating system's entropy; returns the new seed."""
        s = int(np.random.SeedSequence().entropy % (2 ** 63))
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._initial_seed

    def get_state(self):
        """The state as a uint8 tensor (JSON text of the bit generator's state)."""
        from .autograd.tensor import Tensor
        raw = json.dumps({"state": self.bit_generator.state, "seed": self._initial_seed})
        return Tensor._make(np.frombuffer(raw.encode(), np.uint8).copy(), None, 0)

    def set_state(self, new_state):
        """Restore a state from :meth:`get_state`; returns the generator."""
        data = getattr(new_state, "data", new_state)
        if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 1):
            raise TypeError("set_state: expected the uint8 tensor returned by get_state()")
        saved = json.loads(data.tobytes().decode())
        self.bit_generator.state = saved["state"]
        self._initial_seed = saved["seed"]
        return self

    def __repr__(self):
        return f"<rosenblatt.Generator(seed={self._initial_seed})>"


_generator = Generator().manual_seed(0)


def resolve(generator, where):
    """The generator a ``generator=`` argument names: itself, or the global one for None."""
    if generator is None:
        return _generator
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{where}(): argument 'generator' must be a rosenblatt.Generator, not "
                        f"{type(generator).__name__}")
    return generator
