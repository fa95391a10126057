"""The classifier with a keyboard: every control it focuses shows a ring, sits clear of the
sticky header, and comes in the order the tool is read (row by row as it is laid out).

Checked after an answer with its map shown, when the tool has the most controls, on a phone
(390 × 844) and a laptop (1280 × 900). Boxes are CSS pixels of the viewport.
"""

from __future__ import annotations

import pytest

from test_classifier import classify_sample, open_classifier, wait_for_answer

pytestmark = pytest.mark.e2e

# What has the focus: its box, the box of the tool's panel it is in (a grid item of
# .lwm-tool; null outside the tool), the sticky header's bottom, and its focus ring (the
# model chips ring their label).
FOCUSED_JS = """() => {
  const a = document.activeElement;
  const panel = a.closest('.lwm-tool > *');
  const ringed = a.closest('.lwm-chips > label') ?? a;
  const style = getComputedStyle(ringed);
  const r = a.getBoundingClientRect();
  const p = panel?.getBoundingClientRect();
  return {
    name: a.id || a.getAttribute('aria-label') || a.textContent.trim().slice(0, 30) || a.value,
    top: r.top, bottom: r.bottom, height: r.height,
    panel: p ? { top: Math.round(p.top + scrollY), left: Math.round(p.left) } : null,
    header: document.querySelector('.md-header').getBoundingClientRect().bottom,
    viewport: innerHeight,
    ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
  };
}"""


def tab_through_the_tool(page, key="Tab"):
    """Tab (or Shift+Tab) until the focus has been through the tool and left it."""
    seen, inside = [], False
    for _ in range(80):
        page.keyboard.press(key)
        f = page.evaluate(FOCUSED_JS)
        if f["panel"] is None:
            if inside:
                return seen
            continue
        inside = True
        seen.append(f)
    raise AssertionError(f"the focus never left the tool: {[f['name'] for f in seen]}")


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}], ids=["phone", "laptop"])
def test_tab_goes_through_the_tool_in_reading_order_visibly_and_clear_of_the_header(page, site_url, manifest, viewport):
    page.set_viewport_size(viewport)
    open_classifier(page, site_url)
    classify_sample(page, manifest["samples"][0])
    wait_for_answer(page)
    page.get_by_label("Show the class activation map on the photo").check()
    page.evaluate("window.scrollTo(0, 0)")

    page.locator("h1").first.click()
    seen = tab_through_the_tool(page)
    names = [f["name"] for f in seen]
    assert "lwm-file" in names and "lwm-cam-toggle" in names, names
    for f in seen:
        assert f["ring"], f"{f['name']} shows no focus ring"
        # scrolled into view clear of the sticky header, not under it
        assert f["top"] >= f["header"] and f["bottom"] <= f["viewport"], f
    # reading order: the panels row by row (top, then left), never back to an earlier one
    panels = [(f["panel"]["top"], f["panel"]["left"]) for f in seen]
    assert panels == sorted(panels), list(zip(names, panels))

    # and back up with Shift+Tab: the page scrolls up, each control still clear of the header
    back = tab_through_the_tool(page, "Shift+Tab")
    assert [f["name"] for f in back] == names[::-1]
    for f in back:
        assert f["top"] >= f["header"] and f["bottom"] <= f["viewport"], f
