"""How the classifier page starts: the worker the page starts early, the preloaded default model.

docs/classifier.md starts the worker from an inline script while the theme's scripts load;
classifier.js takes it over. The default model loads before any photo is given.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from classifier_page import (
    CAT_CLASSES,
    classify_sample,
    diagnostic,
    loaded_file,
    open_classifier,
    top5,
    wait_for_answer,
)

# what these tests count or fail is what the page asks the server for: no service worker in
# between (page.route and the request events do not see what a service worker fetches)
pytestmark = [pytest.mark.e2e, pytest.mark.without_service_worker]


def test_the_worker_the_page_started_is_the_one_in_use(page, site_url, manifest):
    workers = []
    page.on("request", lambda r: r.url.endswith("/app/worker.js") and workers.append(r.url))
    open_classifier(page, site_url)
    assert page.evaluate("window.lwmEarlyWorker") is None  # taken over by classifier.js
    classify_sample(page, manifest["samples"][0])
    wait_for_answer(page)
    assert top5(page)[0][0] in CAT_CLASSES
    assert len(workers) == 1  # no second worker was started beside it
    assert diagnostic(page, "Execution provider") == "wasm"


def test_the_default_model_loads_before_any_photo(page, site_url, manifest):
    key = next(k for k, m in manifest["models"].items() if m["pretrained"])
    models = []
    page.on("request", lambda r: r.url.endswith(".onnx") and models.append(r.url.rsplit("/", 1)[-1]))
    open_classifier(page, site_url)
    expect(page.get_by_role("status", name="Model status")).to_contain_text("is loaded and ready", timeout=60_000)
    assert models == [loaded_file(manifest, key, "int8")["file"]]
    expect(page.get_by_role("status", name="Results").get_by_role("listitem")).to_have_count(0)  # no photo, no answer


@pytest.mark.parametrize("query", ["", "?backend=litert"])
def test_a_worker_whose_script_did_not_load_is_started_once_more(page, site_url, manifest, query):
    """WebKit fails a worker started while the page loads on every second load of the page in
    a tab (test_engines.py reloads it there); here the first request for the worker's script
    fails, for the worker onnxruntime-web's page starts early and for LiteRT.js's: the page
    starts one more worker and answers."""
    asked = []

    def fail_first(route):
        asked.append(route.request.url)
        if len(asked) == 1:
            route.abort()
        else:
            route.continue_()

    page.route("**/app/worker.js", fail_first)
    open_classifier(page, site_url, query)
    classify_sample(page, manifest["samples"][0])
    wait_for_answer(page)
    assert top5(page)[0][0] in CAT_CLASSES
    assert len(asked) == 2
    assert diagnostic(page, "Execution provider") == ("litert" if query else "wasm")


def test_the_default_is_litert_with_the_int8_file_started_by_the_page(page, site_url, manifest):
    """Where the build has the .tflite files, a reader who chooses nothing gets LiteRT.js and the
    default model's int8 .tflite file (the Benchmarks page measures why): the worker the page
    started early runs it, and onnxruntime-web is never downloaded."""
    key = next(k for k, m in manifest["models"].items() if m["pretrained"])
    t = manifest["models"][key]["variants"]["int8"].get("tflite")
    if t is None:
        pytest.fail("no int8 .tflite file of the default model: run `make tflite` (make test does)")
    requests, workers = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("request", lambda r: r.url.endswith("/app/worker.js") and workers.append(r.url))
    open_classifier(page, site_url, runtime=None)
    assert page.locator("#lwm-classifier").get_attribute("data-default-runtime") == "litert"
    expect(page.get_by_role("radio", name=re.compile(r"^LiteRT\.js"))).to_be_checked()
    expect(page.get_by_role("status", name="Model status")).to_contain_text("is loaded and ready", timeout=60_000)
    assert page.evaluate("window.lwmEarlyWorker") is None  # taken over by classifier.js
    classify_sample(page, manifest["samples"][0])
    wait_for_answer(page)
    assert top5(page)[0][0] == t["reference_top5"][manifest["samples"][0]["id"]][0]["index"]
    assert diagnostic(page, "Execution provider") == "litert"
    assert diagnostic(page, "Model file") == t["file"]
    assert len(workers) == 1  # the page's early worker, no second one
    assert [u.rsplit("/", 1)[-1] for u in requests if u.endswith((".onnx", ".tflite"))] == [t["file"]]
    assert not any("/vendor/onnxruntime-web/" in u for u in requests)
