"""The sample gallery: small thumbnails on the page, a full PNG only for the photo clicked.

The PNGs are hundreds of kB each and do not compress; the page must not pay for them before a
reader asks for one. What is classified is still the PNG, so the answer matches the export.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from PIL import Image
from playwright.sync_api import expect

from classifier_page import classify_sample, open_classifier, results, top5, wait_for_answer

pytestmark = pytest.mark.e2e


def gallery_images(page):
    return page.get_by_role("group", name="Sample photos").locator("img")


def wait_for_gallery(page, count):
    """Scroll the gallery into view (its images load lazily) and wait until each has decoded."""
    images = gallery_images(page)
    expect(images).to_have_count(count)
    images.first.scroll_into_view_if_needed()
    page.wait_for_function(
        "(n) => { const imgs = [...document.querySelectorAll('#lwm-gallery img')];"
        " return imgs.length === n && imgs.every((i) => i.complete && i.naturalWidth > 0); }",
        arg=count,
    )
    return images


def test_gallery_shows_thumbnails_and_fetches_a_png_only_on_click(page, watch, site_url, models_dir, manifest):
    samples = manifest["samples"]
    assert samples and all("thumbnail" in s for s in samples), "models.json has no sample thumbnails"
    pngs = {site_url + "models/" + s["file"]: s for s in samples}
    thumbs = [site_url + "models/" + s["thumbnail"] for s in samples]

    open_classifier(page, site_url)
    images = wait_for_gallery(page, len(samples))
    for i, s in enumerate(samples):
        expect(images.nth(i)).to_have_attribute("src", thumbs[i])
        # the layout box is unchanged; the thumbnail holds 2x its pixels
        expect(images.nth(i)).to_have_attribute("width", "96")
        expect(images.nth(i)).to_have_attribute("height", "72")
        with Image.open(models_dir / s["thumbnail"]) as im:
            assert images.nth(i).evaluate("(img) => [img.naturalWidth, img.naturalHeight]") == list(im.size)
    for url in thumbs:
        assert url in watch.requests, f"{url} was not requested"
    assert [u for u in watch.requests if u in pngs] == [], "a full sample PNG was fetched before any click"

    # one click: that sample's PNG, and nothing else of the gallery's full photos
    coffee = next(s for s in samples if s["id"] == "coffee")
    classify_sample(page, coffee)
    wait_for_answer(page)
    assert [u for u in watch.requests if u in pngs] == [site_url + "models/" + coffee["file"]]
    # what was classified is the PNG at full size, not the thumbnail
    with Image.open(models_dir / coffee["file"]) as im:
        w, h = im.size
    expect(page.get_by_role("img", name="The image being classified: coffee.png")).to_be_visible()
    expect(page.get_by_text(f"coffee.png: PNG, {w} × {h} pixels")).to_be_visible()
    got = top5(page)
    assert len(got) == 5
    # the answer is the export's for the model and variant the page chose
    query = parse_qs(urlparse(page.url).query)
    key, variant = query["model"][0], query["variant"][0]
    ref = manifest["models"][key]["variants"][variant]["reference_top5"]["coffee"]
    assert got[0][0] == ref[0]["index"], (key, variant, got, ref)
    expect(results(page)).to_contain_text(manifest["classes"][ref[0]["index"]])
    assert watch.errors == []


def test_gallery_falls_back_to_the_png_without_thumbnails(page, site_url, manifest):
    """A models.json written before thumbnails existed still shows its samples."""
    older = {**manifest, "samples": [{k: v for k, v in s.items() if k != "thumbnail"} for s in manifest["samples"]]}
    page.route(
        re.compile(r".*/models/models\.json$"),
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(older)),
    )
    open_classifier(page, site_url)
    images = wait_for_gallery(page, len(older["samples"]))
    for i, s in enumerate(older["samples"]):
        expect(images.nth(i)).to_have_attribute("src", site_url + "models/" + s["file"])
