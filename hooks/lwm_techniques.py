"""The techniques' measured effects: quantization (file sizes and agreement), the pruning
sweep, and the energy estimate with the published per-operation figures it rests on.

    <!-- quantization-table -->  <!-- pruning -->  <!-- energy-table -->  <!-- horowitz-table -->
    <!-- cache-vs-dram -->  <!-- activations-vs-phone-cache -->  <!-- nas-reward -->
    <!-- energy-moved-table -->  <!-- energy-maps-over-weights -->  <!-- energy-rank-changes -->
    <!-- energy-cache -->  <!-- energy-cache-pj -->
"""

from __future__ import annotations

from html import escape

import lwm_charts
import lwm_energy
import lwm_html
from lwm_context import NOT_MEASURED_UNTRAINED, Context, linked_names, ordered
from lwm_format import fmt_bytes, fmt_count, fmt_energy_pj, fmt_pct

from lwm.constants import VARIANTS

def quantization_table(ctx: Context, arg: str | None) -> str:
    rows = []
    for k in ordered(ctx):
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
    keys = [ctx.model(arg)["name"]] if arg else [k for k in ordered(ctx) if ctx.models[k].get("pruning")]
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
    for k in ordered(ctx):
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


def _moved(ctx: Context, key: str, variant: str) -> lwm_energy.Moved:
    e = ctx.models[key]
    return lwm_energy.estimate_moved(e["macs"], e["variants"][variant]["bytes"], e["layers"], variant)


def _first(ctx: Context, key: str, variant: str) -> lwm_energy.Estimate:
    e = ctx.models[key]
    return lwm_energy.estimate(e["macs"], e["variants"][variant]["bytes"], variant)


def _ranks(ctx: Context, energy) -> dict[str, int]:
    """Each model's place, cheapest first (1), under ``energy(key)``."""
    return {k: i for i, k in enumerate(sorted(ctx.models, key=energy), start=1)}


def energy_moved_table(ctx: Context, arg: str | None) -> str:
    """The second estimate: compute, weights and feature maps, fp32 (with int8's total), and
    each model's place under both estimates."""
    first = _ranks(ctx, lambda k: _first(ctx, k, "fp32").total_pj)
    second = _ranks(ctx, lambda k: _moved(ctx, k, "fp32").total_pj)
    rows = []
    for k in ordered(ctx):
        m = _moved(ctx, k, "fp32")
        cells = [ctx.model_link(k), fmt_energy_pj(m.compute_pj), fmt_energy_pj(m.weights_pj),
                 f"{fmt_energy_pj(m.activations_cache_pj)} + {fmt_energy_pj(m.activations_dram_pj)}",
                 f"<strong>{fmt_energy_pj(m.total_pj)}</strong>",
                 f"{first[k]} → {second[k]}" if first[k] != second[k] else str(first[k])]
        cells.append(fmt_energy_pj(_moved(ctx, k, "int8").total_pj) if "int8" in ctx.models[k]["variants"] else "n/a")
        rows.append(cells)
    return lwm_html.table(
        ["Model", "fp32: compute", "fp32: weights (DRAM)", f"fp32: feature maps (in a {lwm_energy.CACHE_LABEL} cache + DRAM)",
         "fp32: total", "Place, cheapest first: first → second estimate", "int8: total"],
        rows,
        caption=f"Estimated energy per image (not measured), counting the feature maps each layer reads and writes: "
                f"in the cache when they fit in {lwm_energy.CACHE_LABEL}, else from DRAM",
    )


def energy_maps_over_weights(ctx: Context, arg: str | None) -> str:
    """Inline: the models whose feature maps cost more than their weights (fp32), and the others."""
    over = [k for k in ordered(ctx) if _moved(ctx, k, "fp32").activations_pj > _moved(ctx, k, "fp32").weights_pj]
    under = [k for k in ordered(ctx) if k not in over]
    if not over:
        return "for every model here the weights still cost more than the feature maps"
    text = f"the feature maps cost more than the weights for {linked_names(ctx, over)}"
    return text + (f"; the weights still cost more for {linked_names(ctx, under)}" if under else ", every model here")


def energy_rank_changes(ctx: Context, arg: str | None) -> str:
    """Inline: the models whose place among the fp32 estimates moves from the first estimate to
    the second, and the pairs that swap order."""
    first = _ranks(ctx, lambda k: _first(ctx, k, "fp32").total_pj)
    second = _ranks(ctx, lambda k: _moved(ctx, k, "fp32").total_pj)
    moved = [k for k in ordered(ctx) if first[k] != second[k]]
    if not moved:
        return "the two estimates put the models in the same order"
    swaps = [(a, b) for a in ctx.models for b in ctx.models
             if first[a] < first[b] and second[a] > second[b]]
    pairs = "; ".join(f"{ctx.model_link(b)} costs less than {ctx.model_link(a)}" for a, b in
                      sorted(swaps, key=lambda p: (second[p[1]], second[p[0]])))
    return (f"the two estimates place {len(moved)} of the {len(ctx.models)} models differently. "
            f"Counting the feature maps, {pairs}: the first estimate had each of these pairs the other way round")


def energy_cache(ctx: Context, arg: str | None) -> str:
    """Inline: the second estimate's cache size."""
    return lwm_energy.CACHE_LABEL


def energy_cache_pj(ctx: Context, arg: str | None) -> str:
    """Inline: what a 32-bit word costs in that cache, and where the figure comes from."""
    return (f"{lwm_energy.CACHE_READ_32BIT_PJ:g} pJ (half of Horowitz's "
            f"{lwm_energy.HOROWITZ_64BIT_PJ['cache 1 MB']:g} pJ per 64-bit access, as Han et al. halve his others)")


def cache_vs_dram(ctx: Context, arg: str | None) -> str:
    """What a cache read costs against a DRAM read, from Horowitz's 64-bit figures: the ratio
    depends on the cache's size, so one fraction for every cache would mislead."""
    pj = lwm_energy.HOROWITZ_64BIT_PJ
    low, high = pj["dram"]
    parts = []
    for cache in ("8 KB", "1 MB"):
        c = pj[f"cache {cache}"]
        article = "an" if cache[0] == "8" else "a"
        parts.append(f"1/{low / c:.0f} to 1/{high / c:.0f} of the DRAM cost with {article} {cache} cache")
    return (f"{parts[0]} but only {parts[1]} ({pj['cache 8 KB']:g} and {pj['cache 1 MB']:g} pJ per 64-bit "
            f"read against {low / 1000:g} to {high / 1000:g} nJ, "
            f'<a href="{lwm_energy.HOROWITZ_URL}">Horowitz 2014</a>)')


def activations_vs_phone_cache(ctx: Context, arg: str | None) -> str:
    """The largest peak activation on the site beside one phone's measured caches."""
    peak, key = max((e["activation_memory_bytes"], k) for k, e in ctx.models.items())
    cache = lwm_energy.PHONE_CACHE
    verdict = ("larger than every peak activation here" if cache["bytes"] > peak
               else "smaller than the largest peak here")
    return (f"the largest is {ctx.model_link(key)}'s {fmt_bytes(peak)} in fp32, and "
            f"{cache['chip']}, for one, has a {cache['label']} {cache['what']} beside "
            f"{cache['l2_label']} of L2 cache for its performance cores, {verdict} "
            f'(<a href="{cache["url"]}">{escape(cache["source"])}</a>), while a chip with smaller caches, '
            "or other work competing for them, sends more of the maps to DRAM")


# EfficientNet-B0's search reward (Tan and Le 2019, Section 4, after MnasNet): ACC(m) * (FLOPS(m)/T)^w
NAS_TARGET_MFLOPS = 400
NAS_EXPONENT = -0.07


def nas_reward(ctx: Context, arg: str | None) -> str:
    """What the soft penalty asks of a model twice as costly as the target, computed."""
    factor = 2 ** -NAS_EXPONENT  # the accuracy ratio that keeps ACC * (2T/T)^w unchanged
    return (f"a model twice as costly as the target had to be about {100 * (factor - 1):.0f} % more "
            f"accurate, in relative terms ({75 * factor:.1f} % instead of 75 %), to score the same")
