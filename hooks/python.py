"""MkDocs hook: put the in-page Python (site_app/py) into the built site as app/py/.

export/catalog.py is copied in as app/py/catalog.py: the Pyodide worker imports the very
module the exporter uses, so the `is_lightweight` rule and the `models` dictionary are
defined once. Pyodide itself is copied from node_modules by hooks/vendor.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError

APP_DIR = Path("site_app/py")
CATALOG = Path("export/catalog.py")
DEST = Path("app/py")
SUFFIXES = {".js", ".py", ".css"}


def on_post_build(config, **kwargs):
    if not APP_DIR.is_dir() or not CATALOG.is_file():
        raise PluginError(f"{APP_DIR} or {CATALOG} not found: run mkdocs from the repository root")
    if (APP_DIR / CATALOG.name).exists():
        raise PluginError(f"{APP_DIR / CATALOG.name} would shadow {CATALOG}: keep one catalog")
    out = Path(config["site_dir"]) / DEST
    out.mkdir(parents=True, exist_ok=True)
    for f in sorted(APP_DIR.iterdir()):
        if f.suffix in SUFFIXES:
            shutil.copy2(f, out / f.name)
    shutil.copy2(CATALOG, out / CATALOG.name)
