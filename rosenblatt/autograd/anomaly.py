"""``detect_anomaly``: stop the backward pass at the first op whose gradient holds NaN.

Off by default; when on, the engine hands every node's returned gradients to :func:`check`
(one flag test per node otherwise).  Like ``torch.autograd.detect_anomaly`` it works as a
``with`` block and as a decorator, and the error names the op::

    RuntimeError: Function 'LogBackward' returned nan values in its 0th output.
"""
import contextlib
import warnings

from .. import backend

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]

#: [enabled, check_nan]; a list so the engine reads it without a global lookup chain
state = [False, True]


def is_anomaly_enabled():
    return state[0]


def is_anomaly_check_nan_enabled():
    return state[1]


def check(node, grads):
    """Raise if any gradient ``node`` returned contains NaN (arrays or Tensors)."""
    if not state[1]:
        return
    for i, g in enumerate(grads):
        if g is None:
            continue
        a = g if backend.is_array(g) else g.data          # the engine carries arrays or Tensors
        xp = backend.get_array_module(a)
        if a.dtype.kind in "fc" and xp.isnan(a).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


class set_detect_anomaly(contextlib.ContextDecorator):
    """Turn anomaly detection on or off (``mode``), for a ``with`` block, a decorated function,
    or from now on when simply called."""

    def __init__(self, mode, check_nan=True):
        self.prev = tuple(state)
        state[0], state[1] = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        state[0], state[1] = self.prev
        return False


class detect_anomaly(contextlib.ContextDecorator):
    """``with rb.autograd.detect_anomaly(): loss.backward()`` (or ``@detect_anomaly()``):
    a NaN in any op's gradient raises, naming the op."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self.prev = None

    def __enter__(self):
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)
        self.prev = tuple(state)
        state[0], state[1] = True, bool(self.check_nan)
        return self

    def __exit__(self, *exc):
        state[0], state[1] = self.prev
        return False
