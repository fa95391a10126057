"""The HTML pieces every marker builds with: tables, collapsed data tables, citations.

Written once here so that every table on the site is the same markup (Material styles a
table that has no class, as it styles a Markdown table; the wrapper scrolls a wide one).

    table(["Model", "MACs"], [["MobileNetV2", "301 M"]], caption="...")
    details("Data table: latency", table(...))
"""

from __future__ import annotations

from html import escape


def table(head: list[str], rows: list[list[str]], caption: str = "", nowrap: bool = False) -> str:
    """An HTML table without a class, so Material styles it like a Markdown table. Cells are
    HTML already: escape text before it goes in. ``nowrap`` keeps each cell on one line."""
    cap = f"<caption>{caption}</caption>" if caption else ""
    th = "".join(f'<th scope="col">{h}</th>' for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    wrap = "lwm-table-wrap lwm-nowrap" if nowrap else "lwm-table-wrap"
    return f'<div class="{wrap}"><table>{cap}<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>'


def details(summary: str, inner: str) -> str:
    """A collapsed block, as the data table under each chart."""
    return f'<details class="lwm-data"><summary>{escape(summary)}</summary>{inner}</details>'


def cite(citation: dict | None) -> str:
    """A manifest citation, {"text", "url"}, as a link; nothing for none."""
    if not citation:
        return ""
    return f'<a href="{escape(citation["url"])}">{escape(citation["text"])}</a>'
