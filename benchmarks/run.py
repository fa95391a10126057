"""The benchmark: onnxruntime in the browser against onnxruntime native, one run, one machine.

    make bench                          # builds the site first, then runs the line below
    .venv/bin/python -m benchmarks.run  # writes benchmarks/results.json

It is a measurement, not a test: it never runs in CI, and it takes about ten minutes on a
2-core machine. For every model and variant in build/models/models.json it measures

- native onnxruntime (CPU execution provider), 1 and 2 threads, with export/measure.py's
  ``ort_latency_ms`` (the figures the exporter records, taken again here so that both sides
  come from the same run on the same machine);
- onnxruntime-web (WASM) in headless Chromium, ``session.run`` alone on a fixed input, after
  warm-up (site_app/benchworker.js): 1 thread on a page that is not cross-origin isolated,
  2 threads on an isolated one, with the classifier's session options and the file the
  classifier opens (for int8 the pre-optimized copy), plus session creation and first run;
- the kernel ceiling: one fp32 MatMul in both runtimes, the part no session option reaches;
- the classifier page's cold start: navigation to the first top-5 result for the default model,
  in a fresh browser profile, and every byte it transferred, as the browser received it
  (site_app/serve.py compresses with brotli) and as a gzip-only host would send it;
- the experiments: which files and session options move the browser's latency (``EXPERIMENTS``);
- whether this Chromium offers WebNN.

It serves the built site itself (site_app/serve.py, isolated and not) and drives Debian's
Chromium (``CHROMIUM``, default /usr/bin/chromium) with the flags the end-to-end tests use.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

from site_app.browser import CHROMIUM, CHROMIUM_ARGS, serve_in_thread

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = Path(os.environ.get("LWM_MODELS_DIR", ROOT / "build" / "models"))
SITE_DIR = Path(os.environ.get("LWM_SITE_DIR", ROOT / "site"))
RESULTS = ROOT / "benchmarks" / "results.json"

SCHEMA_VERSION = 2
THREADS = ("1", "2")
VARIANT_ORDER = ("fp32", "fp16", "int8")
# what site_app/worker.js passes to InferenceSession.create (keep the two in step)
CLASSIFIER_OPTIONS = {"graphOptimizationLevel": "all"}
# browser runs: warm-up, then up to RUNS timed runs, fewer when a model spends the budget
WARMUP, RUNS, BUDGET_MS = 3, 10, 4000
GZIP_LEVEL = 6
COLD_RUNS = 3

# One change at a time on top of the classifier's configuration. "file" says which file of the
# variant is opened: "classifier" = what the classifier loads (the pre-optimized copy for int8,
# export/convert.py's optimize_for_web), "portable" = the variant's own QDQ/ONNX file, "ort" =
# the pre-optimized copy converted to ORT format here. The input's free dimension is called
# "batch" in every exported file (export/convert.py's dynamic axis).
EXPERIMENTS: list[dict] = [
    {"name": "default", "change": "the classifier's configuration: its file, graphOptimizationLevel 'all'",
     "options": {}},
    {"name": "portable-file", "file": "portable",
     "change": "the portable QDQ file, fused by onnxruntime-web at every load (the default until this run)",
     "options": {}},
    {"name": "ort-format", "file": "ort", "change": "the pre-optimized model in ORT format (.ort) instead of ONNX",
     "options": {}},
    {"name": "weights-as-float", "file": "portable",
     "change": "the portable QDQ file with session.disable_quant_qdq: int8 weights become float at load, "
               "float kernels run between 8-bit rounding steps",
     "options": {"extra": {"session": {"disable_quant_qdq": "1"}}}},
    {"name": "opt-extended", "change": "graphOptimizationLevel 'extended': no layout transformation (NCHW kept)",
     "options": {"graphOptimizationLevel": "extended"}},
    {"name": "opt-basic", "change": "graphOptimizationLevel 'basic'", "options": {"graphOptimizationLevel": "basic"}},
    {"name": "opt-disabled", "change": "graphOptimizationLevel 'disabled'",
     "options": {"graphOptimizationLevel": "disabled"}},
    {"name": "fixed-batch", "change": "freeDimensionOverrides {batch: 1}: a fixed input shape",
     "options": {"freeDimensionOverrides": {"batch": 1}}},
    {"name": "parallel", "change": "executionMode 'parallel'", "options": {"executionMode": "parallel"}},
    {"name": "no-mem-pattern", "change": "enableMemPattern false", "options": {"enableMemPattern": False}},
]
EXPERIMENT_MODELS = (("efficientnet_lite0", "fp32"), ("efficientnet_lite0", "int8"))
EXPERIMENT_ROUNDS = 3
# The kernel ceiling: one fp32 matrix product, the operation most of a CNN's time goes to
# (1x1 convolutions are one), in both runtimes. No session option changes this kernel.
CEILING_N = 512
# what was considered and not measured, and why (shown on the page beside the experiments)
NOT_RUN = [
    {"change": "ort.env.wasm.simd = false (no SIMD)",
     "why": "onnxruntime-web 1.30 ships only SIMD builds of its WebAssembly (ort-wasm-simd-threaded*.wasm); "
            "there is no build without SIMD to compare with"},
    {"change": "more than 2 threads",
     "why": "the benchmark machine has 2 cores; more threads than cores only adds contention"},
    {"change": "an onnxruntime-web build with relaxed SIMD (fused multiply-add) or the XNNPACK execution provider",
     "why": "the npm package ships neither; building onnxruntime for WebAssembly needs the Emscripten SDK, "
            "which cannot be installed from the package registries this project builds from"},
]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def summarize(times: list[float]) -> dict:
    """Median and p90 as export/measure.py computes them."""
    t = sorted(times)
    return {
        "median_ms": round(statistics.median(t), 3),
        "p90_ms": round(t[int(0.9 * (len(t) - 1))], 3),
        "runs": len(t),
    }


# ---------------------------------------------------------------------------
# The machine
# ---------------------------------------------------------------------------


def machine() -> dict:
    from export.cpu import describe

    cpu = describe()  # {"cpu", "cpu_features", "cpu_summary"}: native kernels depend on them
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {
        **cpu,
        "cores": os.cpu_count(),
        "memory_bytes": mem,
        "platform": platform.platform(),
    }


def ordered_jobs(manifest: dict) -> list[tuple[str, str]]:
    return [(k, v) for k, e in manifest["models"].items() for v in VARIANT_ORDER if v in e["variants"]]


# ---------------------------------------------------------------------------
# Native onnxruntime
# ---------------------------------------------------------------------------


def classifier_file(manifest: dict, key: str, variant: str) -> dict:
    """The file the classifier's WebAssembly backend opens: the pre-optimized copy if any."""
    v = manifest["models"][key]["variants"][variant]
    return v.get("optimized") or v


def native(manifest: dict, key: str, variant: str) -> dict:
    """Both thread counts for the file the browser runs, with the exporter's own measurement."""
    from export.measure import ort_latency_ms

    e = manifest["models"][key]
    size = e["preprocess"]["input_size"]
    path = MODELS_DIR / classifier_file(manifest, key, variant)["file"]
    return {t: ort_latency_ms(path, (1, 3, size, size), int(t)) for t in THREADS}


# ---------------------------------------------------------------------------
# The browser
# ---------------------------------------------------------------------------


def serve(isolate: bool):
    server = serve_in_thread(SITE_DIR, isolate=isolate)
    return server, server.url


# runs one benchworker.js in a page of the site and returns its answer
BENCH_JS = """async (req) => {
  const worker = new Worker(new URL('app/benchworker.js', document.baseURI), { type: 'module' });
  try {
    return await new Promise((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(e.message || 'worker error'));
      // the model's address is relative to the site's root, not to the worker's folder
      worker.postMessage({ ...req, modelUrl: new URL(req.modelUrl, document.baseURI).href });
    });
  } finally {
    worker.terminate();
  }
}"""


def browser_run(page, manifest: dict, key: str, variant: str, threads: str, options: dict,
                file: str | None = None) -> dict:
    """One fresh worker and session; ``file`` (relative to the site) overrides the model file."""
    e = manifest["models"][key]
    size = e["preprocess"]["input_size"]
    return _browser_request(page, {
        "modelUrl": file or f"models/{classifier_file(manifest, key, variant)['file']}",
        "inputName": e["input"]["name"],
        "inputShape": [1, 3, size, size],
        "threads": int(threads),
        "options": {**CLASSIFIER_OPTIONS, **options},
    }, f"{key} {variant}, {threads} thread(s)")


def _browser_request(page, req: dict, what: str) -> dict:
    ans = page.evaluate(BENCH_JS, {"warmup": WARMUP, "runs": RUNS, "budgetMs": BUDGET_MS, **req})
    if not ans.get("ok"):
        raise RuntimeError(f"{what}: {ans.get('error')}")
    if ans["threads"] != req["threads"]:
        raise RuntimeError(f"{what}: asked for {req['threads']} threads, onnxruntime-web used {ans['threads']}")
    return {**summarize(ans["times"]), "session_ms": round(ans["sessionMs"], 1),
            "first_run_ms": round(ans["firstRunMs"], 1),
            "cross_origin_isolated": ans["crossOriginIsolated"], "_version": ans["version"], "_times": ans["times"]}


def browser_and_native(pages: dict, manifest: dict) -> tuple[dict, dict, str | None]:
    """Each model file natively, then at once in the browser: other work on the machine, if
    any, then weighs on both sides of a ratio alike instead of on one phase of the run."""
    nat: dict = {}
    out: dict = {}
    version = None
    jobs = ordered_jobs(manifest)
    for i, (key, variant) in enumerate(jobs, 1):
        nat.setdefault(key, {})[variant] = native(manifest, key, variant)
        log(f"native  {i}/{len(jobs)} {key} {variant}: "
            f"{nat[key][variant]['1']['median_ms']} ms (1 thread), {nat[key][variant]['2']['median_ms']} ms (2 threads)")
        for threads in THREADS:
            r = browser_run(pages[threads], manifest, key, variant, threads, {})
            version = r.pop("_version")
            r.pop("_times")
            out.setdefault(key, {}).setdefault(variant, {})[threads] = r
        log(f"browser {i}/{len(jobs)} {key} {variant}: "
            f"{out[key][variant]['1']['median_ms']} ms (1 thread), {out[key][variant]['2']['median_ms']} ms (2 threads)")
    return nat, out, version


def ort_format_copies(manifest: dict, workdir: Path) -> dict[str, str]:
    """The pre-optimized files of EXPERIMENT_MODELS made again in ORT format, under ``workdir``
    (inside the served site): {model file: site-relative path of its .ort copy}."""
    from export.convert import optimize_for_web

    out = {}
    for key, variant in EXPERIMENT_MODELS:
        v = manifest["models"].get(key, {}).get("variants", {}).get(variant)
        if not v or "optimized" not in v:
            continue
        dest = workdir / (Path(v["optimized"]["file"]).stem + ".ort")
        optimize_for_web(MODELS_DIR / v["file"], dest, model_format="ORT")
        out[v["optimized"]["file"]] = str(dest.relative_to(SITE_DIR))
    return out


def experiments(pages: dict, manifest: dict, ort_copies: dict[str, str]) -> list[dict]:
    """Each change in EXPERIMENTS, in EXPERIMENT_ROUNDS interleaved rounds.

    One configuration after another in a round, then the round again: a burst of other work
    on the machine then lands on every configuration alike instead of on one of them. The
    figures pool the timed runs of all rounds; ``round_medians`` keeps each round's median,
    and the session and first-run times are medians over the rounds.
    """
    jobs = []
    for key, variant in EXPERIMENT_MODELS:
        if key not in manifest["models"] or variant not in manifest["models"][key]["variants"]:
            continue
        v = manifest["models"][key]["variants"][variant]
        files = {"classifier": None, "portable": f"models/{v['file']}"}
        if "optimized" in v:
            files["ort"] = ort_copies.get(v["optimized"]["file"])
        for x in EXPERIMENTS:
            which = x.get("file", "classifier")
            # a file change only means something where the classifier opens a pre-optimized copy
            if which != "classifier" and ("optimized" not in v or files.get(which) is None):
                continue
            for threads in THREADS:
                jobs.append((key, variant, x, files[which], threads))
    runs: dict[int, list[dict]] = {i: [] for i in range(len(jobs))}
    errors: dict[int, str] = {}
    for rnd in range(1, EXPERIMENT_ROUNDS + 1):
        for i, (key, variant, x, file, threads) in enumerate(jobs):
            if i in errors:
                continue
            try:
                runs[i].append(browser_run(pages[threads], manifest, key, variant, threads, x["options"], file))
            except RuntimeError as exc:  # an option the runtime refuses is a result too
                errors[i] = str(exc)
        log(f"experiments: round {rnd} of {EXPERIMENT_ROUNDS} done ({len(jobs)} configurations)")
    out = []
    for i, (key, variant, x, file, threads) in enumerate(jobs):
        row = {"name": x["name"], "change": x["change"], "model": key, "variant": variant, "threads": threads,
               "file": (file or f"models/{classifier_file(manifest, key, variant)['file']}").split("/")[-1],
               "options": {**CLASSIFIER_OPTIONS, **x["options"]}}
        if i in errors:
            row["error"] = errors[i]
        else:
            row.update(summarize([t for r in runs[i] for t in r["_times"]]))
            row["round_medians"] = [r["median_ms"] for r in runs[i]]
            row["session_ms"] = round(statistics.median(r["session_ms"] for r in runs[i]), 1)
            row["first_run_ms"] = round(statistics.median(r["first_run_ms"] for r in runs[i]), 1)
        out.append(row)
    return out


def ceiling(pages: dict, workdir: Path) -> dict:
    """One fp32 MatMul (CEILING_N cubed), natively and in the browser: how far apart the two
    runtimes' core kernel is, whatever the model and the session options."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from export.measure import ort_latency_ms

    n = CEILING_N
    w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((n, n)).astype(np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, n, n])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, n, n])], [w])
    path = workdir / "matmul.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    nat = {t: ort_latency_ms(path, (1, n, n), int(t)) for t in THREADS}
    web = {}
    for t in THREADS:
        r = _browser_request(pages[t], {"modelUrl": str(path.relative_to(SITE_DIR)), "inputName": "x",
                                        "inputShape": [1, n, n], "threads": int(t), "options": CLASSIFIER_OPTIONS},
                             f"MatMul {n}, {t} thread(s)")
        r.pop("_version"), r.pop("_times")
        web[t] = r
    log(f"ceiling: MatMul {n}: native {nat['1']['median_ms']} / {nat['2']['median_ms']} ms, "
        f"browser {web['1']['median_ms']} / {web['2']['median_ms']} ms")
    return {"op": f"MatMul fp32, [1, {n}, {n}] × [{n}, {n}]", "macs": n ** 3, "native": nat, "browser": web,
            "ratio": {t: round(web[t]["median_ms"] / nat[t]["median_ms"], 2) for t in THREADS}}


WEBNN_JS = """async () => {
  if (!('ml' in navigator)) return { available: false, detail: 'navigator.ml is not defined' };
  try {
    await navigator.ml.createContext({ deviceType: 'cpu' });
    return { available: true, detail: 'navigator.ml.createContext({deviceType: "cpu"}) succeeded' };
  } catch (err) {
    return { available: false, detail: `${err.name}: ${err.message}` };
  }
}"""


def site_file(url: str) -> Path | None:
    path = unquote(urlparse(url).path).lstrip("/")
    f = SITE_DIR / path
    if f.is_dir() or path == "":
        f = f / "index.html"
    return f if f.is_file() else None


def cold_start(browser_obj, base: str) -> dict:
    """Navigation to the first top-5 result on the classifier page, fresh profile each time."""
    runs, transfer, default = [], None, None
    for i in range(COLD_RUNS):
        context = browser_obj.new_context()
        page = context.new_page()
        finished: list = []
        page.on("requestfinished", lambda r: finished.append(r))
        page.goto(base + "classifier/")
        # what a reader does first: click the first sample photo as soon as it is there
        page.get_by_role("button", name="Classify the sample photo").first.click()
        handle = page.wait_for_function(
            "() => document.querySelectorAll('#lwm-top5 > li').length >= 5 ? performance.now() : false",
            polling=10, timeout=120_000,
        )
        runs.append(round(handle.json_value(), 1))
        q = dict(p.split("=", 1) for p in urlparse(page.url).query.split("&") if "=" in p)
        default = {"model": q.get("model"), "variant": q.get("variant")}
        if transfer is None:
            page.wait_for_timeout(500)  # let late requests (icons, the service worker) finish
            transfer = transfer_sizes(finished)
        context.close()
        log(f"cold start {i + 1}/{COLD_RUNS}: {runs[-1]} ms")
    return {**default, "runs_ms": runs, "median_ms": round(statistics.median(runs), 1), "transfer": transfer}


def transfer_sizes(requests: list) -> dict:
    """What the page's requests carried: body bytes on the wire as the browser counted them
    (compressed when the server compressed), the files' own sizes, and gzip level GZIP_LEVEL
    computed from the same files for a host that compresses with gzip only."""
    files, seen = [], set()
    for req in requests:
        f = site_file(req.url)
        if f is None or f in seen:
            continue
        seen.add(f)
        data = f.read_bytes()
        response = req.response()
        encoding = (response.headers.get("content-encoding") if response else None) or "identity"
        body = req.sizes()["responseBodySize"]
        counted = "browser"
        if body <= 0 < len(data):
            # Chromium reports no body size for some requests (a worker's script): count what
            # the server sends for it, the brotli sidecar or the file
            sidecar = f.with_name(f.name + ".br")
            body = sidecar.stat().st_size if encoding == "br" and sidecar.is_file() else len(data)
            counted = "server"
        files.append({"path": str(f.relative_to(SITE_DIR)), "bytes": len(data),
                      "transferred_bytes": body, "counted": counted, "encoding": encoding,
                      "gzip_bytes": len(gzip.compress(data, GZIP_LEVEL))})
    files.sort(key=lambda x: -x["bytes"])
    return {
        "raw_bytes": sum(x["bytes"] for x in files),
        "transferred_bytes": sum(x["transferred_bytes"] for x in files),
        "gzip_bytes": sum(x["gzip_bytes"] for x in files),
        "gzip_level": GZIP_LEVEL,
        "requests": len(files),
        "python_loaded": any("pyodide" in x["path"] for x in files),
        "files": files,
    }


def webnn() -> dict:
    """Whether this Chromium offers WebNN (onnxruntime-web's 'webnn' provider needs it), by
    default and with its feature flag."""
    from playwright.sync_api import sync_playwright

    out = {}
    server, url = serve(isolate=True)
    try:
        with sync_playwright() as pw:
            for name, extra in (("default", []), ("flag", ["--enable-features=WebMachineLearningNeuralNetwork"])):
                b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + extra)
                page = b.new_page()
                page.goto(url)
                out[name] = {"args": extra, **page.evaluate(WEBNN_JS)}
                b.close()
    finally:
        server.shutdown()
    return out


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


def versions(browser_version: str, ort_web: str | None) -> dict:
    import onnxruntime
    import torch

    pkg = json.loads((ROOT / "node_modules" / "onnxruntime-web" / "package.json").read_text())
    return {
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "onnxruntime_web": ort_web or pkg["version"],
        "torch": torch.__version__,
        "browser": browser_version,
    }


def assemble(manifest: dict, nat: dict, web: dict) -> dict:
    models = {}
    for key, e in manifest["models"].items():
        vs = {}
        for v in VARIANT_ORDER:
            if v not in e["variants"]:
                continue
            ratio = {t: round(web[key][v][t]["median_ms"] / nat[key][v][t]["median_ms"], 2) for t in THREADS}
            f = classifier_file(manifest, key, v)
            vs[v] = {"file": f["file"], "bytes": f["bytes"], "gzip_bytes": f["gzip_bytes"],
                     "native": nat[key][v], "browser": web[key][v], "ratio": ratio}
        models[key] = {"display_name": e["display_name"], "pretrained": e["pretrained"], "variants": vs}
    return models


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=RESULTS, help="results file (default benchmarks/results.json)")
    p.add_argument("--models", help="comma-separated model keys, for a quick partial run (the Benchmarks page "
                                     "expects every model: write a partial run elsewhere with --out)")
    args = p.parse_args(argv)
    if not (MODELS_DIR / "models.json").is_file():
        print(f"error: {MODELS_DIR}/models.json not found: run `make models`", file=sys.stderr)
        return 1
    if not (SITE_DIR / "app" / "benchworker.js").is_file():
        print(f"error: {SITE_DIR}/app/benchworker.js not found: build the site (make site)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    manifest = json.loads((MODELS_DIR / "models.json").read_text())
    if args.models:
        wanted = [k.strip() for k in args.models.split(",") if k.strip()]
        unknown = [k for k in wanted if k not in manifest["models"]]
        if unknown:
            print(f"error: not in the manifest: {', '.join(unknown)}", file=sys.stderr)
            return 2
        manifest["models"] = {k: manifest["models"][k] for k in wanted}
    started = time.monotonic()
    # other work on the machine skews every figure (two threads most of all): record it
    load_before = os.getloadavg()
    log(f"{len(ordered_jobs(manifest))} model files, each natively and then in Chromium")

    isolated, isolated_url = serve(isolate=True)
    plain, plain_url = serve(isolate=False)
    # files made for this run only (the ORT-format copies, the MatMul), served with the site
    workdir = SITE_DIR / "_bench"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    try:
        ort_copies = ort_format_copies(manifest, workdir)
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ctx = b.new_context()
            pages = {"1": ctx.new_page(), "2": ctx.new_page()}
            pages["1"].goto(plain_url)  # not isolated: one thread, as a plain static host
            pages["2"].goto(isolated_url)  # COOP/COEP: SharedArrayBuffer, two threads
            pages["1"].set_default_timeout(300_000)
            pages["2"].set_default_timeout(300_000)
            if pages["2"].evaluate("crossOriginIsolated") is not True:
                raise RuntimeError("the isolated server's page is not cross-origin isolated")
            nat, web, ort_web = browser_and_native(pages, manifest)
            ceil = ceiling(pages, workdir)
            exps = experiments(pages, manifest, ort_copies)
            ctx.close()
            cold = cold_start(b, isolated_url)
            browser_version = f"Chromium {b.version} (headless)"
            b.close()
    finally:
        isolated.shutdown()
        plain.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    web_nn = webnn()
    log(f"WebNN: {web_nn}")

    results = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": ".venv/bin/python -m benchmarks.run",
        "duration_s": round(time.monotonic() - started, 1),
        "machine": {**machine(), "load_average_1min": {"start": round(load_before[0], 2),
                                                       "end": round(os.getloadavg()[0], 2)}},
        "versions": versions(browser_version, ort_web),
        "manifest_generated_at": manifest["generated_at"],
        "method": {
            "native": "export/measure.py ort_latency_ms: CPU execution provider, graph optimization 'all', "
                      "5 warm-up runs, then at least 15 runs and 1 s; median and p90; each model file just "
                      "before the same file in the browser",
            "files": "the file the classifier opens, on both sides: for int8 the pre-optimized copy "
                     "(variants.int8.optimized in models.json), for fp32 and fp16 the variant's file",
            "browser": f"onnxruntime-web WASM in a module worker, session.run only on a fixed input; "
                       f"{WARMUP} warm-up runs, then up to {RUNS} timed runs (at least 3, fewer once "
                       f"{BUDGET_MS} ms are spent); 1 thread on a page without cross-origin isolation, "
                       f"2 threads on an isolated one; session options {json.dumps(CLASSIFIER_OPTIONS)}",
            "cold_start": f"fresh browser profile, classifier page on localhost, click the first sample photo "
                          f"as soon as it shows; performance.now() when the fifth result is on the page; "
                          f"{COLD_RUNS} runs, median",
            "experiments": f"one change at a time on top of the classifier's options, measured like the browser "
                           f"runs in {EXPERIMENT_ROUNDS} interleaved rounds; the timed runs of all rounds pooled",
            "transfer": f"every file the classifier page fetched during the first cold start: the body bytes "
                        f"the browser received (site_app/serve.py sends brotli to browsers that accept it), "
                        f"the files' sizes, and gzip level {GZIP_LEVEL} computed from the same files",
            "ceiling": f"one fp32 MatMul [1, {CEILING_N}, {CEILING_N}] x [{CEILING_N}, {CEILING_N}], timed like "
                       f"the models on both sides",
        },
        "models": assemble(manifest, nat, web),
        "cold_start": cold,
        "ceiling": ceil,
        "experiments": exps,
        "webnn": web_nn,
        "not_run": NOT_RUN,
    }
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    log(f"wrote {args.out} in {results['duration_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
