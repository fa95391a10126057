"""Class activation maps (export/cam.py, site_app/cammap.js): the maps the exported files
output are the ones PyTorch computes, add up to the scores as the definition says, cost the
classifier nothing it measures, and the browser's upsampling is PyTorch's.

Run: .venv/bin/python -m pytest tests/test_cam.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from export import cam, measure
from export.cam import CAM_CLASSES_OUTPUT, CAM_OUTPUT
from export.pipeline import ExportOptions, load_model, model_inputs, resolve_weights
from export.registry import get_entry
from nodejs import run_module

ROOT = Path(__file__).resolve().parents[1]
CAMMAP_JS = ROOT / "site_app" / "cammap.js"


def with_map(manifest):
    return [k for k, e in manifest["models"].items() if e["cam"]["kind"]]


def run(path: Path, x: np.ndarray) -> dict:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, {sess.get_inputs()[0].name: x})))


def sample_batch(manifest, key: str, models_dir: Path) -> np.ndarray:
    pre = get_entry(key).weights.preprocess
    data = model_inputs(pre, models_dir / "samples")
    return np.concatenate([views[:1] for views in data.samples.values()])


@pytest.fixture(scope="module")
def fp32_runs(manifest, models_dir) -> dict[str, tuple[np.ndarray, dict]]:
    """Each mapped model's fp32 file run once on the sample photos, (inputs, outputs) by key:
    the tests below read the same outputs, and a session per file per test (ResNet-50 is
    100 MB) was most of their time."""
    runs = {}
    for key in with_map(manifest):
        x = sample_batch(manifest, key, models_dir)
        runs[key] = x, run(models_dir / manifest["models"][key]["variants"]["fp32"]["file"], x)
    return runs


def test_which_heads_have_a_map(manifest):
    kinds = {k: e["cam"]["kind"] for k, e in manifest["models"].items()}
    # pooling + one linear layer: an exact map; SqueezeNet's pooled channels are the scores
    for key in ("mobilenet_v1", "mobilenet_v2", "efficientnet_b0", "efficientnet_lite0", "resnet18", "resnet50"):
        assert kinds[key] == "linear", key
    for key in ("squeezenet1_0", "squeezenet1_1"):
        assert kinds[key] == "channels", key
    # MobileNetV3's two-layer head: no map, and the manifest says why
    for key in ("mobilenet_v3_small", "mobilenet_v3_large"):
        assert kinds[key] is None and "HardSwish" in manifest["models"][key]["cam"]["reason"], key


def test_every_file_of_a_model_with_a_map_has_its_outputs(manifest, models_dir):
    for key in with_map(manifest):
        entry = manifest["models"][key]
        k, h, w = entry["cam"]["features"]
        for v in entry["variants"].values():
            for f in [v, v.get("optimized")]:
                if not f:
                    continue
                outs = {o.name: o for o in onnx.load(str(models_dir / f["file"])).graph.output}
                assert set(outs) == {entry["output"]["name"], CAM_OUTPUT, CAM_CLASSES_OUTPUT}, f["file"]
                dims = [d.dim_value for d in outs[CAM_OUTPUT].type.tensor_type.shape.dim]
                assert dims[1:] == [cam.CAM_TOP, h, w], f["file"]


def test_maps_add_up_to_the_scores(manifest, models_dir, fp32_runs):
    """logit_c = mean of map_c + b_c for pooling + linear; = mean of map_c for SqueezeNet.
    This holds only if the maps are the features weighted by the right rows."""
    for key in with_map(manifest):
        entry = manifest["models"][key]
        path = models_dir / entry["variants"]["fp32"]["file"]
        _, out = fp32_runs[key]
        logits, maps, classes = out[entry["output"]["name"]], out[CAM_OUTPUT], out[CAM_CLASSES_OUTPUT]
        assert (classes == np.argsort(-logits, axis=1)[:, : cam.CAM_TOP]).all(), key
        picked = np.take_along_axis(logits, classes, axis=1)
        model = onnx.load(str(path))
        if entry["cam"]["kind"] == "linear":
            gemm = next(n for n in model.graph.node if n.op_type == "Gemm")
            bias = onnx.numpy_helper.to_array(next(i for i in model.graph.initializer if i.name == gemm.input[2]))
            picked = picked - bias[classes]
        scale = np.abs(picked).max()
        np.testing.assert_allclose(maps.mean(axis=(2, 3)), picked, atol=1e-4 * scale + 1e-6, err_msg=key)


def test_maps_match_pytorch_for_every_model(manifest, models_dir, fp32_runs):
    """The fp32 file's maps against PyTorch's (export/cam.py's torch_cam) on the sample photos:
    correlation >= 0.99 on the upsampled grid (it is 1.0 up to rounding)."""
    opts = ExportOptions(out_dir=models_dir, allow_download=False, allow_untrained=True)
    for key in with_map(manifest):
        entry = manifest["models"][key]
        x, out = fp32_runs[key]
        model = load_model(key, resolve_weights(key, opts), opts)
        size = entry["preprocess"]["input_size"]
        ours = cam.upsample(out[CAM_OUTPUT], size)
        ref = cam.upsample(cam.torch_cam(model, x, out[CAM_CLASSES_OUTPUT]), size)
        corr = [cam.correlation(ours[i, j], ref[i, j]) for i in range(len(x)) for j in range(cam.CAM_TOP)]
        assert min(corr) >= 0.99, (key, min(corr))
        # and what the export recorded is what we find
        assert entry["variants"]["fp32"]["cam"]["min_correlation"] == pytest.approx(min(corr), abs=1e-5), key


def test_the_pretrained_files_maps_agree_with_pytorch(manifest):
    """The export's own parity record: fp32 and fp16 maps of the classifiers agree."""
    keys = [k for k, e in manifest["models"].items() if e["pretrained"] and e["cam"]["kind"]]
    assert keys, "no pretrained model with a map in models.json: no record to check"
    for key in keys:
        for v in ("fp32", "fp16"):
            rec = manifest["models"][key]["variants"][v]["cam"]
            assert rec["constant_maps"] == 0 and rec["min_correlation"] >= 0.99, (key, v, rec)


def test_the_maps_add_no_weights_and_leave_the_classifiers_figures_alone(manifest, models_dir):
    for key in with_map(manifest):
        entry = manifest["models"][key]
        for name, extra in entry["cam"]["extra_bytes"].items():
            # a few nodes and constants: no copy of the classifier's weights (>= 1000 values)
            assert 0 < extra < 2000, (key, name, extra)
        # depth and peak memory are the classifier's: the maps' branch is not counted
        proto = onnx.load(str(models_dir / entry["variants"]["fp32"]["file"]))
        whole = measure.graph_stats(proto)
        alone = measure.graph_stats(proto, (entry["output"]["name"],))
        assert (entry["depth"], entry["activation_memory_bytes"]) == (alone["depth"], alone["peak_activation_bytes"])
        if entry["cam"]["kind"] == "linear":
            assert whole["depth"] == alone["depth"] + 1, key  # the maps' MatMul after the features


def test_only_outputs_rejects_an_unknown_output(manifest, models_dir):
    proto = onnx.load(str(models_dir / manifest["models"]["efficientnet_lite0"]["variants"]["fp32"]["file"]))
    with pytest.raises(ValueError, match="no output"):
        measure.only_outputs(proto, ("scores",))


def test_a_head_with_two_linear_layers_has_no_map(manifest, models_dir):
    entry = manifest["models"]["mobilenet_v3_small"]
    proto = onnx.load(str(models_dir / entry["variants"]["fp32"]["file"]))
    with pytest.raises(cam.NoMapError, match="HardSwish"):
        cam.add_cam(proto)


# ---------------------------------------------------------------------------------------
# site_app/cammap.js, in Node.js
# ---------------------------------------------------------------------------------------
def run_js(body: str):
    return run_module(CAMMAP_JS, "m", body)


@pytest.mark.parametrize("shape", [(7, 7, 224), (8, 8, 240), (9, 9, 260), (13, 13, 224), (1, 1, 5)])
def test_browser_upsampling_is_pytorchs(shape):
    h, w, size = shape
    low = np.random.default_rng(h * 100 + size).standard_normal((h, w)).astype(np.float32)
    got = run_js(f"Array.from(m.upsample(Float32Array.from({json.dumps(low.ravel().tolist())}), {h}, {w}, {size}, {size}))")
    np.testing.assert_allclose(np.array(got).reshape(size, size), cam.upsample(low, size), atol=1e-5)


@pytest.mark.parametrize(
    "peak, region",
    [((0, 0), "upper left"), ((0, 15), "upper centre"), ((29, 29), "lower right"), ((15, 15), "centre"),
     ((15, 2), "middle left"), ((25, 12), "lower centre")],
)
def test_the_text_alternative_names_the_peak(peak, region):
    size = 30
    y, x = np.mgrid[0:size, 0:size]
    grid = np.exp(-((y - peak[0]) ** 2 + (x - peak[1]) ** 2) / 8.0)
    got = run_js(f"m.describe(m.normalize(Float32Array.from({json.dumps(grid.ravel().tolist())})), {size}, {size})")
    assert got["region"] == region
    assert got["peak"] == {"x": (peak[1] + 0.5) / size, "y": (peak[0] + 0.5) / size}
    norm = (grid - grid.min()) / (grid.max() - grid.min())
    # float32 in the browser: a pixel on the boundary may fall either side
    assert got["strongShare"] == pytest.approx((norm >= 0.5).mean(), abs=2 / size**2)
