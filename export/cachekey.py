"""What a model's export depends on, hashed (``export_key``), and whether its last export stands.

    from export.cachekey import export_key, reusable
    key = export_key("efficientnet_lite0", weights, opts)
    reusable(previous_entry, key, Path("build/models"))  # True: keep it, export nothing

The key covers everything that determines a model's files and figures: the exporter's own
code, the weight file, the library versions, the options and the CPU (latency is measured).
A model whose key equals that of the entry already in the output folder, with files that
still match their checksums, is not exported again.

The exporter's code is its source files (export/**/*.py) and, from the torch-free package
lwm/, only the values it reads (KEYED_LWM): the layer tables and coefficients as data, the
functions (the rounding rule, the lightweight rule) as what they compute, that is their
instructions, constants and the globals they read, without docstrings or line numbers. A
chart label, a slider's range, a docstring or a comment in lwm/ changes no key, so it
exports nothing again (tests/test_cachekey.py).

This module imports neither torch nor onnx: the key of every model is known in a moment.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import importlib.metadata
import json
import os
import platform
import types
from pathlib import Path
from typing import TYPE_CHECKING

from lwm.records import ModelEntry

from . import cpu

if TYPE_CHECKING:  # annotations only: the options module imports the model registry (torch)
    from .options import ExportOptions, Weights

# everything that changes what the exporter writes, besides its own code and the weights
KEYED_PACKAGES = (
    "torch", "onnx", "onnxruntime", "onnxslim", "onnxconverter-common", "onnxscript",
    "numpy", "pillow", "scikit-image",
)
# files of the export package that change nothing the ONNX export writes: the .tflite step
# (its own key, export/tflite.py)
NOT_KEYED = ("tflite.py",)
# what the export reads from lwm/, by module: the layer tables, coefficients and rounding
# rules the model builders (export/models/) are made from; the rule behind each entry's
# is_lightweight; the variants, in the order the entry lists them
KEYED_LWM = {
    "scaling": (
        "V1_BLOCKS", "V1_STEM_CH", "v1_width",
        "V2_SETTINGS", "V2_STEM_CH", "v2_last_width", "make_divisible",
        "EFFICIENTNET_STEM_CH", "EFFICIENTNET_HEAD_CH", "EFFICIENTNET_B", "EFFICIENTNET_LITE", "efficientnet_stages",
    ),
    "catalog": ("is_lightweight", "LIGHTWEIGHT_MAX_PARAMS", "LIGHTWEIGHT_MAX_MACS"),
    "constants": ("VARIANTS", "google_crop_fraction", "LAYER_KINDS"),  # the variants; the Lite cards' crop share; the profile's kinds
    # the records a model's entry is written from (their fields, types, defaults and methods,
    # not the docs on the fields), the preprocessing constants and the agreement threshold
    "records": (
        "AgainstVariant", "Agreement", "CONFIDENT", "Calibration", "CamMaps", "CamOutputs", "CamParity",
        "Ceilings", "Citation", "ClassProb", "IMAGENET_MEAN", "IMAGENET_STD", "Int8Targets", "LargestActivation", "Latency",
        "LayerPart", "LayerRow", "ModelEntry", "ModelWeights", "NoCam", "OptimizedCopy", "Preprocess", "Profile",
        "Pruning", "PruningRow",
        "Published", "Record", "TensorSpec", "Variant", "WeightsMeta",
    ),
}
# what the keyed code reads from lwm/ that shapes no model's files or entry: where the files
# go, and the manifest's top level (the rule's wording, the real-time line), which
# export/manifest.py writes afresh on every run
UNKEYED_LWM = {
    "constants": ("MODELS_DIR",),
    "catalog": ("LIGHTWEIGHT_RULE", "REALTIME_FPS", "REALTIME_BUDGET_MS", "REALTIME_SOURCE", "REALTIME_URL"),
    "records": ("Environment", "LightweightRule", "Manifest", "Measurement", "Realtime", "Sample", "ValidationSets",
                "SCHEMA_VERSION", "schema_text"),
}


@functools.lru_cache(maxsize=1)
def source_digest() -> str:
    """sha256 over the exporter's own source files (export/**/*.py but NOT_KEYED)."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*.py") if p.relative_to(root).as_posix() not in NOT_KEYED):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _code(code: types.CodeType) -> dict:
    """A code object as what it computes: its instructions, constants (nested code objects
    likewise) and the names it uses; no line numbers, no local variable names."""
    return {
        "ops": code.co_code.hex(),
        "consts": [_code(c) if isinstance(c, types.CodeType) else fingerprint(c) for c in code.co_consts],
        "names": list(code.co_names),
        "args": [code.co_argcount, code.co_kwonlyargcount, code.co_flags],
    }


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _global_names(c)
    return names


def fingerprint(value, _seen: dict | None = None):
    """``value`` as canonical JSON data: data as itself, a function as its code (without its
    docstring) with its defaults and every global of its module that it reads, recursively."""
    seen = {} if _seen is None else _seen
    if isinstance(value, types.FunctionType):
        if id(value) in seen:  # recursion, or a helper two keyed functions share
            return f"function {value.__module__}.{value.__qualname__}"
        seen[id(value)] = value
        code = _code(value.__code__)
        if value.__doc__ is not None and value.__code__.co_consts[:1] == (value.__doc__,):
            code["consts"][0] = None  # the docstring
        globals_read = sorted(n for n in _global_names(value.__code__) if n in value.__globals__)
        return {
            "code": code,
            "defaults": fingerprint(value.__defaults__, seen),
            "kwdefaults": fingerprint(value.__kwdefaults__, seen),
            "globals": {n: _global(value.__globals__[n], seen) for n in globals_read},
        }
    if isinstance(value, type) and dataclasses.is_dataclass(value):
        # a record: its fields and what its own methods compute; the docs on its fields
        # (metadata) are prose, and stay out
        return {
            "record": value.__qualname__,
            "bases": [b.__qualname__ for b in value.__mro__[1:]],
            "fields": [[f.name, str(f.type), _default(f.default, seen)] for f in dataclasses.fields(value)],
            "methods": {n: fingerprint(getattr(v, "__func__", v), seen) for n, v in sorted(vars(value).items())
                        if isinstance(getattr(v, "__func__", v), types.FunctionType)},
        }
    if isinstance(value, type):  # a plain class (a record's base)
        return {"class": value.__qualname__,
                "methods": {n: fingerprint(getattr(v, "__func__", v), seen) for n, v in sorted(vars(value).items())
                            if isinstance(getattr(v, "__func__", v), types.FunctionType)}}
    if isinstance(value, types.ModuleType):
        return f"module {value.__name__}"
    if isinstance(value, (list, tuple)):
        return [fingerprint(v, seen) for v in value]
    if isinstance(value, dict):
        return {str(k): fingerprint(v, seen) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"the export key cannot fingerprint a {type(value).__name__}: key it another way")


def _global(value, seen: dict):
    """A global a keyed function reads: fingerprinted where it can be; a library's object (a
    sentinel, a typing construct, a builtin) by its type's name, which is the library's
    version's to change, and that is keyed by versions()."""
    try:
        return fingerprint(value, seen)
    except TypeError:
        return f"object {type(value).__module__}.{type(value).__qualname__}"


def _default(value, seen: dict):
    if value is dataclasses.MISSING:
        return "-"
    try:
        return fingerprint(value, seen)
    except TypeError:
        return repr(value)


def lwm_values() -> dict:
    """KEYED_LWM's names, fingerprinted: the part of lwm/ that shapes the export."""
    modules = {m: importlib.import_module(f"lwm.{m}") for m in KEYED_LWM}
    return {m: {n: fingerprint(getattr(modules[m], n)) for n in names} for m, names in KEYED_LWM.items()}


def code_digest() -> str:
    """sha256 over the exporter's source files and the lwm values it reads."""
    lwm = json.dumps(lwm_values(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{source_digest()}\n{lwm}".encode()).hexdigest()


@functools.lru_cache(maxsize=1)
def versions() -> tuple[str, ...]:
    """Python's version and each of KEYED_PACKAGES' ("-" when it is not installed)."""
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
        name, code_digest(), weights.sha256 or "untrained", *versions(),
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
    try:
        ModelEntry.from_json(entry)
    except ValueError:  # written before a field was added, or with one that is gone
        return False
    for f in files_of(entry):
        path = out_dir / f["file"]
        if not path.is_file() or path.stat().st_size != f["bytes"] or hashlib.sha256(path.read_bytes()).hexdigest() != f["sha256"]:
            return False
    return True
