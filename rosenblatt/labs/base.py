"""What a lab is: a claim of the course, an experiment that measures it, a verdict.

A lab module defines its metadata as module constants and a ``run`` function::

    NAME = "xor"
    TITLE = "XOR and the single-layer perceptron"
    CLAIM = "A single-layer perceptron cannot represent XOR"
    CLAIM_ZH = "单层感知机无法解决异或问题"
    CRITERION = "..."                    # how the claim is judged, in words
    REFERENCE = "Minsky & Papert (1969), Perceptrons"
    HEADLINE = ["perceptron_best_correct", ...]   # optional: metrics for docs/LABS.md
    CRITERION_FULL = "..."               # optional: the criterion of the full version
    SABOTAGE = "..."                     # what ``sabotage=True`` removes (the claim's mechanism)
    EFFECT = ["mlp_seeds_at_100pct"]     # the claim-level metrics (docs/LABS.md: spread, sabotaged)

    def run(full=False, seed=0, sabotage=False):
        ex = Experiment(__name__, full=full, seed=seed, sabotage=sabotage)  # seeds rb, starts the clock
        acc = ...                                          # measure
        ex.metric("mlp_accuracy", acc)
        ex.check("MLP reaches 100%", acc == 1.0)           # passed = every check holds
        ex.figure("boundaries", draw_fn, figsize=(8, 4))   # draw_fn(fig) fills a Figure
        return ex.finish()

``passed`` is never written by hand: it is the conjunction of the checks, and
each check is computed from measured numbers.

**Sabotage.**  A verdict that cannot fail proves nothing, so every lab takes
``sabotage=True``: the same experiment with the claim's mechanism removed
(dropout p = 0, gates replaced by a plain RNN, Xavier replaced by N(0, 0.01),
...), described by the module's ``SABOTAGE`` string.  A sound lab then FAILS;
``tests/labs/test_sabotage.py`` holds every lab to that.  The lab reads the
knob as ``ex.sabotage`` (one flag, one place: the sabotaged result says so in
its notes and in ``LabResult.sabotage``).  Figures are plain
``matplotlib.figure.Figure`` objects (no pyplot, no global state, the Agg
canvas); without matplotlib a lab still runs and reports its numbers.
"""
import importlib
import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from .. import random as _random

__all__ = ["LabResult", "Experiment", "new_figure", "has_matplotlib", "memo"]

_MEMO = {}


def memo(key, compute):
    """``compute()`` once per process for ``key`` (a tuple naming *every* input of the sub-run).

    For deterministic sub-runs that seed themselves -- a normal run and its sabotaged twin
    often share an arm (the plain RNN, the p = 0 network, the trained LeNet-5), and the
    sabotage tests would otherwise train it twice.  Only for results that do not depend on
    the caller's random state; a handful are kept.
    """
    if key not in _MEMO:
        if len(_MEMO) >= 16:
            _MEMO.clear()
        _MEMO[key] = compute()
    return _MEMO[key]


@dataclass
class LabResult:
    """The outcome of one lab run."""

    name: str
    claim: str                       # the course's claim, in English
    claim_zh: str                    # ... and in Chinese (the course's words)
    criterion: str                   # how ``passed`` is decided, in words
    metrics: dict = field(default_factory=dict)    # str -> number (measured)
    passed: bool = False
    figures: dict = field(default_factory=dict)    # str -> matplotlib Figure
    seconds: float = 0.0
    reference: str = ""              # the published result the lab reproduces
    title: str = ""
    checks: dict = field(default_factory=dict)     # criterion part -> bool
    full: bool = False
    seed: int = 0
    notes: list = field(default_factory=list)      # anything worth saying (e.g. figures skipped)
    sabotage: bool = False           # run with the claim's mechanism removed (see SABOTAGE)

    @property
    def claims(self):
        """``{"en": ..., "zh": ...}``."""
        return {"en": self.claim, "zh": self.claim_zh}

    def summary(self):
        """The ``results.json`` entry: name, passed, metrics, seconds."""
        return {"name": self.name, "passed": bool(self.passed),
                "metrics": {k: _number(v) for k, v in self.metrics.items()},
                "seconds": round(float(self.seconds), 3)}

    def to_dict(self):
        """Everything but the figures (their names only), JSON-ready."""
        d = self.summary()
        d.update(title=self.title, claim=self.claim, claim_zh=self.claim_zh,
                 criterion=self.criterion, reference=self.reference,
                 checks={k: bool(v) for k, v in self.checks.items()}, full=bool(self.full),
                 seed=int(self.seed), figures=sorted(self.figures), notes=list(self.notes),
                 sabotage=bool(self.sabotage))
        return d

    def __repr__(self):
        verdict = "PASS" if self.passed else "FAIL"
        tag = " (sabotaged)" if self.sabotage else ""
        return f"<LabResult {self.name} {verdict}{tag} {len(self.metrics)} metrics {self.seconds:.2f}s>"


def _number(v):
    """A JSON number: bools and ints stay ints, everything else a float (NaN -> None)."""
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    v = float(v)
    return v if math.isfinite(v) else None


def has_matplotlib():
    try:
        importlib.import_module("matplotlib.figure")
        return True
    except ImportError:
        return False


def new_figure(figsize=(6.4, 4.0)):
    """A fresh ``matplotlib.figure.Figure`` on the Agg canvas (no pyplot state)."""
    from .._optional import require
    mfig = require("matplotlib.figure", "lab figures")
    backend_agg = require("matplotlib.backends.backend_agg", "lab figures")
    fig = mfig.Figure(figsize=figsize, dpi=100, layout="constrained")
    backend_agg.FigureCanvasAgg(fig)
    return fig


class Experiment:
    """Collects a lab's metrics, checks and figures; ``finish()`` makes the ``LabResult``.

    Creating one seeds the global generator with ``seed`` (``rb.manual_seed``),
    so a lab that draws all its randomness from ``rosenblatt.random`` (init,
    dropout, shuffling, its data via :meth:`rng`) is reproducible.
    """

    def __init__(self, module_name, full=False, seed=0, sabotage=False):
        mod = sys.modules[module_name]
        self.name = mod.NAME
        self.title = getattr(mod, "TITLE", self.name)
        self.claim = mod.CLAIM
        self.claim_zh = mod.CLAIM_ZH
        self.criterion = getattr(mod, "CRITERION_FULL", mod.CRITERION) if full else mod.CRITERION
        self.reference = getattr(mod, "REFERENCE", "")
        self.full = bool(full)
        self.seed = int(seed)
        self.sabotage = bool(sabotage)
        self.metrics = {}
        self.checks = {}
        self.figures = {}
        self.notes = []
        if self.sabotage:
            self.notes.append("SABOTAGED: " + getattr(mod, "SABOTAGE", "mechanism removed"))
        _random.manual_seed(self.seed)
        self._t0 = time.perf_counter()

    @staticmethod
    def rng():
        """The seeded global generator (``numpy.random.Generator``) for data."""
        return _random.default_generator()

    def metric(self, key, value):
        if isinstance(value, np.ndarray):
            value = value.item()
        self.metrics[key] = value
        return value

    def check(self, description, condition):
        """Record one part of the criterion; ``condition`` must come from measurements."""
        self.checks[description] = bool(condition)
        return bool(condition)

    def figure(self, key, draw, figsize=(6.4, 4.0)):
        """``draw(fig)`` fills a new Figure; skipped (with a note) without matplotlib."""
        if not has_matplotlib():
            if "figures skipped: matplotlib is not installed" not in self.notes:
                self.notes.append("figures skipped: matplotlib is not installed")
            return None
        fig = new_figure(figsize)
        draw(fig)
        self.figures[key] = fig
        return fig

    def finish(self):
        seconds = time.perf_counter() - self._t0
        passed = bool(self.checks) and all(self.checks.values())
        return LabResult(name=self.name, claim=self.claim, claim_zh=self.claim_zh,
                         criterion=self.criterion, metrics=dict(self.metrics), passed=passed,
                         figures=dict(self.figures), seconds=seconds, reference=self.reference,
                         title=self.title, checks=dict(self.checks), full=self.full,
                         seed=self.seed, notes=list(self.notes), sabotage=self.sabotage)
