"""Image preprocessing, defined once and precisely so the browser can match it.

The browser (site_app/preprocess.js) implements the same arithmetic on decoded RGBA pixels;
the reference top-5 probabilities in the manifest are computed with this module, so
browser-vs-Python parity is a test of equal arithmetic, not of two libraries' resizers.

Resampling is separable, with pixel centres at (i + 0.5) and an antialiasing support that
widens with the downscale factor (the approach Pillow uses), in float64 with no rounding
between passes:

- "bilinear": triangle kernel, support 1;
- "bicubic": Keys cubic kernel with a = -0.5, support 2.

Then: optional centre crop, x / 255, (x - mean) / std, NCHW float32.
"""

from __future__ import annotations

import math

import numpy as np

from .weights import Preprocess


def _kernel(name: str):
    if name == "bilinear":
        return 1.0, lambda x: np.clip(1.0 - np.abs(x), 0.0, None)
    if name == "bicubic":
        a = -0.5

        def cubic(x):
            x = np.abs(x)
            return np.where(
                x < 1.0,
                ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0,
                np.where(x < 2.0, (((x - 5.0) * x + 8.0) * x - 4.0) * a, 0.0),
            )

        return 2.0, cubic
    raise ValueError(f"unknown interpolation {name!r}: expected 'bilinear' or 'bicubic'")


def resample_weights(in_size: int, out_size: int, interpolation: str) -> np.ndarray:
    """(out_size, in_size) matrix M such that out = M @ in along one axis."""
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


def resize(rgb: np.ndarray, height: int, width: int, interpolation: str) -> np.ndarray:
    """Resize an (H, W, 3) array to (height, width, 3), float64, no intermediate rounding."""
    h, w = rgb.shape[:2]
    rows = resample_weights(h, height, interpolation)
    cols = resample_weights(w, width, interpolation)
    x = rgb.astype(np.float64)
    x = np.einsum("oh,hwc->owc", rows, x)  # vertical pass
    return np.einsum("pw,owc->opc", cols, x)  # horizontal pass


def resize_plan(height: int, width: int, p: Preprocess) -> tuple[int, int, int, int]:
    """(resized_h, resized_w, crop_top, crop_left) for an image of the given size."""
    if p.resize_mode == "plain":
        return p.input_size, p.input_size, 0, 0
    if p.resize_mode != "shorter_side_then_center_crop":
        raise ValueError(f"unknown resize_mode {p.resize_mode!r}")
    # shorter side -> resize_size, keeping aspect ratio (rounded like torchvision: int())
    if height <= width:
        rh, rw = p.resize_size, max(1, int(p.resize_size * width / height))
    else:
        rh, rw = max(1, int(p.resize_size * height / width)), p.resize_size
    # centre crop offsets, rounded like torchvision's center_crop
    top = int(round((rh - p.crop_size) / 2.0))
    left = int(round((rw - p.crop_size) / 2.0))
    return rh, rw, top, left


def to_rgb(image: np.ndarray) -> np.ndarray:
    """Any (H, W), (H, W, 1/3/4) uint8 array -> (H, W, 3); alpha is flattened onto white."""
    if image.ndim == 2:
        image = image[:, :, None]
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    elif image.shape[2] == 4:
        rgb, alpha = image[:, :, :3].astype(np.float64), image[:, :, 3:4].astype(np.float64) / 255.0
        image = np.round(rgb * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    if image.dtype != np.uint8:
        raise ValueError(f"expected 8-bit pixels, got {image.dtype}")
    return image


def preprocess(image: np.ndarray, p: Preprocess) -> np.ndarray:
    """uint8 image -> (1, 3, S, S) float32 tensor, exactly as the browser computes it."""
    rgb = to_rgb(image)
    rh, rw, top, left = resize_plan(rgb.shape[0], rgb.shape[1], p)
    x = resize(rgb, rh, rw, p.interpolation)
    s = p.input_size if p.resize_mode == "plain" else p.crop_size
    x = x[top : top + s, left : left + s]
    x = (x / 255.0 - np.asarray(p.mean)) / np.asarray(p.std)
    return x.transpose(2, 0, 1)[None].astype(np.float32)
