"""Headless Chromium and the built site on 127.0.0.1, for the end-to-end tests and the benchmark.

    from site_app.browser import CHROMIUM, CHROMIUM_ARGS, serve_in_thread

    server = serve_in_thread(Path("site"), isolate=False)   # server.url: http://127.0.0.1:<port>/
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    ...
    server.shutdown()

tests/conftest.py and benchmarks/ both drive the browser through this module, so a test and
a benchmark run the same browser with the same flags against the same server.
"""

from __future__ import annotations

import http.server
import os
import threading
from pathlib import Path

from site_app.serve import make_server

# Debian's Chromium (apt-get install chromium); Playwright's own browser download is never used
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# headless, no network but localhost: nothing the browser does on its own competes with the page
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def serve_in_thread(directory: Path, isolate: bool = True, *, compress: bool = True,
                    poll_interval: float = 0.5) -> http.server.ThreadingHTTPServer:
    """site_app/serve.py's server on a free port, answering from a daemon thread.

    ``server.url`` is its base URL; stop it with ``server.shutdown()``. A short
    ``poll_interval`` makes shutdown() return sooner (tests that start many servers).
    """
    server = make_server(directory, 0, isolate=isolate, compress=compress)
    server.url = f"http://127.0.0.1:{server.server_address[1]}/"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True).start()
    return server
