"""Progress reporting for training loops: a tqdm bar on a terminal, plain lines elsewhere."""
import sys

__all__ = ["progress_mode", "format_seconds", "eta_text", "tqdm_or_none", "epoch_bar"]


def tqdm_or_none():
    """tqdm's ``tqdm`` class, or None when tqdm is not installed."""
    try:
        from .._optional import require
        return require("tqdm").tqdm
    except ImportError:
        return None


def progress_mode(progress, stream=None):
    """How progress is shown: ``"bar"`` (a tqdm bar), ``"plain"`` (printed lines) or None.

    ``"auto"``: a bar when tqdm is installed and ``stream`` (default ``sys.stderr``, where
    bars are drawn) is a terminal, else plain lines, so that a redirected log gets lines
    rather than carriage returns.  ``True``/``"bar"``: a bar when tqdm is installed, else
    plain lines.  ``"plain"``: plain lines.  ``False``/``None``/``"none"``: nothing.
    """
    if progress in (False, None, "none"):
        return None
    if progress == "plain" or tqdm_or_none() is None:
        return "plain"
    if progress == "auto":
        stream = sys.stderr if stream is None else stream
        isatty = getattr(stream, "isatty", None)
        return "bar" if isatty is not None and isatty() else "plain"
    return "bar"


def format_seconds(seconds):
    """``42s``, ``3m07s``, ``1h05m``: a duration for progress lines."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def eta_text(done, total, seconds):
    """``"ETA 1m10s"``: the time left if the remaining ``total - done`` units take as long as
    the ``done`` ones did in ``seconds``; ``""`` when it cannot be told."""
    if not total or not done or done >= total:
        return ""
    return f"ETA {format_seconds(seconds / done * (total - done))}"


def epoch_bar(tqdm, loader, epoch, epochs):
    """A tqdm bar over one epoch's batches (None when ``tqdm`` is None)."""
    if tqdm is None:
        return None
    total = len(loader) if hasattr(loader, "__len__") else None
    return tqdm(total=total, desc=f"epoch {epoch}/{epochs}", leave=True, dynamic_ncols=True,
                file=sys.stderr, unit="batch")
