"""Whether new operations are recorded in the graph (``no_grad`` and friends)."""
import functools

# A one-element list so that ``Function.apply`` reads it without a global lookup chain.
_enabled = [True]


def is_grad_enabled():
    return _enabled[0]


class set_grad_enabled:
    """Context manager and function: ``set_grad_enabled(False)`` turns recording off."""

    def __init__(self, mode):
        self.prev = _enabled[0]
        _enabled[0] = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _enabled[0] = self.prev
        return False


class _GradModeContext:
    mode = True

    def __enter__(self):
        self.prev = _enabled[0]
        _enabled[0] = self.mode
        return self

    def __exit__(self, *exc):
        _enabled[0] = self.prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Disable graph recording: ``with rb.no_grad():`` or ``@rb.no_grad()``."""
    mode = False


class enable_grad(_GradModeContext):
    """Re-enable graph recording inside a ``no_grad`` block."""
    mode = True
