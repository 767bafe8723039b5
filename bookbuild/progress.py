"""What a long build is doing, with the time elapsed.

On a terminal, each finished step gets a line, and the step under way is shown
on one line that is rewritten in place (a layout of hundreds of PDF chunks
takes minutes).  With ``BOOKBUILD_PROGRESS=1`` and no terminal, only the
finished steps are printed; otherwise (a CI log) nothing is: the build's
summary says enough.
"""
from __future__ import annotations

import io
import os
import sys
import time

CLEAR_LINE = "\r\x1b[K"  # back to the line's start, and erase it


class Progress:
    def __init__(self, started: float, stream: io.TextIOBase | None = None):
        self.started = started
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.shown = self.live or os.environ.get("BOOKBUILD_PROGRESS") == "1"
        self._under_way = False  # a status line is on screen, without its newline
        self._status = ""

    def __call__(self, message: str) -> None:
        """A step has finished."""
        if self.shown:
            self._write(self._line(message) + "\n")

    def status(self, message: str) -> None:
        """The step under way, on a terminal only; the next line replaces it."""
        if self.live:
            import shutil  # 8 ms: not for a build that has nothing to do

            width = shutil.get_terminal_size().columns - 1  # a wrapped line could not be erased
            self._write(self._line(message)[:width])
            self._under_way, self._status = True, message

    def writing(self, names: list[str], results, before: str = ""):
        """The next ``len(names)`` of ``results`` (an iterator, in the order of ``names``), each as it
        comes; meanwhile the status line names the outputs still being written, after ``before``."""
        left = list(names)
        while left:
            self.status(f"{before}writing {', '.join(left)}")
            yield next(results)
            del left[0]

    def tick(self) -> None:
        """Show the time elapsed again on the status line, while its step goes on."""
        if self._under_way:
            self.status(self._status)

    def clear(self) -> None:
        """Erase the status line, before anything else is printed."""
        if self._under_way:
            self._write("")

    def _line(self, message: str) -> str:
        return f"[{time.monotonic() - self.started:5.1f}s] {message}"

    def _write(self, text: str) -> None:
        self.stream.write((CLEAR_LINE if self._under_way else "") + text)
        self.stream.flush()
        self._under_way = False
