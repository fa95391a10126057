"""MkDocs hook: copy the in-browser classifier (site_app/*.js, *.css) into the built site.

The page docs/classifier.md loads ``app/classifier.js``; every other module is imported
relative to it. The isolation service worker (``coi-sw.js``) goes to the site's root
instead: a service worker only controls pages at or below its own folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError

APP_DIR = Path("site_app")
ROOT_FILES = {"coi-sw.js"}  # served from the site root (service worker scope)


def on_post_build(config, **kwargs):
    site = Path(config["site_dir"])
    files = sorted([*APP_DIR.glob("*.js"), *APP_DIR.glob("*.css")])
    if not any(f.name == "classifier.js" for f in files):
        raise PluginError(f"{APP_DIR}/classifier.js not found")
    out = site / "app"
    out.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copy2(f, (site if f.name in ROOT_FILES else out) / f.name)
