"""The labs, in course order: ``names()``, ``get(name)``, ``run(name, full, seed)``.

**Adding a lab** = writing ``rosenblatt/labs/<module>.py`` (module constants
``NAME TITLE CLAIM CLAIM_ZH CRITERION REFERENCE SABOTAGE`` and
``run(full=False, seed=0, sabotage=False)`` returning
:class:`~rosenblatt.labs.base.LabResult`, see ``base.py``) and one
line in ``_LABS`` below.  A listed module that does not exist yet is simply not
offered; ``register()`` adds a lab at run time (e.g. from a notebook).
Modules are imported lazily, so ``rosenblatt lab --list`` stays fast.
"""
import importlib
import importlib.util
from dataclasses import dataclass

from .. import random as _random

__all__ = ["names", "get", "run", "register", "LabSpec"]

# (registered name, module under rosenblatt.labs) -- one line per lab, course order.
_LABS = [
    ("xor", "xor"),                                          # 1
    ("linear-collapse", "linear_collapse"),                  # 2
    ("universal-approximation", "universal_approximation"),  # 3
    ("activations", "activations"),                          # 4
    ("backprop", "backprop"),                                # 5
    ("loss-cost-objective", "loss_cost_objective"),          # 6
    ("zero-init", "zero_init"),                              # 7
    ("xavier", "xavier"),                                    # 8
    ("kaiming", "kaiming"),                                  # 9
    ("weight-decay", "weight_decay"),                        # 10
    ("dropout", "dropout"),                                  # 11
    ("bias-variance", "bias_variance"),                      # 12
    ("cnn", "cnn"),                                          # 13
    ("rnn-gradients", "rnn_gradients"),                      # 14
    ("gates", "gates"),                                      # 15
    ("neocognitron", "neocognitron"),                        # 16
]

_EXTRA = {}      # name -> module path or module object, from register()


@dataclass(frozen=True)
class LabSpec:
    """A registered lab: its metadata and its ``run(full=False, seed=0)``."""

    name: str
    title: str
    claim: str
    claim_zh: str
    criterion: str
    reference: str
    module: object

    def run(self, full=False, seed=0, sabotage=False):
        return run(self.name, full=full, seed=seed, sabotage=sabotage)


def _module_path(name):
    for n, mod in _LABS:
        if n == name:
            return f"{__package__}.{mod}"
    return _EXTRA.get(name)


def _exists(path):
    if not isinstance(path, str):
        return True
    try:
        return importlib.util.find_spec(path) is not None
    except ImportError:
        return False


def names():
    """Registered lab names, in course order (labs whose module exists)."""
    out = [n for n, _ in _LABS if _exists(_module_path(n))]
    return out + [n for n in _EXTRA if n not in out]


def register(name, module):
    """Register a lab under ``name``: ``module`` is a module object or a dotted path."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"labs.register: name must be a non-empty string, got {name!r}")
    _EXTRA[name] = module


def get(name):
    """The :class:`LabSpec` registered under ``name`` (``'xor'``, ``'linear-collapse'``...)."""
    path = _module_path(name)
    if path is None or not _exists(path):
        raise KeyError(f"no lab named {name!r}; labs: {', '.join(names())}")
    mod = importlib.import_module(path) if isinstance(path, str) else path
    for attr in ("NAME", "CLAIM", "CLAIM_ZH", "CRITERION", "run"):
        if not hasattr(mod, attr):
            raise TypeError(f"lab module {mod.__name__} lacks {attr}")
    return LabSpec(name=name, title=getattr(mod, "TITLE", name), claim=mod.CLAIM,
                   claim_zh=mod.CLAIM_ZH, criterion=mod.CRITERION,
                   reference=getattr(mod, "REFERENCE", ""), module=mod)


def run(name, full=False, seed=0, sabotage=False):
    """Run lab ``name`` (quick by default; ``full=True`` is the paper-sized version).

    ``sabotage=True`` runs it with the claim's mechanism removed (the module's
    ``SABOTAGE``); a sound lab then fails.  The global generator is seeded with
    ``seed`` first and restored afterwards, so running a lab does not disturb
    the caller's random stream.
    """
    spec = get(name)
    state = _random.get_rng_state()
    kwargs = {"sabotage": True} if sabotage else {}     # labs without the knob still run plainly
    try:
        _random.manual_seed(int(seed))
        result = spec.module.run(full=bool(full), seed=int(seed), **kwargs)
    finally:
        _random.set_rng_state(state)
    if sabotage and not result.sabotage:     # a lab that did not pass the flag to its Experiment
        result.sabotage = True
        result.notes.append("SABOTAGED: " + getattr(spec.module, "SABOTAGE", "mechanism removed"))
    result.name = name
    return result
