"""axe-core on every page of the built site and in every state a reader brings a page to.

Run: .venv/bin/python -m pytest tests/e2e/test_accessibility.py
(needs `make site` and node_modules: axe-core is an npm devDependency, pinned in package.json,
injected from node_modules into the page, never from a CDN).

A page passes when axe reports no violation of impact "serious" or "critical" (WCAG A/AA
rules and axe's best practices: contrast, names, keyboard reach of scrolling regions, target
size...). Each page and state is checked at a phone's width (390 px) and a laptop's (1280 px):
the state is reached once, then the viewport is resized and axe runs again, so that a state
that takes a model run is not built twice.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from test_classifier import classify_sample, open_classifier, wait_for_answer

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "site"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"390 px": {"width": 390, "height": 844}, "1280 px": {"width": 1280, "height": 900}}
BLOCKING = ["serious", "critical"]
PYTHON_WAIT_MS = 120_000  # Pyodide's first start on a busy 2-core machine
MODEL_WAIT_MS = 300_000   # every classifying model, or one benchmark, on a busy 2-core machine

# Runs axe on the whole document and returns one line per blocking rule and element, so that
# a failure names what to fix: "color-contrast: .md-header__title (3.76:1)".
AXE_RUN = """async (impacts) => {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  return result.violations
    .filter((v) => impacts.includes(v.impact))
    .flatMap((v) => v.nodes.map((n) => {
      const ratio = n.any.concat(n.all).map((c) => c.data && c.data.contrastRatio).find(Boolean);
      return `${v.id} (${v.impact}): ${n.target.join(' ')}` + (ratio ? ` (${ratio}:1)` : '');
    }));
}"""


# after a resize the theme's transitions run (the sidebar's links fade in at 1280 px): axe
# must read the colours they end at, not a frame in between, so wait for every finite
# animation to finish (a spinner's endless one is left running), then for two frames
SETTLED_JS = """async () => {
  const finite = document.getAnimations().filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity);
  await Promise.all(finite.map((a) => a.finished.catch(() => null)));
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
}"""


def blocking_violations(page) -> list[str]:
    """axe's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN, BLOCKING)


def at_both_widths(page) -> dict[str, list[str]]:
    """The page's state checked at each width; only the widths with violations are returned."""
    found = {}
    for name, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.evaluate(SETTLED_JS)
        if violations := blocking_violations(page):
            found[name] = violations
    return found


def test_axe_is_installed():
    assert AXE.is_file(), f"{AXE} is missing: run `npm ci`"


def test_every_page_as_it_loads(page, site_url, site_pages):
    problems = {}
    for path in site_pages:
        page.goto(site_url + path)
        page.wait_for_load_state("networkidle")
        if found := at_both_widths(page):
            problems[path or "/"] = found
    assert problems == {}


def test_search_dialog_open(page, site_url):
    page.goto(site_url)
    page.get_by_role("textbox", name="Search").click()
    page.keyboard.type("depthwise")
    expect(page.locator("[data-md-component=search-result]")).to_be_visible()
    assert at_both_widths(page) == {}


def test_classifier_after_an_answer_with_the_map_shown(page, site_url, manifest):
    open_classifier(page, site_url)
    classify_sample(page, manifest["samples"][0])
    wait_for_answer(page)
    page.get_by_label("Show the class activation map on the photo").check()
    expect(page.get_by_role("img", name=re.compile(r"^Class activation map of"))).to_be_visible(timeout=30_000)
    assert at_both_widths(page) == {}


def test_classifier_after_comparing_every_model(page, site_url, manifest):
    open_classifier(page, site_url)
    classify_sample(page, manifest["samples"][0])
    wait_for_answer(page)
    page.get_by_role("button", name="Compare all models on this image").click()
    expect(page.get_by_role("status", name="Comparison status")).to_contain_text("Compared", timeout=MODEL_WAIT_MS)
    expect(page.get_by_role("table", name="All models on this image")).to_be_visible()
    assert at_both_widths(page) == {}


def test_exercise_after_a_run(page, site_url):
    page.goto(site_url + "exercise/")
    lesson = page.get_by_role("region", name="Exercise 1: add is_lightweight")
    lesson.get_by_role("button", name="Run").click()  # the starter code: a graded failure, with output
    expect(lesson.get_by_role("status")).not_to_be_empty(timeout=PYTHON_WAIT_MS)
    expect(lesson.get_by_role("button", name="Run")).to_be_enabled(timeout=PYTHON_WAIT_MS)
    assert at_both_widths(page) == {}


def test_efficientnet_after_a_slider_moves(page, site_url):
    page.goto(site_url + "architectures/efficientnet/")
    region = page.get_by_role("region", name="What does scaling buy?")
    region.get_by_label("Compound coefficient φ").focus()
    page.keyboard.press("ArrowRight")
    # the figures come back from Pyodide, which says so
    expect(region.locator("p[role=status]")).to_contain_text("Computed in your browser", timeout=PYTHON_WAIT_MS)
    assert at_both_widths(page) == {}


def test_benchmarks_after_timing_one_small_model(page, site_url, manifest):
    page.goto(site_url + "benchmarks/")
    section = page.locator("#lwm-device")
    for box in section.get_by_role("checkbox").all():
        box.uncheck()
    section.get_by_role("checkbox", name=f"{manifest['models']['squeezenet1_1']['display_name']} int8",
                        exact=True).check()
    section.get_by_role("button", name="Time the selected models here").click()
    section.get_by_role("status").filter(has_text="Timed 1 of 1").wait_for(timeout=MODEL_WAIT_MS)
    assert at_both_widths(page) == {}


# What the focused element shows: its own outline, or (a chip's radio) its label's
FOCUS_RING = """() => {
  const el = document.activeElement;
  const ring = (e) => { const s = getComputedStyle(e);
    return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; };
  const header = document.querySelector('.md-header').getBoundingClientRect();
  const box = el.getBoundingClientRect();
  return { id: el.id || el.getAttribute('aria-label') || el.textContent.trim().slice(0, 40) || el.tagName,
           inside: !!el.closest('#lwm-classifier'), ring: ring(el) || !!(el.closest('label') && ring(el.closest('label'))),
           clear: box.top >= header.bottom - 1 };
}"""


@pytest.mark.parametrize("size", WIDTHS.values(), ids=WIDTHS.keys())
def test_classifier_controls_show_focus_clear_of_the_header(page, site_url, manifest, size):
    """Tab through the classifier after an answer: every control it stops on shows a ring of
    at least 2 px and is scrolled clear of the sticky header (not hidden under it)."""
    page.set_viewport_size(size)
    open_classifier(page, site_url)
    classify_sample(page, manifest["samples"][0])
    wait_for_answer(page)
    # reach the file input by keyboard: a ring shows for Tab, not after a click and a scripted focus
    page.get_by_label("Choose an image").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    stops, problems = [], []
    for _ in range(80):
        now = page.evaluate(FOCUS_RING)
        if not now["inside"]:
            break
        stops.append(now["id"])
        if not (now["ring"] and now["clear"]):
            problems.append(now)
        page.keyboard.press("Tab")
    assert len(stops) > 10, stops  # file input, samples, camera, the map's controls, the model...
    assert problems == []
