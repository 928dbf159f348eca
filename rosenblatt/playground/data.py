"""The playground's data: six two-dimensional sets and the input features computed from them.

Points lie in the square [-5, 5]^2 (the page shows [-6, 6]^2).  Classification targets are
-1 and +1 (the output neuron is a tanh); regression targets lie in [-1, 1].  ``noise`` is a
fraction in [0, 0.5]; every set is drawn from its own ``numpy.random.Generator`` so that the
same seed gives the same points.
"""
import numpy as np

__all__ = ["make_dataset", "split", "features", "grid_points", "FEATURE_FUNCTIONS", "EXTENT"]

EXTENT = 6.0          # the page's plane: [-EXTENT, EXTENT]^2
RADIUS = 5.0          # where the points are

FEATURE_FUNCTIONS = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1sq": lambda x1, x2: x1 * x1,
    "x2sq": lambda x1, x2: x2 * x2,
    "x1x2": lambda x1, x2: x1 * x2,
    "sinx1": lambda x1, x2: np.sin(x1),
    "sinx2": lambda x1, x2: np.sin(x2),
}


def _circle(n, noise, rng):
    """Inside a disc of radius 2.5 (+1) or in the ring 3.5..5 (-1); noise moves points."""
    half = n // 2
    r = np.concatenate([rng.uniform(0, 0.5 * RADIUS, half), rng.uniform(0.7 * RADIUS, RADIUS, n - half)])
    angle = rng.uniform(0, 2 * np.pi, n)
    xy = np.stack([r * np.sin(angle), r * np.cos(angle)], 1)
    xy += rng.uniform(-RADIUS, RADIUS, (n, 2)) * noise
    y = np.where(np.arange(n) < half, 1.0, -1.0)
    return xy, y


def _xor(n, noise, rng):
    """Uniform in the square, kept 0.3 away from the axes; the label is sign(x1 * x2)."""
    xy = rng.uniform(-RADIUS, RADIUS, (n, 2))
    xy += np.where(xy > 0, 0.3, -0.3)
    y = np.where(xy[:, 0] * xy[:, 1] >= 0, 1.0, -1.0)
    xy += rng.uniform(-RADIUS, RADIUS, (n, 2)) * noise
    return xy, y


def _gauss(n, noise, rng):
    """Two Gaussian clouds at (2, 2) (+1) and (-2, -2) (-1); noise widens them."""
    sigma = 0.5 + 7.0 * noise                    # 0.5 at no noise, 4 at noise 0.5
    half = n // 2
    centre = np.where((np.arange(n) < half)[:, None], 2.0, -2.0)
    xy = centre + rng.normal(0, sigma, (n, 2))
    y = np.where(np.arange(n) < half, 1.0, -1.0)
    return xy, y


def _spiral(n, noise, rng):
    """Two interleaved spiral arms of 1.75 turns, +1 and -1."""
    half = n // 2
    i = np.concatenate([np.arange(half), np.arange(n - half)])
    arm = np.arange(n) >= half
    r = i / max(half, 1) * RADIUS
    t = 1.75 * i / max(half, 1) * 2 * np.pi + np.where(arm, np.pi, 0.0)
    xy = np.stack([r * np.sin(t), r * np.cos(t)], 1)
    xy += rng.uniform(-1, 1, (n, 2)) * noise * 2
    y = np.where(arm, -1.0, 1.0)
    return xy, y


def _plane(n, noise, rng):
    """Regression: the target (x1 + x2) / 10 rises across the plane."""
    xy = rng.uniform(-RADIUS, RADIUS, (n, 2))
    y = (xy[:, 0] + xy[:, 1]) / (2 * RADIUS)
    xy += rng.uniform(-RADIUS, RADIUS, (n, 2)) * noise
    return xy, y


_BUMPS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def _multi_gauss(n, noise, rng):
    """Regression: six Gaussian bumps of alternating sign."""
    xy = rng.uniform(-RADIUS, RADIUS, (n, 2))
    y = np.zeros(n)
    for cx, cy, sign in _BUMPS:
        y += sign * np.exp(-((xy[:, 0] - cx) ** 2 + (xy[:, 1] - cy) ** 2) / 2)
    y = np.clip(y, -1, 1)
    xy += rng.uniform(-RADIUS, RADIUS, (n, 2)) * noise
    return xy, y


_MAKERS = {"circle": (_circle, 500), "xor": (_xor, 500), "gauss": (_gauss, 500),
           "spiral": (_spiral, 500), "reg-plane": (_plane, 1200), "reg-gauss": (_multi_gauss, 1200)}


def make_dataset(name, noise, rng):
    """``(points (n, 2) float64, targets (n,) float64)`` of the named set; ``noise`` in [0, 0.5]."""
    if name not in _MAKERS:
        raise ValueError(f"make_dataset: unknown dataset {name!r}; expected one of {', '.join(_MAKERS)}")
    make, n = _MAKERS[name]
    return make(n, float(noise), rng)


def split(xy, y, ratio, rng):
    """Shuffle, then the first ``ratio`` (a fraction) of the points train and the rest test."""
    order = rng.permutation(len(y))
    k = max(1, min(len(y) - 1, int(round(ratio * len(y)))))
    tr, te = order[:k], order[k:]
    return xy[tr], y[tr], xy[te], y[te]


def features(xy, names):
    """The input matrix (n, len(names)), float32, one column per feature in ``names``."""
    x1, x2 = xy[:, 0], xy[:, 1]
    return np.stack([FEATURE_FUNCTIONS[f](x1, x2) for f in names], 1).astype(np.float32)


def grid_points(resolution):
    """The centres of a ``resolution`` x ``resolution`` grid over the page's plane, row by row
    from the top (x2 = +EXTENT) down, as the canvas draws them."""
    step = 2 * EXTENT / resolution
    c = -EXTENT + step * (np.arange(resolution) + 0.5)
    x1, x2 = np.meshgrid(c, c[::-1])
    return np.stack([x1.ravel(), x2.ravel()], 1)
