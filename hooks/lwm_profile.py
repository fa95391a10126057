"""Where the time goes: MACs share against time share, and the roofline, from the fp32 profile.

    <!-- time-split: mobilenet_v2 -->   one model: each kind's share of the MACs and of the time
    <!-- roofline: mobilenet_v2 -->     one model: its kinds on this machine's roofline, explained
    <!-- time-gap -->                   Compare: every model's split, and why MACs are not time

Every figure is read from the manifest: the layer rows' parts (MACs and elements moved, per
kind, export/profile.py's layer_parts) and the fp32 variant's profile (each kind's kernel
time on one thread, with the machine's ceilings measured beside it).
"""

from __future__ import annotations

from html import escape

from mkdocs.exceptions import PluginError

import lwm_charts
import lwm_html
from lwm_context import Context, measured, ordered, variant_latency
from lwm_format import fmt_count, fmt_pct, fmt_ratio

from lwm.constants import LAYER_KINDS

# short names: a phone's chart has room for about a dozen characters beside a bar
KIND_LABELS = {
    "depthwise": "depthwise",
    "pointwise_expand": "1×1 expand",
    "pointwise_project": "1×1 project",
    "conv": "other conv",
    "squeeze_excite": "SE",
    "elementwise": "activations",
    "pool_head": "pool + head",
    "layout": "layout",
}
# what each short name stands for, under the charts
KIND_MEANING = {
    "depthwise": "depthwise convolutions (one k×k filter per channel)",
    "pointwise_expand": "1×1 convolutions with more channels out than in",
    "pointwise_project": "1×1 convolutions with as many or fewer channels out",
    "conv": "every other convolution: the stems, ResNet's and SqueezeNet's 3×3",
    "squeeze_excite": "squeeze-and-excitation: its pooling, two small layers, gate and multiply",
    "elementwise": "activations, additions and concatenations the runtime did not fuse into a convolution",
    "pool_head": "pooling, flattening and the classifier",
    "layout": "layout changes and casts the runtime inserts between its kernels",
}
FP32_BYTES = 4  # the profile is of the fp32 file: every element moved is four bytes


def profile(e: dict) -> dict:
    prof = measured(e, "variants")["fp32"].get("profile")
    if prof is None:
        raise PluginError(f"{e['name']}'s fp32 variant has no profile: it predates it, re-run the export")
    return prof


def kind_parts(e: dict) -> dict[str, dict]:
    """The model's parts summed over its rows: {kind: {macs, weights, reads, writes}}."""
    out: dict[str, dict] = {}
    for row in measured(e, "layers"):
        for p in row["parts"]:
            t = out.setdefault(p["kind"], {"macs": 0, "weights": 0, "reads": 0, "writes": 0})
            for k in t:
                t[k] += p[k]
    return out


def shares(e: dict) -> dict[str, tuple[float, float]]:
    """{kind: (share of the MACs, share of the profiled kernel time)}; each column sums to 1."""
    parts, prof = kind_parts(e), profile(e)
    return {k: (parts.get(k, {}).get("macs", 0) / e["macs"], prof["kinds"][k] / prof["kernels_us"])
            for k in LAYER_KINDS}


def bytes_moved(part: dict, itemsize: int = FP32_BYTES) -> int:
    """Weights and activations read and written, at ``itemsize`` bytes an element."""
    return (part["weights"] + part["reads"] + part["writes"]) * itemsize


def intensity(part: dict) -> float:
    """Arithmetic intensity: MACs per byte moved (fp32)."""
    return part["macs"] / bytes_moved(part)


def attained_gmacs(e: dict, kind: str) -> float:
    """The kind's MACs over its profiled time, 1e9 MACs per second."""
    return kind_parts(e)[kind]["macs"] / profile(e)["kinds"][kind] / 1e3


def roofline_points(e: dict) -> list[dict]:
    """The kinds with arithmetic, each {kind, intensity, gmacs, roof, cache_roof}: where it
    sits, and the most this machine allows at its intensity when its bytes come from memory
    and when they stay in the core's cache."""
    c = profile(e)["ceilings"]
    out = []
    for kind, part in kind_parts(e).items():
        if part["macs"] and profile(e)["kinds"][kind] > 0:
            ai = intensity(part)
            out.append({"kind": kind, "intensity": ai, "gmacs": attained_gmacs(e, kind),
                        "roof": min(c["compute_gmacs"], c["bandwidth_gbs"] * ai),
                        "cache_roof": min(c["compute_gmacs"], c["cache_bandwidth_gbs"] * ai)})
    return sorted(out, key=lambda p: LAYER_KINDS.index(p["kind"]))


def _used_kinds(e: dict) -> list[str]:
    s = shares(e)
    return [k for k in LAYER_KINDS if s[k][0] > 0.0005 or s[k][1] > 0.0005]


def time_split(ctx: Context, arg: str | None) -> str:
    """One model: each kind's share of the MACs and of the fp32 time on one thread."""
    e = ctx.model(arg)
    s, name, kinds = shares(e), ctx.display_name(e["name"]), _used_kinds(e)
    svg = lwm_charts.grouped_bars(
        f"chart-time-split-{e['name']}", f"{name}: share of the MACs and of the time, by kind of layer",
        f"Horizontal bars: for each kind of layer in {name}, its share of the multiply-accumulates and its share "
        "of the time of one fp32 inference on one CPU thread.",
        [KIND_LABELS[k] for k in kinds], [("share of MACs", [s[k][0] for k in kinds]),
                                          ("share of time", [s[k][1] for k in kinds])],
        "share of the model (%)", lambda v: fmt_pct(v, 0) if v >= 0.1 or v == 0 else fmt_pct(v),
    )
    prof, parts = profile(e), kind_parts(e)
    rows = [[escape(KIND_LABELS[k]), escape(KIND_MEANING[k]), fmt_count(parts.get(k, {}).get("macs", 0)),
             fmt_pct(s[k][0]), f"{prof['kinds'][k] / 1000:.2f} ms", fmt_pct(s[k][1])] for k in kinds]
    table = lwm_html.table(["Kind", "What it is", "MACs", "of the MACs", "time", "of the time"], rows,
                           caption=f"{escape(name)}, fp32, one thread")
    caption = f"{escape(name)}: share of the MACs and of the time, fp32, one thread."
    return (f'<figure class="lwm-figure">{svg}<figcaption>{caption}</figcaption></figure>'
            f'{lwm_html.details(f"Data table: {name}, MACs and time by kind", table)}'
            f"\n<p>{_split_sentence(ctx, e)} {_fused_sentence(e)}</p>")


def _split_sentence(ctx: Context, e: dict) -> str:
    s, name = shares(e), escape(ctx.display_name(e["name"]))
    # the kind whose share of the time most exceeds its share of the MACs, and the one most below
    over = max(LAYER_KINDS, key=lambda k: s[k][1] - s[k][0])
    under = min(LAYER_KINDS, key=lambda k: s[k][1] - s[k][0])
    prof = profile(e)
    return (f"In {name}, the kind whose share of the time most exceeds its share of the MACs is "
            f"{escape(KIND_MEANING[over])}: {fmt_pct(s[over][0])} of the MACs, {fmt_pct(s[over][1])} of the time. "
            f"The kind furthest the other way is {escape(KIND_MEANING[under])}: {fmt_pct(s[under][0])} of the "
            f"MACs, {fmt_pct(s[under][1])} of the time. Kernel times are onnxruntime's profiler's on one thread, "
            f"each kernel's fastest of {prof['runs']} runs; the runtime's own work between kernels, "
            f"{prof['unattributed_us'] / 1000:.2f} ms of the fastest {prof['total_us'] / 1000:.2f} ms run, is in "
            "no kind.")


def _fused_sentence(e: dict) -> str:
    fused = profile(e)["fused"]
    if not fused:
        return "The runtime fused no node into another's kernel."
    by_op: dict[str, int] = {}
    for pair, n in fused.items():
        by_op[pair.split("→")[0]] = by_op.get(pair.split("→")[0], 0) + n
    parts = [f"{n} {op}" for op, n in sorted(by_op.items(), key=lambda kv: (-kv[1], kv[0]))]
    return ("The runtime fused " + ", ".join(parts) + " nodes into the kernel of the node they follow (mostly a "
            "convolution), and their time is counted in that node's kind.")


def roofline(ctx: Context, arg: str | None) -> str:
    """One model: its kinds on this machine's roofline, and why depthwise sits low."""
    e = ctx.model(arg)
    name, pts, c = ctx.display_name(e["name"]), roofline_points(e), profile(e)["ceilings"]
    svg = lwm_charts.roofline(
        f"chart-roofline-{e['name']}", f"{name} on this machine's roofline, fp32, one thread",
        "Logarithmic axes: arithmetic intensity (MACs per byte moved) across, MACs per second up. "
        f"The flat roof is the compute ceiling, {c['compute_gmacs']:.1f} GMAC/s; the sloped roofs are "
        f"memory bandwidth times intensity, {c['bandwidth_gbs']:.1f} GB/s from memory and "
        f"{c['cache_bandwidth_gbs']:.1f} GB/s within the core's cache. Each point is a kind of layer of {name}.",
        [(KIND_LABELS[p["kind"]], p["intensity"], p["gmacs"]) for p in pts],
        c["compute_gmacs"], [("memory", c["bandwidth_gbs"]), ("cache", c["cache_bandwidth_gbs"])],
    )
    rows = [[escape(KIND_LABELS[p["kind"]]), f"{p['intensity']:.2f}", f"{p['gmacs']:.1f}", f"{p['roof']:.1f}",
             f"{p['cache_roof']:.1f}"] for p in pts]
    table = lwm_html.table(["Kind", "MACs per byte", "GMAC/s measured", "roof from memory (GMAC/s)",
                            "roof from cache (GMAC/s)"], rows, caption=f"{escape(name)}, fp32, one thread")
    caption = (f"{escape(name)}'s kinds of layer on this machine's roofline: fp32, one thread, bytes counted as "
               "if every layer read its inputs and weights from memory and wrote its output back.")
    return (f'<figure class="lwm-figure">{svg}<figcaption>{caption}</figcaption></figure>'
            f'{lwm_html.details(f"Data table: {name} on the roofline", table)}\n<p>{roofline_text(ctx, e)}</p>')


def roofline_text(ctx: Context, e: dict) -> str:
    """Why the depthwise layers sit low, and what squeeze-excite and the activations cost,
    in this model's numbers."""
    name, c = escape(ctx.display_name(e["name"])), profile(e)["ceilings"]
    pts = {p["kind"]: p for p in roofline_points(e)}
    out = [f"One thread of this machine multiplies a large matrix at {c['compute_gmacs']:.1f} GMAC/s, copies "
           f"memory at {c['bandwidth_gbs']:.1f} GB/s and copies within its cache at "
           f"{c['cache_bandwidth_gbs']:.1f} GB/s (each measured beside the profile, fastest run). A layer that "
           f"does fewer than {c['compute_gmacs'] / c['cache_bandwidth_gbs']:.2f} MACs per byte it moves cannot "
           f"reach the compute ceiling even from the cache, nor one under "
           f"{c['compute_gmacs'] / c['bandwidth_gbs']:.1f} from memory."]
    dw = pts.get("depthwise")
    pw = [pts[k] for k in ("pointwise_expand", "pointwise_project") if k in pts]
    if dw:
        out.append(
            f"{name}'s depthwise layers do {dw['intensity']:.2f} MACs per byte: a k×k depthwise filter does k² "
            "multiply-accumulates for each value it writes, all from its own channel, and for them reads about "
            "one value and writes one, four bytes each; a full convolution reuses every input value for every "
            f"output channel. At that intensity the roof is {dw['roof']:.1f} GMAC/s when the bytes come from "
            f"memory and {dw['cache_roof']:.1f} when they stay in the cache; they ran at {dw['gmacs']:.1f} GMAC/s, "
            f"{fmt_ratio(c['compute_gmacs'] / dw['gmacs'])} below the compute ceiling, which only layers that use "
            "each value they load many times come near.")
    if pw:
        best = max(pw, key=lambda p: p["intensity"])
        out.append(f"Its {KIND_LABELS[best['kind']]} layers, for one, do {best['intensity']:.1f} MACs per byte "
                   f"and ran at {best['gmacs']:.1f} GMAC/s.")
    s = shares(e)
    if s["squeeze_excite"][0] > 0:
        se = pts.get("squeeze_excite")
        out.append(
            f"Squeeze-and-excitation holds {fmt_pct(s['squeeze_excite'][0])} of the MACs and takes "
            f"{fmt_pct(s['squeeze_excite'][1])} of the time: its pooling reads the whole feature map to "
            f"compute a few numbers and its gate multiplies every value again"
            + (f" ({se['intensity']:.2f} MACs per byte, {se['gmacs']:.1f} GMAC/s)" if se else "") + ".")
    extra = s["elementwise"][1] + s["layout"][1]
    if extra > 0.005:
        out.append(
            f"Activations and additions the runtime could not fuse into a convolution (swish's sigmoid and "
            f"multiply among them), and the layout changes it inserts around kernels that cannot run in its "
            f"blocked layout, take {fmt_pct(extra)} of the time for no MACs at all.")
    return " ".join(out)


# ---------------------------------------------------------------------------------------
# Compare: every model
# ---------------------------------------------------------------------------------------
def time_gap(ctx: Context, arg: str | None) -> str:
    """Every model's MACs and time split by kind (stacked bars), and the sentences that
    explain why the lightweight models are less faster than their MACs promise."""
    keys = ordered(ctx)
    kinds = [k for k in LAYER_KINDS if any(shares(ctx.models[m])[k][0] or shares(ctx.models[m])[k][1] for m in keys)]
    svg = lwm_charts.stacked_shares(
        "chart-macs-vs-time", "Share of the MACs and of the time, by kind of layer, per model",
        "For each model two stacked bars: the top one splits its multiply-accumulates by kind of layer, the "
        "bottom one its fp32 time on one CPU thread.",
        [ctx.display_name(k) for k in keys], [KIND_LABELS[k] for k in kinds],
        [[[shares(ctx.models[m])[k][0] for k in kinds], [shares(ctx.models[m])[k][1] for k in kinds]] for m in keys],
        ("MACs", "time"),
    )
    rows = [[ctx.model_link(m)] + [f"{fmt_pct(shares(ctx.models[m])[k][0])} / {fmt_pct(shares(ctx.models[m])[k][1])}"
                                   for k in kinds] for m in keys]
    table = lwm_html.table(["Model", *(escape(KIND_LABELS[k]) for k in kinds)], rows,
                           caption="Share of the MACs / share of the time, fp32, one thread")
    meanings = lwm_html.table(["Kind", "What it is"], [[escape(KIND_LABELS[k]), escape(KIND_MEANING[k])] for k in kinds],
                              caption="The kinds of layer")
    caption = ("For each model, its multiply-accumulates (MACs) and its fp32 time on one CPU thread, split by kind "
               "of layer.")
    return (f'<figure class="lwm-figure">{svg}<figcaption>{caption}</figcaption></figure>'
            f'{lwm_html.details("Data table: MACs and time by kind", table + meanings)}'
            f'\n<p>{gap_sentences(ctx)}</p>')


def gap(ctx: Context, small: str, big: str) -> dict:
    """How many times fewer MACs ``small`` needs than ``big``, how many times faster it runs
    (fp32, one thread, the timed medians), and each one's MACs per second."""
    a, b = ctx.models[small], ctx.models[big]
    ta, tb = variant_latency(a, "fp32", "1"), variant_latency(b, "fp32", "1")
    return {"macs": b["macs"] / a["macs"], "time": tb / ta,
            "rate_small": a["macs"] / ta / 1e6, "rate_big": b["macs"] / tb / 1e6}


def gap_sentences(ctx: Context) -> str:
    out = []
    for small, big in (("mobilenet_v3_small", "resnet50"), ("efficientnet_b0", "resnet50")):
        if small not in ctx.models or big not in ctx.models:
            continue
        g = gap(ctx, small, big)
        s = shares(ctx.models[small])
        # the kinds that take a larger share of its time than of its MACs, largest excess first
        slow = sorted((k for k in LAYER_KINDS if s[k][1] - s[k][0] > 0.01), key=lambda k: s[k][0] - s[k][1])
        where = ", ".join(f"{escape(KIND_LABELS[k])} {fmt_pct(s[k][1])} of the time for {fmt_pct(s[k][0])} of the MACs"
                          for k in slow)
        out.append(
            f"{escape(ctx.display_name(small))} needs {fmt_ratio(g['macs'])} fewer MACs than "
            f"{escape(ctx.display_name(big))} but runs {fmt_ratio(g['time'])} faster (fp32, one thread): it does "
            f"{g['rate_small']:.1f} GMAC/s against {g['rate_big']:.1f}, so the time ratio is the MACs ratio times "
            f"{g['rate_small'] / g['rate_big']:.2f}. The kinds that take more of its time than of its MACs: {where}.")
    return " ".join(out)
