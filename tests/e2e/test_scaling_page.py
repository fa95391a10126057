"""The architecture pages' scaling controls (lwm/scaling.py run by Pyodide), as a reader uses
them: nothing of Python loads until a control moves; then the figures are the module's own.
No timings: the wait for Pyodide is generous because the first start takes seconds."""

import pytest
from playwright.sync_api import expect

from lwm import scaling

pytestmark = pytest.mark.e2e

PYTHON_WAIT_MS = 120_000


def python_requests(urls):
    return [u for u in urls if "/vendor/pyodide/" in u or u.endswith("pyodide-worker.js")]


def test_v1_width_half_shows_the_modules_figures(page, site_url):
    urls: list[str] = []
    page.context.on("request", lambda r: urls.append(r.url))
    page.goto(site_url + "architectures/mobilenet_v1/")
    region = page.get_by_role("region", name="What does scaling buy?")
    expect(region).to_be_visible()
    start = scaling.describe("mobilenet_v1", 1.0, 224)
    expect(region).to_contain_text(f"{start['params']:,}")  # built into the page, no Python yet
    page.wait_for_load_state("networkidle")
    assert python_requests(urls) == [], "Pyodide loaded before the reader touched a control"

    width = region.get_by_label("Width multiplier α")
    width.focus()
    for _ in range(10):  # 1.00 -> 0.50 in steps of 0.05, by keyboard
        page.keyboard.press("ArrowLeft")
    expect(region.locator("output").first).to_have_text("α = 0.50")
    half = scaling.describe("mobilenet_v1", 0.5, 224)
    expect(region.locator("p[role=status]")).to_contain_text("α = 0.5, 224 px", timeout=PYTHON_WAIT_MS)
    expect(region).to_contain_text(f"{half['params']:,}")
    expect(region).to_contain_text(f"{half['macs']:,}")
    expect(region).to_contain_text(f"{half['peak_activation_bytes']:,} bytes")
    assert python_requests(urls), "the figures came from Pyodide"
    foreign = [u for u in urls if not u.startswith(("http://127.0.0.1:", "data:", "blob:"))]
    assert foreign == []


def test_v1_chart_places_table_6_and_table_7_with_their_sources(page, site_url):
    page.goto(site_url + "architectures/mobilenet_v1/")
    region = page.get_by_role("region", name="What does scaling buy?")
    points = region.locator("g.lwm-scaling-published")
    expect(points).to_have_count(7)  # Table 6's four widths, Table 7's three smaller resolutions
    titles = points.locator("title").all_text_contents()
    assert sum("Table 6" in t for t in titles) == 4 and sum("Table 7" in t for t in titles) == 3
    assert any(t.startswith("α = 1.0, 128 px: 4.2 M parameters, 186 M mult-adds, top-1 64.4 %") for t in titles)


def _expect_figures(region, d):
    expect(region.locator("dl")).to_contain_text(f"{d['params']:,}")
    expect(region.locator("dl")).to_contain_text(f"{d['macs']:,}")
    expect(region.locator("dl")).to_contain_text(f"{d['peak_activation_bytes']:,} bytes")


def test_efficientnet_phi_and_the_published_models_show_the_modules_figures(page, site_url, watch):
    page.goto(site_url + "architectures/efficientnet/")
    region = page.get_by_role("region", name="What does scaling buy?")
    expect(region).to_be_visible()
    _expect_figures(region, scaling.describe("efficientnet_b0", 1.0, 224, 1.0))  # built into the page
    expect(region.get_by_role("button", name="EfficientNet-B0: w = 1, d = 1, 224 px")).to_have_attribute(
        "aria-pressed", "true")
    page.wait_for_load_state("networkidle")
    assert python_requests(watch.requests) == [], "Pyodide loaded before the reader touched a control"

    # phi = 2 by keyboard (steps of 0.5): Equation 3 sets width, depth and resolution
    phi = region.get_by_label("Compound coefficient φ")
    phi.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    c = scaling.compound(2)
    outputs = region.locator("output")
    expect(outputs.nth(0)).to_have_text("φ = 2")
    expect(outputs.nth(1)).to_have_text(f"w = {c['width_mult']:.2f}")
    expect(outputs.nth(2)).to_have_text(f"d = {c['depth_mult']:.1f}")
    expect(outputs.nth(3)).to_have_text(f"{c['resolution']}×{c['resolution']} px")
    status = region.locator("p[role=status]")
    expect(status).to_contain_text(f"w = {c['width_mult']}, d = {c['depth_mult']}, {c['resolution']} px",
                                   timeout=PYTHON_WAIT_MS)
    _expect_figures(region, scaling.describe("efficientnet_b0", c["width_mult"], c["resolution"], c["depth_mult"]))
    expect(region).to_contain_text("This setting is Equation 3 at φ = 2")
    assert python_requests(watch.requests), "the figures came from Pyodide"

    # B7, the authors' setting: the figures follow, and phi no longer describes the setting
    width, depth, resolution, _ = scaling.EFFICIENTNET_B["B7"]
    b7 = region.get_by_role("button", name=f"EfficientNet-B7: w = {width:g}, d = {depth:g}, {resolution} px")
    b7.click()
    expect(status).to_contain_text(f"w = {width:g}, d = {depth}, {resolution} px", timeout=PYTHON_WAIT_MS)
    _expect_figures(region, scaling.describe("efficientnet_b0", width, resolution, depth))
    expect(b7).to_have_attribute("aria-pressed", "true")
    expect(outputs.nth(0)).to_have_text("φ: none")
    expect(region).to_contain_text("This setting is EfficientNet-B7 as the authors build it.")

    # the chart's published points are the paper's Table 2, each with its source
    titles = region.locator("g.lwm-scaling-published title").all_text_contents()
    assert len(titles) == 8 and all("Table 2" in t for t in titles)
    assert titles[-1].startswith("EfficientNet-B7: 66 M parameters, 37 G mult-adds, top-1 84.3 %")
    assert watch.foreign_requests() == []
    assert watch.errors == []
