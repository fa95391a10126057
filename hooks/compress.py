"""MkDocs hook: brotli sidecars (``<file>.br``) next to the site's text and WebAssembly files.

site_app/serve.py sends a fresh sidecar, with ``Content-Encoding: br``, to a browser that
accepts br: LiteRT.js's threaded .wasm goes from 9.4 MB to 2.0 MB on the wire. Model files
(.onnx) get no sidecar: the server compresses them on first request instead.

Quality 11 is slow (about 20 s for that .wasm alone; files over 20 MB and runtimes a first
visit does not load get quality 9), and MkDocs empties site/ on every build, so each result
is also kept in build/brotli/ under the sha256 of its source: a rebuild copies it back
instead of compressing again. Set ``LWM_NO_PRECOMPRESS=1`` to skip
the step (the Pages workflow does: GitHub Pages compresses by itself).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import brotli

log = logging.getLogger("mkdocs.hooks.compress")

# what browsers fetch and brotli shrinks; images, fonts, zips and models are compressed already
# or (.onnx) handled by the server
EXTENSIONS = frozenset({".html", ".css", ".js", ".mjs", ".json", ".svg", ".wasm", ".txt", ".xml", ".map", ".py"})
QUALITY = 11
LGWIN = 24  # brotli's largest standard window: 2% smaller .wasm than the default 22, and browsers decode it
# Quality 11 costs about 2 s per MB. Above this size, quality 9: onnxruntime-web's 27 MB WebGPU
# build (fetched only by readers who turn WebGPU on) takes 5.5 s instead of 57 s, for a
# sidecar of 4.6 MB instead of 3.9 MB. Everything a first visit loads is smaller.
LARGE_BYTES = 20 * 2**20
LARGE_QUALITY = 9
# What a first visit to the classifier loads keeps quality 11: LiteRT.js, its default runtime,
# in the build the browser runs it with (threaded in an isolated page in Chromium and Firefox;
# "compat" in Safari's engine, which lacks relaxed SIMD). A runtime that loads only when a
# reader asks for it or the page falls back to it gets quality 9: onnxruntime-web (an address
# with ?backend=ort, the comparison of all models, a model LiteRT.js cannot open) and
# LiteRT.js's one-thread relaxed-SIMD build (a page that cannot be isolated). Each 9-14 MB
# .wasm takes 20-30 s at quality 11 on a 2-core machine and 2-3 s at 9, for a sidecar 13-16%
# larger (the threaded LiteRT.js build: 1.99 MB against 2.29 MB; onnxruntime-web's: 2.30 MB
# against 2.67 MB).
OPT_IN = ("vendor/onnxruntime-web/", "vendor/litertjs/wasm/litert_wasm_internal.")
MIN_BYTES = 1024  # below this a sidecar saves a few hundred bytes at most
MAX_RATIO = 0.9  # a sidecar must save at least 10% to be worth a file and a disk read


def quality(source: Path, size: int) -> int:
    if size > LARGE_BYTES or any(d in source.as_posix() for d in OPT_IN):
        return LARGE_QUALITY
    return QUALITY


def _atomic_write(path: Path, data: bytes) -> None:
    # a new file renamed into place: never writes into an existing file, which in site/models
    # would be a hard link to build/models
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _fresh_sidecar(sidecar: Path, source: Path, raw: bytes) -> bool:
    try:
        if sidecar.stat().st_mtime_ns < source.stat().st_mtime_ns:
            return False
        return brotli.decompress(sidecar.read_bytes()) == raw
    except (OSError, brotli.error):
        return False


def compress_file(source: Path, cache_dir: Path | None = None) -> tuple[str, str | None]:
    """Give ``source`` a ``.br`` sidecar if it is worth one. Returns (outcome, cache entry name).

    outcome: "fresh" (the sidecar was already there), "cached" (copied from cache_dir),
    "compressed", "skipped" (too small, or brotli saves under 10%), or "vanished" (the file
    was deleted meanwhile: another build emptied site/, and its own hook makes the sidecars).
    """
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        return "vanished", None
    sidecar = source.with_name(source.name + ".br")
    if len(raw) < MIN_BYTES:
        sidecar.unlink(missing_ok=True)
        return "skipped", None
    # the source's sha256 and the settings it is compressed with
    entry = f"{hashlib.sha256(raw).hexdigest()}.q{quality(source, len(raw))}w{LGWIN}"
    if _fresh_sidecar(sidecar, source, raw):
        if cache_dir is not None and not (cache_dir / f"{entry}.br").exists():
            _atomic_write(cache_dir / f"{entry}.br", sidecar.read_bytes())
        return "fresh", f"{entry}.br"

    data, outcome = None, "compressed"
    if cache_dir is not None:
        try:
            data, outcome = (cache_dir / f"{entry}.br").read_bytes(), "cached"
        except OSError:
            if (cache_dir / f"{entry}.none").exists():  # compressed before, not worth it
                sidecar.unlink(missing_ok=True)
                return "skipped", f"{entry}.none"
    if data is None:
        data = brotli.compress(raw, quality=quality(source, len(raw)), lgwin=LGWIN)
        worth_it = len(data) <= MAX_RATIO * len(raw)
        if cache_dir is not None:
            _atomic_write(cache_dir / f"{entry}.{'br' if worth_it else 'none'}", data if worth_it else b"")
        if not worth_it:
            sidecar.unlink(missing_ok=True)
            return "skipped", f"{entry}.none"
    # written now, so the sidecar is never older than its source (serve.py's freshness test)
    try:
        _atomic_write(sidecar, data)
    except FileNotFoundError:
        return "vanished", f"{entry}.br"
    return outcome, f"{entry}.br"


def precompress(root: Path, cache_dir: Path | None = None, workers: int | None = None) -> Counter:
    """Sidecars for every file under ``root`` with one of EXTENSIONS; counts of outcomes.

    With ``cache_dir``, results are looked up there first and stored there, and entries this
    run did not use are removed, so the cache holds one site's worth of files.
    """
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a directory")
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
    files = [
        Path(d) / name
        for d, _, names in os.walk(root)
        for name in names
        if Path(name).suffix.lower() in EXTENSIONS
    ]
    # the brotli module releases the GIL while it compresses: threads use every core
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        results = list(pool.map(lambda f: compress_file(f, cache_dir), files))
    if cache_dir is not None:
        used = {entry for _, entry in results if entry}
        for old in cache_dir.iterdir():
            if old.name not in used and old.suffix in (".br", ".none"):
                old.unlink(missing_ok=True)
    return Counter(outcome for outcome, _ in results)


def on_post_build(config, **kwargs):
    if os.environ.get("LWM_NO_PRECOMPRESS") == "1":
        log.info("LWM_NO_PRECOMPRESS=1: no brotli sidecars")
        return
    cache_dir = Path(config["config_file_path"]).parent / "build" / "brotli"
    t0 = time.perf_counter()
    counts = precompress(Path(config["site_dir"]), cache_dir)
    log.info(
        "brotli sidecars in %.1f s: %s",
        time.perf_counter() - t0,
        ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())),
    )
