"""A content-addressed cache under ``.cache/``.

Keys are sha256 digests of everything an artefact depends on: its inputs and
the versions of the tools and of this package.  An entry is written to a
temporary name and renamed into place, so a reader never sees half of one.

An entry's modification time says when a build last used it.  As Go's build
cache does, entries no build has used for ``UNUSED_DAYS`` are deleted, by a
trim that runs at most once a day after a good build (``trim``).
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import pickle
import shutil
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

CACHE_DIR = ".cache"
UNUSED_DAYS = 5  # an entry no build has used for this long is deleted
TRIMMED = "last-trim"  # under .cache/: when the last trim ran
BLOBS = "blobs"  # outputs' files, each under its content's sha256 (see ``store_output``)
_FRESH_ENOUGH = 3600  # a used entry's time is updated only if older than this (seconds)


def digest(*parts: str | bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big") + data)
    return hasher.hexdigest()


@functools.lru_cache(maxsize=1)
def tool_versions() -> str:
    """Pandoc, every installed library's version and this package's code: a change in any
    invalidates the cache.  (Libraries are named as their ``NAME-VERSION.dist-info`` folders
    are: importlib.metadata alone costs 40 ms of every build's start.)"""
    from .fastpath import code_digest
    from .pandoc import pandoc_identity

    return json.dumps({"pandoc": pandoc_identity(), "code": code_digest()}, sort_keys=True)


def tree_digest(*folders: Path) -> str:
    """Digest of every file's path and content under ``folders``."""
    parts: list[str | bytes] = []
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []:
            parts += [str(path.relative_to(folder.parent)), path.read_bytes()]
    return digest(*parts)


def _entry(root: Path, kind: str, name: str) -> str:
    """An entry's path.  A build looks up thousands: joined as a string, not by pathlib,
    whose joins cost more than the lookups themselves."""
    return f"{os.fspath(root)}/{CACHE_DIR}/{kind}/{name}"


def _used(path: Path | str, status: os.stat_result | None = None) -> None:
    """Mark an entry used now (see ``trim``)."""
    try:
        if time.time() - (status or os.stat(path)).st_mtime > _FRESH_ENOUGH:
            os.utime(path)
    except OSError:
        pass


def get_json(root: Path, kind: str, key: str):
    path = _entry(root, kind, f"{key}.json")
    try:
        with open(path, encoding="utf-8") as handle:
            value = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    _used(path)
    return value


def put_json(root: Path, kind: str, key: str, value) -> None:
    atomic_write(root / CACHE_DIR / kind / f"{key}.json", json.dumps(value).encode("utf-8"))


def get_pickle(root: Path, kind: str, key: str):
    """A stage's remembered result (``.cache/`` is the author's own, written only by this package)."""
    path = _entry(root, kind, f"{key}.pickle")
    try:
        with open(path, "rb") as handle:
            value = pickle.loads(handle.read())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None
    _used(path)
    return value


def needed_pickle(root: Path, kind: str, key: str):
    """A result this build remembered and now needs: O002 if the entry has gone meanwhile."""
    value = get_pickle(root, kind, key)
    if value is None:
        from .diagnostics import BuildFailed, error

        raise BuildFailed([error("O002", f"{CACHE_DIR}/{kind}/{key}.pickle", 1,
                                 "this cache entry was removed while the book was being built", "build again")])
    return value


def has_pickle(root: Path, kind: str, key: str) -> bool:
    path = _entry(root, kind, f"{key}.pickle")
    try:
        status = os.stat(path)
    except OSError:
        return False
    if not stat.S_ISREG(status.st_mode):
        return False
    _used(path, status)  # it will be read, now or by a later build that needs it
    return True


def put_pickle(root: Path, kind: str, key: str, value) -> None:
    atomic_write(root / CACHE_DIR / kind / f"{key}.pickle", pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def output_paths(target: Path) -> list[tuple[str, Path]]:
    """Each file of an output, sorted: its path in the folder ("" for an output that is a
    file), and the file."""
    if not target.is_dir():
        return [("", target)]
    files = sorted(path for path in target.rglob("*") if path.is_file())
    return [(path.relative_to(target).as_posix(), path) for path in files]


def output_files(target: Path, known: dict[str, str] | None = None) -> list[tuple[str, str, int]]:
    """Each file of an output: its path in the folder ("" for an output that is a file),
    its sha256 and its size, sorted by path.  A file whose sha256 ``known`` gives (by its
    path) is not read."""
    listing = []
    for rel, path in output_paths(target):
        if known and rel in known:
            listing.append((rel, known[rel], path.stat().st_size))
            continue
        data = path.read_bytes()
        listing.append((rel, hashlib.sha256(data).hexdigest(), len(data)))
    return listing


def fetch_output(root: Path, key: str, target: Path) -> list[tuple[str, str, int]] | None:
    """Put a cached output (a file or a folder) at ``target`` (``place_blob``) and return its
    files (``output_files``); None on a miss."""
    entry = root / CACHE_DIR / "outputs" / f"{key}.json"
    try:
        listed = json.loads(entry.read_text("utf-8"))
        listing = [(rel, blob, size) for rel, blob, size in listed["files"]]
        for rel, blob, _ in listing:
            path = target / rel if listed["folder"] else target
            path.parent.mkdir(parents=True, exist_ok=True)
            data = blob_bytes(root, blob)
            if data is None:
                raise OSError(f"blob {blob} is gone or damaged")
            place_blob(root, blob, data, path)
    except (OSError, ValueError, KeyError, TypeError):  # a miss, or a file trimmed meanwhile
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
        return None
    _used(entry)
    return listing


def store_output(root: Path, key: str, target: Path, known: dict[str, str] | None = None
                 ) -> list[tuple[str, str, int]]:
    """Remember an output as the list of its files, each stored once under its content's
    sha256 (``.cache/blobs/``): a site rebuilt after an edit adds its changed pages only.
    ``known`` gives the sha256 of files already stored so (by their paths in the output).
    Returns its files (``output_files``)."""
    folder = target.is_dir()
    listing = output_files(target, known)
    for rel, blob, _ in listing:
        _keep_blob(root, blob, (target / rel if folder else target).read_bytes)
    # Written even if there: an entry whose file was trimmed is a miss, and the output was made again.
    atomic_write(root / CACHE_DIR / "outputs" / f"{key}.json", json.dumps({"folder": folder, "files": listing}))
    return listing


def put_blob(root: Path, data: bytes) -> str:
    """Store ``data`` under its sha256 in ``.cache/blobs/``; return the sha256."""
    blob = hashlib.sha256(data).hexdigest()
    _keep_blob(root, blob, lambda: data)
    return blob


def _keep_blob(root: Path, blob: str, read: Callable[[], bytes]) -> None:
    """Store the content ``read()`` returns under its sha256 ``blob``, unless it is there."""
    stored = _entry(root, BLOBS, blob)
    if os.path.isfile(stored):
        _used(stored)
    else:
        atomic_write(Path(stored), read())


def blob_bytes(root: Path, blob: str) -> bytes | None:
    """A stored file's content, checked against its sha256 (a file in ``dist/`` may be a hard
    link to it, and something may have written to that file in place): None if gone or changed."""
    stored = _entry(root, BLOBS, blob)
    try:
        with open(stored, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != blob:
        with contextlib.suppress(OSError):  # so that the next build stores it again
            os.unlink(stored)
        return None
    return data


def place_blob(root: Path, blob: str, data: bytes, target: Path) -> None:
    """Put a stored file (its checked ``data``, from ``blob_bytes``) at ``target``: as a hard
    link, which costs no new file (creating hundreds of files is most of a site's writing
    time on some file systems), or else as a copy."""
    stored = _entry(root, BLOBS, blob)
    target.unlink(missing_ok=True)
    try:
        os.link(stored, target)
    except OSError:  # trimmed meanwhile, or another file system
        target.write_bytes(data)
    else:
        _used(stored)


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``path`` through a temporary file renamed into place: a reader never
    sees half a file, and a hard link to the old file keeps the old content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        temporary.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def trim(root: Path, now: float | None = None) -> tuple[int, int]:
    """Delete the entries no build has used for ``UNUSED_DAYS``, at most once a day;
    returns (entries, bytes) deleted.  Files directly under ``.cache/`` (the last
    build's record, the link checker's memory) are state, not entries, and stay."""
    now = time.time() if now is None else now
    cache, day = root / CACHE_DIR, 86400
    stamp = cache / TRIMMED
    if not cache.is_dir() or (stamp.is_file() and now - stamp.stat().st_mtime < day):
        return 0, 0
    entries, size = 0, 0
    for entry in (entry for kind in cache.iterdir() if kind.is_dir() for entry in kind.iterdir()):
        try:
            if entry.name.startswith(".") or now - entry.stat().st_mtime < UNUSED_DAYS * day:
                continue  # in the making, or used lately
            if entry.is_dir():  # compiled templates, or an output as earlier versions stored it
                size += sum(p.stat().st_size for p in entry.rglob("*") if p.is_file())
                shutil.rmtree(entry)
            else:
                size += entry.stat().st_size
                entry.unlink()
            entries += 1
        except OSError:
            continue  # another build removed or replaced it
    stamp.touch()
    os.utime(stamp, (now, now))
    return entries, size
