"""How many worker processes a build runs: one per core it may use, fewer if asked."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bookbuild import forked
from conftest import make_book, run


def test_jobs_sets_how_many_workers_run(monkeypatch) -> None:
    monkeypatch.setenv("BOOKBUILD_JOBS", "1")
    assert set(forked.forked_map(lambda _: os.getpid(), list(range(4)))) == {os.getpid()}
    monkeypatch.setenv("BOOKBUILD_JOBS", "3")  # more than this machine's cores, if asked
    workers = set(forked.forked_map(lambda _: (time.sleep(0.3), os.getpid())[1], list(range(6))))
    assert os.getpid() not in workers and len(workers) == 3


@pytest.mark.parametrize("written, cores", [("max 100000\n", None), ("200000 100000\n", 2),
                                            ("150000 100000\n", 2), ("50000 100000\n", 1), ("", None)])
def test_a_containers_cpu_quota_caps_the_cores(tmp_path: Path, written: str, cores: int | None) -> None:
    quota = tmp_path / "cpu.max"
    quota.write_text(written)
    assert forked.cpu_quota(quota) == cores
    assert forked.cpu_quota(tmp_path / "absent") is None


def test_jobs_on_the_command_line(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    assert run(root, "--jobs", "1", "build", "--format", "html").returncode == 0
    assert (root / "dist/en/html/index.html").is_file()
    for bad in ("0", "two", "-1"):
        result = run(root, "--jobs", bad, "check")
        assert result.returncode == 2 and "--jobs: expected a whole number of at least 1" in result.stderr
    result = run(root, "check", env={"BOOKBUILD_JOBS": "many"})
    assert result.returncode == 2 and "BOOKBUILD_JOBS: expected a whole number of at least 1, got 'many'" in result.stderr


def test_aside_runs_beside_this_process_and_hears_what_it_tells() -> None:
    def child(tell):
        tell(("en", "fr"))
        return os.getpid()

    def here(heard):
        return heard(), os.getpid()

    pid, (told, mine) = forked.aside(child, here)
    assert told == ("en", "fr") and mine == os.getpid() and pid != os.getpid()
    # Not told: heard() returns None once the other has ended, rather than waiting for ever.
    assert forked.aside(lambda tell: "done", lambda heard: heard()) == ("done", None)


def test_aside_runs_in_this_process_with_one_job(monkeypatch) -> None:
    monkeypatch.setenv("BOOKBUILD_JOBS", "1")
    assert forked.aside(lambda tell: (tell("fr"), os.getpid())[1], lambda heard: (heard(), heard())) == \
        (os.getpid(), ("fr", None))


def test_aside_raises_here_what_the_forked_process_raised() -> None:
    from bookbuild.diagnostics import BuildFailed, error

    problem = error("B003", "book.yaml", 15, "chapter 'x' has no file")

    def child(tell):
        raise BuildFailed([problem])

    with pytest.raises(BuildFailed) as raised:
        forked.aside(child, lambda heard: heard())
    assert raised.value.diagnostics == [problem]  # its diagnostics, not its message
