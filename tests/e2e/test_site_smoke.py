"""The built site loads in headless Chromium, cleanly and without leaving 127.0.0.1."""

import pytest

pytestmark = pytest.mark.e2e


def test_home_page_loads_clean(page, watch, site_url):
    response = page.goto(site_url)
    assert response is not None and response.ok
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Lightweight Models in Deep Learning").is_visible()
    assert watch.errors == []
    assert watch.foreign_requests() == []
    # the page did load its own assets, so the check above looked at real traffic
    assert any(u.endswith(".css") for u in watch.requests)


def test_manifest_is_served_with_the_site(page, site_url, manifest):
    served = page.request.get(site_url + "models/models.json")
    assert served.ok
    assert served.json()["models"].keys() == manifest["models"].keys()
