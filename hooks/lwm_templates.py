"""The larger blocks of markup, as Jinja templates in hooks/templates/ (MkDocs brings Jinja).

    render("model_card.html", e=entry, ...)    -> one line of HTML, for a marker to return

Two choices make a template's output the markup the Python helpers (lwm_html.py) write:

- A newline and the indentation after it are dropped when a template loads. The templates
  are laid out for reading; the page gets one line, because the block lands in Markdown,
  where an indented line after a blank one is read as code. Text that needs a space at a
  line break keeps it on one line (``</label> {% endfor %}``).
- Autoescaping is on, with html.escape's entities (``&quot;``, ``&#x27;``) rather than
  MarkupSafe's, as every marker's f-strings have it: a value becomes the same bytes whether
  a template or a helper writes it. Markup built in Python (a citation's link) comes in as
  ``Markup`` and is left alone.

A field a template reads that the manifest lacks fails the build (StrictUndefined), as a
missing key does in the helpers.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import jinja2
from jinja2.ext import Extension
from markupsafe import Markup

import lwm_html
from lwm_context import variant_latency
from lwm_format import fmt_bytes, fmt_count, fmt_ms, fmt_pct, fmt_published_pct

TEMPLATES = Path(__file__).resolve().parent / "templates"


class OneLine(Extension):
    """Drops every newline and the indentation that follows it, before the template is parsed."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return re.sub(r"\n[ \t]*", "", source)


def _escape_as_helpers_do(value):
    # runs before autoescaping: a value already escaped here is Markup and passes through
    return value if hasattr(value, "__html__") else Markup(escape(str(value)))


ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    extensions=[OneLine],
    finalize=_escape_as_helpers_do,
)
ENV.filters.update(count=fmt_count, bytes=fmt_bytes, ms=fmt_ms, pct=fmt_pct, published_pct=fmt_published_pct)
ENV.globals.update(
    cite=lambda citation: Markup(lwm_html.cite(citation)),
    latency=variant_latency,
    # the scrolling box's name, as lwm_html.table gives it
    region_name=lambda head, caption, label: lwm_html.plain(lwm_html.region_name(head, str(caption), str(label))),
)


def render(template: str, **values) -> str:
    return ENV.get_template(template).render(**values)
