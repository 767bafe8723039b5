"""Stage: move built editions into ``dist/`` atomically and write the manifest.

Editions are built into a staging folder beside ``dist/``.  Only when every
requested output exists is the staging folder swapped in; a failed or
interrupted build leaves ``dist/`` as it was.  A lock keeps two builds from
swapping at once.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .cache import CACHE_DIR, atomic_write, output_files, output_paths
from .downloads import write_download_page

DIST = "dist"
MANIFEST = "manifest.json"
FORMATS = ("html", "epub", "pdf")
# Per output in dist/, as the last manifest listed it: its files' (path, inode, size,
# mtime), its size and its sha256.  An output kept from the last build is a hard link
# to the same files, so it is not read and hashed again (a 200-chapter book's PDFs are
# 20 MB) unless one of them was replaced or written to since.
LISTED = "dist-listed.json"


@dataclass(frozen=True)
class Output:
    lang: str
    format: str
    path: str  # relative to dist/
    files: tuple = field(default=(), compare=False)  # its files, as ``cache.output_files`` lists them

    def target(self, base: Path) -> Path:
        """The file or folder the format owns (the whole site for HTML)."""
        return base / self.lang / "html" if self.format == "html" else base / self.path


def output_for(lang: str, fmt: str, slug: str) -> Output:
    path = f"{lang}/html/index.html" if fmt == "html" else f"{lang}/{slug}.{fmt}"
    return Output(lang, fmt, path)


@contextmanager
def staging(root: Path):
    """A fresh folder beside dist/, removed afterwards whatever happens."""
    folder = Path(tempfile.mkdtemp(prefix=".dist-staging-", dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def dist_lock(root: Path):
    with open(root / ".dist.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def publish(root: Path, stage: Path, built: list[Output], slug: str, languages: set[str]) -> dict:
    """Swap ``stage`` into ``dist/``, keeping earlier outputs that were not rebuilt.

    Earlier outputs of a language not in ``languages`` (no longer in the book,
    or left out by its translation policy) are dropped."""
    dist = root / DIST
    with dist_lock(root):
        new = Path(tempfile.mkdtemp(prefix=".dist-new-", dir=root))
        try:
            if dist.is_dir():  # linked, not copied; but not what is about to be replaced
                replaced = {output.target(dist) for output in built}
                shutil.copytree(dist, new, dirs_exist_ok=True, copy_function=os.link,
                                ignore=lambda folder, names: [n for n in names if Path(folder, n) in replaced])
            for folder in [p for p in new.iterdir() if p.is_dir() and p.name not in languages]:
                shutil.rmtree(folder)
            for output in built:
                target = output.target(new)
                if target.is_dir():
                    shutil.rmtree(target)
                elif target.exists():
                    target.unlink()
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(output.target(stage), target)
            listed = _listed(root)
            manifest = write_manifest(new, slug, {output.path: output.files for output in built if output.files},
                                      listed)
            write_download_page(new, root, manifest)
            old = Path(tempfile.mkdtemp(prefix=".dist-old-", dir=root))
            if dist.is_dir():
                os.replace(dist, old / DIST)
            os.replace(new, dist)  # a rename: its files keep their inodes and times
            atomic_write(root / CACHE_DIR / LISTED, json.dumps(listed))
            shutil.rmtree(old, ignore_errors=True)
            return manifest
        finally:
            shutil.rmtree(new, ignore_errors=True)


def reindex(root: Path, slug: str) -> dict:
    """Redraw dist/'s manifest and download page from the files it holds
    (after editions built on several machines were merged into it)."""
    dist = root / DIST
    with dist_lock(root):
        manifest = write_manifest(dist, slug)
        write_download_page(dist, root, manifest)
    return manifest


def write_manifest(base: Path, slug: str, known: dict[str, tuple] | None = None,
                   listed: dict[str, list] | None = None) -> dict:
    """List every output in ``base`` with its size and sha256.  ``known`` maps an output's
    path to its files, listed when it was written: they are not read again.  ``listed``
    (``LISTED``) maps an output's path to its files' identity and its size and sha256 when
    last listed: an output whose files are still those is not read either.  It is updated."""
    editions = []
    for lang_dir in sorted(p for p in base.iterdir() if p.is_dir()):
        for fmt in FORMATS:
            output = output_for(lang_dir.name, fmt, slug)
            target = output.target(base)
            if not target.exists():
                continue
            files = (known or {}).get(output.path)
            identity = _identity(target) if listed is not None else None
            last = (listed or {}).get(output.path)
            if not files and isinstance(last, list) and len(last) == 3 and last[0] == identity:
                size, sha256 = last[1], last[2]
            else:
                size, sha256 = measure(files or output_files(target), target.is_dir())
            if listed is not None:
                listed[output.path] = [identity, size, sha256]
            editions.append({"language": output.lang, "format": fmt, "path": output.path,
                             "bytes": size, "sha256": sha256})
    if listed is not None:  # outputs gone from dist/
        for path in set(listed) - {edition["path"] for edition in editions}:
            del listed[path]
    manifest = {"editions": editions}
    (base / MANIFEST).unlink(missing_ok=True)  # it may be a hard link to the live dist/
    (base / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return manifest


def _listed(root: Path) -> dict[str, list]:
    try:
        listed = json.loads((root / CACHE_DIR / LISTED).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return listed if isinstance(listed, dict) else {}


def _identity(target: Path) -> list[list]:
    """An output's files as the file system knows them, without reading them: each one's
    path, inode, size and modification time (in ns)."""
    return [[rel, status.st_ino, status.st_size, status.st_mtime_ns]
            for rel, path in output_paths(target) for status in [path.stat()]]


def measure(files, folder: bool) -> tuple[int, str]:
    """An output's size and sha256, from its files: a file's own; a folder's is the sha256
    of its files' listing as ``sha256sum`` prints it, sorted by path (``<sha256>  <path>``)."""
    if not folder:
        (_, sha256, size), = files
        return size, sha256
    listing = "".join(f"{sha256}  {rel}\n" for rel, sha256, _ in sorted(files))
    return sum(size for _, _, size in files), hashlib.sha256(listing.encode("utf-8")).hexdigest()
