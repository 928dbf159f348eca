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

Writes are atomic: the file is written to a temporary file in the same
directory, flushed to disk and then moved over ``path`` with ``os.replace``;
an exception mid-write leaves the previous file untouched and no temporary
file behind.
"""
import json
import os
import re
import tempfile
import zipfile
from collections import OrderedDict

import numpy as np

from .autograd.tensor import Tensor

__all__ = ["save", "load"]

MANIFEST = "__rosenblatt_manifest__"
FORMAT_VERSION = 1
_SAFE = re.compile(r"[^A-Za-z0-9_.\-/]")


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
        return Tensor(arr, requires_grad=node.get("requires_grad", False))
    if kind in ("dict", "ordereddict"):
        out = OrderedDict() if kind == "ordereddict" else {}
        for k, v in node["items"]:
            out[_rebuild(k, arrays)] = _rebuild(v, arrays)
        return out
    if kind == "list":
        return [_rebuild(v, arrays) for v in node["items"]]
    if kind == "tuple":
        return tuple(_rebuild(v, arrays) for v in node["items"])
    raise ValueError(f"rb.load: unknown node type {kind!r} in the manifest (file from a newer version?)")


# -- writing --------------------------------------------------------------------------
def _write_zip(fileobj, arrays, manifest, compress):
    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(fileobj, "w", compression=mode, allowZip64=True) as zf:
        for name, arr in list(arrays.items()) + [(MANIFEST, np.array(manifest))]:
            with zf.open(name + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, arr, allow_pickle=False)


def save(obj, f, compress=False):
    """Save ``obj`` (a state dict, a checkpoint dict, a tensor...) to ``f`` as ``.npz``.

    ``f`` is a path (written atomically, exactly at that name: no ``.npz`` is
    appended) or a writable binary file object.  ``compress=True`` deflates the
    entries.  Raises ``TypeError`` for anything that would need pickle.
    """
    flat = _Flattener()
    root = flat.node(obj, [])
    manifest = json.dumps({"format": "rosenblatt", "version": FORMAT_VERSION, "root": root})
    if hasattr(f, "write"):
        _write_zip(f, flat.arrays, manifest, compress)
        return
    if not isinstance(f, (str, bytes, os.PathLike)):
        raise TypeError(f"rb.save: f must be a path or a binary file object, got {type(f).__name__}")
    path = os.fspath(f)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"rb.save: directory {directory!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            _write_zip(out, flat.arrays, manifest, compress)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# -- reading --------------------------------------------------------------------------
def load(f, map_location=None, weights_only=True):
    """Load an object saved with :func:`save` (never unpickles anything).

    Tensors come back as :class:`~rosenblatt.Tensor` (``Parameter`` where a
    Parameter was saved), arrays as ``ndarray``.  A plain ``.npz`` written by
    ``numpy.savez`` (no manifest) loads as a dict of tensors.  ``map_location``
    and ``weights_only`` are accepted for PyTorch compatibility and ignored
    (there is one device, and loading is always weights-only).
    """
    if not hasattr(f, "read"):
        f = os.fspath(f)
        if not os.path.exists(f):
            raise FileNotFoundError(f"rb.load: no such file: {f!r}")
    try:
        npz = np.load(f, allow_pickle=False)
    except ValueError as err:
        raise ValueError(f"rb.load: {f!r} is not a NumPy .npz/.npy file readable without pickle: {err}") from err
    if not isinstance(npz, np.lib.npyio.NpzFile):
        return Tensor(npz) if npz.dtype.kind in "biuf" else npz
    with npz:
        arrays = {}
        for name in npz.files:
            try:
                arrays[name] = npz[name]
            except ValueError as err:
                raise ValueError(f"rb.load: entry {name!r} of {f!r} holds pickled Python objects; "
                                 f"refusing to load it (rosenblatt files never need pickle)") from err
    if MANIFEST not in arrays:
        return {k: Tensor(v) if v.dtype.kind in "biuf" else v for k, v in arrays.items()}
    try:
        manifest = json.loads(str(arrays.pop(MANIFEST)))
    except json.JSONDecodeError as err:
        raise ValueError(f"rb.load: corrupt manifest in {f!r}: {err}") from err
    if manifest.get("format") != "rosenblatt" or "root" not in manifest:
        raise ValueError(f"rb.load: {f!r} has an unrecognised manifest")
    missing = [n for n in _entries(manifest["root"]) if n not in arrays]
    if missing:
        raise ValueError(f"rb.load: {f!r} is missing entries {missing[:5]}")
    return _rebuild(manifest["root"], arrays)


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
