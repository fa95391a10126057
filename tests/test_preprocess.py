"""Preprocessing: the arithmetic the browser must reproduce, checked on simple cases."""

import numpy as np
import pytest
from PIL import Image

from export.preprocess import preprocess, resample_weights, resize, resize_plan, to_rgb
from export.weights import HALF_MEAN, HALF_STD, Preprocess

CROP = Preprocess(input_size=224, resize_size=256, crop_size=224)
PLAIN = Preprocess(224, 224, 224, resize_mode="plain", mean=HALF_MEAN, std=HALF_STD)


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
