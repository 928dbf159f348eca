"""MNIST and Fashion-MNIST, read from IDX files with NumPy.

``MNIST(root=None, train=True, download=False, transform=None)`` as in
torchvision: ``.data`` is a uint8 tensor ``(N, 28, 28)``, ``.targets`` an int64
tensor; ``ds[i]`` is ``(image, label)`` with a float32 image ``(1, 28, 28)`` in
[0, 1] (or ``transform(image)``) and an int label.  ``ds.tensors()`` gives the
whole split as ``(images (N, 1, 28, 28) float32, labels int64)``, and
``ds.get_batch(indices)`` lets the DataLoader batch with one fancy index.

Where the files are looked for, in order (``.gz`` or uncompressed, with
torchvision's names ``train-images-idx3-ubyte`` ...):

1. ``root`` (also ``root/<ClassName>/raw`` and ``root/<name>``), if given;
2. the user cache, ``$ROSENBLATT_CACHE/<name>`` or ``~/.cache/rosenblatt/<name>``
   (``name`` is ``mnist`` or ``fashion-mnist``);
3. for Fashion-MNIST, Debian's package ``dataset-fashion-mnist``
   (``/usr/share/datasets/fashion-mnist``);
4. with ``download=True``, the mirrors, into ``root`` or the cache.

Checksums: the MD5 digests published for the original ``.gz`` files (by
torchvision and the datasets' authors) are verified on download.  For
Fashion-MNIST the SHA-256 of Debian's files and of the uncompressed IDX
contents (computed from Debian's package) are recorded too.
"""
import gzip
import os
import pathlib

import numpy as np

from ....autograd.tensor import Tensor
from ..dataset import Dataset
from .download import cache_dir, download

__all__ = ["MNIST", "FashionMNIST", "read_idx", "IDXError", "DatasetNotFoundError"]

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


class IDXError(ValueError):
    """A file is not a well-formed IDX file."""


class DatasetNotFoundError(RuntimeError):
    """The dataset's files are in none of the places searched (and ``download`` was False).

    ``dataset`` is the class name, ``files`` the two file stems, ``searched`` the folders.
    """

    def __init__(self, dataset, files, searched):
        self.dataset, self.files, self.searched = dataset, list(files), list(searched)
        super().__init__(f"{dataset} files ({files[0]}[.gz], {files[1]}[.gz]) not found in: "
                         f"{', '.join(str(d) for d in searched)}. Pass download=True to fetch "
                         f"them, or root= a folder that holds them.")


def read_idx(path):
    """Read an IDX file (gzip-compressed or raw, detected from its first bytes) into an ndarray."""
    path = pathlib.Path(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise IDXError(f"{path}: corrupted gzip data ({err})") from None
    if len(raw) < 4:
        raise IDXError(f"{path}: too short to be an IDX file ({len(raw)} bytes)")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise IDXError(f"{path}: bad IDX magic number {raw[:4].hex()} (expected 0000 then a type "
                       f"code in {sorted(hex(k) for k in _IDX_DTYPES)} and the number of dims)")
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXError(f"{path}: truncated IDX header ({ndim} dimensions announced)")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    count = int(np.prod(shape, dtype=np.int64))
    if len(raw) - header != count * dtype.itemsize:
        raise IDXError(f"{path}: IDX header announces shape {shape} ({count * dtype.itemsize} bytes "
                       f"of data) but the file holds {len(raw) - header} bytes")
    arr = np.frombuffer(raw, dtype, count, header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="), copy=True) if dtype.byteorder == ">" else arr.copy()


_CACHE = {}


def _read_cached(path):
    st = os.stat(path)
    key = (str(path), st.st_mtime_ns, st.st_size)
    arr = _CACHE.get(key)
    if arr is None:
        arr = read_idx(path)
        arr.flags.writeable = False
        _CACHE[key] = arr
    return arr


class MNIST(Dataset):
    """The MNIST handwritten digits (60000 train / 10000 test, 28x28 grey levels)."""

    name = "mnist"
    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    #: file -> md5 of the original .gz (as published with the dataset / by torchvision)
    resources = {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }
    system_dirs = []
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root=None, train=True, download=False, transform=None, target_transform=None):
        self.root = None if root is None else pathlib.Path(root).expanduser()
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        prefix = "train" if self.train else "t10k"
        img_path, lbl_path = self._find(prefix, download)
        images = _read_cached(img_path)
        labels = _read_cached(lbl_path)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise IDXError(f"{img_path}: expected uint8 images of shape (N, rows, cols), got "
                           f"{images.dtype} {images.shape}")
        if labels.ndim != 1 or len(labels) != len(images):
            raise IDXError(f"{lbl_path}: expected {len(images)} labels, got shape {labels.shape}")
        self.data = Tensor._make(images, None, 0)
        self.targets = Tensor._make(labels.astype(np.int64), None, 0)
        self.files = (img_path, lbl_path)

    # -- files -----------------------------------------------------------------------
    def _candidate_dirs(self):
        dirs = []
        if self.root is not None:
            dirs += [self.root, self.root / type(self).__name__ / "raw", self.root / self.name]
        dirs.append(cache_dir(self.name, create=False))
        dirs += [pathlib.Path(d) for d in self.system_dirs]
        return dirs

    def _find(self, prefix, allow_download):
        stems = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
        searched = self._candidate_dirs()
        for d in searched:
            found = []
            for stem in stems:
                for fname in (stem + ".gz", stem):
                    if (d / fname).is_file():
                        found.append(d / fname)
                        break
            if len(found) == 2:
                return found
        if not allow_download:
            raise DatasetNotFoundError(type(self).__name__, stems, searched)
        dest = self.root if self.root is not None else cache_dir(self.name)
        paths = []
        for stem in stems:
            fname = stem + ".gz"
            paths.append(download([m + fname for m in self.mirrors], fname, root=dest,
                                  md5=self.resources.get(fname)))
        return paths

    # -- samples -----------------------------------------------------------------------
    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, index):
        img = Tensor._make(self.data.data[index][None].astype(np.float32) / np.float32(255), None, 0)
        target = int(self.targets.data[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _images(self, indices):
        x = self.data.data[indices]
        out = np.empty((x.shape[0], 1) + x.shape[1:], np.float32)
        np.multiply(x[:, None], np.float32(1 / 255), out=out)
        return out

    def tensors(self):
        """The whole split: ``(images float32 (N, 1, 28, 28) in [0, 1], labels int64 (N,))``."""
        return (Tensor._make(self._images(slice(None)), None, 0),
                Tensor._make(self.targets.data.copy(), None, 0))

    def arrays(self):
        """As :meth:`tensors`, as NumPy arrays."""
        return self._images(slice(None)), self.targets.data.copy()

    @property
    def get_batch(self):
        if self.transform is not None or self.target_transform is not None:
            raise AttributeError("get_batch is only available without transforms")
        return self._get_batch

    def _get_batch(self, indices):
        return (Tensor._make(self._images(indices), None, 0),
                Tensor._make(self.targets.data[indices], None, 0))

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __repr__(self):
        split = "Train" if self.train else "Test"
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Split: {split}\n    Files: {self.files[0].parent}")


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (same format as MNIST: 10 kinds of clothing)."""

    name = "fashion-mnist"
    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
               "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"]
    resources = {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    }
    #: sha256 of the (re-compressed) .gz files shipped by Debian's dataset-fashion-mnist
    debian_sha256 = {
        "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    }
    #: sha256 of the uncompressed IDX contents (the same whoever compressed the file)
    idx_sha256 = {
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    }
    system_dirs = ["/usr/share/datasets/fashion-mnist"]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
