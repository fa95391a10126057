"""Export registered models: weights -> ONNX variants -> validation -> measurements.

    from export.pipeline import ExportOptions, export_models
    entries = export_models(["efficientnet_lite0"], ExportOptions(out_dir=Path("build/models")))

Each returned record is a model's manifest entry (lwm/records.py's ModelEntry). The work is
done in two phases:

1. ``export_files``: the ONNX files and every figure that is not a time, in four steps:
   ``load_model`` (PyTorch, with its weights), ``convert_model`` (fp32, fp16, int8 ONNX),
   ``cam.add_maps`` (the class activation map outputs, checked against PyTorch by
   ``cam.map_parity``), ``measure_file`` (each file: size, memory, agreement with PyTorch) and ``measure_model``
   (parameters, MACs, layer rows, depth); for the models in ``prune.PRUNED_MODELS`` also a
   pruning sweep. Several models are exported at once, one worker process per core, each
   on one thread.
2. ``measure_latency``: every file is timed on a quiet machine, one model at a time, after
   the workers are gone, so no figure is taken while other work competes for the cores.

A model whose ``export_key`` (its code, weights, library versions, options and CPU) equals
that of the entry already in the output folder, with files that still match their
checksums, is not exported again (export/cachekey.py).

This module runs the phases; the steps' tools live where they are named: export/options.py
(the options and the resolved weights), export/evaluation.py (onnxruntime sessions, the
comparison with PyTorch, the int8 targets), export/preprocess.py (the photos, preprocessed),
export/cam.py (the maps), export/convert.py and export/measure.py.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import as_completed
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np
import onnx

from lwm import catalog
from lwm.records import (
    AgainstVariant, Calibration, CamMaps, Ceilings, LargestActivation, LayerPart, LayerRow, Latency, ModelEntry,
    ModelWeights, NoCam, OptimizedCopy, Profile, TensorSpec, Variant,
)

from . import cam, convert, measure, profile, prune
from .cachekey import export_key, reusable
from .evaluation import agreement, int8_targets, run_onnx, run_torch, top5
from .options import ExportOptions, Weights, resolve_weights
from .preprocess import model_inputs
from .registry import get_entry
from .workers import spawn_pool


# ---------------------------------------------------------------------------------------
# Phase 1: the files, and every figure that is not a time
# ---------------------------------------------------------------------------------------
def optimized_entry(path: Path, dest: Path, batch: np.ndarray, logits: np.ndarray, threads: int) -> OptimizedCopy:
    """Write the pre-optimized copy of a variant and check it computes what the variant does."""
    info = convert.optimize_for_web(path, dest)
    opt_logits = run_onnx(dest, batch, threads)
    return OptimizedCopy(
        file=dest.name,
        **measure.file_stats(dest),
        **info,
        # against the variant it was made from, not against PyTorch: it must be the same model
        against_variant=AgainstVariant(
            images=int(len(logits)),
            max_abs_logit_diff=float(np.abs(opt_logits - logits).max()),
            top1_same=float((opt_logits.argmax(1) == logits.argmax(1)).mean()),
        ),
    )


def export_files(name: str, weights: Weights, opts: ExportOptions, threads: int) -> ModelEntry:
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
    maps = cam.add_maps(paths, convert.OUTPUT_NAME)
    variants, logits = {}, {}
    for v, path in paths.items():
        variant, logits[v] = measure_file(path, validation, ref_logits, data.samples, threads)
        variants[v] = replace(
            variant,
            cam=cam.map_parity(model, path, data.samples, size, threads) if maps.kind else None,
            calibration=calibration if v == "int8" else None,
            portable=not convert.saturation_risks(onnx.load(str(path))) if v == "int8" else None,
            optimized=(optimized_entry(path, out / f"{name}.{v}.opt.onnx", validation, logits[v], threads)
                       if v in convert.OPTIMIZED_VARIANTS else None),
        )

    # magnitude pruning, measured on files that are not kept (export/prune.py); for a trained
    # network only: an untrained one has no answers to lose
    pruning = None
    if weights.pretrained and name in prune.PRUNED_MODELS:
        pruning = prune.pruning_block(model, size, validation, ref_logits, threads,
                                      dense=(paths["fp32"], logits["fp32"]))

    return ModelEntry(
        name=name,
        display_name=entry.title,
        family=entry.family,
        docs_page=entry.docs_page,
        pretrained=weights.pretrained,
        **measure_model(model, name, size, paths["fp32"]),
        input=TensorSpec(name=convert.INPUT_NAME, shape=[None, 3, size, size], dtype="float32"),
        output=TensorSpec(name=convert.OUTPUT_NAME, shape=[None, meta.num_classes], dtype="float32"),
        preprocess=pre,
        weights=ModelWeights.of(meta, **weights.to_json()),
        int8_targets=int8_targets(variants) if weights.pretrained else None,
        variants=variants,
        pruning=pruning,
        cam=maps,
        export_seconds=round(time.perf_counter() - t_start, 1),
        export_key=export_key(name, weights, opts),
    )


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
                  threads: int) -> tuple[dict[str, Path], Calibration | None]:
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
        int8 = Calibration(method=method, images=len(calibration))
    return paths, int8


def measure_file(path: Path, validation: np.ndarray, ref_logits: np.ndarray, samples: dict[str, np.ndarray],
                 threads: int) -> tuple[Variant, np.ndarray]:
    """One ONNX file's entry (size, checksum, opset, activation memory, agreement with
    PyTorch on ``validation``, top-5 of each sample photo) and its logits on ``validation``."""
    proto = onnx.load(str(path))
    # the validation photos and the site's samples, through the file in one batch
    logits = run_onnx(path, np.concatenate([validation, *samples.values()]), threads)
    n_val = len(validation)
    entry = Variant(
        file=path.name,
        **measure.file_stats(path),
        opset=next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")),
        activation_memory_bytes=measure.graph_stats(proto, (convert.OUTPUT_NAME,))["peak_activation_bytes"],
        validation=agreement(ref_logits, logits[:n_val]),
        latency_ms={},  # measure_latency, on a quiet machine
        reference_top5={sid: top5(logits[n_val + i]) for i, sid in enumerate(samples)},
    )
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
    fp32_proto = onnx.load(str(fp32_path))
    # each row's nodes by kind, counted on the graph: they must hold the MACs PyTorch counted
    parts = profile.layer_parts(measure.only_outputs(fp32_proto, (convert.OUTPUT_NAME,)),
                                profile.se_paths(model), [r["path"] for r in layers])
    for row, kinds in zip(layers, parts):
        if sum(p["macs"] for p in kinds.values()) != row["macs"]:
            raise RuntimeError(f"{name}: the graph's nodes of {row['path']} do not hold its MACs")
        row["parts"] = [LayerPart(kind=k, **kinds[k]) for k in profile.KINDS if k in kinds]
    fp32_stats = measure.graph_stats(fp32_proto, (convert.OUTPUT_NAME,))
    return {
        "is_lightweight": catalog.is_lightweight(params, macs),
        "params": params,
        "macs": macs,
        "depth": fp32_stats["depth"],
        "se_layers": measure.se_layers(model),
        "activation_memory_bytes": fp32_stats["peak_activation_bytes"],
        "largest_activation": LargestActivation(**measure.largest_activation(model, size)),
        "layers": [LayerRow(**r) for r in layers],
    }


def _export_files_in_worker(name: str, weights: Weights, opts: ExportOptions) -> ModelEntry:
    convert.quiet_known_warnings()
    return export_files(name, weights, opts, threads=1)


# ---------------------------------------------------------------------------------------
# Phase 2: latency, one model at a time
# ---------------------------------------------------------------------------------------
def measure_latency(entry: ModelEntry, opts: ExportOptions) -> ModelEntry:
    """Time every variant of ``entry`` with onnxruntime on the CPU; fills ``latency_ms``, and
    for the fp32 file ``profile`` (export/profile.py: where the time goes, on one thread)."""
    t0 = time.perf_counter()
    size = entry.preprocess.input_size
    variants = {
        name: replace(v, latency_ms={
            str(t): Latency(**measure.ort_latency_ms(Path(opts.out_dir) / v.file, (1, 3, size, size), threads=t))
            for t in opts.latency_threads
        })
        for name, v in entry.variants.items()
    }
    variants["fp32"] = replace(variants["fp32"], profile=profile_fp32(entry, opts))
    return replace(entry, variants=variants,
                   export_seconds=round(entry.export_seconds + time.perf_counter() - t0, 1))


def profile_fp32(entry: ModelEntry, opts: ExportOptions) -> Profile:
    """The fp32 file's per-layer profile, with the machine's ceilings measured just before it."""
    import torch

    t0 = time.perf_counter()
    with torch.device("meta"):  # the modules' classes and paths only: no weights are made
        se = profile.se_paths(get_entry(entry.name).builder())
    size = entry.preprocess.input_size
    limits = profile.ceilings()
    found = profile.profile_variant(Path(opts.out_dir) / entry.variants["fp32"].file, se,
                                    [r.path for r in entry.layers], (1, 3, size, size), convert.OUTPUT_NAME)
    return Profile(threads=1, **found, ceilings=Ceilings(**limits), seconds=round(time.perf_counter() - t0, 1))


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
                  on_done: Callable[[str, ModelEntry], None] | None = None) -> dict[str, ModelEntry]:
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
    done: dict[str, ModelEntry] = {}
    todo = []
    for name in names:
        if opts.reuse and reusable(previous.get(name), keys[name], Path(opts.out_dir)):
            done[name] = ModelEntry.from_json(previous[name])
            if on_done:
                on_done(name, done[name])
        else:
            todo.append(name)
    if done:
        log(f"kept, unchanged since the last export into {opts.out_dir} (--force exports them again): {', '.join(done)}")

    jobs = min(opts.jobs or os.cpu_count() or 1, len(todo))
    # longest first, so no worker is left with a long model at the end
    order = sorted(todo, key=_expected_cost, reverse=True)
    files: dict[str, ModelEntry] = {}
    counter = iter(range(1, len(todo) + 1))

    def finished(name: str, entry: ModelEntry) -> None:
        files[name] = entry
        log(f"[{next(counter):>2}/{len(todo)}] {summary_line(entry.to_json())}")

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
                       finished: Callable[[str, ModelEntry], None]) -> None:
    worker_opts = replace(opts, log=print)  # workers do not log (the CLI's logger does not pickle)
    with spawn_pool(jobs) as pool:
        futures = {pool.submit(_export_files_in_worker, n, weights[n], worker_opts): n for n in order}
        try:
            for future in as_completed(futures):
                finished(futures[future], future.result())
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
