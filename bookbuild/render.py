"""Stage: write every (edition, format) output, in parallel, reusing the cache.

Each output's cache key covers the edition's resolved AST, its words and
metadata, every file under templates/ and images/, and the tool versions.
An unchanged output is put in place from ``.cache/``, as hard links to its
checked files.  Each edition's site and EPUB are written by the worker that
made the edition, as soon as it is made (``render_here``), and so is its
print HTML (``pdf_ready``); then the PDFs' chunks are laid out on every core
and each PDF is joined (``render_pdfs``).  Each output is checked and
remembered by the worker that wrote it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from .cache import digest, fetch_output, store_output, tool_versions, tree_digest
from .diagnostics import Diagnostic
from .forked import forked_map
from .model import Edition
from .progress import Progress
from .publish import Output, output_for

ORDER = {"pdf": 0, "epub": 1, "html": 2}


@dataclass(frozen=True)
class Job:
    edition: Edition
    output: Output
    target: Path
    work: Path
    key: str
    plan: object = None  # a PDF's laid-out chunks (pdf.PdfPlan)


def output_key(edition: Edition, fmt: str, inputs: str) -> str:
    book = edition.book
    config = {k: v for k, v in book.config.__dict__.items() if k != "linkcheck"}  # not in any edition
    words = json.dumps([config, book.strings, edition.stamp.__dict__], sort_keys=True, default=str)
    return digest(tool_versions(), fmt, edition.lang, words, inputs, edition.key)


def inputs_digest(root: Path) -> str:
    """What every output's key covers besides its edition: the files under templates/ and images/."""
    return tree_digest(root / "templates", root / "images")


def pdf_ready(edition: Edition, stage: Path) -> tuple[str, object]:
    """In the worker that made the edition: its PDF's output key (the edition is sent back
    without the chapters it is computed from), and its PDF put in ``stage`` from the cache (then
    its files), or else its print HTML, cut into chunks for the layout (a ``CutBook``)."""
    from .pdf_chunks import cut
    from .pdf_html import print_html

    root = edition.book.root
    job = _job(edition, "pdf", stage, inputs_digest(root))
    files = fetch_output(root, job.key, job.target)
    return job.key, files if files is not None else cut(print_html(edition))


def render_pdfs(editions: list[Edition], ready: list[tuple[str, object]], stage: Path, progress: Progress
                ) -> tuple[list[Output], list[Output], list[Diagnostic]]:
    """Lay out and write into ``stage`` the PDFs that ``pdf_ready`` did not find in the cache,
    their chunks on every core; returns (every PDF output, those written afresh, the problems
    found in those: each is checked by the worker that wrote it, and remembered only if it passed)."""
    from .pdf_chunks import CutBook

    root = editions[0].book.root
    inputs = inputs_digest(root)
    jobs, books, fresh, built, problems = [], {}, [], [], []
    files: dict[str, list] = {}  # each output's files, as listed when it was fetched or written
    for edition, (key, found) in zip(editions, ready):
        job = _job(edition, "pdf", stage, key=key)
        built.append(job.output)
        if isinstance(found, CutBook):
            jobs.append(job)
            books[edition.lang] = found
        else:
            files[job.output.path] = found
            progress(_unchanged(job))
    if jobs:
        from .pdf import lay_out

        plans = lay_out([j.edition for j in jobs], books, inputs, progress)
        jobs = [replace(j, plan=plans[j.edition.lang]) for j in jobs]
        results = progress.writing([_name(j) for j in jobs], iter(forked_map(_run, jobs, waiting=progress.tick)))
        for job, result in zip(jobs, results):
            problems += _done(job, result, fresh, files, progress)
    return [replace(output, files=tuple(files[output.path] or ())) for output in built], fresh, problems


@dataclass(frozen=True)
class Rendered:
    """One edition's outputs, written by the worker that made the edition (``render_here``)."""
    built: list[Output]  # every output, with its files
    fresh: list[Output]  # those written afresh
    problems: list[Diagnostic]  # found in those
    notes: list[str]  # a line for the progress per output


def render_here(edition: Edition, formats: list[str], stage: Path) -> Rendered:
    """Write one edition's outputs into ``stage`` in this process, one after the other.

    The worker that has just made an edition writes it at once, instead of sending
    it back and waiting for the other languages.  Nothing is published unless every
    edition passes its checks."""
    root = edition.book.root
    inputs = inputs_digest(root)
    built, fresh, problems, notes = [], [], [], []
    for fmt in sorted(formats, key=ORDER.get):
        job = _job(edition, fmt, stage, inputs)
        files = fetch_output(root, job.key, job.target)
        if files is None:
            note, found, files = _run(job)
            problems += found
            fresh.append(job.output)
            notes.append(_wrote(job, note))
        else:
            notes.append(_unchanged(job))
        built.append(replace(job.output, files=tuple(files or ())))
    return Rendered(built, fresh, problems, notes)


def collect(rendered: list[Rendered], progress: Progress) -> tuple[list[Output], list[Output], list[Diagnostic]]:
    """What workers wrote with ``render_here``, as ``render_pdfs`` returns it; their notes go to ``progress``."""
    built, fresh, problems = [], [], []
    for each in rendered:
        for note in each.notes:
            progress(note)
        built += each.built
        fresh += each.fresh
        problems += each.problems
    return built, fresh, problems


def _job(edition: Edition, fmt: str, stage: Path, inputs: str = "", key: str = "") -> Job:
    """The job of writing one output; its key from ``inputs``, unless it is given."""
    (stage / edition.lang).mkdir(parents=True, exist_ok=True)
    output = output_for(edition.lang, fmt, edition.book.config.slug)
    return Job(edition, output, output.target(stage), stage / edition.lang, key or output_key(edition, fmt, inputs))


def _name(job: Job) -> str:
    return f"{job.edition.lang} {job.output.format}"


def _unchanged(job: Job) -> str:
    return f"{job.edition.lang}: {job.output.format} unchanged, from the cache"


def _wrote(job: Job, note: str) -> str:
    return f"{job.edition.lang}: wrote {job.output.format}{f' ({note})' if note else ''}"


def _done(job: Job, result: tuple[str, list[Diagnostic], list | None], fresh: list[Output],
          files: dict[str, list], progress: Progress) -> list[Diagnostic]:
    """Note a written output and its files; return its problems."""
    note, problems, files[job.output.path] = result
    fresh.append(job.output)
    progress(_wrote(job, note))
    return problems


def _run(job: Job) -> tuple[str, list[Diagnostic], list | None]:
    """Write one output, check it and remember it if it passed; return a note for
    the progress line, its problems, and its files (None if it is not remembered)."""
    from .outputs_check import check_output

    note, known = _write(job)
    root = job.edition.book.root
    problems = check_output(job.output, job.target, root, known)
    return note, problems, None if problems else store_output(root, job.key, job.target, known)


def _write(job: Job) -> tuple[str, dict[str, str]]:
    """Write the output; return a note for the progress line, and the sha256 of the files
    that the writer stored in ``.cache/blobs/`` already (by their paths in the output)."""
    fmt, edition = job.output.format, job.edition
    if fmt == "html":
        from .writers import write_html_site
        return "", write_html_site(edition, job.target)
    if fmt == "epub":
        from .writers import write_epub
        work = job.work / ".work-epub"
        work.mkdir(exist_ok=True)
        write_epub(edition, job.target, work)
        return "", {}
    from .pdf import write_pdf
    note, blob = write_pdf(edition, job.plan, job.target)
    return note, {"": blob}
