"""``rosenblatt.labs``: every claim of the course as a runnable, checked experiment.

    >>> import rosenblatt as rb
    >>> rb.labs.names()[:3]
    ['xor', 'linear-collapse', 'universal-approximation']
    >>> r = rb.labs.run("xor")          # quick mode, seed 0
    >>> r.passed, r.metrics["perceptron_best_correct"]

Each lab returns a :class:`LabResult` (claim in English and Chinese, criterion,
measured metrics, pass/fail, matplotlib figures, seconds, reference).  The
command line runs them too: ``rosenblatt lab xor --out out/``,
``rosenblatt tour --out out/tour`` (an HTML report of every lab).
"""
from .base import LabResult, Experiment  # noqa: F401
from .registry import names, get, run, register  # noqa: F401
from .glossary import GLOSSARY  # noqa: F401

__all__ = ["LabResult", "Experiment", "names", "get", "run", "register", "GLOSSARY"]
