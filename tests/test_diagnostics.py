"""One golden case per diagnostic code.

Each folder under ``tests/cases/`` is an overlay laid over the base fixture
book.  Its ``expected`` file holds the exit code and the exact stderr of
``build.py check`` (or of the command in ``args``).  Regenerate after a
deliberate change with ``UPDATE_GOLDEN=1 make test`` and review the diff.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from bookbuild.diagnostics import CODES
from conftest import FIXTURES, make_book, run

CASES = Path(__file__).resolve().parent / "cases"
ALL_CASES = sorted(p for p in CASES.iterdir() if p.is_dir())
# Codes for pipeline faults and validators of built output, not author input;
# tested directly in test_outputs_check.py, test_validate.py and test_cache.py (O002).
NOT_FROM_INPUT = {"O001", "O002", "V001", "V002", "V003", "V004"}
# Broken, redirected and unreachable links need an HTTP server to answer;
# tested in tests/test_linkcheck.py against one on 127.0.0.1.
NOT_FROM_INPUT |= {"K001", "K002", "K003"}


def _expected_text(result) -> str:
    return f"exit: {result.returncode}\n---\n{result.stderr}"


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_case(case: Path, tmp_path: Path) -> None:
    uses = (case / "uses").read_text().split() if (case / "uses").exists() else []
    root = make_book(tmp_path / "book", overlay=[FIXTURES / name for name in uses] + [case])
    args_file = case / "args"
    args = args_file.read_text().split() if args_file.exists() else ["check"]
    result = run(root, *args)
    actual = _expected_text(result)
    expected_file = case / "expected"
    if os.environ.get("UPDATE_GOLDEN"):
        expected_file.write_text(actual)
    assert "Traceback" not in result.stderr
    assert actual == expected_file.read_text()
    code = case.name.split("-")[0]
    assert f" {code} " in result.stderr, f"the case {case.name} must produce {code}"
    if result.returncode and args == ["check"]:
        # The same input given to a build: refused before anything is written.
        (root / "dist").mkdir()
        (root / "dist" / "keep.txt").write_text("last good edition")
        build = run(root, "build")
        assert build.returncode == result.returncode and "Traceback" not in build.stderr
        assert [p.name for p in (root / "dist").iterdir()] == ["keep.txt"]
        assert not list(root.glob(".dist-*"))


def test_the_hostile_corpus_is_large() -> None:
    failing = [c for c in ALL_CASES if not (c / "expected").read_text().startswith("exit: 0")]
    assert len(failing) >= 40


def test_a_ten_megabyte_table_is_refused_quickly(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    with open(root / "tables" / "huge.yaml", "w") as handle:
        handle.write("caption: Huge\nrows:\n")
        line = "  - {name: " + "x" * 90 + "}\n"
        handle.write(line * (10_000_000 // len(line) + 1))
    result = run(root, "check")
    assert result.returncode == 1
    assert result.stderr.startswith("tables/huge.yaml:1: T001 error: file is 10,")
    assert "the limit is 2,000,000" in result.stderr


def test_every_code_has_a_case() -> None:
    covered = {c.name.split("-")[0] for c in ALL_CASES}
    assert set(CODES) - NOT_FROM_INPUT - covered == set()


def test_build_with_errors_leaves_dist_untouched(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book", overlay=CASES / "X001-unknown-target")
    (root / "dist").mkdir()
    (root / "dist" / "keep.txt").write_text("last good edition")
    result = run(root, "build")
    assert result.returncode == 1
    assert "dist/ is unchanged" in result.stderr
    assert sorted(p.name for p in (root / "dist").iterdir()) == ["keep.txt"]
