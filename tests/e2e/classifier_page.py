"""A reader's moves on the classifier page (docs/classifier.md + site_app/), shared by the
end-to-end tests: open the page, choose a model, a file or a sample photo, wait for the answer
and read it back from the page, by accessible role and label as a reader's tools would.

pytest puts a test file's own folder on the import path (its default "prepend" import mode),
so the tests here import this module as `classifier_page`.
"""

from __future__ import annotations

import re
import sys
import threading
from contextlib import contextmanager

from playwright.sync_api import expect

from site_app.browser import serve_in_thread

CAT_CLASSES = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat
ESPRESSO = 967

# Browser (onnxruntime-web, WebAssembly) against the export (onnxruntime, native CPU), on the
# manifest's reference photos; absolute difference of each reference top-5 probability.
# Measured on the export machine: fp32 1.8e-6, fp16 1.4e-6, int8 4e-15. Float tolerances
# leave a 50x margin for other CPUs' float kernels. int8 is held to the same: its integer
# sums are exact on every CPU and in WebAssembly (export/convert.py, "Portable int8";
# tests/test_int8_portability.py), so only the float head and softmax can differ.
TOLERANCE = {"fp32": 1e-4, "fp16": 1e-4, "int8": 1e-4}

# LiteRT.js (WebAssembly, XNNPACK) against native LiteRT (XNNPACK, x86) on the sample photos:
# the absolute difference of each reference top-5 probability. Measured on the export machine
# (all three models, four photos): fp32 1.6e-7, int8 7.9e-15. The int8 file's convolutions
# sum integers exactly in both, and each layer's requantization to 8 bits rounded alike, so
# the int8 logits were the same numbers and only the float softmax differed. Both are held
# to the ONNX files' 1e-4 (TOLERANCE): a 600x margin for fp32's float kernels on other CPUs;
# for int8, a rounding boundary met differently (LiteRT.js's relaxed SIMD fuses a
# multiply-add or not, as the CPU has it) would move a logit by one 8-bit step and fail it,
# which is a difference worth seeing.
LITERT_TOLERANCE = {"fp32": TOLERANCE["fp32"], "int8": TOLERANCE["int8"]}


# The tests of a thread that never starts wait out worker.js's THREADS_START_S (15 s, for a
# reader's slow phone) once or twice each; they serve it shortened, which leaves the path the
# same and takes 20-30 s less of every run.
THREADS_START_LINE = "const THREADS_START_S = 15;"


def shorten_thread_start_limit(context, seconds):
    """Serve the page's worker (app/worker.js) to ``context`` with a start limit of ``seconds``
    for the runtimes' second threads, in place of its 15 s."""

    def patched(route):
        response = route.fetch()
        body = response.text()
        if THREADS_START_LINE not in body:
            raise AssertionError(f"app/worker.js no longer has {THREADS_START_LINE!r}: update the tests' helper")
        # the body is sent decoded, so without the server's encoding and length
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-encoding", "content-length")}
        route.fulfill(status=response.status, headers=headers,
                      body=body.replace(THREADS_START_LINE, f"const THREADS_START_S = {seconds};"))

    context.route("**/app/worker.js", patched)


@contextmanager
def threads_that_never_start(site_dir, script):
    """The built site on a server of its own that never answers a worker asking for ``script``
    as its script: a runtime's second thread, a worker of the page's worker, then never starts
    (Firefox has been seen doing that). Only the server can hold it: Playwright's routes miss
    some requests of a worker's workers. Yields the server and the paths it held."""
    server = serve_in_thread(site_dir)
    handler = server.RequestHandlerClass.func  # this server's own class (site_app/serve.py)
    serve, asked, release = handler.do_GET, [], threading.Event()

    def do_GET(self):
        # the runtime imports the file itself (a request from script), then each thread's
        # worker asks for it as its script: those never get it
        if self.path.endswith("/" + script) and self.headers.get("Sec-Fetch-Dest") == "worker":
            asked.append(self.path)
            release.wait(120)
            return
        serve(self)

    handler.do_GET = do_GET
    report = server.handle_error

    def handle_error(request, client_address):
        # a held request answers nothing once released; the browser may have closed its
        # connection by then, which is no error of the site
        if not isinstance(sys.exc_info()[1], ConnectionError):
            report(request, client_address)

    server.handle_error = handle_error
    try:
        yield server, asked
    finally:
        release.set()
        server.shutdown()


def open_classifier(page, base_url, query="", runtime="ort"):
    """The classifier, ready. On onnxruntime-web unless the address names a runtime or
    ``runtime`` is None (the build's default, LiteRT.js where it has the .tflite files): most
    tests hold onnxruntime-web's path, test_classifier_litert.py LiteRT.js's, and the tests of
    the default say which one it is."""
    if runtime and "backend=" not in query:
        query += ("&" if query.startswith("?") else "?") + f"backend={runtime}"
    page.goto(base_url + "classifier/" + query)
    expect(page.get_by_role("status", name="Classifier status")).to_contain_text("Ready", timeout=30_000)


def shown(manifest, key):
    """A model's name as the page shows it: the paper's name from the manifest."""
    return manifest["models"][key].get("display_name", key)


def choose_model(page, name, variant=None):
    page.get_by_role("radio", name=name, exact=True).check()
    if variant:
        page.get_by_role("radio", name=re.compile(rf"^{variant}\b")).check()


def results(page):
    return page.get_by_role("status", name="Results")


def wait_for_answer(page, name=None, variant=None, timeout=60_000):
    """Until the results read "<name> (<variant>) says: …" (any model or variant if not given)."""
    pattern = re.compile(rf"{re.escape(name) if name else '.+'} \({variant or '[a-z0-9]+'}\) says:")
    expect(results(page)).to_contain_text(pattern, timeout=timeout)


def top5(page):
    items = results(page).get_by_role("listitem")
    return [(int(li.get_attribute("data-index")), float(li.get_attribute("data-prob"))) for li in items.all()]


def choose_file(page, path):
    page.get_by_label("Choose an image").set_input_files(path)


def classify_sample(page, sample):
    page.get_by_role("button", name=f"Classify the sample photo: {sample['description']}").click()


def diagnostic(page, name):
    table = page.get_by_role("table", name="Diagnostics")
    if not table.is_visible():  # the panel is folded until the reader opens it
        page.get_by_text("Diagnostics", exact=True).click()
    row = table.get_by_role("row", name=re.compile(rf"^{re.escape(name)}"))
    return row.get_by_role("cell").inner_text()


def wait_for_diagnostic(page, name, text, timeout=60_000):
    """Until the diagnostics row ``name`` reads ``text``. After a change of runtime, the row
    "Model file" names the new file only once the photo has been handed to the new worker (its
    answer replaced by "Reading …", a moment too short to watch for) and the model is
    loaded: an answer read after that is the new runtime's."""
    diagnostic(page, name)  # unfolds the panel
    row = page.get_by_role("table", name="Diagnostics").get_by_role("row", name=re.compile(rf"^{re.escape(name)}"))
    expect(row.get_by_role("cell")).to_have_text(text, timeout=timeout)


def loaded_file(manifest, key, variant):
    """The manifest entry of the file the WebAssembly backend downloads: the pre-optimized
    copy when there is one (int8), else the variant's own file."""
    v = manifest["models"][key]["variants"][variant]
    return v.get("optimized") or v


def pretrained(manifest):
    return [k for k, m in manifest["models"].items() if m["pretrained"]]
