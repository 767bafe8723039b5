"""WeasyPrint's font subsetting, without parsing a C type for each length of array.

To subset a font, WeasyPrint (66-70) makes arrays of glyph numbers with
``ffi.new(f"hb_codepoint_t[{n}]", glyphs)``.  cffi parses each new type string
with pycparser, about 10 ms, and caches it by the string: each chunk's fonts
have new glyph counts, so each chunk drawn parsed a few more types, 5-10% of
its drawing.  ``ffi.new("hb_codepoint_t[]", n)`` makes the same array from one
parsed type.

``install()`` gives WeasyPrint's font module (``weasyprint.pdf.fonts``, the one
that makes such arrays) an ``ffi`` that does that for every type of the form
``name[n]``; everything else is cffi's own.  The layout's other C calls are
untouched.
"""
from __future__ import annotations

import re

_SIZED = re.compile(r"(\w+)\[(\d+)\]")


class ArraysByLength:
    """cffi's ``ffi``, except that ``new("T[n]", init)`` is made as ``new("T[]", n)``."""

    def __init__(self, ffi):
        self.cffis = ffi

    def __getattr__(self, name: str):
        return getattr(self.cffis, name)

    def new(self, cdecl, init=None):
        sized = _SIZED.fullmatch(cdecl) if isinstance(cdecl, str) else None
        if sized is None or not (init is None or isinstance(init, (list, tuple))):
            return self.cffis.new(cdecl, init)
        array = self.cffis.new(f"{sized[1]}[]", int(sized[2]))  # zero-filled, as C's T[n] = {init} would be
        if init:
            array[0:len(init)] = init
        return array


def install() -> bool:
    """In this process (and those it forks); return whether WeasyPrint's font module was found
    as this expects it (another WeasyPrint keeps its own)."""
    try:
        from weasyprint.pdf import fonts
    except ImportError:
        return False
    if not hasattr(getattr(fonts, "ffi", None), "new"):
        return False
    if not isinstance(fonts.ffi, ArraysByLength):
        fonts.ffi = ArraysByLength(fonts.ffi)
    return True
