"""Export one registered model: weights -> ONNX variants -> validation -> measurements.

    from export.pipeline import export_model, ExportOptions
    entry = export_model("efficientnet_lite0", ExportOptions(out_dir=Path("build/models")))

The returned dictionary is the model's manifest entry (see export/manifest.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
import torch

from . import catalog, convert, images, measure
from .preprocess import preprocess
from .registry import get_entry
from .weights import WeightsNotFoundError, load_pretrained

CONFIDENT = 0.5  # fp32 top probability at or above which an image counts as "confident"


@dataclass
class ExportOptions:
    out_dir: Path
    variants: tuple[str, ...] = convert.VARIANTS
    weights_dir: Path | None = Path("weights")
    allow_download: bool = True
    allow_untrained: bool = False
    calibration: str = "minmax"
    latency_threads: tuple[int, ...] = (1, 2)
    log: callable = field(default=print)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _ort_session(path: Path, threads: int = 2):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def run_onnx(path: Path, batch: np.ndarray, chunk: int = 16) -> np.ndarray:
    sess = _ort_session(path)
    return np.concatenate(
        [sess.run(None, {convert.INPUT_NAME: batch[i : i + chunk]})[0] for i in range(0, len(batch), chunk)]
    ).astype(np.float64)


@torch.no_grad()
def run_torch(model: torch.nn.Module, batch: np.ndarray, chunk: int = 16) -> np.ndarray:
    model.eval()
    return np.concatenate(
        [model(torch.from_numpy(batch[i : i + chunk])).numpy() for i in range(0, len(batch), chunk)]
    ).astype(np.float64)


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


def optimized_entry(path: Path, dest: Path, val_batch: np.ndarray, logits: np.ndarray) -> dict:
    """Write the pre-optimized copy of a variant and check it computes what the variant does."""
    info = convert.optimize_for_web(path, dest)
    opt_logits = run_onnx(dest, val_batch)
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


def export_model(name: str, opts: ExportOptions) -> dict:
    entry = get_entry(name)
    meta = entry.weights
    pre = meta.preprocess
    size = pre.input_size
    log = opts.log
    t_start = time.perf_counter()

    torch.manual_seed(0)  # untrained exports are reproducible
    model = entry.builder().eval()
    try:
        loaded = load_pretrained(model, name, meta, opts.weights_dir, opts.allow_download)
        pretrained = True
        weights_info = {"loaded_from": loaded.origin, "file_sha256": loaded.sha256, "missing_reason": None}
        log(f"{name}: pretrained weights from {loaded.origin} ({loaded.path})")
    except WeightsNotFoundError as exc:
        if not opts.allow_untrained:
            raise
        pretrained = False
        weights_info = {"loaded_from": None, "file_sha256": None, "missing_reason": str(exc)}
        log(f"{name}: UNTRAINED export (no weights): {exc}")

    out = Path(opts.out_dir)
    paths = {v: out / f"{name}.{v}.onnx" for v in opts.variants}
    fp32_path = paths.get("fp32", out / f"{name}.fp32.onnx")

    # fp32 is the base for the other variants, so it is always written
    convert.export_fp32(model, size, fp32_path)
    paths["fp32"] = fp32_path

    val = images.validation_images()
    val_batch = np.concatenate([preprocess(img, pre) for _, img in val])
    ref_logits = run_torch(model, val_batch)

    if "fp16" in paths:
        convert.convert_fp16(fp32_path, paths["fp16"])
    if "int8" in paths:
        cal = [preprocess(img, pre) for _, img in images.calibration_images()]
        calibration_used = convert.quantize_int8(fp32_path, paths["int8"], cal, method=opts.calibration)

    samples = {
        photo.id: preprocess(images.load_rgb(out / "samples" / f"{photo.id}.png"), pre)
        for photo, _ in images.sample_photos()
    }
    variants = {}
    for v in convert.VARIANTS:
        if v not in paths:
            continue
        path = paths[v]
        proto = onnx.load(str(path))
        logits = run_onnx(path, val_batch)
        stats = measure.graph_stats(proto)
        variants[v] = {
            "file": path.name,
            **measure.file_stats(path),
            "opset": next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")),
            "activation_memory_bytes": stats["peak_activation_bytes"],
            "validation": agreement(ref_logits, logits),
            "latency_ms": {
                str(t): measure.ort_latency_ms(path, (1, 3, size, size), threads=t) for t in opts.latency_threads
            },
            "reference_top5": {sid: top5(run_onnx(path, x)[0]) for sid, x in samples.items()},
        }
        if v == "int8":
            variants[v]["calibration"] = {"method": calibration_used, "images": len(cal)}
        if v in convert.OPTIMIZED_VARIANTS:
            variants[v]["optimized"] = optimized_entry(path, out / f"{name}.{v}.opt.onnx", val_batch, logits)
        log(
            f"{name}.{v}: {variants[v]['bytes']:,} B, top-1 agreement "
            f"{variants[v]['validation']['top1_agreement']:.3f}, "
            f"{variants[v]['latency_ms'][str(opts.latency_threads[0])]['median_ms']} ms"
        )

    fp32_stats = measure.graph_stats(onnx.load(str(fp32_path)))
    params = measure.count_params(model)
    macs = measure.count_macs(model, size)
    return {
        "name": name,
        "display_name": entry.title,
        "family": entry.family,
        "pretrained": pretrained,
        "is_lightweight": catalog.is_lightweight(params, macs),
        "params": params,
        "macs": macs,
        "depth": fp32_stats["depth"],
        "activation_memory_bytes": fp32_stats["peak_activation_bytes"],
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
        "weights": {**meta.to_json(), **weights_info},
        "int8_targets": int8_targets(variants) if pretrained else None,
        "variants": variants,
        "export_seconds": round(time.perf_counter() - t_start, 1),
    }


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
