"""Character-level text: a ``Vocab``, three corpora, a train/validation split, d2l's minibatch schemes.

Corpora:

* the default: the English text of CPython's own documentation topics
  (``pydoc_data.topics``, present in every CPython installation, ~0.5 MB);
* any UTF-8 file (``load_corpus("path/to/file.txt")``);
* tiny-shakespeare (Karpathy's char-rnn corpus, ~1.1 MB), downloaded once into the cache
  and checked against its SHA-256 (``load_corpus("shakespeare")``).

Each character is one token, so any script (Chinese included) works.  The split is
contiguous -- the first ``1 - val_fraction`` of the text trains, the rest validates -- so
no training window can contain a validation character.

Minibatches (Dive into Deep Learning, section 8.3), both yielding ``X, Y`` of shape
``(batch_size, num_steps)`` with ``Y`` = ``X`` shifted by one character:

* **random sampling** (``seq_data_iter_random``): a random offset, the text cut into
  ``num_steps`` windows, windows shuffled; consecutive batches are unrelated, so the
  hidden state must be reset for every batch;
* **sequential partitioning** (``seq_data_iter_sequential``): the text split into
  ``batch_size`` contiguous streams read left to right; row ``i`` of batch ``k+1`` continues
  row ``i`` of batch ``k``, so the hidden state is carried over (and ``.detach()``-ed:
  truncated backpropagation through time).
"""
import collections
import json
import pathlib

import numpy as np

from ....autograd.tensor import Tensor
from .... import random as _random

__all__ = ["Vocab", "pydoc_topics_text", "load_shakespeare", "load_corpus", "TextCorpus",
           "seq_data_iter_random", "seq_data_iter_sequential", "SeqDataLoader",
           "SHAKESPEARE_URLS", "SHAKESPEARE_SHA256"]

SHAKESPEARE_URLS = ["https://raw.githubusercontent.com/karpathy/char-rnn/master/data/"
                    "tinyshakespeare/input.txt"]
SHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"


class Vocab:
    """Character vocabulary: index 0 is ``unk_token``; characters by decreasing frequency.

    ``Vocab(text, min_freq=0)``: characters seen fewer than ``min_freq`` times map to
    ``<unk>``.  ``encode(str) -> int64 array``, ``decode(indices) -> str``;
    ``vocab[ch]`` is an index (0 for unknown characters), ``vocab.itos[i]`` a token.
    """

    def __init__(self, text="", min_freq=0, unk_token="<unk>", tokens=None):
        self.unk_token = unk_token
        if tokens is not None:
            itos = list(tokens)
            if not itos or itos[0] != unk_token:
                raise ValueError(f"Vocab: tokens must start with the unknown token {unk_token!r}")
        else:
            counts = collections.Counter(text)
            self.counts = counts
            chars = sorted((c for c, n in counts.items() if n >= max(min_freq, 1)),
                           key=lambda c: (-counts[c], c))
            itos = [unk_token] + chars
        self.itos = itos
        self.stoi = {t: i for i, t in enumerate(itos)}
        self.unk = 0
        # Fast path for encode: a code-point lookup table when the alphabet is compact.
        cps = [ord(t) for t in itos[1:] if len(t) == 1]
        self._table = None
        if cps and max(cps) < 1 << 17:
            table = np.zeros(max(cps) + 1, np.int64)
            for t in itos[1:]:
                if len(t) == 1:
                    table[ord(t)] = self.stoi[t]
            self._table = table

    def __len__(self):
        return len(self.itos)

    def __getitem__(self, token):
        return self.stoi.get(token, self.unk)

    def __contains__(self, token):
        return token in self.stoi

    def __repr__(self):
        return f"Vocab(size={len(self)}, unk_token={self.unk_token!r})"

    def encode(self, text):
        """One int64 index per character (``<unk>`` = 0 for characters not in the vocabulary)."""
        if not isinstance(text, str):
            raise TypeError(f"Vocab.encode: text must be a str, got {type(text).__name__}")
        if not text:
            return np.zeros(0, np.int64)
        if self._table is not None:
            cp = np.frombuffer(text.encode("utf-32-le"), np.uint32).astype(np.int64)
            inside = cp < len(self._table)
            out = np.zeros(cp.shape, np.int64)
            out[inside] = self._table[cp[inside]]
            return out
        return np.array([self.stoi.get(c, 0) for c in text], np.int64)

    def decode(self, indices):
        """Indices (list, array or Tensor) back to a string."""
        if isinstance(indices, Tensor):
            indices = indices.data
        idx = np.asarray(indices).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
            raise IndexError(f"Vocab.decode: index out of range [0, {len(self) - 1}]")
        return "".join(self.itos[i] for i in idx.tolist())

    def to_tokens(self, indices):
        return [self.itos[int(i)] for i in np.asarray(indices).reshape(-1)]

    def to_json(self):
        """A JSON string that :meth:`from_json` turns back into an equal vocabulary."""
        return json.dumps({"itos": self.itos, "unk_token": self.unk_token}, ensure_ascii=False)

    @classmethod
    def from_json(cls, s):
        if isinstance(s, np.ndarray):
            s = str(s)
        d = json.loads(s)
        return cls(unk_token=d["unk_token"], tokens=d["itos"])

    def __eq__(self, other):
        return isinstance(other, Vocab) and self.itos == other.itos

    __hash__ = object.__hash__


# -- corpora ------------------------------------------------------------------------------------
def pydoc_topics_text():
    """The English text of CPython's ``pydoc_data.topics`` (topics in sorted key order)."""
    from pydoc_data.topics import topics
    return "\n".join(topics[k] for k in sorted(topics))


def load_shakespeare(root=None, urls=None, sha256=SHAKESPEARE_SHA256, progress=False):
    """tiny-shakespeare as a string, downloaded once (checked against ``sha256``) and cached."""
    from .download import cache_dir, download
    root = cache_dir("text") if root is None else root
    path = download(SHAKESPEARE_URLS if urls is None else urls, "tinyshakespeare.txt",
                    sha256=sha256, root=root, progress=progress)
    return pathlib.Path(path).read_text(encoding="utf-8")


def load_corpus(source=None, **kwargs):
    """Text of ``source``: None / ``"pydoc"`` (default corpus), ``"shakespeare"`` or a file path."""
    if source is None or source == "pydoc":
        return pydoc_topics_text()
    if source in ("shakespeare", "tinyshakespeare", "tiny-shakespeare"):
        return load_shakespeare(**kwargs)
    path = pathlib.Path(source).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"load_corpus: no such text file: {str(path)!r} (or use None / "
                                f"'pydoc' / 'shakespeare')")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"load_corpus: {str(path)!r} is not UTF-8 text ({err})") from None


class TextCorpus:
    """A text, its vocabulary and a contiguous train/validation split of its indices.

    ``train`` = indices of characters ``[0, split)``, ``val`` = ``[split, len(text))`` with
    ``split = round(len(text) * (1 - val_fraction))``.  The vocabulary is built from the
    whole text by default (pass ``vocab=`` to reuse one).
    """

    def __init__(self, text, val_fraction=0.1, vocab=None, min_freq=0):
        if not isinstance(text, str) or len(text) < 4:
            raise ValueError("TextCorpus: text must be a str of at least 4 characters")
        if not 0 <= val_fraction < 1:
            raise ValueError(f"TextCorpus: val_fraction must be in [0, 1), got {val_fraction}")
        self.text = text
        self.vocab = Vocab(text, min_freq=min_freq) if vocab is None else vocab
        self.indices = self.vocab.encode(text)
        self.split = int(round(len(text) * (1 - val_fraction)))
        self.train = self.indices[:self.split]
        self.val = self.indices[self.split:]

    def __repr__(self):
        return (f"TextCorpus(chars={len(self.text)}, vocab={len(self.vocab)}, "
                f"train={len(self.train)}, val={len(self.val)})")


# -- minibatch schemes ---------------------------------------------------------------------------
def _gen(generator):
    return _random.default_generator() if generator is None else generator


def _check_batching(data, batch_size, num_steps, fn):
    data = np.asarray(data.data if isinstance(data, Tensor) else data)
    if data.ndim != 1:
        raise ValueError(f"{fn}: data must be a 1-D sequence of indices, got shape {data.shape}")
    for name, v in (("batch_size", batch_size), ("num_steps", num_steps)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{fn}: {name} must be a positive int, got {v!r}")
    if len(data) < num_steps + 2:
        raise ValueError(f"{fn}: the data ({len(data)} tokens) is too short for num_steps="
                         f"{num_steps}")
    return data


def _wrap(a):
    return Tensor._make(np.ascontiguousarray(a), None, 0)


def seq_data_iter_random(data, batch_size, num_steps, generator=None):
    """Random sampling: shuffled non-overlapping windows after a random offset."""
    data = _check_batching(data, batch_size, num_steps, "seq_data_iter_random")
    g = _gen(generator)
    offset = int(g.integers(0, num_steps))
    n = (len(data) - 1 - offset) // num_steps
    starts = offset + num_steps * g.permutation(n)
    cols = np.arange(num_steps)
    for k in range(0, n - batch_size + 1, batch_size) if n >= batch_size else [0]:
        s = starts[k:k + batch_size]
        win = s[:, None] + cols
        yield _wrap(data[win]), _wrap(data[win + 1])


def seq_data_iter_sequential(data, batch_size, num_steps, generator=None):
    """Sequential partitioning: ``batch_size`` contiguous streams, read ``num_steps`` at a time."""
    data = _check_batching(data, batch_size, num_steps, "seq_data_iter_sequential")
    g = _gen(generator)
    offset = int(g.integers(0, num_steps))
    per_row = (len(data) - offset - 1) // batch_size
    if per_row < 1:
        raise ValueError(f"seq_data_iter_sequential: {len(data)} tokens are too few for "
                         f"batch_size={batch_size}")
    n = per_row * batch_size
    Xs = data[offset:offset + n].reshape(batch_size, per_row)
    Ys = data[offset + 1:offset + 1 + n].reshape(batch_size, per_row)
    for i in range(0, per_row - num_steps + 1, num_steps) if per_row >= num_steps else [0]:
        yield _wrap(Xs[:, i:i + num_steps]), _wrap(Ys[:, i:i + num_steps])


class SeqDataLoader:
    """Iterable over ``(X, Y)`` minibatches of one of the two schemes (a fresh offset each pass)."""

    def __init__(self, data, batch_size, num_steps, use_random_iter=False, generator=None):
        self.data = _check_batching(data, batch_size, num_steps, "SeqDataLoader")
        self.batch_size, self.num_steps = batch_size, num_steps
        self.use_random_iter = use_random_iter
        self.generator = generator

    def __iter__(self):
        fn = seq_data_iter_random if self.use_random_iter else seq_data_iter_sequential
        return fn(self.data, self.batch_size, self.num_steps, self.generator)

    def __len__(self):
        if self.use_random_iter:
            return max(1, ((len(self.data) - self.num_steps) // self.num_steps) // self.batch_size)
        return max(1, ((len(self.data) - self.num_steps) // self.batch_size) // self.num_steps)
