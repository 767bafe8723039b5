"""One chunk of the PDF laid out in a worker, with the numbers it can settle itself.

The pass that lays out chunks (``pdf.py``) gives each a first guess at its
numbers: where it starts, and the pages of the anchors it names.  Two of
these the worker can settle without waiting for another pass:

- **where it starts**, once every chunk before it in its edition has been
  laid out: the workers share each chunk's page count (``PageCounts``).
  A chunk laid out while one before it is still under way starts where
  their lengths say, and its pages are numbered again once they are known;
- **the pages of its own anchors** ("Table 1 on page 11", the table being
  in the same chapter), found by its own layout.

Both are put in place by ``pdf_renumber`` instead of a second layout, when
they are as wide as what was laid out.

A chunk whose numbers are all settled is drawn at once.  One that names an
anchor in a chunk not laid out yet is only measured, as before: the next
pass lays it out with the numbers this one found.

The first chunk (the front matter) is laid out by the parent instead, while
the workers lay out the rest (``lay_out_first``): it starts on page 1, but
its contents print every chapter's pages, so the parent keeps its layout
and puts those pages in place once the workers have found them
(``settle_first``).
"""
from __future__ import annotations

import mmap
import time
from dataclasses import dataclass

from .cache import get_pickle
from .pdf_chunks import CHARS_PER_PAGE, CutBook, chunk_html, printed_pages, shown_numbers
from .pdf_layout import KIND, ChunkLayout, anchors_of, finish, layout_key, render
from .pdf_numbers import changes
from .pdf_renumber import renumber

UNKNOWN, UNDER_WAY = -2, -1  # a chunk's slot: not laid out in this pass (yet), or being laid out
WAIT_S = 0.005
MAX_WAIT_S = 600.0  # a worker that died leaves its slot "under way": give up, the next pass sorts it out
MAX_LAYOUTS = 4


@dataclass(frozen=True)
class ChunkJob:
    lang: str
    index: int  # the chunk's place in its edition
    start: int  # the guess at its first page
    pages: dict  # the guesses at the anchors' pages (anchor -> page)
    html: str  # the chunk's HTML with these numbers
    write: bool  # draw it even if its numbers are not all settled (they are the last build's)


class PageCounts:
    """Each chunk's page count, in memory shared by the workers of one pass (they are forked
    after it is made, and inherit it)."""

    def __init__(self, chunks: dict[str, int]):
        self._first, total = {}, 0
        for lang, count in chunks.items():
            self._first[lang], total = total, total + count
        self._memory = mmap.mmap(-1, max(4, 4 * total))  # anonymous and shared
        self._slots = memoryview(self._memory).cast("i")
        for slot in range(total):
            self._slots[slot] = UNKNOWN

    def set(self, lang: str, index: int, value: int) -> None:
        self._slots[self._first[lang] + index] = value

    def start(self, lang: str, index: int, wait: bool = False, guess=None) -> int | None:
        """The chunk's first page, from the page counts of the chunks before it; None if one is
        not known, unless ``guess(i)`` guesses chunk i's.  If ``wait``, waits for those under way."""
        page, given_up = 1, time.monotonic() + MAX_WAIT_S
        for slot in range(self._first[lang], self._first[lang] + index):
            while wait and self._slots[slot] == UNDER_WAY and time.monotonic() < given_up:
                time.sleep(WAIT_S)
            count = self._slots[slot]
            if count < 0:
                if guess is None:
                    return None
                count = guess(slot - self._first[lang])
            page += count + count % 2  # each chapter starts on a recto
        return page

    def guesser(self, lang: str, book: CutBook):
        """A guess at a chunk's page count, from its length and those of the chapters laid out."""
        known = [(len(chunk.body), self._slots[self._first[lang] + index])
                 for index, chunk in enumerate(book.chunks) if index and self._slots[self._first[lang] + index] > 0]
        per_page = sum(size for size, _ in known) / sum(pages for _, pages in known) if known else CHARS_PER_PAGE
        return lambda index: max(1, round(len(book.chunks[index].body) / per_page))


class Measures:
    """Each chunk's measures (its pages, and the page of each of its anchors), sent by the
    worker that laid it out as soon as its layout holds, before it is drawn: meanwhile, the
    parent puts the pages that the front matter's contents print in place (``settle_first``).
    Made before the workers are forked; the parent reads every chunk's, or a worker could
    wait on a full pipe."""

    def __init__(self):
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._reading, self._writing = context.Pipe(duplex=False)
        self._lock = context.Lock()  # one worker's message at a time

    def tell(self, lang: str, index: int, layout: ChunkLayout | None) -> None:
        """In a worker: the chunk's measures (as a layout without its PDF), or None if it failed."""
        with self._lock:
            self._writing.send((lang, index, layout))

    def heard(self, timeout: float) -> tuple[str, int, ChunkLayout | None] | None:
        """In the parent: the next chunk measured, or None if none is within ``timeout`` seconds."""
        return self._reading.recv() if self._reading.poll(timeout) else None


def lay_out_job(root, job: ChunkJob, book: CutBook, css: str, inputs: str, identifier: bytes,
                counts: PageCounts, measures: Measures | None = None) -> tuple[str, ChunkLayout]:
    """Lay out the chunk, settling what numbers it can; draw and remember it if they are all
    settled, or if ``job.write``.  Its page count is shared, and its measures told, before it
    is drawn.  Returns the key of the HTML laid out, and its layout."""
    def laid(layout: ChunkLayout) -> None:
        counts.set(job.lang, job.index, layout.pages)
        if measures:
            measures.tell(job.lang, job.index, layout)

    counts.set(job.lang, job.index, UNDER_WAY)
    try:
        return _lay_out(root, job, book, css, inputs, identifier, counts, laid)
    except BaseException:
        counts.set(job.lang, job.index, UNKNOWN)
        if measures:
            measures.tell(job.lang, job.index, None)
        raise


def lay_out_first(root, job: ChunkJob, css: str, counts: PageCounts):
    """Lay out the first chunk (in the parent, while the workers lay out the others, who wait
    for its page count); return the layout and the URLs its fetcher refused."""
    try:
        document, refused = render(root, job.html, css)
    except BaseException:
        counts.set(job.lang, job.index, UNKNOWN)
        raise
    counts.set(job.lang, job.index, len(document.pages))
    return document, refused


def settle_first(root, job: ChunkJob, book: CutBook, document, refused: tuple[str, ...],
                 others: list[ChunkLayout | None], css: str, inputs: str, identifier: bytes
                 ) -> tuple[str, ChunkLayout]:
    """The first chunk's layout with the pages that the layouts of the ``others`` found put in
    place, drawn and remembered; or, if they cannot be put in place, as ``lay_out_job`` would
    leave it.  Returns the key of the HTML laid out, and its layout."""
    measured = ChunkLayout(None, len(document.pages), anchors_of(document), refused)
    if None not in others:
        pages = book_numbers([measured, *others])[1]
        html = chunk_html(book, job.index, 1, pages)
        if html == job.html or renumber(document, 1, 1, printed_pages(book, job.index, job.pages),
                                        printed_pages(book, job.index, pages)):
            key = layout_key(html, css, inputs)
            return key, finish(root, key, document, refused, identifier, True, html)
    key = layout_key(job.html, css, inputs)
    return key, finish(root, key, document, refused, identifier, job.write, job.html)


def book_numbers(layouts: list[ChunkLayout]) -> tuple[list[int], dict[str, int]]:
    """Each chunk's first page and each anchor's page, once the chunks are laid end to end."""
    starts, pages, page = [], {}, 1
    for layout in layouts:
        starts.append(page)
        for name, local in layout.anchors.items():
            pages.setdefault(name, page + local - 1)
        page += layout.pages + layout.pages % 2  # the next chapter starts on a recto
    return starts, pages


def _lay_out(root, job: ChunkJob, book: CutBook, css: str, inputs: str, identifier: bytes,
             counts: PageCounts, laid) -> tuple[str, ChunkLayout]:
    known_start = counts.start(job.lang, job.index)
    start = job.start if known_start is None and job.write else known_start  # the last build's guess
    if start is None:  # one of the chunks before it is under way: its length says how long it is
        start = counts.start(job.lang, job.index, guess=counts.guesser(job.lang, book))
    pages, html = job.pages, job.html
    if start != job.start:
        html = chunk_html(book, job.index, start, pages)
    chunk = book.chunks[job.index]
    document, refused = render(root, html, css)
    settled = False  # the layout shows the numbers it finds
    for _ in range(MAX_LAYOUTS):
        local = anchors_of(document)
        if known_start is None:  # after this layout, the chunks before it have likely been laid out
            known_start = counts.start(job.lang, job.index, wait=True)
        begin = start if known_start is None else known_start
        found = {**pages, **{name: begin + page - 1 for name, page in local.items()}}
        again = chunk_html(book, job.index, begin, found)
        if again == html:
            settled = True
            break
        if renumber(document, start, begin, printed_pages(book, job.index, pages),
                    printed_pages(book, job.index, found)):
            start, pages, html, settled = begin, found, again, True
            break
        start, pages, html = begin, found, again
        document, refused = render(root, html, css)
    key = layout_key(html, css, inputs)
    known = settled and known_start == start and chunk.xrefs | chunk.toc <= pages.keys()
    write = job.write or known
    laid(ChunkLayout(None, len(document.pages), anchors_of(document), refused))
    cached = get_pickle(root, KIND, key) if write else None
    if cached is not None and changes(cached, shown_numbers(html)) is not None:
        return key, cached
    return key, finish(root, key, document, refused, identifier, write, html)
