"""A measurement for issue 6: is the PDF faster rendered chapter by chapter, in
parallel, then merged with pypdf, than in one WeasyPrint pass, and is the
merged PDF still correct?  Prints timings and what the merge kept.

    .venv/bin/python bench/pdf_chunks.py BOOK_ROOT [WORKERS]

It renders the first edition's print HTML once whole, then cut at each
chapter (front matter first), with the same stylesheet.  It does not fix page
numbers, the contents or cross-chapter links: it measures the cost and what a
plain merge loses, before anyone builds the rest.
"""
from __future__ import annotations

import io
import multiprocessing
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bookbuild.cli import gather  # noqa: E402
from bookbuild.fonts import font_dir, font_face_css  # noqa: E402
from bookbuild.pdf import print_html  # noqa: E402

ROOT: Path = REPO


def render(html: str) -> tuple[bytes, int, float]:
    import weasyprint

    started = time.perf_counter()
    css = font_face_css(font_dir().as_uri() + "/") + (ROOT / "templates/css/print.css").read_text("utf-8")
    document = weasyprint.HTML(string=html, base_url=str(ROOT) + "/").render(
        stylesheets=[weasyprint.CSS(string=css)])
    data = document.write_pdf(pdf_tags=True)
    return data, len(document.pages), time.perf_counter() - started


def chunks(html: str) -> list[str]:
    starts = [m.start() for m in re.finditer(r'<section id="[^"]*" class="level1', html)]
    body_end = html.rindex("</body>")
    head = html[: html.index("<body>") + len("<body>")]
    pieces = [html[: starts[0]]]
    for start, end in zip(starts, starts[1:] + [body_end]):
        pieces.append(head + html[start:end])
    return [p + "\n</body>\n</html>\n" for p in pieces]


def main() -> None:
    global ROOT
    ROOT = Path(sys.argv[1]).resolve()
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else multiprocessing.cpu_count()
    _, editions, _ = gather(ROOT)
    html = print_html(editions[0])
    whole, pages, one = render(html)
    print(f"one pass: {one:.1f} s, {pages} pages")
    parts = chunks(html)
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = pool.map(render, parts, chunksize=1)
    parallel = time.perf_counter() - started
    serial = sum(r[2] for r in results)
    print(f"{len(parts)} chunks: {parallel:.1f} s on {workers} workers ({serial:.1f} s of work), "
          f"{sum(r[1] for r in results)} pages")
    from pypdf import PdfReader, PdfWriter

    started = time.perf_counter()
    writer = PdfWriter()
    for data, _, _ in results:
        writer.append(PdfReader(io.BytesIO(data)))
    out = io.BytesIO()
    writer.write(out)
    merge = time.perf_counter() - started
    print(f"pypdf merge: {merge:.1f} s")
    merged, single = PdfReader(io.BytesIO(out.getvalue())), PdfReader(io.BytesIO(whole))
    for name, reader in (("one pass", single), ("merged", merged)):
        root = reader.trailer["/Root"]
        print(f"  {name}: tagged={'/StructTreeRoot' in root} outline={len(reader.outline)} "
              f"named destinations={len(reader.named_destinations)} lang={root.get('/Lang')}")


if __name__ == "__main__":
    main()
