"""The experiments: which files and session options move the browser's latency.

One change at a time on top of the classifier's configuration, timed like the browser runs
of benchmarks/latency.py, in EXPERIMENT_ROUNDS interleaved rounds.
"""

from __future__ import annotations

from pathlib import Path

from lwm.bench_results import THREADS

from . import MODELS_DIR, SITE_DIR, log
from .latency import browser_run, classifier_file, pooled

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


def experiments(pages: dict, manifest: dict, ort_copies: dict[str, str], options: dict) -> list[dict]:
    """Each change in EXPERIMENTS on top of ``options`` (the classifier's), in
    EXPERIMENT_ROUNDS interleaved rounds.

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
                runs[i].append(browser_run(pages[threads], manifest, key, variant, threads,
                                           {**options, **x["options"]}, file))
            except RuntimeError as exc:  # an option the runtime refuses is a result too
                errors[i] = str(exc)
        log(f"experiments: round {rnd} of {EXPERIMENT_ROUNDS} done ({len(jobs)} configurations)")
    out = []
    for i, (key, variant, x, file, threads) in enumerate(jobs):
        row = {"name": x["name"], "change": x["change"], "model": key, "variant": variant, "threads": threads,
               "file": (file or f"models/{classifier_file(manifest, key, variant)['file']}").split("/")[-1],
               "options": {**options, **x["options"]}}
        if i in errors:
            row["error"] = errors[i]
        else:
            row.update(pooled(runs[i]))
        out.append(row)
    return out
