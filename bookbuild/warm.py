"""The preview's builder: one Python process that runs build after build.

``build.py serve`` used to start ``build.py build --format html`` for every
save, and each started Python and imported Jinja, Babel and the rest again:
a third of a second of every rebuild.  This process imports them once and then
runs the same build, ``cli.main``, whenever it is asked, so each build is the
ordinary build, with its cache, fast path and publishing, minus the start-up.

It never runs stale code.  Before each build it compares this package's files,
the installed libraries and Pandoc with what it started with (what the cache
keys name: ``cache.tool_versions``); if any changed (a ``git pull``, a ``pip
install``) it answers ``restart`` without building, and the server starts a
fresh builder.

The protocol, one line each way: the server writes a line to ask for a build;
this process answers one JSON line, ``{"status": N, "output": TEXT}`` (the
build's exit status and all it printed) or ``{"restart": true}``.  End of input
stops it.  During a build, file descriptors 1 and 2 go to a temporary file, so
that the worker processes' and Pandoc's messages are in the output too.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import traceback
from pathlib import Path


def main(root: Path, arguments: list[str]) -> int:
    """Answer each line of input with a build of ``root`` (``arguments``: the build command's)."""
    from . import cli
    from .cache import tool_versions

    # The server interrupts a build with SIGINT, even from a shell that started it ignoring Ctrl-C.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    cli.import_build_modules()
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    try:
        for _ in sys.stdin:
            if tool_versions.__wrapped__() != tool_versions():  # worked out again, and as remembered
                _answer(answers, {"restart": True})
                return 0
            status, output, crashed = _captured(lambda: cli.main(["--root", str(root), *arguments]))
            _answer(answers, {"status": status, "output": output})
            if crashed:  # a bug: the next build gets a fresh process
                return 1
    except KeyboardInterrupt:  # the server stopping while this waits for work
        return 130
    return 0


def _answer(answers, message: dict) -> None:
    answers.write(json.dumps(message) + "\n")
    answers.flush()


def _captured(run) -> tuple[int, str, bool]:
    """``run()``'s return value, everything written to descriptors 1 and 2 meanwhile, and
    whether it raised (its traceback is then in the output)."""
    crashed = False
    with tempfile.TemporaryFile() as sink:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            status = run()
        except KeyboardInterrupt:
            status = 130
        except Exception:  # noqa: BLE001 (a bug; its traceback goes with the output)
            traceback.print_exc()
            status, crashed = 1, True
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        sink.seek(0)
        return status, sink.read().decode("utf-8", "replace"), crashed
