"""LiteRT (.tflite) copies of the pretrained models, for LiteRT.js in the browser.

    make tflite                                                    # sets up .venv-litert, then runs:
    .venv-litert/bin/python -m export.tflite --out build/models    # every pretrained model
    .venv-litert/bin/python -m export.tflite efficientnet_lite0 --out build/models

The ONNX export (``make models``) must have run first: this step adds a ``tflite`` record to
the fp32 variant of each model already in ``models.json`` (lwm/records.py's TfliteCopy)
and writes ``<model>.fp32.tflite`` beside the ONNX files. It converts our PyTorch module
itself with litert-torch (torch.export, then LiteRT's converter), not the ONNX file, and
checks the result as the ONNX variants are checked: LiteRT's interpreter (the XNNPACK
kernels LiteRT.js runs in WebAssembly) on every validation photo against PyTorch fp32.

As the ONNX export does (export/pipeline.py), it works in two phases: the files and their
validation, several models at once (``--jobs``, default one worker process per core); then
every file is timed, one at a time, with nothing else running.

It runs in its own virtual environment, ``.venv-litert``: litert-torch pulls in jax,
transformers and LiteRT's converter, which the ONNX export and the site never need. That
environment sees .venv's packages (the Makefile says how), so torch and every other pin of
pyproject.toml are the very same files in both.

A model whose record carries the same ``export_key`` (the exporter's code and this
module, the weight file, the converter's versions, the CPU) and whose file still matches its
checksum is kept.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import os
import sys
import time
from concurrent.futures import as_completed
from dataclasses import replace
from pathlib import Path

import numpy as np

from lwm.records import Latency, ModelEntry, TensorSpec, TfliteCopy
from lwm.constants import MODELS_DIR

from . import cpu, manifest, measure
from .cachekey import code_digest
from .convert import INPUT_NAME, OUTPUT_NAME
from .evaluation import agreement, run_torch, top5
from .options import ExportOptions, resolve_weights
from .preprocess import model_inputs
from .registry import get_entry
from .workers import spawn_pool

VARIANT = "fp32"  # LiteRT.js runs float models on the CPU; the int8 files stay ONNX
# the converter's packages, recorded in each record and part of its key
CONVERTER_PACKAGES = ("litert-torch", "ai-edge-litert", "torch", "numpy")


def versions() -> dict[str, str]:
    return {p: importlib.metadata.version(p) for p in CONVERTER_PACKAGES}


def export_key(name: str, weights_sha256: str | None) -> str:
    """What a .tflite file and its figures depend on: the exporter's code (the model, its
    weights, the validation photos' preprocessing), this module, the weight file, the
    converter's versions and the CPU (latency is measured)."""
    machine = cpu.describe()
    parts = [name, code_digest(), hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
             weights_sha256 or "untrained", *(f"{k}=={v}" for k, v in sorted(versions().items())),
             str(machine["cpu"]), ",".join(machine["cpu_features"]), str(os.cpu_count())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def convert(model, size: int, dest: Path) -> None:
    """The module as a LiteRT flatbuffer with a fixed (1, 3, size, size) NCHW float input,
    the layout the page's preprocessing writes (the converter moves to NHWC inside), and the
    ONNX files' input and output names in its signature: the browser feeds and reads both
    files by the manifest's names."""
    import litert_torch
    import torch
    from litert_torch import progress

    class Named(torch.nn.Module):
        # a keyword input and a dict output name the signature's tensors (litert-torch)
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, **inputs):
            return {OUTPUT_NAME: self.model(inputs[INPUT_NAME])}

    progress.console.quiet = True  # its progress tree, a dozen lines a model, says nothing we report
    edge = litert_torch.convert(Named(model.eval()).eval(), sample_kwargs={INPUT_NAME: torch.zeros(1, 3, size, size)})
    tmp = dest.with_name(dest.name + ".tmp")
    edge.export(str(tmp))
    os.replace(tmp, dest)


def interpreter(path: Path, threads: int):
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path), num_threads=threads)
    it.allocate_tensors()
    return it


def run_tflite(path: Path, batch: np.ndarray, threads: int = 2) -> np.ndarray:
    """Logits of every image in ``batch``, one image at a time (the file's batch is 1)."""
    it = interpreter(path, threads)
    inp, out = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    rows = []
    for x in batch:
        it.set_tensor(inp, np.ascontiguousarray(x[None], dtype=np.float32))
        it.invoke()
        rows.append(it.get_tensor(out)[0].copy())
    return np.stack(rows).astype(np.float64)


def latency_ms(path: Path, threads: int) -> dict:
    """LiteRT's interpreter (XNNPACK) on this CPU, timed as onnxruntime is (measure.time_runs)."""
    it = interpreter(path, threads)
    d = it.get_input_details()[0]
    x = np.random.default_rng(0).standard_normal(tuple(d["shape"])).astype(np.float32)

    def once() -> None:
        it.set_tensor(d["index"], x)
        it.invoke()

    return measure.time_runs(once)


def export_file(name: str, out_dir: Path, threads: int) -> TfliteCopy:
    """Write ``<name>.fp32.tflite`` and return its record for ``variants.fp32.tflite``,
    without ``latency_ms`` (measure_latency, on a quiet machine)."""
    import torch

    from .weights import load_pretrained

    t0 = time.perf_counter()
    torch.set_num_threads(threads)
    reg = get_entry(name)
    pre = reg.weights.preprocess
    opts = ExportOptions(out_dir=out_dir, allow_download=False)
    weights = resolve_weights(name, opts)
    model = reg.builder().eval()
    load_pretrained(model, name, reg.weights, opts.weights_dir, allow_download=False)

    dest = out_dir / f"{name}.{VARIANT}.tflite"
    convert(model, pre.input_size, dest)

    # the same photos, preprocessing and comparison as the ONNX variants (export/pipeline.py)
    data = model_inputs(pre, out_dir / "samples")
    batch = np.concatenate([data.validation, *data.samples.values()])
    n_val = len(data.validation)
    logits = run_tflite(dest, batch, threads)
    ref = run_torch(model, data.validation)
    it = interpreter(dest, 1)
    (sig,) = it.get_signature_list().values()  # {"inputs": [name], "outputs": [name]}
    inp, outp = it.get_input_details()[0], it.get_output_details()[0]
    return TfliteCopy(
        file=dest.name,
        **measure.file_stats(dest),
        format="tflite",
        converter=versions(),
        input=TensorSpec(name=sig["inputs"][0], shape=[int(s) for s in inp["shape"]], dtype="float32", layout="NCHW"),
        output=TensorSpec(name=sig["outputs"][0], shape=[int(s) for s in outp["shape"]], dtype="float32"),
        validation=agreement(ref, logits[:n_val]),
        latency_ms={},  # measure_latency, on a quiet machine
        reference_top5={sid: top5(logits[n_val + i]) for i, sid in enumerate(data.samples)},
        export_key=export_key(name, weights.sha256),
        export_seconds=round(time.perf_counter() - t0, 1),
    )


def measure_latency(record: TfliteCopy, out_dir: Path, threads: tuple[int, ...]) -> TfliteCopy:
    t0 = time.perf_counter()
    return replace(record, latency_ms={str(t): Latency(**latency_ms(out_dir / record.file, t)) for t in threads},
                   export_seconds=round(record.export_seconds + time.perf_counter() - t0, 1))


def reusable(record: dict | None, key: str, out_dir: Path) -> bool:
    if not record or record.get("export_key") != key:
        return False
    path = out_dir / record["file"]
    return (path.is_file() and path.stat().st_size == record["bytes"]
            and measure.file_stats(path, compress=False)["sha256"] == record["sha256"])


def _quiet() -> None:
    """The export's known warnings (export/convert.py), and litert-torch's own: torch.export's
    pytree, as litert-torch drives it, warns of a deprecation on every model."""
    import warnings

    from .convert import quiet_known_warnings

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # LiteRT's converter logs every op count at INFO
    quiet_known_warnings()
    warnings.filterwarnings("ignore", message=r".*LeafSpec.*", category=FutureWarning)


def _export_file_in_worker(name: str, out_dir: Path) -> dict:
    _quiet()
    return export_file(name, out_dir, threads=1)


def export_files(names: list[str], out_dir: Path, jobs: int) -> dict[str, TfliteCopy]:
    """Phase 1, as export/pipeline.py's: the files and their validation, ``jobs`` models at
    once in worker processes of one thread each (litert-torch's conversion runs mostly on
    one core), or here with every core; largest model first."""
    order = sorted(names, key=lambda n: get_entry(n).weights.preprocess.input_size, reverse=True)
    if jobs <= 1:
        return {n: export_file(n, out_dir, threads=os.cpu_count() or 1) for n in order}
    out = {}
    with spawn_pool(jobs) as pool:
        futures = {pool.submit(_export_file_in_worker, n, out_dir): n for n in order}
        for future in as_completed(futures):
            out[futures[future]] = future.result()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m export.tflite", description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="*", help="model names (default: every pretrained model in models.json)")
    p.add_argument("--out", type=Path, default=MODELS_DIR, help=f"the ONNX export's folder (default: {MODELS_DIR})")
    p.add_argument("--jobs", type=int, default=0, help="models converted at once (default: one per core)")
    p.add_argument("--force", action="store_true", help="convert again even when nothing changed")
    args = p.parse_args(argv)
    if importlib.util.find_spec("litert_torch") is None:  # imported by each worker, not here
        print("error: litert-torch is not installed in this Python: run `make tflite`, which builds .venv-litert",
              file=sys.stderr)
        return 2
    data = manifest.load(args.out / manifest.MANIFEST_NAME)
    if data is None:
        print(f"error: {args.out}/{manifest.MANIFEST_NAME} not found: run `make models` first", file=sys.stderr)
        return 1
    names = args.models or [k for k, e in data["models"].items() if e["pretrained"]]
    unknown = [n for n in names if n not in data["models"]]
    if unknown:
        print(f"error: not in {args.out}/{manifest.MANIFEST_NAME}: {', '.join(unknown)}", file=sys.stderr)
        return 2
    _quiet()
    t0 = time.perf_counter()
    todo = []
    for name in names:
        entry = data["models"][name]
        key = export_key(name, entry["weights"]["file_sha256"])
        if not args.force and reusable(entry["variants"][VARIANT].get("tflite"), key, args.out):
            print(f"{name:<19} kept, unchanged since the last conversion")
        else:
            todo.append(name)
    jobs = min(args.jobs or os.cpu_count() or 1, len(todo))
    records = export_files(todo, args.out, jobs) if todo else {}
    if records:
        print(f"tflite: files written in {time.perf_counter() - t0:.0f} s; timing them, one at a time")
    threads = ExportOptions(out_dir=args.out).latency_threads  # the ONNX files' thread counts
    for name in todo:
        record = measure_latency(records[name], args.out, threads)
        # merged into the manifest as it is now: the model's entry gets its fp32 variant's
        # record, the other entries are left as they are
        data = manifest.load(args.out / manifest.MANIFEST_NAME)
        entry = ModelEntry.from_json(data["models"][name], f"models.{name}")
        fp32 = replace(entry.variants[VARIANT], tflite=record)
        data["models"][name] = replace(entry, variants={**entry.variants, VARIANT: fp32}).to_json()
        manifest.write(data, args.out)
        val, lat = record.validation, record.latency_ms
        print(f"{name:<19} {record.bytes / 1e6:.1f} MB  max |logit diff| {val.max_abs_logit_diff:.1e}  "
              f"top-1 as PyTorch on {val.top1_agreement:.0%} of {val.images} images  "
              f"LiteRT {' / '.join(str(lat[t].median_ms) for t in lat)} ms "
              f"({' / '.join(lat)} threads)  {record.export_seconds:.0f} s")
    print(f"tflite: {len(names)} model(s) in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
