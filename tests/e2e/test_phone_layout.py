"""The site on a phone: no page scrolls sideways, wide things scroll in their own box (with a
cue, by keyboard), chart text stays readable, the reader's tools are one tap from the top.

Run: .venv/bin/python -m pytest tests/e2e/test_phone_layout.py -n 0
(needs `make site`). Widths are CSS pixels of the viewport: 320 is the narrowest phone still
sold, 390 today's common one, 1280 a laptop.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lwm_format import fmt_bytes

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "site"
PHONE_HEIGHT = 844
MIN_TEXT_PX = 11  # the smallest chart text a reader can still read at arm's length

# every page's wide things that scroll on their own, and whether each can be reached and is
# marked; code blocks are left to the theme (each is a <pre> the reader can select in)
SCROLL_BOXES_JS = """() => {
  const boxes = [];
  for (const el of document.querySelectorAll('.md-content *')) {
    if (el.closest('pre') || el.scrollWidth <= el.clientWidth + 1) continue;
    // the theme's content tabs: each tab is a focusable label that scrolls itself into view
    if (el.matches('.tabbed-labels')) continue;
    const style = getComputedStyle(el);
    if (!['auto', 'scroll'].includes(style.overflowX) || el.getClientRects().length === 0) continue;
    const cue = getComputedStyle(el).backgroundImage + getComputedStyle(el, '::after').backgroundImage;
    boxes.push({
      what: el.tagName.toLowerCase() + '.' + [...el.classList].join('.'),
      text: el.textContent.trim().slice(0, 40),
      tabindex: el.getAttribute('tabindex'), role: el.getAttribute('role'),
      label: el.getAttribute('aria-label') || '',
      cue: cue.includes('gradient'),
    });
  }
  return boxes;
}"""

# each chart's text as drawn: the computed font size times the SVG's scale at that element
# (getScreenCTM holds the viewBox scale and any rotation), for every visible <text>
CHART_TEXT_JS = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.lwm-chart, svg.lwm-diagram, svg.lwm-scaling-chart')) {
    if (svg.getClientRects().length === 0) continue;  // a closed <details>, a hidden layout
    const name = svg.querySelector('title')?.textContent.slice(0, 50) || svg.getAttribute('class');
    for (const t of svg.querySelectorAll('text')) {
      if (!t.textContent.trim() || t.getClientRects().length === 0) continue;
      const m = t.getScreenCTM();
      const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
      out.push({ chart: name, text: t.textContent.trim().slice(0, 30), px: Math.round(px * 10) / 10 });
    }
  }
  return out;
}"""

# the plot area of each chart with axes (the box the two axis lines span) and the centre of
# every plotted mark, in the chart's own units
MARKS_JS = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.lwm-chart, svg.lwm-scaling-chart')) {
    const axes = [...svg.querySelectorAll('.lwm-axis, .lwm-scaling-axis')].map((l) => l.getBBox());
    if (axes.length < 2) continue;
    const area = {
      x0: Math.min(...axes.map((b) => b.x)), x1: Math.max(...axes.map((b) => b.x + b.width)),
      y0: Math.min(...axes.map((b) => b.y)), y1: Math.max(...axes.map((b) => b.y + b.height)),
    };
    const marks = svg.querySelectorAll(
      '.lwm-point, .lwm-scaling-published :is(circle, rect, polygon), .lwm-scaling-current, polyline');
    for (const m of marks) {
      const points = m.tagName === 'polyline'
        ? [...m.points].map((p) => ({ x: p.x, y: p.y }))
        : [(({ x, y, width, height }) => ({ x: x + width / 2, y: y + height / 2 }))(m.getBBox())];
      for (const p of points) {
        const inside = p.x >= area.x0 - 0.5 && p.x <= area.x1 + 0.5 && p.y >= area.y0 - 0.5 && p.y <= area.y1 + 0.5;
        if (!inside) {
          out.push({ chart: svg.querySelector('title')?.textContent.slice(0, 60) || '',
                     mark: (m.closest('g')?.querySelector('title') || m.querySelector('title'))?.textContent.slice(0, 60) || m.tagName,
                     at: [Math.round(p.x), Math.round(p.y)], area });
        }
      }
    }
  }
  return out;
}"""


def _open(page, url):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")


# the widest element that sticks out of the page, to say what to fix
CULPRIT_JS = """(w) => {
  let worst = null;
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 1 && (!worst || r.width > worst.w)) worst = { what: el.tagName + '.' + [...el.classList].join('.'), w: Math.round(r.width) };
  }
  return worst;
}"""

# the boxes on the first screen that the build makes Tab stops in case they scroll (tables,
# equations, diagrams) and that fit at this width: a Tab stop with nothing to scroll is a stop
# for nothing. (A box away from the screen is not laid out, so not measured: it stays a stop
# until a reader brings it near, docs/javascripts/scroll-boxes.js.)
IDLE_STOPS_JS = """() => [...document.querySelectorAll(
    '.md-typeset .lwm-table-wrap, .md-typeset div.arithmatex, .md-typeset .lwm-diagram-box')]
  .filter((el) => {
    const r = el.getBoundingClientRect();
    return el.hasAttribute('tabindex') && r.height > 0 && r.top < innerHeight && r.bottom > 0
      && el.scrollWidth <= el.clientWidth + 1;
  })
  .map((el) => el.getAttribute('aria-label') || el.className)"""

# how much taller the page's title is than its words: an element that takes room on the
# title's line without showing (its permalink) can push an empty line under it
TITLE_GAP_JS = """() => {
  const h1 = document.querySelector('.md-content h1');
  const words = h1 ? [...h1.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()) : [];
  if (!words.length) return 0;
  const range = document.createRange();
  range.setStartBefore(words[0]);
  range.setEndAfter(words[words.length - 1]);
  return Math.round(h1.getBoundingClientRect().height - range.getBoundingClientRect().height);
}"""

SURVEY_JS = f"""(w) => ({{
  scroll: document.scrollingElement.scrollWidth,
  title_gap: ({TITLE_GAP_JS})(),
  idle_stops: ({IDLE_STOPS_JS})(),
  culprit: document.scrollingElement.scrollWidth > w ? ({CULPRIT_JS})(w) : null,
  boxes: ({SCROLL_BOXES_JS})(),
  texts: ({CHART_TEXT_JS})(),
  marks: ({MARKS_JS})(),
}})"""


@pytest.fixture(scope="module")
def survey(browser, site_url, site_pages):
    """Every page read once at a width (then kept): how wide it scrolls, its scroll boxes,
    its charts' text sizes and the marks outside their axes."""
    done: dict[int, dict] = {}

    def at(width: int) -> dict:
        if width not in done:
            page = browser.new_page(viewport={"width": width, "height": PHONE_HEIGHT})
            done[width] = {}
            for path in site_pages:
                _open(page, site_url + path)
                done[width][path or "/"] = page.evaluate(SURVEY_JS, width)
            page.close()
        return done[width]
    return at


@pytest.mark.parametrize("width", [320, 390])
def test_no_page_scrolls_sideways(survey, width):
    wide = {path: (s["scroll"], s["culprit"]) for path, s in survey(width).items() if s["scroll"] > width}
    assert wide == {}


def test_wide_tables_and_equations_scroll_in_a_marked_box_reached_by_keyboard(survey):
    problems, seen = {}, 0
    for path, s in survey(390).items():
        for box in s["boxes"]:
            seen += 1
            wrong = []
            if box["tabindex"] != "0":
                wrong.append("not focusable")
            if box["role"] != "region" or not box["label"]:
                wrong.append("no named region")
            if not box["cue"]:
                wrong.append("no scroll cue")
            if wrong:
                problems.setdefault(path, []).append((box["what"], box["text"], wrong))
    assert seen > 10, "the layer tables alone scroll at 390 px: the check found nothing to check"
    assert problems == {}


@pytest.mark.parametrize("width", [390, 1280])
def test_a_box_on_the_screen_that_fits_is_no_tab_stop(survey, width):
    pages = survey(width)
    idle = {path: s["idle_stops"] for path, s in pages.items() if s["idle_stops"]}
    assert idle == {}


@pytest.mark.parametrize("width", [320, 390])
def test_no_title_has_an_empty_line_under_it(survey, width):
    gaps = {path: s["title_gap"] for path, s in survey(width).items() if s["title_gap"] > 16}  # a line is ~40 px
    assert gaps == {}


def test_home_table_caption_is_not_cut(page, site_url):
    page.set_viewport_size({"width": 390, "height": PHONE_HEIGHT})
    _open(page, site_url)
    caption = page.locator(".lwm-traits caption")
    expect(caption).to_be_visible()
    # the caption wraps within the screen instead of running off with the table
    box = caption.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box


def test_exercise_evidence_table_has_the_sites_table_style(page, site_url):
    page.set_viewport_size({"width": 390, "height": PHONE_HEIGHT})
    _open(page, site_url + "exercise/")
    table = page.locator("#lightweight-evidence table")
    cell = table.locator("td").first
    # the theme's table: cells padded, so neighbouring numbers never run together
    padding = cell.evaluate("td => parseFloat(getComputedStyle(td).paddingLeft) + parseFloat(getComputedStyle(td).paddingRight)")
    assert padding >= 8
    assert table.locator("th").first.evaluate("th => getComputedStyle(th).textAlign") in ("left", "start")


@pytest.mark.parametrize("width", [390, 1280])
def test_chart_text_is_readable(survey, width):
    smallest, texts = {}, 0
    for path, s in survey(width).items():
        for t in s["texts"]:
            texts += 1
            key = (path, t["chart"])
            if t["px"] < smallest.get(key, (99, ""))[0]:
                smallest[key] = (t["px"], t["text"])
    assert texts > 100, "no chart text found: the selectors no longer match the charts"
    print(f"smallest chart text at {width} px: {min(v[0] for v in smallest.values())} px")
    too_small = {k: v for k, v in smallest.items() if v[0] < MIN_TEXT_PX}
    assert too_small == {}


@pytest.mark.parametrize("width", [390, 1280])
def test_every_plotted_point_lies_inside_its_axes(survey, width):
    outside = [(path, m) for path, s in survey(width).items() for m in s["marks"]]
    assert outside == []


@pytest.mark.parametrize("path, target", [
    ("", "classifier/"),
    ("benchmarks/", "#how-fast-is-it-here-your-own-device"),
    ("architectures/efficientnet/", "#scaling-controls"),
])
def test_the_pages_tool_is_one_tap_from_the_top(page, site_url, path, target):
    page.set_viewport_size({"width": 390, "height": PHONE_HEIGHT})
    _open(page, site_url + path)
    link = page.locator(f'.md-content a[href$="{target}"]').first
    expect(link).to_be_visible()
    assert link.bounding_box()["y"] + link.bounding_box()["height"] <= PHONE_HEIGHT, "not on the first screen"
    link.click()
    if target.startswith("#"):
        tool = page.locator(target)
        expect(tool).to_be_in_viewport()
    else:
        expect(page).to_have_url(re.compile(re.escape(target) + r"(\?.*)?$"))  # the app may add its model


def _pyodide_bytes() -> int:
    """What the first control move downloads: the Pyodide files the site ships (hooks/assets.py)."""
    import sys

    sys.path.insert(0, str(ROOT / "hooks"))
    from assets import ASSETS

    _, dest, names = next(a for a in ASSETS if a[1] == "vendor/pyodide")
    return sum((SITE / dest / n).stat().st_size for n in names)


def test_scaling_says_the_download_before_it_and_never_shows_stale_figures_as_current(page, site_url):
    page.set_viewport_size({"width": 390, "height": PHONE_HEIGHT})
    held = []  # Pyodide's runtime, held back so that the loading state can be read
    page.route(re.compile(r"/vendor/pyodide/pyodide\.asm\.wasm$"), lambda route: held.append(route))
    page.goto(site_url + "architectures/efficientnet/")
    region = page.get_by_role("region", name="What does scaling buy?")
    status = region.locator("p[role=status]")
    expect(status).to_contain_text(fmt_bytes(_pyodide_bytes()))  # said before any download

    figures = region.locator("dl")
    before = figures.text_content()
    phi = region.get_by_label("Compound coefficient φ")
    phi.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # φ = 1
    expect(region.locator("output").first).to_have_text("φ = 1")
    # while Python loads, the old figures are not presented as this setting's
    expect(figures).to_have_attribute("aria-busy", "true")
    expect(status).to_contain_text("w = 1, d = 1, 224 px")  # says whose figures are still shown
    assert figures.text_content() == before
    for route in held:
        route.continue_()
    page.unroute(re.compile(r"/vendor/pyodide/pyodide\.asm\.wasm$"))
    expect(figures).not_to_have_attribute("aria-busy", "true", timeout=120_000)
    assert figures.text_content() != before
