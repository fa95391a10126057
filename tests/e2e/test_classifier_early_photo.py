"""A photo given before the classifier is ready is read once it is (a slow network).

The connection of the page, its workers and the site's service worker is throttled with the
DevTools protocol to Chrome's "Fast 4G" (site_app/browser.py's Throttle, which
benchmarks/fast4g.py measures with), and the photo is given the moment the parser has put
the file input in the document, by a script the browser runs before the page's own
(give_early): long before classifier.js has run, let alone loaded the manifest and the model.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from classifier_page import CAT_CLASSES, ESPRESSO, top5, wait_for_answer
from site_app.browser import FAST_4G, Throttle, give_early

pytestmark = pytest.mark.e2e


def test_a_photo_given_before_the_page_is_ready_is_read_on_fast_4g(page, site_url, models_dir):
    throttle = Throttle(page.context, page, FAST_4G)
    give_early(page, models_dir / "samples" / "chelsea.png")
    page.goto(site_url + "classifier/", wait_until="commit")
    page.wait_for_function("() => window.lwmGivenEarly?.at.length === 1", timeout=60_000)
    given = page.evaluate("window.lwmGivenEarly")
    # the page's own state when the photo came: classifier.js had not taken the early photo
    # over (it had not run), the status had not said "Ready", no model was loaded
    assert not given["appRunning"], given
    assert "Ready" not in given["startup"], given
    # (the model status comes after the file input in the page: it may not be parsed yet)
    assert given["modelStatus"] is None or given["modelStatus"].startswith("No model loaded yet"), given
    wait_for_answer(page, timeout=120_000)
    assert top5(page)[0][0] in CAT_CLASSES
    expect(page.get_by_role("img", name="The image being classified: chelsea.png")).to_be_visible()
    # the status that invited a photo does not stay once one is given
    # (empty, it is not shown at all)
    expect(page.locator("#lwm-startup")).not_to_contain_text("choose an image")
    # the service worker and the classifier's worker, which fetch the runtime and the model,
    # were on the slow connection too, not only the page
    assert {"worker", "service_worker"} <= {t["type"] for t in throttle.targets}, throttle.targets
    assert all(t["throttled"] for t in throttle.targets if t["type"] == "service_worker"), throttle.targets


def test_of_two_photos_given_early_the_newest_is_read(page, site_url, models_dir):
    give_early(page, models_dir / "samples" / "chelsea.png", models_dir / "samples" / "coffee.png")
    page.goto(site_url + "classifier/")
    wait_for_answer(page, timeout=120_000)
    assert top5(page)[0][0] == ESPRESSO
    expect(page.get_by_role("img", name="The image being classified: coffee.png")).to_be_visible()
