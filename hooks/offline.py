"""MkDocs hook: write the build id into the site's service worker (site/coi-sw.js).

The service worker keeps the pages a reader opens, and what they load, in a cache named after
BUILD_ID (site_app/coi-sw.js). The id is a digest of every file the build ships, so any
change to a page, a script, the runtimes or the manifest makes a new worker, with a new
cache that replaces the old one whole: a reader offline never gets a page of one release
with a script or a model of another.

Model files (.onnx, .ort, .tflite) are not read again: models.json, which is, holds the
SHA-256 of each (tests/test_manifest.py checks them), and they are hundreds of MB. Nor are
the sitemaps, which carry the day's date and no page reads, nor the brotli sidecars, written
later from the very files hashed here. Runs after hooks/assets.py has copied the worker and
before hooks/compress.py compresses it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from mkdocs.exceptions import PluginError

WORKER = "coi-sw.js"
BUILD_ID_LINE = re.compile(r"^const BUILD_ID = '[^']*';", re.MULTILINE)
UNSTAMPED = "const BUILD_ID = 'unbuilt';"  # as site_app/coi-sw.js has it
SKIP_SUFFIXES = (".onnx", ".ort", ".tflite", ".br")
SKIP_NAMES = frozenset({"sitemap.xml", "sitemap.xml.gz"})


def build_id(site: Path) -> str:
    """A digest of every shipped file's path and bytes (16 hex digits)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        rel = path.relative_to(site).as_posix()
        if rel.endswith(SKIP_SUFFIXES) or rel in SKIP_NAMES:
            continue
        data = path.read_bytes()
        if rel == WORKER:  # as it was before stamping: the id of a built site can be computed again
            data = BUILD_ID_LINE.sub(UNSTAMPED, data.decode()).encode()
        digest.update(rel.encode() + b"\0")
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()[:16]


def stamp(worker: Path, build: str) -> None:
    source = worker.read_text()
    stamped, n = BUILD_ID_LINE.subn(f"const BUILD_ID = '{build}';", source)
    if n != 1:
        raise PluginError(f"{worker}: expected one `const BUILD_ID = '…';` line to write the build id into, found {n}")
    worker.unlink()  # a new file, not a write into the one hooks/assets.py copied
    worker.write_text(stamped)


def on_post_build(config, **kwargs):
    site = Path(config["site_dir"])
    worker = site / WORKER
    if not worker.is_file():
        raise PluginError(f"{worker} not found: hooks/assets.py copies it, and must run first")
    stamp(worker, build_id(site))
