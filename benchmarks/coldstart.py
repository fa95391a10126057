"""The classifier page as a reader meets it: cold start, the bytes it transfers, and WebNN."""

from __future__ import annotations

import gzip
import statistics
from pathlib import Path
from urllib.parse import unquote, urlparse

import brotli

from site_app.browser import CHROMIUM, CHROMIUM_ARGS, serve_in_thread
from site_app.serve import COMPRESS_ON_REQUEST, ON_REQUEST_QUALITY

from . import SITE_DIR, log

GZIP_LEVEL = 6
COLD_RUNS = 3

WEBNN_JS = """async () => {
  if (!('ml' in navigator)) return { available: false, detail: 'navigator.ml is not defined' };
  try {
    await navigator.ml.createContext({ deviceType: 'cpu' });
    return { available: true, detail: 'navigator.ml.createContext({deviceType: "cpu"}) succeeded' };
  } catch (err) {
    return { available: false, detail: `${err.name}: ${err.message}` };
  }
}"""


def site_file(url: str) -> Path | None:
    path = unquote(urlparse(url).path).lstrip("/")
    f = SITE_DIR / path
    if f.is_dir() or path == "":
        f = f / "index.html"
    return f if f.is_file() else None


def cold_start(browser_obj, base: str, query: str = "") -> dict:
    """Navigation to the first top-5 result on the classifier page, fresh profile each time;
    ``query`` chooses the model and runtime as a reader's address would (default: none)."""
    runs, transfer, default = [], None, None
    for i in range(COLD_RUNS):
        context = browser_obj.new_context()
        page = context.new_page()
        finished: list = []
        page.on("requestfinished", lambda r: finished.append(r))
        page.goto(base + "classifier/" + query)
        # what a reader does first: click the first sample photo as soon as it is there
        page.get_by_role("button", name="Classify the sample photo").first.click()
        handle = page.wait_for_function(
            "() => document.querySelectorAll('#lwm-top5 > li').length >= 5 ? performance.now() : false",
            polling=10, timeout=120_000,
        )
        runs.append(round(handle.json_value(), 1))
        q = dict(p.split("=", 1) for p in urlparse(page.url).query.split("&") if "=" in p)
        # the address leaves the default runtime out: the page's diagnostics name the one that ran
        provider = page.evaluate("[...document.querySelectorAll('#lwm-diagnostics tr')]"
                                 ".find((tr) => tr.cells[0].textContent.trim() === 'Execution provider')"
                                 "?.cells[1].textContent.trim()")
        default = {"model": q.get("model"), "variant": q.get("variant"),
                   "backend": "litert" if provider == "litert" else "ort"}
        if transfer is None:
            page.wait_for_timeout(500)  # let late requests (icons, the service worker) finish
            transfer = transfer_sizes(finished)
        context.close()
        log(f"cold start {query or '(default)'} {i + 1}/{COLD_RUNS}: {runs[-1]} ms")
    return {**default, "runs_ms": runs, "median_ms": round(statistics.median(runs), 1), "transfer": transfer}


def served_bytes(f: Path, data: bytes, encoding: str) -> int:
    """The body site_app/serve.py sends for file ``f`` (its bytes ``data``) with this
    Content-Encoding: the brotli sidecar the build made, or for a model file, which has none,
    the brotli the server makes on the first request (the same bytes: brotli at one quality is
    deterministic); the file itself when not compressed."""
    if encoding != "br":
        return len(data)
    sidecar = f.with_name(f.name + ".br")
    if sidecar.is_file():
        return sidecar.stat().st_size
    if f.suffix in COMPRESS_ON_REQUEST:
        return len(brotli.compress(data, quality=ON_REQUEST_QUALITY))
    raise ValueError(f"{f}: sent as br, but it has no sidecar and the server does not compress {f.suffix} files")


def transfer_sizes(requests: list) -> dict:
    """What the page's requests carried: body bytes on the wire as the browser counted them
    (compressed when the server compressed), the files' own sizes, and gzip level GZIP_LEVEL
    computed from the same files for a host that compresses with gzip only."""
    files, seen = [], set()
    for req in requests:
        f = site_file(req.url)
        if f is None or f in seen:
            continue
        seen.add(f)
        data = f.read_bytes()
        response = req.response()
        encoding = (response.headers.get("content-encoding") if response else None) or "identity"
        body = req.sizes()["responseBodySize"]
        counted = "browser"
        if body <= 0 < len(data):
            # Chromium reports no body size for some requests (a worker's script, a worker's
            # fetch of a model): count what the server sends for it
            body = served_bytes(f, data, encoding)
            counted = "server"
        files.append({"path": str(f.relative_to(SITE_DIR)), "bytes": len(data),
                      "transferred_bytes": body, "counted": counted, "encoding": encoding,
                      "gzip_bytes": len(gzip.compress(data, GZIP_LEVEL))})
    files.sort(key=lambda x: -x["bytes"])
    return {
        "raw_bytes": sum(x["bytes"] for x in files),
        "transferred_bytes": sum(x["transferred_bytes"] for x in files),
        "gzip_bytes": sum(x["gzip_bytes"] for x in files),
        "gzip_level": GZIP_LEVEL,
        "requests": len(files),
        "python_loaded": any("pyodide" in x["path"] for x in files),
        "files": files,
    }


def webnn() -> dict:
    """Whether this Chromium offers WebNN (onnxruntime-web's 'webnn' provider needs it), by
    default and with its feature flag."""
    from playwright.sync_api import sync_playwright

    out = {}
    server = serve_in_thread(SITE_DIR, isolate=True)
    try:
        with sync_playwright() as pw:
            for name, extra in (("default", []), ("flag", ["--enable-features=WebMachineLearningNeuralNetwork"])):
                b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + extra)
                page = b.new_page()
                page.goto(server.url)
                out[name] = {"args": extra, **page.evaluate(WEBNN_JS)}
                b.close()
    finally:
        server.shutdown()
    return out
