"""The no-op build: when no input changed since the last good build, say so and stop.

A fingerprint of every input file, the requested formats, the build date and
the tool versions is recorded after each successful build.  It is computed
from file contents with the standard library only, before anything heavy is
imported, so an author's "make book" with nothing changed returns at once.
The published manifest is fingerprinted too: if dist/ was touched, the build runs.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path

from .diagnostics import Diagnostic

INPUTS = ("book.yaml", "chapters", "tables", "templates", "images")
RECORD = Path(".cache") / "last-build.json"


def fingerprint(root: Path, formats: list[str], strict: bool, epoch: int, langs: list[str] = ()) -> str:
    hasher = hashlib.sha256()
    files = [str(root / name) for name in INPUTS if (root / name).is_file()]
    for name in INPUTS:
        files += _files(str(root / name))
    _hash_files(hasher, files)
    hasher.update(json.dumps([sorted(formats), sorted(langs), strict, epoch, code_digest()]).encode())
    return hasher.hexdigest()


def code_digest() -> str:
    """This package's code and the installed libraries: what the build is made of."""
    hasher = hashlib.sha256()
    _hash_files(hasher, sorted(str(p) for p in Path(__file__).resolve().parent.glob("*.py")))
    hasher.update(json.dumps(_installed()).encode())
    return hasher.hexdigest()


def _hash_files(hasher, files: list[str]) -> None:
    for path in files:
        with open(path, "rb") as handle:
            hasher.update(path.encode() + b"\0" + handle.read() + b"\0")


def _files(folder: str) -> list[str]:
    """Every file under ``folder``, in a fixed order (os.walk costs a third of pathlib's rglob)."""
    found = []
    for here, folders, names in os.walk(folder, followlinks=True):
        folders.sort()
        found += [os.path.join(here, name) for name in sorted(names)]
    return found


def _installed() -> list[str]:
    """Every library installed beside Pandoc's wrapper, with its version, as its ``NAME-VERSION.dist-info``
    folder is named: an upgrade of any of them rebuilds.  (Reading their versions with importlib.metadata
    would cost more than the rest of a no-op build.)"""
    pandoc = importlib.util.find_spec("pypandoc")
    if pandoc is None or not pandoc.origin:
        return []
    packages = Path(pandoc.origin).parent.parent
    return [pandoc.origin] + sorted(name for name in os.listdir(packages) if name.endswith(".dist-info"))


def _manifest_digest(root: Path) -> str:
    manifest = root / "dist" / "manifest.json"
    return hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.is_file() else ""


def up_to_date(root: Path, print_: str) -> list[Diagnostic] | None:
    """The warnings of the last build, if nothing changed since; else None."""
    try:
        record = json.loads((root / RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("fingerprint") != print_ or record.get("manifest") != _manifest_digest(root) or not record["manifest"]:
        return None
    try:
        warnings = [Diagnostic(*fields) for fields in record["warnings"]]
    except (KeyError, TypeError, ValueError):  # a record from before warnings were kept
        return None
    return warnings if _outputs_present(root) else None


def _outputs_present(root: Path) -> bool:
    """Every output the manifest lists is still there, at its size (a cheap check of dist/)."""
    editions = json.loads((root / "dist" / "manifest.json").read_text("utf-8"))["editions"]
    for entry in editions:
        path = root / "dist" / entry["path"]
        if not path.is_file() or (entry["format"] != "html" and path.stat().st_size != entry["bytes"]):
            return False
    return True


def remember(root: Path, print_: str, warnings: list[Diagnostic]) -> None:
    """Record a good build: its fingerprint, what it published, and its warnings (said again by a no-op)."""
    path = root / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"fingerprint": print_, "manifest": _manifest_digest(root),
                                     "warnings": [[w.path, w.line, w.code, w.message, w.severity, w.hint]
                                                  for w in warnings]}), "utf-8")
    temporary.replace(path)
