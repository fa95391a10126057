"""The Benchmarks page: benchmarks/results.json (written by ``make bench``) as tables and charts.

One marker, ``<!-- benchmark: <part> -->``, with the parts in PARTS. The results file is
measured, committed and read at build time; a missing or malformed file fails the build
with a message saying how to make it. The published figures beside ours are in PUBLISHED,
each with its source; nothing else on the page is typed by hand.
"""

from __future__ import annotations

import json
import os
from html import escape
from pathlib import Path
from typing import Callable

from mkdocs.exceptions import PluginError

import lwm_charts
from export.bench_results import THREADS, ResultsError, check
from export.constants import VARIANTS
from lwm_format import fmt_bytes, fmt_ms, fmt_ratio

RESULTS = Path(os.environ.get("LWM_BENCH_RESULTS", "benchmarks/results.json"))

# Our goals for the browser (targets we set ourselves, not measurements).
GOAL_RATIO = 3.0  # browser ÷ native, 2 threads
GOAL_COLD_MS = 1500.0
GOAL_COMPRESSED_BYTES = 8_000_000

ZOO = "https://github.com/onnx/models"
ZOO_MOBILENET = f"{ZOO}/blob/823a7c29d37b68b1539d5041db3e8fc2e095baa4/vision/classification/mobilenet/README.md"
ZOO_SQUEEZENET = f"{ZOO}/blob/0c34da878c48181530c1e1bc6631d7ffa2042db1/vision/classification/squeezenet/README.md"
WANG = "https://doi.org/10.1145/3688843"
WANG_TEXT = ("Wang et al., “Anatomizing Deep Learning Inference in Web Browsers”, "
             "ACM TOSEM 2025 (arXiv:2402.05981)")

# Published figures, each with its source. Sizes are the files' byte counts in the ONNX Model
# Zoo; accuracies are the top-1 figures in each model's README there (ImageNet validation).
PUBLISHED = {
    "zoo_files": [
        # (our model, zoo file, bytes, source)
        ("mobilenet_v2", "mobilenetv2-12-int8.onnx", 3_655_033, ZOO),
        ("squeezenet1_0", "squeezenet1.0-12-int8.onnx", 1_293_388, ZOO),
    ],
    "zoo_int8_top1": [
        # (our model, zoo model, fp32 top-1 %, int8 top-1 %, source)
        ("mobilenet_v2", "MobileNet v2-1.0 (opset 12)", 69.48, 68.30, ZOO_MOBILENET),
        ("squeezenet1_0", "SqueezeNet 1.0 (opset 12)", 56.85, 56.48, ZOO_SQUEEZENET),
    ],
    # in-browser against native prediction latency on PCs' CPUs, onnxruntime-web (ORT.js 1.14,
    # WASM with SIMD and 4 threads) against onnxruntime; and the average over TF.js and ORT.js
    "wang_ort_gap": (2.1, 36.4),
    "wang_average_gap": 16.9,
}


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


def _table(head: list[str], rows: list[list[str]], caption: str = "") -> str:
    cap = f"<caption>{caption}</caption>" if caption else ""
    th = "".join(f'<th scope="col">{h}</th>' for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<div class="lwm-table-wrap"><table>{cap}<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>'


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
            f"onnxruntime {escape(ver['onnxruntime'])}")


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
    return (_table(["", "This run"], rows, caption="The machine, the browser and the libraries")
            + _table(["What", "How it was measured"], method, caption="Method, as recorded in the results file"))


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
    verdict = (f"Goal (≤ {fmt_ratio(GOAL_RATIO)} with 2 threads, every model and variant): "
               + ("met." if over == 0 else f"not met: {over} of {total} model files are above it."))
    return (f'<p class="lwm-verdict"><strong>{escape(verdict)}</strong> ✓ marks those within it.</p>'
            + _table(["Model", "Variant", "Browser ÷ native, 1 thread", "Browser ÷ native, 2 threads"], rows,
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
    return _table(head, rows, caption=f"Latency of one image (median); {_when(data)}")


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
        f"browser ÷ native ({threads} {word}); our goal is ≤ {fmt_ratio(GOAL_RATIO)} with 2 threads",
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
        ["Default model", f"{name} ({escape(str(c['variant']))})", ""],
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
    return (_table(["Classifier page, cold", "Measured", "Our goal"], rows,
                   caption=f"Fresh browser profile on localhost; {_when(data)}")
            + _table(["Largest files fetched", "On disk", "Transferred", "gzip"], files))


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
    out = _table(["Change", "Model", "Threads", "session.run (median)", "× the default", "Session creation",
                  "First run"], rows,
                 caption=f"One change at a time on top of the classifier's configuration; session creation and "
                         f"first run are medians over the rounds; {_when(data)}")
    skipped = [[escape(x["change"]), escape(x["why"])] for x in data.get("not_run", [])]
    if skipped:
        out += _table(["Not measured", "Why"], skipped)
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
    return _table(["Threads", "Native onnxruntime", "onnxruntime-web (WASM)", "Browser ÷ native"], rows,
                  caption=f"{escape(c['op'])}: {c['macs']:,} multiply-adds, median; {_when(data)}")


def webnn(ctx, data: dict) -> str:
    w = data["webnn"]
    parts = []
    for name, r in w.items():
        how = "with its defaults" if not r["args"] else f"with <code>{escape(' '.join(r['args']))}</code>"
        parts.append(f"{how}: {'available' if r['available'] else 'not available'} "
                     f"(<code>{escape(r['detail'])}</code>)")
    return f"<p>WebNN in {escape(data['versions']['browser'])} " + "; ".join(parts) + ".</p>"


def published(ctx, data: dict) -> str:
    zoo = f'<a href="{ZOO}">ONNX Model Zoo (github.com/onnx/models)</a>'
    sizes = []
    for key, f, n, _src in PUBLISHED["zoo_files"]:
        ours = data["models"].get(key, {}).get("variants", {}).get("int8")
        sizes.append([_name(ctx, data, key) if key in data["models"] else escape(key), f"<code>{f}</code>",
                      fmt_bytes(n), fmt_bytes(ours["bytes"]) if ours else "n/a",
                      f"{ours['bytes'] / n:.2f}×" if ours else ""])
    acc = [[_name(ctx, data, key) if key in data["models"] else escape(key), escape(zm), f"{a:.2f} %", f"{b:.2f} %",
            f"{a - b:.2f} points", f'<a href="{src}">README</a>'] for key, zm, a, b, src in PUBLISHED["zoo_int8_top1"]]
    lo, hi = PUBLISHED["wang_ort_gap"]
    return (
        _table(["Model", "Zoo file (int8)", "Zoo bytes (published)", "Our int8 bytes (measured)", "Ours ÷ zoo"],
               sizes, caption=f"File sizes: {zoo}")
        + _table(["Model", "Zoo model", "fp32 top-1", "int8 top-1", "Drop", "Source"], acc,
                 caption=f"int8 accuracy drops published by the {zoo} (ImageNet validation, their weights)")
        + f'<p>Published in-browser latency: {escape(WANG_TEXT)} (<a href="{WANG}">{WANG}</a>) measured '
          f"onnxruntime-web (WASM, SIMD, 4 threads) between {fmt_ratio(lo)} and {fmt_ratio(hi)} slower than "
          f"native onnxruntime on PC CPUs, and {fmt_ratio(PUBLISHED['wang_average_gap'])} slower on average over "
          f"the two in-browser frameworks they studied.</p>"
    )


def goals(ctx, data: dict) -> str:
    """Our three goals for the browser, each with this run's figure and whether it is met."""
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
    return _table(["Goal", "This run", ""], rows, caption=f"Our goals for the browser; {_when(data)}")


PARTS: dict[str, Callable] = {
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
    "published": published,
}


def marker(ctx, arg: str | None) -> str:
    """``<!-- benchmark: part [argument] -->``"""
    words = (arg or "").split()
    if not words or words[0] not in PARTS:
        raise PluginError(f"benchmark marker needs one of: {', '.join(PARTS)}")
    return PARTS[words[0]](ctx, load_results(), *words[1:])
