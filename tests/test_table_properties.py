"""Property-based tests on table data (hypothesis).

Any valid table renders with the same rows in the HTML, the EPUB and the PDF
text; any invalid cell is reported on its own line.
"""
from __future__ import annotations

import re
import tempfile
import zipfile
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st
from pypdf import PdfReader

from bookbuild.tables import load_table
from conftest import FIXTURES, make_book, run

WORD = st.text(alphabet="abcdefghijkmnopqrstuvwxyzABCDEFGH0123456789", min_size=1, max_size=7)
TEXT = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
ROW = st.fixed_dictionaries({"count": st.integers(0, 10**6), "note": TEXT, "flag": st.booleans()})
ROWS = st.lists(ROW, min_size=1, max_size=6)

HEADER = """caption: Random rows
columns:
  - {name: key, label: Key, type: string, required: true, key: true}
  - {name: count, label: Count, type: integer, required: true}
  - {name: note, label: Note, type: string}
  - {name: flag, label: Flag, type: boolean}
sources:
  - {title: Nowhere, url: "https://example.org/", checked: 2026-01-01}
rows:
"""  # the first row starts on line 10


def table_yaml(rows: list[dict]) -> str:
    """One row per four lines, so the line of every cell is known."""
    lines = [HEADER.rstrip("\n")]
    for index, row in enumerate(rows):
        lines += [f"  - key: k{index}", f"    count: {row['count']}", f"    note: '{row['note']}'",
                  f"    flag: {'true' if row['flag'] else 'false'}"]
    return "\n".join(lines) + "\n"


def expected_cells(rows: list[dict]) -> list[list[str]]:
    return [[f"k{i}", f"{r['count']:,}", r["note"], "yes" if r["flag"] else "no"] for i, r in enumerate(rows)]


class TableRows(HTMLParser):
    def __init__(self, text: str, table_id: str):
        super().__init__()
        self.table_id, self.inside, self.rows, self.cell = table_id, False, [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag == "td":
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag == "td":
            self.rows[-1].append(" ".join(self.cell.split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(ROWS)
def test_valid_table_renders_same_rows_everywhere(rows) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = make_book(Path(tmp) / "book", base=FIXTURES / "one-table")
        (root / "tables").mkdir()
        (root / "tables" / "random.yaml").write_text(table_yaml(rows))
        result = run(root, "build")
        assert result.returncode == 0, result.stderr
        want = expected_cells(rows)
        html = (root / "dist/en/html/only.html").read_text()
        assert [r for r in TableRows(html, "tbl:random").rows if r] == want
        with zipfile.ZipFile(root / "dist/en/one-table.epub") as epub:
            xhtml = "".join(epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml"))
        assert [r for r in TableRows(xhtml, "tbl:random").rows if r] == want
        reader = PdfReader(root / "dist/en/one-table.pdf")
        text = re.sub(r"\s+", "", re.sub(r"[\u2010\u00ad-]\n", "", "".join(p.extract_text() for p in reader.pages)))
        table_text = text.split("Table1:Randomrows")[1]
        position = 0
        for row in want:
            for cell in row:
                position = table_text.index(cell.replace(" ", ""), position)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(ROWS, st.data())
def test_invalid_cell_is_reported_on_its_line(rows, data) -> None:
    index = data.draw(st.integers(0, len(rows) - 1))
    column, bad = data.draw(st.sampled_from([("count", "'many'"), ("flag", "'perhaps'"), ("count", "1.5")]))
    text = table_yaml(rows).splitlines()
    offset = {"count": 1, "flag": 3}[column]
    line = 10 + 4 * index + offset
    text[line - 1] = f"    {column}: {bad}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.yaml"
        path.write_text("\n".join(text) + "\n")
        _, problems = load_table(path, "tables/random.yaml")
    assert [(d.code, d.line) for d in problems] == [("T003", line)]
    assert problems[0].message.startswith(f"column '{column}' must be")


def test_long_table_repeats_its_header_on_every_pdf_page(tmp_path) -> None:
    rows = [{"count": i, "note": f"row {i} of a long table", "flag": i % 2 == 0} for i in range(90)]
    root = make_book(tmp_path / "book", base=FIXTURES / "one-table")
    (root / "tables").mkdir()
    (root / "tables" / "random.yaml").write_text(table_yaml(rows))
    result = run(root, "build", "--format", "pdf")
    assert result.returncode == 0, result.stderr
    pages = [p.extract_text() for p in PdfReader(root / "dist/en/one-table.pdf").pages]
    with_rows = [text for text in pages if re.search(r"\bk\d+\b", text)]
    assert len(with_rows) >= 2
    assert all(re.search(r"Key\s+Count\s+Note\s+Flag", text) for text in with_rows)
