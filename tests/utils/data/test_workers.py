"""``DataLoader(num_workers>0)``: worker processes, ordered, seeded, shut down (_workers.py)."""
import multiprocessing as mp
import os
import time

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.utils.data import DataLoader, Dataset, TensorDataset, get_worker_info


class Noisy(Dataset):
    """Samples with a random part drawn in the worker, and who loaded them."""

    def __init__(self, n=10, fail_at=None, die_at=None):
        self.n, self.fail_at, self.die_at = n, fail_at, die_at

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise ValueError(f"bad sample {i}")
        if i == self.die_at:
            os._exit(3)
        info = get_worker_info()
        return (rb.tensor([float(i)]), float(rb.rand(1).item()), float(np.random.rand()),
                -1 if info is None else info.id, os.getpid())


def _epoch(loader):
    return [b for b in loader]


def _random_parts(loader):
    return [b[1].numpy().tolist() + b[2].numpy().tolist() for b in loader]


def _wait_for_no_children():
    for _ in range(50):
        if not mp.active_children():
            return True
        time.sleep(0.1)
    return False


def test_batches_come_in_order_from_round_robin_workers():
    loader = DataLoader(Noisy(10), batch_size=3, num_workers=2)
    batches = _epoch(loader)
    assert [b[0].flatten().tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert [b[3].tolist()[0] for b in batches] == [0, 1, 0, 1]        # batch i -> worker i % 2
    assert all(pid != os.getpid() for b in batches for pid in b[4].tolist())
    assert len(loader) == 4 and _wait_for_no_children()


def test_same_seed_same_batches_and_the_same_as_in_process_loading_order():
    ds = TensorDataset(rb.arange(20.0).reshape(20, 1), rb.arange(20))
    runs = []
    for workers in (0, 2, 2):
        rb.manual_seed(5)
        loader = DataLoader(ds, batch_size=4, shuffle=True, num_workers=workers)
        runs.append([b[1].tolist() for b in loader])
    assert runs[1] == runs[2]
    assert sorted(sum(runs[1], [])) == list(range(20))
    rb.manual_seed(5)
    a = _random_parts(DataLoader(Noisy(8), batch_size=2, num_workers=3))
    rb.manual_seed(5)
    b = _random_parts(DataLoader(Noisy(8), batch_size=2, num_workers=3))
    assert a == b                                  # worker seeds come from the seeded generator
    rb.manual_seed(6)
    c = _random_parts(DataLoader(Noisy(8), batch_size=2, num_workers=3))
    assert a != c


def test_generator_argument_and_unbatched_and_batch_sampler():
    ds = TensorDataset(rb.arange(12))
    g = lambda: rb.Generator().manual_seed(3)                       # noqa: E731
    a = [b[0].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True, generator=g())]
    b = [b[0].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True, generator=g(), num_workers=2)]
    assert a == b
    assert list(DataLoader(list(range(5)), batch_size=None, num_workers=2)) == [0, 1, 2, 3, 4]
    sampler = [[3, 1], [0], [2, 4]]
    out = [t.tolist() for t in DataLoader(list(range(5)), batch_sampler=sampler, num_workers=2)]
    assert out == sampler


def test_worker_error_is_raised_with_its_traceback_and_workers_stop():
    loader = DataLoader(Noisy(10, fail_at=7), batch_size=3, num_workers=2)
    with pytest.raises(RuntimeError, match=r"(?s)Caught an exception in DataLoader worker process 0\..*"
                                           r"ValueError: bad sample 7"):
        _epoch(loader)
    assert _wait_for_no_children()


def test_dead_worker_is_reported():
    loader = DataLoader(Noisy(6, die_at=4), batch_size=2, num_workers=2)
    with pytest.raises(RuntimeError, match="DataLoader worker 0 .* exited unexpectedly with exit code 3"):
        _epoch(loader)
    assert _wait_for_no_children()


def test_leaving_the_loop_early_stops_the_workers():
    it = iter(DataLoader(Noisy(50), batch_size=1, num_workers=3))
    next(it)
    it.close()
    assert _wait_for_no_children()


def test_worker_init_fn_runs_in_each_worker():
    def init(worker_id):
        np.random.seed(1000 + worker_id)

    out = [b[2].tolist() for b in DataLoader(Noisy(4), batch_size=1, num_workers=2, worker_init_fn=init)]
    np.random.seed(1000)
    first = np.random.rand()
    assert out[0] == [float(np.float32(first))]        # collated as float32


def test_bad_worker_options():
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(Noisy(), num_workers=-1)
    with pytest.raises(ValueError, match="need num_workers > 0"):
        DataLoader(Noisy(), prefetch_factor=2)
    with pytest.raises(ValueError, match="timeout option should be non-negative"):
        DataLoader(Noisy(), num_workers=1, timeout=-1)
    assert get_worker_info() is None
