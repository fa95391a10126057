"""The classifier with LiteRT.js, the second CPU runtime, used as a reader uses it.

The reader picks "LiteRT.js" under Runtime (or opens ?backend=litert); the worker then runs
each model's .tflite copies (`make tflite`: fp32 and int8) through the same checks as the
ONNX files. The reference probabilities are the ones export/tflite.py computed with LiteRT's
native interpreter.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from playwright.sync_api import expect

from lwm_format import fmt_bytes
from classifier_page import (
    CAT_CLASSES,
    LITERT_TOLERANCE,
    choose_file,
    classify_sample,
    diagnostic,
    open_classifier,
    pretrained,
    results,
    shorten_thread_start_limit,
    shown,
    threads_that_never_start,
    top5,
    wait_for_answer,
    wait_for_diagnostic,
)

# what these tests change or weigh is what the server sends: no service worker in between
pytestmark = [pytest.mark.e2e, pytest.mark.without_service_worker]


def tflite_variants(manifest, key):
    return [v for v, f in manifest["models"][key]["variants"].items() if "tflite" in f]


def with_tflite(manifest):
    keys = [k for k in pretrained(manifest) if tflite_variants(manifest, k)]
    if not keys:
        pytest.fail("no .tflite copy in models.json: run `make tflite` (make test does)")
    return keys


def choose_litert(page):
    page.get_by_role("radio", name=re.compile(r"^LiteRT\.js")).check()


def test_litert_matches_native_litert_on_every_sample(page, watch, site_url, manifest):
    """Each .tflite file (fp32, int8) in the browser against LiteRT's native interpreter at
    export, on every sample, within LITERT_TOLERANCE; the int8 file's maps are shown."""
    open_classifier(page, site_url)
    choose_litert(page)
    checked = 0
    for key in with_tflite(manifest):
        page.get_by_role("radio", name=shown(manifest, key), exact=True).check()
        for variant in tflite_variants(manifest, key):
            page.get_by_role("radio", name=re.compile(rf"^{variant} · ")).check()
            t = manifest["models"][key]["variants"][variant]["tflite"]
            for sample in manifest["samples"]:
                classify_sample(page, sample)
                wait_for_answer(page, shown(manifest, key), variant)
                got = dict(top5(page))
                ref = t["reference_top5"][sample["id"]]
                where = f"{key} {variant} tflite {sample['id']}"
                assert top5(page)[0][0] == ref[0]["index"], where
                for r in ref:
                    diff = abs(got.get(r["index"], 0.0) - r["prob"])
                    print(f"{where}: class {r['index']} |browser - native| {diff:.2e}")
                    assert diff <= LITERT_TOLERANCE[variant], (where, r)
                checked += 1
            assert diagnostic(page, "Model file") == t["file"]
    assert checked == sum(len(tflite_variants(manifest, k)) for k in with_tflite(manifest)) * len(manifest["samples"])
    # the int8 file's maps, as the ONNX files' (the last model's last sample)
    page.get_by_label("Show the class activation map on the photo").check()
    expect(page.get_by_role("img", name=re.compile(r"^Class activation map of .*int8"))).to_be_visible()
    assert diagnostic(page, "Execution provider") == "litert"
    assert diagnostic(page, "Threads in use") == "2"
    assert diagnostic(page, "WebAssembly file") == "litert_wasm_threaded_internal.wasm"
    assert diagnostic(page, "Runtime").startswith("litert_wasm_threaded_internal.js (LiteRT.js ")
    assert watch.foreign_requests() == []
    assert watch.errors == []


def test_address_opens_litert_and_only_the_tflite_variants_are_offered(page, site_url, models_dir, manifest):
    keys = with_tflite(manifest)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    open_classifier(page, site_url, f"?backend=litert&model={keys[0]}&variant=int8")
    expect(page.get_by_role("radio", name=re.compile(r"^LiteRT\.js"))).to_be_checked()
    variants = manifest["models"][keys[0]]["variants"]
    t = variants["int8"]["tflite"]
    # the variants that have a .tflite file, each with the size of the file it downloads
    expect(page.get_by_role("radio", name=f"int8 · {fmt_bytes(t['bytes'])}")).to_be_checked()
    expect(page.get_by_role("radio", name=f"fp32 · {fmt_bytes(variants['fp32']['tflite']['bytes'])}")).to_be_enabled()
    expect(page.get_by_role("radio", name=re.compile(r"^fp16\b"))).to_have_count(0)
    if not all(m["pretrained"] for m in manifest["models"].values()):
        page.get_by_text(re.compile(r"^Not classifiers in this build")).click()  # unfold the untrained
    for key in manifest["models"]:
        radio = page.get_by_role("radio", name=re.compile(rf"^{re.escape(shown(manifest, key))}( \(|$)"))
        if key in keys:
            expect(radio).to_be_enabled()
        else:
            expect(radio).to_be_disabled()
    expect(page.get_by_label("Run on the GPU with WebGPU")).to_be_disabled()
    choose_file(page, models_dir / "samples" / "chelsea.png")
    wait_for_answer(page, shown(manifest, keys[0]), "int8")
    assert top5(page)[0][0] in CAT_CLASSES
    # onnxruntime-web's runtime was never fetched: the page started no early worker for it
    assert [u.rsplit("/", 1)[-1] for u in requests if u.endswith((".onnx", ".tflite"))] == [t["file"]]
    assert not any("ort-wasm" in u or "ort.wasm" in u for u in requests)
    # LiteRT.js is this build's default (its .tflite files are there): the address leaves it
    # out, and says which variant is running
    assert page.locator("#lwm-classifier").get_attribute("data-default-runtime") == "litert"
    expect(page).not_to_have_url(re.compile(r"backend="))
    expect(page).to_have_url(re.compile(r"[?&]variant=int8(&|$)"))


def test_switching_runtime_back_and_forth(page, site_url, models_dir, manifest):
    key = with_tflite(manifest)[0]
    open_classifier(page, site_url, f"?model={key}&variant=int8")
    choose_file(page, models_dir / "samples" / "coffee.png")
    wait_for_answer(page, shown(manifest, key), "int8")
    choose_litert(page)
    # the same photo again, with the same variant as a .tflite file
    wait_for_diagnostic(page, "Model file", manifest["models"][key]["variants"]["int8"]["tflite"]["file"])
    wait_for_answer(page, shown(manifest, key), "int8")
    assert diagnostic(page, "Execution provider") == "litert"
    expect(page).not_to_have_url(re.compile(r"backend="))  # the default runtime is left out
    page.get_by_role("radio", name=re.compile(r"^fp32 · ")).check()
    wait_for_answer(page, shown(manifest, key), "fp32")
    page.get_by_role("radio", name="onnxruntime-web").check()
    wait_for_diagnostic(page, "Model file", manifest["models"][key]["variants"]["fp32"]["file"])
    wait_for_answer(page, shown(manifest, key), "fp32")
    assert diagnostic(page, "Execution provider") == "wasm"
    expect(page).to_have_url(re.compile(r"[?&]backend=ort(&|$)"))


def test_a_tflite_file_that_fails_its_checksum_is_refused(page, site_url, models_dir, manifest):
    key = with_tflite(manifest)[0]
    t = manifest["models"][key]["variants"]["int8"]["tflite"]  # the default variant's, the smaller file

    corrupted = []

    def corrupt(route):
        good = route.fetch()
        body = bytearray(good.body())
        body[len(body) // 2] ^= 0xFF  # one flipped byte
        route.fulfill(response=good, body=bytes(body))
        corrupted.append(route.request.url)

    page.route(f"**/models/{t['file']}", corrupt)
    open_classifier(page, site_url, f"?backend=litert&model={key}")
    choose_file(page, models_dir / "samples" / "chelsea.png")
    # two attempts fetch the file: the page's preload of the default model, then the photo's
    # own (classifier.js queues it behind). Both must have been refused before the route goes,
    # or the second one would load the good file by itself and leave no Retry to press.
    for _ in range(600):
        if len(corrupted) >= 2:
            break
        page.wait_for_timeout(100)
    assert len(corrupted) == 2, corrupted
    expect(page.get_by_role("alert").filter(has_text=re.compile(r"failed its checksum.*not used"))).to_be_visible(
        timeout=60_000)
    expect(page.get_by_role("status", name="Model status")).to_have_text("No model loaded.")
    page.unroute(f"**/models/{t['file']}")
    page.get_by_role("button", name="Retry").click()
    wait_for_answer(page, shown(manifest, key), "int8")
    assert top5(page)[0][0] in CAT_CLASSES


def test_a_file_litert_cannot_open_gives_a_clear_error(page, site_url, models_dir, manifest):
    """A file that downloads and verifies but is no LiteRT model (a sample photo)."""
    key = with_tflite(manifest)[0]
    data = (models_dir / "samples" / "chelsea.png").read_bytes()
    edited = json.loads((models_dir / "models.json").read_text())
    edited["models"][key]["variants"]["fp32"]["tflite"].update(
        file="samples/chelsea.png", bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    page.route("**/models/models.json",
               lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(edited)))
    open_classifier(page, site_url, f"?backend=litert&model={key}&variant=fp32")
    expect(page.get_by_role("alert").filter(has_text=re.compile(r"LiteRT\.js could not open"))).to_be_visible(
        timeout=60_000)
    expect(page.get_by_role("status", name="Model status")).to_have_text("No model loaded.")


def test_bad_image_is_refused_then_litert_keeps_working(page, watch, site_url, models_dir, manifest, tmp_path):
    key = with_tflite(manifest)[0]
    fake = tmp_path / "notes.jpg"
    fake.write_text("this is not a picture")
    open_classifier(page, site_url, f"?backend=litert&model={key}")
    choose_file(page, fake)
    alert = page.get_by_role("alert").filter(has_text=re.compile(r"holds text, not an image"))
    expect(alert).to_be_visible()
    expect(results(page)).to_contain_text("not classified")
    choose_file(page, models_dir / "samples" / "chelsea.png")
    wait_for_answer(page, shown(manifest, key), "int8")  # the default variant, as a .tflite file
    assert top5(page)[0][0] in CAT_CLASSES
    expect(alert).to_have_count(0)
    assert watch.foreign_requests() == []
    assert watch.errors == []


def test_a_build_without_tflite_files_offers_onnxruntime_web_only(page, site_url, manifest):
    """The control for the tests above: with no .tflite record in the manifest, the LiteRT.js
    choice is disabled and says why, and ?backend=litert falls back to onnxruntime-web."""
    edited = json.loads(json.dumps(manifest))
    for m in edited["models"].values():
        for v in m["variants"].values():
            v.pop("tflite", None)
    page.route("**/models/models.json",
               lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(edited)))
    key = pretrained(manifest)[0]
    open_classifier(page, site_url, f"?backend=litert&model={key}&variant=fp32")
    expect(page.get_by_role("radio", name=re.compile(r"^LiteRT\.js"))).to_be_disabled()
    expect(page.get_by_role("radio", name="onnxruntime-web")).to_be_checked()
    expect(page.get_by_text("LiteRT.js: this build has no .tflite files.")).to_be_visible()
    classify_sample(page, manifest["samples"][0])
    wait_for_answer(page, shown(manifest, key), "fp32")
    assert diagnostic(page, "Execution provider") == "wasm"


def test_a_second_visit_takes_the_tflite_file_from_the_cache(page, site_url, models_dir, manifest):
    key = with_tflite(manifest)[0]
    t = manifest["models"][key]["variants"]["int8"]["tflite"]  # the default variant's
    fetched = []
    page.on("request", lambda r: r.url.endswith(f"/models/{t['file']}") and fetched.append(r.url))
    timings = page.get_by_role("table", name="Timings")
    download = timings.get_by_role("row", name=re.compile(r"^Download"))
    for visit in ("first", "second"):
        open_classifier(page, site_url, f"?backend=litert&model={key}")
        choose_file(page, models_dir / "samples" / "chelsea.png")
        wait_for_answer(page, shown(manifest, key), "int8")
        if visit == "first":
            expect(download).to_contain_text(fmt_bytes(t["bytes"]))
    expect(download).to_contain_text("from the browser's cache")
    assert len(fetched) == 1, fetched  # verified against its sha256 both times, downloaded once


def test_threads_that_never_start_leave_litert_on_one_thread_with_an_answer(browser, models_dir):
    """LiteRT.js's threaded build starts its threads as workers of the page's worker, as
    onnxruntime-web does, and waits for them (Firefox has been seen never starting such a
    worker). Here the server never answers the threads' script (their requests come from
    workers of a worker, which Playwright's routes do not see): the page must give up on them,
    say so, and answer with LiteRT.js on one thread."""
    import conftest

    with threads_that_never_start(conftest.SITE_DIR, "litert_wasm_threaded_internal.js") as (server, asked):
        context = browser.new_context(service_workers="block")
        shorten_thread_start_limit(context, 4)
        try:
            page = context.new_page()
            open_classifier(page, server.url, "?backend=litert")
            choose_file(page, models_dir / "samples" / "chelsea.png")
            wait_for_answer(page, timeout=90_000)
            assert top5(page)[0][0] in CAT_CLASSES
            note = page.locator("#lwm-isolation-note")
            expect(note).to_contain_text("LiteRT.js's second thread did not start within 4 s")
            expect(note).to_contain_text("WebAssembly runs on one thread")
            assert diagnostic(page, "Execution provider") == "litert"
            assert diagnostic(page, "Threads in use") == "1"
            assert diagnostic(page, "WebAssembly file") == "litert_wasm_internal.wasm"
            assert asked, "no thread asked for its script"
            # the comparison's second worker (LiteRT.js beside onnxruntime-web) falls back the same way
            page = context.new_page()
            open_classifier(page, server.url)
            choose_file(page, models_dir / "samples" / "chelsea.png")
            wait_for_answer(page)
            page.get_by_role("button", name="Compare all models on this image").click()
            expect(page.get_by_role("status", name="Comparison status")).to_contain_text("Compared", timeout=120_000)
            rows = page.get_by_role("table", name="All models on this image").locator('tbody tr[data-runtime="litert"]')
            assert rows.count() > 0
            for i in range(rows.count()):
                assert int(rows.nth(i).get_attribute("data-index")) in CAT_CLASSES
        finally:
            context.close()
