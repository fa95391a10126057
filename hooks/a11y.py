"""MkDocs hook: what a keyboard or a screen reader needs and the theme leaves out, on every page.

- Material's search is a dialog (role="dialog") with no name: a screen reader announces an
  unnamed dialog. It is named after its own search box. The page is edited by exact string: a
  theme upgrade that changes the markup fails the build rather than ship the dialog unnamed.
- A box that scrolls sideways must be reachable by keyboard, or its right-hand part cannot
  be seen without a mouse. The markers' tables come in such a box already (lwm_html.py's
  scroll_wrap); this puts every Markdown table in the same box, and makes each display
  equation (KaTeX scrolls a wide one) a tab stop named "Equation".
"""

from __future__ import annotations

import re

import lwm_html
from mkdocs.exceptions import PluginError

SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'
NAMED_SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog" aria-label="Search">'

# A Markdown table is a bare <table>; the markers' tables carry a caption, an id or a class, or
# sit in scroll_wrap's box (whose opening tag ends right before the table)
MARKDOWN_TABLE = re.compile(r'(?<!">)<table>(.*?)</table>', re.S)
HEADER_CELL = re.compile(r"<th\b[^>]*>(.*?)</th>", re.S)
DISPLAY_MATH = '<div class="arithmatex">'


def _wrap_markdown_table(match: re.Match) -> str:
    heads = [lwm_html.plain(h) for h in HEADER_CELL.findall(match.group(1))]
    return lwm_html.scroll_wrap(match.group(0), "Table: " + ", ".join(h for h in heads if h))


def on_page_content(html: str, *, page, config, files) -> str:
    html = MARKDOWN_TABLE.sub(_wrap_markdown_table, html)
    return html.replace(DISPLAY_MATH, '<div class="arithmatex" role="region" tabindex="0" aria-label="Equation">')


def on_post_page(output: str, *, page, config) -> str:
    if SEARCH_DIALOG not in output:
        raise PluginError(f"{page.file.src_uri}: the theme's search dialog is not {SEARCH_DIALOG!r}: "
                          "update hooks/a11y.py to name it")
    return output.replace(SEARCH_DIALOG, NAMED_SEARCH_DIALOG, 1)
