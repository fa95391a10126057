"""The Benchmarks page: benchmarks/results.json (written by ``make bench``) as tables and charts.

One marker, ``<!-- benchmark: <part> -->``, with the parts in PARTS. The results file is
measured, committed and read at build time; a missing or malformed file fails the build
with a message saying how to make it. The page's prose takes its figures from the inline
parts (``goal-ratio``, ``shrink``, ...), so no measured number is typed by hand.
"""

from __future__ import annotations

import json
import os
from html import escape
from pathlib import Path
from typing import Callable

from markupsafe import Markup
from mkdocs.exceptions import PluginError

import lwm_charts
import lwm_html
import lwm_templates
from lwm_context import default_runtime
from lwm.bench_results import THREADS, ResultsError, check
from lwm.constants import VARIANTS
from lwm_format import fmt_bytes, fmt_ms, fmt_pct, fmt_ratio

RESULTS = Path(os.environ.get("LWM_BENCH_RESULTS", "benchmarks/results.json"))

# The targets this site sets for the browser (our choice, not measurements).
GOAL_RATIO = 3.0  # browser ÷ native, 2 threads
GOAL_COLD_MS = 1500.0
GOAL_COMPRESSED_BYTES = 8_000_000


def load_results(path: Path | None = None) -> dict:
    path = Path(path or RESULTS)
    if not path.is_file():
        raise PluginError(f"{path} not found: run the benchmark first (make bench)")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise PluginError(f"{path} is not valid JSON ({exc}): run the benchmark again (make bench)") from None
    try:
        check(data)
    except ResultsError as exc:
        raise PluginError(f"{path}: {exc}: run the benchmark again (make bench)") from None
    return data


def _name(ctx, data: dict, key: str) -> str:
    return ctx.model_link(key) if key in ctx.models else escape(data["models"][key]["display_name"])


def _variants(data: dict):
    for key, m in data["models"].items():
        for v in VARIANTS:
            if v in m["variants"]:
                yield key, v, m["variants"][v]


# results files written before the benchmark recorded the CPU's features lack these keys
NOT_RECORDED = "instruction-set features not recorded"


def _features(m: dict) -> str:
    """What native onnxruntime's kernels could use on the benchmark's CPU: "AVX-512 + VNNI"."""
    return escape(m.get("cpu_summary") or NOT_RECORDED)


def _when(data: dict) -> str:
    m, ver = data["machine"], data["versions"]
    mem = f", {fmt_bytes(m['memory_bytes'])} memory" if m.get("memory_bytes") else ""
    # the CPU's instruction sets go with every figure: native latency, and so every ratio, depends on them
    return (f"measured {escape(data['generated_at'])} on {escape(str(m['cpu']))} "
            f"({_features(m)}; {m['cores']} cores{mem}), "
            f"{escape(ver['browser'])}, onnxruntime-web {escape(ver['onnxruntime_web'])}, "
            f"onnxruntime {escape(ver['onnxruntime'])}"
            + (f", LiteRT.js {escape(ver['litertjs'])}" if ver.get("litertjs") else ""))


# ---------------------------------------------------------------------------
# The parts
# ---------------------------------------------------------------------------


def machine(ctx, data: dict) -> str:
    m, ver = data["machine"], data["versions"]
    rows = [
        ["Date", escape(data["generated_at"])],
        ["CPU", escape(str(m["cpu"]))],
        ["Instruction sets native onnxruntime can use",
         _features(m) + (f'<br><small><code>{escape(" ".join(m["cpu_features"]))}</code></small>'
                         if m.get("cpu_features") else "")],
        ["Cores", str(m["cores"])],
        ["Memory", fmt_bytes(m.get("memory_bytes"))],
        ["Operating system", escape(str(m.get("platform")))],
        *([["Load average (1 min) at start and end", f'{m["load_average_1min"]["start"]} and {m["load_average_1min"]["end"]} '
             f'(0 is an idle machine; {m["cores"]} means every core busy with other work)']]
          if m.get("load_average_1min") else []),
        *[[escape(k.replace("_", "-")), escape(str(v))] for k, v in ver.items()],
        ["Command", f"<code>{escape(data['command'])}</code>"],
        ["Duration of the run", f"{data['duration_s'] / 60:.1f} min"],
    ]
    method = [[escape(k.replace("_", " ")), escape(v)] for k, v in data["method"].items()]
    return (lwm_html.table(["", "This run"], rows, caption="The machine, the browser and the libraries")
            + lwm_html.table(["What", "How it was measured"], method, caption="Method, as recorded in the results file"))


def cpu(ctx, data: dict) -> str:
    """Inline, for the page's prose: "AMD EPYC (AVX-512 + VNNI)"."""
    m = data["machine"]
    return f"{escape(str(m['cpu']))} ({_features(m)})"


def ratio(ctx, data: dict) -> str:
    """The headline: browser ÷ native per model and variant, same threads."""
    rows, over = [], 0
    for key, v, r in _variants(data):
        cells = []
        for t in THREADS:
            x = r["ratio"][t]
            mark = x <= GOAL_RATIO if t == "2" else None
            if mark is False:
                over += 1
            cells.append(f"<strong>{fmt_ratio(x)}</strong>" + ("" if mark is None else (" ✓" if mark else "")))
        rows.append([_name(ctx, data, key), v, *cells])
    total = len(rows)
    verdict = (f"Target (≤ {fmt_ratio(GOAL_RATIO)} with 2 threads, every model and variant): "
               + ("met." if over == 0 else f"not met: {over} of {total} model files are above it."))
    return (f'<p class="lwm-verdict"><strong>{escape(verdict)}</strong> ✓ marks those within it.</p>'
            + lwm_html.table(["Model", "Variant", "Browser ÷ native, 1 thread", "Browser ÷ native, 2 threads"], rows,
                             caption=f"Median session.run in Chromium ÷ median native onnxruntime; {_when(data)}"))


def table(ctx, data: dict) -> str:
    rows = []
    for key, v, r in _variants(data):
        n, b = r["native"], r["browser"]
        rows.append([
            _name(ctx, data, key), v, fmt_bytes(r["bytes"]) + _opt_note(r),
            *[fmt_ms(n[t]["median_ms"]) for t in THREADS],
            *[f'{fmt_ms(b[t]["median_ms"])} (p90 {fmt_ms(b[t]["p90_ms"])}, {b[t]["runs"]} runs)' for t in THREADS],
            *[fmt_ratio(r["ratio"][t]) for t in THREADS],
        ])
    head = ["Model", "Variant", "File", "Native, 1 thread", "Native, 2 threads",
            "Browser, 1 thread", "Browser, 2 threads (isolated)", "÷, 1 thread", "÷, 2 threads"]
    return lwm_html.table(head, rows, caption=f"Latency of one image (median); {_when(data)}")


def _opt_note(r: dict) -> str:
    # the int8 rows time the pre-optimized copy, which the classifier opens
    f = r.get("file")
    return f'<br><small>timed: <code>{escape(f)}</code></small>' if f and ".opt." in f else ""


def chart(ctx, data: dict, threads: str = "2") -> str:
    if threads not in THREADS:
        raise PluginError(f"chart takes 1 or 2 threads, not {threads!r}")
    keys = list(data["models"])
    series = [(v, [data["models"][k]["variants"].get(v, {}).get("ratio", {}).get(threads) for k in keys])
              for v in VARIANTS]
    word = "thread" if threads == "1" else "threads"
    svg = lwm_charts.grouped_bars(
        f"chart-bench-ratio-{threads}",
        f"Browser latency ÷ native latency, {threads} {word}",
        f"Horizontal bars: for each model, how many times slower onnxruntime-web in Chromium is than "
        f"native onnxruntime with {threads} {word}, for the fp32, fp16 and int8 files. 1× would be as fast.",
        [data["models"][k]["display_name"] for k in keys], series,
        f"browser ÷ native ({threads} {word}); the target is ≤ {fmt_ratio(GOAL_RATIO)} with 2 threads",
        fmt_ratio,
    )
    return f'<figure class="lwm-figure">{svg}<figcaption>{_when(data)}.</figcaption></figure>'


def cold_start(ctx, data: dict) -> str:
    c = data["cold_start"]
    t = c["transfer"]
    cold_ok, wire_ok = c["median_ms"] <= GOAL_COLD_MS, t["transferred_bytes"] <= GOAL_COMPRESSED_BYTES
    name = _name(ctx, data, c["model"]) if c["model"] in data["models"] else escape(str(c["model"]))
    encodings = sorted({f["encoding"] for f in t["files"]} - {"identity"})
    rows = [
        ["Default model and runtime", f"{name} ({escape(str(c['variant']))}) with "
                                      f"{'LiteRT.js' if c.get('backend') == 'litert' else 'onnxruntime-web'}", ""],
        ["Navigation → first top-5 result (median)",
         f"<strong>{fmt_ms(c['median_ms'])}</strong> (runs: {', '.join(fmt_ms(x) for x in c['runs_ms'])})",
         f"≤ {fmt_ms(GOAL_COLD_MS)}: {'met' if cold_ok else 'not met'}"],
        ["Files fetched (their size on disk)", fmt_bytes(t["raw_bytes"]) + f" in {t['requests']} files", ""],
        [f"Transferred, as received ({escape(', '.join(encodings) or 'no compression')})",
         f"<strong>{fmt_bytes(t['transferred_bytes'])}</strong>",
         f"≤ {fmt_bytes(GOAL_COMPRESSED_BYTES)}: {'met' if wire_ok else 'not met'}"],
        [f"A gzip-only host (level {t['gzip_level']}, computed)", fmt_bytes(t["gzip_bytes"]), ""],
        ["Python (Pyodide) loaded", "yes" if t["python_loaded"] else "no", ""],
    ]
    files = [[f"<code>{escape(f['path'])}</code>", fmt_bytes(f["bytes"]),
              f"{fmt_bytes(f['transferred_bytes'])} ({escape(f['encoding'])})", fmt_bytes(f["gzip_bytes"])]
             for f in t["files"][:10]]
    return (lwm_html.table(["Classifier page, cold", "Measured", "Target"], rows,
                           caption=f"Fresh browser profile on localhost; {_when(data)}")
            + lwm_html.table(["Largest files fetched", "On disk", "Transferred", "gzip"], files))


def experiments(ctx, data: dict) -> str:
    rows = []
    base = {(e["model"], e["variant"], e["threads"]): e
            for e in data["experiments"] if e["name"] == "default" and "error" not in e}
    for e in data["experiments"]:
        b = base.get((e["model"], e["variant"], e["threads"]))
        name = _name(ctx, data, e["model"]) if e["model"] in data["models"] else escape(e["model"])
        what = f"{escape(e['change'])}<br><small><code>{escape(e.get('file', ''))}</code></small>"
        if "error" in e:
            rows.append([what, f"{name} {e['variant']}", e["threads"], f"failed: {escape(e['error'])}", "", "", ""])
            continue
        res = f'{fmt_ms(e["median_ms"])} (p90 {fmt_ms(e["p90_ms"])})'
        if e.get("round_medians"):
            res += f'<br><small>rounds: {", ".join(fmt_ms(x) for x in e["round_medians"])}</small>'
        rel = f'{e["median_ms"] / b["median_ms"]:.2f}' if b else ""
        rows.append([what, f"{name} {e['variant']}", e["threads"], res, rel,
                     fmt_ms(e.get("session_ms")), fmt_ms(e.get("first_run_ms"))])
    out = lwm_html.table(["Change", "Model", "Threads", "session.run (median)", "× the default", "Session creation",
                          "First run"], rows,
                         caption=f"One change at a time on top of the classifier's configuration; session creation and "
                                 f"first run are medians over the rounds; {_when(data)}")
    skipped = [[escape(x["change"]), escape(x["why"])] for x in data.get("not_run", [])]
    if skipped:
        out += lwm_html.table(["Not measured", "Why"], skipped)
    return out


def ceiling(ctx, data: dict) -> str:
    """The kernel ceiling: one fp32 MatMul in both runtimes."""
    c = data["ceiling"]
    rows = []
    for t in THREADS:
        n, b = c["native"][t]["median_ms"], c["browser"][t]["median_ms"]
        gflops = lambda ms: f"{2 * c['macs'] / (ms * 1e6):.0f} GFLOP/s"  # noqa: E731
        rows.append([t, f"{fmt_ms(n)} ({gflops(n)})", f"{fmt_ms(b)} ({gflops(b)})",
                     f"<strong>{fmt_ratio(c['ratio'][t])}</strong>"])
    return lwm_html.table(["Threads", "Native onnxruntime", "onnxruntime-web (WASM)", "Browser ÷ native"], rows,
                          caption=f"{escape(c['op'])}: {c['macs']:,} multiply-adds, median; {_when(data)}")


def webnn(ctx, data: dict) -> str:
    w = data["webnn"]
    parts = []
    for name, r in w.items():
        how = "with its defaults" if not r["args"] else f"with <code>{escape(' '.join(r['args']))}</code>"
        parts.append(f"{how}: {'available' if r['available'] else 'not available'} "
                     f"(<code>{escape(r['detail'])}</code>)")
    return f"<p>WebNN in {escape(data['versions']['browser'])} " + "; ".join(parts) + ".</p>"


def goals(ctx, data: dict) -> str:
    """The three targets for the browser, each with this run's figure and whether it is met."""
    worst = max(((r["ratio"]["2"], key, v) for key, v, r in _variants(data)), default=None)
    c = data["cold_start"]
    wire = c["transfer"]["transferred_bytes"]
    rows = []
    if worst:
        x, key, v = worst
        rows.append([f"Browser ÷ native ≤ {fmt_ratio(GOAL_RATIO)} with 2 threads, every model",
                     f"largest: {fmt_ratio(x)} ({_name(ctx, data, key)} {v})", "met" if x <= GOAL_RATIO else "not met"])
    rows.append([f"Cold start ≤ {fmt_ms(GOAL_COLD_MS)}", fmt_ms(c["median_ms"]),
                 "met" if c["median_ms"] <= GOAL_COLD_MS else "not met"])
    rows.append([f"Classifier page ≤ {fmt_bytes(GOAL_COMPRESSED_BYTES)} compressed", fmt_bytes(wire),
                 "met" if wire <= GOAL_COMPRESSED_BYTES else "not met"])
    return lwm_html.table(["Target", "This run", ""], rows, caption=f"The targets this site sets for the browser; {_when(data)}")


def goal_ratio(ctx, data: dict) -> str:
    """Inline: the browser ÷ native target."""
    return fmt_ratio(GOAL_RATIO)


def _median(r: dict, side: str, t: str) -> float:
    return r[side][t]["median_ms"]


def _list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def int8_slower(ctx, data: dict) -> str:
    """Inline: the models whose int8 file is slower natively than their fp32 file, and by how much."""
    out = []
    for key, m in data["models"].items():
        v = m["variants"]
        if "int8" not in v or "fp32" not in v:
            continue
        slower = [t for t in THREADS if _median(v["int8"], "native", t) > _median(v["fp32"], "native", t)]
        if slower:
            ratios = " / ".join(fmt_ratio(_median(v["int8"], "native", t) / _median(v["fp32"], "native", t))
                                for t in slower)
            threads = "1 and 2 threads" if len(slower) == 2 else f"{slower[0]} thread{'s' if slower[0] != '1' else ''}"
            out.append(f"{_name(ctx, data, key)} ({ratios} the fp32 time, {threads})")
    return ("natively, every int8 file here is at least as fast as its fp32 file" if not out else
            "int8 is slower than fp32 for " + _list(out))


def int8_faster_browser(ctx, data: dict) -> str:
    """Inline: the models whose int8 file beats their fp32 file in the browser."""
    both, one = [], []
    for key, m in data["models"].items():
        v = m["variants"]
        if "int8" not in v or "fp32" not in v:
            continue
        faster = [t for t in THREADS if _median(v["int8"], "browser", t) < _median(v["fp32"], "browser", t)]
        if len(faster) == 2:
            both.append(_name(ctx, data, key))
        elif faster:
            one.append(f"{_name(ctx, data, key)} ({faster[0]} thread{'s' if faster[0] != '1' else ''} only)")
    found = both + one
    total = sum("int8" in m["variants"] and "fp32" in m["variants"] for m in data["models"].values())
    if not found:
        return f"the int8 file is slower than the fp32 one for all {total} models in this run"
    return (f"the int8 file is faster than the fp32 one for {len(found)} of the {total} models in this run: "
            + _list(found) + "; for the others it is not")


def shrink(ctx, data: dict) -> str:
    """Inline: how much brotli saves on the runtime's WebAssembly and on the model file."""
    files = data["cold_start"]["transfer"]["files"]
    wasm = next((f for f in files if f["path"].endswith(".wasm")), None)
    model = next((f for f in files if f["path"].endswith(".onnx")), None)
    parts = []
    if wasm and wasm["transferred_bytes"] < wasm["bytes"]:
        parts.append(f"The WebAssembly runtime, {fmt_bytes(wasm['bytes'])}, arrives as "
                     f"{fmt_bytes(wasm['transferred_bytes'])} ({fmt_ratio(wasm['bytes'] / wasm['transferred_bytes'])} "
                     "smaller)")
    if model:
        saved = 1 - model["transferred_bytes"] / model["bytes"]
        parts.append(f"the model file of 8-bit weights, {fmt_bytes(model['bytes'])}, only loses "
                     f"{saved:.0%} of its size: quantized weights look almost random to a compressor")
    return ("; ".join(parts) + ".") if parts else ""


# ---------------------------------------------------------------------------
# "How fast is it here?": the reader's own device (site_app/devicebench.js)
# ---------------------------------------------------------------------------

DEVICE_DEFAULT_VARIANT = "int8"  # the classifier's default: the smallest download


def _ours(data: dict) -> dict:
    """Our machine's browser medians, per model, variant and thread count, for the chart."""
    figures = {key: {v: {t: r["browser"][t]["median_ms"] for t in THREADS}
                     for v, r in m["variants"].items()}
               for key, m in data["models"].items()}
    m, ver = data["machine"], data["versions"]
    machine = (f"{m['cpu']} ({m.get('cpu_summary') or NOT_RECORDED}; {m['cores']} cores), {ver['browser']}, "
               f"onnxruntime-web {ver['onnxruntime_web']}")
    return {"machine": machine, "generated_at": data["generated_at"], "median_ms": figures}


def device(ctx, data: dict) -> str:
    """The controls that time the models in the reader's browser, and our machine's figures
    beside them (inline JSON: the page's script plots them without a second download), laid
    out in templates/device.html."""
    ours = json.dumps(_ours(data), separators=(",", ":")).replace("<", "\\u003c")
    return lwm_templates.render("device.html", models=ctx.models, ours=Markup(ours), variants=VARIANTS,
                                default_variant=DEVICE_DEFAULT_VARIANT, root=ctx.root)


# ---------------------------------------------------------------------------
# LiteRT.js beside onnxruntime-web: the same weights in four runtimes
# ---------------------------------------------------------------------------


def _litert_data(data: dict) -> dict:
    if not data["litert"]:
        raise PluginError("benchmarks/results.json has no LiteRT.js runs: run `make tflite`, then the benchmark")
    return data["litert"]


def _ms_cell(r: dict | None, t: str) -> str:
    return fmt_ms(r[t]["median_ms"]) if r else "—"


def litert(ctx, data: dict) -> str:
    """For each model with a .tflite copy: its fp32 weights in four runtimes, 1 and 2 threads."""
    rows = []
    for key, r in _litert_data(data).items():
        o, web, lrt = r["onnx"], r["onnx"]["browser"], r["browser"]

        def opened(b: dict) -> str:  # what a first use costs, besides the runtime's download
            return f"{fmt_ms(b['2']['session_ms'])} + {fmt_ms(b['2']['first_run_ms'])}"

        rows += [
            [_name(ctx, data, key), "onnxruntime, native (<code>.onnx</code>)", *[_ms_cell(o["native"], t) for t in THREADS], ""],
            ["", "LiteRT, native (<code>.tflite</code>)", *[_ms_cell(r["native"], t) for t in THREADS], ""],
            ["", "onnxruntime-web", *[f"<strong>{_ms_cell(web, t)}</strong>" for t in THREADS], opened(web)],
            ["", "LiteRT.js", *[f"<strong>{_ms_cell(lrt, t)}</strong>" for t in THREADS], opened(lrt)],
            ["", "<em>LiteRT.js ÷ onnxruntime-web</em>",
             *[f"<em>{fmt_ratio(lrt[t]['median_ms'] / web[t]['median_ms'])}</em>" for t in THREADS], ""],
        ]
    head = ["Model (fp32)", "Runtime", "1 thread", "2 threads", "Open the model + first run (2 threads)"]
    return lwm_html.table(head, rows, caption=f"Median latency of one image, the same weights in each runtime; {_when(data)}")


def litert_ratio(ctx, data: dict) -> str:
    """Inline: LiteRT.js's median as a multiple of onnxruntime-web's, the range over the models."""
    lrt = _litert_data(data)

    def span(t: str) -> str:
        ratios = sorted(r["browser"][t]["median_ms"] / r["onnx"]["browser"][t]["median_ms"] for r in lrt.values())
        low, high = fmt_ratio(ratios[0]), fmt_ratio(ratios[-1])
        return low if low == high else f"{low} to {high}"

    return (f"{span('1')} onnxruntime-web's time with 1 thread and {span('2')} with 2, "
            f"on the same fp32 weights of {len(lrt)} {'model' if len(lrt) == 1 else 'models'}")


def _runtime_bytes(transfer: dict, prefix: str) -> tuple[int, int]:
    files = [f for f in transfer["files"] if f["path"].startswith(prefix)]
    return sum(f["bytes"] for f in files), sum(f["transferred_bytes"] for f in files)


def litert_cold(ctx, data: dict) -> str:
    """The classifier's cold start with each runtime, and what it downloads."""
    _litert_data(data)
    rows = []
    for c in [data["cold_start"], *data["cold_starts"]]:
        is_litert = c.get("backend") == "litert"
        t = c["transfer"]
        rt = _runtime_bytes(t, "vendor/litertjs/" if is_litert else "vendor/onnxruntime-web/")
        model = [f for f in t["files"] if f["path"].startswith("models/") and f["path"].endswith((".onnx", ".tflite"))]
        name = _name(ctx, data, c["model"]) if c["model"] in data["models"] else escape(str(c["model"]))
        rows.append([
            f"{'LiteRT.js' if is_litert else 'onnxruntime-web'}<br>{name} ({escape(str(c['variant']))})",
            f"{fmt_bytes(rt[0])} → <strong>{fmt_bytes(rt[1])}</strong>",
            "<br>".join(f"{fmt_bytes(f['bytes'])} → <strong>{fmt_bytes(f['transferred_bytes'])}</strong> "
                        f"<small>(<code>.{escape(f['path'].rsplit('.', 1)[-1])}</code>)</small>" for f in model) or "—",
            fmt_bytes(t["transferred_bytes"]),
            f"<strong>{fmt_ms(c['median_ms'])}</strong><br><small>{', '.join(fmt_ms(x) for x in c['runs_ms'])}</small>",
        ])
    head = ["Runtime and model", "Runtime files, on disk → sent", "Model file, on disk → sent",
            "All sent", "To the first top-5 (median; runs)"]
    return lwm_html.table(head, rows, caption=f"Fresh browser profile each run, brotli from site_app/serve.py; {_when(data)}")


# ---------------------------------------------------------------------------
# The classifier's default path: int8 in the browser against native fp32
# ---------------------------------------------------------------------------


def _default_rows(ctx, data: dict):
    """For each pretrained model: native onnxruntime on the fp32 file, and each runtime's int8
    file in the browser, as (model, native fp32 timings, [(runtime label, file, browser timings)]).
    Where the run timed the int8 .tflite file, both browser rows come from its interleaved
    rounds; otherwise the int8 row is the main table's."""
    lrt = data["litert"]
    for key, m in data["models"].items():
        if not (key in ctx.models and ctx.models[key].get("pretrained")) or "int8" not in m["variants"]:
            continue
        int8 = lrt.get(key, {}).get("int8")
        if int8:
            native = lrt[key]["onnx"]["native"]
            runs = [("onnxruntime-web", int8["onnx"]["file"], int8["onnx"]["browser"]),
                    ("LiteRT.js", int8["file"], int8["browser"])]
        else:
            native = m["variants"]["fp32"]["native"]
            runs = [("onnxruntime-web", m["variants"]["int8"]["file"], m["variants"]["int8"]["browser"])]
        yield key, native, runs


def default_path(ctx, data: dict) -> str:
    """What a reader's answer costs with each runtime's int8 file, as a multiple of native
    onnxruntime on the fp32 file, for every model the classifier offers."""
    rows = []
    default = {"litert": "LiteRT.js", "ort": "onnxruntime-web"}[default_runtime(ctx)]
    for key, native, runs in _default_rows(ctx, data):
        variants = ctx.models[key]["variants"]
        rows.append([_name(ctx, data, key), "onnxruntime, native, fp32 <code>.onnx</code>",
                     fmt_bytes(variants["fp32"]["bytes"]), "", *[fmt_ms(native[t]["median_ms"]) for t in THREADS]])
        for label, file, b in runs:
            # the export's record of this file: the ONNX int8 variant, or its .tflite copy
            record = variants["int8"] if label == "onnxruntime-web" else variants["int8"].get("tflite", {})
            agree = record.get("validation", {}).get("top1_agreement")
            rows.append(["", f"{label}, int8 <code>.{escape(file.rsplit('.', 1)[-1])}</code>"
                             + ("<br><small>the classifier's default</small>" if label == default else ""),
                         fmt_bytes(record["bytes"]) if record else "—",
                         fmt_pct(agree) if agree is not None else "—",
                         *[f"{fmt_ms(b[t]['median_ms'])}<br><strong>{fmt_ratio(b[t]['median_ms'] / native[t]['median_ms'])}</strong>"
                           for t in THREADS]])
    if not rows:
        raise PluginError("benchmarks/results.json has no int8 file of a model that classifies")
    head = ["Model", "Runtime and file", "Download", "Same top-1 as fp32",
            "1 thread (÷ native fp32)", "2 threads (÷ native fp32)"]
    return lwm_html.table(head, rows, caption=f"Median latency of one image; each browser row ÷ the native fp32 row "
                                              f"with the same threads; {_when(data)}")


def ort_int8_ratio(ctx, data: dict) -> str:
    """Inline: onnxruntime-web's int8 file ÷ native fp32 with 2 threads, over the models."""
    ratios = sorted(runs[0][2]["2"]["median_ms"] / native["2"]["median_ms"] for _, native, runs in _default_rows(ctx, data))
    if not ratios:
        raise PluginError("benchmarks/results.json has no int8 file of a model that classifies")
    low, high = fmt_ratio(ratios[0]), fmt_ratio(ratios[-1])
    return low if low == high else f"{low} to {high}"


def litert_int8_ratio(ctx, data: dict) -> str:
    """Inline: LiteRT.js's int8 file ÷ native fp32 with 2 threads, over the models timed."""
    ratios = sorted(runs[1][2]["2"]["median_ms"] / native["2"]["median_ms"]
                    for _, native, runs in _default_rows(ctx, data) if len(runs) > 1)
    if not ratios:
        return "not timed in this run (it had no int8 .tflite file)"
    low, high = fmt_ratio(ratios[0]), fmt_ratio(ratios[-1])
    return low if low == high else f"{low} to {high}"


def litert_int8_speedup(ctx, data: dict) -> str:
    """Inline: onnxruntime-web's int8 time ÷ LiteRT.js's, 1 and 2 threads, over the models timed."""
    rows = [(native, runs) for _, native, runs in _default_rows(ctx, data) if len(runs) > 1]
    if not rows:
        return "not timed in this run (it had no int8 .tflite file)"

    def span(t: str) -> str:
        ratios = sorted(runs[0][2][t]["median_ms"] / runs[1][2][t]["median_ms"] for _, runs in rows)
        low, high = fmt_ratio(ratios[0]), fmt_ratio(ratios[-1])
        return low if low == high else f"{low} to {high}"

    return f"{span('1')} sooner with 1 thread and {span('2')} with 2"


# ---------------------------------------------------------------------------
# Where onnxruntime-web spends an int8 file's time (benchmarks/opprofile.py)
# ---------------------------------------------------------------------------
OPPROFILE = Path(os.environ.get("LWM_OPPROFILE", "benchmarks/opprofile.json"))
PROFILE_KINDS = (("depthwise", "Depthwise"), ("pointwise", "Pointwise (1×1)"), ("conv", "Other convolutions"),
                 ("other", "Everything else"))
CLASSIFIER_INT8 = "int8 (QLinear, the classifier's)"


def load_opprofile(path: Path | None = None) -> dict:
    path = Path(path or OPPROFILE)
    if not path.is_file():
        raise PluginError(f"{path} not found: run `.venv/bin/python -m benchmarks.opprofile` (make bench does)")
    try:
        data = json.loads(path.read_text())
        for key, files in data["models"].items():
            for label, f in files.items():
                for side in ("browser_ms", "native_ms"):
                    if set(f[side]) != {k for k, _ in PROFILE_KINDS}:
                        raise KeyError(f"{key} {label} {side}")
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise PluginError(f"{path} is not a profile of benchmarks/opprofile.py ({exc}): run it again") from None
    return data


def _cell(f: dict, kind: str | None) -> str:
    b = sum(f["browser_ms"].values()) if kind is None else f["browser_ms"][kind]
    n = sum(f["native_ms"].values()) if kind is None else f["native_ms"][kind]
    return f"{fmt_ms(b)}<br><strong>{fmt_ratio(b / n)}</strong>" if n > 0 else fmt_ms(b)


def int8_profile(ctx, data: dict) -> str:
    """Per kind of layer, the time onnxruntime-web's kernels took per image in Chromium, and
    that time ÷ native onnxruntime's, for each pretrained model's fp32 and int8 files."""
    prof = load_opprofile()
    rows = []
    for key, files in prof["models"].items():
        for i, (label, f) in enumerate(files.items()):
            rows.append([_name(ctx, data, key) if i == 0 else "", f'<span title="{escape(f["file"])}">{escape(label)}</span>',
                         *[_cell(f, k) for k, _ in PROFILE_KINDS], _cell(f, None)])
    head = ["Model", "File", *[f"{name}: Chromium (÷ native)" for _, name in PROFILE_KINDS], "All kernels"]
    return lwm_html.table(head, rows, caption=(
        f"onnxruntime's profiler, one thread, per image (warm-up runs included), graph optimization 'all' on both "
        f"sides; {escape(prof['browser'])}, onnxruntime {escape(prof['onnxruntime'])}, {escape(prof['generated_at'])}"))


def int8_depthwise(ctx, data: dict) -> str:
    """Inline: what the depthwise convolutions cost onnxruntime-web in the classifier's int8 files."""
    prof = load_opprofile()
    files = [f for m in prof["models"].values() for label, f in m.items() if label == CLASSIFIER_INT8]
    fp32 = [m["fp32"] for m in prof["models"].values() if "fp32" in m]
    if not files:
        raise PluginError(f"{OPPROFILE} has no file profiled as {CLASSIFIER_INT8!r}")

    def span(values: list[float], fmt=fmt_ratio) -> str:
        low, high = fmt(min(values)), fmt(max(values))
        return low if low == high else f"{low} to {high}"

    def share(f: dict, side: str) -> float:
        return f[side]["depthwise"] / sum(f[side].values())

    dw = [f["browser_ms"]["depthwise"] / f["native_ms"]["depthwise"] for f in files]
    pw = [f["browser_ms"]["pointwise"] / f["native_ms"]["pointwise"] for f in files]
    pct = lambda x: fmt_pct(x, 0)  # noqa: E731
    text = (f"its int8 depthwise convolutions took {span(dw)} their native time, its int8 pointwise ones "
            f"{span(pw)}; the depthwise layers were {span([share(f, 'browser_ms') for f in files], pct)} of the "
            f"int8 file's kernel time in Chromium and {span([share(f, 'native_ms') for f in files], pct)} natively")
    if fp32:
        dw32 = [f["browser_ms"]["depthwise"] / g["browser_ms"]["depthwise"] for f, g in zip(files, fp32)]
        pw32 = [f["browser_ms"]["pointwise"] / g["browser_ms"]["pointwise"] for f, g in zip(files, fp32)]
        text += (f". Against the fp32 file in Chromium, int8 took {span(pw32)} the time in the pointwise layers "
                 f"and {span(dw32)} in the depthwise ones")
    return text


PARTS: dict[str, Callable] = {
    "int8-profile": int8_profile,
    "int8-depthwise": int8_depthwise,
    "litert-int8-speedup": litert_int8_speedup,
    "default-path": default_path,
    "ort-int8-ratio": ort_int8_ratio,
    "litert-int8-ratio": litert_int8_ratio,
    "goals": goals,
    "machine": machine,
    "cpu": cpu,
    "ratio": ratio,
    "table": table,
    "chart": chart,
    "cold-start": cold_start,
    "experiments": experiments,
    "ceiling": ceiling,
    "webnn": webnn,
    "litert": litert,
    "litert-cold": litert_cold,
    "litert-ratio": litert_ratio,
    "goal-ratio": goal_ratio,
    "int8-slower": int8_slower,
    "int8-faster-browser": int8_faster_browser,
    "shrink": shrink,
    "device": device,
}


def marker(ctx, arg: str | None) -> str:
    """``<!-- benchmark: part [argument] -->``"""
    words = (arg or "").split()
    if not words or words[0] not in PARTS:
        raise PluginError(f"benchmark marker needs one of: {', '.join(PARTS)}")
    # the file is read and checked once per page, not once per marker
    data = ctx.once("benchmark-results", load_results)
    return PARTS[words[0]](ctx, data, *words[1:])
