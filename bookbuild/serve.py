"""``build.py serve``: a live preview of the HTML edition on 127.0.0.1.

Each saved change to a chapter, table, template, image or ``book.yaml`` runs
the ordinary build for HTML (``build.py build --format html``) in a child
process: its content-addressed cache and no-op fast path rebuild only what
changed, and it publishes into ``dist/`` exactly as ``make html`` does.  The
child stays up between saves (``warm.py``), so a rebuild does not start Python
and import the libraries again; it is replaced when the code changes.

Pages are served from ``dist/`` with a small script added on the fly, in the
response only, that reloads the page when a new build is published, so
``dist/`` stays byte-identical to a normal build.  The script asks the server
for the next build and the server answers when there is one (a long poll),
so a page reloads as soon as its build is published.  While the latest build has
failed, every page shows its diagnostics instead, and turns back into the
book as soon as they are fixed.
"""
from __future__ import annotations

import hashlib
import html
import importlib.util
import json
import mimetypes
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

HOST = "127.0.0.1"  # loopback only: the preview is never offered to the network
LOCAL_NAMES = {"127.0.0.1", "localhost"}  # Host headers accepted (refuses DNS rebinding)
PACKAGE_PARENT = Path(__file__).resolve().parent.parent  # where ``bookbuild`` is imported from
# The builder imports this package from where the server did, whatever the current folder holds.
WARM = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
        "from bookbuild.warm import main; sys.exit(main(Path(sys.argv[2]), sys.argv[3:]))")
TREES = ("chapters", "tables", "templates", "images")  # watched recursively, with book.yaml
GENERATION = "/__preview__/generation"
QUIET_MS = 50  # a burst of saves (save all, git checkout) is one change once quiet this long
LONG_POLL_S = 25  # a page waiting for the next build is answered at the latest after this long
DIAGNOSTIC = re.compile(r"(?P<where>\S.*?:\d+): (?P<code>[A-Z]\d{3}) (?P<severity>error|warning): (?P<message>.*)")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Z]{2})?")

RELOAD = """<script>/* live preview: reload when a new build is published */ (function () {
  var shown = %d, waiting = null;
  function poll() {  /* the server answers when a newer build is published, or after a while */
    if (document.hidden || waiting) return;  /* a hidden tab holds no connection: browsers allow few */
    var stop = window.AbortController ? new AbortController() : null;
    waiting = stop || true;
    fetch("%s?after=" + shown, {cache: "no-store", signal: stop && stop.signal})
      .then(function (r) { return r.json(); })
      .then(function (s) { waiting = null; if (s.generation !== shown) location.reload(); else poll(); })
      .catch(function (e) {
        waiting = null;
        if (!e || e.name !== "AbortError") setTimeout(poll, 2000);  /* the server is stopped or restarting */
      });
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) poll(); else if (waiting && waiting.abort) waiting.abort();
  });
  poll();
})();</script>
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%s</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { color: #a00; font-size: 1.5em; } code, pre { font: 14px/1.4 ui-monospace, monospace; }
li { margin: .6em 0; } .where { font-weight: bold; } .error strong { color: #a00; } .warning strong { color: #8a5a00; }
.hint { color: #555; } pre { background: #f4f4f4; padding: 1em; overflow-x: auto; white-space: pre-wrap; }
</style></head>
<body>
%s
</body></html>
"""


class Preview:
    """The watchers, the builder and the state of the latest build, shared with the server."""

    def __init__(self, root: Path):
        self.root = root
        self.state = (0, True, "")  # (generation, the latest build succeeded, its output)
        self.published = threading.Condition()  # notified when the state changes, and on stop
        self.first_build = threading.Event()
        self.stopping = threading.Event()
        self._wanted = threading.Condition()
        self._pending = True  # the first build
        self._builder = Builder(root)
        self._last: tuple | None = None
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        # watchfiles (inotify through Rust's notify) costs nothing while idle, reacts at
        # once and ignores editors' swap and backup files.  book.yaml is watched through
        # its folder, not recursively (that would descend into .venv, dist/ and .cache/)
        # and not as a file: editors save by replacing the file, and a watch on the file
        # itself goes stale after the first save.
        trees = [self.root / name for name in TREES if (self.root / name).is_dir()]
        only_book_yaml = lambda change, path: Path(path).name == "book.yaml"  # noqa: E731
        self._threads = [threading.Thread(target=self._build_loop, name="preview-builder"),
                         threading.Thread(target=self._watch, args=(trees, True, None), daemon=True),
                         threading.Thread(target=self._watch, args=([self.root], False, only_book_yaml), daemon=True)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop watching; interrupt a build in progress (it leaves dist/ as it was)."""
        self.stopping.set()
        with self.published:
            self.published.notify_all()
        with self._wanted:
            self._wanted.notify_all()
            self._builder.interrupt()
        for thread in self._threads:
            thread.join(timeout=10)
        self._builder.close()
        self._threads[0].join()

    def next_state(self, after: int, timeout: float) -> tuple[int, bool, str]:
        """The state once its generation is not ``after``, or after ``timeout`` seconds, or on stop."""
        with self.published:
            self.published.wait_for(lambda: self.state[0] != after or self.stopping.is_set(), timeout)
            return self.state

    def request(self) -> None:
        with self._wanted:
            self._pending = True
            self._wanted.notify_all()

    def _watch(self, paths: list[Path], recursive: bool, only) -> None:
        import watchfiles

        kwargs = {"watch_filter": only} if only else {}
        for _ in watchfiles.watch(*paths, recursive=recursive, stop_event=self.stopping,
                                  step=QUIET_MS, rust_timeout=1000, **kwargs):
            self.request()

    def _build_loop(self) -> None:
        """One build at a time; changes saved during a build cause one more build after it."""
        while True:
            with self._wanted:
                self._wanted.wait_for(lambda: self._pending or self.stopping.is_set())
                if self.stopping.is_set():
                    return
                self._pending = False
            self._build()

    def _build(self) -> None:
        with self._wanted:
            if self.stopping.is_set():
                return
            self._builder.start()  # under the lock: stop() interrupts the builder it sees
        status, output = self._builder.build()
        if self.stopping.is_set():
            return
        sys.stderr.write(output)
        sys.stderr.flush()
        ok = status == 0
        if not output.strip() and not ok:
            output = f"build.py exited with status {status} and printed nothing"
        # Pages reload only when what they would show changed: the published site, or the errors.
        outcome = (ok, _manifest_digest(self.root) if ok else output)
        generation = self.state[0] + (outcome != self._last)
        self._last = outcome
        with self.published:
            self.state = (generation, ok, output)
            self.published.notify_all()
        self.first_build.set()


class Builder:
    """The child process that builds the HTML edition on request (``warm.py``), started
    when first needed and again after it stops or finds that the code changed."""

    def __init__(self, root: Path):
        self.root = root
        self._process: subprocess.Popen | None = None
        self._messages = None  # what the builder printed outside a build (e.g. why it could not start)

    def start(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                return
            self._close_pipes(self._process)  # one that ended: after a crash, or finding its code changed
        self._messages = tempfile.TemporaryFile()
        # A session of its own: Ctrl-C reaches the server, which then interrupts the build.
        self._process = subprocess.Popen(
            [sys.executable, "-c", WARM, str(PACKAGE_PARENT), str(self.root), "build", "--format", "html"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._messages, text=True, encoding="utf-8",
            errors="replace", start_new_session=True)

    def build(self) -> tuple[int, str]:
        """One build: its exit status and all it printed."""
        for _ in range(2):  # a builder that finds the code changed is replaced once
            self.start()
            process = self._process
            try:
                process.stdin.write("build\n")
                process.stdin.flush()
                line = process.stdout.readline()
            except (OSError, ValueError):  # it ended before reading; or close() came first
                line = ""
            if not line:  # it stopped: interrupted, killed, or it could not start (the new code is broken)
                status = process.wait()
                try:
                    self._messages.seek(0)
                    said = self._messages.read().decode("utf-8", "replace")
                except ValueError:  # close() came first: the server is stopping
                    said = ""
                return status, f"{said}the preview's builder stopped with status {status}\n"
            answer = json.loads(line)
            if not answer.get("restart"):
                return answer["status"], answer["output"]
            process.wait()
        return 1, "the preview's builder found its code changed twice in a row; restart 'make serve'\n"

    def interrupt(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)

    def close(self) -> None:
        """Stop the builder: end of its input, then a kill if it does not end."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.stdin.close()
            process.wait(timeout=10)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        self._close_pipes(process)

    def _close_pipes(self, process: subprocess.Popen) -> None:
        for stream in (process.stdin, process.stdout, self._messages):
            try:
                stream.close()
            except OSError:  # a write the builder never read
                pass


def _manifest_digest(root: Path) -> str:
    try:
        return hashlib.sha256((root / "dist" / "manifest.json").read_bytes()).hexdigest()
    except OSError:
        return ""


def reload_script(generation: int) -> bytes:
    return (RELOAD % (generation, GENERATION)).encode()


def inject(page: bytes, generation: int) -> bytes:
    """The page with the reload script before its last ``</body>``."""
    at = page.lower().rfind(b"</body>")
    at = len(page) if at < 0 else at
    return page[:at] + reload_script(generation) + page[at:]


def error_page(output: str, generation: int) -> bytes:
    """The failed build's diagnostics, each ``file:line: CODE severity: message`` with its hint."""
    items, rest = [], []
    for line in output.splitlines():
        match = DIAGNOSTIC.fullmatch(line)
        if match:
            severity = match["severity"]
            items.append(f'<li class="{severity}"><code class="where">{html.escape(match["where"])}</code>: '
                         f'<strong>{match["code"]} {severity}</strong>: {html.escape(match["message"])}')
        elif line.startswith("    hint: ") and items:
            items[-1] += f'<br><span class="hint">hint: {html.escape(line[len("    hint: "):])}</span>'
        elif line.strip():
            rest.append(line)
    body = ["<h1>The book did not build</h1>",
            "<p>Fix what is listed below and save: this page turns back into the book by itself.</p>"]
    if items:
        body.append("<ol>\n" + "\n".join(item + "</li>" for item in items) + "\n</ol>")
    if rest:
        body.append("<pre>" + html.escape("\n".join(rest)) + "</pre>")
    return inject((PAGE % ("Build failed: live preview", "\n".join(body))).encode(), generation)


class Handler(BaseHTTPRequestHandler):
    server: PreviewServer

    def do_GET(self) -> None:
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def log_message(self, format: str, *args) -> None:
        """Silent: every open page keeps asking for the next build, and the terminal is for
        the build's diagnostics."""

    def _serve(self, with_body: bool) -> None:
        self.with_body = with_body
        if self.headers.get("Host", "").rsplit(":", 1)[0] not in LOCAL_NAMES:
            return self._send(403, "text/plain; charset=utf-8", b"the preview answers only to 127.0.0.1\n")
        preview, (path, query) = self.server.preview, urlsplit(self.path)[2:4]
        path = unquote(path)
        generation, ok, output = preview.state  # read before the page: a newer page only reloads once more
        if path == GENERATION:
            after = parse_qs(query).get("after", [""])[0]
            if after.isdigit():  # a page showing build ``after`` waits for the next one
                generation, ok, _ = preview.next_state(int(after), LONG_POLL_S)
            return self._send(200, "application/json", json.dumps({"generation": generation, "ok": ok}).encode())
        if path == "/":
            return self._redirect(f"/{self.server.lang}/html/index.html")
        path += "index.html" if path.endswith("/") else ""
        is_page = path.endswith((".html", ".htm"))
        if is_page and not ok:
            # 500, not 200: the server could not produce the page asked for, and a script
            # (curl -f, a link checker) must not take the error page for the book.
            return self._send(500, "text/html; charset=utf-8", error_page(output, generation))
        file = _inside(preview.root / "dist", path)
        if file is not None and file.is_dir():
            return self._redirect(quote(path + "/"))
        try:
            data = file.read_bytes() if file else None
        except OSError:  # replaced by a build just now
            data = None
        if data is None:
            message = f"<h1>Not found</h1><p><code>{html.escape(path)}</code> is not in this build.</p>"
            return self._send(404, "text/html; charset=utf-8",
                              inject((PAGE % ("Not found: live preview", message)).encode(), generation))
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        self._send(200, kind, inject(data, generation) if is_page else data)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, kind: str, data: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.with_body:
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the page moved on, or its tab was hidden
            pass


def _inside(base: Path, path: str) -> Path | None:
    """The file or folder at URL path ``path`` if it exists inside ``base`` (links resolved), else None."""
    try:
        base = base.resolve()
        target = (base / path.lstrip("/")).resolve()
    except (OSError, ValueError):  # a NUL byte, a loop of links
        return None
    return target if target.is_relative_to(base) and target.exists() else None


class PreviewServer(ThreadingHTTPServer):
    def __init__(self, port: int, preview: Preview, lang: str):
        self.preview, self.lang = preview, lang
        super().__init__((HOST, port), Handler)


def book_languages(root: Path) -> list[str]:
    """The book's language, then its translations; empty when book.yaml cannot be read."""
    from .yamlfile import load_yaml

    doc, _ = load_yaml(root / "book.yaml", "book.yaml", "B001")
    data = doc.data if doc and isinstance(doc.data, dict) else {}
    languages = [data.get("language"), *(data.get("translations") or [])]
    return [lang for lang in languages if isinstance(lang, str)]


def serve(root: Path, port: int, lang: str | None) -> int:
    """Serve until Ctrl-C; 0 then, 2 when the port or the language is wrong."""
    if importlib.util.find_spec("watchfiles") is None:
        print("build.py serve: the watchfiles package is missing: run 'make serve'", file=sys.stderr)
        return 2
    languages = book_languages(root)
    lang = lang or (languages[0] if languages else "en")
    if not LANGUAGE.fullmatch(lang) or (languages and lang not in languages):
        print(f"build.py serve: the book has no '{lang}' edition (it has: {', '.join(languages)})", file=sys.stderr)
        return 2
    preview = Preview(root)
    try:
        server = PreviewServer(port, preview, lang)
    except (OSError, OverflowError) as exc:
        print(f"build.py serve: cannot listen on {HOST}:{port}: {getattr(exc, 'strerror', None) or exc}",
              file=sys.stderr)
        return 2
    previous = signal.signal(signal.SIGTERM, _interrupt)
    serving = threading.Thread(target=server.serve_forever, name="preview-server", daemon=True)
    try:
        serving.start()
        preview.start()
        while not preview.first_build.wait(0.2):
            pass
        url = f"http://{HOST}:{server.server_port}/{lang}/html/index.html"
        print(f"Serving the HTML edition at {url} (Ctrl-C to stop)", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        if serving.is_alive():
            server.shutdown()
        preview.stop()
        server.server_close()
        signal.signal(signal.SIGTERM, previous)
    print("build.py serve: stopped", file=sys.stderr)
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
