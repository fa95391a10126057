"""export/scaling.py (the arithmetic the docs pages' scaling controls run in Pyodide) against
the PyTorch models it describes: exact parameter counts and MACs over a grid of width
multipliers and resolutions, and the peak activation memory against the ONNX graph."""

from __future__ import annotations

import pytest
import torch

from export import scaling
from export.measure import count_macs, count_params, graph_stats
from export.registry import build_model

WIDTHS = (0.25, 0.5, 0.75, 1.0, 1.4)
RESOLUTIONS = (96, 128, 160, 192, 224, 300)
ARCHS = tuple(scaling.ARCHITECTURES)


@pytest.fixture(scope="module", params=ARCHS)
def arch(request):
    return request.param


@pytest.mark.parametrize("width", WIDTHS)
def test_params_and_macs_equal_pytorch(arch, width):
    model = build_model(arch, width_mult=width)
    params = count_params(model)
    for resolution in RESOLUTIONS:
        d = scaling.describe(arch, width, resolution)
        assert d["params"] == params, (width, resolution)
        assert d["macs"] == count_macs(model, resolution), (width, resolution)


def test_stages_sum_to_the_totals(arch):
    d = scaling.describe(arch, 0.75, 160)
    assert sum(s["params"] for s in d["stages"]) == d["params"]
    assert sum(s["macs"] for s in d["stages"]) == d["macs"]


@pytest.mark.parametrize("width,resolution", [(0.25, 96), (1.0, 224), (1.4, 300)])
def test_peak_activation_memory_equals_the_onnx_graph(arch, width, resolution, tmp_path):
    # the manifest's definition (export/measure.py's graph_stats) on the exporter's own graph
    from export.convert import export_fp32, quiet_known_warnings

    quiet_known_warnings()
    model = build_model(arch, width_mult=width).eval()
    onnx_model = export_fp32(model, resolution, tmp_path / "m.onnx")
    expected = graph_stats(onnx_model)["peak_activation_bytes"]
    assert scaling.describe(arch, width, resolution)["peak_activation_bytes"] == expected


def test_matches_the_manifest(arch, manifest):
    entry = manifest["models"][arch]
    d = scaling.describe(arch, 1.0, entry["input"]["shape"][-1])
    assert (d["params"], d["macs"]) == (entry["params"], entry["macs"])
    assert d["peak_activation_bytes"] == entry["activation_memory_bytes"]  # the fp32 graph's


def test_json_round_trip_and_unknown_architecture():
    import json

    assert json.loads(scaling.describe_json("mobilenet_v2", 0.5, 128)) == scaling.describe("mobilenet_v2", 0.5, 128)
    with pytest.raises(ValueError, match="unknown architecture"):
        scaling.describe("resnet50")


def test_scaling_imports_nothing_heavy():
    # Pyodide runs this file with the standard library only
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(scaling))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "json"}
