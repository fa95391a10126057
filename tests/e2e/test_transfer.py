"""What the classifier page sends over the wire: the runtime compressed, and it still works.

site_app/serve.py sends the onnxruntime-web .wasm as its brotli sidecar (hooks/compress.py)
to a browser that accepts br, as Chromium does even on 127.0.0.1.
"""

from __future__ import annotations

import pytest

from conftest import SITE_DIR
from classifier_page import classify_sample, loaded_file, open_classifier, top5, wait_for_answer

# what these tests change or weigh is what the server sends: no service worker in between
pytestmark = [pytest.mark.e2e, pytest.mark.without_service_worker]


WASM = "ort-wasm-simd-threaded.wasm"


def test_runtime_arrives_compressed_and_classifies(page, site_url, manifest):
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    open_classifier(page, site_url)
    classify_sample(page, manifest["samples"][0])
    wait_for_answer(page)
    assert len(top5(page)) == 5

    wasm = [r for r in finished if r.url.split("?")[0].endswith("/" + WASM)]
    assert len(wasm) == 1, f"expected one request for {WASM}, got {[r.url for r in wasm]}"
    response = wasm[0].response()
    assert response.status == 200
    assert response.header_value("content-encoding") == "br"
    on_disk = (SITE_DIR / "vendor" / "onnxruntime-web" / WASM).stat().st_size
    on_wire = wasm[0].sizes()["responseBodySize"]
    assert 0 < on_wire < on_disk, f"{WASM}: {on_wire} bytes on the wire, {on_disk} on disk"
    # the page's first script fetched the runtime for the worker, the worker the default model
    # (docs/classifier.md): the model file the worker opens, once, and no other
    default = next(k for k, m in manifest["models"].items() if m["pretrained"])
    models = [r.url.rsplit("/", 1)[-1] for r in finished if r.url.split("?")[0].endswith((".onnx", ".ort"))]
    assert models == [loaded_file(manifest, default, "int8")["file"]], models
