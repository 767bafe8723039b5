"""``build.py linkcheck``: check every external link of the book, and the age of its sources.

Links are found by ``linkfind.py`` and fetched by ``linkfetch.py``, several at
once but never more than ``per_host`` to one host.  A link found good is
remembered in ``.cache/linkcheck.json`` and not fetched again for
``recheck_after_days``; broken links are fetched on every run, so a fix shows
at once.  This command is the only part of the pipeline that uses the network:
``build``, ``check`` and ``make test`` never run it against the web.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from .cache import atomic_write
from .config import load_config
from .diagnostics import Diagnostic, error, warning
from .linkfetch import Fetcher, Outcome
from .linkfind import find_links, stale_sources

CACHE_FILE = Path(".cache") / "linkcheck.json"
WORKERS = 16
USER_AGENT = "fleeing-to-canada-linkcheck/1.0 (checks the links of a book; +{issues})"


def linkcheck(root: Path, *, offline: bool = False, force: bool = False,
              recheck_after: float | None = None, timeout: float | None = None) -> tuple[list[Diagnostic], str]:
    """Every problem found, and a one-line summary.  Raises ``BuildFailed`` on a broken book.yaml."""
    config = load_config(root)
    settings = config.linkcheck
    if recheck_after is not None:
        settings = dataclasses.replace(settings, recheck_after_days=recheck_after)
    if timeout is not None:
        settings = dataclasses.replace(settings, timeout_seconds=timeout)
    links, problems = find_links(root)
    stale = stale_sources(root, settings.sources_max_age_days, datetime.date.today())
    problems += stale
    if offline:
        return problems, (f"linkcheck --offline: {len(links)} link(s) found, none fetched; "
                          f"{len(stale)} stale source(s)")
    cache = _load_cache(root / CACHE_FILE)
    now = time.time()
    fresh_for = 0 if force else settings.recheck_after_days * 86400
    cached = {url for url in links if 0 <= now - cache.get(url, {}).get("at", 0.0) < fresh_for}
    fetcher = Fetcher(USER_AGENT.format(issues=config.issues), settings.timeout_seconds,
                      settings.retries, settings.per_host)
    outcomes = fetch_all(fetcher, [url for url in links if url not in cached])
    counts = dict.fromkeys(("broken", "unreachable", "redirect"), 0)
    for url, outcome in outcomes.items():
        problems += diagnose(url, outcome, links[url])
        counts[outcome.kind] = counts.get(outcome.kind, 0) + 1
    good = {url: cache[url] for url in cached}
    good.update({url: {"at": now, "checked": _iso(now)} for url, o in outcomes.items() if o.kind == "ok"})
    _save_cache(root / CACHE_FILE, good)
    summary = (f"linkcheck: {len(links)} link(s) checked, {len(cached)} from cache, "
               f"{counts['broken']} broken, {counts['unreachable']} unreachable, "
               f"{counts['redirect']} redirected; {len(stale)} stale source(s)")
    return problems, summary


def fetch_all(fetcher: Fetcher, urls: list[str]) -> dict[str, Outcome]:
    """Fetch concurrently, hosts interleaved so that one busy host does not hold every worker."""
    if not urls:
        return {}
    turn: dict[str, int] = {}
    order = []
    for url in urls:
        host = urlsplit(url).netloc.lower()
        turn[host] = turn.get(host, -1) + 1
        order.append((turn[host], host, url))
    order.sort()
    pool = ThreadPoolExecutor(max_workers=min(WORKERS, len(urls)), thread_name_prefix="linkcheck")
    try:
        futures = {url: pool.submit(_safe_check, fetcher, url) for _, _, url in order}
        return {url: futures[url].result() for url in urls}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _safe_check(fetcher: Fetcher, url: str) -> Outcome:
    try:
        return fetcher.check(url)
    except Exception as exc:  # never a traceback: an unforeseen failure is a link we could not check
        return Outcome("unreachable", f"could not be checked ({type(exc).__name__}: {exc})")


def diagnose(url: str, outcome: Outcome, where: list[tuple[str, int]]) -> list[Diagnostic]:
    """One diagnostic per place that holds the link."""
    hops = ", then ".join(f"({status}) to {target}" for status, target in outcome.chain)
    if outcome.kind == "ok":
        return []
    if outcome.kind == "redirect":
        make, code, message = warning, "K002", f"{url} redirects {hops}"
        hint = f"link to {outcome.chain[-1][1]} instead, once you have checked it is the page you mean"
    elif outcome.kind == "broken":
        via = f" redirects {hops}, which" if hops else ""
        answer = "answers" if outcome.detail[:1].isdigit() else "ends in"
        make, code, message = error, "K001", f"{url}{via} {answer} {outcome.detail}"
        hint = "fix the address or link to where the page moved; remove the link if the page is gone"
    else:
        via = f" (after redirecting {hops})" if hops else ""
        make, code, message = error, "K003", f"{url} could not be reached{via}: {outcome.detail}"
        hint = "check the address; if the site is only down, run make linkcheck again later"
    return [make(code, path, line, message, hint) for path, line in where]


def _load_cache(path: Path) -> dict[str, dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    links = data.get("links") if isinstance(data, dict) and data.get("version") == 1 else None
    if not isinstance(links, dict):
        return {}
    return {url: entry for url, entry in links.items()
            if isinstance(entry, dict) and isinstance(entry.get("at"), (int, float))}


def _save_cache(path: Path, links: dict[str, dict]) -> None:
    """Write the cache to a temporary file and rename it into place: never half a file."""
    text = json.dumps({"version": 1, "links": dict(sorted(links.items()))}, indent=1, ensure_ascii=False)
    atomic_write(path, text + "\n")


def _iso(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

