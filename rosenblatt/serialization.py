"""``rb.save`` / ``rb.load``: checkpoints as ``.npz`` files, without pickle.

PyTorch's ``torch.save`` pickles; a pickle can run arbitrary code when loaded.
Here a checkpoint is an ordinary ``.npz`` (a zip of ``.npy`` arrays) that NumPy
reads with ``allow_pickle=False``:

* every array leaf (a ``Tensor``, an ``ndarray``, a NumPy scalar) becomes one
  ``.npy`` entry, named after its path in the structure (``model/fc.weight``);
* everything else -- dicts (any JSON-able keys: str, int, float, bool, None),
  lists, tuples, Python numbers, strings, None -- is described by one JSON
  manifest entry, ``__rosenblatt_manifest__``.

So ``{'model': model.state_dict(), 'optimizer': opt.state_dict(), 'epoch': 3,
'rng': rb.get_rng_state()}`` round-trips with its types: tensors come back as
tensors, arrays as arrays, ``OrderedDict`` as ``OrderedDict``, tuples as tuples,
int dict keys as ints.  Objects of any other type are refused with a
``TypeError`` naming where they are.

A path ending in ``.safetensors`` selects the `safetensors
<https://huggingface.co/docs/safetensors>`_ format instead (the optional
extra ``rosenblatt[interop]``): a flat ``{name: tensor}`` dict -- a
``state_dict`` -- with PyTorch's keys, shapes and layouts, so::

    rb.save(model.state_dict(), "model.safetensors", metadata={"config": json.dumps(cfg)})
    torch_model.load_state_dict(safetensors.torch.load_file("model.safetensors"))   # strict

    sd = rb.load("model.safetensors")                       # {name: Tensor}, from torch too
    sd, meta = rb.load("model.safetensors", with_metadata=True)
    meta = rb.serialization.load_metadata("model.safetensors")  # header only: {str: str}

(``meta`` is the ``__metadata__`` that ``safe_open(path, "np").metadata()``
returns.)  Only ``safetensors.numpy`` is used: no torch in the library.

Writes are atomic, in both formats: the file is written to a temporary file
in the same directory (created with mode ``0o666`` filtered by the user's
umask, as ``open(path, "wb")`` would), flushed to disk and then moved over
``path`` with ``os.replace``; an exception mid-write leaves the previous file
untouched and no temporary file behind.

A file ``rb.load`` cannot read raises a :class:`CheckpointError` whose one-line message
names the file and what it is instead: missing, a directory, empty, a truncated or corrupt
zip, a pickle (``torch.save`` files are: rosenblatt never unpickles), a text file, a
``.npz`` that ``rb.save`` did not write.  The ``rosenblatt`` command prints that line.
"""
import json
import os
import re
import secrets
import struct
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from .autograd.tensor import Tensor

__all__ = ["save", "load", "load_metadata", "CheckpointError", "BadCheckpointError",
           "CheckpointNotFoundError", "CheckpointIsADirectoryError"]

MANIFEST = "__rosenblatt_manifest__"
FORMAT_VERSION = 1
_SAFE = re.compile(r"[^A-Za-z0-9_.\-/]")


# -- errors ---------------------------------------------------------------------------
class CheckpointError(Exception):
    """``rb.load`` cannot read a file; the message names the file and what is wrong.

    Raised as one of the subclasses below, which are also ``ValueError``,
    ``FileNotFoundError`` or ``IsADirectoryError``, so either kind of ``except`` catches them.
    """


class BadCheckpointError(CheckpointError, ValueError):
    """The file exists but is not a checkpoint ``rb.load`` can read (and says what it is)."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """There is no such file."""


class CheckpointIsADirectoryError(CheckpointError, IsADirectoryError):
    """The path is a directory."""


_NO_PICKLE = ("rosenblatt never unpickles (loading a pickle can run arbitrary code); in PyTorch, "
              "save the weights with safetensors, safetensors.torch.save_file(model.state_dict(), "
              "'model.safetensors'), and rb.load('model.safetensors')")


# -- flattening ---------------------------------------------------------------------
class _Flattener:
    def __init__(self):
        self.arrays = OrderedDict()     # entry name -> ndarray

    def _entry(self, path):
        name = _SAFE.sub("_", "/".join(path)) or "value"
        name = name.strip("/") or "value"
        if name == MANIFEST or name in self.arrays:
            base, n = name, 1
            while name in self.arrays or name == MANIFEST:
                name = f"{base}~{n}"
                n += 1
        return name

    def _array(self, arr, path, where):
        if arr.dtype.hasobject:
            raise TypeError(f"rb.save: {where} is an array of Python objects (dtype object); "
                            f"only numeric, bool and string arrays can be saved without pickle")
        name = self._entry(path)
        self.arrays[name] = np.ascontiguousarray(arr) if arr.ndim else arr
        return name

    def node(self, obj, path):
        where = "the object" if not path else "'" + "/".join(path) + "'"
        # JSON leaves (bool before int: bool is an int subclass)
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return obj
        if isinstance(obj, float):
            return {"type": "float", "value": repr(obj)} if not np.isfinite(obj) else obj
        if isinstance(obj, Tensor):
            kind = "parameter" if type(obj).__name__ == "Parameter" else "tensor"
            return {"type": kind, "entry": self._array(np.asarray(obj.data), path, where),
                    "requires_grad": bool(obj.requires_grad)}
        if isinstance(obj, np.ndarray):
            return {"type": "ndarray", "entry": self._array(obj, path, where)}
        if isinstance(obj, np.generic):
            return {"type": "npscalar", "entry": self._array(np.asarray(obj), path, where)}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not (k is None or isinstance(k, (str, int, float))):
                    raise TypeError(f"rb.save: dict key {k!r} in {where} has type "
                                    f"{type(k).__name__}; keys must be str, int, float, bool or None")
                items.append([self.node(k, path + ["key"]) if isinstance(k, float) else k,
                              self.node(v, path + [str(k)])])
            kind = "ordereddict" if isinstance(obj, OrderedDict) else "dict"
            return {"type": kind, "items": items}
        if isinstance(obj, (list, tuple)):
            return {"type": "tuple" if isinstance(obj, tuple) else "list",
                    "items": [self.node(v, path + [str(i)]) for i, v in enumerate(obj)]}
        raise TypeError(f"rb.save: cannot save {where} of type {type(obj).__name__}: only tensors, "
                        f"arrays, numbers, strings, None and dicts/lists/tuples of them are "
                        f"supported (no pickle)")


def _rebuild(node, arrays):
    if not isinstance(node, dict):
        return node                       # JSON leaf: None, bool, int, float, str
    kind = node.get("type")
    if kind == "float":
        return float(node["value"])
    if kind in ("tensor", "parameter", "ndarray", "npscalar"):
        arr = arrays[node["entry"]]
        if kind == "ndarray":
            return arr
        if kind == "npscalar":
            return arr[()]
        if kind == "parameter":
            from .nn.module import Parameter
            return Parameter(arr, requires_grad=node.get("requires_grad", True))
        return Tensor._make(arr, None, 0).requires_grad_(node.get("requires_grad", False))
    if kind in ("dict", "ordereddict"):
        out = OrderedDict() if kind == "ordereddict" else {}
        for k, v in node["items"]:
            out[_rebuild(k, arrays)] = _rebuild(v, arrays)
        return out
    if kind == "list":
        return [_rebuild(v, arrays) for v in node["items"]]
    if kind == "tuple":
        return tuple(_rebuild(v, arrays) for v in node["items"])
    raise BadCheckpointError(f"rb.load: unknown node type {kind!r} in the manifest (file from a newer version?)")


# -- writing --------------------------------------------------------------------------
def _write_zip(fileobj, arrays, manifest, compress):
    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(fileobj, "w", compression=mode, allowZip64=True) as zf:
        for name, arr in list(arrays.items()) + [(MANIFEST, np.array(manifest))]:
            with zf.open(name + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, arr, allow_pickle=False)


def _atomic_write(path, write, who="rb.save"):
    """Write ``path`` atomically: ``write(fileobj)`` fills a temporary file in the same
    directory, which is fsynced and then ``os.replace``d over ``path``.

    The temporary file is created by ``os.open(..., 0o666)``, so the kernel applies the
    user's umask (and any default ACL) exactly as for ``open(path, "wb")``; on any
    exception it is removed and ``path`` is left as it was.
    """
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{who}: directory {directory!r} does not exist")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue
    else:                                             # pragma: no cover
        raise FileExistsError(f"{who}: could not create a temporary file in {directory!r}")
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _is_safetensors_path(f):
    if hasattr(f, "write") or hasattr(f, "read") or not isinstance(f, (str, bytes, os.PathLike)):
        return False
    name = os.fspath(f)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    return name.lower().endswith(".safetensors")


def save(obj, f, compress=False, metadata=None):
    """Save ``obj`` (a state dict, a checkpoint dict, a tensor...) to ``f``.

    ``f`` is a path (written atomically, exactly at that name: no ``.npz`` is
    appended) or a writable binary file object.  ``compress=True`` deflates the
    entries.  Raises ``TypeError`` for anything that would need pickle.

    A path ending in ``.safetensors`` writes the safetensors format (needs
    ``pip install 'rosenblatt[interop]'``): ``obj`` must then be a flat
    ``{str: Tensor | ndarray}`` dict such as ``model.state_dict()``, which
    ``safetensors.torch.load_file`` reads back as PyTorch's state dict.
    ``metadata`` is a ``{str: str}`` dict stored in the file's header
    (``__metadata__``; e.g. ``{"config": json.dumps(config)}``); read it back
    with ``rb.load(path, with_metadata=True)`` or :func:`load_metadata`.
    (Hugging Face ``transformers`` also expects ``"format": "pt"`` there; it is
    not added for you.)  The safetensors format is chosen only for paths, not
    for file objects.  ``metadata`` is only for ``.safetensors`` files (in a ``.npz`` checkpoint,
    put such values in the saved dict itself).
    """
    if _is_safetensors_path(f):
        _save_safetensors(obj, f, metadata)
        return
    if metadata is not None:
        raise TypeError("rb.save: metadata= is only for .safetensors files; in a .npz checkpoint "
                        "store it in the saved dict itself (e.g. {'model': ..., 'config': {...}})")
    flat = _Flattener()
    root = flat.node(obj, [])
    manifest = json.dumps({"format": "rosenblatt", "version": FORMAT_VERSION, "root": root})
    if hasattr(f, "write"):
        _write_zip(f, flat.arrays, manifest, compress)
        return
    if not isinstance(f, (str, bytes, os.PathLike)):
        raise TypeError(f"rb.save: f must be a path or a binary file object, got {type(f).__name__}")
    _atomic_write(f, lambda out: _write_zip(out, flat.arrays, manifest, compress))


# -- safetensors ----------------------------------------------------------------------
# safetensors dtype code <-> NumPy dtype, for the dtypes that NumPy and PyTorch both hold.
_ST_DTYPES = {"BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "U16": np.uint16,
              "I32": np.int32, "U32": np.uint32, "I64": np.int64, "U64": np.uint64,
              "F16": np.float16, "F32": np.float32, "F64": np.float64, "C64": np.complex64}
_NP_OK = {np.dtype(t) for t in _ST_DTYPES.values()}
_MAX_HEADER = 100_000_000                       # the limit safetensors itself enforces


def _safetensors():
    from ._optional import require
    return require("safetensors.numpy", ".safetensors files")


def _save_safetensors(obj, f, metadata):
    path = os.fspath(f)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(obj, dict):
        raise TypeError(f"rb.save: a .safetensors file holds a flat dict of named tensors "
                        f"(a state_dict), got {type(obj).__name__} for {path!r}; use a .npz path for "
                        f"other objects")
    arrays = {}
    for k, v in obj.items():
        if not isinstance(k, str):
            raise TypeError(f"rb.save: key {k!r} has type {type(k).__name__}; a .safetensors file "
                            f"needs str keys ({path!r})")
        if isinstance(v, Tensor):
            arr = np.asarray(v.data)
        elif isinstance(v, (np.ndarray, np.generic)):
            arr = np.asarray(v)
        else:
            raise TypeError(f"rb.save: value of {k!r} is a {type(v).__name__}; a .safetensors file "
                            f"holds only tensors/arrays (a flat state_dict); save nested checkpoints "
                            f"(optimizer state, epoch...) to a .npz path, or strings in metadata= "
                            f"({path!r})")
        if arr.dtype not in _NP_OK:
            raise TypeError(f"rb.save: {k!r} has dtype {arr.dtype}, which .safetensors files do not "
                            f"support here (supported: {', '.join(sorted(str(d) for d in _NP_OK))}) "
                            f"({path!r})")
        arrays[k] = np.ascontiguousarray(arr) if arr.ndim else arr   # (ascontiguousarray makes 0-d 1-d)
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in metadata.items()):
            raise TypeError("rb.save: metadata must be a dict of str -> str (as in safetensors); "
                            "encode other values, e.g. metadata={'config': json.dumps(config)}")
        metadata = dict(metadata)
    st = _safetensors()
    try:
        blob = st.save(arrays, metadata=metadata)
    except Exception as err:                       # safetensors_rust.SafetensorError
        raise ValueError(f"rb.save: safetensors could not serialise {path!r}: {err}") from err
    _atomic_write(path, lambda out: out.write(blob))


def _read_header(path):
    """Validate ``path`` as a safetensors file; return ``(header dict, metadata dict)``.

    Errors are one line naming the file (and the key, for a bad dtype)."""
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise BadCheckpointError(f"rb.load: {path!r} is not a safetensors file ({size} bytes: too short "
                             f"for the 8-byte header length)")
        (n,) = struct.unpack("<Q", head)
        first = fh.read(1)
        if first != b"{":
            raise BadCheckpointError(f"rb.load: {path!r} is not a safetensors file (no JSON header after the "
                             f"8-byte length)")
        if n > _MAX_HEADER or n < 2:
            raise BadCheckpointError(f"rb.load: {path!r} is not a safetensors file (header length {n})")
        if 8 + n > size:
            raise BadCheckpointError(f"rb.load: {path!r} is a truncated safetensors file: the header needs "
                             f"{n} bytes, the file has {size - 8} after the length")
        raw = first + fh.read(n - 1)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadCheckpointError(f"rb.load: {path!r} is not a safetensors file (corrupt JSON header: "
                         f"{err})") from None
    if not isinstance(header, dict):
        raise BadCheckpointError(f"rb.load: {path!r} is not a safetensors file (header is not a JSON object)")
    metadata = header.pop("__metadata__", None) or {}
    data_size = size - 8 - n
    for key, info in header.items():
        if not (isinstance(info, dict) and {"dtype", "shape", "data_offsets"} <= set(info)):
            raise BadCheckpointError(f"rb.load: {path!r} is not a valid safetensors file (bad header entry "
                             f"for {key!r})")
        if info["dtype"] not in _ST_DTYPES:
            raise BadCheckpointError(f"rb.load: {key!r} in {path!r} has dtype {info['dtype']}, which NumPy "
                             f"cannot hold (supported: {', '.join(_ST_DTYPES)}); convert it before "
                             f"saving, e.g. tensor.float() in PyTorch")
        try:
            _start, end = (int(o) for o in info["data_offsets"])
        except (TypeError, ValueError):
            raise BadCheckpointError(f"rb.load: {path!r} is not a valid safetensors file (bad data_offsets "
                             f"for {key!r})") from None
        if end > data_size:
            raise BadCheckpointError(f"rb.load: {path!r} is a truncated safetensors file: {key!r} ends at "
                             f"byte {end} of the data, which has {data_size}")
    return header, metadata


def load_metadata(f):
    """The ``{str: str}`` metadata of the ``.safetensors`` file ``f`` (``{}`` if none).

    Reads only the header: the equivalent of
    ``safetensors.safe_open(f, "np").metadata()``.
    """
    path = _existing(f)
    return dict(_read_header(path)[1])


def _existing(f):
    path = os.fspath(f)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not os.path.exists(path):
        raise CheckpointNotFoundError(f"rb.load: no such file: {path!r}")
    if os.path.isdir(path):
        raise CheckpointIsADirectoryError(f"rb.load: {path!r} is a directory, not a checkpoint file "
                                          f"(.npz or .safetensors)")
    return path


def _load_safetensors(f, with_metadata):
    path = _existing(f)
    header, metadata = _read_header(path)
    st = _safetensors()
    try:
        arrays = st.load_file(path)
    except Exception as err:                       # safetensors_rust.SafetensorError
        raise BadCheckpointError(f"rb.load: {path!r} is not a valid safetensors file: {err}") from err
    out = {k: Tensor._make(np.array(arrays[k]), None, 0) for k in header}   # header order; own copies
    return (out, dict(metadata)) if with_metadata else out


# -- reading --------------------------------------------------------------------------
def load(f, map_location=None, weights_only=True, with_metadata=False):
    """Load an object saved with :func:`save` (never unpickles anything).

    Tensors come back as :class:`~rosenblatt.Tensor` (``Parameter`` where a
    Parameter was saved), arrays as ``ndarray``.  A plain ``.npz`` written by
    ``numpy.savez`` (no manifest) loads as a dict of tensors.  ``map_location``
    and ``weights_only`` are accepted for PyTorch compatibility and ignored
    (there is one device, and loading is always weights-only).

    A path ending in ``.safetensors`` (written by :func:`save`, by
    ``safetensors.torch.save_file``...) loads as a ``{name: Tensor}`` dict that
    ``model.load_state_dict`` accepts; ``with_metadata=True`` returns
    ``(state_dict, metadata)``, the metadata a ``{str: str}`` dict.  Files that
    are not safetensors, truncated files and dtypes NumPy cannot hold
    (bfloat16, float8) raise a one-line ``ValueError`` naming the file/key.

    A file that cannot be read raises a :class:`CheckpointError` (also a ``ValueError``,
    ``FileNotFoundError`` or ``IsADirectoryError``) naming the file and what it is.
    """
    if _is_safetensors_path(f):
        return _load_safetensors(f, with_metadata)
    if with_metadata:
        raise TypeError("rb.load: with_metadata=True is only for .safetensors files")
    if not hasattr(f, "read"):
        f = _existing(f)
        _identify(f)
    arrays = _read_npz(f)
    if not isinstance(arrays, dict):                   # a single .npy array
        return Tensor._make(arrays, None, 0) if arrays.dtype.kind in "biuf" else arrays
    if MANIFEST not in arrays:
        return {k: Tensor._make(v, None, 0) if v.dtype.kind in "biuf" else v for k, v in arrays.items()}
    try:
        manifest = json.loads(str(arrays.pop(MANIFEST)))
    except json.JSONDecodeError as err:
        raise BadCheckpointError(f"rb.load: {f!r} is corrupt: its manifest is not JSON ({err})") from err
    if not isinstance(manifest, dict) or manifest.get("format") != "rosenblatt" or "root" not in manifest:
        raise BadCheckpointError(f"rb.load: {f!r} is not a rosenblatt checkpoint (unrecognised "
                                 f"manifest)")
    missing = [n for n in _entries(manifest["root"]) if n not in arrays]
    if missing:
        raise BadCheckpointError(f"rb.load: {f!r} is corrupt: it lacks entries {missing[:5]} that "
                                 f"its manifest lists")
    return _rebuild(manifest["root"], arrays)


def _read_npz(f):
    """The arrays of the ``.npz`` (a dict) or ``.npy`` (an array) ``f``, read without pickle."""
    try:
        npz = np.load(f, allow_pickle=False)
    except (ValueError, EOFError, OSError, zipfile.BadZipFile) as err:
        raise BadCheckpointError(f"rb.load: {f!r} is not a .npz/.npy file readable without pickle "
                                 f"({type(err).__name__}: {_first_line(err)})") from err
    if not isinstance(npz, np.lib.npyio.NpzFile):
        return npz
    arrays = {}
    with npz:
        for name in npz.files:
            try:
                arrays[name] = npz[name]
            except ValueError as err:
                if "pickle" not in str(err):
                    raise BadCheckpointError(f"rb.load: entry {name!r} of {f!r} is corrupt "
                                             f"({_first_line(err)})") from err
                raise BadCheckpointError(f"rb.load: entry {name!r} of {f!r} holds pickled Python "
                                         f"objects; refusing to load it ({_NO_PICKLE})") from err
            except (EOFError, OSError, zipfile.BadZipFile, zlib.error) as err:
                raise BadCheckpointError(f"rb.load: {f!r} is truncated or corrupt: entry {name!r} "
                                         f"cannot be read ({_first_line(err)})") from err
    return arrays


def _first_line(err):
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def _identify(path):
    """Raise :class:`BadCheckpointError` saying what ``path`` is when it cannot be a ``.npz``
    or ``.npy`` file: empty, a broken zip, a PyTorch file or other pickle, text..."""
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head:
        raise BadCheckpointError(f"rb.load: {path!r} is empty (0 bytes): an interrupted write or copy?")
    if head.startswith(b"PK"):
        _identify_zip(path, size)
    elif head.startswith(b"\x93NUMPY"):
        return
    elif head[:1] == b"\x80":                       # pickle protocol 2+ (torch.save before 1.6 too)
        raise BadCheckpointError(f"rb.load: {path!r} is a Python pickle (e.g. from torch.save or "
                                 f"pickle.dump), not a checkpoint; {_NO_PICKLE}")
    elif head[8:9] == b"{" and struct.unpack("<Q", head[:8])[0] < size:
        raise BadCheckpointError(f"rb.load: {path!r} looks like a safetensors file; give it the "
                                 f".safetensors suffix so that rb.load reads it as one")
    elif _is_text(head):
        raise BadCheckpointError(f"rb.load: {path!r} is a text file, not a checkpoint (expected a "
                                 f".npz written by rb.save, or a .safetensors file)")
    else:
        raise BadCheckpointError(f"rb.load: {path!r} is not a checkpoint: neither a .npz (zip) nor a "
                                 f".npy nor a .safetensors file (it starts with {head[:8].hex(' ')})")


def _identify_zip(path, size):
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise BadCheckpointError(f"rb.load: {path!r} is truncated or corrupt: a zip archive (.npz) "
                                 f"that cannot be opened ({size} bytes; {_first_line(err)}); save or "
                                 f"copy it again") from None
    pickles = [n for n in names if n.endswith(".pkl")]
    if pickles:
        raise BadCheckpointError(f"rb.load: {path!r} is a PyTorch file (torch.save: a zip holding "
                                 f"the pickle {pickles[0]!r}), not a rosenblatt checkpoint; "
                                 f"{_NO_PICKLE}")
    if names and not any(n.endswith(".npy") for n in names):
        raise BadCheckpointError(f"rb.load: {path!r} is a zip archive but not a .npz checkpoint "
                                 f"(no .npy entries; it holds {names[:3]})")


def _is_text(head):
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:           # a multi-byte character cut at the 512th byte is fine
        return err.start >= len(head) - 3
    return True


def _entries(node):
    if isinstance(node, dict):
        if "entry" in node:
            yield node["entry"]
        for item in node.get("items", ()):
            if isinstance(item, list) and len(item) == 2 and node.get("type") in ("dict", "ordereddict"):
                yield from _entries(item[0])
                yield from _entries(item[1])
            else:
                yield from _entries(item)
