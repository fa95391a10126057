"""Every registered architecture: shape, finiteness, exact parameter counts, registry rules.

Parametrized over the registry, so a new architecture is tested without a new test.
"""

import pytest
import torch

from export.measure import count_params
from export.registry import build_model, get_entry, list_models, register_model

# Parameter counts of the reference implementations (torchvision; the PyPI Lite files;
# MobileNetV1 at width 1.0 with 1000 classes). Ours must equal them exactly.
REFERENCE_PARAMS = {
    "mobilenet_v1": 4_231_976,
    "mobilenet_v2": 3_504_872,
    "mobilenet_v3_small": 2_542_856,
    "mobilenet_v3_large": 5_483_032,
    "squeezenet1_0": 1_248_424,
    "squeezenet1_1": 1_235_496,
    "efficientnet_b0": 5_288_548,
    "efficientnet_lite0": 4_652_008,
    "efficientnet_lite1": 5_416_680,
    "efficientnet_lite2": 6_092_072,
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
}


def test_registry_holds_exactly_the_models_we_reference():
    assert sorted(list_models()) == sorted(REFERENCE_PARAMS)


@pytest.mark.parametrize("name", list(REFERENCE_PARAMS))
def test_parameter_count_matches_reference(name):
    assert count_params(build_model(name)) == REFERENCE_PARAMS[name]


@pytest.mark.parametrize("name", list(REFERENCE_PARAMS))
def test_forward_shape_and_finite(name):
    torch.manual_seed(0)
    model = build_model(name).eval()
    size = get_entry(name).weights.preprocess.input_size
    with torch.no_grad():
        out = model(torch.randn(2, 3, size, size))
    assert out.shape == (2, 1000)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", list(REFERENCE_PARAMS))
def test_weights_metadata_is_complete(name):
    meta = get_entry(name).weights
    assert meta.source in ("url", "pypi", "none")
    assert meta.paper.url.startswith("https://")
    assert meta.license and meta.published.citation.text
    if meta.source == "url":
        assert meta.url and meta.filename and (meta.sha256 or meta.sha256_prefix)
        assert meta.sha256_prefix is None or meta.sha256_prefix in meta.filename
    if meta.source == "pypi":
        assert meta.pypi_package and meta.pypi_module and meta.pypi_path and len(meta.sha256) == 64
    if meta.source == "none":
        assert meta.notes  # says why there are no weights


@pytest.mark.parametrize("name", list_models())
def test_docs_page_exists_and_holds_the_models_card(name):
    """The registry names the page that teaches each model (its family module's name)."""
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / f"{get_entry(name).docs_page.rstrip('/')}.md"
    assert page.is_file(), page
    assert f"<!-- model-card: {name} -->" in page.read_text(), page


def test_register_model_refuses_duplicates():
    meta = get_entry("squeezenet1_1").weights
    with pytest.raises(ValueError, match="already registered"):

        @register_model(family="squeezenet", weights=meta, title="SqueezeNet 1.1")
        def squeezenet1_1():  # noqa: F811 - the point of the test
            raise AssertionError("never built")


def test_unknown_model_lists_valid_names():
    with pytest.raises(KeyError, match="valid names: .*mobilenet_v2"):
        get_entry("mobilenet_v9")
