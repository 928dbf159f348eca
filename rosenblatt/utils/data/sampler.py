"""Samplers: which dataset indices a ``DataLoader`` visits, and in what order.

PyTorch's classes and arguments (``torch.utils.data.sampler``).  A sampler is any iterable
of indices with a ``__len__``; a batch sampler is an iterable of lists of indices.  Random
samplers draw from ``generator`` (a ``numpy.random.Generator``) or, by default, from the
global generator seeded by ``rb.manual_seed`` -- at iteration time, so every epoch (every
``iter()``) gets a new order and the same seed gives the same run.
"""
import numpy as np

from ... import random as _random
from ..._checks import check_bool, check_generator, check_positive_int

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


# PyTorch's wording of these errors
POSITIVE_INT = "{name} should be a positive integer value, but got {name}={value!r}"
BOOLEAN = "{name} should be a boolean value, but got {name}={value!r}"


def _positive_int(value, name):
    return int(check_positive_int(value, name, message=POSITIVE_INT))


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and usually ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class _Random(Sampler):
    def _gen(self):
        return self.generator if self.generator is not None else _random.default_generator()


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(_Random):
    """Random indices of ``data_source``: a fresh permutation (``replacement=False``; with
    ``num_samples`` larger than the dataset, whole permutations then part of one), or
    ``num_samples`` independent uniform draws (``replacement=True``)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        if not isinstance(replacement, bool):     # TypeError here, as PyTorch's (ValueError elsewhere)
            raise TypeError(BOOLEAN.format(name="replacement", value=replacement))
        self.replacement = replacement
        self._num_samples = None if num_samples is None else _positive_int(num_samples, "num_samples")
        _positive_int(self.num_samples, "num_samples")     # an empty dataset: as PyTorch's
        self.generator = check_generator(generator)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def indices(self):
        """This epoch's indices as an int64 array (one draw from the generator)."""
        n, k, gen = len(self.data_source), self.num_samples, self._gen()
        if n == 0:
            raise ValueError("RandomSampler: data_source is empty, there is nothing to sample")
        if self.replacement:
            return gen.integers(0, n, size=k, dtype=np.int64)
        parts = [gen.permutation(n) for _ in range(k // n)]
        if k % n:
            parts.append(gen.permutation(n)[:k % n])
        return np.concatenate(parts).astype(np.int64, copy=False)

    def __iter__(self):
        return iter(self.indices().tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(_Random):
    """The given ``indices``, in a random order every epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = check_generator(generator)

    def __iter__(self):
        for i in self._gen().permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(_Random):
    """``num_samples`` indices ``0 .. len(weights) - 1`` drawn with probabilities proportional
    to ``weights`` (non-negative, not all zero), with or without replacement -- e.g. to
    balance classes: ``weights[i] = 1 / count(label[i])``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        self.num_samples = _positive_int(num_samples, "num_samples")
        self.replacement = check_bool(replacement, "replacement", message=BOOLEAN)
        w = np.asarray(getattr(weights, "data", weights), dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(w.shape)}")
        if w.size == 0 or not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise ValueError("weights must be finite and non-negative with a positive sum")
        if not self.replacement and np.count_nonzero(w) < self.num_samples:
            raise ValueError(f"cannot draw num_samples={self.num_samples} indices without "
                             f"replacement from {np.count_nonzero(w)} non-zero weights")
        self.weights = w
        self.generator = check_generator(generator)

    def __iter__(self):
        p = self.weights / self.weights.sum()
        idx = self._gen().choice(p.size, size=self.num_samples, replace=self.replacement, p=p)
        return iter(idx.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler``; the last one may be shorter unless
    ``drop_last``."""

    def __init__(self, sampler, batch_size, drop_last):
        self.sampler = sampler
        self.batch_size = _positive_int(batch_size, "batch_size")
        self.drop_last = check_bool(drop_last, "drop_last", message=BOOLEAN)

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
