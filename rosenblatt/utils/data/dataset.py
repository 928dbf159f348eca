"""Datasets: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``, ``random_split``.

A dataset is anything with ``__getitem__(i)`` and ``__len__()``.  A dataset may
also offer ``get_batch(indices)`` (an integer ndarray in, an already-collated
batch out): the :class:`~rosenblatt.utils.data.DataLoader` then loads a whole
batch with one fancy index per array instead of one ``__getitem__`` per sample.
``TensorDataset``, ``Subset`` of such a dataset, and the MNIST datasets do.
"""
import bisect
import math

import numpy as np

from ... import random as _random
from ..._checks import check_generator, check_non_negative_int, check_probability
from ...autograd.tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


def _wrap(a):
    return Tensor._make(a, None, 0)


class Dataset:
    """Base class: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the ``index``-th rows of the given tensors (all the same length).

    ``TensorDataset(X, y)[i] == (X[i], y[i])``.  NumPy arrays are accepted and
    wrapped as tensors (floats keep their dtype; int labels stay int64).
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        ts = []
        for i, t in enumerate(tensors):
            if isinstance(t, np.ndarray):
                t = _wrap(t)
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} must be a Tensor or ndarray, "
                                f"got {type(t).__name__}")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-d; every tensor needs a first "
                                 f"(sample) dimension")
            ts.append(t)
        n = ts[0].shape[0]
        for i, t in enumerate(ts):
            if t.shape[0] != n:
                raise ValueError(f"Size mismatch between tensors: tensor 0 has {n} samples but "
                                 f"tensor {i} has {t.shape[0]} (shapes "
                                 f"{[tuple(x.shape) for x in ts]})")
        self.tensors = tuple(ts)

    def __getitem__(self, index):
        return tuple(_wrap(t.data[index]) for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def get_batch(self, indices):
        """Rows ``indices`` of every tensor (an index array gives copies; a slice gives
        read-only views, so an in-place change of a batch cannot corrupt the dataset)."""
        out = []
        for t in self.tensors:
            a = t.data[indices]
            if isinstance(indices, slice):
                a.flags.writeable = False
            out.append(_wrap(a))
        return tuple(out)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (in that order)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = list(int(i) for i in indices)
        self._index_array = None

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return [self.dataset[self.indices[i]] for i in idx]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)

    @property
    def get_batch(self):
        inner = getattr(self.dataset, "get_batch", None)
        if inner is None:
            raise AttributeError("the wrapped dataset has no get_batch")

        def get_batch(indices):
            if self._index_array is None or len(self._index_array) != len(self.indices):
                self._index_array = np.asarray(self.indices, dtype=np.int64)
            return inner(self._index_array[indices])
        return get_batch


class ConcatDataset(Dataset):
    """Several datasets, one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1] if self.cumulative_sizes else 0

    def __getitem__(self, idx):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += n
        if idx >= n:
            raise IndexError(f"index {idx} is out of range for a dataset of length {n}")
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = 0 if d == 0 else self.cumulative_sizes[d - 1]
        return self.datasets[d][idx - start]


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random subsets of the given lengths.

    ``lengths`` are ints summing to ``len(dataset)``, or fractions summing to 1
    (floors, with the remainder given one by one to the first subsets, as torch
    does).  The permutation comes from ``generator`` (a ``numpy.random.Generator``)
    or the global seeded generator.
    """
    lengths = list(lengths)
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = []
        for i, frac in enumerate(lengths):
            check_probability(frac, "fraction", message=f"Fraction at index {i} is not between 0 and 1")
            sizes.append(int(math.floor(n * frac)))
        remainder = n - sum(sizes)
        for i in range(remainder):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    for i, length in enumerate(lengths):
        check_non_negative_int(length, f"lengths[{i}]", "random_split")
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths ({sum(lengths)}) does not equal the length of the "
                         f"input dataset ({n})!")
    check_generator(generator, where="random_split")
    gen = _random.default_generator() if generator is None else generator
    perm = gen.permutation(n).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset:offset + length]))
        offset += length
    return out
