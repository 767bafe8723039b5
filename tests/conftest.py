"""Shared fixtures: small books laid out in temporary folders, built once per session."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EPOCH = "1764028800"  # 2025-11-25: a fixed date, so outputs are comparable


@pytest.fixture(scope="session", autouse=True)
def no_font_copies_left():
    """Tests that lay out chunks in this process leave WeasyPrint's copies of the fonts in /tmp,
    as a build would: removed at the session's end, as the build removes its own."""
    yield
    layout = sys.modules.get("bookbuild.pdf_layout")
    if layout is not None:
        layout.remove_font_copies()


def answers_ctrl_c() -> None:
    """For ``preexec_fn``: a child that a test interrupts must not inherit an ignored SIGINT
    (as under ``nohup`` or ``cmd &`` in a script), which Python would keep ignoring."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def make_book(dest: Path, base: Path = FIXTURES / "base", overlay: Path | list[Path] | None = None) -> Path:
    """Lay ``base`` out in ``dest`` with the repository's templates, then each overlay on top.

    In an overlay, a file named ``NAME.delete`` removes ``NAME`` from the book,
    ``NAME.append`` adds its text at the end of ``NAME``, and ``NAME.symlink``
    makes ``NAME`` a symbolic link to the path the file holds.
    Files named ``expected``, ``args`` and ``uses`` belong to test cases, not books.
    """
    shutil.copytree(base, dest)
    shutil.copytree(REPO / "templates", dest / "templates", dirs_exist_ok=True)
    overlays = overlay if isinstance(overlay, list) else [overlay] if overlay else []
    for layer in overlays:
        for path in sorted(layer.rglob("*")):
            rel = path.relative_to(layer)
            if path.is_dir() or str(rel) in ("expected", "args", "uses"):
                continue
            if path.name.endswith(".symlink"):  # its text is where the link points
                (dest / rel.with_name(path.name[: -len(".symlink")])).symlink_to(path.read_text().strip())
                continue
            if path.name.endswith(".delete"):
                (dest / rel.with_name(path.name[: -len(".delete")])).unlink()
                continue
            if path.name.endswith(".append"):  # its text is added at the end of NAME
                target = dest / rel.with_name(path.name[: -len(".append")])
                target.write_bytes(target.read_bytes() + path.read_bytes())
                continue
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest / rel)
    return dest


def copy_real_book(dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(REPO / "book.yaml", dest)
    for folder in ("chapters", "tables", "templates"):
        shutil.copytree(REPO / folder, dest / folder)
    return dest


def run(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), *args],
                          capture_output=True, text=True, env=env, check=False)


@pytest.fixture(scope="session")
def base_book(tmp_path_factory) -> Path:
    """The base fixture book, built in every format once for the whole session."""
    root = make_book(tmp_path_factory.mktemp("base") / "book")
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="session")
def bilingual_book(tmp_path_factory) -> Path:
    """The base book with a partial French translation, built once."""
    root = make_book(tmp_path_factory.mktemp("bilingual") / "book", overlay=FIXTURES / "fr")
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="session")
def real_book(tmp_path_factory) -> Path:
    """The real book, copied out of the repository and built once."""
    root = copy_real_book(tmp_path_factory.mktemp("real") / "book")
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    return root
