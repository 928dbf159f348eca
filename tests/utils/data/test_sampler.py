"""Samplers: PyTorch's deterministic ones index for index, the random ones by their laws,
the seeded generator, DataLoader's use of them, and the argument errors."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.utils.data import (BatchSampler, DataLoader, RandomSampler, Sampler,
                                   SequentialSampler, SubsetRandomSampler, TensorDataset,
                                   WeightedRandomSampler)
from tests.oracle import torch

tdata = torch.utils.data


def _ds(n=10):
    return TensorDataset(rb.tensor(np.arange(n * 2, dtype=np.float32).reshape(n, 2)),
                         rb.tensor(np.arange(n, dtype=np.int64)))


@pytest.mark.parametrize("n", [0, 1, 7])
def test_sequential_sampler_matches_torch(n):
    ours, theirs = SequentialSampler(range(n)), tdata.SequentialSampler(range(n))
    assert list(ours) == list(theirs) and len(ours) == len(theirs) == n


@pytest.mark.parametrize("n,bs,drop", [(7, 3, False), (7, 3, True), (6, 3, True), (2, 5, False),
                                       (2, 5, True), (0, 2, False)])
def test_batch_sampler_matches_torch(n, bs, drop):
    ours = BatchSampler(SequentialSampler(range(n)), bs, drop)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(n)), bs, drop)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)


def test_random_sampler_permutes_every_epoch_and_follows_the_seed():
    s = RandomSampler(range(50))
    a, b = list(s), list(s)
    assert sorted(a) == sorted(b) == list(range(50))
    assert a != b                                       # a new order every epoch
    rb.manual_seed(3)
    c = list(RandomSampler(range(50)))
    rb.manual_seed(3)
    assert list(RandomSampler(range(50))) == c
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    assert list(RandomSampler(range(50), generator=g1)) == list(RandomSampler(range(50), generator=g2))


@pytest.mark.parametrize("k", [3, 10, 23])
def test_random_sampler_num_samples_without_replacement_is_whole_permutations(k):
    n = 10
    idx = list(RandomSampler(range(n), num_samples=k))
    assert len(idx) == k == len(RandomSampler(range(n), num_samples=k))
    for start in range(0, k - k % n, n):                # every full block is a permutation
        assert sorted(idx[start:start + n]) == list(range(n))
    tail = idx[k - k % n:]
    assert len(set(tail)) == len(tail)                  # and the rest part of one


def test_random_sampler_with_replacement_is_uniform():
    idx = np.array(list(RandomSampler(range(4), replacement=True, num_samples=40000)))
    assert idx.min() >= 0 and idx.max() <= 3
    counts = np.bincount(idx, minlength=4)
    assert np.abs(counts / 40000 - 0.25).max() < 0.015
    assert len(set(RandomSampler(range(1000), replacement=True).indices().tolist())) < 1000


def test_subset_random_sampler_permutes_the_given_indices():
    sub = [3, 8, 1, 9]
    s = SubsetRandomSampler(sub)
    out = list(s)
    assert sorted(out) == sorted(sub) and len(s) == 4
    assert any(list(s) != out for _ in range(10))       # not a fixed order


def test_weighted_random_sampler_follows_the_weights():
    w = [0.0, 1.0, 3.0, 0.0, 4.0]
    idx = np.array(list(WeightedRandomSampler(w, 80000)))
    counts = np.bincount(idx, minlength=5) / 80000
    assert counts[0] == counts[3] == 0                  # zero weight: never drawn
    np.testing.assert_allclose(counts[[1, 2, 4]], [1 / 8, 3 / 8, 4 / 8], atol=0.01)
    once = list(WeightedRandomSampler(w, 3, replacement=False))
    assert sorted(once) == [1, 2, 4]
    tw = rb.tensor(np.array(w, np.float32))             # a tensor of weights works too
    assert len(WeightedRandomSampler(tw, 6)) == 6 and set(WeightedRandomSampler(tw, 50)) <= {1, 2, 4}


def test_argument_errors_match_torch():
    cases = [
        (lambda m: m.BatchSampler(range(3), 0, False), "batch_size should be a positive integer"),
        (lambda m: m.BatchSampler(range(3), 2, 1), "drop_last should be a boolean"),
        (lambda m: m.RandomSampler(range(3), replacement=1), "replacement should be a boolean"),
        (lambda m: m.RandomSampler(range(3), num_samples=0), "num_samples should be a positive"),
        (lambda m: m.WeightedRandomSampler([[1.0, 2.0]], 2), "weights should be a 1d sequence"),
        (lambda m: m.WeightedRandomSampler([1.0, 2.0], 2, replacement=1), "replacement should be"),
        (lambda m: m.WeightedRandomSampler([1.0, 2.0], 0), "num_samples should be a positive"),
    ]
    ours = rb.utils.data
    for build, msg in cases:
        with pytest.raises(Exception, match=msg) as theirs:
            build(tdata)
        with pytest.raises(type(theirs.value), match=msg):
            build(ours)


def test_errors_where_torch_samples_silently_or_late():
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([-1.0, 2.0], 2)
    with pytest.raises(ValueError, match="without replacement from 1 non-zero"):
        WeightedRandomSampler([1.0, 0.0], 2, replacement=False)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        RandomSampler(range(3), generator=5)
    with pytest.raises(NotImplementedError):
        iter(Sampler())
    with pytest.raises(ValueError, match="num_samples=0"):        # PyTorch's too
        RandomSampler(range(0))
    s = RandomSampler(list(range(3)), num_samples=4)
    s.data_source.clear()                                       # emptied after construction
    with pytest.raises(ValueError, match="data_source is empty"):
        list(s)


def test_dataloader_default_samplers_like_torch():
    ds = _ds(5)
    for shuffle, kind in ((False, SequentialSampler), (True, RandomSampler)):
        dl = DataLoader(ds, batch_size=2, shuffle=shuffle)
        assert type(dl.sampler) is kind and type(dl.batch_sampler) is BatchSampler
        assert dl.batch_sampler.batch_size == 2 and dl.batch_sampler.sampler is dl.sampler
    dl = DataLoader(ds, batch_size=None)
    assert type(dl.sampler) is SequentialSampler and dl.batch_sampler is None


def test_dataloader_shuffle_is_its_random_sampler():
    # The loader's fast path (one permutation array) draws what iterating its sampler draws.
    ds = _ds(20)
    rb.manual_seed(7)
    ys = np.concatenate([y.numpy() for _, y in DataLoader(ds, batch_size=6, shuffle=True)])
    rb.manual_seed(7)
    assert ys.tolist() == list(RandomSampler(ds))


def test_dataloader_with_samplers():
    ds = _ds(10)
    sub = [1, 4, 5, 8, 9]
    ys = [y.numpy().tolist() for _, y in DataLoader(ds, batch_size=2, sampler=SubsetRandomSampler(sub))]
    assert [len(b) for b in ys] == [2, 2, 1] and sorted(sum(ys, [])) == sub
    dl = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 4, True))
    assert [y.numpy().tolist() for _, y in dl] == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(dl) == 2
    dl = DataLoader(ds, batch_size=3, sampler=RandomSampler(ds, replacement=True, num_samples=7))
    assert len(dl) == 3 and sum(len(y) for _, y in dl) == 7
    w = WeightedRandomSampler([0.0] * 9 + [1.0], 4)
    assert [y.numpy().tolist() for _, y in DataLoader(ds, batch_size=4, sampler=w)] == [[9, 9, 9, 9]]
