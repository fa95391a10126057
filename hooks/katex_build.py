"""MkDocs hook: the pages' math rendered at build time by KaTeX (hooks/katex_render.cjs).

pymdownx.arithmatex leaves each formula as \\( \\) in <span class="arithmatex"> or \\[ \\] in
<div class="arithmatex">. Rendering them in the reader's browser cost the math pages a 270 kB
script and, on a phone, most of a second of script and layout before the page settled. Here
each page's formulas go to one Node process per build, in one batch, and come back as KaTeX's
HTML (what is drawn) and MathML (what a screen reader reads); the page loads only
katex.min.css and its fonts (hooks/assets.py). A formula KaTeX cannot parse fails the build.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

from mkdocs.exceptions import PluginError

RENDERER = Path(__file__).with_name("katex_render.cjs")
# the opening tag stays as arithmatex wrote it: hooks/a11y.py names the display box after this
FORMULA = re.compile(r'(<span class="arithmatex">)\\\((.*?)\\\)(</span>)|(<div class="arithmatex">)\\\[(.*?)\\\](</div>)', re.S)

_node: subprocess.Popen | None = None


def _renderer() -> subprocess.Popen:
    global _node
    if _node is None or _node.poll() is not None:
        if not Path("node_modules/katex").is_dir():
            raise PluginError("node_modules/katex not found: run `npm ci` first")
        _node = subprocess.Popen(["node", str(RENDERER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 text=True, encoding="utf-8")
    return _node


def render(formulas: list[tuple[str, bool]]) -> list[str]:
    """KaTeX's HTML for each (TeX, display?) pair, in order; PluginError on one it cannot parse."""
    node = _renderer()
    node.stdin.write(json.dumps(formulas) + "\n")
    node.stdin.flush()
    line = node.stdout.readline()
    if not line:
        raise PluginError(f"{RENDERER} stopped without an answer")
    out = json.loads(line)
    bad = [f"{tex!r}: {r['error']}" for (tex, _), r in zip(formulas, out) if isinstance(r, dict)]
    if bad:
        raise PluginError("KaTeX cannot render:\n" + "\n".join(bad))
    return out


def render_math(page_html: str) -> str:
    matches = list(FORMULA.finditer(page_html))
    if not matches:
        return page_html
    done = iter(render([(html.unescape(m.group(2) if m.group(1) else m.group(5)).strip(), not m.group(1))
                        for m in matches]))
    return FORMULA.sub(lambda m: (m.group(1) or m.group(4)) + next(done) + (m.group(3) or m.group(6)), page_html)


def on_page_content(html_: str, *, page, config, files) -> str:
    try:
        return render_math(html_)
    except PluginError as exc:
        raise PluginError(f"{page.file.src_uri}: {exc}") from None


def close() -> None:
    global _node
    if _node is not None:
        _node.stdin.close()
        _node.wait(timeout=10)
        _node = None


def on_post_build(config, **kwargs) -> None:
    close()


def on_build_error(error, **kwargs) -> None:
    close()
