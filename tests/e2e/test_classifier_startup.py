"""How the classifier page starts: the worker the page starts early, the preloaded default model.

docs/classifier.md starts the worker from an inline script while the theme's scripts load;
classifier.js takes it over. The default model loads before any photo is given.
"""

from __future__ import annotations

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

pytestmark = pytest.mark.e2e


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
