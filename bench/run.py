"""make bench: the pipeline against the raw tools and Quarto's Typst path.

For the real book and synthetic books of N chapters (two languages each), it
measures a cold full build, a no-op rebuild, a one-chapter edit (HTML only,
PDF only, then all formats, and in the live preview), the PDF after an edit
that adds a page (so every later page moves), and peak memory, each the
median of several runs, beside:

- the raw-tool floor: plain `pandoc` and `weasyprint` commands, serially, on
  the same book already templated into one Markdown file per language, with
  WeasyPrint given the build's own print HTML and stylesheet (the same
  conversion); and the bare floor, with WeasyPrint given Pandoc's unstyled HTML;
- Quarto's PDF path: `pandoc -t typst`, then the `typst` package.

Results go to bench/results/<timestamp>.md and .json, with the machine.
Usage: python bench/run.py [--sizes 10 50 200] [--runs 3] [--no-real]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import synth  # noqa: E402

PY = sys.executable
HTML_EDITS = 3  # the site after an edit is the quickest build, and the noisiest: its median of 3 per run
EPOCH = {"SOURCE_DATE_EPOCH": "1764028800"}


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, float, float]:
    """(seconds, peak MiB of the largest process in the command's tree, CPU seconds of the
    whole tree: user and system time of every process the command ran)."""
    probe = ("import resource, subprocess, sys, time; t = time.monotonic(); "
             "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
             "e = time.monotonic() - t; u = resource.getrusage(resource.RUSAGE_CHILDREN); "
             "print(e, u.ru_maxrss / 1024, u.ru_utime + u.ru_stime) if r.returncode == 0 "
             "else sys.exit(r.stderr.decode()[-2000:])")
    out = subprocess.run([PY, "-c", probe, *command], cwd=cwd, capture_output=True, text=True,
                         env={**os.environ, **EPOCH})
    if out.returncode:
        raise SystemExit(f"failed: {' '.join(command)}\n{out.stderr}")
    seconds, mib, cpu = out.stdout.split()
    return float(seconds), float(mib), float(cpu)


def build(root: Path, *extra: str) -> tuple[float, float, float]:
    return timed([PY, str(REPO / "build.py"), "--root", str(root), "build", *extra])


def raw_markdown(root: Path) -> dict[str, Path]:
    """The book templated into one Markdown file per language (input for the raw tools)."""
    if (root / "raw").is_dir():
        return {p.stem: p for p in (root / "raw").glob("*.md")}
    from bookbuild.edition import edition_book
    from bookbuild.load import load
    from bookbuild.locale_text import Formatter
    from bookbuild.templating import make_environment, render_chapter

    book, _ = load(root)
    (root / "raw").mkdir()
    files = {}
    for lang in (book.config.language, *book.languages):
        local = edition_book(book, lang)
        env, fmt = make_environment(root), Formatter(lang, local.strings)
        texts = book.languages[lang].table_texts if lang in book.languages else {}
        chapters = [book.languages[lang].chapters.get(c.id, c) if lang in book.languages else c
                    for c in book.chapters]
        parts = [render_chapter(env, local, c, fmt, texts)[0].markdown for c in chapters]
        files[lang] = root / "raw" / f"{lang}.md"
        files[lang].write_text("\n\n".join(parts))
    return files


def raw_print(root: Path, lang: str) -> tuple[Path, Path]:
    """The build's own print HTML of a language and its stylesheet, for the floor's WeasyPrint
    (``raw/print-<lang>.html``, ``raw/print.css``); written once, untimed."""
    html, css = root / "raw" / f"print-{lang}.html", root / "raw" / "print.css"
    if not html.exists():
        from bookbuild.edition import make_edition
        from bookbuild.load import load
        from bookbuild.pdf_html import print_html
        from bookbuild.pdf_layout import stylesheet_text

        book, _ = load(root)
        edition, _ = make_edition(book, lang, int(EPOCH["SOURCE_DATE_EPOCH"]))
        html.write_text(print_html(edition))
        css.write_text(stylesheet_text(root))
    return html, css


def raw_floor(root: Path) -> tuple[float, float, float]:
    """Seconds the raw tools take, run serially, for every language: Pandoc writes the
    site, the EPUB and the print HTML, and WeasyPrint lays out the PDF.

    Two floors, which differ only in what WeasyPrint is given: the build's own print HTML
    and stylesheet (the same conversion as the build's: its fonts, footnotes at the foot
    of the page, hyphenation, running heads), and Pandoc's bare standalone HTML with no
    stylesheet (a plainer, quicker layout of the same text).  Returns (floor, bare floor,
    the floor's CPU seconds)."""
    from bookbuild.pandoc import pandoc_path

    pandoc = pandoc_path()
    weasy = str(Path(PY).parent / "weasyprint")
    floor = bare = cpu = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for lang, md in raw_markdown(root).items():
            for command in ([pandoc, str(md), "-f", "markdown-citations", "-s", "--toc", "-M", f"title=Book {lang}", "-o", f"{tmp}/{lang}.html"],
                            [pandoc, str(md), "-f", "markdown-citations", "--toc", "-M", f"title=Book {lang}", "-o", f"{tmp}/{lang}.epub"],
                            [pandoc, str(md), "-f", "markdown-citations", "-s", "-t", "html5", "-M", f"title=Book {lang}", "-o", f"{tmp}/p-{lang}.html"]):
                seconds, _, used = timed(command)
                floor, bare, cpu = floor + seconds, bare + seconds, cpu + used
            html, css = raw_print(root, lang)
            seconds, _, used = timed([weasy, "-u", root.as_uri() + "/", "-s", str(css), str(html), f"{tmp}/{lang}.pdf"])
            floor, cpu = floor + seconds, cpu + used
            bare += timed([weasy, f"{tmp}/p-{lang}.html", f"{tmp}/bare-{lang}.pdf"])[0]
    return floor, bare, cpu


def typst_pdf(root: Path) -> float:
    """Quarto's PDF path on the source language: pandoc -t typst, then typst."""
    from bookbuild.pandoc import pandoc_path

    md = raw_markdown(root)["en"]
    with tempfile.TemporaryDirectory() as tmp:
        header = Path(tmp) / "header.typ"
        header.write_text("#show figure: set block(breakable: true)\n")
        convert = timed([pandoc_path(), str(md), "-f", "markdown-citations", "-s", "-t", "typst", "-H", str(header), "-o", f"{tmp}/book.typ"])[0]
        compile_ = timed([PY, "-c", f"import typst; typst.compile('{tmp}/book.typ', output='{tmp}/book.pdf', "
                                    f"timestamp=1764028800)"])[0]
    return convert + compile_


def edit_then_build(root: Path, serial: int, *extra: str, paragraphs: int = 0) -> float:
    """Seconds to build after one chapter's edit (``edit_one_chapter``)."""
    edit_one_chapter(root, serial, paragraphs)
    return build(root, *extra)[0]


def edit_one_chapter(root: Path, serial: int, paragraphs: int = 0) -> None:
    """Add a sentence to the middle chapter; and ``paragraphs`` paragraphs of about 90 words
    each, so that (with 4, about a page) every later page moves."""
    chapters = sorted((root / "chapters" / "en").glob("*.md"))
    middle = chapters[len(chapters) // 2]
    sentence = "The applicant sends the permit application to the office of the province before the month ends. "
    added = "".join(f"\n\n{sentence * 6}" for _ in range(paragraphs))
    middle.write_text(middle.read_text() + f"\n\nAn edited sentence, number {serial}.\n{added}")


def preview_edits(root: Path, serial: int, edits: int = 3) -> float:
    """The median time from saving an edited chapter to the preview server (make serve) publishing
    the rebuilt site: what an author waits for before the open page reloads."""
    import re
    import select
    import urllib.request

    log = tempfile.TemporaryFile("w+")
    server = subprocess.Popen([PY, str(REPO / "build.py"), "--root", str(root), "serve", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=log, text=True, env={**os.environ, **EPOCH})
    try:
        ready = select.select([server.stdout], [], [], 1800)[0]
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", server.stdout.readline() if ready else "")
        if not found:
            log.seek(0)
            raise SystemExit(f"the preview server did not start: {log.read()[-2000:]}")
        poll = f"http://127.0.0.1:{found[1]}/__preview__/generation"
        generation = json.loads(urllib.request.urlopen(poll, timeout=60).read())["generation"]
        waits = []
        for edit in range(edits):
            time.sleep(1)  # apart: each save is its own change
            started = time.monotonic()
            edit_one_chapter(root, 1000 * serial + edit)
            state = json.loads(urllib.request.urlopen(f"{poll}?after={generation}", timeout=600).read())
            waits.append(time.monotonic() - started)
            if not state["ok"] or state["generation"] == generation:
                raise SystemExit(f"the preview did not rebuild: {state}")
            generation = state["generation"]
        return statistics.median(waits)
    finally:
        server.terminate()
        server.wait()
        log.close()


def measure(name: str, root: Path, runs: int) -> dict:
    cold, noop, edit_html, edit_pdf, grown_pdf, edit_all, preview, memory = [], [], [], [], [], [], [], []
    floors, bare_floors, cold_cpu, floor_cpu = [], [], [], []
    for run in range(runs):
        for folder in ("dist", ".cache"):
            shutil.rmtree(root / folder, ignore_errors=True)
        seconds, mib, cpu = build(root)
        cold.append(seconds)
        memory.append(mib)
        cold_cpu.append(cpu)
        # Right after the cold build, so that both meet the machine at one speed: it varies
        # up to threefold over minutes (see cpu_probe).
        floor, bare, cpu = raw_floor(root)
        floors.append(floor)
        bare_floors.append(bare)
        floor_cpu.append(cpu)
        noop.append(build(root)[0])
        edit_html.append(statistics.median(edit_then_build(root, 10 * run + n, "--format", "html")
                                           for n in range(HTML_EDITS)))
        edit_pdf.append(edit_then_build(root, 10 * run + 5, "--format", "pdf"))
        grown_pdf.append(edit_then_build(root, 10 * run + 7, "--format", "pdf", paragraphs=4))  # about a page
        edit_all.append(edit_then_build(root, 10 * run + 6))
        preview.append(preview_edits(root, run))
        print(f"  {name} run {run + 1}: cold {cold[-1]:.1f}s, CPU {cold_cpu[-1]:.1f}s (floor {floors[-1]:.1f}s, "
              f"CPU {floor_cpu[-1]:.1f}s; bare {bare_floors[-1]:.1f}s), no-op {noop[-1]:.2f}s, "
              f"edit html {edit_html[-1]:.2f}s, edit pdf {edit_pdf[-1]:.1f}s, "
              f"a page added: pdf {grown_pdf[-1]:.1f}s, edit all {edit_all[-1]:.1f}s, "
              f"edit preview {preview[-1]:.2f}s", flush=True)
    floor = statistics.median(floors)
    typst = statistics.median(typst_pdf(root) for _ in range(runs))
    chapters = len(list((root / "chapters" / "en").glob("*.md")))
    result = {"book": name, "chapters": chapters, "runs": runs,
              "cold_s": statistics.median(cold), "noop_s": statistics.median(noop),
              "edit_html_s": statistics.median(edit_html), "edit_pdf_s": statistics.median(edit_pdf),
              "edit_all_s": statistics.median(edit_all), "edit_preview_s": statistics.median(preview),
              "edit_pdf_page_added_s": statistics.median(grown_pdf),
              "peak_mib": max(memory), "raw_floor_s": floor, "typst_pdf_s": typst}
    result["cold_vs_floor"] = statistics.median(c / f for c, f in zip(cold, floors))  # each run's own ratio
    result["cold_vs_bare_floor"] = statistics.median(c / f for c, f in zip(cold, bare_floors))
    result["raw_bare_floor_s"] = statistics.median(bare_floors)
    result["cold_runs_s"], result["raw_floor_runs_s"], result["raw_bare_floor_runs_s"] = cold, floors, bare_floors
    result["cold_cpu_runs_s"], result["raw_floor_cpu_runs_s"] = cold_cpu, floor_cpu
    result["cold_cpu_s"], result["raw_floor_cpu_s"] = statistics.median(cold_cpu), statistics.median(floor_cpu)
    # How many cores a cold build kept busy on average: below the machine's cores, it waited
    # (on its own serial steps, or on a machine that gave it less than its cores meanwhile).
    result["cold_busy_cores"] = statistics.median(c / s for c, s in zip(cold_cpu, cold))
    result["edit_all_vs_cold"] = result["edit_all_s"] / result["cold_s"]
    result["edit_all_vs_typst"] = result["edit_all_s"] / typst
    result["edit_pdf_vs_typst"] = result["edit_pdf_s"] / typst
    result["edit_pdf_page_added_vs_typst"] = result["edit_pdf_page_added_s"] / typst
    result["cold_s_per_chapter"] = result["cold_s"] / chapters
    return result


def cpu_probe() -> float:
    """Seconds a fixed pure-Python loop takes: how fast this machine was when measured (its
    speed varies with what its neighbours on the host do)."""
    started = time.perf_counter()
    total = 0
    for number in range(5_000_000):
        total += number * number
    return time.perf_counter() - started


def cpu_times() -> list[int]:
    """This machine's CPU time so far by kind (/proc/stat: user nice system idle iowait irq softirq steal)."""
    try:
        with open("/proc/stat") as handle:
            return [int(n) for n in handle.readline().split()[1:9]]
    except (OSError, ValueError):
        return []


def stolen_percent(before: list[int], after: list[int]) -> float | None:
    """The share of CPU time the hypervisor gave to other machines between two ``cpu_times()``."""
    if len(before) < 8 or len(after) < 8:
        return None
    spent = [b - a for a, b in zip(before, after)]
    return 100 * spent[7] / sum(spent) if sum(spent) else None


def machine() -> dict:
    from importlib.metadata import version

    import pypandoc

    return {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "pandoc": pypandoc.get_pandoc_version(), "weasyprint": version("weasyprint"),
            "typst": version("typst")}


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def table(results: list[dict], info: dict) -> str:
    rows = ["| book | chapters | cold | ×floor | ×bare floor | no-op | edit: HTML | edit: preview | edit: PDF | edit: all "
            "| edit/cold | PDF edit/Typst | a page added: PDF | its /Typst | peak MiB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        rows.append(f"| {r['book']} | {r['chapters']} | {r['cold_s']:.1f} s | {r['cold_vs_floor']:.2f} | {r['cold_vs_bare_floor']:.2f} | "
                    f"{r['noop_s']:.2f} s | {r['edit_html_s']:.2f} s | {r['edit_preview_s']:.2f} s | "
                    f"{r['edit_pdf_s']:.1f} s | "
                    f"{r['edit_all_s']:.1f} s | {r['edit_all_vs_cold']:.2f} | {r['edit_pdf_vs_typst']:.2f} | "
                    f"{_seconds(r.get('edit_pdf_page_added_s'))} | {_ratio(r.get('edit_pdf_page_added_vs_typst'))} | "
                    f"{r['peak_mib']:.0f} |")
    stolen = info.get("stolen_percent")
    notes = [f"- machine: {info['cores']} cores, Python {info['python']}, Pandoc {info['pandoc']}, "
             f"WeasyPrint {info['weasyprint']}, typst {info['typst']}",
             f"- its speed: a fixed Python loop took {info['cpu_probe_s'][0]:.2f} s before and "
             f"{info['cpu_probe_s'][1]:.2f} s after the runs; "
             + (f"the kernel counted {stolen:.0f}% of the CPU time as stolen by the hypervisor meanwhile"
                if stolen is not None else "no steal figure (/proc/stat)"),
             *(f"- {r['book']}: a cold build's CPU time (all its processes) {r['cold_cpu_s']:.1f} s, the floor's "
               f"{r['raw_floor_cpu_s']:.1f} s; on average {r['cold_busy_cores']:.2f} cores busy during a cold build "
               f"(its runs, wall/CPU: {', '.join(f'{s:.1f}/{c:.1f} s' for s, c in zip(r['cold_runs_s'], r['cold_cpu_runs_s']))})"
               for r in results if "cold_cpu_s" in r),
             "- cold: all formats, both languages, empty cache; ×floor: the median over the runs of each cold build /",
             "  the raw tools run serially right after it, WeasyPrint laying out the build's print HTML with its",
             "  stylesheet; ×bare floor: the same, WeasyPrint laying out Pandoc's unstyled standalone HTML;",
             "  edit: one chapter changed (HTML only: median of 3 edits; then PDF only; then all formats);",
             "  edit: preview: from saving a chapter to `make serve` publishing the site again (median of 3 saves);",
             "  PDF edit/Typst: both languages' PDFs after an edit / Pandoc→Typst PDF of the source language;",
             "  a page added: the PDFs after an edit that adds about a page to the middle chapter, so that every",
             "  later page moves (and its ratio to the same Typst compile)."]
    return "\n".join(rows + [""] + notes) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 50, 200])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-real", action="store_true")
    args = parser.parse_args()
    results = []
    probe, times = cpu_probe(), cpu_times()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_real:
            real = Path(tmp) / "real"
            real.mkdir()
            shutil.copy(REPO / "book.yaml", real)
            for folder in ("chapters", "tables", "templates", "images"):
                if (REPO / folder).is_dir():
                    shutil.copytree(REPO / folder, real / folder)
            results.append(measure("real book", real, args.runs))
        for size in args.sizes:
            root = synth.make_book(Path(tmp) / f"synthetic-{size}", size)
            results.append(measure(f"synthetic {size}", root, args.runs))
    info = {**machine(), "cpu_probe_s": [probe, cpu_probe()], "stolen_percent": stolen_percent(times, cpu_times())}
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"{stamp}.json").write_text(json.dumps({"machine": info, "results": results}, indent=2) + "\n")
    (out / f"{stamp}.md").write_text(table(results, info))
    print(table(results, info))


if __name__ == "__main__":
    main()
