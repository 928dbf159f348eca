"""``DataLoader(num_workers=n)``: batches loaded by ``n`` worker processes, as in PyTorch.

Batch ``i`` goes to worker ``i % n`` (round robin, as PyTorch does), each worker seeds
rosenblatt's, NumPy's and Python's generators with ``base_seed + worker_id`` before it
loads anything (``base_seed`` is drawn once per epoch from the loader's generator), so a
seeded program gets the same batches, random transforms included, on every run.  The main
process hands out at most ``prefetch_factor * n`` batches ahead and yields them in order.
Workers stop when the epoch ends, when the loop is left early (the iterator is closed or
collected), and on any error: a worker's exception is raised again in the main process
with the worker's traceback; a worker that dies raises naming its exit code.

Workers are forked where the platform can (Linux); elsewhere they are spawned, and the
dataset must then be picklable (as in PyTorch).
"""
import multiprocessing as mp
import queue
import random
import traceback

import numpy as np

__all__ = ["WorkerInfo", "get_worker_info", "iterate"]

_POLL_S = 1.0          # how often the main process checks that its workers are alive
_info = None           # this process's WorkerInfo (None in the main process)


class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: ``id``, ``num_workers``, ``seed``,
    ``dataset``."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info():
    """The current worker's :class:`WorkerInfo`, or None in the main process."""
    return _info


def _seed_all(seed):
    from ... import random as rb_random
    rb_random.manual_seed(seed)
    np.random.seed(seed % 2 ** 32)
    random.seed(seed)


def _worker_loop(loader, worker_id, num_workers, seed, tasks, results):
    global _info
    try:
        _info = WorkerInfo(worker_id, num_workers, seed, loader.dataset)
        _seed_all(seed)
        if loader.worker_init_fn is not None:
            loader.worker_init_fn(worker_id)
    except BaseException:       # noqa: BLE001  reported to the main process, which raises
        results.put((None, _failure(worker_id)))
        return
    while True:
        task = tasks.get()
        if task is None:
            return
        i, work = task
        try:
            results.put((i, ("ok", loader._run(work))))
        except BaseException:   # noqa: BLE001
            results.put((i, _failure(worker_id)))


def _failure(worker_id):
    return ("error", f"Caught an exception in DataLoader worker process {worker_id}.\n"
                     f"Original {traceback.format_exc()}")


def _context():
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else "spawn")


def iterate(loader, tasks, base_seed):
    """Yield ``loader._run(task)`` for each task, in order, computed by worker processes."""
    n = loader.num_workers
    ctx = _context()
    results = ctx.Queue()
    queues = [ctx.Queue() for _ in range(n)]
    workers = [ctx.Process(target=_worker_loop, args=(loader, w, n, base_seed + w, queues[w], results),
                           daemon=True) for w in range(n)]
    for p in workers:
        p.start()
    try:
        tasks = iter(tasks)
        sent = done = 0
        ahead = max(1, loader.prefetch_factor) * n
        waiting = {}
        for work in tasks:                       # prime: up to `ahead` tasks in flight
            queues[sent % n].put((sent, work))
            sent += 1
            if sent == ahead:
                break
        while done < sent:
            while done not in waiting:
                i, (status, value) = _next_result(results, workers, loader.timeout)
                if status == "error":
                    raise RuntimeError(value)
                waiting[i] = value
            batch = waiting.pop(done)
            done += 1
            work = next(tasks, None)
            if work is not None:
                queues[sent % n].put((sent, work))
                sent += 1
            yield batch
    finally:
        _shutdown(workers, queues, results)


def _next_result(results, workers, timeout):
    waited = 0.0
    while True:
        try:
            return results.get(timeout=_POLL_S)
        except queue.Empty:
            waited += _POLL_S
            for w, p in enumerate(workers):
                if not p.is_alive():
                    raise RuntimeError(f"DataLoader worker {w} (pid {p.pid}) exited unexpectedly "
                                       f"with exit code {p.exitcode}") from None
            if timeout and waited >= timeout:
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds waiting for a "
                                   f"batch from its workers") from None


def _shutdown(workers, queues, results):
    for q in queues:
        try:
            q.put(None)
        except (OSError, ValueError):
            pass
    for p in workers:
        p.join(timeout=5.0)
        if p.is_alive():
            p.terminate()
            p.join(timeout=1.0)
    for q in queues + [results]:
        q.cancel_join_thread()        # don't block interpreter exit on undelivered items
        q.close()


