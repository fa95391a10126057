"""The classifier page's layout, checked by geometry: the tool comes before the prose.

On a phone (390 × 844) the photo inputs are on the first screen and the answer comes right
after them; on a laptop (1280 × 800) the image and its answer sit side by side on the first
screen. Untrained models are listed, but folded away in a collapsed group. Boxes are CSS
pixels of the page scrolled to the top, as Playwright's bounding_box() gives them.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from classifier_page import classify_sample, open_classifier, pretrained, results, shown, wait_for_answer

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


def box(locator):
    b = locator.bounding_box()
    assert b is not None, f"{locator} is not rendered"
    return b


def on_first_screen(b, viewport):
    return b["y"] >= 0 and b["y"] + b["height"] <= viewport["height"] and b["x"] + b["width"] <= viewport["width"]


def side_by_side(left, right):
    """Same row (their heights overlap), left entirely before right (no overlap)."""
    same_row = left["y"] < right["y"] + right["height"] and right["y"] < left["y"] + left["height"]
    return same_row and left["x"] + left["width"] <= right["x"]


def untrained_group(page):
    return page.locator("details").filter(has=page.get_by_text(re.compile(r"^Not classifiers in this build")))


def first_sample_button(page):
    return page.get_by_role("button", name=re.compile("^Classify the sample photo")).first


def test_on_a_phone_the_inputs_are_on_the_first_screen_and_the_answer_follows(page, site_url, manifest):
    page.set_viewport_size(PHONE)
    open_classifier(page, site_url)
    page.evaluate("window.scrollTo(0, 0)")
    assert on_first_screen(box(page.get_by_label("Choose an image")), PHONE)
    assert on_first_screen(box(first_sample_button(page)), PHONE)

    classify_sample(page, manifest["samples"][0])
    wait_for_answer(page)
    page.evaluate("window.scrollTo(0, 0)")
    inputs = box(page.get_by_role("group", name="Sample photos"))
    answer = box(results(page))
    # in this order down the page: the inputs, the answer, the image, the model picker
    image = box(page.get_by_role("img", name=re.compile("^The image being classified")))
    models = box(page.get_by_role("radio", name=shown(manifest, pretrained(manifest)[0]), exact=True))
    assert inputs["y"] + inputs["height"] <= answer["y"] < image["y"] < models["y"]
    # one column: nothing sticks out sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_on_a_laptop_image_and_answer_are_side_by_side_on_the_first_screen(page, site_url, manifest):
    page.set_viewport_size(LAPTOP)
    open_classifier(page, site_url)
    page.evaluate("window.scrollTo(0, 0)")
    assert on_first_screen(box(page.get_by_label("Choose an image")), LAPTOP)
    assert on_first_screen(box(page.get_by_role("radio", name=shown(manifest, pretrained(manifest)[0]), exact=True)), LAPTOP)

    classify_sample(page, manifest["samples"][0])
    wait_for_answer(page)
    page.evaluate("window.scrollTo(0, 0)")
    image = box(page.get_by_role("img", name=re.compile("^The image being classified")))
    top5 = box(results(page).get_by_role("list"))
    assert side_by_side(image, top5), (image, top5)
    assert on_first_screen(image, LAPTOP) and on_first_screen(top5, LAPTOP), (image, top5)


def test_untrained_models_are_folded_away_in_a_collapsed_group(page, site_url, manifest):
    untrained = [shown(manifest, k) for k, m in manifest["models"].items() if not m["pretrained"]]
    open_classifier(page, site_url)
    group = untrained_group(page)
    if not untrained:
        expect(group).to_be_hidden()
        return
    expect(group).to_be_visible()
    expect(group).not_to_have_attribute("open", re.compile(".*"))  # collapsed by default
    expect(group.get_by_role("radio")).to_have_count(0)  # its radios are not shown
    for key in pretrained(manifest):  # the classifiers stay outside it, in view
        expect(page.get_by_role("radio", name=shown(manifest, key), exact=True)).to_be_visible()

    group.get_by_text(re.compile(r"^Not classifiers in this build")).click()
    expect(group).to_have_attribute("open", "")
    radios = group.get_by_role("radio")
    expect(radios).to_have_count(len(untrained))
    for radio, name in zip(radios.all(), untrained):
        expect(radio).to_be_disabled()
        expect(radio).to_have_accessible_name(re.compile(rf"^{re.escape(name)} \(untrained in this build: .+\)$"))
