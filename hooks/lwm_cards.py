"""The markers of one model, on its architecture page: its card, its layer table, one figure.

    <!-- model-card: mobilenet_v2 -->      the model's card (measured and published figures)
    <!-- layer-table: mobilenet_v2 -->     one row per block, as the export read it off our PyTorch model
    <!-- value: mobilenet_v2 params -->    one figure inline, formatted like the cards
"""

from __future__ import annotations

from html import escape
from typing import Callable

from markupsafe import Markup
from mkdocs.exceptions import PluginError

import lwm_html
import lwm_templates
from lwm_context import NOT_MEASURED_UNTRAINED, Context, largest, measured, shape_text, variant_latency
from lwm_format import fmt_bytes, fmt_count, fmt_ms, fmt_pct, fmt_published_pct

from lwm.constants import VARIANTS, google_crop_fraction


def model_card(ctx: Context, arg: str | None) -> str:
    """The card, laid out in templates/model_card.html."""
    e = ctx.model(arg)
    return lwm_templates.render(
        "model_card.html", e=e, name=ctx.display_name(e["name"]), w=e["weights"],
        pub=e["weights"]["published"], rule=ctx.manifest["lightweight_rule"], root=ctx.root,
        variants=VARIANTS, not_measured=Markup(NOT_MEASURED_UNTRAINED),
    )


def layer_table(ctx: Context, arg: str | None) -> str:
    e = ctx.model(arg)
    rows = measured(e, "layers")  # export/measure.py's layer_rows, written by the export
    params, macs = sum(r["params"] for r in rows), sum(r["macs"] for r in rows)
    # the card shows the totals beside the rows: a manifest where they disagree is broken
    if (params, macs) != (e["params"], e["macs"]):
        raise PluginError(
            f"layer table of {e['name']} sums to {params} params / {macs} MACs but the manifest "
            f"says {e['params']} / {e['macs']}: the manifest is stale, re-run the export"
        )
    body = [
        [str(i), f"<code>{escape(r['path'])}</code>", escape(r["block"]), escape(r["convs"]),
         shape_text(r["shape"]), fmt_count(r["params"]) if r["params"] else "0",
         fmt_count(r["macs"]) if r["macs"] else "0"]
        for i, r in enumerate(rows, 1)
    ]
    body.append(["", "<strong>total</strong>", "", "", "", f"<strong>{fmt_count(params)}</strong>",
                 f"<strong>{fmt_count(macs)}</strong>"])
    size = e["preprocess"]["input_size"]
    # folded by default: a model's rows are dozens of lines of reference a reader opens on demand,
    # and a closed <details> keeps them out of the page's first layout (EfficientNet has four)
    summary = f"Layer by layer: {ctx.display_name(e['name'])} ({len(rows)} modules)"
    return lwm_html.details(summary, lwm_html.table(
        ["#", "Module", "Block", "Convolutions", "Output (C × H × W)", "Params", "MACs"],
        body,
        caption=f"{escape(ctx.display_name(e['name']))}, one {size}×{size} image, read off the PyTorch model. "
        "Convolutions: k×k kernel, dw = depthwise, /2 = stride 2, SE = squeeze-and-excitation",
        nowrap=True,
    ))


def value(ctx: Context, arg: str | None) -> str:
    """One figure inline: ``<!-- value: resnet50 macs -->``."""
    parts = (arg or "").split()
    if len(parts) != 2:
        raise PluginError(f"value marker needs '<model> <field>', got {arg!r}")
    e = ctx.model(parts[0])
    field = parts[1]
    getters: dict[str, Callable[[dict], str]] = {
        "params": lambda e: fmt_count(e["params"]),
        "macs": lambda e: fmt_count(e["macs"]),
        "depth": lambda e: str(e["depth"]),
        "se-layers": lambda e: str(measured(e, "se_layers")),
        "activations": lambda e: fmt_bytes(e["activation_memory_bytes"]),
        "largest-tensor": lambda e: shape_text(largest(e)["shape"]),
        "largest-tensor-bytes": lambda e: fmt_bytes(largest(e)["bytes"]),
        "published-top1": lambda e: fmt_published_pct(e["weights"]["published"]["top1"]),
        "input-size": lambda e: str(e["preprocess"]["input_size"]),
        **{f"bytes-{v}": (lambda e, v=v: fmt_bytes(e["variants"][v]["bytes"])) for v in VARIANTS},
        **{f"latency-{v}": (lambda e, v=v: fmt_ms(variant_latency(e, v, "1"))) for v in VARIANTS},
    }
    if field not in getters:
        raise PluginError(f"value marker: unknown field {field!r}; known: {', '.join(getters)}")
    return getters[field](e)


def google_crop(ctx: Context, arg: str | None) -> str:
    """Google's evaluation crop for each named model, from its input size:
    ``<!-- google-crop: efficientnet_lite0 efficientnet_lite1 -->`` ->
    '87.5 % for EfficientNet-Lite0 at 224 px and 88.2 % for EfficientNet-Lite1 at 240 px'."""
    keys = (arg or "").split()
    if not keys:
        raise PluginError("google-crop marker needs one or more model names")
    parts = []
    for k in keys:
        size = ctx.model(k)["preprocess"]["input_size"]
        parts.append(f"{fmt_pct(google_crop_fraction(size))} for {escape(ctx.display_name(k))} at {size} px")
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
