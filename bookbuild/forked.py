"""Work spread over forked worker processes, one per core.

The workers are forked, so they inherit the work (whole editions, a whole
book) instead of receiving it pickled through a pipe; only each result comes
back.  With one core or one item, the work runs in this process.

The cores are those this process may run on, no more than a container's CPU
quota (``docker run --cpus``) allows, or ``BOOKBUILD_JOBS`` (``build.py
--jobs N``): each worker holds a chapter's layout, so a machine with many
cores and little memory may want fewer.
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator  # not typing: 9 ms to import
from pathlib import Path

JOBS_VARIABLE = "BOOKBUILD_JOBS"
CPU_QUOTA = Path("/sys/fs/cgroup/cpu.max")  # cgroup v2: "QUOTA PERIOD", or "max PERIOD"
_WORK: tuple[Callable, list] | None = None  # set while a pool's workers may be forked
TICK_S = 0.5  # how often ``waiting()`` is called while no result is ready


def forked_map(fn: Callable, items: list, meanwhile: Callable[[], object] | None = None,
               waiting: Callable[[], object] | None = None) -> Iterator:
    """``fn(item)`` for each item, in order, as each is ready.  ``meanwhile()`` runs in
    this process once the workers are forked (they do not inherit what it does), and
    ``waiting()`` every ``TICK_S`` seconds while the next result is not ready."""
    global _WORK
    workers = min(len(items), cores())
    if workers < 2:
        if meanwhile:
            meanwhile()
        yield from map(fn, items)
        return
    import multiprocessing

    _WORK = (fn, items)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            try:
                results = pool.imap(_call, range(len(items)))
                if meanwhile:
                    meanwhile()
                for _ in items:
                    yield _next(results, waiting)
            except BaseException:
                pool.terminate()
                raise
    finally:
        _WORK = None


def cores() -> int:
    """How many workers to run at most (``BOOKBUILD_JOBS`` is checked by the command line)."""
    wanted = os.environ.get(JOBS_VARIABLE, "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cpu_quota(CPU_QUOTA)
    return max(1, min(usable, quota or usable))


def cpu_quota(path: Path) -> int | None:
    """A cgroup's CPU quota in whole cores, rounded up; None when it has none."""
    try:
        quota, period = path.read_text().split()[:2]
        return max(1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError, ZeroDivisionError):  # no cgroup v2, or "max": no quota
        return None


def _next(results, waiting: Callable[[], object] | None):
    import multiprocessing

    while True:
        try:
            return results.next(timeout=TICK_S if waiting else None)
        except multiprocessing.TimeoutError:
            waiting()


def _call(index: int):
    fn, items = _WORK
    return fn(items[index])
