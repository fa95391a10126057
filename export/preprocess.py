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

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import images
from .weights import Preprocess

# Multiply-adds per matrix product in _resample. The weights are banded (a few taps per
# output pixel), so small blocks skip the zeros; and OpenBLAS runs products this small on
# one thread, which on a busy 2-core machine is several times faster than waking its pool.
_BLOCK_MACS = 1 << 18


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


# 64 matrices keep a photo's views (a mirror has its photo's size) and a square photo's two
# axes; one model's whole image set needs ~110 (~100 MB), for ~0.3 ms saved per matrix.
@functools.lru_cache(maxsize=64)
def resample_weights(in_size: int, out_size: int, interpolation: str) -> np.ndarray:
    """(out_size, in_size) matrix M such that out = M @ in along one axis (read-only, cached)."""
    support, kernel = _kernel(interpolation)
    scale = in_size / out_size
    filter_scale = max(scale, 1.0)  # widen the kernel when shrinking (antialias)
    radius = support * filter_scale
    # every output pixel at once: its centre, and the input taps within the radius of it
    centre = (np.arange(out_size) + 0.5) * scale
    lo = np.maximum(np.floor(centre - radius).astype(np.int64), 0)
    hi = np.minimum(np.ceil(centre + radius).astype(np.int64), in_size)
    taps = lo[:, None] + np.arange(max(int((hi - lo).max()), 0))
    inside = taps < hi[:, None]  # rows near an edge have fewer taps than the widest row
    w = np.where(inside, kernel((taps + 0.5 - centre[:, None]) / filter_scale), 0.0)
    total = w.sum(axis=1, keepdims=True)
    w = np.divide(w, total, out=np.zeros_like(w), where=total != 0)
    weights = np.zeros((out_size, in_size), dtype=np.float64)
    weights[np.nonzero(inside)[0], taps[inside]] = w[inside]
    weights.flags.writeable = False  # shared by every caller through the cache
    return weights


def _blocks(weights: np.ndarray, n: int) -> list[tuple[int, int, int, int]]:
    """(first, end) row blocks of a banded weights matrix, with the (lo, hi) input columns
    each block touches, small enough that one block times n columns is a small product."""
    rows, cols = weights.shape
    if rows == 0:  # an empty crop window: nothing to multiply
        return []
    nonzero = weights != 0
    lo = nonzero.argmax(axis=1)
    hi = cols - nonzero[:, ::-1].argmax(axis=1)
    per_block = max(1, _BLOCK_MACS // (n * int((hi - lo).max())))
    while True:  # a block's span grows with its rows: halve until it fits the budget
        first = np.arange(0, rows, per_block)
        end = np.minimum(first + per_block, rows)
        a, b = np.minimum.reduceat(lo, first), np.maximum.reduceat(hi, first)
        if per_block == 1 or int(((b - a) * (end - first)).max()) * n <= _BLOCK_MACS:
            return list(zip(first.tolist(), end.tolist(), a.tolist(), b.tolist()))
        per_block //= 2


def _resample(rgb: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(H, W, C) pixels -> (C, len(rows), len(cols)) float64: rows @ x @ cols.T per channel."""
    x = np.ascontiguousarray(rgb.transpose(2, 0, 1), dtype=np.float64)  # planar, as NCHW wants
    c, h, w = x.shape
    # vertical pass; each block multiplies only the input rows its weights reach
    mid = np.empty((c, rows.shape[0], w))
    for first, end, lo, hi in _blocks(rows, w):
        np.matmul(rows[first:end, lo:hi], x[:, lo:hi], out=mid[:, first:end])
    # horizontal pass, on the channels' rows stacked into one matrix
    mid = mid.reshape(-1, w)
    out = np.empty((mid.shape[0], cols.shape[0]))
    for first, end, lo, hi in _blocks(cols, mid.shape[0]):
        np.matmul(mid[:, lo:hi], cols[first:end, lo:hi].T, out=out[:, first:end])
    return out.reshape(c, rows.shape[0], cols.shape[0])


def resize(rgb: np.ndarray, height: int, width: int, interpolation: str) -> np.ndarray:
    """Resize an (H, W, 3) array to (height, width, 3), float64, no intermediate rounding."""
    h, w = rgb.shape[:2]
    rows = resample_weights(h, height, interpolation)
    cols = resample_weights(w, width, interpolation)
    return _resample(rgb, rows, cols).transpose(1, 2, 0)


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


def _preprocess64(image: np.ndarray, p: Preprocess) -> np.ndarray:
    """preprocess() before its one rounding to float32."""
    rgb = to_rgb(image)
    rh, rw, top, left = resize_plan(rgb.shape[0], rgb.shape[1], p)
    s = p.input_size if p.resize_mode == "plain" else p.crop_size
    # crop the weights, not the image: each output pixel depends on its own row of weights
    # only, so this computes just the kept window, with the numbers a full resize gives it
    rows = resample_weights(rgb.shape[0], rh, p.interpolation)[top : top + s]
    cols = resample_weights(rgb.shape[1], rw, p.interpolation)[left : left + s]
    x = _resample(rgb, rows, cols)
    mean, std = np.asarray(p.mean)[:, None, None], np.asarray(p.std)[:, None, None]
    return ((x / 255.0 - mean) / std)[None]


def preprocess(image: np.ndarray, p: Preprocess) -> np.ndarray:
    """uint8 image -> (1, 3, S, S) float32 tensor, exactly as the browser computes it."""
    return _preprocess64(image, p).astype(np.float32)


# ---------------------------------------------------------------------------------------
# The export's photos (export/images.py), preprocessed for a model
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Inputs:
    validation: np.ndarray  # (N, 3, S, S)
    labels: tuple[str, ...]  # "<photo>#<view>" of each validation image
    calibration: list[np.ndarray]  # (1, 3, S, S) each
    samples: dict[str, np.ndarray]  # sample id -> (1, 3, S, S), from the PNGs the site serves

    def full_views(self) -> np.ndarray:
        """One image per validation photo: the whole photo (view 0), not a crop or mirror."""
        return self.validation[[i for i, label in enumerate(self.labels) if label.endswith("#0")]]


@functools.lru_cache(maxsize=None)
def model_inputs(pre: Preprocess, samples_dir: Path) -> Inputs:
    """The preprocessed photos for one preprocessing; models that share it share the work."""
    val = images.validation_images()
    return Inputs(
        validation=np.concatenate([preprocess(img, pre) for _, img in val]),
        labels=tuple(label for label, _ in val),
        calibration=[preprocess(img, pre) for _, img in images.calibration_images()],
        samples={p.id: preprocess(images.load_rgb(samples_dir / f"{p.id}.png"), pre) for p, _ in images.sample_photos()},
    )
