"""The preview's builder (``bookbuild/warm.py``): one process runs build after build,
each the ordinary HTML build, and it is replaced as soon as its code changes."""
from __future__ import annotations

import shutil

import pytest

from conftest import EPOCH, REPO, make_book
from bookbuild import serve


@pytest.fixture
def builder(tmp_path, monkeypatch):
    """A builder running a copy of the package, which a test may edit as a ``git pull`` would."""
    package = tmp_path / "code"
    shutil.copytree(REPO / "bookbuild", package / "bookbuild", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(serve, "PACKAGE_PARENT", package)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    root = make_book(tmp_path / "book")
    running = serve.Builder(root)
    yield running, root, package / "bookbuild"
    running.close()


def edit(path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, path
    path.write_text(text.replace(old, new), "utf-8")


def test_builds_again_in_the_same_process_until_the_code_changes(builder):
    running, root, code = builder
    status, output = running.build()
    assert status == 0, output
    assert "output(s)" in output and "dist/en/html/index.html" in output  # all it printed, both streams
    first = running._process.pid
    page = root / "dist" / "en" / "html" / "first.html"
    assert "freshly edited" not in page.read_text("utf-8")

    edit(root / "chapters" / "en" / "first.md", "A paragraph with a", "A freshly edited paragraph with a")
    status, output = running.build()
    assert status == 0, output
    assert "freshly edited" in page.read_text("utf-8")
    assert running._process.pid == first, "a second build started a new Python"

    # A build that fails answers with its diagnostics; the builder stays.
    edit(root / "chapters" / "en" / "first.md", "freshly edited", "freshly edited {{ oops")
    status, output = running.build()
    assert status == 1 and "chapters/en/first.md:" in output and "J001 error" in output
    assert running._process.pid == first
    edit(root / "chapters" / "en" / "first.md", "freshly edited {{ oops", "edited again")

    # The code changed (a git pull): the build runs in a new process, with the new code.
    edit(code / "cli.py", 'unchanged, in {time.monotonic() - started:.1f}s"',
         'unchanged, in {time.monotonic() - started:.1f}s (new code)"')
    status, output = running.build()
    assert status == 0 and "(new code)" in output, output
    assert running._process.pid != first
    assert "edited again" in page.read_text("utf-8")


def test_a_crash_is_reported_and_the_next_build_gets_a_fresh_process(builder):
    running, root, code = builder
    assert running.build()[0] == 0
    edit(code / "writers.py", '    root, config = edition.book.root, edition.book.config\n',
         '    root, config = edition.book.root, edition.book.config\n    raise RuntimeError("a bug in the pipeline")\n')
    status, output = running.build()
    assert status == 1
    assert "Traceback" in output and "RuntimeError: a bug in the pipeline" in output
    crashed = running._process
    assert crashed.wait(timeout=30) == 1, "a builder that crashed went on with its state"
    assert not list(root.glob(".dist-*")), "the crashed build left its staging folder"

    edit(code / "writers.py", '    raise RuntimeError("a bug in the pipeline")\n', "")
    edit(root / "chapters" / "en" / "first.md", "A paragraph with a", "A repaired paragraph with a")
    status, output = running.build()
    assert status == 0, output
    assert running._process is not crashed
    assert "repaired" in (root / "dist" / "en" / "html" / "first.html").read_text("utf-8")


def test_code_that_cannot_start_is_reported_with_its_error(builder):
    running, root, code = builder
    source = (code / "edition.py").read_text("utf-8")
    edit(code / "edition.py", "def edition_book(", "def edition_book((")  # a bad merge, pulled
    status, output = running.build()
    assert status == 1
    assert "SyntaxError" in output and "edition.py" in output, output
    assert "the preview's builder stopped with status 1" in output
    (code / "edition.py").write_text(source, "utf-8")
    status, output = running.build()
    assert status == 0, output
    assert (root / "dist" / "en" / "html" / "first.html").is_file()


def test_stopping_an_idle_builder(builder):
    running, _, _ = builder
    assert running.build()[0] == 0
    process = running._process
    running.interrupt()  # what the server does on Ctrl-C
    assert process.wait(timeout=30) == 130
    running.close()
    assert process.stdout.closed and running._process is None
