"""lwm/scaling.py (the arithmetic the docs pages' scaling controls run in Pyodide) against
the PyTorch models it describes: exact parameter counts and MACs over a grid of width
multipliers, depth multipliers and resolutions, and the peak activation memory against the
ONNX graph."""

from __future__ import annotations

import pytest
import torch

from export.measure import count_macs, count_params, graph_stats
from export.registry import build_model
from lwm import scaling

WIDTHS = (0.25, 0.5, 0.75, 1.0, 1.4)
RESOLUTIONS = (96, 128, 160, 192, 224, 300)
MOBILENETS = ("mobilenet_v1", "mobilenet_v2")
EFFICIENTNETS = ("efficientnet_b0", "efficientnet_lite0")
ARCHS = tuple(scaling.ARCHITECTURES)

# EfficientNet's grid: width x depth, each at a few resolutions, then the published B1-B7 and
# Equation 3 at a few phi (at their own resolutions, up to 600 px)
EFF_WIDTHS = (0.25, 1.0, 1.4, 2.0)
EFF_DEPTHS = (0.5, 1.0, 1.8, 3.1)
EFF_RESOLUTIONS = (96, 160, 224, 300)
PHIS = (0.5, 1, 2.5, 4, 7)


def test_the_architectures_are_the_ones_tested():
    assert set(ARCHS) == set(MOBILENETS) | set(EFFICIENTNETS)


def _pytorch_counts(arch, resolution, device="cpu", **multipliers):
    """Parameters and MACs of the registered builder's model, scaled by ``multipliers``."""
    with torch.device(device):
        model = build_model(arch, **multipliers)
    return count_params(model), count_macs(model, resolution)


# Built on PyTorch's meta device: the same modules, with shapes and no data; parameters and
# MACs depend on shapes only, so no forward pass needs real arithmetic. The manifest and
# peak-memory tests below run real models.
@pytest.mark.parametrize("arch", MOBILENETS)
@pytest.mark.parametrize("width", WIDTHS)
def test_mobilenet_params_and_macs_equal_pytorch(arch, width):
    with torch.device("meta"):
        model = build_model(arch, width_mult=width)
    params = count_params(model)
    for resolution in RESOLUTIONS:
        d = scaling.describe(arch, width, resolution)
        assert d["params"] == params, (width, resolution)
        assert d["macs"] == count_macs(model, resolution), (width, resolution)


# EfficientNet too, so B7's 37 G-MAC forward pass costs nothing.
@pytest.mark.parametrize("arch", EFFICIENTNETS)
@pytest.mark.parametrize("width", EFF_WIDTHS)
@pytest.mark.parametrize("depth", EFF_DEPTHS)
def test_efficientnet_params_and_macs_equal_pytorch(arch, width, depth):
    with torch.device("meta"):
        model = build_model(arch, width_mult=width, depth_mult=depth)
    params = count_params(model)
    for resolution in EFF_RESOLUTIONS:
        d = scaling.describe(arch, width, resolution, depth)
        assert d["params"] == params, (width, depth, resolution)
        assert d["macs"] == count_macs(model, resolution), (width, depth, resolution)


@pytest.mark.parametrize("name", list(scaling.EFFICIENTNET_B))
def test_published_b_models_equal_pytorch(name):
    width, depth, resolution, _ = scaling.EFFICIENTNET_B[name]
    d = scaling.describe("efficientnet_b0", width, resolution, depth)
    params, macs = _pytorch_counts("efficientnet_b0", resolution, "meta", width_mult=width, depth_mult=depth)
    assert (d["params"], d["macs"]) == (params, macs)


@pytest.mark.parametrize("phi", PHIS)
def test_equation_3_settings_equal_pytorch(phi):
    c = scaling.compound(phi)
    d = scaling.describe("efficientnet_b0", c["width_mult"], c["resolution"], c["depth_mult"])
    params, macs = _pytorch_counts(
        "efficientnet_b0", c["resolution"], "meta", width_mult=c["width_mult"], depth_mult=c["depth_mult"])
    assert (d["params"], d["macs"]) == (params, macs)


@pytest.mark.parametrize("arch", ARCHS)
def test_stages_sum_to_the_totals(arch):
    d = scaling.describe(arch, 0.75, 160, 1.0 if arch in MOBILENETS else 1.4)
    assert sum(s["params"] for s in d["stages"]) == d["params"]
    assert sum(s["macs"] for s in d["stages"]) == d["macs"]


def test_efficientnet_stages_follow_table_1_and_the_depth():
    # one stage per row of Table 1 between the stem and the 1x1 conv, repeats rounded up
    names = [s["name"] for s in scaling.describe("efficientnet_b0", 1.0, 224, 1.4)["stages"]]
    assert names == ["stem", "MBConv1 k3 ×2 (stage 2)", "MBConv6 k3 ×3 (stage 3)", "MBConv6 k5 ×3 (stage 4)",
                     "MBConv6 k3 ×5 (stage 5)", "MBConv6 k5 ×5 (stage 6)", "MBConv6 k5 ×6 (stage 7)",
                     "MBConv6 k3 ×2 (stage 8)", "1x1 conv", "head"]


# Each case exports a graph, so the cases are few and small. The resolution enters the rule
# only through each stride-2 conv's rounding, ceil(h / 2): 44 px (22, 11, 6, 3, 2) rounds up at
# the same layers as 300 px (150, 75, 38, 19, 10) and 32 px nowhere, as 96 to 224 px, with up to
# 45 times fewer pixels to trace. (The peak falls on the early, large maps, so a rounding slip
# shows in the MACs grids above, not here; what this test catches, a tensor freed too early or
# too late, or the peak taken before a layer's output joins, fails these cases exactly as it
# failed the 300 px ones.) Each architecture gets its narrowest and widest width, EfficientNet
# a depth below, at and above 1.0. MobileNet V1 and V2 at width 1.0 and 224 px, like the
# EfficientNets at their published settings, are exported models: test_matches_the_manifest
# checks them against graph_stats of the exported graph.
PEAK_CASES = [
    ("mobilenet_v1", 0.25, 1.0, 96), ("mobilenet_v1", 1.4, 1.0, 44),
    ("mobilenet_v2", 0.25, 1.0, 96), ("mobilenet_v2", 1.4, 1.0, 44),
    ("efficientnet_b0", 0.25, 0.5, 96), ("efficientnet_b0", 1.2, 1.4, 44), ("efficientnet_b0", 2.0, 1.0, 32),
    ("efficientnet_lite0", 0.5, 1.8, 128), ("efficientnet_lite0", 1.4, 1.0, 44),
]


@pytest.mark.parametrize("arch,width,depth,resolution", PEAK_CASES)
def test_peak_activation_memory_equals_the_onnx_graph(arch, width, depth, resolution, tmp_path):
    # the manifest's definition (export/measure.py's graph_stats) on the exporter's own graph
    from export.convert import export_fp32, quiet_known_warnings

    quiet_known_warnings()
    kwargs = {"width_mult": width} if arch in MOBILENETS else {"width_mult": width, "depth_mult": depth}
    model = build_model(arch, **kwargs).eval()
    onnx_model = export_fp32(model, resolution, tmp_path / "m.onnx")
    expected = graph_stats(onnx_model)["peak_activation_bytes"]
    assert scaling.describe(arch, width, resolution, depth)["peak_activation_bytes"] == expected


# every exported model this module describes: (manifest key, architecture, width, depth)
MANIFEST_CASES = [
    ("mobilenet_v1", "mobilenet_v1", 1.0, 1.0),
    ("mobilenet_v2", "mobilenet_v2", 1.0, 1.0),
    ("efficientnet_b0", "efficientnet_b0", *scaling.EFFICIENTNET_B["B0"][:2]),
    *[(f"efficientnet_{k}", "efficientnet_lite0", *v[:2]) for k, v in scaling.EFFICIENTNET_LITE.items()],
]


@pytest.mark.parametrize("key,arch,width,depth", MANIFEST_CASES)
def test_matches_the_manifest(key, arch, width, depth, manifest):
    entry = manifest["models"][key]
    d = scaling.describe(arch, width, entry["input"]["shape"][-1], depth)
    assert (d["params"], d["macs"]) == (entry["params"], entry["macs"])
    assert d["peak_activation_bytes"] == entry["activation_memory_bytes"]  # the fp32 graph's


def test_lite_input_sizes_are_the_tables():
    # the resolution column of the Lite table is the size the exporter feeds each model
    from export.registry import get_entry

    for key, (_, _, resolution, _) in scaling.EFFICIENTNET_LITE.items():
        assert get_entry(f"efficientnet_{key}").weights.preprocess.input_size == resolution


def test_json_round_trip_and_refusals():
    import json

    assert json.loads(scaling.describe_json("mobilenet_v2", 0.5, 128)) == scaling.describe("mobilenet_v2", 0.5, 128)
    assert json.loads(scaling.describe_json("efficientnet_b0", 1.2, 300, 1.4)) == scaling.describe(
        "efficientnet_b0", 1.2, 300, 1.4)
    with pytest.raises(ValueError, match="unknown architecture"):
        scaling.describe("resnet50")
    with pytest.raises(ValueError, match="no depth multiplier"):
        scaling.describe("mobilenet_v2", 1.0, 224, 2.0)


def test_compound_is_equation_3_rounded_to_the_controls():
    controls = scaling.CONTROLS["efficientnet_b0"]
    lo, hi, step = controls["phi"]
    phi = lo
    while phi <= hi:
        c = scaling.compound(phi)
        assert c["exact"]["depth_mult"] == pytest.approx(1.2**phi)
        assert c["exact"]["width_mult"] == pytest.approx(1.1**phi)
        assert c["exact"]["resolution"] == pytest.approx(224 * 1.15**phi)
        for key in ("width_mult", "depth_mult", "resolution"):
            low, high, s = controls[key]
            assert low <= c[key] <= high, (phi, key)  # the control can show it
            assert abs(c[key] - c["exact"][key]) <= s / 2 + 1e-9, (phi, key)  # nearest step
            assert round((c[key] - low) / s, 6).is_integer(), (phi, key)  # on the control's grid
        phi += step


def test_every_published_point_is_reachable_and_sourced():
    # the B models and every paper point sit inside the controls' ranges, on their steps
    for arch, series in scaling.PUBLISHED.items():
        controls = scaling.CONTROLS[arch]
        for s in series:
            assert s["source"] and s["url"].startswith("https://")
            for p in s["points"]:
                for key in ("width_mult", "depth_mult", "resolution"):
                    if key not in controls:
                        assert p.get(key, 1.0) == 1.0
                        continue
                    low, high, step = controls[key]
                    assert low <= p[key] <= high, (arch, p)
                    assert round((p[key] - low) / step, 6).is_integer(), (arch, p)


def test_scaling_imports_nothing_heavy():
    # Pyodide runs this file with the standard library only
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(scaling))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "json", "math"}
