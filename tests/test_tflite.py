"""The LiteRT (.tflite) copies that `make tflite` adds: recompute what the manifest claims.

Each pretrained model has two: fp32, converted from PyTorch, and int8, quantized from it
(export/tflite_int8.py), held to the int8 targets (export/evaluation.py) against the fp32 one.

Reads build/models after `make tflite` (export/tflite.py), which `make test` runs first: the
site ships these files to its LiteRT.js backend, so their absence is a failure, not a skip.
The files are run with LiteRT's interpreter from .venv-litert (the converter's environment);
this process has no LiteRT of its own.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from export.evaluation import (
    INT8_MIN_AGREEMENT_ALL,
    INT8_MIN_AGREEMENT_CONFIDENT,
    TFLITE_INT8_MAX_SIZE_RATIO,
)
from export.registry import build_model, get_entry
from export.weights import load_pretrained

ROOT = Path(__file__).resolve().parents[1]
LITERT_PY = ROOT / ".venv-litert" / "bin" / "python"


VARIANTS = ("fp32", "int8")


def tflite_records(manifest, variants=VARIANTS):
    """(model, variant, record) of every .tflite copy, failing when one is missing."""
    pretrained = [k for k, e in manifest["models"].items() if e["pretrained"]]
    assert pretrained
    missing = [f"{k} {v}" for k in pretrained for v in variants if "tflite" not in manifest["models"][k]["variants"][v]]
    if missing:
        pytest.fail(f"no .tflite copy of {', '.join(missing)} in models.json: run `make tflite`")
    return [(k, v, manifest["models"][k]["variants"][v]["tflite"]) for k in pretrained for v in variants]


def test_every_pretrained_model_has_a_tflite_file_as_recorded(manifest, models_dir):
    for name, variant, t in tflite_records(manifest):
        data = (models_dir / t["file"]).read_bytes()
        assert t["file"] == f"{name}.{variant}.tflite"
        assert t["bytes"] == len(data)
        assert t["sha256"] == hashlib.sha256(data).hexdigest()
        assert t["gzip_bytes"] < t["bytes"]
        assert data[4:8] == b"TFL3"  # the flatbuffer's file identifier
        # the page feeds it what it feeds the ONNX file: one NCHW image at the input size,
        # under the same name, and reads the logits under the same name
        entry = manifest["models"][name]
        size = entry["preprocess"]["input_size"]
        assert t["input"]["shape"] == [1, 3, size, size] and t["input"]["layout"] == "NCHW"
        assert t["output"]["shape"] == [1, len(manifest["classes"])]
        assert (t["input"]["name"], t["output"]["name"]) == (entry["input"]["name"], entry["output"]["name"])
        assert set(t["latency_ms"]) == set(manifest["models"][name]["variants"]["fp32"]["latency_ms"])


def test_tflite_follows_pytorch_as_the_onnx_fp32_file_does(manifest):
    for name, _, t in tflite_records(manifest, ("fp32",)):
        val = t["validation"]
        assert val["images"] == manifest["validation"]["validation_images"], name
        assert val["max_abs_logit_diff"] < 1e-3 and val["top1_agreement"] == 1.0, name
        # and so the reference probabilities the browser is tested against are the ONNX file's
        onnx_ref = manifest["models"][name]["variants"]["fp32"]["reference_top5"]
        assert set(t["reference_top5"]) == set(onnx_ref), name
        for sample, ref in t["reference_top5"].items():
            assert ref[0]["index"] == onnx_ref[sample][0]["index"], (name, sample)
            for a, b in zip(ref, onnx_ref[sample]):
                assert abs(a["prob"] - b["prob"]) < 1e-4, (name, sample)


RUN = """
import sys, numpy as np
from export.tflite import run_tflite
x = np.load(sys.argv[2])
np.save(sys.argv[3], run_tflite(sys.argv[1], x, threads=1))
"""


def test_tflite_file_round_trips_to_pytorch(manifest, models_dir, tmp_path):
    """The converted file computes what a freshly built (and loaded) PyTorch model does."""
    if not LITERT_PY.is_file():
        pytest.fail(f"{LITERT_PY} not found: run `make tflite`")
    name = "efficientnet_lite0"
    t = manifest["models"][name]["variants"]["fp32"]["tflite"]
    model = build_model(name).eval()
    load_pretrained(model, name, get_entry(name).weights, allow_download=False)
    size = manifest["models"][name]["preprocess"]["input_size"]
    x = np.random.default_rng(0).standard_normal((2, 3, size, size)).astype(np.float32)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    np.save(tmp_path / "x.npy", x)
    subprocess.run([str(LITERT_PY), "-c", RUN, str(models_dir / t["file"]), str(tmp_path / "x.npy"),
                    str(tmp_path / "y.npy")], check=True, cwd=ROOT, capture_output=True)
    out = np.load(tmp_path / "y.npy")
    assert np.abs(out - ref).max() < 1e-3


def test_int8_tflite_meets_the_int8_targets_against_the_fp32_tflite(manifest):
    """Size against the fp32 .tflite file, top-1 agreement with PyTorch fp32 (which the fp32
    .tflite file matches on every image) on all and on the confident validation images."""
    for name, _, t in tflite_records(manifest, ("int8",)):
        fp32 = manifest["models"][name]["variants"]["fp32"]["tflite"]
        assert t["bytes"] <= TFLITE_INT8_MAX_SIZE_RATIO * fp32["bytes"], name
        val = t["validation"]
        assert val["images"] == manifest["validation"]["validation_images"] and val["confident_images"] > 0
        assert val["top1_agreement_confident"] >= INT8_MIN_AGREEMENT_CONFIDENT, name
        assert val["top1_agreement"] >= INT8_MIN_AGREEMENT_ALL, name
        targets = t["targets"]
        assert targets["met"] and targets["size_ratio_max"] == TFLITE_INT8_MAX_SIZE_RATIO, name
        assert targets["size_ratio"] == pytest.approx(t["bytes"] / fp32["bytes"], abs=1e-4)
        assert targets["top1_agreement"] == val["top1_agreement"]
        # calibrated on the export's calibration photos only, with the bias correction
        cal = t["calibration"]
        assert 0 < cal["images"] <= manifest["validation"]["calibration_images"]
        assert cal["method"] == "minmax" and cal["bias_correction"] and cal["quantizer"].startswith("ai-edge-quantizer ")
        assert "calibration" not in fp32 and "targets" not in fp32


def test_tflite_maps_agree_with_pytorch(manifest):
    """Both .tflite files carry the ONNX files' map outputs, under the same names; the export
    held each file's maps to PyTorch's on the sample photos. int8 rounds the features and
    the classifier's rows to 8 bits: its maps are held to what the ONNX int8 file reaches
    (0.92 on Lite1 in the current export)."""
    for name, variant, t in tflite_records(manifest):
        entry = manifest["models"][name]
        if not entry["cam"]["kind"]:
            assert t.get("maps") is None, name
            continue
        assert t["maps"] == entry["cam"]["outputs"], name
        cam = t["cam"]
        assert cam["images"] == len(manifest["samples"]) and cam["maps"] == cam["images"] * entry["cam"]["classes"]
        assert cam["constant_maps"] == 0, (name, variant)
        assert cam["min_correlation"] >= (0.99 if variant == "fp32" else 0.9), (name, variant, cam)


INSPECT = """
import json, sys
import numpy as np
from ai_edge_litert.interpreter import Interpreter
it = Interpreter(model_path=sys.argv[1])
runner = it.get_signature_runner()
types = {}
for d in it.get_tensor_details():
    types[str(np.dtype(d["dtype"]))] = types.get(str(np.dtype(d["dtype"])), 0) + int(np.prod(d["shape"]))
print(json.dumps({
    "inputs": {k: str(np.dtype(v["dtype"])) for k, v in runner.get_input_details().items()},
    "outputs": {k: str(np.dtype(v["dtype"])) for k, v in runner.get_output_details().items()},
    "ops": sorted({op["op_name"] for op in it._get_ops_details()}),
    "largest_float": max(int(np.prod(d["shape"])) for d in it.get_tensor_details()
                         if np.dtype(d["dtype"]) == np.float32 and len(d["shape"]) > 0),
}))
"""


def test_int8_tflite_is_static_int8_with_float_input_and_outputs(manifest, models_dir):
    """The page feeds and reads the int8 file as the fp32 one (float32 in, float32 logits and
    maps), and inside it computes in integers: every convolution and the classifier take
    int8, and no float copy of a weight as large as the classifier's is left (the maps read
    its int8 rows)."""
    import json

    if not LITERT_PY.is_file():
        pytest.fail(f"{LITERT_PY} not found: run `make tflite`")
    for name, _, t in tflite_records(manifest, ("int8",)):
        out = subprocess.run([str(LITERT_PY), "-c", INSPECT, str(models_dir / t["file"])], check=True, cwd=ROOT,
                             capture_output=True, text=True).stdout
        got = json.loads(out.strip().splitlines()[-1])
        assert got["inputs"] == {t["input"]["name"]: "float32"}, name
        outputs = {t["output"]["name"]: "float32"}
        if t.get("maps"):
            outputs.update({t["maps"]["maps"]: "float32", t["maps"]["classes"]: "int32"})
        assert got["outputs"] == outputs, name
        assert {"QUANTIZE", "DEQUANTIZE", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"} <= set(got["ops"])
        classes = len(manifest["classes"])
        assert got["largest_float"] < classes * 1000, (name, got["largest_float"])
