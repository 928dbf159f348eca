"""Downloading files into the user cache, with mirrors and checksums.

``download(urls, filename, sha256=None, root=None, progress=False, md5=None)``
tries each URL in turn, streams to a temporary file next to the target,
verifies the digest and atomically renames the file into place.  A file that
is already there with the right digest is returned without touching the
network.  A digest mismatch raises :class:`ChecksumError` naming the file and
both digests, and leaves nothing behind; when no mirror answers,
:class:`DownloadError`.  Files get the user's umask (as ``open(path, "wb")``).

The cache is ``$ROSENBLATT_CACHE`` if set, else ``~/.cache/rosenblatt``.
"""
import hashlib
import os
import pathlib
import secrets
import urllib.error
import urllib.request

__all__ = ["download", "cache_dir", "ChecksumError", "DownloadError", "file_digest"]

_CHUNK = 1 << 20


class ChecksumError(RuntimeError):
    """A downloaded (or cached) file does not have the expected digest."""


class DownloadError(RuntimeError):
    """No URL could deliver the file (offline, mirrors down)."""


def _temp_file(root, filename):
    """``(fd, path)`` of a new file next to the target, created with mode 0o666 so that the
    user's umask applies (``tempfile.mkstemp`` would force 0o600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(root, f".{filename}.{secrets.token_hex(4)}.part")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def cache_dir(name=None, create=True):
    """The cache folder, ``$ROSENBLATT_CACHE`` or ``~/.cache/rosenblatt``, or its sub-folder ``name``."""
    base = os.environ.get("ROSENBLATT_CACHE")
    path = pathlib.Path(base).expanduser() if base else pathlib.Path.home() / ".cache" / "rosenblatt"
    if name:
        path = path / name
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def file_digest(path, algorithm="sha256"):
    """Hex digest of a file, read in chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _expected(sha256, md5):
    if sha256:
        return "sha256", sha256.lower()
    if md5:
        return "md5", md5.lower()
    return None, None


def download(urls, filename, sha256=None, root=None, progress=False, md5=None, timeout=60):
    """Fetch ``filename`` into ``root`` (default: the cache folder) and return its path.

    ``urls``: one URL or a list of mirrors, tried in order until one succeeds.
    ``sha256`` (or, failing that, ``md5``): the expected hex digest; with neither,
    the file is not verified.  ``progress=True`` shows a tqdm bar (the
    ``progress`` extra).
    """
    if isinstance(urls, str):
        urls = [urls]
    urls = list(urls)
    if not urls:
        raise ValueError("download: urls must name at least one URL")
    if not isinstance(filename, str) or not filename or os.sep in filename or filename in (".", ".."):
        raise ValueError(f"download: filename must be a plain file name, got {filename!r}")
    root = cache_dir() if root is None else pathlib.Path(root).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    target = root / filename
    algo, want = _expected(sha256, md5)
    if target.is_file() and (algo is None or file_digest(target, algo) == want):
        return target
    bar_cls = None
    if progress:
        from ...._optional import require
        bar_cls = require("tqdm", "download progress bars").tqdm
    errors = []
    checksum_errors = []
    for url in urls:
        fd, tmp = _temp_file(root, filename)
        try:
            h = hashlib.new(algo) if algo else None
            with os.fdopen(fd, "wb") as out:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    total = resp.headers.get("Content-Length")
                    bar = None
                    if bar_cls is not None:
                        bar = bar_cls(total=int(total) if total else None, unit="B",
                                      unit_scale=True, desc=filename)
                    try:
                        for chunk in iter(lambda: resp.read(_CHUNK), b""):
                            out.write(chunk)
                            if h is not None:
                                h.update(chunk)
                            if bar is not None:
                                bar.update(len(chunk))
                    finally:
                        if bar is not None:
                            bar.close()
                out.flush()
                os.fsync(out.fileno())
            if h is not None and h.hexdigest() != want:
                checksum_errors.append(f"{filename} downloaded from {url} has {algo} "
                                       f"{h.hexdigest()} but {want} was expected")
                os.unlink(tmp)
                continue
            os.replace(tmp, target)
            return target
        except (urllib.error.URLError, OSError, ValueError) as err:
            errors.append(f"{url}: {err}")
            if os.path.exists(tmp):
                os.unlink(tmp)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    if checksum_errors:
        raise ChecksumError("checksum mismatch, the download is corrupted (nothing was saved): "
                            + "; ".join(checksum_errors)
                            + ("; other mirrors failed: " + "; ".join(errors) if errors else ""))
    raise DownloadError(f"could not download {filename} from any of {len(urls)} URL(s): "
                       + "; ".join(errors))
