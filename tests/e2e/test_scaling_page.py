"""The architecture pages' scaling controls (export/scaling.py run by Pyodide), as a reader uses
them: nothing of Python loads until a control moves; then the figures are the module's own.
No timings: the wait for Pyodide is generous because the first start takes seconds."""

import pytest
from playwright.sync_api import expect

from export import scaling

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
