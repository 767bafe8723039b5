"""WeasyPrint's C arrays of a given length, made without parsing a C type for each length.

To subset a font, WeasyPrint (66-70) makes arrays of glyph numbers with
``ffi.new(f"hb_codepoint_t[{n}]", glyphs)``.  cffi parses each new type string
with pycparser, about 10 ms, and caches it by the string: each chunk's fonts
have new glyph counts, so each chunk drawn parsed a few more types, 5-10% of
its drawing.  ``ffi.new("hb_codepoint_t[]", n)`` makes the same array from one
parsed type.  ``install()`` wraps WeasyPrint's ``ffi.new`` to do that for every
type of the form ``name[n]``; anything else goes to cffi as it was given.
"""
from __future__ import annotations

import re

_SIZED = re.compile(r"(\w+)\[(\d+)\]")


def install() -> None:
    """Wrap WeasyPrint's ``ffi.new`` in this process (and those it forks)."""
    from weasyprint.text.ffi import ffi

    if getattr(ffi.new, "made_by_length", False):
        return
    new = ffi.new

    def made_by_length(cdecl, init=None):
        sized = _SIZED.fullmatch(cdecl) if isinstance(cdecl, str) else None
        if sized is None or not (init is None or isinstance(init, (list, tuple))):
            return new(cdecl, init)
        array = new(f"{sized[1]}[]", int(sized[2]))  # zero-filled, as C's T[n] = {init} would be
        if init:
            array[0:len(init)] = init
        return array

    made_by_length.made_by_length, made_by_length.cffis = True, new
    ffi.new = made_by_length
