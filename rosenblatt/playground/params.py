"""The playground's settings: one table says each parameter's type, range and default.

The page, the URL and the HTTP API all speak these names.  :func:`parse` turns a mapping of
raw values (strings from a query string, or JSON numbers) into a checked :class:`Params`, and
raises :class:`ParamError` naming the first bad parameter, so the server can answer 400 and the
page can fall back to that parameter's default.
"""
import math
from dataclasses import asdict, dataclass

__all__ = ["ParamError", "Params", "SPEC", "DATASETS", "FEATURES", "MAX_LAYERS", "MAX_NEURONS",
           "parse", "schema"]

MAX_LAYERS = 6        # hidden layers (memory and CPU are bounded by the network's size)
MAX_NEURONS = 8       # neurons per hidden layer

# name -> is it a regression set (the output is linear and the targets lie in [-1, 1])
DATASETS = {"circle": False, "xor": False, "gauss": False, "spiral": False,
            "reg-plane": True, "reg-gauss": True}
FEATURES = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
INITS = ("zeros", "normal", "xavier", "kaiming")       # normal: N(0, 0.01^2)
OPTIMIZERS = ("sgd", "momentum", "adam")
REGULARIZATIONS = ("none", "l1", "l2")
# The learning rates and regularisation rates offered in the page (any value in range is accepted).
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
REG_RATES = (0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
DROPOUTS = (0, 0.1, 0.2, 0.3, 0.4, 0.5)


class ParamError(ValueError):
    """A bad setting: ``param`` is its name, the message says what was expected."""

    def __init__(self, param, message):
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Params:
    dataset: str = "circle"
    noise: int = 0                  # percent, 0..50
    ratio: int = 50                 # percent of the points used for training, 10..90
    batch: int = 10                 # minibatch size, 1..30
    features: tuple = ("x1", "x2")
    layers: tuple = (4, 2)          # neurons per hidden layer; () = no hidden layer
    activation: str = "tanh"
    init: str = "xavier"
    lr: float = 0.03
    optimizer: str = "sgd"
    reg: str = "none"
    reg_rate: float = 0.0
    dropout: float = 0.0
    seed: int = 0

    @property
    def regression(self):
        return DATASETS[self.dataset]

    def to_dict(self):
        """JSON-ready, in the URL's vocabulary (lists as lists)."""
        d = asdict(self)
        d["features"] = list(self.features)
        d["layers"] = list(self.layers)
        return d


def _choice(options):
    def check(name, value):
        value = str(value).strip().lower()
        if value not in options:
            raise ParamError(name, f"bad parameter '{name}': expected one of "
                                   f"{', '.join(options)}, got {value!r}")
        return value
    return check


def _number(lo, hi, integer=False, lo_open=False):
    def check(name, value):
        kind = "an integer" if integer else "a number"
        bounds = f"{'(' if lo_open else '['}{lo}, {hi}]"
        try:
            if isinstance(value, bool):
                raise ValueError
            x = float(value)
            if integer:
                if not x.is_integer():
                    raise ValueError
                x = int(x)
        except (TypeError, ValueError, OverflowError):
            raise ParamError(name, f"bad parameter '{name}': expected {kind} in {bounds}, "
                                   f"got {value!r}") from None
        if not math.isfinite(x) or x < lo or x > hi or (lo_open and x == lo):
            raise ParamError(name, f"bad parameter '{name}': expected {kind} in {bounds}, got {value!r}")
        return x
    return check


def _items(value):
    """A list from a JSON list or a comma-separated string ('' is the empty list)."""
    if isinstance(value, (list, tuple)):
        return list(value)
    value = str(value).strip()
    return [v.strip() for v in value.split(",")] if value else []


def _features(name, value):
    items = [str(v).strip().lower() for v in _items(value)]
    bad = [v for v in items if v not in FEATURES]
    if bad or not items or len(set(items)) != len(items):
        raise ParamError(name, f"bad parameter '{name}': expected a non-empty comma-separated list "
                               f"of distinct features from {', '.join(FEATURES)}, got {value!r}")
    return tuple(f for f in FEATURES if f in items)        # the page's order


def _layers(name, value):
    items = _items(value)
    message = (f"bad parameter '{name}': expected 0 to {MAX_LAYERS} comma-separated neuron counts, "
               f"each 1 to {MAX_NEURONS}, got {value!r}")
    if len(items) > MAX_LAYERS:
        raise ParamError(name, message)
    sizes = []
    for v in items:
        try:
            n = int(str(v).strip()) if not isinstance(v, bool) else None
        except ValueError:
            n = None
        if n is None or not 1 <= n <= MAX_NEURONS:
            raise ParamError(name, message)
        sizes.append(n)
    return tuple(sizes)


# name -> checker; the order is the URL's order
SPEC = {
    "dataset": _choice(tuple(DATASETS)),
    "noise": _number(0, 50, integer=True),
    "ratio": _number(10, 90, integer=True),
    "batch": _number(1, 30, integer=True),
    "features": _features,
    "layers": _layers,
    "activation": _choice(ACTIVATIONS),
    "init": _choice(INITS),
    "lr": _number(0, 10, lo_open=True),
    "optimizer": _choice(OPTIMIZERS),
    "reg": _choice(REGULARIZATIONS),
    "reg_rate": _number(0, 10),
    "dropout": _number(0, 0.9),
    "seed": _number(0, 2 ** 31 - 1, integer=True),
}

# settings that can change while training runs; any other change rebuilds the network
LIVE = frozenset({"lr", "reg", "reg_rate", "batch"})
# settings that regenerate the data set
DATA = frozenset({"dataset", "noise", "ratio", "seed"})


def parse(values=None, base=None, ignore=("lang",)):
    """Check ``values`` (a mapping of name -> raw value) on top of ``base`` (default: defaults).

    Names in ``ignore`` belong to the page only (the language).  Raises :class:`ParamError`
    for an unknown name or a bad value, naming it.
    """
    base = base or Params()
    values = dict(values or {})
    out = base.to_dict()
    for name, raw in values.items():
        if name in ignore:
            continue
        if name not in SPEC:
            raise ParamError(name, f"unknown parameter '{name}': expected one of {', '.join(SPEC)}")
        out[name] = SPEC[name](name, raw)
    out["features"] = tuple(out["features"])
    out["layers"] = tuple(out["layers"])
    return Params(**out)


def schema():
    """What the page needs to build its controls: every parameter's default and choices."""
    d = Params().to_dict()
    return {"defaults": d, "datasets": {k: ("regression" if v else "classification")
                                        for k, v in DATASETS.items()},
            "features": list(FEATURES), "activations": list(ACTIVATIONS), "inits": list(INITS),
            "optimizers": list(OPTIMIZERS), "regularizations": list(REGULARIZATIONS),
            "learningRates": list(LEARNING_RATES), "regRates": list(REG_RATES),
            "dropouts": list(DROPOUTS), "maxLayers": MAX_LAYERS, "maxNeurons": MAX_NEURONS,
            "noise": [0, 50], "ratio": [10, 90], "batch": [1, 30]}
