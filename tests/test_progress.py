"""A long build says what it is doing on a terminal, and stays quiet in a CI log."""
from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from conftest import EPOCH, REPO, make_book, run

CLEAR_LINE = "\r\x1b[K"


def on_a_terminal(root: Path, *args: str) -> tuple[int, str]:
    """Run build.py with a pseudo-terminal for its output; return its status and what it wrote."""
    controller, terminal = pty.openpty()
    env = {key: value for key, value in os.environ.items() if key != "BOOKBUILD_PROGRESS"}
    build = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--root", str(root), *args],
                             stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal,
                             env={**env, "SOURCE_DATE_EPOCH": EPOCH})
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the build has exited and closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return build.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def screen(output: str) -> list[str]:
    """The lines left on the screen: on each, what follows the last erase of that line."""
    return [line.rsplit(CLEAR_LINE, 1)[-1] for line in output.replace("\r\n", "\n").split("\n")]


def test_a_build_on_a_terminal_shows_the_step_under_way_then_erases_it(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    status, output = on_a_terminal(root, "build", "--format", "pdf")
    assert status == 0, output
    # While the PDF is laid out, a line rewritten in place counts the chunks, with the time elapsed.
    counts = [(int(done), int(todo)) for done, todo in
              re.findall(r"\[ *\d+\.\ds\] pdf: pass 1: laid out (\d+) of (\d+) chunks \(en\)", output)]
    assert counts == sorted(counts) and sorted(set(counts)) == [(n, 4) for n in range(5)], output
    assert CLEAR_LINE + "[" in output
    # Once done, each step under way has been replaced by the next line: none is left on screen.
    left = screen(output)
    assert not [line for line in left if "laid out" in line or "reading and checking" in line], left
    assert any(re.fullmatch(r"\[ *\d+\.\ds\] en: pdf: \d+ chunk layouts for 4 chunks, 2 passes", line)
               for line in left), left
    assert left[-2].startswith("build.py: 1 output(s), 1 written"), left


def test_the_site_and_the_epub_are_written_while_the_pdf_is_readied(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    status, output = on_a_terminal(root, "build")
    assert status == 0, output
    # The worker that makes an edition writes its site and EPUB at once; the PDF's layout comes after.
    assert "preparing and writing the editions (en)" in output, output
    left = screen(output)
    wrote = [index for index, line in enumerate(left) if re.search(r"\] en: wrote (epub|html)\b", line)]
    laid_out = [index for index, line in enumerate(left) if "en: pdf: " in line]
    assert len(wrote) == 2 and len(laid_out) == 1 and max(wrote) < laid_out[0], left


def test_a_build_in_a_ci_log_prints_no_progress(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    result = run(root, "build", "--format", "html", env={"BOOKBUILD_PROGRESS": ""})
    assert result.returncode == 0, result.stderr
    [summary] = result.stderr.splitlines()  # the summary, and no progress line
    assert summary.startswith("build.py: 1 output(s), 1 written and 0 unchanged, in ")
    assert "\x1b" not in result.stderr
