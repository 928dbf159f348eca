"""Pictures of convolutional networks: learned filters and feature maps as image grids.

Needs matplotlib (the ``plot`` extra).  Figures are plain ``matplotlib.figure.Figure``
objects on their own Agg canvas: no pyplot state, no backend switch (a notebook's
backend is left alone), and no display needed.

    fig = plot_filters(model.features[0].weight)       # C1's 6 filters
    save_figure(fig, "c1_filters.png")
"""
import math
import os

import numpy as np

from .. import _optional

__all__ = ["plot_filters", "plot_feature_maps", "save_figure"]


def new_figure(figsize):
    """A ``Figure`` attached to an Agg canvas, outside pyplot's global state."""
    mfig = _optional.require("matplotlib.figure", "plotting")
    agg = _optional.require("matplotlib.backends.backend_agg", "plotting")
    fig = mfig.Figure(figsize=figsize, dpi=100)
    agg.FigureCanvasAgg(fig)
    return fig


def _array(x, name):
    data = getattr(x, "data", x)
    if hasattr(data, "detach"):                       # a torch tensor
        data = data.detach().cpu().numpy()
    arr = np.asarray(data, dtype=np.float64)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array of images, got a scalar")
    return arr


def _normalise(img):
    lo, hi = float(img.min()), float(img.max())
    return np.zeros_like(img) if hi <= lo else (img - lo) / (hi - lo)


def _grid(tiles, ncols, titles, cmap, title, tile_size):
    n = len(tiles)
    ncols = max(1, min(ncols or int(math.ceil(math.sqrt(n))), n))
    nrows = int(math.ceil(n / ncols))
    fig = new_figure((tile_size * ncols, tile_size * nrows + (0.4 if title else 0)))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= n:
            ax.axis("off")
            continue
        img = tiles[k]
        if img.ndim == 3:
            ax.imshow(img, interpolation="nearest")
        else:
            ax.imshow(img, cmap=cmap, interpolation="nearest", vmin=0.0, vmax=1.0)
        if titles is not None:
            ax.set_title(str(titles[k]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_filters(weight, ncols=None, cmap="gray", title=None, max_filters=64, tile_size=1.2):
    """A grid of a convolution's filters; ``weight`` is (out, in, kH, kW) (a Parameter/array).

    With 3 input channels each filter is drawn as one RGB tile; with 1 as a grey tile;
    otherwise one grey tile per (filter, input channel) pair.  Each tile is min-max
    normalised on its own.  Returns the matplotlib Figure.
    """
    w = _array(weight, "weight")
    if w.ndim == 3:                                   # conv1d or a single (in, kH, kW) filter bank
        w = w[:, :, None, :] if w.shape[-1] != w.shape[-2] else w[:, None]
    if w.ndim != 4:
        raise ValueError(f"plot_filters: weight must have shape (out_channels, in_channels, kH, kW), "
                         f"got {w.shape}")
    O, C = w.shape[:2]
    if C == 3:
        tiles = [_normalise(w[o].transpose(1, 2, 0)) for o in range(O)]
        names = [f"{o}" for o in range(O)]
    else:
        tiles = [_normalise(w[o, c]) for o in range(O) for c in range(C)]
        names = [f"{o}" if C == 1 else f"{o}.{c}" for o in range(O) for c in range(C)]
    return _grid(tiles[:max_filters], ncols, names[:max_filters], cmap, title, tile_size)


def plot_feature_maps(maps, ncols=8, cmap="viridis", title=None, max_maps=64, index=0, tile_size=1.2):
    """A grid of feature maps: ``maps`` is (C, H, W), or (N, C, H, W) of which sample ``index``
    is drawn.  Each map is min-max normalised on its own.  Returns the matplotlib Figure."""
    m = _array(maps, "maps")
    if m.ndim == 4:
        if not 0 <= index < m.shape[0]:
            raise IndexError(f"plot_feature_maps: index {index} out of range for a batch of {m.shape[0]}")
        m = m[index]
    if m.ndim == 2:
        m = m[None]
    if m.ndim != 3:
        raise ValueError(f"plot_feature_maps: maps must have shape (C, H, W) or (N, C, H, W), got {m.shape}")
    tiles = [_normalise(m[c]) for c in range(min(len(m), max_maps))]
    return _grid(tiles, ncols, [str(c) for c in range(len(tiles))], cmap, title, tile_size)


def save_figure(fig, path, dpi=100):
    """Write ``fig`` to ``path`` (format from the extension), creating parent folders."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path
