"""export/profile.py: layer kinds, bytes and the profiler's time mapped back to the layer rows.

Run: .venv/bin/python -m pytest tests/test_profile.py -n 0 -q

The small graphs are worked out by hand; the manifest tests hold every model's profile to
adding up: parts to rows, rows to the model, kinds to the kernels' total.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

from export import convert
from export.measure import layer_rows, only_outputs
from export.profile import _module_path, layer_parts, profile_variant, se_paths, source_nodes
from export.registry import build_model
from lwm.constants import LAYER_KINDS


@pytest.mark.parametrize("name, path", [
    ("/features/features.1/features.1.0/block/block.1/fc1/Conv", "features.1.0.block.1.fc1"),
    ("/features/features.3/conv/conv.1/conv.1.0/Conv", "features.3.conv.1.0"),
    ("/layer1/layer1.0/conv1/Conv", "layer1.0.conv1"),
    ("/_blocks.0/act/Clip", "_blocks.0.act"),
    ("/Flatten", ""),
])
def test_module_path_is_read_off_the_exporters_node_names(name, path):
    assert _module_path(name) == path


def _graph() -> onnx.ModelProto:
    """x [1, 4, 8, 8] -> 3×3 depthwise (row "a") -> Relu -> 1×1 to 8 channels (row "b") -> Add
    with itself -> y. Node names carry the module paths as the exporter writes them."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal(s).astype(np.float32), n) for n, s in
             [("dw", (4, 1, 3, 3)), ("dwb", (4,)), ("pw", (8, 4, 1, 1))]]
    nodes = [
        helper.make_node("Conv", ["x", "dw", "dwb"], ["t1"], "/a/Conv", group=4, pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["t1"], ["t2"], "/a/act/Relu"),
        helper.make_node("Conv", ["t2", "pw"], ["t3"], "/b/Conv"),
        helper.make_node("Add", ["t3", "t3"], ["y"], "/b/Add"),
    ]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 8, 8])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_layer_parts_count_macs_and_elements_by_hand():
    parts = layer_parts(_graph(), [], ["a", "b"])
    # depthwise: 4 × 8 × 8 outputs, 9 MACs each; 36 weights + 4 biases; reads x, writes t1
    assert parts[0]["depthwise"] == {"macs": 4 * 64 * 9, "weights": 40, "reads": 256, "writes": 256}
    assert parts[0]["elementwise"] == {"macs": 0, "weights": 0, "reads": 256, "writes": 256}
    # 1×1 from 4 to 8 channels widens: an expansion; 8 × 64 outputs, 4 MACs each
    assert parts[1]["pointwise_expand"] == {"macs": 8 * 64 * 4, "weights": 32, "reads": 256, "writes": 512}
    assert parts[1]["elementwise"] == {"macs": 0, "weights": 0, "reads": 1024, "writes": 512}


def test_a_node_inside_a_squeeze_excitation_module_is_squeeze_excite():
    info = source_nodes(_graph(), ["b"], ["a", "b"])
    assert {n: v["kind"] for n, v in info.items()} == {
        "/a/Conv": "depthwise", "/a/act/Relu": "elementwise", "/b/Conv": "squeeze_excite", "/b/Add": "squeeze_excite"}


class _Block(nn.Module):
    """An inverted residual: 1×1 expand, 3×3 depthwise, 1×1 project, residual addition."""

    def __init__(self, c: int = 16, t: int = 4):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(c, c * t, 1, bias=False), nn.BatchNorm2d(c * t), nn.ReLU6(),
            nn.Conv2d(c * t, c * t, 3, padding=1, groups=c * t, bias=False), nn.BatchNorm2d(c * t), nn.ReLU6(),
            nn.Conv2d(c * t, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return x + self.conv(x)


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU()), _Block(), _Block())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, list[str], int]:
    torch.manual_seed(0)
    model = _Net().eval()
    path = tmp_path_factory.mktemp("profile") / "tiny.onnx"
    convert.export_fp32(model, 32, path)
    rows = layer_rows(model, 32)
    return path, [r["path"] for r in rows], sum(r["macs"] for r in rows)


def test_the_profile_of_a_real_graph_adds_up_and_says_what_it_fused(tiny):
    path, rows, macs = tiny
    parts = layer_parts(only_outputs(onnx.load(str(path)), ("logits",)), [], rows)
    assert sum(p["macs"] for row in parts for p in row.values()) == macs
    prof = profile_variant(path, [], rows, (1, 3, 32, 32))
    assert set(prof["kinds"]) == set(LAYER_KINDS)
    assert math.isclose(sum(prof["kinds"].values()), prof["kernels_us"], abs_tol=0.1 * len(LAYER_KINDS))
    assert math.isclose(sum(sum(r.values()) for r in prof["layers"]), prof["kernels_us"], abs_tol=0.1 * 20)
    assert prof["kernels_us"] + prof["unattributed_us"] <= prof["total_us"] + 0.2
    # every convolution ran: each kind of the blocks has time, in the blocks' rows
    for kind in ("depthwise", "pointwise_expand", "pointwise_project", "conv", "pool_head"):
        assert prof["kinds"][kind] > 0, kind
    assert all(prof["layers"][rows.index(f"features.{i}")].get("depthwise", 0) > 0 for i in (1, 2))
    # onnxruntime fuses each residual addition and the ReLU6s (Clip) into the convolutions
    assert prof["fused"].get("Add→Conv") == 2
    assert prof["fused"].get("Clip→Conv") == 4


# ---------------------------------------------------------------------------------------
# The manifest
# ---------------------------------------------------------------------------------------
def test_every_row_is_split_into_parts_that_hold_its_macs(manifest):
    for name, e in manifest["models"].items():
        for row in e["layers"]:
            kinds = [p["kind"] for p in row["parts"]]
            assert kinds == [k for k in LAYER_KINDS if k in kinds], (name, row["path"])
            assert sum(p["macs"] for p in row["parts"]) == row["macs"], (name, row["path"])
        assert sum(p["macs"] for r in e["layers"] for p in r["parts"]) == e["macs"], name


def test_parts_are_recomputed_from_the_fp32_file(manifest, models_dir):
    for name, e in manifest["models"].items():
        with torch.device("meta"):
            model = build_model(name)
        graph = only_outputs(onnx.load(str(models_dir / e["variants"]["fp32"]["file"])), ("logits",))
        parts = layer_parts(graph, se_paths(model), [r["path"] for r in e["layers"]])
        assert [{p["kind"]: {k: p[k] for k in ("macs", "weights", "reads", "writes")} for p in r["parts"]}
                for r in e["layers"]] == parts, name


def test_models_with_squeeze_excitation_have_its_part(manifest):
    for name, e in manifest["models"].items():
        has_se = any(p["kind"] == "squeeze_excite" for r in e["layers"] for p in r["parts"])
        assert has_se == (e["se_layers"] > 0), name


def test_the_fp32_profile_adds_up(manifest):
    for name, e in manifest["models"].items():
        prof = e["variants"]["fp32"]["profile"]
        assert list(prof["kinds"]) == list(LAYER_KINDS), name
        assert len(prof["layers"]) == len(e["layers"]), name
        # each figure is rounded to 0.1 µs: the sums may differ by that per term
        assert math.isclose(sum(prof["kinds"].values()), prof["kernels_us"], abs_tol=0.1 * len(LAYER_KINDS)), name
        for kind in LAYER_KINDS:
            by_row = sum(r.get(kind, 0.0) for r in prof["layers"])
            assert math.isclose(by_row, prof["kinds"][kind], abs_tol=0.1 * len(e["layers"])), (name, kind)
        assert 0 <= prof["unattributed_us"] and prof["kernels_us"] + prof["unattributed_us"] <= prof["total_us"] + 0.2
        shares = [v / prof["kernels_us"] for v in prof["kinds"].values()]
        assert math.isclose(sum(shares), 1.0), name
        # a kind with MACs has time: every convolution is mapped to a row
        macs = {p["kind"] for r in e["layers"] for p in r["parts"] if p["macs"]}
        assert all(prof["kinds"][k] > 0 for k in macs), (name, macs)
        assert prof["ceilings"]["compute_gmacs"] > 0 and prof["ceilings"]["bandwidth_gbs"] > 0
