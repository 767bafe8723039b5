"""Work spread over forked worker processes, one per core.

The workers are forked, so they inherit the work (whole editions, a whole
book) instead of receiving it pickled through a pipe; only each result comes
back.  With one core or one item, the work runs in this process.
"""
from __future__ import annotations

import multiprocessing
import os
from typing import Callable, Iterator

_WORK: tuple[Callable, list] | None = None  # set while a pool's workers may be forked


TICK_S = 0.5  # how often ``waiting()`` is called while no result is ready


def forked_map(fn: Callable, items: list, meanwhile: Callable[[], object] | None = None,
               waiting: Callable[[], object] | None = None) -> Iterator:
    """``fn(item)`` for each item, in order, as each is ready.  ``meanwhile()`` runs in
    this process once the workers are forked (they do not inherit what it does), and
    ``waiting()`` every ``TICK_S`` seconds while the next result is not ready."""
    global _WORK
    workers = min(len(items), os.cpu_count() or 1)
    if workers < 2:
        if meanwhile:
            meanwhile()
        yield from map(fn, items)
        return
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


def _next(results, waiting: Callable[[], object] | None):
    while True:
        try:
            return results.next(timeout=TICK_S if waiting else None)
        except multiprocessing.TimeoutError:
            waiting()


def _call(index: int):
    fn, items = _WORK
    return fn(items[index])
