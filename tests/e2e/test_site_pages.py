"""Every page of the built site, read as a reader would: clean loads, cards, navigation, search.

Run: .venv/bin/python -m pytest tests/e2e/test_site_pages.py
(needs `make site`: build/models and site/). Expected numbers are read from the manifest and
formatted by the site's own formatter, never copied into this file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from lwm_format import fmt_bytes, fmt_count, fmt_ms
from export.registry import list_models

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e

SITE = ROOT / "site"


@pytest.fixture(scope="module")
def site_pages() -> list[str]:
    """Every page of the site, from the search index MkDocs writes (one entry per page)."""
    index = json.loads((SITE / "search" / "search_index.json").read_text())
    pages = sorted({doc["location"].split("#")[0] for doc in index["docs"]})
    assert "" in pages and len(pages) > 10, pages  # the home page and the chapter's pages
    return pages


def test_every_page_loads_clean(page, watch, site_url, site_pages):
    problems = {}
    for path in site_pages:
        watch.errors.clear()
        watch.requests.clear()
        response = page.goto(site_url + path)
        page.wait_for_load_state("networkidle")
        found = []
        if response is None or not response.ok:
            found.append(f"HTTP {response and response.status}")
        found += [f"console: {e}" for e in watch.errors]
        found += [f"foreign request: {u}" for u in watch.foreign_requests()]
        if not page.get_by_role("heading", level=1).first.is_visible():
            found.append("no visible h1")
        if found:
            problems[path or "/"] = found
    assert problems == {}


@pytest.mark.parametrize("name", list_models())
def test_architecture_page_shows_the_card_with_manifest_numbers(page, watch, site_url, manifest, name):
    entry = manifest["models"][name]
    page.goto(site_url + entry["docs_page"])  # the page the registry names
    card = page.get_by_role("region", name=f"Model card: {entry['display_name']}")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("id", name)  # family pages link to #<registry key>
    for text in (fmt_count(entry["params"]), fmt_count(entry["macs"]), fmt_bytes(entry["activation_memory_bytes"])):
        expect(card).to_contain_text(text)
    for variant, v in entry["variants"].items():
        expect(card).to_contain_text(fmt_bytes(v["bytes"]))
        expect(card).to_contain_text(fmt_ms(v["latency_ms"]["1"]["median_ms"]))
    try_it = card.get_by_role("link", name=re.compile(r"^Try .* in the classifier$"))
    if entry["pretrained"]:
        expect(try_it).to_have_attribute("href", f"../../classifier/?model={name}")
    elif entry["weights"]["source"] == "none":  # no official weights exist for it at all
        expect(card).to_contain_text("Untrained: not a classifier")
        expect(try_it).to_have_count(0)
    else:
        expect(card).to_contain_text("Untrained in this build: not a classifier")
        expect(try_it).to_have_count(0)
    assert watch.errors == []


def test_navigation_link_leads_to_its_page(page, site_url):
    page.goto(site_url)
    nav = page.get_by_role("navigation", name="Navigation")
    nav.get_by_role("link", name="MobileNetV2", exact=True).click()
    expect(page).to_have_url(re.compile(r"/architectures/mobilenet_v2/$"))
    expect(page.get_by_role("heading", level=1, name="MobileNetV2")).to_be_visible()
    # and onwards from there, through another section of the navigation
    nav.get_by_role("link", name="Compare the models").click()
    expect(page).to_have_url(re.compile(r"/compare/$"))


def test_search_finds_a_page_and_follows_it(page, watch, site_url):
    page.goto(site_url)
    box = page.get_by_role("textbox", name="Search")
    box.click()
    # the SqueezeNet page's own result: other pages name SqueezeNet too, and while the query is
    # still being typed ("fire mo") one of them can be listed first
    result = page.locator("[data-md-component=search-result] a[href*='architectures/squeezenet/']").first
    # the search index loads in a web worker after the page; a query typed before it is
    # ready finds nothing and is not re-run, so type again until the worker answers
    for _ in range(30):
        box.fill("")
        box.press_sequentially("fire module")
        try:
            result.wait_for(state="visible", timeout=1000)
            break
        except PlaywrightTimeoutError:
            continue
    expect(result).to_be_visible()
    result.click()
    expect(page).to_have_url(re.compile(r"/architectures/squeezenet/"))
    expect(page.get_by_role("heading", level=1, name="SqueezeNet")).to_be_visible()
    assert watch.foreign_requests() == []


def test_math_is_rendered_by_katex_at_build_time(page, watch, site_url):
    page.goto(site_url + "architectures/mobilenet_v1/")
    expect(page.locator(".katex").first).to_be_visible()
    expect(page.locator(".katex-error")).to_have_count(0)
    # drawn with KaTeX's fonts, and no script of KaTeX's runs in the page
    page.evaluate("document.fonts.ready")
    assert page.evaluate("""[...document.fonts].some((f) => f.family.replace(/"/g, '') === 'KaTeX_Main'
                                                          && f.status === 'loaded')""")
    assert any("/vendor/katex/katex.min.css" in u for u in watch.requests)
    assert not any(u.endswith(".js") and "katex" in u for u in watch.requests)
    assert watch.errors == []


def test_compare_table_sorts_by_a_column(page, site_url, manifest):
    page.goto(site_url + "compare/")
    table = page.get_by_role("table").filter(has=page.get_by_role("button", name="MACs"))
    header = table.get_by_role("columnheader", name="MACs")
    first_model = table.locator("tbody tr").first.get_by_role("cell").first
    by_macs = sorted(manifest["models"], key=lambda k: manifest["models"][k]["macs"])

    table.get_by_role("button", name="MACs").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(first_model).to_have_text(manifest["models"][by_macs[0]]["display_name"])
    # the button is a real button: the keyboard sorts too
    table.get_by_role("button", name="MACs").press("Enter")
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(first_model).to_have_text(manifest["models"][by_macs[-1]]["display_name"])


def test_chart_has_its_data_table(page, site_url, manifest):
    page.goto(site_url + "compare/")
    expect(page.get_by_role("img", name=re.compile("top-1 accuracy against measured MACs"))).to_be_visible()
    page.get_by_text("Data table: top-1 against MACs").click()
    data = page.locator("details").filter(has_text="Data table: top-1 against MACs").get_by_role("table")
    expect(data).to_be_visible()
    expect(data).to_contain_text(fmt_count(manifest["models"]["resnet50"]["macs"]))
