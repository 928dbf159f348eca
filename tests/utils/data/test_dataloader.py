"""Dataset, TensorDataset, Subset, random_split, DataLoader."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.utils.data import (ConcatDataset, DataLoader, Dataset, Subset, TensorDataset,
                                   default_collate, random_split)


def _ds(n=10):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(rb.tensor(X), rb.tensor(y))


class Plain(Dataset):
    """A per-sample dataset (no get_batch): exercises default_collate."""

    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full((2,), i, np.float32), i


def test_tensor_dataset():
    ds = _ds()
    assert len(ds) == 10
    x, y = ds[3]
    assert x.shape == (3,) and int(y) == 3
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(rb.zeros(3, 2), rb.zeros(4))


@pytest.mark.parametrize("dataset", [_ds, Plain])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batches_and_len(dataset, drop_last):
    loader = DataLoader(dataset(10), batch_size=4, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(batches) == (2 if drop_last else 3)
    sizes = [b[0].shape[0] for b in batches]
    assert sizes == ([4, 4] if drop_last else [4, 4, 2])
    x, y = batches[0]
    assert isinstance(x, rb.Tensor) and isinstance(y, rb.Tensor)
    assert x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(y.data, [0, 1, 2, 3])


@pytest.mark.parametrize("dataset", [_ds, Plain])
def test_shuffle_every_index_once_and_deterministic(dataset):
    def epoch_orders(seed):
        rb.manual_seed(seed)
        loader = DataLoader(dataset(23), batch_size=5, shuffle=True)
        return [np.concatenate([y.data for _, y in loader]) for _ in range(2)]

    a = epoch_orders(7)
    b = epoch_orders(7)
    c = epoch_orders(8)
    for order in a:
        assert sorted(order.tolist()) == list(range(23))
    assert not np.array_equal(a[0], np.arange(23))
    assert not np.array_equal(a[0], a[1])            # a new permutation each epoch
    np.testing.assert_array_equal(a[0], b[0])        # same seed, same order
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_explicit_generator_and_fast_path_matches_slow_path():
    ds = _ds(17)
    fast = DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(3))
    slow = DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(3),
                      collate_fn=default_collate)
    for (xf, yf), (xs, ys) in zip(fast, slow):
        np.testing.assert_array_equal(xf.data, xs.data)
        np.testing.assert_array_equal(yf.data, ys.data)


def test_sequential_batches_are_read_only_views():
    ds = _ds(8)
    x, _ = next(iter(DataLoader(ds, batch_size=4)))
    assert not x.data.flags.writeable
    x.add_(1.0)  # in-place on a batch copies, never touches the dataset
    assert float(ds.tensors[0].data[0, 0]) == 0.0


def test_collate_nested_and_custom():
    batch = default_collate([{"a": 1.5, "b": (np.zeros(2), 3)}, {"a": 2.5, "b": (np.ones(2), 4)}])
    assert batch["a"].dtype == np.float32 and batch["b"][0].shape == (2, 2)
    assert batch["b"][1].dtype == np.int64
    loader = DataLoader(_ds(6), batch_size=3, collate_fn=lambda samples: len(samples))
    assert list(loader) == [3, 3]


def test_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(_ds(), batch_size=0)
    with pytest.raises(TypeError, match="generator"):
        DataLoader(_ds(), shuffle=True, generator=42)
    with pytest.raises(TypeError, match="dataset"):
        DataLoader(42)


@pytest.mark.parametrize("lengths,expected", [([3, 7], [3, 7]), ([0.5, 0.5], [5, 5]),
                                              ([0.34, 0.33, 0.33], [4, 3, 3])])
def test_random_split(lengths, expected):
    ds = _ds(10)
    parts = random_split(ds, lengths, generator=np.random.default_rng(0))
    assert [len(p) for p in parts] == expected
    seen = [int(p[i][1]) for p in parts for i in range(len(p))]
    assert sorted(seen) == list(range(10))           # disjoint and complete
    # a Subset of a TensorDataset keeps the fast batch path
    xb, yb = next(iter(DataLoader(parts[-1], batch_size=len(parts[-1]))))
    np.testing.assert_array_equal(yb.data, [int(parts[-1][i][1]) for i in range(len(parts[-1]))])


def test_random_split_seeded_and_errors():
    ds = _ds(10)
    rb.manual_seed(1)
    a = random_split(ds, [4, 6])[0].indices
    rb.manual_seed(1)
    assert random_split(ds, [4, 6])[0].indices == a
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(ds, [4, 5])


def test_subset_and_concat():
    ds = _ds(5)
    sub = Subset(ds, [4, 0])
    assert int(sub[0][1]) == 4 and len(sub) == 2
    cat = ConcatDataset([ds, Plain(3)])
    assert len(cat) == 8 and cat[6][1] == 1
    with pytest.raises(IndexError):
        cat[8]
