"""The comparison of every model: the sortable table and the charts, each chart with its
data table (the SVG is drawn by lwm_charts.py).

    <!-- compare-table -->
    <!-- chart: top1-vs-macs -->    also bytes, latency
"""

from __future__ import annotations

from html import escape

from mkdocs.exceptions import PluginError

import lwm_charts
import lwm_html
from lwm_context import Context, linked_names, measured, ordered, variant_latency
from lwm_format import fmt_bytes, fmt_count, fmt_ms, fmt_published_pct

from lwm.constants import VARIANTS

def _sortable_cell(text: str, sort_value) -> str:
    return f'<td data-value="{escape(str(sort_value))}">{text}</td>'


def compare_table(ctx: Context, arg: str | None) -> str:
    head = ["Model", "Lightweight", "Pretrained here", "Params", "MACs", "Layers", "fp32 size",
            "int8 size", "Peak activations", "Latency fp32, 1 thread", "Published top-1"]
    rows, cites = [], []
    for key in ordered(ctx):
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
            _sortable_cell(fmt_ms(variant_latency(e, "fp32", "1")), variant_latency(e, "fp32", "1") or -1),
            _sortable_cell(
                f'{fmt_published_pct(top1)} <sup><a href="#cite-{key}">[{len(cites)}]<span class="lwm-sr"> citation for {escape(ctx.display_name(key))}</span></a></sup>',
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
        lwm_html.scroll_wrap(table, "Every exported model")
        + f'<p class="lwm-cites">Published top-1 accuracy, {_whose_top1(ctx, list(ctx.models))}:</p>'
        f'<ol class="lwm-cites">{"".join(cites)}</ol>'
    )


def _whose_top1(ctx: Context, keys: list[str]) -> str:
    """Whose accuracy the figures are: the official weights', and the paper's for a model
    that has no official PyTorch weights (MobileNetV1)."""
    paper_only = [k for k in keys if ctx.models[k]["weights"]["source"] == "none"]
    if not paper_only:
        return "for each model's official weights"
    names = " and ".join(escape(ctx.display_name(k)) for k in paper_only)
    return (f"for each model's official weights; for {names}, which "
            f"{'has' if len(paper_only) == 1 else 'have'} none in PyTorch, the paper's")


def chart(ctx: Context, arg: str | None) -> str:
    kinds = {"top1-vs-macs": _chart_top1, "bytes": _chart_bytes, "latency": _chart_latency}
    if arg not in kinds:
        raise PluginError(f"unknown chart {arg!r}; known: {', '.join(kinds)}")
    return kinds[arg](ctx)


def _chart_top1(ctx: Context) -> str:
    keys = [k for k in ordered(ctx) if ctx.models[k]["weights"]["published"]["top1"] is not None]
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
    caption = f"Accuracy is the figure published {_whose_top1(ctx, keys)}; MACs are counted by our exporter."
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
    keys = ordered(ctx)
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
    keys = ordered(ctx)
    series = [(v, [variant_latency(ctx.models[k], v, "1") for k in keys]) for v in VARIANTS]
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
        fits = [v for v in VARIANTS if v in e["variants"] and _fits_budget(ctx, variant_latency(e, v, "1"))]
        rows.append([ctx.model_link(k)] + [
            f'{fmt_ms(variant_latency(e, v, "1"))} / {fmt_ms(variant_latency(e, v, "2"))}' for v in VARIANTS
        ] + [", ".join(fits) if fits else "none"])
    table = lwm_html.table(["Model", *(f"{v}: 1 / 2 threads" for v in VARIANTS),
                            f"Within {fmt_ms(rt['budget_ms'])} on 1 thread"], rows)
    env = ctx.manifest["environment"]
    # native latency depends on the CPU's instruction sets; manifests from before they were recorded lack them
    features = env.get("cpu_summary") or "instruction-set features not recorded"
    fp32_fits = [k for k in keys if _fits_budget(ctx, variant_latency(ctx.models[k], "fp32", "1"))]
    misses = [k for k in keys if k not in fp32_fits]
    verdict = (f"{len(fp32_fits)} of the {len(keys)} fp32 files fit one frame at "
               f'<a href="{escape(rt["url"])}" title="{escape(rt["source"])}">{rt["fps"]} fps</a> '
               f"({fmt_ms(rt['budget_ms'])}) on one thread of this CPU"
               + (f"; {linked_names(ctx, misses)} do not." if len(misses) > 1 else
                  f"; {linked_names(ctx, misses)} does not." if misses else "."))
    caption = (
        f"Median of timed runs, onnxruntime {escape(str(env.get('onnxruntime')))} CPU execution provider on "
        f"{escape(str(env.get('cpu') or env.get('machine')))} ({escape(features)}; "
        f"{escape(str(env.get('cpu_count')))} cores), batch 1. {verdict}"
    )
    return f'<figure class="lwm-figure">{svg}<figcaption>{caption}</figcaption></figure>{lwm_html.details("Data table: latency", table)}'


def cam_table(ctx: Context, arg: str | None) -> str:
    """Where each model's class activation map comes from and what it costs (export/cam.py):
    the head it reads, the feature grid, its multiply-accumulates and bytes, and how closely
    the files' maps follow PyTorch's."""
    rows = []
    for key in ordered(ctx):
        e = ctx.models[key]
        c = measured(e, "cam")
        if not c["kind"]:
            rows.append([ctx.model_link(key), f"none: {escape(c['reason'])}", "—", "—", "—", "—"])
            continue
        k, h, w = c["features"]
        how = ("the features weighted by the class's row of the linear layer" if c["kind"] == "linear"
               else "the class's own channel of the last convolution")
        macs = f"{fmt_count(c['macs'])} ({100 * c['macs'] / e['macs']:.2f} % of the model)" if c["macs"] else "0 (a copy)"
        parity = " / ".join(
            "—" if e["variants"][v]["cam"]["min_correlation"] is None
            else f"{e['variants'][v]['cam']['min_correlation']:.3f}"
            for v in VARIANTS if v in e["variants"]
        )
        rows.append([
            ctx.model_link(key),
            how,
            f"{k} × {h} × {w}",
            macs,
            " / ".join(fmt_bytes(c["extra_bytes"][v]) for v in VARIANTS if v in c["extra_bytes"]),
            parity,
        ])
    head = ["Model", "The map of a class is", "Last features (channels × grid)", "Extra MACs for five maps",
            f"Extra bytes ({' / '.join(VARIANTS)})", f"Lowest correlation with PyTorch ({' / '.join(VARIANTS)})"]
    return lwm_html.table(head, rows, caption="Class activation maps in the exported files (sample photos; "
                          "— where an untrained network's maps are constant)")


def cam_grids(ctx: Context, arg: str | None) -> str:
    """The grid each model's maps are drawn on, from the features the export recorded:
    '7 × 7 (A, B and C, at 224 px), 8 × 8 (D, at 240 px)', coarsest grid first."""
    groups: dict[tuple[int, int], dict[int, list[str]]] = {}
    for k in ordered(ctx):
        c = measured(ctx.models[k], "cam")
        if c["kind"]:
            _, h, w = c["features"]
            size = ctx.models[k]["preprocess"]["input_size"]
            groups.setdefault((h, w), {}).setdefault(size, []).append(k)
    parts = []
    for (h, w), by_size in sorted(groups.items()):
        names = "; ".join(f"{linked_names(ctx, keys)}, at {size} px" for size, keys in sorted(by_size.items()))
        parts.append(f"{h} × {w} ({names})")
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
