"""MkDocs hook: one rule of the theme's CSS that costs every page two full restyles on load.

Material's palette style sheet stops every transition while the colour scheme changes:
`[data-md-color-switching] * {transition-duration: 0s !important}`. Its script sets that
attribute on <body> when the page starts, and removes it a frame later, even when the scheme
does not change; with a rule on "everything under a [data-md-color-switching]" in the page,
each of the two changes restyles every element (about 1,400 on the EfficientNet page,
twice, in the middle of the page's first second on a phone). Without the rule the page starts
as before; a reader who switches between light and dark sees the colours fade over the
theme's 125-250 ms transitions instead of at once.

The style sheet is edited by exact string, in the built site: a theme upgrade that changes
the rule fails the build rather than ship a page that restyles twice (or a wrong edit).
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError

SWITCHING_RULE = ("[data-md-color-switching] *,[data-md-color-switching] :after,"
                  "[data-md-color-switching] :before{transition-duration:0s!important}")


def drop_switching_rule(css: str) -> str:
    if css.count(SWITCHING_RULE) != 1:
        raise PluginError(f"the theme's palette CSS no longer has {SWITCHING_RULE!r} once: update hooks/theme.py")
    return css.replace(SWITCHING_RULE, "")


def on_post_build(config, **kwargs) -> None:
    sheets = sorted(Path(config["site_dir"], "assets", "stylesheets").glob("palette.*.min.css"))
    if len(sheets) != 1:
        raise PluginError(f"expected one palette.*.min.css in the theme's assets, found {len(sheets)}")
    sheets[0].write_text(drop_switching_rule(sheets[0].read_text(encoding="utf-8")), encoding="utf-8")
