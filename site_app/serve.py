"""Serve the built site on 127.0.0.1 with the headers the in-browser runtime needs.

    python site_app/serve.py --dir site --port 8000

Cross-origin isolation (COOP + COEP) lets onnxruntime-web use WebAssembly threads;
``--no-isolation`` serves without those headers (one thread), as a plain static host would.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
from pathlib import Path


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    isolate = True
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".onnx": "application/octet-stream",
        ".json": "application/json",
    }

    def end_headers(self) -> None:
        if self.isolate:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, fmt: str, *args) -> None:  # keep test output readable
        pass


def make_server(directory: Path, port: int = 0, isolate: bool = True) -> http.server.ThreadingHTTPServer:
    if not (directory / "index.html").is_file():
        raise FileNotFoundError(f"{directory}/index.html not found: build the site first (make site)")
    handler = type("Handler", (SiteHandler,), {"isolate": isolate})
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(directory)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", type=Path, default=Path("site"))
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-isolation", action="store_true", help="omit COOP/COEP (single-threaded WASM)")
    args = p.parse_args(argv)
    try:
        server = make_server(args.dir, args.port, isolate=not args.no_isolation)
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
