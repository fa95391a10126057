"""Shared fixtures: the exported manifest, the built site served on 127.0.0.1, Chromium.

The tests read what ``make models`` and ``make site`` produced (build/models, site/); they
never copy a number from the manifest into a test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lwm.constants import models_dir
from site_app.browser import CHROMIUM, CHROMIUM_ARGS, serve_in_thread

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = models_dir(ROOT)
SITE_DIR = ROOT / "site"


@pytest.fixture(scope="session")
def models_dir() -> Path:
    if not (MODELS_DIR / "models.json").is_file():
        pytest.fail(f"{MODELS_DIR}/models.json is missing: run `make models` first")
    return MODELS_DIR


@pytest.fixture(scope="session")
def manifest(models_dir) -> dict:
    return json.loads((models_dir / "models.json").read_text())


def _serve(isolate: bool):
    if not (SITE_DIR / "index.html").is_file():
        pytest.fail(f"{SITE_DIR} has no index.html: run `make site` first")
    return serve_in_thread(SITE_DIR, isolate=isolate)


@pytest.fixture(scope="session")
def site_pages() -> list[str]:
    """Every page of the built site, from the search index MkDocs writes (one entry per page)."""
    index = json.loads((SITE_DIR / "search" / "search_index.json").read_text())
    pages = sorted({doc["location"].split("#")[0] for doc in index["docs"]})
    assert "" in pages and len(pages) > 10, pages
    return pages


@pytest.fixture(scope="session")
def site_url():
    """Base URL of the built site, cross-origin isolated, under a sub-path-free root."""
    server = _serve(isolate=True)
    yield server.url
    server.shutdown()


@pytest.fixture(scope="session")
def site_url_plain():
    """The same site without COOP/COEP, as a static host that sends no headers serves it."""
    server = _serve(isolate=False)
    yield server.url
    server.shutdown()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="module")
def browser_context_args(browser_context_args, request):
    """pytest-playwright's context options; with service workers blocked in a module marked
    ``without_service_worker`` (pytestmark). Module-scoped, so that a module's own shared
    page (tests/e2e/test_exercise.py) can use it too. The site's service worker (offline reading) fetches files on
    the page's behalf, and Playwright's page.route and the DevTools network figures do not see
    a service worker's requests: the tests that change or weigh what the server sends run
    without it (the header server isolates the page without it; tests/e2e/test_offline.py
    tests the worker)."""
    if request.node.get_closest_marker("without_service_worker"):
        return {**browser_context_args, "service_workers": "block"}
    return browser_context_args


class PageWatch:
    """Console errors, page errors and every request URL a page makes."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

    def foreign_requests(self) -> list[str]:
        ok = ("http://127.0.0.1:", "data:", "blob:")
        return [u for u in self.requests if not u.startswith(ok)]


@pytest.fixture
def watch(page) -> PageWatch:
    return PageWatch(page)
