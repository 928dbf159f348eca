"""``rosenblatt.utils.data``: ``Dataset``, ``TensorDataset``, ``DataLoader``, ``random_split``
and the bundled datasets (``rosenblatt.utils.data.datasets``)."""
from .dataset import Dataset, TensorDataset, Subset, ConcatDataset, random_split
from .dataloader import DataLoader, default_collate
from . import datasets

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "DataLoader",
           "default_collate", "datasets"]
