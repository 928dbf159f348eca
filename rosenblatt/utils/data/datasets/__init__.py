"""Bundled datasets: synthetic toys, scikit-learn's digits, MNIST / Fashion-MNIST."""
from .download import download, cache_dir, ChecksumError, DownloadError
from .synthetic import make_xor, make_moons, make_circles, make_spirals, make_regression
from .digits import load_digits, split_indices
from .mnist import MNIST, FashionMNIST, read_idx, IDXError, DatasetNotFoundError

__all__ = ["download", "cache_dir", "ChecksumError", "make_xor", "make_moons", "make_circles",
           "make_spirals", "make_regression", "load_digits", "split_indices", "MNIST",
           "FashionMNIST", "read_idx", "IDXError", "DownloadError", "DatasetNotFoundError"]
