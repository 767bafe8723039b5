"""A content-addressed cache under ``.cache/``.

Keys are sha256 digests of everything an artefact depends on: its inputs and
the versions of the tools and of this package.  An entry is written to a
temporary name and renamed into place, so a reader never sees half of one.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import shutil
import tempfile
import threading
from importlib.metadata import version
from pathlib import Path

CACHE_DIR = ".cache"
PACKAGE = Path(__file__).resolve().parent


def digest(*parts: str | bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big") + data)
    return hasher.hexdigest()


@functools.lru_cache(maxsize=1)
def tool_versions() -> str:
    """The versions of the tools and libraries that shape an entry, and of this package:
    a change in any invalidates the cache."""
    import pypandoc

    source = digest(*(p.read_bytes() for p in sorted(PACKAGE.glob("*.py"))))
    return json.dumps({"pandoc": pypandoc.get_pandoc_version(), "weasyprint": version("weasyprint"),
                       "babel": version("babel"), "jinja2": version("jinja2"), "pyyaml": version("pyyaml"),
                       "jsonschema": version("jsonschema"), "bookbuild": source}, sort_keys=True)


def tree_digest(*folders: Path) -> str:
    """Digest of every file's path and content under ``folders``."""
    parts: list[str | bytes] = []
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []:
            parts += [str(path.relative_to(folder.parent)), path.read_bytes()]
    return digest(*parts)


def get_json(root: Path, kind: str, key: str):
    path = root / CACHE_DIR / kind / f"{key}.json"
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def put_json(root: Path, kind: str, key: str, value) -> None:
    atomic_write(root / CACHE_DIR / kind / f"{key}.json", json.dumps(value).encode("utf-8"))


def get_pickle(root: Path, kind: str, key: str):
    """A stage's remembered result (``.cache/`` is the author's own, written only by this package)."""
    try:
        return pickle.loads((root / CACHE_DIR / kind / f"{key}.pickle").read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None


def needed_pickle(root: Path, kind: str, key: str):
    """A result this build remembered and now needs: O002 if the entry has gone meanwhile."""
    value = get_pickle(root, kind, key)
    if value is None:
        from .diagnostics import BuildFailed, error

        raise BuildFailed([error("O002", f"{CACHE_DIR}/{kind}/{key}.pickle", 1,
                                 "this cache entry was removed while the book was being built", "build again")])
    return value


def has_pickle(root: Path, kind: str, key: str) -> bool:
    return (root / CACHE_DIR / kind / f"{key}.pickle").is_file()


def put_pickle(root: Path, kind: str, key: str, value) -> None:
    atomic_write(root / CACHE_DIR / kind / f"{key}.pickle", pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def fetch_output(root: Path, key: str, target: Path) -> bool:
    """Copy a cached output (a file or a folder) to ``target``; False on a miss."""
    entry = root / CACHE_DIR / "outputs" / key / "output"
    if not entry.exists():
        return False
    if entry.is_dir():
        shutil.copytree(entry, target)
    else:
        shutil.copyfile(entry, target)
    return True


def store_output(root: Path, key: str, target: Path) -> None:
    folder = root / CACHE_DIR / "outputs"
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / key).exists():
        return
    temporary = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))
    if target.is_dir():
        shutil.copytree(target, temporary / "output")
    else:
        shutil.copyfile(target, temporary / "output")
    try:
        os.replace(temporary, folder / key)
    except OSError:  # another build stored it first
        shutil.rmtree(temporary, ignore_errors=True)


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
