"""LiteRT (.tflite) copies of the pretrained models, for LiteRT.js in the browser.

    make tflite                                                    # sets up .venv-litert, then runs:
    .venv-litert/bin/python -m export.tflite --out build/models    # every pretrained model
    .venv-litert/bin/python -m export.tflite efficientnet_lite0 --out build/models

The ONNX export (``make models``) must have run first: this step adds a ``tflite`` record to
the fp32 and int8 variants of each model already in ``models.json`` (lwm/records.py's
TfliteCopy) and writes ``<model>.fp32.tflite`` and ``<model>.int8.tflite`` beside the ONNX
files. It converts our PyTorch module itself with litert-torch (torch.export, then LiteRT's
converter), not the ONNX file, with the class activation maps as two more outputs named as
in the ONNX files; then quantizes that file to int8 (export/tflite_int8.py) on the export's
calibration photos. It checks both as the ONNX variants are checked: LiteRT's interpreter
(the XNNPACK kernels LiteRT.js runs in WebAssembly) on every validation photo against
PyTorch fp32, and the maps against PyTorch's. An int8 file that misses the int8 targets
(export/evaluation.py; its size against the fp32 .tflite file's) fails the step.

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

from lwm.records import CamOutputs, CamParity, Latency, ModelEntry, TensorSpec, TfliteCalibration, TfliteCopy
from lwm.constants import MODELS_DIR

from . import cpu, manifest, measure
from .cachekey import code_digest
from .cam import CAM_CLASSES_OUTPUT, CAM_OUTPUT, CAM_TOP
from .convert import INPUT_NAME, OUTPUT_NAME
from .evaluation import TFLITE_INT8_MAX_SIZE_RATIO, agreement, run_torch, targets, top5
from .options import ExportOptions, resolve_weights
from .preprocess import model_inputs
from .registry import get_entry
from .workers import spawn_pool

VARIANTS = ("fp32", "int8")  # the fp32 file is converted, the int8 file quantized from it
# the converter's and the quantizer's packages, recorded in each record and part of its key
CONVERTER_PACKAGES = ("litert-torch", "ai-edge-litert", "ai-edge-quantizer", "torch", "numpy")
# calibration photos for the int8 file: every second one of the export's (the quantizer's
# calibration and the bias correction each run the fp32 file once per photo)
CALIBRATION_STEP = 2


def versions() -> dict[str, str]:
    return {p: importlib.metadata.version(p) for p in CONVERTER_PACKAGES}


def export_key(name: str, weights_sha256: str | None) -> str:
    """What a .tflite file and its figures depend on: the exporter's code (the model, its
    weights, the validation photos' preprocessing), this module, the weight file, the
    converter's versions and the CPU (latency is measured)."""
    machine = cpu.describe()
    here = Path(__file__).parent
    parts = [name, code_digest(), *(hashlib.sha256((here / f).read_bytes()).hexdigest() for f in ("tflite.py", "tflite_int8.py")),
             weights_sha256 or "untrained", *(f"{k}=={v}" for k, v in sorted(versions().items())),
             str(machine["cpu"]), ",".join(machine["cpu_features"]), str(os.cpu_count())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def class_maps(model, cam_kind: str | None):
    """``model`` as a module with a keyword input and a dict output, which name the
    signature's tensors (litert-torch): the logits and, for a model with maps (``cam_kind``
    as the manifest's cam.kind), the maps of the five best classes and their indices, as
    export/cam.py adds them to the ONNX files (torch_cam's arithmetic). The maps' ops are
    named after this class (ClassMaps), which keeps them in float in the int8 file."""
    import torch

    class ClassMaps(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model
            self.pool = [m for m in model.modules() if isinstance(m, torch.nn.AdaptiveAvgPool2d)][-1]
            self.fc = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1] if cam_kind == "linear" else None

        def forward(self, **inputs):
            if cam_kind is None:
                return {OUTPUT_NAME: self.model(inputs[INPUT_NAME])}
            seen = []
            hook = self.pool.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
            try:
                logits = self.model(inputs[INPUT_NAME])
            finally:
                hook.remove()
            features = seen[0]  # 1 x K x H x W, the pooling's input
            _, k, h, w = features.shape
            _, classes = torch.topk(logits, CAM_TOP, dim=1)
            if self.fc is not None:  # the classifier's rows of the five classes times the features
                maps = self.fc.weight[classes[0]] @ features.reshape(k, h * w)
            else:  # one channel per class
                maps = features[0, classes[0]]
            return {OUTPUT_NAME: logits, CAM_OUTPUT: maps.reshape(1, CAM_TOP, h, w), CAM_CLASSES_OUTPUT: classes}

    return ClassMaps(model.eval()).eval()


def convert(model, size: int, dest: Path, cam_kind: str | None = None) -> None:
    """The module as a LiteRT flatbuffer with a fixed (1, 3, size, size) NCHW float input,
    the layout the page's preprocessing writes (the converter moves to NHWC inside), and the
    ONNX files' input and output names in its signature: the browser feeds and reads both
    files by the manifest's names. The map classes come out as int32 (LiteRT's TOPK_V2)."""
    import litert_torch
    import torch
    from litert_torch import progress

    progress.console.quiet = True  # its progress tree, a dozen lines a model, says nothing we report
    edge = litert_torch.convert(class_maps(model, cam_kind), sample_kwargs={INPUT_NAME: torch.zeros(1, 3, size, size)})
    tmp = dest.with_name(dest.name + ".tmp")
    edge.export(str(tmp))
    os.replace(tmp, dest)


def interpreter(path: Path, threads: int):
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path), num_threads=threads)
    it.allocate_tensors()
    return it


def run_outputs(path: Path, batch: np.ndarray, threads: int = 2) -> dict[str, np.ndarray]:
    """Every output of the file (by its signature's names) for every image in ``batch``, one
    image at a time (the file's batch is 1)."""
    it = interpreter(path, threads)
    runner = it.get_signature_runner()
    (name,) = runner.get_input_details()
    rows = [runner(**{name: np.ascontiguousarray(x[None], dtype=np.float32)}) for x in batch]
    return {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}


def run_tflite(path: Path, batch: np.ndarray, threads: int = 2) -> np.ndarray:
    """Logits of every image in ``batch``."""
    return run_outputs(path, batch, threads)[OUTPUT_NAME].astype(np.float64)


def map_parity(model, path: Path, samples: dict[str, np.ndarray], size: int, threads: int) -> CamParity:
    """The file's maps of its five best classes against PyTorch's maps of the same classes
    on each sample photo (whole view), both upsampled to the input grid: the lowest
    correlation, as export/cam.py's map_parity for the ONNX files."""
    from .cam import correlation, torch_cam, upsample

    x = np.concatenate([views[:1] for views in samples.values()])
    out = run_outputs(path, x, threads)
    classes = out[CAM_CLASSES_OUTPUT].astype(np.int64)
    ours, ref = upsample(out[CAM_OUTPUT], size), upsample(torch_cam(model, x, classes), size)
    corr = [correlation(ours[i, j], ref[i, j]) for i in range(len(x)) for j in range(classes.shape[1])]
    defined = [c for c in corr if np.isfinite(c)]
    return CamParity(images=int(len(x)), maps=len(corr), constant_maps=len(corr) - len(defined),
                     min_correlation=round(min(defined), 6) if defined else None)


def latency_ms(path: Path, threads: int) -> dict:
    """LiteRT's interpreter (XNNPACK) on this CPU, timed as onnxruntime is (measure.time_runs)."""
    it = interpreter(path, threads)
    d = it.get_input_details()[0]
    x = np.random.default_rng(0).standard_normal(tuple(d["shape"])).astype(np.float32)

    def once() -> None:
        it.set_tensor(d["index"], x)
        it.invoke()

    return measure.time_runs(once)


def _record(path: Path, validation, reference_top5: dict, key: str, seconds: float, **extra) -> TfliteCopy:
    it = interpreter(path, 1)
    (sig,) = it.get_signature_list().values()  # {"inputs": [name], "outputs": [names]}
    details = it.get_signature_runner().get_output_details()  # {signature name: its shape, type...}
    inp = it.get_input_details()[0]
    has_maps = CAM_OUTPUT in sig["outputs"]
    return TfliteCopy(
        file=path.name,
        **measure.file_stats(path),
        format="tflite",
        converter=versions(),
        input=TensorSpec(name=sig["inputs"][0], shape=[int(s) for s in inp["shape"]], dtype="float32", layout="NCHW"),
        output=TensorSpec(name=OUTPUT_NAME, shape=[int(s) for s in details[OUTPUT_NAME]["shape"]], dtype="float32"),
        validation=validation,
        latency_ms={},  # measure_latency, on a quiet machine
        reference_top5=reference_top5,
        maps=CamOutputs(maps=CAM_OUTPUT, classes=CAM_CLASSES_OUTPUT) if has_maps else None,
        export_key=key,
        export_seconds=round(seconds, 1),
        **extra,
    )


def export_file(name: str, out_dir: Path, threads: int, cam_kind: str | None = None) -> dict[str, TfliteCopy]:
    """Write ``<name>.fp32.tflite`` and ``<name>.int8.tflite`` and return their records for
    ``variants.<variant>.tflite``, without ``latency_ms`` (measure_latency, on a quiet machine)."""
    import torch

    from .tflite_int8 import quantize
    from .weights import load_pretrained

    t0 = time.perf_counter()
    torch.set_num_threads(threads)
    reg = get_entry(name)
    pre = reg.weights.preprocess
    opts = ExportOptions(out_dir=out_dir, allow_download=False)
    weights = resolve_weights(name, opts)
    model = reg.builder().eval()
    load_pretrained(model, name, reg.weights, opts.weights_dir, allow_download=False)
    key = export_key(name, weights.sha256)

    paths = {v: out_dir / f"{name}.{v}.tflite" for v in VARIANTS}
    convert(model, pre.input_size, paths["fp32"], cam_kind)
    t_fp32 = time.perf_counter() - t0

    # the same photos, preprocessing and comparison as the ONNX variants (export/pipeline.py)
    data = model_inputs(pre, out_dir / "samples")
    calibration = quantize(paths["fp32"], paths["int8"], data.calibration[::CALIBRATION_STEP], INPUT_NAME, threads)
    batch = np.concatenate([data.validation, *data.samples.values()])
    n_val = len(data.validation)
    ref = run_torch(model, data.validation)
    records = {}
    for v, path in paths.items():
        t1 = time.perf_counter()
        logits = run_tflite(path, batch, threads)
        validation = agreement(ref, logits[:n_val])
        extra = {}
        if cam_kind is not None:
            extra["cam"] = map_parity(model, path, data.samples, pre.input_size, threads)
        if v == "int8":
            extra["calibration"] = TfliteCalibration(**calibration)
            extra["targets"] = targets(path.stat().st_size / paths["fp32"].stat().st_size, validation,
                                       TFLITE_INT8_MAX_SIZE_RATIO)
        seconds = (t_fp32 if v == "fp32" else calibration["seconds"]) + time.perf_counter() - t1
        records[v] = _record(path, validation, {sid: top5(logits[n_val + i]) for i, sid in enumerate(data.samples)},
                             key, seconds, **extra)
    return records


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


def _export_file_in_worker(name: str, out_dir: Path, cam_kind: str | None) -> dict:
    _quiet()
    return export_file(name, out_dir, threads=1, cam_kind=cam_kind)


def export_files(names: list[str], out_dir: Path, jobs: int, cam_kinds: dict[str, str | None]
                 ) -> dict[str, dict[str, TfliteCopy]]:
    """Phase 1, as export/pipeline.py's: the files and their validation, ``jobs`` models at
    once in worker processes of one thread each (litert-torch's conversion runs mostly on
    one core), or here with every core; largest model first."""
    order = sorted(names, key=lambda n: get_entry(n).weights.preprocess.input_size, reverse=True)
    if jobs <= 1:
        return {n: export_file(n, out_dir, threads=os.cpu_count() or 1, cam_kind=cam_kinds[n]) for n in order}
    out = {}
    with spawn_pool(jobs) as pool:
        futures = {pool.submit(_export_file_in_worker, n, out_dir, cam_kinds[n]): n for n in order}
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
        if not args.force and all(reusable(entry["variants"].get(v, {}).get("tflite"), key, args.out) for v in VARIANTS):
            print(f"{name:<19} kept, unchanged since the last conversion")
        else:
            todo.append(name)
    jobs = min(args.jobs or os.cpu_count() or 1, len(todo))
    cam_kinds = {n: (data["models"][n].get("cam") or {}).get("kind") for n in todo}
    records = export_files(todo, args.out, jobs, cam_kinds) if todo else {}
    if records:
        print(f"tflite: files written in {time.perf_counter() - t0:.0f} s; timing them, one at a time")
    threads = ExportOptions(out_dir=args.out).latency_threads  # the ONNX files' thread counts
    missed = []
    for name in todo:
        timed = {v: measure_latency(r, args.out, threads) for v, r in records[name].items()}
        # merged into the manifest as it is now: the model's entry gets its variants' records,
        # the other entries are left as they are
        data = manifest.load(args.out / manifest.MANIFEST_NAME)
        entry = ModelEntry.from_json(data["models"][name], f"models.{name}")
        variants = {**entry.variants, **{v: replace(entry.variants[v], tflite=r) for v, r in timed.items()}}
        data["models"][name] = replace(entry, variants=variants).to_json()
        manifest.write(data, args.out)
        for v, record in timed.items():
            val, lat = record.validation, record.latency_ms
            print(f"{name:<19} {v}  {record.bytes / 1e6:.1f} MB  max |logit diff| {val.max_abs_logit_diff:.1e}  "
                  f"top-1 as PyTorch on {val.top1_agreement:.1%} of {val.images} images "
                  f"({val.top1_agreement_confident:.0%} of {val.confident_images} confident)  "
                  f"LiteRT {' / '.join(str(lat[t].median_ms) for t in lat)} ms ({' / '.join(lat)} threads)  "
                  f"{record.export_seconds:.0f} s")
            if record.targets is not None and not record.targets.met:
                missed.append(f"{name}: {record.targets.to_json()}")
    print(f"tflite: {len(names)} model(s) in {time.perf_counter() - t0:.0f} s")
    if missed:
        print("error: int8 .tflite files that miss the int8 targets (export/evaluation.py):\n  " + "\n  ".join(missed),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
