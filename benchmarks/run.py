"""The benchmark: onnxruntime in the browser against onnxruntime native, one run, one machine.

    make bench                          # builds the site first, then runs the line below
    .venv/bin/python -m benchmarks.run  # writes benchmarks/results.json

It is a measurement, not a test: it never runs in CI, and it takes about ten minutes on a
2-core machine. For every model and variant in build/models/models.json it measures

- native onnxruntime (CPU execution provider), 1 and 2 threads, with export/measure.py's
  ``ort_latency_ms`` (the figures the exporter records, taken again here so that both sides
  come from the same run on the same machine);
- onnxruntime-web (WASM) in headless Chromium, ``session.run`` alone on a fixed input, after
  warm-up (benchmarks/benchworker.js): 1 thread on a page that is not cross-origin isolated,
  2 threads on an isolated one, with the classifier's session options and the file the
  classifier opens (for int8 the pre-optimized copy), plus session creation and first run;
- the kernel ceiling: one fp32 MatMul in both runtimes, the part no session option reaches;
- the classifier page's cold start: navigation to the first top-5 result for the default model,
  in a fresh browser profile, and every byte it transferred, as the browser received it
  (site_app/serve.py compresses with brotli) and as a gzip-only host would send it;
- the experiments: which files and session options move the browser's latency
  (benchmarks/experiments.py);
- whether this Chromium offers WebNN;
- LiteRT.js on each model's .tflite copy (``make tflite``), right after the same model's fp32
  file and alternating with onnxruntime-web on it, native LiteRT beside native onnxruntime,
  and the classifier's cold start with one fp32 file in each runtime (benchmarks/litert.py).

It serves the built site itself (site_app/browser.py, isolated and not) and drives Debian's
Chromium (``CHROMIUM``, default /usr/bin/chromium) with the flags the end-to-end tests use.
This file runs the parts in order and writes the results; each part is a module of its own
(benchmarks/__init__.py lists them), and lwm/bench_results.py checks the file's shape.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

from export.measure import MAX_RUNS, MIN_RUNS, MIN_SECONDS, WARMUP_RUNS
from lwm.bench_results import SCHEMA_VERSION, THREADS, check
from lwm.constants import VARIANTS
from site_app.browser import CHROMIUM, CHROMIUM_ARGS, serve_in_thread

from . import MODELS_DIR, ROOT, SITE_DIR, log
from .coldstart import COLD_RUNS, GZIP_LEVEL, cold_start, webnn
from .experiments import EXPERIMENT_ROUNDS, NOT_RUN, experiments, ort_format_copies
from .latency import (
    BUDGET_MS, CEILING_N, RUNS, WARMUP, browser_and_native, ceiling, classifier_file, classifier_options,
    install_worker, ordered_jobs,
)
from .litert import COLD_MODEL, COLD_STARTS, litert_run, native_versions, tflite_file

RESULTS = ROOT / "benchmarks" / "results.json"


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


def versions(browser_version: str, ort_web: str | None, litertjs: str | None) -> dict:
    import onnxruntime
    import torch

    def npm(name: str) -> str:
        return json.loads((ROOT / "node_modules" / name / "package.json").read_text())["version"]

    return {
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "onnxruntime_web": ort_web or npm("onnxruntime-web"),
        "litertjs": litertjs or npm("@litertjs/core"),
        # the converter's packages and ai-edge-litert (native LiteRT), from .venv-litert
        "litert_native": native_versions(),
        "torch": torch.__version__,
        "browser": browser_version,
    }


def assemble(manifest: dict, nat: dict, web: dict) -> dict:
    models = {}
    for key, e in manifest["models"].items():
        vs = {}
        for v in VARIANTS:
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
    if not (SITE_DIR / "app" / "sessionoptions.js").is_file():
        print(f"error: {SITE_DIR}/app/sessionoptions.js not found: build the site (make site)", file=sys.stderr)
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

    isolated = serve_in_thread(SITE_DIR, isolate=True)
    plain = serve_in_thread(SITE_DIR, isolate=False)
    # files made for this run only (the ORT-format copies, the MatMul), served with the site
    workdir = SITE_DIR / "_bench"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    try:
        install_worker(workdir)
        ort_copies = ort_format_copies(manifest, workdir)
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ctx = b.new_context()
            pages = {"1": ctx.new_page(), "2": ctx.new_page()}
            pages["1"].goto(plain.url)  # not isolated: one thread, as a plain static host
            pages["2"].goto(isolated.url)  # COOP/COEP: SharedArrayBuffer, two threads
            pages["1"].set_default_timeout(300_000)
            pages["2"].set_default_timeout(300_000)
            if pages["2"].evaluate("crossOriginIsolated") is not True:
                raise RuntimeError("the isolated server's page is not cross-origin isolated")
            options = classifier_options(pages["2"])  # site_app/sessionoptions.js, as the site serves it
            lrt: dict = {}

            def then(key: str, variant: str) -> None:  # each .tflite copy right after its fp32 file
                if variant == "fp32" and tflite_file(manifest, key):
                    lrt[key] = litert_run(pages, manifest, key, options)

            nat, web, ort_web = browser_and_native(pages, manifest, options, then)
            litertjs = next((r.pop("_version") for r in lrt.values()), None)
            ceil = ceiling(pages, workdir, options)
            exps = experiments(pages, manifest, ort_copies, options)
            ctx.close()
            cold = cold_start(b, isolated.url)
            colds = []
            for name, query, backend in COLD_STARTS:
                if COLD_MODEL in manifest["models"] and (backend == "ort" or lrt):
                    colds.append({"name": name, **cold_start(b, isolated.url, query)})
                    if colds[-1]["backend"] != backend:  # a row must say what it measured
                        raise SystemExit(f"cold start {name!r} ({query}) ran on {colds[-1]['backend']}, not {backend}")
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
        "versions": versions(browser_version, ort_web, litertjs),
        "manifest_generated_at": manifest["generated_at"],
        "method": {
            "native": f"export/measure.py ort_latency_ms: CPU execution provider, graph optimization 'all', "
                      f"{WARMUP_RUNS} warm-up runs, then at least {MIN_RUNS} runs and {MIN_SECONDS} s (at most "
                      f"{MAX_RUNS}); median and p90; each model file just before the same file in the browser",
            "files": "the file the classifier opens, on both sides: for int8 the pre-optimized copy "
                     "(variants.int8.optimized in models.json), for fp32 and fp16 the variant's file",
            "browser": f"onnxruntime-web WASM in a module worker, session.run only on a fixed input; "
                       f"{WARMUP} warm-up runs, then up to {RUNS} timed runs (at least 3, fewer once "
                       f"{BUDGET_MS} ms are spent); 1 thread on a page without cross-origin isolation, "
                       f"2 threads on an isolated one; session options {json.dumps(options)}",
            "cold_start": f"fresh browser profile, classifier page on localhost, click the first sample photo "
                          f"as soon as it shows; performance.now() when the fifth result is on the page; "
                          f"{COLD_RUNS} runs, median",
            "experiments": f"one change at a time on top of the classifier's options, measured like the browser "
                           f"runs in {EXPERIMENT_ROUNDS} interleaved rounds; the timed runs of all rounds pooled",
            "transfer": f"every file the classifier page fetched during the first cold start: the body bytes "
                        f"the browser received (site_app/serve.py sends brotli to browsers that accept it), "
                        f"the files' sizes, and gzip level {GZIP_LEVEL} computed from the same files",
            "litert": f"LiteRT.js (versions.litertjs) in a module worker (site_app/litert.js, as the classifier "
                      f"loads it), run() only on the same fixed input, the same warm-up and run counts; 1 thread: its "
                      f"relaxed-SIMD build on the page without isolation, 2 threads: its threaded build on the "
                      f"isolated page. Beside it, onnxruntime-web on the same model's fp32 ONNX file, alternating "
                      f"with LiteRT.js in {EXPERIMENT_ROUNDS} rounds, timed runs pooled. Native: onnxruntime as above "
                      f"and LiteRT's interpreter (XNNPACK, ai-edge-litert from .venv-litert), timed the same way, "
                      f"just before. Right after the same model's fp32 file in the main table",
            "cold_starts": f"as cold_start, for {COLD_MODEL} in fp32 with each runtime (the address chooses it)",
            "ceiling": f"one fp32 MatMul [1, {CEILING_N}, {CEILING_N}] x [{CEILING_N}, {CEILING_N}], timed like "
                       f"the models on both sides",
        },
        "models": assemble(manifest, nat, web),
        "cold_start": cold,
        "cold_starts": colds,
        "litert": lrt,
        "ceiling": ceil,
        "experiments": exps,
        "webnn": web_nn,
        "not_run": NOT_RUN,
    }
    check(results)  # a results file the site would refuse is never written
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    log(f"wrote {args.out} in {results['duration_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
