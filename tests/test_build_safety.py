"""Builds are reproducible, atomic, safe to run twice at once, and safe to interrupt."""
from __future__ import annotations

import json
import re
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import FIXTURES, REPO, answers_ctrl_c, copy_real_book, make_book, run


def manifest(root: Path) -> dict:
    return json.loads((root / "dist" / "manifest.json").read_text())


def assert_manifest_matches_files(root: Path) -> None:
    import hashlib

    for entry in manifest(root)["editions"]:
        path = root / "dist" / entry["path"]
        if entry["format"] != "html":
            assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], entry["path"]


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book", overlay=FIXTURES / "fr")
    assert run(root, "build").returncode == 0
    first = manifest(root)
    (root / "dist" / "en" / "test-book.pdf").unlink()  # force the rewrite
    assert run(root, "build").returncode == 0
    assert manifest(root) == first
    assert len(first["editions"]) == 6


def test_a_build_leaves_nothing_in_the_temporary_folder(tmp_path: Path) -> None:
    """WeasyPrint copies the fonts into a folder of its own in /tmp (0.8 MB), which a build
    used to leave behind, one per PDF built."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    root = make_book(tmp_path / "book", overlay=FIXTURES / "fr")
    result = run(root, "build", env={"TMPDIR": str(temporary)})
    assert result.returncode == 0, result.stderr
    assert (root / "dist" / "fr" / "test-book.pdf").is_file()
    assert sorted(p.name for p in temporary.iterdir()) == []


def test_the_manifest_lists_a_kept_output_as_it_is_now(tmp_path: Path) -> None:
    """An output kept from the last build is listed from what the last manifest said of it,
    unless its file changed since: one written to in place (same inode) is read again."""
    root = make_book(tmp_path / "book")
    assert run(root, "build").returncode == 0
    pdf = root / "dist" / "en" / "test-book.pdf"
    chapter = next((root / "chapters" / "en").glob("*.md"))
    for change in ("none", "in place"):
        if change == "in place":
            with open(pdf, "ab") as handle:
                handle.write(b"% appended\n")
        chapter.write_text(chapter.read_text() + f"\nAn edited sentence ({change}).\n")
        assert run(root, "build", "--format", "html").returncode == 0
        assert_manifest_matches_files(root)
        pdf_entry = next(e for e in manifest(root)["editions"] if e["path"] == "en/test-book.pdf")
        assert pdf_entry["bytes"] == pdf.stat().st_size


def test_the_date_comes_from_the_last_commit(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "x", "--date", "2024-02-29T12:00:00Z"], check=True,
                   env={**env, "GIT_COMMITTER_DATE": "2024-02-29T12:00:00Z"})
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "build",
                             "--format", "epub"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    import zipfile
    with zipfile.ZipFile(root / "dist/en/test-book.epub") as epub:
        assert "<dc:date id=\"epub-date\">2024-02-29</dc:date>" in epub.read("EPUB/content.opf").decode()


def test_a_failure_while_writing_leaves_dist_as_it_was(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    assert run(root, "build").returncode == 0
    before = manifest(root)
    css = root / "templates/css/print.css"
    css.write_text(css.read_text() + '\nbody { background: url("http://example.org/tracker.png"); }\n')
    result = run(root, "build")
    assert result.returncode == 1
    assert re.search(r"^templates/css/print.css:\d+: S002 error: refused to fetch http://example.org/tracker.png", result.stderr, re.M)
    assert manifest(root) == before
    assert_manifest_matches_files(root)
    assert not list(root.glob(".dist-*"))


def test_two_builds_at_once_do_not_corrupt_dist(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1764028800"}
    command = [sys.executable, str(REPO / "build.py"), "--root", str(root), "build"]
    builds = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
              for _ in range(2)]
    assert [b.wait(timeout=300) for b in builds] == [0, 0]
    assert_manifest_matches_files(root)
    assert sorted(e["format"] for e in manifest(root)["editions"]) == ["epub", "html", "pdf"]
    assert not list(root.glob(".dist-*"))


def test_ctrl_c_leaves_no_half_written_output_and_no_lock(tmp_path: Path) -> None:
    root = copy_real_book(tmp_path / "book")
    assert run(root, "build", "--format", "html").returncode == 0
    before = manifest(root)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1764028800", "BOOKBUILD_PROGRESS": "1"}
    build = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--root", str(root), "build"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=answers_ctrl_c)
    deadline = time.monotonic() + 60
    while "checked" not in build.stderr.readline() and time.monotonic() < deadline:
        pass
    time.sleep(1.0)  # the PDFs take several seconds: interrupt while they are written
    build.send_signal(signal.SIGINT)
    _, err = build.communicate(timeout=120)
    assert build.returncode == 130, err
    assert "interrupted; dist/ is unchanged" in err and "Traceback" not in err
    assert manifest(root) == before
    assert not list(root.glob(".dist-*"))
    assert run(root, "build", "--format", "html").returncode == 0  # the lock is free


def test_a_language_left_out_disappears_from_dist(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book", overlay=FIXTURES / "fr")
    assert run(root, "build", "--format", "html").returncode == 0
    assert (root / "dist/fr/html/index.html").exists()
    with open(root / "book.yaml", "a") as config:
        config.write("translation_minimum: 90\n")
    result = run(root, "build", "--format", "html")
    assert result.returncode == 0 and "L003 warning" in result.stderr
    assert not (root / "dist/fr").exists()
    assert {e["language"] for e in manifest(root)["editions"]} == {"en"}
    assert run(root, "build", "--format", "html", "--strict").returncode == 1
