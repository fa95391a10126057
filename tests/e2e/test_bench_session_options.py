"""The benchmark times the classifier's configuration: the session options the classifier's
worker really gives onnxruntime-web are the ones benchmarks/latency.py sends its own worker.

The runtime module is wrapped (a routed ort.wasm.min.mjs that records every
InferenceSession.create), so the test reads what the worker did, not what its source says.
"""

from __future__ import annotations

import pytest

from benchmarks.latency import classifier_options
from classifier_page import classify_sample, open_classifier, wait_for_answer

# what these tests change or weigh is what the server sends: no service worker in between
pytestmark = [pytest.mark.e2e, pytest.mark.without_service_worker]


RUNTIME = "ort.wasm.min.mjs"
# the real module under another URL (a query string the route's pattern does not match)
RECORDING_RUNTIME = f"""
import * as ort from './{RUNTIME}?real';
export * from './{RUNTIME}?real';
const create = ort.InferenceSession.create.bind(ort.InferenceSession);
self.lwmCreateOptions = [];
ort.InferenceSession.create = (model, options) => {{
  self.lwmCreateOptions.push(structuredClone(options)); // before the runtime adds its own
  return create(model, options);
}};
"""


def test_the_benchmark_uses_the_options_the_classifier_creates_its_session_with(page, site_url, manifest):
    page.route(f"**/vendor/onnxruntime-web/{RUNTIME}",
               lambda route: route.fulfill(status=200, content_type="text/javascript", body=RECORDING_RUNTIME))
    open_classifier(page, site_url)
    classify_sample(page, manifest["samples"][0])
    wait_for_answer(page)
    worker = next(w for w in page.workers if w.url.endswith("/app/worker.js"))
    created = worker.evaluate("self.lwmCreateOptions")
    # the first session is the runtime's warm-up (an Identity model); the last is the model's
    applied = {k: v for k, v in created[-1].items() if k != "executionProviders"}
    assert applied, "the classifier created its session with no options beside the providers"
    home = page.context.new_page()  # the benchmark reads them on a page at the site's root
    home.goto(site_url)
    assert classifier_options(home) == applied
