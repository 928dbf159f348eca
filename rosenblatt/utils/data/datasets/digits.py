"""scikit-learn's bundled 8x8 handwritten digits (1797 images), as tensors in [0, 1].

Needs the optional extra ``digits`` (scikit-learn); no download is involved.
"""
import numpy as np

from .... import _optional
from ....autograd.tensor import Tensor

__all__ = ["load_digits", "split_indices"]


def split_indices(n, test_fraction=0.5, seed=0):
    """A seeded split of ``range(n)``: ``(train_idx, test_idx)`` int64 arrays, each sorted.

    The test set has ``round(n * test_fraction)`` samples.
    """
    if not 0.0 <= test_fraction <= 1.0:
        raise ValueError(f"test_fraction must be in [0, 1], got {test_fraction}")
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


_ARRAYS = []


def _load_all():
    if not _ARRAYS:
        datasets = _optional.require("sklearn.datasets", "the 8x8 digits dataset")
        bunch = datasets.load_digits()
        X = np.asarray(bunch.data, dtype=np.float32) / np.float32(16.0)
        y = np.asarray(bunch.target, dtype=np.int64)
        X.flags.writeable = False
        y.flags.writeable = False
        _ARRAYS.extend([X, y])
    return _ARRAYS[0], _ARRAYS[1]


def load_digits(split=None, test_fraction=0.5, seed=0, flatten=True):
    """``(X, y)`` tensors: X float32 in [0, 1] (pixel / 16), ``(N, 64)`` or with
    ``flatten=False`` ``(N, 1, 8, 8)``; y int64 ``(N,)``.

    ``split=None`` gives all 1797 images; ``'train'``/``'test'`` a seeded split
    (``test_fraction`` of the images in the test set, the same for a given ``seed``).
    """
    if split not in (None, "train", "test"):
        raise ValueError(f"split must be None, 'train' or 'test', got {split!r}")
    X, y = _load_all()
    if split is not None:
        train_idx, test_idx = split_indices(len(y), test_fraction, seed)
        idx = train_idx if split == "train" else test_idx
        X, y = X[idx], y[idx]
    else:
        X, y = X.copy(), y.copy()
    if not flatten:
        X = X.reshape(-1, 1, 8, 8)
    return Tensor._make(np.ascontiguousarray(X), None, 0), Tensor._make(y, None, 0)
