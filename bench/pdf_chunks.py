"""A measurement for issue 6: the PDF laid out in chunks (what the pipeline does)
against one WeasyPrint pass over the whole print HTML, on one edition.

    .venv/bin/python bench/pdf_chunks.py BOOK_ROOT

Prints, for the book's first edition: one whole layout and write (what one pass
of the old pipeline cost; it made two, to write in "on page N"); the chunked
layout from a cold cache (all passes, on every core); joining the chunks; and
the chunked layout after a one-line edit of the middle chapter.  It works in
a copy of the book, so the book's own cache is left alone.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bookbuild.cache import tree_digest  # noqa: E402
from bookbuild.cli import gather  # noqa: E402
from bookbuild.pdf import lay_out, write_pdf  # noqa: E402
from bookbuild.pdf_chunks import cut  # noqa: E402
from bookbuild.pdf_html import print_html  # noqa: E402
from bookbuild.pdf_layout import stylesheet_text  # noqa: E402
from bookbuild.progress import Progress  # noqa: E402


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def one_pass(root: Path, html: str) -> int:
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()  # without it the @font-face rules are ignored
    css = weasyprint.CSS(string=stylesheet_text(root), font_config=fonts)
    document = weasyprint.HTML(string=html, base_url=str(root) + "/").render(stylesheets=[css], font_config=fonts)
    document.write_pdf(pdf_tags=True)
    return len(document.pages)


def main() -> None:
    source = Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "book"
        shutil.copytree(source, root, ignore=shutil.ignore_patterns(".cache", "dist", ".git"))
        edition = gather(root).editions[0]
        inputs = tree_digest(root / "templates", root / "images")
        pages, whole = timed(lambda: one_pass(root, print_html(edition)))
        print(f"one whole layout and write: {whole:.1f} s, {pages} pages")
        books = {edition.lang: cut(print_html(edition))}
        plans, cold = timed(lambda: lay_out([edition], books, inputs, Progress(time.monotonic(), sys.stdout)))
        print(f"chunks from a cold cache: {cold:.1f} s")
        _, join = timed(lambda: write_pdf(edition, plans[edition.lang], root / "joined.pdf"))
        from pypdf import PdfReader

        joined = len(PdfReader(root / "joined.pdf").pages)
        print(f"joining {len(plans[edition.lang].keys)} chunks: {join:.1f} s, {joined} pages")
        chapters = sorted((root / "chapters" / edition.lang).glob("*.md"))
        middle = chapters[len(chapters) // 2]
        middle.write_text(middle.read_text("utf-8") + "\nOne more sentence, for the benchmark.\n", "utf-8")
        edition = gather(root).editions[0]
        books = {edition.lang: cut(print_html(edition))}
        _, edit = timed(lambda: lay_out([edition], books, inputs, Progress(time.monotonic(), sys.stdout)))
        print(f"chunks after editing {middle.name}: {edit:.1f} s")


if __name__ == "__main__":
    main()
