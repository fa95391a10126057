"""The benchmark: onnxruntime in the browser against onnxruntime native, one run, one machine.

    make bench                          # builds the site first, then runs the line below
    .venv/bin/python -m benchmarks.run  # writes benchmarks/results.json

It is a measurement, not a test: it never runs in CI, and it takes about seven minutes on a
2-core machine. For every model and variant in build/models/models.json it measures

- native onnxruntime (CPU execution provider), 1 and 2 threads, with export/measure.py's
  ``ort_latency_ms`` (the figures the exporter records, taken again here so that both sides
  come from the same run on the same machine);
- onnxruntime-web (WASM) in headless Chromium, ``session.run`` alone on a fixed input, after
  warm-up (site_app/benchworker.js): 1 thread on a page that is not cross-origin isolated,
  2 threads on an isolated one, with the classifier's session options;
- the classifier page's cold start: navigation to the first top-5 result for the default model,
  in a fresh browser profile, and every byte it transferred. Our server does not compress, so
  the gzip figure is computed here from the same files (gzip level 6, a common server default);
- the experiments: which session options move the browser's latency (``EXPERIMENTS``).

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
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = Path(os.environ.get("LWM_MODELS_DIR", ROOT / "build" / "models"))
SITE_DIR = Path(os.environ.get("LWM_SITE_DIR", ROOT / "site"))
RESULTS = ROOT / "benchmarks" / "results.json"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# the same flags as tests/conftest.py (headless Debian Chromium, no network but localhost)
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

SCHEMA_VERSION = 1
THREADS = ("1", "2")
VARIANT_ORDER = ("fp32", "fp16", "int8")
# what site_app/worker.js passes to InferenceSession.create (keep the two in step)
CLASSIFIER_OPTIONS = {"graphOptimizationLevel": "all"}
# browser runs: warm-up, then up to RUNS timed runs, fewer when a model spends the budget
WARMUP, RUNS, BUDGET_MS = 3, 10, 4000
GZIP_LEVEL = 6
COLD_RUNS = 3

# (name, what it changes, session options on top of the classifier's); the input's free
# dimension is called "batch" in every exported file (export/convert.py's dynamic axis)
EXPERIMENTS: list[tuple[str, str, dict]] = [
    ("default", "the classifier's options: graphOptimizationLevel 'all'", {}),
    ("opt-extended", "graphOptimizationLevel 'extended'", {"graphOptimizationLevel": "extended"}),
    ("opt-basic", "graphOptimizationLevel 'basic'", {"graphOptimizationLevel": "basic"}),
    ("opt-disabled", "graphOptimizationLevel 'disabled'", {"graphOptimizationLevel": "disabled"}),
    ("fixed-batch", "freeDimensionOverrides {batch: 1}: a fixed input shape", {"freeDimensionOverrides": {"batch": 1}}),
    ("parallel", "executionMode 'parallel'", {"executionMode": "parallel"}),
    ("no-mem-pattern", "enableMemPattern false", {"enableMemPattern": False}),
]
EXPERIMENT_MODELS = (("efficientnet_lite0", "fp32"), ("efficientnet_lite0", "int8"))
EXPERIMENT_ROUNDS = 3
# what was considered and not measured, and why (shown on the page beside the experiments)
NOT_RUN = [
    {"change": "ort.env.wasm.simd = false (no SIMD)",
     "why": "onnxruntime-web 1.30 ships only SIMD builds of its WebAssembly (ort-wasm-simd-threaded*.wasm); "
            "there is no build without SIMD to compare with"},
    {"change": "a pre-optimized ORT-format model (.ort)",
     "why": "not tried in this round: it needs a conversion step in the exporter and a second file per variant"},
    {"change": "more than 2 threads",
     "why": "the benchmark machine has 2 cores; more threads than cores only adds contention"},
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
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {
        "cpu": cpu or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_bytes": mem,
        "platform": platform.platform(),
    }


def ordered_jobs(manifest: dict) -> list[tuple[str, str]]:
    return [(k, v) for k, e in manifest["models"].items() for v in VARIANT_ORDER if v in e["variants"]]


# ---------------------------------------------------------------------------
# Native onnxruntime
# ---------------------------------------------------------------------------


def native(manifest: dict, key: str, variant: str) -> dict:
    """Both thread counts for one model file, with the exporter's own measurement."""
    from export.measure import ort_latency_ms

    e = manifest["models"][key]
    size = e["preprocess"]["input_size"]
    path = MODELS_DIR / e["variants"][variant]["file"]
    return {t: ort_latency_ms(path, (1, 3, size, size), int(t)) for t in THREADS}


# ---------------------------------------------------------------------------
# The browser
# ---------------------------------------------------------------------------


def serve(isolate: bool):
    sys.path.insert(0, str(ROOT / "site_app"))
    from serve import make_server

    server = make_server(SITE_DIR, 0, isolate=isolate)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


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


def browser_run(page, manifest: dict, key: str, variant: str, threads: str, options: dict) -> dict:
    e = manifest["models"][key]
    size = e["preprocess"]["input_size"]
    req = {
        "modelUrl": f"models/{e['variants'][variant]['file']}",
        "inputName": e["input"]["name"],
        "inputShape": [1, 3, size, size],
        "threads": int(threads),
        "warmup": WARMUP,
        "runs": RUNS,
        "budgetMs": BUDGET_MS,
        "options": {**CLASSIFIER_OPTIONS, **options},
    }
    ans = page.evaluate(BENCH_JS, req)
    if not ans.get("ok"):
        raise RuntimeError(f"{key} {variant}, {threads} thread(s): {ans.get('error')}")
    if ans["threads"] != int(threads):
        raise RuntimeError(f"{key} {variant}: asked for {threads} threads, onnxruntime-web used {ans['threads']}")
    return {**summarize(ans["times"]), "session_ms": round(ans["sessionMs"], 1),
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


def experiments(pages: dict, manifest: dict) -> list[dict]:
    """Each change in EXPERIMENTS, in EXPERIMENT_ROUNDS interleaved rounds.

    One configuration after another in a round, then the round again: a burst of other work
    on the machine then lands on every configuration alike instead of on one of them. The
    figures pool the timed runs of all rounds; ``round_medians`` keeps each round's median.
    """
    jobs = [(key, variant, name, what, options, threads)
            for key, variant in EXPERIMENT_MODELS
            if key in manifest["models"] and variant in manifest["models"][key]["variants"]
            for name, what, options in EXPERIMENTS for threads in THREADS]
    times: dict[int, list[float]] = {i: [] for i in range(len(jobs))}
    medians: dict[int, list[float]] = {i: [] for i in range(len(jobs))}
    errors: dict[int, str] = {}
    for rnd in range(1, EXPERIMENT_ROUNDS + 1):
        for i, (key, variant, name, _what, options, threads) in enumerate(jobs):
            if i in errors:
                continue
            try:
                r = browser_run(pages[threads], manifest, key, variant, threads, options)
            except RuntimeError as exc:  # an option the runtime refuses is a result too
                errors[i] = str(exc)
                continue
            times[i] += r["_times"]
            medians[i].append(r["median_ms"])
        log(f"experiments: round {rnd} of {EXPERIMENT_ROUNDS} done ({len(jobs)} configurations)")
    out = []
    for i, (key, variant, name, what, options, threads) in enumerate(jobs):
        row = {"name": name, "change": what, "model": key, "variant": variant, "threads": threads,
               "options": {**CLASSIFIER_OPTIONS, **options}}
        row.update({"error": errors[i]} if i in errors else {**summarize(times[i]), "round_medians": medians[i]})
        out.append(row)
    return out


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
        urls: list[str] = []
        page.on("requestfinished", lambda r: urls.append(r.url))
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
            transfer = transfer_sizes(urls)
        context.close()
        log(f"cold start {i + 1}/{COLD_RUNS}: {runs[-1]} ms")
    return {**default, "runs_ms": runs, "median_ms": round(statistics.median(runs), 1), "transfer": transfer}


def transfer_sizes(urls: list[str]) -> dict:
    files, seen = [], set()
    for url in urls:
        f = site_file(url)
        if f is None or f in seen:
            continue
        seen.add(f)
        data = f.read_bytes()
        files.append({"path": str(f.relative_to(SITE_DIR)), "bytes": len(data),
                      "gzip_bytes": len(gzip.compress(data, GZIP_LEVEL))})
    files.sort(key=lambda x: -x["bytes"])
    return {
        "raw_bytes": sum(x["bytes"] for x in files),
        "gzip_bytes": sum(x["gzip_bytes"] for x in files),
        "gzip_level": GZIP_LEVEL,
        "requests": len(files),
        "python_loaded": any("pyodide" in x["path"] for x in files),
        "files": files,
    }


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
            vs[v] = {"bytes": e["variants"][v]["bytes"], "gzip_bytes": e["variants"][v]["gzip_bytes"],
                     "native": nat[key][v], "browser": web[key][v], "ratio": ratio}
        models[key] = {"display_name": e["display_name"], "pretrained": e["pretrained"], "variants": vs}
    return models


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=RESULTS, help="results file (default benchmarks/results.json)")
    args = p.parse_args(argv)
    if not (MODELS_DIR / "models.json").is_file():
        print(f"error: {MODELS_DIR}/models.json not found: run `make models`", file=sys.stderr)
        return 1
    if not (SITE_DIR / "app" / "benchworker.js").is_file():
        print(f"error: {SITE_DIR}/app/benchworker.js not found: build the site (make site)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    manifest = json.loads((MODELS_DIR / "models.json").read_text())
    started = time.monotonic()
    # other work on the machine skews every figure (two threads most of all): record it
    load_before = os.getloadavg()
    log(f"{len(ordered_jobs(manifest))} model files, each natively and then in Chromium")

    isolated, isolated_url = serve(isolate=True)
    plain, plain_url = serve(isolate=False)
    try:
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
            exps = experiments(pages, manifest)
            ctx.close()
            cold = cold_start(b, isolated_url)
            browser_version = f"Chromium {b.version} (headless)"
            b.close()
    finally:
        isolated.shutdown()
        plain.shutdown()

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
            "browser": f"onnxruntime-web WASM in a module worker, session.run only on a fixed input; "
                       f"{WARMUP} warm-up runs, then up to {RUNS} timed runs (at least 3, fewer once "
                       f"{BUDGET_MS} ms are spent); 1 thread on a page without cross-origin isolation, "
                       f"2 threads on an isolated one; session options {json.dumps(CLASSIFIER_OPTIONS)}",
            "cold_start": f"fresh browser profile, classifier page on localhost, click the first sample photo "
                          f"as soon as it shows; performance.now() when the fifth result is on the page; "
                          f"{COLD_RUNS} runs, median",
            "experiments": f"one change at a time on top of the classifier's options, measured like the browser "
                           f"runs in {EXPERIMENT_ROUNDS} interleaved rounds; the timed runs of all rounds pooled",
            "transfer": f"every file the classifier page fetched during the first cold start; our server does not "
                        f"compress, so gzip sizes are computed from the same files at level {GZIP_LEVEL}",
        },
        "models": assemble(manifest, nat, web),
        "cold_start": cold,
        "experiments": exps,
        "not_run": NOT_RUN,
    }
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    log(f"wrote {args.out} in {results['duration_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
