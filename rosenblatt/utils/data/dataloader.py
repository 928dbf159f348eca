"""``DataLoader``: batches of a dataset, optionally shuffled by the seeded generator.

With ``num_workers=0`` (the default) everything runs in the main process; with
``num_workers > 0`` worker processes load the batches (``_workers.py``: ordered, seeded,
shut down at the end, on early exit and on error).  When the dataset offers ``get_batch(indices)``
(``TensorDataset``, a ``Subset`` of one, MNIST...) and no ``collate_fn`` is
given, a batch is loaded with one fancy index per array: no per-sample Python.
"""
import itertools
import numbers

import numpy as np

from ... import backend
from ...random import default_generator
from ..._checks import check_generator, check_non_negative_int, check_positive_int
from ...autograd.tensor import Tensor
from . import _workers
from .sampler import POSITIVE_INT, BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_collate"]

_END = object()


def _wrap(a):
    return Tensor._make(a, None, 0)


def default_collate(batch):
    """Stack a list of samples into a batch, like torch's ``default_collate``.

    Tensors/arrays are stacked on a new first dimension; Python ints become an
    int64 tensor, Python floats a float32 tensor (torch uses float64; here
    float32 is the default dtype), bools a bool tensor; tuples/lists and dicts
    are collated field by field; strings are returned as a list.
    """
    if len(batch) == 0:
        raise ValueError("default_collate: got an empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _wrap(np.stack([b.data for b in batch]))
    if isinstance(elem, np.ndarray):
        return _wrap(np.stack(batch))
    if isinstance(elem, np.generic):
        return _wrap(np.array(batch, dtype=elem.dtype))
    if isinstance(elem, bool):
        return _wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return _wrap(np.array(batch, dtype=backend.DEFAULT_INT))
    if isinstance(elem, numbers.Real):
        return _wrap(np.array(batch, dtype=backend.DEFAULT_FLOAT))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, dict):
        return {k: default_collate([b[k] for b in batch]) for k in elem}
    if isinstance(elem, (tuple, list)):
        n = len(elem)
        if any(len(b) != n for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(f)) for f in zip(*batch)]
        return tuple(fields) if isinstance(elem, tuple) else fields
    raise TypeError(f"default_collate: batch must contain tensors, NumPy arrays, numbers, dicts "
                    f"or lists; found {type(elem).__name__}")


class DataLoader:
    """``DataLoader(dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
    collate_fn=None, drop_last=False, generator=None)``

    Iterating gives batches: for a dataset of ``(x, y)`` samples, ``(X, Y)`` with
    ``X`` of shape ``(batch_size, *x.shape)``.  With ``shuffle=True`` every epoch
    (every ``iter()``) draws a new permutation from ``generator`` (a
    ``numpy.random.Generator``) or, by default, the global generator seeded by
    ``rb.manual_seed``.  ``batch_size=None`` yields single samples unbatched.
    ``sampler`` (any iterable of indices with a length, e.g. ``SubsetRandomSampler``)
    replaces the order; ``batch_sampler`` (an iterable of index lists) replaces batching.
    As in PyTorch, ``loader.sampler`` is a ``SequentialSampler`` or ``RandomSampler`` when
    none is given, and ``loader.batch_sampler`` a ``BatchSampler`` when batching.
    ``num_workers > 0`` loads batches in that many processes (``worker_init_fn(worker_id)``
    runs in each; ``timeout`` seconds bounds the wait for one batch; ``prefetch_factor``
    batches per worker are loaded ahead); workers are started anew every epoch
    (``persistent_workers`` is accepted and has no effect).  ``pin_memory`` has no effect.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, **kwargs):
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader: dataset must define __getitem__ and __len__, got "
                            f"{type(dataset).__name__}")
        if batch_size is not None:
            check_positive_int(batch_size, "batch_size", message=POSITIVE_INT)
        check_non_negative_int(num_workers, "num_workers",
                               message="num_workers option should be non-negative")
        check_generator(generator)
        if num_workers == 0 and (prefetch_factor is not None or persistent_workers):
            raise ValueError("prefetch_factor and persistent_workers need num_workers > 0 (as in "
                             "PyTorch); got num_workers=0")
        if prefetch_factor is not None:
            check_positive_int(prefetch_factor, "prefetch_factor")
        if not isinstance(timeout, (int, float)) or timeout < 0:
            raise ValueError(f"timeout option should be non-negative, got {timeout!r}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                             "shuffle, sampler, and drop_last")
        self.dataset = dataset
        self.batch_size = None if batch_sampler is not None else batch_size
        self.shuffle = bool(shuffle)
        if sampler is None:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        self.sampler = sampler
        # The loader's own BatchSampler (none given) is read through the fast path below:
        # one slice or one index array per batch instead of a Python list.
        self._own_batches = batch_sampler is None
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.prefetch_factor = 2 if prefetch_factor is None else prefetch_factor
        self.persistent_workers = bool(persistent_workers)

    def _order(self):
        """This epoch's indices as an int64 array, or None for 0 .. len(dataset) - 1."""
        s = self.sampler
        if type(s) is SequentialSampler and s.data_source is self.dataset:
            return None
        if type(s) is RandomSampler:
            return s.indices()
        return np.fromiter((int(i) for i in s), dtype=np.int64)

    def __iter__(self):
        if self.num_workers == 0:
            return (self._run(task) for task in self._tasks())
        # The epoch's order is drawn first (so it is the same as with num_workers=0), then the
        # workers' base seed: one draw from the loader's generator, as PyTorch's base_seed.
        tasks = self._tasks()
        first = next(tasks, _END)
        gen = self.generator if self.generator is not None else default_generator()
        base_seed = int(gen.integers(0, 2 ** 62))
        if first is _END:
            return iter(())
        return _workers.iterate(self, itertools.chain((first,), tasks), base_seed)

    def _tasks(self):
        """This epoch's work, one item per yield: a sample index (int, unbatched), a slice or
        an index array (a batch)."""
        if not self._own_batches:
            for idx in self.batch_sampler:
                yield np.asarray(list(idx), dtype=np.int64)
            return
        n = len(self.dataset)
        order = self._order()
        if self.batch_size is None:
            for i in (range(n) if order is None else order):
                yield int(i)
            return
        bs = self.batch_size
        total = n if order is None else len(order)
        stop = total - total % bs if self.drop_last else total
        for start in range(0, stop, bs):
            end = min(start + bs, total)
            yield slice(start, end) if order is None else order[start:end]

    def _run(self, task):
        """The sample or batch for one item of :meth:`_tasks`."""
        if task.__class__ is int:
            s = self.dataset[task]
            return s if self.collate_fn is None else self.collate_fn(s)
        return self._fetch(task)

    def _fetch(self, idx):
        get_batch = None
        if self.collate_fn is None:
            get_batch = getattr(self.dataset, "get_batch", None)
        if get_batch is not None:
            return get_batch(idx)
        if isinstance(idx, slice):
            idx = range(idx.start, idx.stop)
        samples = [self.dataset[int(i)] for i in idx]
        return (self.collate_fn or default_collate)(samples)

    def __len__(self):
        if not self._own_batches:
            return len(self.batch_sampler)
        n = len(self.sampler)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
