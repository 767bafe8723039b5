"""Fetch one external link politely, and say what became of it.

HEAD first, GET when a server refuses HEAD (403, 405, 501).  Redirects are
not followed silently: each hop is recorded so that the caller can tell the
author where the page went.  Timeouts, refused connections, 429, 5xx are
retried with exponential backoff, honouring ``Retry-After`` (in seconds or
as an HTTP date) up to ``MAX_WAIT``.  An unknown host is not retried, and
every later link to it fails at once.  At most ``per_host`` requests are in
flight to one host at a time.
"""
from __future__ import annotations

import email.utils
import http.client
import random
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

REDIRECTS = (301, 302, 303, 307, 308)
RETRY_STATUSES = (429, 500, 502, 503, 504)
HEAD_REFUSED = (403, 405, 501)
MAX_REDIRECTS = 5
URL_SAFE = ":/?#[]@!$&'()*+,;=%~"  # kept as written; other characters (é, spaces) are %-encoded
MAX_WAIT = 30.0  # seconds: the longest Retry-After or backoff honoured
BACKOFF = 0.5  # seconds before the first retry; doubled each time


@dataclass(frozen=True)
class Outcome:
    kind: str  # "ok", "redirect", "broken" or "unreachable"
    detail: str = ""  # "404 Not Found", "unknown host", ...
    chain: tuple[tuple[int, str], ...] = ()  # each redirect: (status, where it led)


class _Failure(Exception):
    """A request that got no HTTP answer; ``retry`` says whether trying again may help."""

    def __init__(self, detail: str, retry: bool):
        super().__init__(detail)
        self.detail, self.retry = detail, retry


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx comes back as an HTTPError, Location and all


class Fetcher:
    def __init__(self, user_agent: str, timeout: float, retries: int, per_host: int, sleep=time.sleep):
        self.user_agent, self.timeout, self.retries, self.per_host = user_agent, timeout, retries, per_host
        self.sleep = sleep
        self._opener = urllib.request.build_opener(_NoRedirect())
        self._lock = threading.Lock()
        self._hosts: dict[str, threading.Semaphore] = {}
        self._unknown_hosts: dict[str, str] = {}  # host -> why its name did not resolve

    def check(self, url: str) -> Outcome:
        """Follow ``url`` hop by hop and say how it ends."""
        chain: list[tuple[int, str]] = []
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                status, reason, location = self._fetch(current)
            except _Failure as failure:
                return Outcome("unreachable", failure.detail, tuple(chain))
            if status in REDIRECTS and location:
                target = urljoin(current, location)
                if urlsplit(target).scheme not in ("http", "https"):
                    return Outcome("broken", f"a redirect to a non-web address: {target}", tuple(chain))
                if target == url or any(target == seen for _, seen in chain):
                    return Outcome("broken", "a redirect loop", tuple(chain + [(status, target)]))
                chain.append((status, target))
                current = target
                continue
            if status == 429:
                return Outcome("unreachable", f"429 {reason}: still rate-limited after "
                               f"{self._tries()}", tuple(chain))
            if status >= 400:
                return Outcome("broken", f"{status} {reason}".strip(), tuple(chain))
            return Outcome("redirect" if chain else "ok", f"{status} {reason}".strip(), tuple(chain))
        return Outcome("broken", f"more than {MAX_REDIRECTS} redirects", tuple(chain))

    def _fetch(self, url: str) -> tuple[int, str, str]:
        status, reason, location = self._with_retries(url, "HEAD")
        if status in HEAD_REFUSED:
            status, reason, location = self._with_retries(url, "GET")
        return status, reason, location

    def _with_retries(self, url: str, method: str) -> tuple[int, str, str]:
        attempt = 0
        while True:
            wait = None
            try:
                status, reason, headers = self._once(url, method)
            except _Failure as failure:
                if not failure.retry or attempt >= self.retries:
                    raise
            else:
                if status not in RETRY_STATUSES or attempt >= self.retries:
                    return status, reason, headers.get("Location", "") if headers else ""
                if status in (429, 503):
                    wait = retry_after(headers.get("Retry-After") if headers else None)
            if wait is None:
                wait = BACKOFF * 2 ** attempt * (1 + random.random() / 4)
            self.sleep(min(wait, MAX_WAIT))
            attempt += 1

    def _once(self, url: str, method: str):
        host = urlsplit(url).netloc.lower()
        if host in self._unknown_hosts:
            raise _Failure(self._unknown_hosts[host], retry=False)
        request = urllib.request.Request(_on_the_wire(url), method=method, headers={
            "User-Agent": self.user_agent, "Accept": "*/*"})
        with self._slot(host):
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    return response.status, response.reason, response.headers
            except urllib.error.HTTPError as err:
                with err:
                    return err.code, str(err.reason), err.headers
            except urllib.error.URLError as err:
                raise self._failure(host, err.reason) from None
            except (OSError, http.client.HTTPException, ValueError) as err:
                raise self._failure(host, err) from None

    def _failure(self, host: str, reason) -> _Failure:
        if isinstance(reason, socket.gaierror):
            detail = ("unknown host (no DNS record)" if reason.errno == socket.EAI_NONAME
                      else f"host name not resolved ({reason.strerror or reason})")
            with self._lock:
                self._unknown_hosts[host] = detail
            return _Failure(detail, retry=False)
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return _Failure(f"timed out after {self.timeout:g}s, {self._tries()}", retry=True)
        if isinstance(reason, ConnectionRefusedError):
            return _Failure("connection refused", retry=True)
        if isinstance(reason, ssl.SSLCertVerificationError):
            return _Failure(f"TLS certificate not trusted: {reason.verify_message}", retry=False)
        if isinstance(reason, ValueError):
            return _Failure(f"not a usable address: {reason}", retry=False)
        text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
        return _Failure(f"no answer: {text}", retry=True)

    def _tries(self) -> str:
        return "1 try" if self.retries == 0 else f"{self.retries + 1} tries"

    def _slot(self, host: str) -> threading.Semaphore:
        with self._lock:
            if host not in self._hosts:
                self._hosts[host] = threading.BoundedSemaphore(self.per_host)
            return self._hosts[host]


def _on_the_wire(url: str) -> str:
    """``url`` as sent: the path and query %-encoded as a browser would (the host is left to IDNA)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, quote(parts.path, safe=URL_SAFE),
                       quote(parts.query, safe=URL_SAFE), ""))


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
