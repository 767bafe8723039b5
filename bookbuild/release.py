"""``build.py release``: the files a forge release carries, from the editions in dist/.

Each language's PDF and EPUB under a name that says its language, its HTML
site as a zip, and its cover; a download page whose links are those files,
so it works from the release or from a folder they were downloaded into;
the whole of dist/ (its own download page first) as one zip; and
SHA256SUMS.  Zips are reproducible: sorted entries, fixed dates and modes.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

from .downloads import COVER, collect_editions, file_entry, render_page

RELEASE = "release"
ZIP_EPOCH = 315532800  # 1980-01-01, the earliest date a zip entry can hold


def package(root: Path, slug: str, epoch: int) -> list[Path]:
    """Write the release files into ``release/`` (emptied first); return them."""
    dist, out = root / "dist", root / RELEASE
    manifest = json.loads((dist / "manifest.json").read_text("utf-8"))
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    editions = collect_editions(dist, manifest)
    files = []
    for edition in editions:
        lang = edition["language"]
        cover = Path(shutil.copyfile(dist / edition["cover"], out / f"{slug}-{lang}-{COVER}"))
        files.append(cover)
        edition["cover"] = cover.name
        for i, entry in enumerate(edition["files"]):
            fmt = entry["format"]
            if fmt == "html":
                made = _zip(dist / lang / "html", out / f"{slug}-{lang}-html.zip", f"{slug}-{lang}", epoch)
            else:
                made = Path(shutil.copyfile(dist / entry["path"], out / f"{slug}-{lang}.{fmt}"))
            files.append(made)
            edition["files"][i] = file_entry(edition, fmt, made.name, made.stat().st_size, _sha256(made),
                                             archive=fmt == "html")
        edition["home"] = edition["files"][0]["path"]
    if editions:
        page = out / f"{slug}-download-page.html"
        page.write_text(render_page(root, editions), "utf-8")
        files.append(page)
    files.append(_zip(dist, out / f"{slug}-all-editions.zip", slug, epoch))
    sums = "".join(f"{_sha256(p)}  {p.name}\n" for p in sorted(files))
    (out / "SHA256SUMS").write_text(sums, "utf-8")
    return sorted(files) + [out / "SHA256SUMS"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _zip(folder: Path, target: Path, prefix: str, epoch: int) -> Path:
    stamp = _zip_date(epoch)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        files = [p for p in folder.rglob("*") if p.is_file()]
        for path in sorted(files, key=lambda p: (p.parent != folder, p.as_posix())):  # index.html first
            info = zipfile.ZipInfo(f"{prefix}/{path.relative_to(folder).as_posix()}", stamp)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return target


def _zip_date(epoch: int) -> tuple:
    import time

    return time.gmtime(max(epoch, ZIP_EPOCH))[:6]
