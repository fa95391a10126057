"""Preprocessing: the arithmetic the browser must reproduce, checked on simple cases and
against a slow, loop-by-loop reference of the same definition."""

import math
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from export.preprocess import (
    _kernel,
    _preprocess64,
    preprocess,
    resample_weights,
    resize,
    resize_plan,
    to_rgb,
)
from export.registry import get_entry, list_models
from export.weights import HALF_MEAN, HALF_STD, Preprocess

CROP = Preprocess(input_size=224, resize_size=256, crop_size=224)
PLAIN = Preprocess(224, 224, 224, resize_mode="plain", mean=HALF_MEAN, std=HALF_STD)
# only the order of float64 additions may differ from the reference (values are at most ~3)
TOLERANCE = 1e-9


@pytest.mark.parametrize("interp", ["bilinear", "bicubic"])
@pytest.mark.parametrize("n_in, n_out", [(10, 3), (3, 10), (7, 7), (451, 224)])
def test_resample_rows_sum_to_one(interp, n_in, n_out):
    w = resample_weights(n_in, n_out, interp)
    assert np.allclose(w.sum(axis=1), 1.0)


def test_same_size_resize_is_identity():
    img = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    assert np.allclose(resize(img, 5, 7, "bilinear"), img)


def test_bilinear_downscale_is_close_to_pillow():
    img = np.random.default_rng(1).integers(0, 256, (300, 451, 3), dtype=np.uint8)
    ours = resize(img, 224, 336, "bilinear")
    pil = np.asarray(Image.fromarray(img).resize((336, 224), Image.BILINEAR), dtype=np.float64)
    # Pillow rounds to uint8 and uses fixed-point weights; the filters are otherwise the same
    assert np.abs(ours - pil).max() <= 1.0


def test_shorter_side_plan_and_centre_crop():
    assert resize_plan(300, 451, CROP) == (256, 384, 16, 80)
    assert resize_plan(451, 300, CROP) == (384, 256, 80, 16)
    assert resize_plan(300, 451, PLAIN) == (224, 224, 0, 0)


def test_output_tensor_and_normalisation():
    white = np.full((40, 60, 3), 255, dtype=np.uint8)
    x = preprocess(white, PLAIN)
    assert x.shape == (1, 3, 224, 224) and x.dtype == np.float32
    assert np.allclose(x, 1.0)  # (1 - 0.5) / 0.5
    x = preprocess(white, CROP)
    assert np.allclose(x[0, :, 0, 0], (1.0 - np.array(CROP.mean)) / np.array(CROP.std), atol=1e-6)


def test_grayscale_is_expanded_and_alpha_flattened_onto_white():
    gray = np.full((4, 4), 10, dtype=np.uint8)
    assert to_rgb(gray).shape == (4, 4, 3)
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)  # fully transparent black
    assert (to_rgb(rgba) == 255).all()
    with pytest.raises(ValueError, match="8-bit"):
        to_rgb(np.zeros((2, 2, 3), dtype=np.uint16))


# --- the reference: one output pixel at a time, the full resize, then the crop ---


def reference_resample_weights(in_size, out_size, interpolation):
    """The definition as first written, one output pixel per loop: slow, plainly right."""
    support, kernel = _kernel(interpolation)
    scale = in_size / out_size
    filter_scale = max(scale, 1.0)  # widen the kernel when shrinking (antialias)
    radius = support * filter_scale
    weights = np.zeros((out_size, in_size), dtype=np.float64)
    for i in range(out_size):
        centre = (i + 0.5) * scale
        lo = max(int(math.floor(centre - radius)), 0)
        hi = min(int(math.ceil(centre + radius)), in_size)
        taps = np.arange(lo, hi)
        w = kernel((taps + 0.5 - centre) / filter_scale)
        total = w.sum()
        weights[i, lo:hi] = w / total if total != 0 else 0.0
    return weights


def reference_preprocess64(image, p):
    rgb = to_rgb(image)
    rh, rw, top, left = resize_plan(rgb.shape[0], rgb.shape[1], p)
    x = rgb.astype(np.float64)
    x = np.einsum("oh,hwc->owc", reference_resample_weights(rgb.shape[0], rh, p.interpolation), x)
    x = np.einsum("pw,owc->opc", reference_resample_weights(rgb.shape[1], rw, p.interpolation), x)
    s = p.input_size if p.resize_mode == "plain" else p.crop_size
    x = x[top : top + s, left : left + s]
    x = (x / 255.0 - np.asarray(p.mean)) / np.asarray(p.std)
    return x.transpose(2, 0, 1)[None]


def assert_matches_reference(image, p):
    ours = _preprocess64(image, p)
    ref = reference_preprocess64(image, p)
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() <= TOLERANCE
    # the public result is that tensor, rounded to float32 once
    assert np.array_equal(preprocess(image, p), ours.astype(np.float32))


REGISTRY_CONFIGS = sorted({get_entry(name).weights.preprocess for name in list_models()}, key=repr)
SMALL_CROP = Preprocess(input_size=8, resize_size=10, crop_size=8, interpolation="bicubic")
SMALL_PLAIN = Preprocess(9, 9, 9, resize_mode="plain", mean=HALF_MEAN, std=HALF_STD)


@pytest.mark.parametrize("interp", ["bilinear", "bicubic"])
def test_resample_weights_match_reference(interp):
    rng = np.random.default_rng(2)
    sizes = [(1, 1), (1, 7), (7, 1), (2, 256), (256, 2), (5, 5), (451, 224), (224, 451), (1411, 260)]
    sizes += [tuple(int(n) for n in rng.integers(1, 700, 2)) for _ in range(20)]
    for n_in, n_out in sizes:
        ours = resample_weights(n_in, n_out, interp)
        ref = reference_resample_weights(n_in, n_out, interp)
        assert np.abs(ours - ref).max() <= 1e-15, (n_in, n_out)  # only the sum's order differs


def test_resample_weights_are_cached_and_read_only():
    w = resample_weights(300, 224, "bicubic")
    assert resample_weights(300, 224, "bicubic") is w
    with pytest.raises(ValueError, match="read-only"):
        w[0, 0] = 1.0


@pytest.mark.parametrize(
    "p", REGISTRY_CONFIGS, ids=lambda p: f"{p.interpolation}-{p.resize_mode}-{p.input_size}"
)
def test_registry_configs_match_reference_on_random_photos(p):
    rng = np.random.default_rng(3)
    # landscape, portrait, and a random size: the resize and crop paths of both axes
    shapes = [(300, 451), (451, 300), tuple(int(n) for n in rng.integers(100, 600, 2))]
    for h, w in shapes:
        assert_matches_reference(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), p)


@pytest.mark.parametrize("interp", ["bilinear", "bicubic"])
@pytest.mark.parametrize(
    "base", [CROP, PLAIN, SMALL_CROP, SMALL_PLAIN], ids=["crop", "plain", "small-crop", "small-plain"]
)
def test_odd_sizes_and_channels_match_reference(base, interp):
    p = replace(base, interpolation=interp)
    rng = np.random.default_rng(4)
    shapes = [(1, 1, 3), (1, 9, 3), (9, 1, 3), (2, 3, 3), (13, 17, 3), (50, 70, 3), (70, 50, 3)]
    shapes += [(31, 23, 4), (23, 31), (17, 13, 1)]  # RGBA, grayscale, one channel
    for shape in shapes:
        img = rng.integers(0, 256, shape, dtype=np.uint8)
        if len(shape) == 3 and shape[2] == 4:
            img[..., 3] = rng.choice([0, 128, 255], shape[:2])  # transparent, half, opaque
        assert_matches_reference(img, p)
