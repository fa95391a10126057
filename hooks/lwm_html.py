"""The HTML pieces every marker builds with: tables, collapsed data tables, citations.

Written once here so that every table on the site is the same markup (Material styles a
table that has no class, as it styles a Markdown table; the wrapper scrolls a wide one).

    table(["Model", "MACs"], [["MobileNetV2", "301 M"]], caption="...")
    details("Data table: latency", table(...))
"""

from __future__ import annotations

import re
from html import escape, unescape


def plain(html: str) -> str:
    """The text of an HTML fragment, for an attribute such as aria-label."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def scroll_wrap(table_html: str, label: str, classes: str = "") -> str:
    """A table in a box that scrolls sideways when it is wider than the column (a phone).

    A box that scrolls must be reachable by keyboard, or a keyboard reader cannot see its
    right-hand columns: tabindex="0" makes it a tab stop (the arrow keys then scroll it), and
    role="region" with the table's name says what the stop is (a plain div may not carry a
    name). ``label`` is plain text: the table's caption, or what the table holds."""
    cls = " ".join(("lwm-table-wrap", classes)).strip()
    return (f'<div class="{cls}" role="region" tabindex="0" aria-label="{escape(plain(label))}">'
            f"{table_html}</div>")


def table(head: list[str], rows: list[list[str]], caption: str = "", nowrap: bool = False,
          label: str = "") -> str:
    """An HTML table without a class, so Material styles it like a Markdown table. Cells are
    HTML already: escape text before it goes in. ``nowrap`` keeps each cell on one line.
    ``label`` names the scrolling box when there is no caption (default: the column headings)."""
    cap = f"<caption>{caption}</caption>" if caption else ""
    th = "".join(f'<th scope="col">{h}</th>' for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return scroll_wrap(f"<table>{cap}<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>",
                       region_name(head, caption, label),
                       "lwm-nowrap" if nowrap else "")


def region_name(head: list[str], caption: str = "", label: str = "") -> str:
    """The name of a table's scrolling box: its caption, else ``label``, else its headings."""
    return caption or label or "Table: " + ", ".join(plain(h) for h in head if plain(h))


def details(summary: str, inner: str) -> str:
    """A collapsed block, as the data table under each chart."""
    return f'<details class="lwm-data"><summary>{escape(summary)}</summary>{inner}</details>'


def cite(citation: dict | None) -> str:
    """A manifest citation, {"text", "url"}, as a link; nothing for none."""
    if not citation:
        return ""
    return f'<a href="{escape(citation["url"])}">{escape(citation["text"])}</a>'
