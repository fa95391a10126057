"""One table of formatted figures, held by both formatters: hooks/lwm_format.py (the docs,
written at build time) and site_app/format.js (the classifier page, written in the browser).

The cases are in tests/format_cases.json; the JavaScript runs in Node.js, which `make` needs
anyway (npm ci).

Run: .venv/bin/python -m pytest tests/test_format.py
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

import lwm_format  # hooks/ is on pytest's pythonpath (pyproject.toml)
from nodejs import run_module

CASES = json.loads((ROOT / "tests" / "format_cases.json").read_text())["cases"]
FORMAT_JS = ROOT / "site_app" / "format.js"


def case_id(case: dict) -> str:
    return f"{case['kind']}({', '.join(map(repr, case['args']))})"


def js_name(kind: str) -> str:
    """'published_pct' -> 'fmtPublishedPct'"""
    return "fmt" + "".join(word.capitalize() for word in kind.split("_"))


def run_js(body: str):
    """Run ``body`` in Node.js with site_app/format.js imported as ``format``; its JSON output."""
    return run_module(FORMAT_JS, "format", body)


@pytest.fixture(scope="module")
def js_results() -> list[str]:
    """Every case formatted by site_app/format.js, in one Node.js run."""
    calls = json.dumps([[js_name(c["kind"]), c["args"]] for c in CASES])
    return run_js(f"{calls}.map(([name, args]) => format[name](...args))")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_python_formatter(case):
    fn = getattr(lwm_format, f"fmt_{case['kind']}")
    assert fn(*case["args"]) == case["expected"], case.get("why")


@pytest.mark.parametrize("i", range(len(CASES)), ids=[case_id(c) for c in CASES])
def test_javascript_formatter(js_results, i):
    assert js_results[i] == CASES[i]["expected"], CASES[i].get("why")


def test_the_table_covers_every_formatter_of_the_browser():
    assert set(run_js("Object.keys(format)")) == {js_name(c["kind"]) for c in CASES}
