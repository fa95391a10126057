"""Model files that go wrong, and many switches between models.

A corrupt or missing file gives a clear error and a Retry that works; a corrupt entry in
the browser's cache is thrown away and the file downloaded again; switching models 50
times keeps the page's and the worker's JavaScript heaps bounded and one session open.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from classifier_page import (
    CAT_CLASSES,
    choose_file,
    choose_model,
    diagnostic,
    loaded_file,
    open_classifier,
    pretrained,
    shown,
    top5,
    wait_for_answer,
)

# what these tests change or weigh is what the server sends: no service worker in between
pytestmark = [pytest.mark.e2e, pytest.mark.without_service_worker]


SWITCHES = 50
# Growth allowed over 50 switches, after garbage collection, of the page's and of the
# worker's JavaScript memory (heap plus ArrayBuffer contents), each. One model file is 5 to
# 24 MB: keeping even one buffer per switch would exceed this many times over. (Measured:
# under 1 MB for each.) onnxruntime's WebAssembly memory is not visible to DevTools; that
# every previous session was released is read from the diagnostics panel instead.
HEAP_GROWTH_BOUND = 20e6


def smallest_variant(manifest, key):
    variants = manifest["models"][key]["variants"]
    return min(variants, key=lambda v: variants[v]["bytes"])


def model_pattern(manifest, key, variant):
    return "**/models/" + loaded_file(manifest, key, variant)["file"]


def alert_with(page, pattern):
    return page.get_by_role("alert").filter(has_text=re.compile(pattern))


@pytest.mark.parametrize("fault", ["corrupt", "missing"])
def test_bad_model_file_gives_an_error_and_retry_works(page, site_url, models_dir, manifest, fault):
    key = pretrained(manifest)[0]
    variant = smallest_variant(manifest, key)

    def serve_bad(route):
        if fault == "missing":
            route.fulfill(status=404, body="not found")
            return
        good = route.fetch()
        body = bytearray(good.body())
        body[len(body) // 2] ^= 0xFF  # one flipped byte
        route.fulfill(response=good, body=bytes(body))

    page.route(model_pattern(manifest, key, variant), serve_bad)
    # open on another variant: the page preloads the one it opens on, and that load's error
    # would race the one this test provokes
    other = next(v for v in manifest["models"][key]["variants"] if v != variant)
    open_classifier(page, site_url, f"?model={key}&variant={other}")
    choose_model(page, shown(manifest, key), variant)
    choose_file(page, models_dir / "samples" / "chelsea.png")
    message = r"failed its checksum.*not used" if fault == "corrupt" else r"Could not download .*404"
    expect(alert_with(page, message)).to_be_visible(timeout=60_000)
    expect(page.get_by_role("status", name="Model status")).to_have_text("No model loaded.")

    page.unroute(model_pattern(manifest, key, variant))  # the network recovers
    page.get_by_role("button", name="Retry").click()
    wait_for_answer(page, shown(manifest, key), variant)
    assert top5(page)[0][0] in CAT_CLASSES
    expect(page.get_by_role("button", name="Retry")).to_be_hidden()
    expect(alert_with(page, message)).to_have_count(0)


CORRUPT_CACHE = """async () => {
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) await cache.put(request, new Response('not a model'));
  }
}"""

CACHED_SIZES = """async () => {
  const sizes = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) sizes.push((await (await cache.match(request)).arrayBuffer()).byteLength);
  }
  return sizes;
}"""


def test_corrupt_cache_entry_is_replaced(page, site_url, models_dir, manifest):
    key = pretrained(manifest)[0]
    variant = smallest_variant(manifest, key)
    expected = loaded_file(manifest, key, variant)["bytes"]
    open_classifier(page, site_url)
    choose_model(page, shown(manifest, key), variant)
    choose_file(page, models_dir / "samples" / "chelsea.png")
    wait_for_answer(page, shown(manifest, key), variant)
    assert page.evaluate(CACHED_SIZES) == [expected]

    page.evaluate(CORRUPT_CACHE)  # as if the disk had been damaged
    downloads = []
    page.on("request", lambda r: r.url.endswith(".onnx") and downloads.append(r.url))
    open_classifier(page, site_url)
    choose_model(page, shown(manifest, key), variant)
    choose_file(page, models_dir / "samples" / "chelsea.png")
    wait_for_answer(page, shown(manifest, key), variant)
    assert top5(page)[0][0] in CAT_CLASSES
    assert len(downloads) == 1  # the bad entry was not used: the file came again
    assert page.evaluate(CACHED_SIZES) == [expected]


class WorkerDevTools:
    """The classifier worker's own DevTools session, reached through the page's."""

    def __init__(self, page, cdp, url_suffix):
        self.page, self.cdp, self.replies, self.next_id = page, cdp, {}, 0
        target = next(t for t in cdp.send("Target.getTargets")["targetInfos"] if t["url"].endswith(url_suffix))
        cdp.on("Target.receivedMessageFromTarget", self._receive)
        self.session = cdp.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": False})["sessionId"]

    def _receive(self, event):
        message = json.loads(event["message"])
        if "id" in message:
            self.replies[message["id"]] = message

    def send(self, method):
        self.next_id += 1
        message = {"id": self.next_id, "method": method}
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": self.session, "message": json.dumps(message)})
        for _ in range(200):
            if self.next_id in self.replies:
                return self.replies.pop(self.next_id).get("result", {})
            self.page.wait_for_timeout(25)
        raise TimeoutError(f"the worker did not answer {method}")


def test_fifty_model_switches_keep_memory_bounded(page, site_url, models_dir, manifest):
    key = pretrained(manifest)[0]
    variants = sorted(manifest["models"][key]["variants"], key=lambda v: manifest["models"][key]["variants"][v]["bytes"])[:2]
    open_classifier(page, site_url)
    choose_model(page, shown(manifest, key), variants[0])
    choose_file(page, models_dir / "samples" / "chelsea.png")
    wait_for_answer(page, shown(manifest, key), variants[0])

    cdp = page.context.new_cdp_session(page)
    worker = WorkerDevTools(page, cdp, "app/worker.js")

    def used(usage):
        # the JS heap plus ArrayBuffer contents (model bytes, pixels), which live outside it
        return usage["usedSize"] + usage.get("backingStorageSize", 0)

    def heaps():
        cdp.send("HeapProfiler.collectGarbage")
        worker.send("HeapProfiler.collectGarbage")
        return used(cdp.send("Runtime.getHeapUsage")), used(worker.send("Runtime.getHeapUsage"))

    # one round trip first, so both files are cached and both code paths warm
    choose_model(page, shown(manifest, key), variants[1])
    wait_for_answer(page, shown(manifest, key), variants[1])
    page_before, worker_before = heaps()
    for i in range(SWITCHES):
        variant = variants[i % 2]
        choose_model(page, shown(manifest, key), variant)
        wait_for_answer(page, shown(manifest, key), variant)  # each switch loads the model and classifies
    page_after, worker_after = heaps()

    assert page_after - page_before < HEAP_GROWTH_BOUND, (page_before, page_after)
    assert worker_after - worker_before < HEAP_GROWTH_BOUND, (worker_before, worker_after)
    assert diagnostic(page, "Sessions open") == "1"  # every previous session was released
    assert top5(page)[0][0] in CAT_CLASSES
