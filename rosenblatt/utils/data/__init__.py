"""``rosenblatt.utils.data``: ``Dataset``, ``TensorDataset``, ``DataLoader``, ``random_split``,
the samplers and the bundled datasets (``rosenblatt.utils.data.datasets``)."""
from .dataset import Dataset, TensorDataset, Subset, ConcatDataset, random_split
from .sampler import (Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler,
                      WeightedRandomSampler, BatchSampler)
from .dataloader import DataLoader, default_collate
from ._workers import get_worker_info
from . import datasets

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "DataLoader",
           "default_collate", "get_worker_info", "datasets", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler"]
