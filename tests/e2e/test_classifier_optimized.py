"""The pre-optimized int8 file: what the WebAssembly backend loads, and what happens when it can't.

export/convert.py's optimize_for_web saves each int8 model with onnxruntime's graph
optimizations applied; the worker opens that file instead of the portable QDQ file, and falls
back to the portable file if the runtime cannot open it.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from classifier_page import (
    CAT_CLASSES,
    choose_file,
    choose_model,
    diagnostic,
    open_classifier,
    shown,
    top5,
    wait_for_answer,
)

pytestmark = pytest.mark.e2e

KEY = "efficientnet_lite0"


def test_wasm_loads_the_pre_optimized_int8_file(page, site_url, models_dir, manifest):
    v = manifest["models"][KEY]["variants"]["int8"]
    onnx_requests = []
    page.on("request", lambda r: r.url.endswith(".onnx") and onnx_requests.append(r.url.rsplit("/", 1)[-1]))
    open_classifier(page, site_url)
    choose_model(page, shown(manifest, KEY), "int8")
    choose_file(page, models_dir / "samples" / "chelsea.png")
    wait_for_answer(page, shown(manifest, KEY), "int8")
    assert top5(page)[0][0] in CAT_CLASSES
    assert onnx_requests == [v["optimized"]["file"]]  # the portable file was not downloaded too
    assert diagnostic(page, "Model file").startswith(v["optimized"]["file"])


def test_an_optimized_file_the_runtime_cannot_open_falls_back_to_the_portable_one(
    page, site_url, models_dir, manifest
):
    # point the manifest's optimized entry at a file that downloads and verifies but is no
    # model (a sample photo), as if a newer onnxruntime had written operators this one lacks
    photo = models_dir / "samples" / "chelsea.png"
    data = photo.read_bytes()
    edited = json.loads((models_dir / "models.json").read_text())
    v = edited["models"][KEY]["variants"]["int8"]
    v["optimized"] = {**v["optimized"], "file": "samples/chelsea.png", "bytes": len(data),
                      "sha256": hashlib.sha256(data).hexdigest()}
    page.route("**/models/models.json",
               lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(edited)))
    open_classifier(page, site_url)
    choose_model(page, shown(manifest, KEY), "int8")
    choose_file(page, photo)
    wait_for_answer(page, shown(manifest, KEY), "int8")
    assert top5(page)[0][0] in CAT_CLASSES
    assert diagnostic(page, "Model file") == f"{v['file']} (portable file, after the pre-optimized one failed)"
