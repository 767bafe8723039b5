"""WeasyPrint's font subsetting with arrays made by length (``bookbuild/weasy_arrays.py``):
the same arrays as cffi makes from a type of that length, without parsing one type per length."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def ffi():
    from weasyprint.pdf import fonts

    from bookbuild import weasy_arrays

    assert weasy_arrays.install()
    return fonts.ffi  # what WeasyPrint's font module now uses


@pytest.mark.parametrize("cdecl, init", [
    ("hb_codepoint_t[5]", [7, 3, 9, 1, 2]),  # WeasyPrint's glyph arrays
    ("hb_codepoint_t[6]", (4, 5)),  # a shorter initializer: the rest is zero, as in C
    ("hb_tag_t[100]", None),
    ("char[4]", None),
])
def test_an_array_made_by_length_is_cffis_own(ffi, cdecl: str, init) -> None:
    ours = ffi.new(cdecl, init)
    assert ffi.typeof(ours) is ffi.typeof(cdecl.split("[")[0] + "[]")
    own = ffi.cffis.new(cdecl, init)
    assert ffi.sizeof(ours) == ffi.sizeof(own)
    assert list(ours) == list(own)


def test_no_type_is_parsed_for_a_new_length(ffi) -> None:
    ffi.new("hb_codepoint_t[7321]", list(range(7321)))
    assert "hb_codepoint_t[7321]" not in ffi.cffis._parsed_types


def test_the_rest_is_cffis(ffi) -> None:
    from weasyprint.text.ffi import ffi as weasyprints

    assert ffi.cffis is weasyprints and ffi.NULL is weasyprints.NULL
    assert ffi.new("unsigned int *", 100)[0] == 100
    with pytest.raises(IndexError):  # as cffi says of an initializer longer than the array
        ffi.new("hb_codepoint_t[2]", [1, 2, 3])


def test_another_weasyprint_keeps_its_own(monkeypatch) -> None:
    from weasyprint.pdf import fonts

    from bookbuild import weasy_arrays

    monkeypatch.delattr(fonts, "ffi")  # a font module that does not use an ffi of its own
    assert not weasy_arrays.install()
    assert not hasattr(fonts, "ffi")
