"""The build id the service worker names its offline cache after (hooks/offline.py).

A new release must get a new cache when any file it ships changes, and keep the old one
when nothing did (a reader's offline copy is not thrown away for nothing).
"""

from __future__ import annotations

import re

import pytest
from mkdocs.exceptions import PluginError

from offline import build_id, stamp

WORKER_SOURCE = "const BUILD_ID = 'unbuilt'; // replaced by hooks/offline.py\nself.addEventListener('fetch', () => {});\n"


@pytest.fixture
def site(tmp_path):
    (tmp_path / "index.html").write_text("<h1>Home</h1>")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "classifier.js").write_text("export {};")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "models.json").write_text('{"models": {}}')
    (tmp_path / "models" / "m.int8.onnx").write_bytes(b"\x01" * 64)
    (tmp_path / "coi-sw.js").write_text(WORKER_SOURCE)
    return tmp_path


def test_any_shipped_file_changes_the_id(site):
    before = build_id(site)
    assert re.fullmatch(r"[0-9a-f]{16}", before)
    assert build_id(site) == before  # the same files, the same id
    for path, change in [
        ("index.html", "<h1>Home, edited</h1>"),
        ("app/classifier.js", "export const x = 1;"),
        ("models/models.json", '{"models": {"m": {}}}'),
        ("app/new.js", "export {};"),
    ]:
        old = (site / path).read_text() if (site / path).exists() else None
        (site / path).write_text(change)
        assert build_id(site) != before, path
        if old is None:
            (site / path).unlink()
        else:
            (site / path).write_text(old)
        assert build_id(site) == before, path
    # a renamed file is a change too
    (site / "app" / "classifier.js").rename(site / "app" / "classify.js")
    assert build_id(site) != before


def test_what_the_id_leaves_out(site):
    before = build_id(site)
    # brotli sidecars are written after the id, from the files it hashed; the sitemaps carry the
    # day's date; a model's bytes are in models.json as its SHA-256
    (site / "index.html.br").write_bytes(b"\x00")
    (site / "sitemap.xml").write_text("<urlset/>")
    (site / "models" / "m.int8.onnx").write_bytes(b"\x02" * 64)
    assert build_id(site) == before


def test_stamped_worker_carries_the_id_of_its_build(site):
    build = build_id(site)
    stamp(site / "coi-sw.js", build)
    assert f"const BUILD_ID = '{build}';" in (site / "coi-sw.js").read_text()
    # the stamp itself is not a change: the built site's id can be computed again
    assert build_id(site) == build
    stamp(site / "coi-sw.js", "0123456789abcdef")
    assert "const BUILD_ID = '0123456789abcdef';" in (site / "coi-sw.js").read_text()


def test_a_worker_without_the_line_fails_the_build(site):
    (site / "coi-sw.js").write_text("self.addEventListener('fetch', () => {});\n")
    with pytest.raises(PluginError, match="BUILD_ID"):
        stamp(site / "coi-sw.js", build_id(site))


def test_the_source_worker_is_stampable_and_names_the_model_store():
    """site_app/coi-sw.js as the hook finds it, and the model store it prunes is modelstore.js's."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    worker = (root / "site_app" / "coi-sw.js").read_text()
    assert len(re.findall(r"^const BUILD_ID = 'unbuilt';", worker, re.MULTILINE)) == 1
    store = re.search(r"^const CACHE_NAME = '([^']+)';", (root / "site_app" / "modelstore.js").read_text(), re.MULTILINE)
    assert re.search(rf"^const MODEL_STORE = '{re.escape(store.group(1))}';", worker, re.MULTILINE)


def test_the_built_worker_carries_the_built_sites_id():
    import conftest

    worker = conftest.SITE_DIR / "coi-sw.js"
    if not worker.is_file():
        pytest.fail(f"{worker} is missing: run `make site` first")
    stamped = re.search(r"^const BUILD_ID = '(\w+)';", worker.read_text(), re.MULTILINE).group(1)
    assert stamped == build_id(conftest.SITE_DIR)
