"""The lesson's claims put to the measured figures: the home page's tables (the four traits
against a heavy baseline, activation memory, the lightweight rule) and the exercise's evidence.

    <!-- lesson-traits -->  <!-- activation-memory -->  <!-- microcontroller-budgets -->
    <!-- lightweight-table -->  <!-- lightweight-rule -->  <!-- pretrained-list -->
    <!-- lesson-evidence -->
"""

from __future__ import annotations

import math
from html import escape

import lwm_energy
import lwm_html
from lwm_context import Context, largest, linked_names, measured, ordered, shape_text, variant_latency
from lwm_format import fmt_bytes, fmt_count, fmt_energy_pj, fmt_ms, fmt_pct, fmt_published_pct, fmt_ratio

from lwm import catalog  # the rule and the lesson's models, as the exercises' Python has them

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


def _fp32_energy(e: dict) -> lwm_energy.Estimate:
    return lwm_energy.estimate(e["macs"], e["variants"]["fp32"]["bytes"], "fp32")


# The home page's four traits: (trait, column heading, value of a manifest entry, formatter)
TRAITS = [
    ("1. Parameters and computation", "Parameters", lambda e: e["params"], fmt_count),
    ("1. Parameters and computation", "MACs per image", lambda e: e["macs"], fmt_count),
    ("2. Memory", "fp32 file", lambda e: e["variants"]["fp32"]["bytes"], fmt_bytes),
    ("2. Memory", "Peak activations", lambda e: e["activation_memory_bytes"], fmt_bytes),
    ("3. Energy", "Estimate, fp32", lambda e: _fp32_energy(e).total_pj, fmt_energy_pj),
    ("4. Speed", "CPU latency, fp32, 1 thread", lambda e: variant_latency(e, "fp32", "1"), fmt_ms),
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
    others = [k for k in ordered(ctx) if k != HEAVY and ctx.models[k]["is_lightweight"]]
    others += [k for k in ordered(ctx) if k != HEAVY and not ctx.models[k]["is_lightweight"]]

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
    return (f'<figure class="lwm-figure lwm-table-figure">{lwm_html.scroll_wrap(table, caption, "lwm-traits")}'
            f"<figcaption>{note}</figcaption></figure>")


def activation_memory(ctx: Context, arg: str | None) -> str:
    """Every model by peak activation memory, largest first, with the tensor behind it, and
    the counter-examples to "lightweight models need less memory" spelled out."""
    keys = sorted(ctx.models, key=lambda k: -ctx.models[k]["activation_memory_bytes"])
    rows = []
    for k in keys:
        e = ctx.models[k]
        big = largest(e)
        rows.append([
            ctx.model_link(k), "yes" if e["is_lightweight"] else "no",
            fmt_bytes(e["activation_memory_bytes"]),
            f"{shape_text(big['shape'])} ({fmt_bytes(big['bytes'])})",
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
                     + (f": {linked_names(ctx, more)}" if more and len(more) <= 3 else ""))
    total = {k: act[k] + ctx.models[k]["variants"]["fp32"]["bytes"] for k in ctx.models}
    worst, least_heavy = max(light, key=total.get), min(heavy, key=total.get)
    verdict = "still less than" if total[worst] < total[least_heavy] else "more than"
    summary = (
        "; ".join(notes) + ". Add the weights, and the largest total of any lightweight model, "
        f"{ctx.model_link(worst)}'s {fmt_bytes(total[worst])}, is {verdict} "
        f"{ctx.model_link(least_heavy)}'s {fmt_bytes(total[least_heavy])}."
    )
    return f'{table}<p class="lwm-summary">{summary[0].upper()}{summary[1:]}</p>'


# Two microcontrollers' memories, from their makers' product pages, in bytes (the makers' KB
# and MB are binary). A model's file must sit in flash; its activations in RAM, and on the
# STM32H743 that RAM is split into banks, so the largest bank is also a budget.
KIB, MIB = 2**10, 2**20
MICROCONTROLLERS = [
    {
        "name": "STM32H743", "maker": "ST", "intro": "a large one",
        "source": "ST product page", "url": "https://www.st.com/en/microcontrollers-microprocessors/stm32h743-753.html",
        "budgets": [
            {"what": "flash", "label": "up to 2 MB", "bytes": 2 * MIB, "holds": "file"},
            {"what": "RAM in all", "label": "1 MB", "bytes": 1 * MIB, "holds": "peak"},
            {"what": "largest RAM bank", "label": "512 KB", "bytes": 512 * KIB, "holds": "peak"},
        ],
    },
    {
        "name": "nRF52840", "maker": "Nordic", "intro": None,
        "source": "Nordic product page", "url": "https://www.nordicsemi.com/Products/nRF52840",
        "budgets": [
            {"what": "flash", "label": "1 MB", "bytes": 1 * MIB, "holds": "file"},
            {"what": "RAM", "label": "256 KB", "bytes": 256 * KIB, "holds": "peak"},
        ],
    },
]


def _against(size: int, chip: dict, budget: dict) -> str:
    """'more than the nRF52840's RAM (256 KB)' or '65 % of the STM32H743's flash (up to 2 MB)'."""
    whose = f"the {chip['name']}'s {budget['what']} ({budget['label']})"
    return f"more than {whose}" if size > budget["bytes"] else f"{100 * size / budget['bytes']:.0f} % of {whose}"


def _and(parts: list[str]) -> str:
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def microcontroller_budgets(ctx: Context, arg: str | None) -> str:
    """The two microcontrollers' memories, then the site's smallest file and smallest
    activation peak (any model, any variant) set against each of them."""
    chips = []
    for chip in MICROCONTROLLERS:
        b = {x["what"]: x["label"] for x in chip["budgets"]}
        rams = (f"{b['RAM in all']} of RAM in several banks, the largest of {b['largest RAM bank']}"
                if "RAM in all" in b else f"{b['RAM']} of RAM")
        intro = f", {chip['intro']}," if chip["intro"] else ""
        chips.append(f"{chip['maker']}'s {chip['name']}{intro} has {b['flash']} of flash and {rams} "
                     f'(<a href="{chip["url"]}">{chip["source"]}</a>)')
    files = [(e["variants"][v]["bytes"], k, v) for k, e in ctx.models.items() for v in e["variants"]]
    acts = [(e["variants"][v]["activation_memory_bytes"], k, v) for k, e in ctx.models.items() for v in e["variants"]]
    (fb, fk, fv), (ab, ak, av) = min(files), min(acts)
    smallest = {"file": fb, "peak": ab}
    against = {h: _and([_against(smallest[h], c, x) for c in MICROCONTROLLERS for x in c["budgets"]
                        if x["holds"] == h]) for h in smallest}
    return (
        "; ".join(chips) + ". Their makers count a KB as 1,024 bytes. None of the models on this site was built "
        f"for such a chip. {'Even quantized to 8 bits, t' if fv == 'int8' else 'T'}he smallest file here, "
        f"{ctx.model_link(fk)} in {fv}, "
        f"is {fmt_bytes(fb)}: {against['file']}. The smallest activation peak, {ctx.model_link(ak)}'s in "
        f"{av}, is {fmt_bytes(ab)}: {against['peak']}. That is before the program, the camera frame and "
        "the runtime's own buffers are counted."
    )


def lightweight_table(ctx: Context, arg: str | None) -> str:
    """The lesson's models dictionary, with is_lightweight decided by the rule, and the layer
    count split into what it includes, beside the papers' own counts."""
    rule = ctx.manifest["lightweight_rule"]
    rows = []
    for k in ordered(ctx):
        e = ctx.models[k]
        se = measured(e, "se_layers")
        paper = PAPER_LAYERS.get(k)
        rows.append([
            ctx.model_link(k), str(e["depth"]), str(se) if se else "0",
            f'<a href="{paper[2]}" title="{escape(paper[1])}">{paper[0]}</a>' if paper else "none given",
            fmt_count(e["params"]), fmt_count(e["macs"]), f"<code>{e['is_lightweight']}</code>",
        ])
    return lwm_html.table(["Model", "layers (ours)", "of which in SE blocks", "the paper's count", "params", "MACs",
                           "is_lightweight"], rows,
                          caption=f"is_lightweight, this site's rule: {escape(rule['text'])}")


def lightweight_rule(ctx: Context, arg: str | None) -> str:
    return escape(ctx.manifest["lightweight_rule"]["text"])


def pretrained_list(ctx: Context, arg: str | None) -> str:
    """The models exported with real weights in this build, as a sentence fragment."""
    keys = [k for k in ordered(ctx) if ctx.models[k]["pretrained"]]
    return linked_names(ctx, keys) if keys else "no model"


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
    # the site's table (no class, so the theme styles it, and it scrolls in its own box)
    table = lwm_html.table(head, [[escape(c) for c in row] for row in rows])
    return (
        '<div id="lightweight-evidence" class="py-evidence">'
        f"<p>The project's rule, from the manifest: <code>{escape(rule['text'])}</code>.</p>{table}"
        f"<p>{escape(' '.join(verdicts))}</p>"
        '<p class="py-citations">Parameters, MACs and layers are measured by our exporter; published top-1 '
        f"accuracy is cited ({escape('; '.join(cites))}).</p></div>"
    )
