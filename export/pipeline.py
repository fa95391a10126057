"""Export registered models: weights -> ONNX variants -> validation -> measurements.

    from export.pipeline import ExportOptions, export_models
    entries = export_models(["efficientnet_lite0"], ExportOptions(out_dir=Path("build/models")))

Each returned dictionary is a model's manifest entry (see export/manifest.py). The work is
done in two phases:

1. ``export_files``: the ONNX files and every figure that is not a time, in four steps:
   ``load_model`` (PyTorch, with its weights), ``convert_model`` (fp32, fp16, int8 ONNX),
   ``add_maps`` (the class activation map outputs, export/cam.py, checked against PyTorch by
   ``map_parity``), ``measure_file`` (each file: size, memory, agreement with PyTorch) and ``measure_model``
   (parameters, MACs, layer rows, depth); for the models in ``prune.PRUNED_MODELS`` also a
   pruning sweep. Several models are exported at once, one worker process per core, each
   on one thread.
2. ``measure_latency``: every file is timed on a quiet machine, one model at a time, after
   the workers are gone, so no figure is taken while other work competes for the cores.

A model whose ``export_key`` (its code, weights, library versions, options and CPU) equals
that of the entry already in the output folder, with files that still match their
checksums, is not exported again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from lwm import catalog

from . import cam, convert, cpu, images, measure, prune
from .manifest import REQUIRED_MODEL
from .registry import get_entry
from .weights import Preprocess, WeightsNotFoundError, find_weights, verify_checksum

CONFIDENT = 0.5  # fp32 top probability at or above which an image counts as "confident"
# everything that changes what the exporter writes, besides its own code and the weights
KEYED_PACKAGES = (
    "torch", "onnx", "onnxruntime", "onnxslim", "onnxconverter-common", "onnxscript",
    "numpy", "pillow", "scikit-image",
)


@dataclass
class ExportOptions:
    out_dir: Path
    variants: tuple[str, ...] = convert.VARIANTS
    weights_dir: Path | None = Path("weights")
    allow_download: bool = True
    allow_untrained: bool = False
    calibration: str = "minmax"
    latency_threads: tuple[int, ...] = (1, 2)
    jobs: int = 0  # worker processes; 0: one per core
    reuse: bool = True  # keep a model whose export_key and files are unchanged
    log: Callable[[str], None] = field(default=print)


@dataclass(frozen=True)
class Weights:
    """Where a model's weights come from, resolved before any work starts."""

    pretrained: bool
    origin: str | None = None
    path: str | None = None
    sha256: str | None = None
    missing_reason: str | None = None

    def to_json(self) -> dict:
        return {"loaded_from": self.origin, "file_sha256": self.sha256, "missing_reason": self.missing_reason}


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _ort_session(path: Path, threads: int):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def run_onnx(path: Path, batch: np.ndarray, threads: int = 2, chunk: int = 16) -> np.ndarray:
    """Logits of every image in ``batch``, one session for the whole batch."""
    sess = _ort_session(path, threads)
    return np.concatenate(
        [sess.run(None, {convert.INPUT_NAME: batch[i : i + chunk]})[0] for i in range(0, len(batch), chunk)]
    ).astype(np.float64)


def run_torch(model, batch: np.ndarray, chunk: int = 16) -> np.ndarray:
    """PyTorch's logits for ``batch``. The model and images are put in channels-last memory
    order, which runs depthwise convolutions twice as fast on the CPU; the logits move by
    less than 1e-4 (float rounding in another summation order)."""
    import torch

    model.eval().to(memory_format=torch.channels_last)
    with torch.inference_mode():
        return np.concatenate([
            model(torch.from_numpy(batch[i : i + chunk]).contiguous(memory_format=torch.channels_last)).numpy()
            for i in range(0, len(batch), chunk)
        ]).astype(np.float64)


def agreement(ref_logits: np.ndarray, logits: np.ndarray) -> dict:
    """How closely a variant follows the PyTorch fp32 reference on the validation set."""
    ref_p = softmax(ref_logits)
    ref_top1, top1 = ref_logits.argmax(1), logits.argmax(1)
    ref_top5 = np.argsort(-ref_logits, axis=1)[:, :5]
    top5 = np.argsort(-logits, axis=1)[:, :5]
    confident = ref_p.max(1) >= CONFIDENT
    same = ref_top1 == top1
    overlap = [len(set(a) & set(b)) / 5.0 for a, b in zip(ref_top5, top5)]
    return {
        "images": int(len(ref_logits)),
        "max_abs_logit_diff": float(np.abs(ref_logits - logits).max()),
        "top1_agreement": float(same.mean()),
        "confident_images": int(confident.sum()),
        "top1_agreement_confident": float(same[confident].mean()) if confident.any() else None,
        "top5_overlap": float(np.mean(overlap)),
    }


def top5(logits: np.ndarray) -> list[dict]:
    p = softmax(logits[None])[0]
    idx = np.argsort(-p)[:5]
    return [{"index": int(i), "prob": float(p[i])} for i in idx]


@dataclass(frozen=True)
class Inputs:
    validation: np.ndarray  # (N, 3, S, S)
    labels: tuple[str, ...]  # "<photo>#<view>" of each validation image
    calibration: list[np.ndarray]  # (1, 3, S, S) each
    samples: dict[str, np.ndarray]  # sample id -> (1, 3, S, S), from the PNGs the site serves

    def full_views(self) -> np.ndarray:
        """One image per validation photo: the whole photo (view 0), not a crop or mirror."""
        return self.validation[[i for i, label in enumerate(self.labels) if label.endswith("#0")]]


@functools.lru_cache(maxsize=None)
def model_inputs(pre: Preprocess, samples_dir: Path) -> Inputs:
    """The preprocessed photos for one preprocessing; models that share it share the work."""
    from .preprocess import preprocess

    val = images.validation_images()
    return Inputs(
        validation=np.concatenate([preprocess(img, pre) for _, img in val]),
        labels=tuple(label for label, _ in val),
        calibration=[preprocess(img, pre) for _, img in images.calibration_images()],
        samples={p.id: preprocess(images.load_rgb(samples_dir / f"{p.id}.png"), pre) for p, _ in images.sample_photos()},
    )


# ---------------------------------------------------------------------------------------
# What a model's export depends on
# ---------------------------------------------------------------------------------------
def resolve_weights(name: str, opts: ExportOptions) -> Weights:
    """Find and verify the weight file (or decide on an untrained export) before any work."""
    meta = get_entry(name).weights
    try:
        path, origin = find_weights(name, meta, opts.weights_dir, opts.allow_download)
    except WeightsNotFoundError as exc:
        if not opts.allow_untrained:
            raise
        return Weights(pretrained=False, missing_reason=str(exc))
    return Weights(pretrained=True, origin=origin, path=str(path), sha256=verify_checksum(path, meta))


# files of the export package that change nothing the ONNX export writes: the .tflite step
# (its own key, export/tflite.py) and the benchmark's results-file shape
NOT_KEYED = ("tflite.py", "bench_results.py")


@functools.lru_cache(maxsize=1)
def _code_digest() -> str:
    """sha256 over the exporter's own source files (export/**/*.py but NOT_KEYED)."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*.py") if p.relative_to(root).as_posix() not in NOT_KEYED):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[str, ...]:
    def version(pkg: str) -> str:
        try:
            return importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            return "-"

    return (platform.python_version(), *(f"{p}=={version(p)}" for p in KEYED_PACKAGES))


def export_key(name: str, weights: Weights, opts: ExportOptions) -> str:
    """Everything that determines a model's files and figures, hashed: the exporter's code,
    the weight file, the library versions, the options and the CPU (latency is measured)."""
    machine = cpu.describe()
    parts = [
        name, _code_digest(), weights.sha256 or "untrained", *_versions(),
        ",".join(opts.variants), opts.calibration, ",".join(map(str, opts.latency_threads)),
        str(machine["cpu"]), ",".join(machine["cpu_features"]), str(os.cpu_count()),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def files_of(entry: dict) -> list[dict]:
    """Every file a manifest entry records, with its size and checksum."""
    out = []
    for v in entry.get("variants", {}).values():
        out.append(v)
        if v.get("optimized"):
            out.append(v["optimized"])
    return out


def reusable(entry: dict | None, key: str, out_dir: Path) -> bool:
    """Whether a previous entry can stand: same key, and its files are still the ones it measured."""
    if not entry or entry.get("export_key") != key:
        return False
    if any(k not in entry for k in REQUIRED_MODEL):  # written before a field was added
        return False
    for f in files_of(entry):
        path = out_dir / f["file"]
        if not path.is_file() or path.stat().st_size != f["bytes"] or measure.file_stats(path, compress=False)["sha256"] != f["sha256"]:
            return False
    return True


# ---------------------------------------------------------------------------------------
# Phase 1: the files, and every figure that is not a time
# ---------------------------------------------------------------------------------------
def optimized_entry(path: Path, dest: Path, batch: np.ndarray, logits: np.ndarray, threads: int) -> dict:
    """Write the pre-optimized copy of a variant and check it computes what the variant does."""
    info = convert.optimize_for_web(path, dest)
    opt_logits = run_onnx(dest, batch, threads)
    return {
        "file": dest.name,
        **measure.file_stats(dest),
        **info,
        # against the variant it was made from, not against PyTorch: it must be the same model
        "against_variant": {
            "images": int(len(logits)),
            "max_abs_logit_diff": float(np.abs(opt_logits - logits).max()),
            "top1_same": float((opt_logits.argmax(1) == logits.argmax(1)).mean()),
        },
    }


def export_files(name: str, weights: Weights, opts: ExportOptions, threads: int) -> dict:
    """Write the model's files and return its manifest entry, latency not yet measured:
    load the model, convert it to ONNX, check and measure each file, measure the model."""
    import torch

    t_start = time.perf_counter()
    torch.set_num_threads(threads)
    entry = get_entry(name)
    meta = entry.weights
    pre = meta.preprocess
    size = pre.input_size
    out = Path(opts.out_dir)

    model = load_model(name, weights, opts)
    data = model_inputs(pre, out / "samples")
    paths, calibration = convert_model(model, name, size, data.calibration, opts, threads)

    # Agreement with PyTorch on the validation set is what int8 and fp16 are judged by, and
    # it means something only for a trained classifier: an untrained network's scores are
    # near-ties that any rounding reorders. Its files are checked on the whole photos only,
    # and the site shows no agreement for it.
    validation = data.validation if weights.pretrained else data.full_views()
    ref_logits = run_torch(model, validation)
    maps = add_maps(paths)
    variants, logits = {}, {}
    for v, path in paths.items():
        variants[v], logits[v] = measure_file(path, validation, ref_logits, data.samples, threads)
        if maps["kind"]:
            variants[v]["cam"] = map_parity(model, path, data.samples, size, threads)
        if v == "int8":
            variants[v]["calibration"] = calibration
            variants[v]["portable"] = not convert.saturation_risks(onnx_model(path))
        if v in convert.OPTIMIZED_VARIANTS:
            variants[v]["optimized"] = optimized_entry(path, out / f"{name}.{v}.opt.onnx", validation, logits[v], threads)

    # magnitude pruning, measured on files that are not kept (export/prune.py); for a trained
    # network only: an untrained one has no answers to lose
    pruning = None
    if weights.pretrained and name in prune.PRUNED_MODELS:
        pruning = prune.pruning_block(model, size, validation, ref_logits, threads,
                                      dense=(paths["fp32"], logits["fp32"]))

    return {
        "name": name,
        "display_name": entry.title,
        "family": entry.family,
        "docs_page": entry.docs_page,
        "pretrained": weights.pretrained,
        **measure_model(model, name, size, paths["fp32"]),
        "input": {"name": convert.INPUT_NAME, "shape": [None, 3, size, size], "dtype": "float32"},
        "output": {"name": convert.OUTPUT_NAME, "shape": [None, meta.num_classes], "dtype": "float32"},
        "preprocess": {
            "input_size": pre.input_size,
            "resize_size": pre.resize_size,
            "crop_size": pre.crop_size,
            "interpolation": pre.interpolation,
            "resize_mode": pre.resize_mode,
            "mean": list(pre.mean),
            "std": list(pre.std),
        },
        "weights": {**meta.to_json(), **weights.to_json()},
        "int8_targets": int8_targets(variants) if weights.pretrained else None,
        "variants": variants,
        "pruning": pruning,
        "cam": maps,
        "export_seconds": round(time.perf_counter() - t_start, 1),
    }


def load_model(name: str, weights: Weights, opts: ExportOptions):
    """The PyTorch model in eval mode, with its pretrained weights or seeded random ones."""
    import torch

    from .weights import load_pretrained

    entry = get_entry(name)
    torch.manual_seed(0)  # untrained exports are reproducible
    model = entry.builder().eval()
    if weights.pretrained:
        load_pretrained(model, name, entry.weights, opts.weights_dir, allow_download=False)
    return model


def convert_model(model, name: str, size: int, calibration: list[np.ndarray], opts: ExportOptions,
                  threads: int) -> tuple[dict[str, Path], dict | None]:
    """Write ``<name>.<variant>.onnx`` for each variant asked for: fp32 from PyTorch (always,
    the others are made from it), fp16 and int8 from fp32. Returns the paths, and for int8
    how it was calibrated ({method, images})."""
    out = Path(opts.out_dir)
    paths = {v: out / f"{name}.{v}.onnx" for v in convert.VARIANTS if v in opts.variants or v == "fp32"}
    convert.export_fp32(model, size, paths["fp32"])
    if "fp16" in paths:
        convert.convert_fp16(paths["fp32"], paths["fp16"])
    int8 = None
    if "int8" in paths:
        method = convert.quantize_int8(paths["fp32"], paths["int8"], calibration, method=opts.calibration,
                                       threads=threads)
        int8 = {"method": method, "images": len(calibration)}
    return paths, int8


def add_maps(paths: dict[str, Path]) -> dict:
    """Give each file the class activation map outputs (export/cam.py), made from the
    tensors its classifier already has. Returns what they are and the bytes they add to each
    file, or {"kind": None, "reason"} for a head that has no exact map."""
    import onnx

    added: dict = {}
    extra = {}
    for v, path in paths.items():
        before = path.stat().st_size
        try:
            model, added = cam.add_cam(onnx_model(path), convert.OUTPUT_NAME)
        except cam.NoMapError as err:
            return {"kind": None, "reason": str(err)}
        onnx.save_model(model, str(path))
        extra[v] = path.stat().st_size - before
    return {
        **added,
        "outputs": {"maps": cam.CAM_OUTPUT, "classes": cam.CAM_CLASSES_OUTPUT},
        "extra_bytes": extra,
    }


def map_parity(model, path: Path, samples: dict[str, np.ndarray], size: int, threads: int) -> dict:
    """The file's maps of its five best classes against PyTorch's maps of the same classes,
    on each sample photo (whole view), both upsampled to the input grid: the lowest
    correlation."""
    x = np.concatenate([views[:1] for views in samples.values()])
    sess = _ort_session(path, threads)
    outputs = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {convert.INPUT_NAME: x})))
    classes = outputs[cam.CAM_CLASSES_OUTPUT]
    ours = cam.upsample(outputs[cam.CAM_OUTPUT], size)
    ref = cam.upsample(cam.torch_cam(model, x, classes), size)
    corr = [cam.correlation(ours[i, j], ref[i, j]) for i in range(len(x)) for j in range(classes.shape[1])]
    defined = [c for c in corr if np.isfinite(c)]
    return {
        "images": int(len(x)),
        "maps": len(corr),
        # a constant map has no correlation: an untrained network's activations are so small
        # that they round to zero in half precision
        "constant_maps": len(corr) - len(defined),
        "min_correlation": round(min(defined), 6) if defined else None,
    }


def onnx_model(path: Path):
    import onnx

    return onnx.load(str(path))


def measure_file(path: Path, validation: np.ndarray, ref_logits: np.ndarray, samples: dict[str, np.ndarray],
                 threads: int) -> tuple[dict, np.ndarray]:
    """One ONNX file's entry (size, checksum, opset, activation memory, agreement with
    PyTorch on ``validation``, top-5 of each sample photo) and its logits on ``validation``."""
    proto = onnx_model(path)
    # the validation photos and the site's samples, through the file in one batch
    logits = run_onnx(path, np.concatenate([validation, *samples.values()]), threads)
    n_val = len(validation)
    entry = {
        "file": path.name,
        **measure.file_stats(path),
        "opset": next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")),
        "activation_memory_bytes": measure.graph_stats(proto, (convert.OUTPUT_NAME,))["peak_activation_bytes"],
        "validation": agreement(ref_logits, logits[:n_val]),
        "latency_ms": {},  # measure_latency, on a quiet machine
        "reference_top5": {sid: top5(logits[n_val + i]) for i, sid in enumerate(samples)},
    }
    return entry, logits[:n_val]


def measure_model(model, name: str, size: int, fp32_path: Path) -> dict:
    """The model's own figures: parameters, MACs and their layer rows from PyTorch; depth and
    peak activation memory from its fp32 graph."""
    params = measure.count_params(model)
    macs = measure.count_macs(model, size)
    layers = measure.layer_rows(model, size)
    # the docs pages show the rows beside the totals: a block the walk misses must not pass
    if (sum(r["params"] for r in layers), sum(r["macs"] for r in layers)) != (params, macs):
        raise RuntimeError(f"{name}: the layer rows do not sum to the model's parameters and MACs")
    fp32_stats = measure.graph_stats(onnx_model(fp32_path), (convert.OUTPUT_NAME,))
    return {
        "is_lightweight": catalog.is_lightweight(params, macs),
        "params": params,
        "macs": macs,
        "depth": fp32_stats["depth"],
        "se_layers": measure.se_layers(model),
        "activation_memory_bytes": fp32_stats["peak_activation_bytes"],
        "largest_activation": measure.largest_activation(model, size),
        "layers": layers,
    }


def _export_files_in_worker(name: str, weights: Weights, opts: ExportOptions) -> dict:
    convert.quiet_known_warnings()
    return export_files(name, weights, opts, threads=1)


# ---------------------------------------------------------------------------------------
# Phase 2: latency, one model at a time
# ---------------------------------------------------------------------------------------
def measure_latency(entry: dict, opts: ExportOptions) -> dict:
    """Time every variant of ``entry`` with onnxruntime on the CPU; fills ``latency_ms``."""
    t0 = time.perf_counter()
    size = entry["preprocess"]["input_size"]
    for v in entry["variants"].values():
        v["latency_ms"] = {
            str(t): measure.ort_latency_ms(Path(opts.out_dir) / v["file"], (1, 3, size, size), threads=t)
            for t in opts.latency_threads
        }
    entry["export_seconds"] = round(entry["export_seconds"] + time.perf_counter() - t0, 1)
    return entry


@contextlib.contextmanager
def _environment(**values: str):
    """Set environment variables for the duration (worker processes inherit them)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _expected_cost(name: str) -> float:
    """Roughly how long a model takes to export (published MACs), to start the longest first."""
    published = get_entry(name).weights.published
    # the pruning sweep (export/prune.py) takes about as long again as the model's own export
    return float(published.macs or 0) * (2 if name in prune.PRUNED_MODELS else 1)


def summary_line(entry: dict) -> str:
    v = entry["variants"]
    parts = [f"{entry['name']:<19}", "pretrained" if entry["pretrained"] else "untrained "]
    if "int8" in v:
        int8 = v["int8"]
        parts.append(f"int8 {int8['bytes'] / 1e6:.1f} MB ({int8['bytes'] / v['fp32']['bytes']:.2f}x fp32)")
        if entry["pretrained"]:  # agreement means nothing for an untrained network
            parts.append(f"top-1 as PyTorch fp32 on {int8['validation']['top1_agreement']:.0%} of images")
    seconds = f"{entry['export_seconds']:.0f} s"
    if entry.get("pruning"):
        seconds += f" (pruning sweep {entry['pruning']['seconds']:.0f} s)"
    parts.append(seconds)
    return "  ".join(parts)


def export_models(names: list[str], opts: ExportOptions, previous: dict | None = None,
                  on_done: Callable[[str, dict], None] | None = None) -> dict[str, dict]:
    """Export ``names``; return their manifest entries in the order given.

    ``previous`` holds the entries already in the output folder (reused when unchanged).
    ``on_done`` is called with each finished entry (latency included), so a caller can record
    what is finished even when a later model fails.
    """
    log = opts.log
    t0 = time.perf_counter()
    previous = previous or {}
    weights = {name: resolve_weights(name, opts) for name in names}
    keys = {name: export_key(name, weights[name], opts) for name in names}
    done: dict[str, dict] = {}
    todo = []
    for name in names:
        if opts.reuse and reusable(previous.get(name), keys[name], Path(opts.out_dir)):
            done[name] = previous[name]
            if on_done:
                on_done(name, done[name])
        else:
            todo.append(name)
    if done:
        log(f"kept, unchanged since the last export into {opts.out_dir} (--force exports them again): {', '.join(done)}")

    jobs = min(opts.jobs or os.cpu_count() or 1, len(todo))
    # longest first, so no worker is left with a long model at the end
    order = sorted(todo, key=_expected_cost, reverse=True)
    files: dict[str, dict] = {}
    counter = iter(range(1, len(todo) + 1))

    def finished(name: str, entry: dict) -> None:
        entry["export_key"] = keys[name]
        files[name] = entry
        log(f"[{next(counter):>2}/{len(todo)}] {summary_line(entry)}")

    failure: Exception | None = None
    try:
        if jobs <= 1:
            for name in order:  # in this process, with every core
                finished(name, export_files(name, weights[name], opts, threads=os.cpu_count() or 1))
        else:
            _export_in_workers(order, weights, opts, jobs, finished)
    except Exception as exc:  # what finished is still timed and recorded below; then it is raised
        failure = exc

    if files:
        log(f"files written in {time.perf_counter() - t0:.0f} s; timing {len(files)} model(s) with onnxruntime, "
            f"{' and '.join(map(str, opts.latency_threads))} thread(s), one at a time")
    for name in names:
        if name in files:
            done[name] = measure_latency(files[name], opts)
            if on_done:
                on_done(name, done[name])
    if failure is not None:
        raise failure
    return {name: done[name] for name in names if name in done}


def _export_in_workers(order: list[str], weights: dict[str, Weights], opts: ExportOptions, jobs: int,
                       finished: Callable[[str, dict], None]) -> None:
    import multiprocessing

    worker_opts = replace(opts, log=print)  # workers do not log (the CLI's logger does not pickle)
    # spawn: a fresh interpreter per worker, no thread pools inherited through fork; one
    # thread each for numpy's BLAS and OpenMP too, set before the workers import them
    with _environment(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1"), \
            ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_export_files_in_worker, n, weights[n], worker_opts): n for n in order}
        try:
            for future in as_completed(futures):
                finished(futures[future], future.result())
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


# Targets for int8 against fp32 on pretrained models (see the README).
INT8_MAX_SIZE_RATIO = 0.28
INT8_MIN_AGREEMENT_CONFIDENT = 0.99
INT8_MIN_AGREEMENT_ALL = 0.90


def int8_targets(variants: dict) -> dict | None:
    if "int8" not in variants or "fp32" not in variants:
        return None
    ratio = variants["int8"]["bytes"] / variants["fp32"]["bytes"]
    val = variants["int8"]["validation"]
    return {
        "size_ratio": round(ratio, 4),
        "size_ratio_max": INT8_MAX_SIZE_RATIO,
        "top1_agreement_confident": val["top1_agreement_confident"],
        "top1_agreement_confident_min": INT8_MIN_AGREEMENT_CONFIDENT,
        "top1_agreement": val["top1_agreement"],
        "top1_agreement_min": INT8_MIN_AGREEMENT_ALL,
        "met": bool(
            ratio <= INT8_MAX_SIZE_RATIO
            and (val["top1_agreement_confident"] or 0) >= INT8_MIN_AGREEMENT_CONFIDENT
            and val["top1_agreement"] >= INT8_MIN_AGREEMENT_ALL
        ),
    }
