"""Magnitude pruning (export/prune.py): the same weights as torch.nn.utils.prune, measured
rows that behave, manifest fields that are complete, and a page that shows those figures.

Run: .venv/bin/python -m pytest tests/test_pruning.py
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn
from torch.nn.utils import prune as torch_prune

from export import measure, prune
from lwm.records import Pruning, PruningRow, required_fields

ROOT = Path(__file__).resolve().parents[1]

import shortcodes  # hooks/ is on pytest's pythonpath (pyproject.toml)
import lwm_techniques
from lwm_format import fmt_bytes, fmt_count, fmt_pct

SIZE = 32  # input size of the tiny models

# the TorchScript exporter's deprecation notices, as export/convert.py's quiet_known_warnings
pytestmark = [
    pytest.mark.filterwarnings("ignore:You are using the legacy TorchScript-based ONNX export:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The feature will be removed:DeprecationWarning"),
]


def tiny_model(seed: int = 0) -> nn.Module:
    """Conv, depthwise conv, pointwise conv and a classifier: every kind of layer pruned."""
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False), nn.BatchNorm2d(16), nn.ReLU(),  # dw
        nn.Conv2d(16, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),  # pw
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10),
    )
    for m in model.modules():  # batch-norm statistics that are not the identity
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return model.eval()


def zeros(model: nn.Module) -> list[torch.Tensor]:
    return [m.weight.detach() == 0 for m in prune.prunable(model)]


@pytest.mark.parametrize("sparsity", [0.1, 0.37, 0.5, 0.9, 1.0])
def test_prune_global_zeroes_the_weights_torch_would(sparsity):
    model = tiny_model()
    ours = prune.prune_global(model, sparsity)

    reference = copy.deepcopy(model)
    torch_prune.global_unstructured(
        [(m, "weight") for m in prune.prunable(reference)],
        pruning_method=torch_prune.L1Unstructured, amount=sparsity,
    )
    for m_ours, m_ref, m_orig in zip(prune.prunable(ours), prune.prunable(reference), prune.prunable(model)):
        assert torch.equal(m_ours.weight == 0, m_ref.weight_mask == 0)
        # the weights that are kept are untouched
        assert torch.equal(m_ours.weight, m_orig.weight * m_ref.weight_mask)
    # biases and batch norm are never pruned
    for (name, p), p_orig in zip(ours.named_parameters(), model.parameters()):
        if not name.endswith("weight") or p.dim() == 1:
            assert torch.equal(p, p_orig), name


def test_sparsity_zero_returns_identical_weights():
    model = tiny_model()
    pruned = prune.prune_global(model, 0.0)
    assert pruned is not model
    for (name, a), b in zip(pruned.state_dict().items(), model.state_dict().values()):
        assert torch.equal(a, b), name


def test_pruning_leaves_the_model_it_was_given_alone():
    model = tiny_model()
    before = copy.deepcopy(model.state_dict())
    prune.prune_global(model, 0.9)
    for name, t in model.state_dict().items():
        assert torch.equal(t, before[name]), name


def test_pruned_weights_stay_pruned_at_higher_sparsity():
    ranking = prune.MagnitudeRanking(tiny_model())
    previous = None
    for s in (0.0, 0.05, 0.2, 0.5, 0.51, 0.8, 1.0):
        now = zeros(ranking.prune_global(s))
        n_zero = sum(int(z.sum()) for z in now)
        assert n_zero == round(s * ranking.size), s
        if previous is not None:
            for p, n in zip(previous, now):
                assert not (p & ~n).any(), s  # nothing pruned before comes back
        previous = now


@pytest.mark.parametrize("sparsity", [-0.1, 1.01, 2, float("nan")])
def test_a_sparsity_outside_0_to_1_is_refused(sparsity):
    with pytest.raises(ValueError, match="sparsity"):
        prune.prune_global(tiny_model(), sparsity)


def test_a_model_without_weights_to_prune_is_refused():
    with pytest.raises(ValueError, match="no Conv2d or Linear"):
        prune.MagnitudeRanking(nn.Sequential(nn.ReLU()))


@pytest.fixture(scope="module")
def sweep():
    """A measured sweep of the tiny model: exported, run, compressed."""
    model = tiny_model()
    batch = np.random.default_rng(0).standard_normal((12, 3, SIZE, SIZE)).astype(np.float32)
    with torch.no_grad():
        ref = model(torch.from_numpy(batch)).numpy().astype(np.float64)
    return model, [r.to_json() for r in prune.prune_sweep(model, SIZE, batch, ref, sparsities=(0.0, 0.3, 0.6, 0.9))]


def test_sweep_shrinks_the_compressed_file_but_not_the_macs(sweep):
    model, rows = sweep
    assert [r["sparsity"] for r in rows] == [0.0, 0.3, 0.6, 0.9]
    gz = [r["gzip_bytes"] for r in rows]
    assert gz == sorted(gz, reverse=True) and len(set(gz)) == len(gz), gz
    # a dense runtime multiplies the zeros: the MACs are those of the model, at every sparsity
    assert {r["macs"] for r in rows} == {measure.count_macs(model, SIZE)}
    # the zeros are still stored as 4-byte floats: the raw file does not shrink with them
    raw = [r["bytes"] for r in rows]
    assert max(raw) - min(raw) < 0.01 * max(raw), raw
    nonzero = [r["nonzero_params"] for r in rows]
    assert nonzero == sorted(nonzero, reverse=True) and nonzero[0] <= measure.count_params(model)


def test_sweep_counts_and_agreement(sweep):
    model, rows = sweep
    n = sum(m.weight.numel() for m in prune.prunable(model))
    for r in rows:
        assert r["zero_weights"] == round(r["sparsity"] * n), r["sparsity"]
        assert math.isclose(r["weight_sparsity"], r["zero_weights"] / n)
    dense = rows[0]["validation"]
    assert dense["top1_agreement"] == 1.0 and dense["max_abs_logit_diff"] < 1e-4
    assert rows[-1]["validation"]["max_abs_logit_diff"] > dense["max_abs_logit_diff"]


def test_pruning_block_has_the_manifest_fields(monkeypatch):
    model = tiny_model()
    batch = np.random.default_rng(1).standard_normal((4, 3, SIZE, SIZE)).astype(np.float32)
    with torch.no_grad():
        ref = model(torch.from_numpy(batch)).numpy().astype(np.float64)
    monkeypatch.setattr(prune, "SPARSITIES", (0.0, 0.5))
    block = prune.pruning_block(model, SIZE, batch, ref).to_json()
    check_pruning_block(block, params=measure.count_params(model), macs=measure.count_macs(model, SIZE))
    json.dumps(block)  # as the manifest writes it


def check_pruning_block(block: dict, params: int, macs: int) -> None:
    """What the manifest promises about a ``pruning`` field (export/manifest.py)."""
    for key in required_fields(Pruning):
        assert key in block, key
    assert block["fine_tuned"] is False and block["variant"] == "fp32"
    assert block["params"] == params
    assert block["rows"] and [r["sparsity"] for r in block["rows"]] == sorted(r["sparsity"] for r in block["rows"])
    for r in block["rows"]:
        for key in required_fields(PruningRow):
            assert key in r, key
        assert 0 <= r["sparsity"] <= 1 and r["zero_weights"] <= block["prunable_weights"]
        assert r["macs"] == macs
        assert r["gzip_bytes"] < r["bytes"]
        assert 0 <= r["validation"]["top1_agreement"] <= 1


def test_an_entry_without_the_new_fields_is_exported_again(manifest, tmp_path):
    """The export keeps an entry whose export_key is unchanged, unless it does not read as
    the records say (a field missing, or one they no longer have)."""
    from export.cachekey import reusable

    entry = next(iter(manifest["models"].values())) | {"variants": {}, "export_key": "k"}  # no files to check
    assert reusable(entry, "k", tmp_path)
    assert not reusable(entry, "another key", tmp_path)
    for field in ("pruning", "se_layers", "largest_activation"):
        assert not reusable({k: v for k, v in entry.items() if k != field}, "k", tmp_path), field
    assert not reusable(entry | {"a_field_since_removed": 1}, "k", tmp_path)


def test_exported_manifest_records_pruning_for_pretrained_pruned_models_only(manifest):
    for name, e in manifest["models"].items():
        if e["pretrained"] and name in prune.PRUNED_MODELS:
            check_pruning_block(e["pruning"], params=e["params"], macs=e["macs"])
            assert [r["sparsity"] for r in e["pruning"]["rows"]] == list(prune.SPARSITIES)
            assert e["pruning"]["seconds"] < e["export_seconds"]
        else:
            assert e["pruning"] is None, name


# ---------------------------------------------------------------------------------------
# The page: every figure comes from the manifest
# ---------------------------------------------------------------------------------------
def fake_manifest(with_pruning: bool = True) -> dict:
    rows = [
        {"sparsity": s, "zero_weights": z, "weight_sparsity": z / 1000, "nonzero_params": 1234 - z,
         "macs": 56_789_012, "bytes": 4_321_098, "gzip_bytes": g,
         "validation": {"images": 42, "top1_agreement": a, "top5_overlap": t}}
        for s, z, g, a, t in [
            (0.0, 3, 3_987_654, 1.0, 1.0),
            (0.25, 250, 2_876_543, 0.8571, 0.9),
            (0.75, 750, 1_234_567, 0.0238, 0.05),
        ]
    ]
    entry = {
        "name": "efficientnet_lite0", "display_name": "Tiny-Net", "macs": 56_789_012, "params": 1234,
        "pretrained": True,
        "pruning": {"method": "m", "variant": "fp32", "prunable_weights": 1000, "params": 1234,
                    "fine_tuned": False, "gzip_level": 6, "seconds": 1.0, "rows": rows} if with_pruning else None,
    }
    return {"models": {"efficientnet_lite0": entry}}


def test_pruning_marker_shows_the_manifest_figures(monkeypatch):
    fake = fake_manifest()
    monkeypatch.setattr(shortcodes, "_MANIFEST", fake)
    html = shortcodes.expand("Before\n\n<!-- pruning -->\n\nAfter", fake, "techniques/")
    assert "<!--" not in html and "<svg" in html and "<details" in html and "<table" in html
    assert "Tiny-Net" in html and "one shot" in html and "without fine-tuning" in html
    assert "magnitude pruning" in html
    for r in fake["models"]["efficientnet_lite0"]["pruning"]["rows"]:
        for text in (f'{fmt_pct(r["sparsity"], 0)} ({fmt_count(r["zero_weights"])})',
                     fmt_bytes(r["bytes"]), fmt_bytes(r["gzip_bytes"]),
                     fmt_count(r["nonzero_params"]), fmt_count(r["macs"]),
                     fmt_pct(r["validation"]["top1_agreement"]), fmt_pct(r["validation"]["top5_overlap"])):
            assert text in html, text
    # the sentence under the chart is written from the same rows
    assert f"{fmt_bytes(1_234_567)} against {fmt_bytes(3_987_654)}" in html
    assert f"uncompressed files stay at {fmt_bytes(4_321_098)}" in html
    assert f"MACs stay at {fmt_count(56_789_012)}" in html
    assert "at least 90 %" not in html  # 25 % already changes 1 answer in 7
    assert "Before pruning, 3 of the trained weights are already exactly zero" in html


def test_pruning_marker_without_measurements_says_so():
    fake = fake_manifest(with_pruning=False)
    html = shortcodes.expand("<!-- pruning -->", fake, "techniques/")
    assert html == lwm_techniques.NO_PRUNING_NOTE
    assert "<svg" not in html


def test_pruning_marker_on_the_exported_manifest(manifest, monkeypatch):
    monkeypatch.setattr(shortcodes, "_MANIFEST", manifest)
    html = shortcodes.expand("<!-- pruning -->", manifest, "techniques/")
    pruned = [e for e in manifest["models"].values() if e.get("pruning")]
    if not pruned:
        assert html == lwm_techniques.NO_PRUNING_NOTE
    for e in pruned:
        for r in e["pruning"]["rows"]:
            assert fmt_bytes(r["gzip_bytes"]) in html
            assert fmt_pct(r["validation"]["top1_agreement"]) in html
