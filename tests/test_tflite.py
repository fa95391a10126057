"""The LiteRT (.tflite) copies that `make tflite` adds: recompute what the manifest claims.

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

from export.registry import build_model, get_entry
from export.weights import load_pretrained

ROOT = Path(__file__).resolve().parents[1]
LITERT_PY = ROOT / ".venv-litert" / "bin" / "python"


def tflite_records(manifest):
    pretrained = [k for k, e in manifest["models"].items() if e["pretrained"]]
    assert pretrained
    missing = [k for k in pretrained if "tflite" not in manifest["models"][k]["variants"]["fp32"]]
    if missing:
        pytest.fail(f"no .tflite copy of {', '.join(missing)} in models.json: run `make tflite`")
    return [(k, manifest["models"][k]["variants"]["fp32"]["tflite"]) for k in pretrained]


def test_every_pretrained_model_has_a_tflite_file_as_recorded(manifest, models_dir):
    for name, t in tflite_records(manifest):
        data = (models_dir / t["file"]).read_bytes()
        assert t["file"] == f"{name}.fp32.tflite"
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
    for name, t in tflite_records(manifest):
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
