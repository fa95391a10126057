"""Where onnxruntime-web spends an int8 model's time: each kind of convolution, in Chromium and
natively, for the fp32 file and both int8 files, one thread.

    .venv/bin/python -m benchmarks.opprofile          # writes benchmarks/opprofile.json

For each pretrained model's fp32 file, its int8 file (QDQ: QuantizeLinear and
DequantizeLinear around float operators) and the pre-optimized int8 copy the classifier opens
(QLinearConv and other integer operators): onnxruntime's profiler natively
(SessionOptions.enable_profiling) and onnxruntime-web's in Chromium (enableProfiling, read
from the worker's console by benchworker.js), on the same fixed input, graph optimization
'all' on both sides. Each kernel is put in a kind by the node of the file it runs (a fused
kernel keeps the name of the convolution it was fused into): depthwise (one filter per
channel), pointwise (1×1), other convolutions, and everything else. The Benchmarks page reads
the file (hooks/lwm_bench.py, part "int8-profile"); `make bench` writes it after results.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from . import MODELS_DIR, ROOT, SITE_DIR, log
from .latency import BENCH_JS, install_worker

OUT = ROOT / "benchmarks" / "opprofile.json"
KINDS = ("depthwise", "pointwise", "conv", "other")
RUNS = 20  # profiled runs a file, after WARMUP
WARMUP = 3
FILES = ("fp32", "int8 (QDQ)", "int8 (QLinear, the classifier's)")


def conv_kinds(path: Path) -> dict[str, str]:
    """Each convolution of the ONNX file ``path`` by node name: depthwise, pointwise or conv."""
    model = onnx.load(str(path), load_external_data=False)
    shapes = {i.name: list(i.dims) for i in model.graph.initializer}
    # a QDQ file's weight reaches its Conv through a DequantizeLinear of the initializer
    dq = {n.output[0]: n.input[0] for n in model.graph.node if n.op_type == "DequantizeLinear"}
    producer = {o: n for n in model.graph.node for o in n.output}
    kinds = {}
    for n in model.graph.node:
        if n.op_type not in ("Conv", "QLinearConv"):
            continue
        w = n.input[1] if n.op_type == "Conv" else n.input[3]
        shape = shapes.get(w) or shapes.get(dq.get(w, ""))
        group = next((a.i for a in n.attribute if a.name == "group"), 1)
        if shape is None:
            raise ValueError(f"{path.name}: {n.name}: weight {w} is not an initializer")
        if group > 1 and shape[1] == 1:
            kinds[n.name] = "depthwise"
        elif shape[2:] == [1, 1] and group == 1:
            kinds[n.name] = "pointwise"
        else:
            kinds[n.name] = "conv"
    # native onnxruntime's blocked-layout kernels are named after the tensor they write plus
    # "_nchwc": a convolution's output, or that of the activation or addition fused into it
    for tensor, n in producer.items():
        while n is not None and n.name not in kinds and n.op_type not in ("Conv", "QLinearConv"):
            n = next((producer[i] for i in n.input if i in producer and i not in shapes), None)
        if n is not None and n.name in kinds:
            kinds.setdefault(f"{tensor}_nchwc", kinds[n.name])
            kinds.setdefault(tensor, kinds[n.name])
    return kinds


def kind_of(node: str, op: str, kinds: dict[str, str]) -> str:
    """A kernel's kind: its convolution's (conv_kinds names each one by its node and by the
    tensors it writes); every other kernel is "other"."""
    if "Conv" not in op:
        return "other"
    # onnxruntime's QDQ fusion names the QLinearConv it makes after the tensor it writes, plus "_token_<n>"
    for name in (node, re.sub(r"_token_\d+$", "", node)):
        if name in kinds:
            return kinds[name]
    raise ValueError(f"a {op} kernel named {node!r} matches no convolution of the file")


def per_kind(events: list[dict], kinds: dict[str, str], runs: int) -> dict[str, float]:
    """Milliseconds per run in each kind."""
    total = dict.fromkeys(KINDS, 0.0)
    for e in events:
        total[kind_of(e["node"], e["op"], kinds)] += e["us"] / 1000 / runs
    return {k: round(v, 3) for k, v in total.items()}


def native_profile(path: Path, shape: list[int], input_name: str) -> dict[str, float]:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.enable_profiling = True
    with tempfile.TemporaryDirectory() as tmp:
        so.profile_file_prefix = str(Path(tmp) / "profile")
        s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        x = fixed_input(shape)
        for _ in range(WARMUP + RUNS):
            s.run(None, {input_name: x})
        events = [{"node": e["name"].removesuffix("_kernel_time"), "op": e["args"].get("op_name", ""), "us": e["dur"]}
                  for e in json.loads(Path(s.end_profiling()).read_text())
                  if e.get("cat") == "Node" and e["name"].endswith("_kernel_time")]
    return per_kind(events, conv_kinds(path), WARMUP + RUNS)


def fixed_input(shape: list[int]) -> np.ndarray:
    """benchworker.js's input: the same numbers on both sides."""
    n = int(np.prod(shape))
    return (np.sin(np.arange(n, dtype=np.float64) * 0.001) * 2).astype(np.float32).reshape(shape)


def browser_profile(page, file: str, shape: list[int], input_name: str) -> tuple[dict[str, float], float]:
    ans = page.evaluate(BENCH_JS, {"modelUrl": f"models/{file}", "inputName": input_name, "inputShape": shape,
                                   "threads": 1, "warmup": WARMUP, "runs": RUNS, "budgetMs": 60_000,
                                   "options": {"graphOptimizationLevel": "all"}, "profile": True})
    if not ans.get("ok"):
        raise RuntimeError(f"{file}: {ans.get('error')}")
    if not ans["events"]:
        raise RuntimeError(f"{file}: onnxruntime-web's profiler printed no kernel event")
    runs = WARMUP + len(ans["times"])
    return per_kind(ans["events"], conv_kinds(MODELS_DIR / file), runs), statistics.median(ans["times"])


def files_of(entry: dict) -> dict[str, str]:
    v = entry["variants"]
    return {FILES[0]: v["fp32"]["file"], FILES[1]: v["int8"]["file"], FILES[2]: v["int8"]["optimized"]["file"]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    manifest_path = MODELS_DIR / "models.json"
    if not manifest_path.is_file():
        print(f"error: {manifest_path} not found: run `make models`", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    from site_app.browser import CHROMIUM, CHROMIUM_ARGS, serve_in_thread

    manifest = json.loads(manifest_path.read_text())
    keys = [k for k, e in manifest["models"].items()
            if e["pretrained"] and "int8" in e["variants"] and e["variants"]["int8"].get("optimized")]
    if not keys:
        print("error: no pretrained model with an int8 file in the manifest", file=sys.stderr)
        return 1
    server = serve_in_thread(SITE_DIR, isolate=False)
    workdir = SITE_DIR / "_bench"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    models = {}
    try:
        install_worker(workdir)
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = b.new_page()
            page.goto(server.url)
            version = b.version
            for key in keys:
                e = manifest["models"][key]
                size = e["preprocess"]["input_size"]
                shape, name = [1, 3, size, size], e["input"]["name"]
                models[key] = {}
                for label, file in files_of(e).items():
                    browser, median = browser_profile(page, file, shape, name)
                    native = native_profile(MODELS_DIR / file, shape, name)
                    models[key][label] = {"file": file, "browser_ms": browser, "native_ms": native,
                                          "browser_median_ms": round(median, 3)}
                    log(f"opprofile {key} {label}: depthwise {browser['depthwise']} ms in Chromium, "
                        f"{native['depthwise']} ms natively; all kernels {sum(browser.values()):.1f} / "
                        f"{sum(native.values()):.1f} ms")
            b.close()
    finally:
        server.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    out = {
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": ".venv/bin/python -m benchmarks.opprofile",
        "browser": f"Chromium {version} (headless)",
        "onnxruntime": ort.__version__,
        "cpu_load_1min": round(os.getloadavg()[0], 2),
        "runs": {"warmup": WARMUP, "profiled": RUNS, "threads": 1},
        "models": models,
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
