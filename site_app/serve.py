"""Serve the built site on 127.0.0.1 with the headers the in-browser runtime needs.

    python site_app/serve.py --dir site --port 8000

Cross-origin isolation (COOP + COEP) lets onnxruntime-web use WebAssembly threads;
``--no-isolation`` serves without those headers (one thread), as a plain static host would.

To a browser that accepts brotli, a file with a fresh ``<file>.br`` sidecar (written by
hooks/compress.py) is sent as that sidecar with ``Content-Encoding: br``; a model file is
compressed on its first request and kept in memory. ``--no-compression`` sends every file as
it is on disk, to measure what compression saves.
"""

from __future__ import annotations

import argparse
import datetime
import email.utils
import functools
import http.server
import io
import os
import sys
import threading
import urllib.parse
from collections import OrderedDict
from http import HTTPStatus
from pathlib import Path

import brotli

# Model files: too many and too large for sidecars (hundreds of MB), so compressed on first
# request. Quality 5 takes 0.06 s for a 5 MB int8 model and is within 1% of quality 11 on it.
COMPRESS_ON_REQUEST = (".onnx", ".ort", ".tflite")
ON_REQUEST_QUALITY = 5
CACHE_BYTES = 256 * 2**20


def accepts_br(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header allows br: named with q > 0, or through * with q > 0."""
    star = False
    for item in (accept_encoding or "").split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0  # a malformed weight is no consent
        if coding.lower() == "br":
            return q > 0
        if coding == "*":
            star = q > 0
    return star


class BrotliCache:
    """Files compressed on request, kept until ``max_bytes`` of results are held (LRU).

    Keyed by (path, size, mtime_ns), so a re-exported model is compressed again. Safe for
    ThreadingHTTPServer: concurrent requests for one file wait for a single compression.
    """

    def __init__(self, max_bytes: int = CACHE_BYTES, quality: int = ON_REQUEST_QUALITY):
        self.max_bytes = max_bytes
        self.quality = quality
        self.compressions = 0  # files compressed so far; a cache hit does not count
        self._entries: OrderedDict[tuple[str, int, int], bytes] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()
        self._busy: dict[tuple[str, int, int], threading.Lock] = {}

    def _hit(self, key) -> bytes | None:
        data = self._entries.get(key)
        if data is not None:
            self._entries.move_to_end(key)
        return data

    def get(self, path: str) -> tuple[bytes, os.stat_result]:
        """(brotli bytes, stat of the file they encode)."""
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            key = (path, st.st_size, st.st_mtime_ns)
            with self._lock:
                data = self._hit(key)
                busy = self._busy.setdefault(key, threading.Lock()) if data is None else None
            if data is not None:
                return data, st
            with busy:
                with self._lock:
                    data = self._hit(key)
                if data is None:
                    data = brotli.compress(f.read(), quality=self.quality)
                    with self._lock:
                        self.compressions += 1
                        self._busy.pop(key, None)
                        self._store(key, data)
        return data, st

    def _store(self, key, data: bytes) -> None:
        for old in [k for k in self._entries if k[0] == key[0]]:  # an older version of the file
            self._held -= len(self._entries.pop(old))
        if len(data) > self.max_bytes:
            return
        self._entries[key] = data
        self._held += len(data)
        while self._held > self.max_bytes:
            self._held -= len(self._entries.popitem(last=False)[1])


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    isolate = True
    compress = True
    model_cache: BrotliCache | None = None
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".onnx": "application/octet-stream",
        ".tflite": "application/octet-stream",
        ".json": "application/json",
    }

    def end_headers(self) -> None:
        if self.isolate:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Cache-Control", "no-cache")
        if self.compress:
            # one URL, two bodies: a cache must not hand the br one to a client that cannot read it
            self.send_header("Vary", "Accept-Encoding")
        super().end_headers()

    def send_head(self):
        if not self.compress:
            return super().send_head()
        if self.translate_path(self.path).lower().endswith(".br"):
            # sidecars are how this server stores a compressed body, not pages of the site
            # (GitHub Pages never has them): asking for one by name is asking for nothing
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        path = self._file_path() if accepts_br(self.headers.get("Accept-Encoding")) else None
        encoded = self._brotli_body(path) if path else None
        if encoded is None:
            return super().send_head()
        body, length, st = encoded
        if self._not_modified(st.st_mtime):
            body.close()
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.end_headers()
            return None
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-type", self.guess_type(path))
        self.send_header("Content-Encoding", "br")
        self.send_header("Content-Length", str(length))
        self.send_header("Last-Modified", self.date_time_string(st.st_mtime))
        self.end_headers()
        return body

    def _file_path(self) -> str | None:
        """The file a GET would send (a folder's index.html), or None for anything else."""
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            if not urllib.parse.urlsplit(self.path).path.endswith("/"):
                return None  # the parent class redirects to the folder's URL with a slash
            path = os.path.join(path, "index.html")
        return path if os.path.isfile(path) else None

    def _brotli_body(self, path: str):
        """(open body, its length, stat of the original) in brotli, or None to send the file as is."""
        try:
            st = os.stat(path)
            sidecar = open(path + ".br", "rb")
        except OSError:
            sidecar = None
        if sidecar is not None:
            side = os.fstat(sidecar.fileno())
            if side.st_mtime_ns >= st.st_mtime_ns:
                return sidecar, side.st_size, st
            sidecar.close()  # older than the file it encodes: the file changed since the build
        if path.lower().endswith(COMPRESS_ON_REQUEST) and self.model_cache is not None:
            try:
                data, st = self.model_cache.get(path)
            except OSError:
                return None  # gone since the request began: the parent class answers 404
            if len(data) < st.st_size:
                return io.BytesIO(data), len(data), st
        return None

    def _not_modified(self, mtime: float) -> bool:
        """If-Modified-Since as the parent class reads it, for the bodies it does not send."""
        if "If-Modified-Since" not in self.headers or "If-None-Match" in self.headers:
            return False
        try:
            since = email.utils.parsedate_to_datetime(self.headers["If-Modified-Since"])
        except (TypeError, IndexError, OverflowError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=datetime.timezone.utc)
        modified = datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc).replace(microsecond=0)
        return modified <= since

    def log_message(self, fmt: str, *args) -> None:  # keep test output readable
        pass


def make_server(
    directory: Path, port: int = 0, isolate: bool = True, *, compress: bool = True
) -> http.server.ThreadingHTTPServer:
    """A server for the built site; ``server.model_cache`` holds the models compressed so far."""
    if not (directory / "index.html").is_file():
        raise FileNotFoundError(f"{directory}/index.html not found: build the site first (make site)")
    cache = BrotliCache() if compress else None
    handler = type("Handler", (SiteHandler,), {"isolate": isolate, "compress": compress, "model_cache": cache})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(directory)))
    server.model_cache = cache
    return server


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", type=Path, default=Path("site"))
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-isolation", action="store_true", help="omit COOP/COEP (single-threaded WASM)")
    p.add_argument("--no-compression", action="store_true", help="send every file as it is on disk (no brotli)")
    args = p.parse_args(argv)
    try:
        server = make_server(args.dir, args.port, isolate=not args.no_isolation, compress=not args.no_compression)
    except (FileNotFoundError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"serving {args.dir} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
