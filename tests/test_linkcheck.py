"""``build.py linkcheck`` against a local HTTP server: nothing leaves the machine.

The server (http.server in a thread, on 127.0.0.1 and a free port) answers
200, 301, 404, 405 to HEAD, 429 with Retry-After then 200, and sleeps past
the client's timeout; it counts requests per path and the most requests it
held at once.  K001-K003 need such a server, so they have no golden case in
tests/cases/; K004 (a stale source date) has one, run with --offline.
"""
from __future__ import annotations

import datetime
import json
import re
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bookbuild.linkfetch import Fetcher, retry_after
from bookbuild.linkfind import find_links, urls_in_markdown
from conftest import FIXTURES, make_book, run

DIAGNOSTIC = re.compile(r"^(\S+:\d+): (K\d{3}) (error|warning): (.*)$", re.MULTILINE)
SETTINGS = "linkcheck:\n  timeout_seconds: 0.5\n  retries: 1\n  per_host: 2\n"


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.requests: Counter = Counter()  # (method, path) -> count
        self.times: dict[str, list[float]] = {}
        self.agents: set[str] = set()
        self.in_flight = self.most_in_flight = 0

    def handle_error(self, request, client_address):
        pass  # a client that gave up on /slow is expected


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self._answer("HEAD")

    def do_GET(self):
        self._answer("GET")

    def _answer(self, method: str) -> None:
        server, path = self.server, self.path.split("?")[0]
        counted = path != "/slow"  # its handler outlives the client's timeout
        with server.lock:
            server.requests[method, path] += 1
            seen = sum(n for (_, p), n in server.requests.items() if p == path)
            server.times.setdefault(path, []).append(time.monotonic())
            server.agents.add(self.headers.get("User-Agent", ""))
            if counted:
                server.in_flight += 1
                server.most_in_flight = max(server.most_in_flight, server.in_flight)
        try:
            status, headers = self._route(method, path, seen)
        finally:
            if counted:  # before answering: the client may send its next request at once
                with server.lock:
                    server.in_flight -= 1
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _route(self, method: str, path: str, seen: int) -> tuple[int, dict]:
        if path.startswith("/ok/"):
            time.sleep(0.1)  # long enough for requests to overlap
            return 200, {}
        if path == "/moved":
            return 301, {"Location": "/ok/page"}
        if path == "/gone":
            return 302, {"Location": "/missing"}
        if path == "/busy":
            return (429, {"Retry-After": "1"}) if seen == 1 else (200, {})
        if path == "/no-head":
            return (405, {"Allow": "GET"}) if method == "HEAD" else (200, {})
        if path == "/slow":
            time.sleep(1.5)
            return 200, {}
        return 404, {}


@pytest.fixture
def server():
    httpd = Server()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def link_book(tmp_path: Path, base: str, closed: int) -> Path:
    """The base fixture book with its URLs on the local server, one more chapter and a stale source."""
    overlay = tmp_path / "overlay"
    (overlay / "chapters" / "en").mkdir(parents=True)
    (overlay / "tables").mkdir()
    book = (FIXTURES / "base" / "book.yaml").read_text()
    (overlay / "book.yaml").write_text(book.replace("  - second\n", "  - second\n  - links\n") + SETTINGS)
    (overlay / "chapters" / "en" / "links.md").write_text(
        "# Links {#sec:links}\n"
        "\n"
        f"A [good page]({base}/ok/page) and a [moved one]({base}/moved).\n"
        f"<{base}/missing>\n"
        f"A bare address: {base}/busy.\n"
        f'<a href="{base}/no-head">raw HTML</a>\n'
        f"A [slow page]({base}/slow) and [one that moved away]({base}/gone).\n"
        f"Nobody listens at <http://127.0.0.1:{closed}/>.\n"
        "\n"
        "`https://example.org/in-code` is not a link.\n")
    chapter = (FIXTURES / "base" / "chapters" / "en" / "first.md").read_text()
    (overlay / "chapters" / "en" / "first.md").write_text(chapter.replace("https://example.org/", f"{base}/ok/"))
    table = (FIXTURES / "base" / "tables" / "colours.yaml").read_text()
    table = table.replace("maker: https://example.org/vermilion", f"maker: {base}/missing")
    table = table.replace("https://example.org/", f"{base}/ok/").replace("notes:\n", (
        "  - title: The old price list\n"
        f"    url: {base}/ok/prices\n"
        "    checked: 2020-01-01\n"
        "notes:\n"))
    (overlay / "tables" / "colours.yaml").write_text(table)
    root = make_book(tmp_path / "book", overlay=overlay)
    assert {urlsplit(url).hostname for url in find_links(root)[0]} == {"127.0.0.1"}  # nothing leaves
    return root


def line_of(root: Path, rel: str, needle: str) -> str:
    lines = (root / rel).read_text().splitlines()
    return f"{rel}:{next(i for i, line in enumerate(lines, 1) if needle in line)}"


def diagnostics(stderr: str) -> set[tuple[str, str, str, str]]:
    return set(DIAGNOSTIC.findall(stderr))


def test_linkcheck_reports_caches_and_limits(tmp_path: Path, server: Server) -> None:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    closed = closed_port()
    root = link_book(tmp_path, base, closed)
    chapter, table = "chapters/en/links.md", "tables/colours.yaml"

    started = time.monotonic()
    first = run(root, "linkcheck")
    took = time.monotonic() - started
    assert "Traceback" not in first.stderr
    assert first.returncode == 1, first.stderr
    assert diagnostics(first.stderr) == {
        (f"{chapter}:3", "K002", "warning", f"{base}/moved redirects (301) to {base}/ok/page"),
        (f"{chapter}:4", "K001", "error", f"{base}/missing answers 404 Not Found"),
        (f"{chapter}:7", "K003", "error", f"{base}/slow could not be reached: timed out after 0.5s, 2 tries"),
        (f"{chapter}:7", "K001", "error",
         f"{base}/gone redirects (302) to {base}/missing, which answers 404 Not Found"),
        (f"{chapter}:8", "K003", "error", f"http://127.0.0.1:{closed}/ could not be reached: connection refused"),
        (line_of(root, table, "maker:"), "K001", "error", f"{base}/missing answers 404 Not Found"),
        (line_of(root, table, "checked: 2020-01-01"), "K004", "warning",
         "source 'The old price list' was last checked on 2020-01-01, more than 365 days ago"),
    }
    assert "hint: link to " + f"{base}/ok/page instead" in first.stderr
    assert first.stderr.endswith("build.py: linkcheck: 12 link(s) checked, 0 from cache, 2 broken, "
                                 "2 unreachable, 1 redirected; 1 stale source(s)\n")
    assert took < 10

    # HEAD first, GET only where HEAD is refused; the 429 waited for its Retry-After.
    assert server.requests["HEAD", "/no-head"] == 1 and server.requests["GET", "/no-head"] == 1
    assert server.requests["GET", "/ok/page"] == 0
    assert server.requests["HEAD", "/busy"] == 2
    first_try, retry = server.times["/busy"]
    assert retry - first_try >= 0.9
    assert server.requests["HEAD", "/slow"] == 2  # one retry after a timeout
    assert server.most_in_flight == 2  # requests overlapped, but never more than per_host
    assert all(agent.startswith("fleeing-to-canada-linkcheck/") for agent in server.agents)

    cache = json.loads((root / ".cache" / "linkcheck.json").read_text())
    assert sorted(cache["links"]) == sorted(f"{base}{p}" for p in (
        "/busy", "/no-head", "/ok/catalogue", "/ok/page", "/ok/paint", "/ok/prices", "/ok/source"))
    assert not list((root / ".cache").glob(".linkcheck-*"))  # no temporary file left

    # The second run serves the good links from the cache and fetches the broken ones again.
    before = server.requests.copy()
    second = run(root, "linkcheck")
    assert second.returncode == 1
    assert diagnostics(second.stderr) == diagnostics(first.stderr)
    assert "12 link(s) checked, 7 from cache, 2 broken, 2 unreachable, 1 redirected" in second.stderr
    for path in ("/busy", "/no-head", "/ok/paint", "/ok/prices", "/ok/catalogue"):
        assert sum(n for (_, p), n in server.requests.items() if p == path) == \
               sum(n for (_, p), n in before.items() if p == path), path
    assert server.requests["HEAD", "/missing"] > before["HEAD", "/missing"]

    # --force ignores the cache.
    forced = run(root, "linkcheck", "--force")
    assert "12 link(s) checked, 0 from cache" in forced.stderr
    assert server.requests["HEAD", "/ok/paint"] == 2


def test_a_book_with_only_good_links_exits_zero(tmp_path: Path, server: Server) -> None:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    overlay = tmp_path / "overlay"
    (overlay / "chapters" / "en").mkdir(parents=True)
    (overlay / "tables").mkdir()
    (overlay / "book.yaml").write_text((FIXTURES / "base" / "book.yaml").read_text() + SETTINGS)
    chapter = (FIXTURES / "base" / "chapters" / "en" / "first.md").read_text()
    (overlay / "chapters" / "en" / "first.md").write_text(chapter.replace("https://example.org/", f"{base}/ok/"))
    table = (FIXTURES / "base" / "tables" / "colours.yaml").read_text()
    (overlay / "tables" / "colours.yaml").write_text(table.replace("https://example.org/", f"{base}/moved?"))
    root = make_book(tmp_path / "book", overlay=overlay)
    result = run(root, "linkcheck")
    assert result.returncode == 0, result.stderr  # redirects are warnings only
    assert {code for _, code, _, _ in diagnostics(result.stderr)} == {"K002"}
    assert "4 link(s) checked, 0 from cache, 0 broken, 0 unreachable, 2 redirected" in result.stderr


def test_an_unknown_host_fails_once_and_fast(monkeypatch) -> None:
    lookups = []

    def no_dns(host, *args, **kwargs):
        lookups.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    fetcher = Fetcher("test", timeout=0.5, retries=3, per_host=2, sleep=lambda s: pytest.fail("slept"))
    first, second = fetcher.check("https://nowhere.test/a"), fetcher.check("https://nowhere.test/b")
    assert first.kind == second.kind == "unreachable"
    assert first.detail == "unknown host (no DNS record)"
    assert lookups == ["nowhere.test"]


def test_retry_after_takes_seconds_or_a_date() -> None:
    now = time.time()
    when = datetime.datetime.fromtimestamp(now + 5, datetime.timezone.utc)
    assert retry_after("3") == 3
    assert retry_after(when.strftime("%a, %d %b %Y %H:%M:%S GMT"), now) == pytest.approx(5, abs=1)
    assert retry_after("Thu, 01 Jan 1970 00:00:00 GMT") == 0
    assert retry_after("soon") is None and retry_after(None) is None


def test_urls_are_found_in_every_markdown_form() -> None:
    text = ("[a](https://a.example/x_(y) \"title\") <https://b.example/?q=1&r=2>\n"
            "see https://c.example/page. and (https://d.example/p)\n"
            '<a href="https://e.example/?a=1&amp;b=2">e</a> [r]: https://f.example/ref\n'
            "`https://code.example/` {## https://comment.example/ ##}\n"
            "```\nhttps://fenced.example/\n```\n"
            "https://g.example/end")
    assert urls_in_markdown(text) == [
        ("https://a.example/x_(y)", 1), ("https://b.example/?q=1&r=2", 1),
        ("https://c.example/page", 2), ("https://d.example/p", 2),
        ("https://e.example/?a=1&b=2", 3), ("https://f.example/ref", 3),
        ("https://g.example/end", 8)]


def test_offline_lists_stale_sources_and_fetches_nothing(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    table = root / "tables" / "colours.yaml"
    fresh = (datetime.date.today() - datetime.timedelta(days=30)).isoformat()
    table.write_text(table.read_text().replace("checked: 2026-11-25", f"checked: {fresh}"))
    (root / "book.yaml").write_text((root / "book.yaml").read_text() + "linkcheck:\n  sources_max_age_days: 29\n")
    result = run(root, "linkcheck", "--offline")
    assert result.returncode == 0
    assert diagnostics(result.stderr) == {("tables/colours.yaml:26", "K004", "warning",
                                           f"source 'The paint catalogue' was last checked on {fresh}, "
                                           "more than 29 days ago")}
    assert "4 link(s) found, none fetched; 1 stale source(s)" in result.stderr
    assert not (root / ".cache" / "linkcheck.json").exists()


@pytest.mark.parametrize("book_yaml, code, exit_code", [
    ("title: [unclosed\n", "B001", 2),
    (None, "B002", 2),
])
def test_a_broken_book_yaml_is_a_diagnostic(tmp_path: Path, book_yaml, code, exit_code) -> None:
    root = make_book(tmp_path / "book")
    if book_yaml is None:  # an unknown linkcheck setting
        book_yaml = (root / "book.yaml").read_text() + "linkcheck:\n  per_hots: 3\n"
    (root / "book.yaml").write_text(book_yaml)
    result = run(root, "linkcheck")
    assert result.returncode == exit_code
    assert f" {code} error: " in result.stderr and "Traceback" not in result.stderr
