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
    if not side_by_side(items):
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


def side_by_side(items: list) -> bool:
    """Whether ``forked_map`` runs these items in workers, at the same time as its ``meanwhile``
    (else one after the other, in this process, after it)."""
    return min(len(items), cores()) >= 2


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


def aside(fn: Callable[[Callable[[object], None]], object], meanwhile: Callable[[Callable[[], object]], object]
          ) -> tuple[object, object]:
    """``fn(tell)`` in a forked process while ``meanwhile(heard)`` runs in this one; returns what
    each returned.  The forked process may ``tell(x)`` once on its way; ``heard()`` here waits for
    x, or returns None once ``fn`` has ended without telling.  What ``fn`` raised is raised here.

    The forked process is not a pool's worker (those may not fork), so ``fn`` may use
    ``forked_map``.  Its result comes back pickled.  With one core (or ``--jobs 1``), ``fn``
    runs here, then ``meanwhile``."""
    import multiprocessing

    if cores() < 2:
        told: list[object] = []
        returned = fn(told.append)
        return returned, meanwhile(lambda: told.pop(0) if told else None)

    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_aside, args=(fn, sending), name="bookbuild-aside")
    child.start()
    sending.close()
    inbox: list[tuple[str, object]] = []

    def receive() -> tuple[str, object]:
        try:
            return receiving.recv()
        except EOFError:  # it died without a word (killed, out of memory)
            child.join()
            return "raised", RuntimeError(f"a build process ended unexpectedly (exit code {child.exitcode})")

    def heard() -> object:
        if not inbox:
            inbox.append(receive())
        kind, value = inbox[0]
        if kind == "told":
            inbox.pop()
            return value
        return None

    try:
        here = meanwhile(heard)
        kind, value = inbox.pop() if inbox else receive()
        while kind == "told":  # told, but not heard
            kind, value = receive()
    except BaseException:
        child.terminate()
        raise
    finally:
        receiving.close()
        child.join()
    if kind == "raised":
        raise value
    return value, here


def _aside(fn: Callable, sending) -> None:
    def tell(value: object) -> None:
        sending.send(("told", value))

    try:
        message = ("returned", fn(tell))
    except BaseException as raised:  # sent to the parent, which raises it
        message = ("raised", raised)
    try:
        sending.send(message)
    except Exception as unsendable:  # not picklable: say what it was
        import traceback

        text = "".join(traceback.format_exception(message[1])) if message[0] == "raised" else repr(unsendable)
        sending.send(("raised", RuntimeError(f"a build process failed:\n{text}")))
    finally:
        sending.close()
