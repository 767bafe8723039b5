"""``build.py serve``: the live preview serves the HTML edition on 127.0.0.1 only,
rebuilds it on each save, shows the diagnostics of a failed build, and stops on Ctrl-C."""
from __future__ import annotations

import concurrent.futures
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import EPOCH, REPO, answers_ctrl_c, make_book, run

DEADLINE = 60  # seconds for a rebuild to show
BANNER = re.compile(r"Serving the HTML edition at (http://127\.0\.0\.1:(\d+)/en/html/index\.html) \(Ctrl-C to stop\)")


def start(root: Path, *args: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    return subprocess.Popen([sys.executable, str(REPO / "build.py"), "--root", str(root), "serve", *args],
                            stdout=subprocess.PIPE, stderr=log.open("w"), text=True, env=env,
                            preexec_fn=answers_ctrl_c)


def fetch(url: str, host: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for(url: str, what: str, predicate) -> str:
    deadline, status, body = time.monotonic() + DEADLINE, None, ""
    while time.monotonic() < deadline:
        status, body = fetch(url)
        if predicate(status, body):
            return body
        time.sleep(0.2)
    pytest.fail(f"after {DEADLINE}s, {url} still does not show {what}: {status}\n{body[:3000]}")


def open_in_chromium(url: str) -> subprocess.Popen:
    """``url`` open in headless Chromium (tests/reload.js), once it has loaded."""
    node_modules = REPO / ".tools" / "node_modules"
    assert (node_modules / "puppeteer-core").is_dir(), "run 'make tools' (make test does)"
    env = {**os.environ, "NODE_PATH": str(node_modules),
           "PUPPETEER_EXECUTABLE_PATH": shutil.which("chromium") or "/usr/bin/chromium"}
    browser = subprocess.Popen(["node", str(REPO / "tests" / "reload.js"), url],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    ready, _, _ = select.select([browser.stdout], [], [], 120)
    line = browser.stdout.readline().strip() if ready else ""
    if line != "ready":
        browser.kill()
        pytest.fail(f"Chromium did not open {url}: {line} {browser.stderr.read()}")
    return browser


def listening_addresses(port: int) -> list[str]:
    """The local addresses of sockets listening on ``port``, from /proc/net/tcp and tcp6."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.append(address)
    return found


def other_addresses() -> list[str]:
    """This machine's IPv4 addresses that are not loopback."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        infos = []
    addresses = {info[4][0] for info in infos}
    try:
        listed = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True).stdout
        addresses |= set(re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", listed))
    except OSError:
        pass
    return sorted(a for a in addresses if not a.startswith("127."))


def site_files(root: Path) -> dict[str, bytes]:
    site = root / "dist" / "en" / "html"
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_serve_rebuilds_on_save_and_shows_errors(tmp_path):
    root = make_book(tmp_path / "book")
    log = tmp_path / "serve.log"
    server = start(root, "--port", "0", log=log)
    try:
        ready, _, _ = select.select([server.stdout], [], [], 120)
        assert ready, f"no URL printed: {log.read_text()}"
        match = BANNER.fullmatch(server.stdout.readline().strip())
        assert match, log.read_text()
        url, port = match[1], int(match[2])
        base = url.removesuffix("/en/html/index.html")
        chapter_url = f"{base}/en/html/first.html"

        # Loopback only: bound to 127.0.0.1, and unreachable through any other interface.
        if Path("/proc/net/tcp").exists():
            assert listening_addresses(port) == ["0100007F"]  # 127.0.0.1, little-endian hex
        for address in other_addresses():
            with pytest.raises(OSError):
                socket.create_connection((address, port), timeout=2).close()

        # The book, with the reload script added to the response but not to dist/.
        status, page = fetch(chapter_url)
        assert status == 200 and "The first chapter" in page
        assert "/__preview__/generation" in page and page.index("<script>") < page.rindex("</body>")
        built = (root / "dist" / "en" / "html" / "first.html").read_text("utf-8")
        assert "__preview__" not in built and "<script>" not in built
        normal = make_book(tmp_path / "normal")
        assert run(normal, "build", "--format", "html").returncode == 0
        assert site_files(root) == site_files(normal)
        assert json.loads(fetch(f"{base}/__preview__/generation")[1]) == {"generation": 1, "ok": True}

        # "/" opens the edition; nothing outside dist/ is served, and only to local names.
        request = urllib.request.Request(f"{base}/", method="HEAD")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.url == url
        for path in ("/../book.yaml", "/en/html/../../../book.yaml", "/en/html/%2e%2e/%2e%2e/%2e%2e/book.yaml"):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path)
            answer = connection.getresponse()
            assert answer.status == 404 and b"title:" not in answer.read(), path
            connection.close()
        assert fetch(chapter_url, host="attacker.example")[0] == 403

        # A saved edit is rebuilt and served, and a page open in a browser reloads itself:
        # it asks for the build after its own, and is answered once that is published.
        browser = open_in_chromium(chapter_url)
        waiting = concurrent.futures.ThreadPoolExecutor(1).submit(fetch, f"{base}/__preview__/generation?after=1")
        time.sleep(1)
        assert not waiting.done(), "answered before a new build was published"
        chapter = root / "chapters" / "en" / "first.md"
        edited = chapter.read_text("utf-8").replace("A paragraph with a", "A freshly edited paragraph with a")
        chapter.write_text(edited, "utf-8")
        assert json.loads(waiting.result(timeout=DEADLINE)[1]) == {"generation": 2, "ok": True}
        wait_for(chapter_url, "the edit", lambda status, body: status == 200 and "freshly edited" in body)
        out, err = browser.communicate(timeout=DEADLINE)
        assert browser.returncode == 0, err
        assert "freshly edited" in json.loads(out.splitlines()[-1])["text"]

        # A broken tag: every page shows the diagnostic, with its file and line, in place of the book.
        broken = edited.rstrip("\n") + "\n\nA broken tag: {{ oops\n"
        line = broken.count("\n")
        chapter.write_text(broken, "utf-8")
        page = wait_for(chapter_url, "the J001 diagnostic",
                        lambda status, body: status == 500 and f"chapters/en/first.md:{line}" in body)
        assert "J001 error" in page and "hint:" in page and "/__preview__/generation" in page
        assert "freshly edited" not in page
        assert fetch(url)[0] == 500  # the contents page too
        assert json.loads(fetch(f"{base}/__preview__/generation")[1])["ok"] is False
        assert "freshly edited" in (root / "dist" / "en" / "html" / "first.html").read_text("utf-8")

        # Fixed: the book is back.
        chapter.write_text(edited, "utf-8")
        wait_for(chapter_url, "the book again", lambda status, body: status == 200 and "freshly edited" in body)

        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
        errors = log.read_text()
        assert "Traceback" not in errors
        assert "J001" in errors  # the terminal saw the diagnostics too
        assert not list(root.glob(".dist-*")), "an interrupted or finished build left its staging folder"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server.stdout.close()


def test_serve_refuses_a_port_in_use(tmp_path):
    root = make_book(tmp_path / "book")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        log = tmp_path / "serve.log"
        server = start(root, "--port", str(port), log=log)
        try:
            assert server.wait(timeout=60) == 2
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
            server.stdout.close()
    errors = log.read_text()
    assert errors.strip().count("\n") == 0 and f"cannot listen on 127.0.0.1:{port}" in errors, errors
    assert not (root / "dist").exists()
