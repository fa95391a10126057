"""Offline after a visit: the site's service worker (site_app/coi-sw.js) keeps what a reader
opened, and a new release replaces it whole.

A reader on a train: they opened the classifier and got an answer, opened another page, then
lost the network. The pages they opened, the runtime and the model they used still work,
reload included, and the foot of each page says what is kept. The host is a plain static one
(no COOP/COEP headers, as GitHub Pages), where the same worker also isolates the classifier.
"""

from __future__ import annotations

import os
import re
import shutil
import time

import pytest
from playwright.sync_api import expect

from offline import build_id, stamp
from site_app.browser import serve_in_thread
from test_classifier import (
    choose_file,
    classify_sample,
    diagnostic,
    open_classifier,
    results,
    shown,
    top5,
    wait_for_answer,
)

pytestmark = pytest.mark.e2e

HOME = "Lightweight Models in Deep Learning"


def site_caches(page):
    return page.evaluate("caches.keys().then((ns) => ns.filter((n) => n.startsWith('lightweight-models-site-')))")


def offline_word(page):
    word = page.locator("#lwm-offline")
    word.scroll_into_view_if_needed()  # the word is read again when it comes into view
    return word


def answer_matches_export(page, manifest, sample):
    ref_of = {
        (shown(manifest, k), v): m["variants"][v]["reference_top5"][sample["id"]]
        for k, m in manifest["models"].items() if m["pretrained"] for v in m["variants"]
    }
    summary = page.locator("#lwm-results-summary").inner_text()
    name, variant = re.match(r"^(.+) \(([a-z0-9]+)\) says:", summary).groups()
    assert top5(page)[0][0] == ref_of[(name, variant)][0]["index"], (summary, top5(page))
    return name, variant


def test_what_a_reader_opened_works_offline(browser, site_url_plain, manifest, models_dir):
    context = browser.new_context()
    page = context.new_page()
    chelsea, coffee = manifest["samples"][:2]

    open_classifier(page, site_url_plain)
    classify_sample(page, chelsea)
    wait_for_answer(page)
    name, variant = answer_matches_export(page, manifest, chelsea)
    page.goto(site_url_plain)  # another page
    expect(page.get_by_role("heading", name=HOME)).to_be_visible()
    expect(offline_word(page)).to_have_text(
        f"Kept on this device for offline reading: this page and 1 other page; onnxruntime-web; "
        f"1 model ({name} {variant}).", timeout=30_000)

    context.set_offline(True)
    page.goto(site_url_plain + "classifier/?backend=ort")  # the address the reader had (open_classifier's)
    page.reload()
    expect(page.get_by_role("status", name="Classifier status")).to_contain_text("Ready", timeout=60_000)
    # the reader's own photo (from their device: no network needed), and the sample they opened
    choose_file(page, models_dir / "samples" / "coffee.png")
    expect(results(page)).to_contain_text("espresso", timeout=60_000)
    assert answer_matches_export(page, manifest, coffee) == (name, variant)
    classify_sample(page, chelsea)
    expect(page.get_by_label("The image being classified: chelsea.png")).to_be_visible()
    wait_for_answer(page)
    assert answer_matches_export(page, manifest, chelsea) == (name, variant)
    # still isolated by the worker, with no network: two threads
    assert diagnostic(page, "Cross-origin isolated") == "yes (service worker)"
    assert diagnostic(page, "Threads in use") == "2"
    expect(offline_word(page)).to_contain_text("this page and 1 other page")

    page.goto(site_url_plain)
    expect(page.get_by_role("heading", name=HOME)).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name=HOME)).to_be_visible()
    # a page the reader never opened is not there, and the word never claimed it
    with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED|ERR_FAILED"):
        page.goto(site_url_plain + "compare/")
    context.close()


@pytest.fixture
def release(tmp_path):
    """A host whose site can be replaced by a new release: the built site, with its home page
    and service worker as files of their own that a test can change."""
    import conftest

    site = tmp_path / "site"
    site.mkdir()
    own = {"index.html", "coi-sw.js"}
    for entry in conftest.SITE_DIR.iterdir():
        if entry.name in own:
            shutil.copy(entry, site / entry.name)
        elif entry.name.removesuffix(".br") not in own:  # no sidecar: it would be the old file
            (site / entry.name).symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
    (tmp_path / "index.html").write_text("another site's home page")
    server = serve_in_thread(tmp_path, isolate=False)
    yield site, server.url + "site/"
    server.shutdown()


def test_a_new_release_replaces_the_cache(browser, release):
    site, url = release
    first = re.search(r"const BUILD_ID = '(\w+)';", (site / "coi-sw.js").read_text()).group(1)
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    expect(offline_word(page)).to_contain_text("this page", timeout=30_000)
    assert site_caches(page) == [f"lightweight-models-site-{first}"]

    # the new release: a changed page, so a new build id in a new worker
    home = site / "index.html"
    home.write_text(home.read_text().replace("<h1", "<p id='new-release'>Second release</p><h1", 1))
    second = build_id(site)
    assert second != first
    stamp(site / "coi-sw.js", second)
    # released later than the first: the server's Last-Modified has one-second steps
    later = time.time() + 60
    for f in ("index.html", "coi-sw.js"):
        os.utime(site / f, (later, later))

    page.reload()  # the browser checks the worker on a navigation, and finds a new one
    # it installs (filling its cache from the new release), then drops the old cache
    for _ in range(240):
        if site_caches(page) == [f"lightweight-models-site-{second}"]:
            break
        page.wait_for_timeout(250)
    assert site_caches(page) == [f"lightweight-models-site-{second}"]
    # what the reader had kept was fetched again from the new release, and only that is served offline
    context.set_offline(True)
    page.reload()
    expect(page.locator("#new-release")).to_have_text("Second release")
    context.close()
