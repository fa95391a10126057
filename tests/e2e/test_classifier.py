"""The in-browser classifier (docs/classifier.md + site_app/), used as a reader uses it.

Every test opens the page, acts through labelled controls (the file input "Choose an image",
the model and variant radios, the sample buttons) and reads what the page shows: the
results list, the alerts, the diagnostics table. Numbers come from the manifest.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from classifier_page import (
    CAT_CLASSES,
    ESPRESSO,
    LITERT_TOLERANCE,
    TOLERANCE,
    choose_file,
    choose_model,
    classify_sample,
    diagnostic,
    loaded_file,
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
from site_app.browser import serve_in_thread
from lwm_format import fmt_bytes, fmt_count, fmt_ms, fmt_pct, fmt_published_pct

pytestmark = pytest.mark.e2e


# ---------------------------------------------------------------------------------------
# The headline: a reader's photo, the right answer, nothing leaves 127.0.0.1
# ---------------------------------------------------------------------------------------
def test_chelsea_is_a_cat_and_coffee_is_espresso(page, watch, site_url, models_dir, manifest):
    assert "efficientnet_lite0" in pretrained(manifest)
    open_classifier(page, site_url)
    choose_model(page, shown(manifest, "efficientnet_lite0"))

    choose_file(page, models_dir / "samples" / "chelsea.png")
    wait_for_answer(page, shown(manifest, "efficientnet_lite0"))
    assert top5(page)[0][0] in CAT_CLASSES
    expect(results(page)).to_contain_text(manifest["classes"][top5(page)[0][0]])

    choose_file(page, models_dir / "samples" / "coffee.png")
    expect(results(page)).to_contain_text("espresso", timeout=60_000)
    assert top5(page)[0][0] == ESPRESSO

    # every stage is timed and shown
    timings = page.get_by_role("table", name="Timings")
    for stage in ("Download", "SHA-256 check", "Session creation", "Preprocessing", "Inference"):
        expect(timings.get_by_role("row", name=re.compile(rf"^{stage}"))).to_contain_text("ms")

    assert diagnostic(page, "Cross-origin isolated").startswith("yes")
    assert diagnostic(page, "Threads in use") == "2"
    assert diagnostic(page, "WebAssembly file") == "ort-wasm-simd-threaded.wasm"
    assert watch.foreign_requests() == []
    assert watch.errors == []
    # the larger WebGPU runtime was not downloaded by default
    assert not any("webgpu" in u or "asyncify" in u for u in watch.requests)


@pytest.fixture(scope="module")
def site_url_subpath(site_url, tmp_path_factory):
    """The built site under /lightweight-models/, as GitHub Pages serves a project site."""
    import conftest

    root = tmp_path_factory.mktemp("host")
    (root / "index.html").write_text("another site's home page")
    (root / "lightweight-models").symlink_to(conftest.SITE_DIR.resolve(), target_is_directory=True)
    server = serve_in_thread(root, isolate=True)
    yield server.url + "lightweight-models/"
    server.shutdown()


def test_works_under_a_sub_path(page, site_url_subpath, models_dir):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    open_classifier(page, site_url_subpath)
    choose_file(page, models_dir / "samples" / "chelsea.png")
    wait_for_answer(page)
    assert top5(page)[0][0] in CAT_CLASSES
    # the class activation map too
    page.get_by_label("Show the class activation map on the photo").check()
    expect(page.get_by_role("img", name=re.compile(r"^Class activation map of"))).to_be_visible(timeout=30_000)
    # every asset, the worker, the runtime and the model came from under the sub-path
    outside = [u for u in requests if not u.startswith((site_url_subpath, "blob:", "data:"))]
    assert outside == []


def test_one_thread_with_a_note_when_the_page_cannot_be_isolated(browser, site_url_plain, models_dir):
    """A static host without headers, in a browser where service workers are unavailable."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    open_classifier(page, site_url_plain)
    expect(page.get_by_text(re.compile("so WebAssembly runs on one thread"))).to_be_visible()
    choose_file(page, models_dir / "samples" / "chelsea.png")
    wait_for_answer(page)
    assert top5(page)[0][0] in CAT_CLASSES
    assert diagnostic(page, "Cross-origin isolated") == "no"
    assert diagnostic(page, "Threads in use") == "1"
    assert all(u.startswith(("http://127.0.0.1:", "blob:", "data:")) for u in requests)
    context.close()


# Counts the documents the tab has made (full page loads; replaceState on the address is not
# one), in the tab's sessionStorage, which a reload keeps. A "load" event would miss the first
# document when the reload interrupts it before it has finished loading.
COUNT_DOCUMENTS = "if (window === window.top) sessionStorage.lwmDocuments = String(Number(sessionStorage.lwmDocuments || 0) + 1);"


def test_service_worker_isolates_a_static_host_with_one_reload(page, site_url_plain, models_dir):
    page.add_init_script(COUNT_DOCUMENTS)
    documents = lambda: int(page.evaluate("sessionStorage.lwmDocuments"))  # noqa: E731
    open_classifier(page, site_url_plain)
    assert diagnostic(page, "Cross-origin isolated") == "yes (service worker)"
    assert documents() == 2  # the first load, then exactly one reload
    choose_file(page, models_dir / "samples" / "coffee.png")
    wait_for_answer(page)
    assert top5(page)[0][0] == ESPRESSO
    assert diagnostic(page, "Threads in use") == "2"
    # a later visit is isolated at once, with no further reload
    page.reload()
    expect(page.get_by_role("status", name="Classifier status")).to_contain_text("Ready", timeout=30_000)
    assert documents() == 3
    assert diagnostic(page, "Cross-origin isolated") == "yes (service worker)"


# ---------------------------------------------------------------------------------------
# Parity with the export, for every pretrained model and variant
# ---------------------------------------------------------------------------------------
def test_browser_probabilities_match_the_export(page, site_url, manifest):
    open_classifier(page, site_url)
    checked = 0
    for key in pretrained(manifest):
        for variant, v in manifest["models"][key]["variants"].items():
            choose_model(page, shown(manifest, key), variant)
            for sample in manifest["samples"]:
                classify_sample(page, sample)
                wait_for_answer(page, shown(manifest, key), variant)
                got = dict(top5(page))
                ref = v["reference_top5"][sample["id"]]
                where = f"{key} {variant} {sample['id']}"
                assert top5(page)[0][0] == ref[0]["index"], where
                for r in ref:
                    assert abs(got.get(r["index"], 0.0) - r["prob"]) <= TOLERANCE[variant], (where, r)
                checked += 1
    assert checked == sum(len(manifest["models"][k]["variants"]) for k in pretrained(manifest)) * len(manifest["samples"])


def test_compare_all_models_on_one_image(page, site_url, manifest):
    open_classifier(page, site_url)
    chelsea = next(s for s in manifest["samples"] if s["id"] == "chelsea")
    classify_sample(page, chelsea)
    wait_for_answer(page)
    page.get_by_role("button", name="Compare all models on this image").click()
    expect(page.get_by_role("status", name="Comparison status")).to_contain_text("Compared", timeout=120_000)
    table = page.get_by_role("table", name="All models on this image")
    rows = table.locator("tbody tr")
    # every ONNX file with onnxruntime-web, then every .tflite copy with LiteRT.js (a second worker)
    expected = [("ort", k, v) for k in pretrained(manifest) for v in manifest["models"][k]["variants"]]
    expected += [("litert", k, v) for k in pretrained(manifest) for v, f in manifest["models"][k]["variants"].items()
                 if "tflite" in f]
    assert rows.count() == len(expected)
    for i, (runtime, key, variant) in enumerate(expected):
        row = rows.nth(i)
        v = manifest["models"][key]["variants"][variant]
        ref = (v["tflite"] if runtime == "litert" else v)["reference_top5"]["chelsea"][0]
        assert row.get_attribute("data-model") == key and row.get_attribute("data-variant") == variant
        assert row.get_attribute("data-runtime") == runtime
        expect(row.locator("td").nth(1)).to_have_text("LiteRT.js" if runtime == "litert" else "onnxruntime-web")
        assert int(row.get_attribute("data-index")) == ref["index"]
        tolerance = LITERT_TOLERANCE if runtime == "litert" else TOLERANCE
        assert abs(float(row.get_attribute("data-prob")) - ref["prob"]) <= tolerance[variant]
        expect(row).to_contain_text(manifest["classes"][ref["index"]])
        # the real-time column judges the time shown beside it against the manifest's budget
        ms = float(row.get_attribute("data-ms"))
        assert row.locator("td").nth(5).inner_text() == fmt_ms(ms)
        fits = ms <= manifest["realtime"]["budget_ms"]
        assert row.get_attribute("data-realtime") == str(fits).lower()
        expect(row.locator("td").nth(6)).to_have_text("yes" if fits else "no")
        # a small copy of the photo with the model's map of its answer, described in words
        # (the .tflite copies carry the same map outputs as the ONNX files)
        where = row.locator("td").nth(8)
        if manifest["models"][key]["cam"]["kind"] and (runtime == "ort" or v["tflite"].get("maps")):
            thumb = where.get_by_role("img", name=re.compile(rf"^Map of {re.escape(shown(manifest, key))} \({variant}\): "
                                                             r"strongest in the .+ of the photo"))
            expect(thumb).to_be_visible()
            expect(thumb).to_have_attribute("aria-label", re.compile(re.escape(manifest["classes"][ref["index"]])))
        else:
            expect(where).to_contain_text("no map")
    within = sum(rows.nth(i).get_attribute("data-realtime") == "true" for i in range(rows.count()))
    expect(page.get_by_role("status", name="Comparison status")).to_contain_text(
        f"{within} of them classified it within one video frame at {manifest['realtime']['fps']} fps"
    )
    # the reader's own choice is back in the worker afterwards
    expect(page.get_by_role("status", name="Model status")).to_contain_text(
        f"{shown(manifest, pretrained(manifest)[0])} (", timeout=60_000
    )


# ---------------------------------------------------------------------------------------
# The model picker
# ---------------------------------------------------------------------------------------
def test_only_pretrained_models_can_be_chosen(page, site_url, manifest):
    untrained = [k for k, m in manifest["models"].items() if not m["pretrained"]]
    # every build has one: no PyTorch weights are published for MobileNetV1
    assert untrained, "no untrained model in models.json: nothing shows that one cannot be chosen"
    assert pretrained(manifest), "no pretrained model in models.json: nothing can be chosen"
    open_classifier(page, site_url)
    # the untrained ones are folded away (test_classifier_layout.py): unfold them
    page.get_by_text(re.compile(r"^Not classifiers in this build")).click()
    for key, m in manifest["models"].items():
        radio = page.get_by_role("radio", name=re.compile(rf"^{re.escape(shown(manifest, key))}( \(|$)"))
        if m["pretrained"]:
            expect(radio).to_be_enabled()
        else:
            expect(radio).to_be_disabled()
            expect(radio).to_have_accessible_name(re.compile(r" \(untrained in this build: .+\)$"))
    key = pretrained(manifest)[0]
    for variant, v in manifest["models"][key]["variants"].items():
        # each variant shows the size of what it downloads, written as the docs write sizes:
        # with WebAssembly, the pre-optimized copy where there is one (int8)
        size = loaded_file(manifest, key, variant)["bytes"]
        expect(page.get_by_role("radio", name=f"{variant} · {fmt_bytes(size)}")).to_be_visible()


def test_model_card_writes_the_figures_as_the_docs_do(page, site_url, manifest):
    """The card is written in the browser (site_app/format.js), the model's docs page by the
    hooks (lwm_format.py): the same figure must read the same in both."""
    key = pretrained(manifest)[0]
    open_classifier(page, site_url, f"?model={key}&variant=fp32")
    page.get_by_text("Model card", exact=True).click()
    card = page.get_by_role("table", name="Model card")
    entry = manifest["models"][key]
    v = entry["variants"]["fp32"]

    def row(name):
        return card.get_by_role("row", name=re.compile(rf"^{re.escape(name)}")).get_by_role("cell")

    expect(row("Parameters")).to_have_text(f"{fmt_count(entry['params'])} ({entry['params']:,})")
    expect(row("Multiply-accumulates per image")).to_have_text(fmt_count(entry["macs"]))
    expect(row("File (fp32)")).to_have_text(f"{fmt_bytes(v['bytes'])}; {fmt_bytes(v['gzip_bytes'])} gzipped")
    expect(row("Peak activation memory")).to_have_text(fmt_bytes(v["activation_memory_bytes"]))
    expect(row("Top-1 agreement")).to_have_text(fmt_pct(v["validation"]["top1_agreement"]))
    latency = " / ".join(fmt_ms(v["latency_ms"][t]["median_ms"]) for t in ("1", "2"))
    expect(row("Export machine latency")).to_have_text(latency)
    top1 = entry["weights"]["published"]["top1"]
    if top1 is not None:
        expect(row("Published ImageNet top-1")).to_contain_text(f"{fmt_published_pct(top1)} (")


def test_address_preselects_model_and_variant(page, site_url, manifest):
    key = pretrained(manifest)[-1]
    open_classifier(page, site_url, f"?model={key}&variant=fp16")
    expect(page.get_by_role("radio", name=shown(manifest, key), exact=True)).to_be_checked()
    expect(page.get_by_role("radio", name=re.compile(r"^fp16\b"))).to_be_checked()

    untrained = next((k for k, m in manifest["models"].items() if not m["pretrained"]), None)
    if untrained:
        open_classifier(page, site_url, f"?model={untrained}")
        expect(page.get_by_role("status", name="Classifier status")).to_contain_text(f"{shown(manifest, untrained)} is untrained")
        expect(page.get_by_role("radio", name=shown(manifest, pretrained(manifest)[0]), exact=True)).to_be_checked()


def test_keyboard_only(page, site_url, manifest):
    open_classifier(page, site_url)
    first = shown(manifest, pretrained(manifest)[0])
    page.get_by_role("radio", name=first, exact=True).focus()
    page.keyboard.press("Space")
    expect(page.get_by_role("radio", name=first, exact=True)).to_be_checked()
    page.get_by_role("button", name=re.compile("^Classify the sample photo")).first.focus()
    page.keyboard.press("Enter")
    wait_for_answer(page, first)
    page.get_by_role("radio", name=re.compile(r"^fp32\b")).focus()
    page.keyboard.press("ArrowRight")  # the next variant, as radio groups do
    expect(page.get_by_role("radio", name=re.compile(r"^fp16\b"))).to_be_checked()
    wait_for_answer(page, first, "fp16")


# ---------------------------------------------------------------------------------------
# WebGPU: opt-in, and its larger runtime only then
# ---------------------------------------------------------------------------------------
def test_webgpu_is_opt_in(browser_type, browser_type_launch_args, site_url, models_dir, manifest):
    """Chromium's software GPU (SwiftShader) stands in for a real one."""
    args = [a for a in browser_type_launch_args.get("args", []) if a != "--disable-gpu"]
    args += ["--enable-unsafe-webgpu", "--use-angle=swiftshader", "--enable-features=Vulkan"]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    try:
        page = browser.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        open_classifier(page, site_url)
        webgpu = page.get_by_label("Run on the GPU with WebGPU")
        if webgpu.is_disabled():
            pytest.skip("this Chromium offers no WebGPU adapter, not even a software one")
        key = shown(manifest, pretrained(manifest)[0])
        choose_model(page, key, "fp32")
        choose_file(page, models_dir / "samples" / "chelsea.png")
        wait_for_answer(page, key, "fp32")
        assert not any("ort.webgpu" in u or "asyncify" in u for u in requests)

        webgpu.check()
        # the same photo again, once the WebGPU runtime has the model
        wait_for_diagnostic(page, "WebAssembly file", "ort-wasm-simd-threaded.asyncify.wasm", timeout=120_000)
        wait_for_answer(page, key, "fp32", timeout=120_000)
        assert top5(page)[0][0] in CAT_CLASSES
        assert any(u.endswith("vendor/onnxruntime-web/ort.webgpu.min.mjs") for u in requests)
        assert diagnostic(page, "Execution provider") == "webgpu"
    finally:
        browser.close()


def test_a_second_thread_that_never_starts_leaves_one_thread_and_an_answer(browser, models_dir):
    """onnxruntime-web's second thread is a worker of the page's worker; Firefox has been seen
    never starting it, and the runtime then waits for it forever. Here Chromium's second thread
    never gets its script: the page must give up on it, say so, and answer on one thread."""
    import conftest

    with threads_that_never_start(conftest.SITE_DIR, "ort-wasm-simd-threaded.mjs") as (server, asked):
        context = browser.new_context(service_workers="block")  # isolated by the server's headers
        shorten_thread_start_limit(context, 4)
        try:
            page = context.new_page()
            open_classifier(page, server.url)
            choose_file(page, models_dir / "samples" / "coffee.png")
            wait_for_answer(page, timeout=90_000)
            assert top5(page)[0][0] == ESPRESSO
            note = page.locator("#lwm-isolation-note")
            expect(note).to_be_visible()
            expect(note).to_contain_text("onnxruntime-web's second thread did not start within 4 s")
            expect(note).to_contain_text("WebAssembly runs on one thread")
            assert diagnostic(page, "Cross-origin isolated").startswith("yes")  # two threads were possible
            assert diagnostic(page, "Threads in use") == "1"
            assert asked, "no thread asked for its script"
        finally:
            context.close()
