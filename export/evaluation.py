"""onnxruntime sessions and what a file's answers are judged by.

    from export.evaluation import agreement, run_onnx, run_torch
    ref = run_torch(model, batch)
    agreement(ref, run_onnx(Path("build/models/mobilenet_v2.int8.onnx"), batch))

Every onnxruntime session of the exporter opens through ``ort_session`` (the validation
runs here, the calibration and web optimization in export/convert.py, the timing in
export/measure.py), on the CPU, with the thread counts the caller gives. The int8 targets,
what a pretrained model's int8 file must achieve against its fp32 file, sit here beside the
comparison they read.

This module imports nothing from the export package, so every step of it can import this.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# CONFIDENT: the fp32 top probability at or above which an image counts as "confident"
from lwm.records import CONFIDENT, Agreement, ClassProb, Int8Targets, Variant


# Targets for int8 against fp32 on pretrained models (see the README).
INT8_MAX_SIZE_RATIO = 0.28
# the int8 .tflite file's size target against the fp32 .tflite file (export/tflite.py): LiteRT
# stores a scale per output channel of each layer and its quantized tensors' parameters in the
# flatbuffer, a little more than the ONNX file's per-channel parameters
TFLITE_INT8_MAX_SIZE_RATIO = 0.30
INT8_MIN_AGREEMENT_CONFIDENT = 0.99
INT8_MIN_AGREEMENT_ALL = 0.90


def ort_session(model: Path | bytes, threads: int = 1, *, optimization: str | None = None,
                save_to: Path | None = None, save_format: str | None = None):
    """An onnxruntime CPU session of ``model`` (a path, or a serialized ModelProto) on
    ``threads`` threads, one operator at a time.

    ``optimization`` names onnxruntime's graph optimization level ("basic", "extended",
    "all"; None keeps onnxruntime's default, which is "all"); ``save_to`` writes the graph as
    optimized there, in ``save_format`` ("ONNX" or "ORT"). onnxruntime logs errors only.
    """
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    if optimization is not None:
        so.graph_optimization_level = getattr(ort.GraphOptimizationLevel, f"ORT_ENABLE_{optimization.upper()}")
    if save_to is not None:
        so.optimized_model_filepath = str(save_to)
    if save_format is not None:
        so.add_session_config_entry("session.save_model_format", save_format)
    so.log_severity_level = 3
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, so, providers=["CPUExecutionProvider"])


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def run_onnx(path: Path, batch: np.ndarray, threads: int = 2, chunk: int = 16) -> np.ndarray:
    """Logits of every image in ``batch``, one session for the whole batch."""
    sess = ort_session(path, threads)
    name = sess.get_inputs()[0].name  # the exporter's files have one input
    return np.concatenate(
        [sess.run(None, {name: batch[i : i + chunk]})[0] for i in range(0, len(batch), chunk)]
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


def agreement(ref_logits: np.ndarray, logits: np.ndarray) -> Agreement:
    """How closely a variant follows the PyTorch fp32 reference on the validation set."""
    ref_p = softmax(ref_logits)
    ref_top1, top1 = ref_logits.argmax(1), logits.argmax(1)
    ref_top5 = np.argsort(-ref_logits, axis=1)[:, :5]
    top5 = np.argsort(-logits, axis=1)[:, :5]
    confident = ref_p.max(1) >= CONFIDENT
    same = ref_top1 == top1
    overlap = [len(set(a) & set(b)) / 5.0 for a, b in zip(ref_top5, top5)]
    return Agreement(
        images=int(len(ref_logits)),
        max_abs_logit_diff=float(np.abs(ref_logits - logits).max()),
        top1_agreement=float(same.mean()),
        confident_images=int(confident.sum()),
        top1_agreement_confident=float(same[confident].mean()) if confident.any() else None,
        top5_overlap=float(np.mean(overlap)),
    )


def top5(logits: np.ndarray) -> list[ClassProb]:
    """The five most probable classes, highest first; equal probabilities (common in an int8
    model's output, whose logits take few values) in class order, as the page's topK orders
    them, so that a browser's answer compares with this one class by class."""
    p = softmax(logits[None])[0]
    idx = np.argsort(-p, kind="stable")[:5]
    return [ClassProb(index=int(i), prob=float(p[i])) for i in idx]


def int8_targets(variants: dict[str, Variant]) -> Int8Targets | None:
    if "int8" not in variants or "fp32" not in variants:
        return None
    return targets(variants["int8"].bytes / variants["fp32"].bytes, variants["int8"].validation)


def targets(ratio: float, val: Agreement, size_ratio_max: float = INT8_MAX_SIZE_RATIO) -> Int8Targets:
    """An int8 file's size ``ratio`` to its fp32 file and its agreement ``val`` against the
    targets (the .tflite files' size target is TFLITE_INT8_MAX_SIZE_RATIO)."""
    return Int8Targets(
        size_ratio=round(ratio, 4),
        size_ratio_max=size_ratio_max,
        top1_agreement_confident=val.top1_agreement_confident,
        top1_agreement_confident_min=INT8_MIN_AGREEMENT_CONFIDENT,
        top1_agreement=val.top1_agreement,
        top1_agreement_min=INT8_MIN_AGREEMENT_ALL,
        met=bool(
            ratio <= size_ratio_max
            and (val.top1_agreement_confident or 0) >= INT8_MIN_AGREEMENT_CONFIDENT
            and val.top1_agreement >= INT8_MIN_AGREEMENT_ALL
        ),
    )
