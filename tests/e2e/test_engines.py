"""Smoke tests in the two other engines readers use: Firefox (ESR) and Safari's (WebKitGTK).

The Chromium tests hold every feature; these hold that a reader in Firefox or Safari gets the
same answers: the classifier on two sample photos with the export's top-5, the exercise
graded, and the site on a plain static host under a sub-path. Where an engine lacks a
feature (WebAssembly threads need SharedArrayBuffer, which WebKitGTK does not offer; WebGPU),
the page must say what it uses and still answer.

One browser per engine for the whole module (tests/e2e/engines.py); a test is skipped, and
says why, only when the engine is not installed (.ci/run installs both).
"""

from __future__ import annotations

import json
import re

import pytest

from engines import Engine
from site_app.browser import serve_in_thread

pytestmark = pytest.mark.e2e

# The same tolerance as Chromium's parity test (test_classifier.py): absolute difference of
# each reference top-5 probability. WebAssembly's integer and float arithmetic is the same in
# every engine; only the float head, the softmax's exp and the threads' split can differ.
TOLERANCE = 1e-4
PASS = "Your code passes all of our tests, nice work!"
SUB_PATH = "lightweight-models/"


@pytest.fixture(scope="module", params=["firefox", "webkit"])
def engine(request):
    with Engine.start(request.param) as browser:
        yield browser


@pytest.fixture(scope="module")
def plain_host_subpath(tmp_path_factory):
    """The built site under /lightweight-models/ of a host that sends no COOP/COEP headers,
    as GitHub Pages serves a project site."""
    import conftest

    root = tmp_path_factory.mktemp("plain-host")
    (root / "index.html").write_text("another site's home page")
    (root / SUB_PATH.strip("/")).symlink_to(conftest.SITE_DIR.resolve(), target_is_directory=True)
    server = serve_in_thread(root, isolate=False)
    yield server.url + SUB_PATH
    server.shutdown()


# ---------------------------------------------------------------------------------------
# The page, read as a reader reads it (the same labels the Chromium tests use)
# ---------------------------------------------------------------------------------------
READY = "return document.getElementById('lwm-startup')?.textContent.includes('Ready') ?? false"

# "<model> (<variant>) says: …" and the top-5 items, once an answer for this photo is shown: the
# preview names the photo before its classification starts, so an earlier answer is never read as this one
ANSWER = """
  const summary = document.getElementById('lwm-results-summary')?.textContent ?? '';
  const m = summary.match(/^(.+) \\(([a-z0-9]+)\\) says:/);
  const items = [...document.querySelectorAll('#lwm-top5 li')];
  const photo = document.querySelector('[aria-label="The image being classified: ' + args + '"]');
  if (!m || !items.length || !photo) return null;
  return { name: m[1], variant: m[2], top5: items.map((li) => [Number(li.dataset.index), Number(li.dataset.prob)]) };
"""

DIAGNOSTICS = """
  return Object.fromEntries([...document.querySelectorAll('#lwm-diagnostics tr')]
    .map((tr) => [tr.cells[0].textContent.trim(), tr.cells[1].textContent.trim()]));
"""

WHAT_IT_USES = """
  return {
    sab: typeof SharedArrayBuffer !== 'undefined',
    isolated: self.crossOriginIsolated === true,
    gpu: 'gpu' in navigator,
    note: document.getElementById('lwm-isolation-note').hidden ? '' : document.getElementById('lwm-isolation-note').textContent,
    webgpuDisabled: document.getElementById('lwm-webgpu').disabled,
    webgpuNote: document.getElementById('lwm-webgpu-note').textContent,
  };
"""


def open_classifier(engine, base_url, query=""):
    engine.goto(base_url + "classifier/" + query)
    # a plain host: the service worker reloads the page once, so the wait spans that reload
    engine.wait_until(READY, what="the classifier to be ready")


def classify_sample(engine, sample):
    engine.click(f'button[aria-label="Classify the sample photo: {sample["description"]}"]')
    return engine.wait_until(ANSWER, args=sample["file"].rsplit("/", 1)[-1], what=f"an answer for {sample['id']}")


def model_of(manifest, shown_name):
    return next(k for k, m in manifest["models"].items() if m.get("display_name", k) == shown_name)


def reference(engine, manifest, got, sample):
    """The export's top-5 for the file that answered: the .tflite copy's with LiteRT.js (the
    default where the build has them), the ONNX file's with onnxruntime-web."""
    v = manifest["models"][model_of(manifest, got["name"])]["variants"][got["variant"]]
    if engine.eval(DIAGNOSTICS)["Execution provider"] == "litert":
        v = v["tflite"]
    return v["reference_top5"][sample["id"]]


def assert_says_what_it_uses(engine):
    """Threads and WebGPU: what the page uses is what the engine offers, and the page says so."""
    uses = engine.eval(WHAT_IT_USES)
    threads = engine.eval(DIAGNOSTICS)["Threads in use"]
    if uses["isolated"] and uses["sab"] and "second thread did not start" not in uses["note"]:
        assert threads == "2", uses
    else:  # not isolated, no SharedArrayBuffer, or (seen in Firefox) the second thread never started
        assert threads == "1", uses
        assert "WebAssembly runs on one thread" in uses["note"], uses
    if not uses["gpu"]:
        assert uses["webgpuDisabled"], uses
        assert uses["webgpuNote"].startswith("WebGPU: "), uses
    return uses


# ---------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------
def test_classifier_answers_as_the_export_does(engine, site_url, manifest):
    open_classifier(engine, site_url)
    samples = manifest["samples"][:2]
    assert len(samples) == 2
    for sample in samples:
        got = classify_sample(engine, sample)
        key = model_of(manifest, got["name"])
        ref = reference(engine, manifest, got, sample)
        where = f"{engine.name}: {key} {got['variant']} on {sample['id']}"
        assert got["top5"][0][0] == ref[0]["index"], where
        probs = dict(got["top5"])
        for r in ref:
            assert abs(probs.get(r["index"], 0.0) - r["prob"]) <= TOLERANCE, (where, r, got["top5"])
    # the build's default runtime: LiteRT.js, whose .tflite files this build has
    assert engine.eval(DIAGNOSTICS)["Execution provider"] == "litert"
    uses = assert_says_what_it_uses(engine)
    if engine.name == "webkit":
        # WebKitGTK has no SharedArrayBuffer: one thread, said on the page
        assert not uses["sab"]
        assert engine.eval("return document.body.innerText.includes('WebAssembly runs on one thread')")


def test_opened_again_in_the_same_tab_it_answers_with_litert_int8(engine, site_url, manifest):
    """Two loads of the classifier in one tab, onnxruntime-web's then the default's, LiteRT.js
    with its int8 file (WebKit failed to start the worker of every second load, whichever the
    runtime): both get ready, and LiteRT.js answers with native LiteRT's top-5 for that file."""
    key = next((k for k, m in manifest["models"].items()
                if m["pretrained"] and "tflite" in m["variants"].get("int8", {})), None)
    if key is None:
        pytest.fail("no int8 .tflite file in models.json: run `make tflite` (make test does)")
    open_classifier(engine, site_url, "?backend=ort")
    engine.goto(site_url + f"classifier/?model={key}&variant=int8")  # the default runtime, LiteRT.js
    engine.wait_until(READY, what="the classifier to be ready, opened a second time")
    sample = manifest["samples"][0]
    got = classify_sample(engine, sample)
    ref = manifest["models"][key]["variants"]["int8"]["tflite"]["reference_top5"][sample["id"]]
    where = f"{engine.name}: {key} int8 .tflite on {sample['id']}"
    assert (model_of(manifest, got["name"]), got["variant"]) == (key, "int8"), where
    assert got["top5"][0][0] == ref[0]["index"], where
    probs = dict(got["top5"])
    for r in ref:
        assert abs(probs.get(r["index"], 0.0) - r["prob"]) <= TOLERANCE, (where, r, got["top5"])
    assert engine.eval(DIAGNOSTICS)["Execution provider"] == "litert"


def test_plain_static_host_under_a_sub_path(engine, plain_host_subpath, manifest):
    # onnxruntime-web here, so that both runtimes answer in both engines
    open_classifier(engine, plain_host_subpath, "?backend=ort")
    sample = manifest["samples"][1]
    got = classify_sample(engine, sample)
    assert engine.eval(DIAGNOSTICS)["Execution provider"] == "wasm"
    ref = reference(engine, manifest, got, sample)
    assert got["top5"][0][0] == ref[0]["index"]
    uses = assert_says_what_it_uses(engine)
    diagnostics = engine.eval(DIAGNOSTICS)
    if uses["isolated"]:  # made so by the service worker: the host sends no headers
        assert diagnostics["Cross-origin isolated"] == "yes (service worker)", diagnostics
    # everything the page loaded came from under the sub-path
    loaded = engine.eval("return performance.getEntriesByType('resource').map((e) => e.name)")
    assert loaded, "the page's resource timing lists what it loaded"
    outside = [u for u in loaded if not u.startswith((plain_host_subpath, "blob:", "data:"))]
    assert outside == [], json.dumps(outside[:5])
    assert re.search(r"/lightweight-models/classifier/", engine.eval("return location.href"))


def test_exercise_is_graded(engine, site_url):
    engine.goto(site_url + "exercise/")
    block = '.py-exercise[data-exercise="lesson"]'
    engine.wait_until(f"return !!document.querySelector('{block} .cm-content')", what="the exercise editor")
    # a reader's answer, typed at the end of the starter code
    engine.click(f"{block} .cm-content")
    engine.key("Control+End")
    engine.key("Enter")
    engine.type(f"{block} .cm-content", "models['ResNet']['is_lightweight'] = False")
    engine.key("Enter")
    engine.type(f"{block} .cm-content", "models['MobileNet']['is_lightweight'] = True")
    engine.click(f"{block} .py-buttons button.md-button--primary")
    status = engine.wait_until(
        f"const s = document.querySelector('{block} .py-status').textContent;"
        "return !s || s.startsWith('Starting') || s.startsWith('Running') ? null : s",
        what="the grader's message")
    code = engine.eval(f"return document.querySelector('{block} .cm-content').innerText")
    assert status == PASS, (status, code)
