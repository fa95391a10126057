"""The classifier's ES modules (site_app/): the page preloads exactly what classifier.js
imports, and no module imports itself back through another (no import cycle).

Read from the sources, no browser: docs/classifier.md's <link rel="modulepreload"> list is
what lets the browser fetch every module at once instead of one import level at a time.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "site_app"
IMPORT = re.compile(r"""^\s*import\s[^'"]*?from\s+['"]\./([\w-]+\.js)['"]""", re.M | re.S)


def imports(name: str) -> list[str]:
    return IMPORT.findall((APP / name).read_text())


def closure(entry: str) -> set[str]:
    seen, todo = set(), [entry]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += imports(name)
    return seen


def test_the_page_preloads_exactly_the_modules_the_classifier_imports():
    page = (ROOT / "docs" / "classifier.md").read_text()
    preloaded = set(re.findall(r'<link rel="modulepreload" href="\.\./app/([\w-]+\.js)">', page))
    assert preloaded == closure("classifier.js")


def test_no_module_of_the_pages_imports_itself_back():
    def visit(name, path):
        assert name not in path, " -> ".join([*path, name])
        for dep in imports(name):
            visit(dep, [*path, name])

    for entry in ("classifier.js", "devicebench.js", "worker.js"):
        visit(entry, [])
