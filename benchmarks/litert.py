"""LiteRT.js beside onnxruntime-web: one model's weights in four runtimes, moments apart.

For each model with a .tflite copy (``make tflite``, export/tflite.py), right after its fp32
ONNX file in the main table (benchmarks/latency.py), first for the fp32 files, then for the
int8 ones (the .int8.opt.onnx file the classifier opens, and the int8 .tflite file):

- native onnxruntime on the fp32 ONNX file and native LiteRT on the .tflite file (its
  interpreter with XNNPACK, run in .venv-litert, which has LiteRT; this environment has not),
  both timed by export/measure.py's ``time_runs``;
- onnxruntime-web and LiteRT.js in Chromium (benchworker.js), alternating for
  EXPERIMENT_ROUNDS rounds per thread count, so that other work on the machine, which comes
  and goes, weighs on both browser runtimes alike. 1 thread: LiteRT.js's relaxed-SIMD build
  on the page without isolation; 2 threads: its threaded build on the isolated page.

The classifier's cold start with one model file in each runtime is in COLD_STARTS
(benchmarks/coldstart.py measures it).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess

from export.measure import ort_latency_ms
from lwm.bench_results import THREADS

from . import MODELS_DIR, ROOT, log
from .experiments import EXPERIMENT_ROUNDS
from .latency import browser_request, browser_run, classifier_file, pooled

LITERT_PY = ROOT / ".venv-litert" / "bin" / "python"
# native LiteRT and its versions, in the converter's environment
NATIVE_LITERT = """
import json, sys
from pathlib import Path
from export.tflite import latency_ms
print(json.dumps({t: latency_ms(Path(sys.argv[1]), int(t)) for t in sys.argv[2:]}))
"""
VERSIONS = "import json; from export.tflite import versions; print(json.dumps(versions()))"
# the model whose fp32 file the classifier opens in each runtime for a cold start (the same
# weights, files of about the same size): (name, address query, backend). Each address names
# its runtime: one without would get the page's default, LiteRT.js where the .tflite files are
COLD_MODEL = "efficientnet_lite0"
COLD_STARTS = (
    ("onnxruntime-web fp32", f"?model={COLD_MODEL}&variant=fp32&backend=ort", "ort"),
    ("LiteRT.js fp32", f"?model={COLD_MODEL}&variant=fp32&backend=litert", "litert"),
)


# the variants with a .tflite copy that are timed, fp32 first: its record is the model's own,
# the others' sit inside it under their names (lwm/bench_results.py)
LITERT_VARIANTS = ("fp32", "int8")


def tflite_file(manifest: dict, key: str, variant: str = "fp32") -> dict | None:
    """The model's .tflite copy of ``variant``, if ``make tflite`` made one."""
    return manifest["models"][key]["variants"].get(variant, {}).get("tflite")


def _in_litert_env(code: str, *args: str) -> dict | None:
    """Run ``code`` with .venv-litert's Python; its last line of output, as JSON. None
    without that environment."""
    if not LITERT_PY.is_file():
        return None
    out = subprocess.run([str(LITERT_PY), "-c", code, *args], cwd=ROOT, check=True, capture_output=True, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def native_versions() -> dict | None:
    return _in_litert_env(VERSIONS)


def litert_browser(page, manifest: dict, key: str, threads: str, variant: str = "fp32") -> dict:
    e = manifest["models"][key]
    size = e["preprocess"]["input_size"]
    return browser_request(page, {
        "runtime": "litert", "modelUrl": f"models/{tflite_file(manifest, key, variant)['file']}",
        "inputName": e["input"]["name"], "inputShape": [1, 3, size, size], "threads": int(threads), "options": {},
    }, f"{key} {variant} tflite, {threads} thread(s), LiteRT.js")


def _pooled(runs: list[dict]) -> dict:
    """pooled(), with what a runtime comparison needs besides: the time to load the runtime
    (LiteRT.js compiles its WebAssembly then; onnxruntime-web with its first session), the
    build and the isolation."""
    return {**pooled(runs), "runtime_ms": round(statistics.median(r["_runtime_ms"] for r in runs), 1),
            "build": runs[0]["_build"], "cross_origin_isolated": runs[0]["cross_origin_isolated"]}


def litert_run(pages: dict, manifest: dict, key: str, options: dict) -> dict:
    """One model's weights in the four runtimes (see the module's docstring): the fp32 files'
    record, with each other variant's inside it under the variant's name; "_version" is the
    LiteRT.js the browser ran, for the results' versions."""
    record = _litert_variant(pages, manifest, key, options, "fp32")
    for variant in LITERT_VARIANTS[1:]:
        if tflite_file(manifest, key, variant) and variant in manifest["models"][key]["variants"]:
            r = _litert_variant(pages, manifest, key, options, variant)
            r.pop("_version")
            record[variant] = r
    return record


def _litert_variant(pages: dict, manifest: dict, key: str, options: dict, variant: str) -> dict:
    t = tflite_file(manifest, key, variant)
    size = manifest["models"][key]["preprocess"]["input_size"]
    onnx_file = classifier_file(manifest, key, variant)["file"]
    nat_onnx = {th: ort_latency_ms(MODELS_DIR / onnx_file, (1, 3, size, size), int(th)) for th in THREADS}
    nat_lrt = _in_litert_env(NATIVE_LITERT, str(MODELS_DIR / t["file"]), *THREADS)
    web: dict = {th: [] for th in THREADS}
    lrt: dict = {th: [] for th in THREADS}
    for _ in range(EXPERIMENT_ROUNDS):
        for th in THREADS:
            web[th].append(browser_run(pages[th], manifest, key, variant, th, options))
            lrt[th].append(litert_browser(pages[th], manifest, key, th, variant))
    version = lrt[THREADS[0]][0]["_version"]
    web = {th: _pooled(web[th]) for th in THREADS}
    browser = {th: _pooled(lrt[th]) for th in THREADS}
    native = "—" if nat_lrt is None else " / ".join(str(nat_lrt[th]["median_ms"]) for th in THREADS)
    log(f"litert  {key} {variant}: LiteRT.js {' / '.join(str(browser[th]['median_ms']) for th in THREADS)} ms, "
        f"onnxruntime-web {' / '.join(str(web[th]['median_ms']) for th in THREADS)} ms, native LiteRT {native} ms, "
        f"native onnxruntime {' / '.join(str(nat_onnx[th]['median_ms']) for th in THREADS)} ms "
        f"({' / '.join(THREADS)} threads)")
    return {
        "file": t["file"], "bytes": t["bytes"], "gzip_bytes": t["gzip_bytes"], "_version": version,
        "browser": browser, "native": nat_lrt,
        # onnxruntime on the ONNX file of the same model and variant the classifier opens, in the same rounds
        "onnx": {"file": onnx_file, "native": nat_onnx, "browser": web},
    }
