"""A photo given before the classifier is ready is read once it is (a slow network).

The connection is throttled with the DevTools protocol to Chrome's "Fast 4G" (9 Mbit/s down,
60 ms; benchmarks/fast4g.py's profile), and the photo is given the moment the parser has put
the file input in the document, by a script the browser runs before the page's own: long
before classifier.js has loaded, let alone the manifest and the runtime.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from benchmarks.fast4g import throttle
from test_classifier import CAT_CLASSES, ESPRESSO, results, top5, wait_for_answer

pytestmark = pytest.mark.e2e

# Gives `photos` ([base64, name] pairs) to #lwm-file one after another, as a reader's picks
# (input and change events), as soon as the input is in the document; records when.
GIVE_EARLY_JS = """(photos) => {
  const give = (input) => {
    window.lwmPhotosGivenAt = [];
    for (const [b64, name] of photos) {
      const files = new DataTransfer();
      files.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type: 'image/png' }));
      input.files = files.files;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
      window.lwmPhotosGivenAt.push(performance.now());
    }
    // what the page had done by then: its module not yet run, or run
    window.lwmReadyWhenGiven = document.getElementById('lwm-startup').textContent;
  };
  new MutationObserver((records, observer) => {
    const input = document.getElementById('lwm-file');
    if (!input) return;
    observer.disconnect();
    give(input);
  }).observe(document, { childList: true, subtree: true });
}"""


def give_early(page, *paths: Path) -> None:
    import base64

    photos = [[base64.b64encode(p.read_bytes()).decode(), p.name] for p in paths]
    page.add_init_script(f"({GIVE_EARLY_JS})({json.dumps(photos)});")


def test_a_photo_given_before_the_page_is_ready_is_read_on_fast_4g(page, site_url, models_dir):
    throttle(page.context, page)
    give_early(page, models_dir / "samples" / "chelsea.png")
    page.goto(site_url + "classifier/", wait_until="commit")
    page.wait_for_function("() => window.lwmPhotosGivenAt?.length === 1", timeout=60_000)
    # given while the page was still loading: the status had not said "Ready" yet
    assert "Ready" not in page.evaluate("window.lwmReadyWhenGiven")
    wait_for_answer(page, timeout=120_000)
    assert top5(page)[0][0] in CAT_CLASSES
    expect(page.get_by_role("img", name="The image being classified: chelsea.png")).to_be_visible()
    # the status that invited a photo does not stay once one is given
    # (empty, it is not shown at all)
    expect(page.locator("#lwm-startup")).not_to_contain_text("choose an image")


def test_of_two_photos_given_early_the_newest_is_read(page, site_url, models_dir):
    give_early(page, models_dir / "samples" / "chelsea.png", models_dir / "samples" / "coffee.png")
    page.goto(site_url + "classifier/")
    wait_for_answer(page, timeout=120_000)
    assert top5(page)[0][0] == ESPRESSO
    expect(page.get_by_role("img", name="The image being classified: coffee.png")).to_be_visible()
