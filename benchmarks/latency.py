"""One model file's latency natively and in the browser, and the kernel ceiling (a MatMul).

Native: export/measure.py's ``ort_latency_ms``, the figures the exporter records, taken again
so that both sides come from the same run on the same machine. Browser: benchworker.js in a
page of the site, ``session.run`` alone on a fixed input after warm-up, with the classifier's
session options (site_app/sessionoptions.js, read through the page) and the file the
classifier opens (for int8 the pre-optimized copy).
"""

from __future__ import annotations

import shutil
import statistics
from pathlib import Path
from typing import Callable

from export.measure import ort_latency_ms, summarize
from lwm.bench_results import THREADS
from lwm.constants import VARIANTS

from . import MODELS_DIR, SITE_DIR, log

# served from the folder the benchmark makes inside the site (install_worker), never built into it
WORKER = Path(__file__).with_name("benchworker.js")
# browser runs: warm-up, then up to RUNS timed runs, fewer when a model spends the budget
WARMUP, RUNS, BUDGET_MS = 3, 10, 4000
# The kernel ceiling: one fp32 matrix product, the operation most of a CNN's time goes to
# (1x1 convolutions are one), in both runtimes. No session option changes this kernel.
CEILING_N = 512

# the classifier's session options, from the module its worker imports
OPTIONS_JS = """async () =>
  (await import(new URL('app/sessionoptions.js', document.baseURI).href)).SESSION_OPTIONS"""

# runs one benchworker.js in a page of the site and returns its answer
BENCH_JS = """async (req) => {
  const worker = new Worker(new URL('_bench/benchworker.js', document.baseURI), { type: 'module' });
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


def install_worker(workdir: Path) -> None:
    """Put benchworker.js in ``workdir`` (SITE_DIR/_bench), where ../vendor/ is the site's runtime."""
    shutil.copy(WORKER, workdir / WORKER.name)


def classifier_options(page) -> dict:
    """The session options the classifier's worker passes to InferenceSession.create, read on
    ``page``, a page at the site's root (as BENCH_JS's addresses are)."""
    return page.evaluate(OPTIONS_JS)


def ordered_jobs(manifest: dict) -> list[tuple[str, str]]:
    return [(k, v) for k, e in manifest["models"].items() for v in VARIANTS if v in e["variants"]]


def classifier_file(manifest: dict, key: str, variant: str) -> dict:
    """The file the classifier's WebAssembly backend opens: the pre-optimized copy if any."""
    v = manifest["models"][key]["variants"][variant]
    return v.get("optimized") or v


def native(manifest: dict, key: str, variant: str) -> dict:
    """Both thread counts for the file the browser runs, with the exporter's own measurement."""
    e = manifest["models"][key]
    size = e["preprocess"]["input_size"]
    path = MODELS_DIR / classifier_file(manifest, key, variant)["file"]
    return {t: ort_latency_ms(path, (1, 3, size, size), int(t)) for t in THREADS}


def browser_run(page, manifest: dict, key: str, variant: str, threads: str, options: dict,
                file: str | None = None) -> dict:
    """One fresh worker and session with ``options`` (the classifier's, plus any change);
    ``file`` (relative to the site) overrides the model file."""
    e = manifest["models"][key]
    size = e["preprocess"]["input_size"]
    return browser_request(page, {
        "modelUrl": file or f"models/{classifier_file(manifest, key, variant)['file']}",
        "inputName": e["input"]["name"],
        "inputShape": [1, 3, size, size],
        "threads": int(threads),
        "options": options,
    }, f"{key} {variant}, {threads} thread(s)")


def browser_request(page, req: dict, what: str) -> dict:
    """One benchworker.js run; ``req["runtime"]`` 'litert' times LiteRT.js instead of
    onnxruntime-web. Keys with "_" are for the caller, not for the results file."""
    ans = page.evaluate(BENCH_JS, {"warmup": WARMUP, "runs": RUNS, "budgetMs": BUDGET_MS, **req})
    if not ans.get("ok"):
        raise RuntimeError(f"{what}: {ans.get('error')}")
    if ans["threads"] != req["threads"]:
        raise RuntimeError(f"{what}: asked for {req['threads']} threads, the runtime used {ans['threads']}")
    return {**summarize(ans["times"]), "session_ms": round(ans["sessionMs"], 1),
            "first_run_ms": round(ans["firstRunMs"], 1),
            "cross_origin_isolated": ans["crossOriginIsolated"], "_version": ans["version"], "_times": ans["times"],
            "_runtime_ms": ans["runtimeMs"], "_build": ans["build"]}


def pooled(runs: list[dict]) -> dict:
    """Several browser runs of one configuration as one figure: their timed runs pooled, each
    run's median kept (``round_medians``), the medians of their session and first-run times."""
    return {**summarize([t for r in runs for t in r["_times"]]),
            "round_medians": [r["median_ms"] for r in runs],
            "session_ms": round(statistics.median(r["session_ms"] for r in runs), 1),
            "first_run_ms": round(statistics.median(r["first_run_ms"] for r in runs), 1)}


def browser_and_native(pages: dict, manifest: dict, options: dict,
                       then: Callable[[str, str], None] | None = None) -> tuple[dict, dict, str | None]:
    """Each model file natively, then at once in the browser: other work on the machine, if
    any, then weighs on both sides of a ratio alike instead of on one phase of the run.
    ``then(key, variant)`` runs right after each file (benchmarks/litert.py times the .tflite
    copy of a model right after its fp32 file)."""
    nat: dict = {}
    out: dict = {}
    version = None
    jobs = ordered_jobs(manifest)
    for i, (key, variant) in enumerate(jobs, 1):
        nat.setdefault(key, {})[variant] = native(manifest, key, variant)
        log(f"native  {i}/{len(jobs)} {key} {variant}: "
            f"{nat[key][variant]['1']['median_ms']} ms (1 thread), {nat[key][variant]['2']['median_ms']} ms (2 threads)")
        for threads in THREADS:
            r = browser_run(pages[threads], manifest, key, variant, threads, options)
            version = r["_version"]
            out.setdefault(key, {}).setdefault(variant, {})[threads] = public(r)
        log(f"browser {i}/{len(jobs)} {key} {variant}: "
            f"{out[key][variant]['1']['median_ms']} ms (1 thread), {out[key][variant]['2']['median_ms']} ms (2 threads)")
        if then:
            then(key, variant)
    return nat, out, version


def public(r: dict) -> dict:
    """A browser_request answer without the keys the results file does not hold."""
    return {k: v for k, v in r.items() if not k.startswith("_")}


def ceiling(pages: dict, workdir: Path, options: dict) -> dict:
    """One fp32 MatMul (CEILING_N cubed), natively and in the browser: how far apart the two
    runtimes' core kernel is, whatever the model and the session options."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

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
        r = browser_request(pages[t], {"modelUrl": str(path.relative_to(SITE_DIR)), "inputName": "x",
                                       "inputShape": [1, n, n], "threads": int(t), "options": options},
                            f"MatMul {n}, {t} thread(s)")
        web[t] = public(r)
    log(f"ceiling: MatMul {n}: native {nat['1']['median_ms']} / {nat['2']['median_ms']} ms, "
        f"browser {web['1']['median_ms']} / {web['2']['median_ms']} ms")
    return {"op": f"MatMul fp32, [1, {n}, {n}] × [{n}, {n}]", "macs": n ** 3, "native": nat, "browser": web,
            "ratio": {t: round(web[t]["median_ms"] / nat[t]["median_ms"], 2) for t in THREADS}}
