"""Why a chunk's page references are not left to WeasyPrint's ``target-counter``.

If each chapter chunk found the pages of its own anchors itself, with CSS
``target-counter(attr(data-target url), page)``, a cold build could lay most
chunks out once instead of twice (measured on the real book: the PDF stage
took 5.5 s instead of 7.0 s).  But WeasyPrint 70.0 then loses footnotes: a
forward reference makes it lay a page out again, and a footnote that the
page before had pushed onto that page is dropped.  The French edition lost
its footnote 5 this way.  This script shows it on a small page; run it again
after upgrading WeasyPrint (``.venv/bin/python bench/footnote_target_counter.py``).
"""
from __future__ import annotations

import io

import weasyprint
from pypdf import PdfReader


def document(filler: int, reference: str) -> str:
    notes = "".join(f'<span class="note">NOTE-{name} {"a long note text " * 12}</span> then'
                    for name in "AB")
    return f"""<html><head><style>
@page {{ size: A6; margin: 1cm; }}
.note {{ float: footnote; }}
.page-of::after {{ content: target-counter(attr(data-target url), page); }}
</style></head><body>
<p>{"Lorem ipsum dolor sit amet. " * filler}</p>
<p>Two notes.{notes}.</p>
<p>See page {reference}.</p>
<p>{"More text here. " * 200}</p>
<p id="target">The target.</p>
</body></html>"""


def lost_notes(filler: int, reference: str) -> list[str]:
    pdf = weasyprint.HTML(string=document(filler, reference)).write_pdf()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return [name for name in ("NOTE-A", "NOTE-B") if name not in text]


def main() -> None:
    forward = '<span class="page-of" data-target="#target"></span>'
    lost = {filler: lost_notes(filler, forward) for filler in range(5, 60)}
    lost = {filler: notes for filler, notes in lost.items() if notes}
    print(f"WeasyPrint {weasyprint.__version__}: with a forward target-counter, footnotes lost "
          f"for {len(lost)} of 55 page fillings: {lost}")
    print("with the page number written in the text instead:",
          {filler: lost_notes(filler, "7") for filler in lost} or "nothing to compare")


if __name__ == "__main__":
    main()
