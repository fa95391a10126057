"""Photos shipped by installed packages, split into calibration and validation sets.

Nothing is downloaded: every image comes from scikit-image's bundled ``skimage/data``.
The two sets never share a source photo, so int8 calibration never sees the images that
judge it. Both sets are enlarged with deterministic crops and flips. Each photo is decoded
once per process: the manifest and every model's export ask for the same sets again.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

# scikit-image's data licence notes: https://scikit-image.org/docs/stable/api/skimage.data.html


@dataclass(frozen=True)
class Photo:
    id: str
    file: str  # file name inside skimage/data
    description: str
    license: str


# Shown in the site's gallery and used for browser parity; part of the validation set.
SAMPLES = (
    Photo("chelsea", "chelsea.png", "Chelsea the cat", "CC0, photographer Stefan van der Walt"),
    Photo("coffee", "coffee.png", "A cup of coffee (Pikolo Espresso Bar)", "CC0, photographer Rachel Michetti"),
    Photo("astronaut", "astronaut.png", "Astronaut Eileen Collins", "Public domain, NASA Great Images"),
    Photo("rocket", "rocket.jpg", "Falcon 9 launch carrying DSCOVR", "Public domain, SpaceX"),
)
_VALIDATION_EXTRA = (
    Photo("horse", "horse.png", "Silhouette of a horse (openclipart)", "CC0, Andreas Preuss"),
    Photo("coins", "coins.png", "Greek coins from Pompeii", "No known copyright restrictions, Brooklyn Museum"),
    Photo("camera", "camera.png", "A photographer with a camera", "CC0, photographer Lav Varshney"),
)
# Calibration only; none of these are ever used to validate. (The stereo pair's left
# image is not used at all: it is nearly the same picture as motorcycle_right.)
_CALIBRATION = (
    "motorcycle_right.png",
    "hubble_deep_field.jpg",
    "retina.jpg",
    "brick.png",
    "grass.png",
    "gravel.png",
    "ihc.png",
    "color.png",
    "logo.png",
    "moon.png",
    "page.png",
    "clock_motion.png",
    "cell.png",
    "text.png",
)


def skimage_data_dir() -> Path:
    import skimage

    return Path(skimage.__file__).parent / "data"


def load_rgb(path: str | Path) -> np.ndarray:
    """Decode to (H, W, 3) uint8 RGB; grayscale is expanded, alpha flattened onto white."""
    with Image.open(path) as im:
        if im.mode in ("RGBA", "LA", "P"):
            im = im.convert("RGBA")
            bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
            im = Image.alpha_composite(bg, im)
        return np.asarray(im.convert("RGB"))


@functools.lru_cache(maxsize=None)
def _skimage_photo(file: str) -> np.ndarray:
    """load_rgb() of a file in skimage/data, decoded once; read-only, as it is shared."""
    rgb = load_rgb(skimage_data_dir() / file)
    rgb.flags.writeable = False
    return rgb


def _views(rgb: np.ndarray, n_crops: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    """The photo, its mirror, and crops (fixed corners/centre, or seeded random boxes)."""
    h, w = rgb.shape[:2]
    views = [rgb, rgb[:, ::-1]]
    if rng is None:  # deterministic validation crops: 4 corners + centre at 70%
        ch, cw = int(h * 0.7), int(w * 0.7)
        boxes = [(0, 0), (0, w - cw), (h - ch, 0), (h - ch, w - cw), ((h - ch) // 2, (w - cw) // 2)]
        boxes = boxes[:n_crops]
        sizes = [(ch, cw)] * len(boxes)
    else:  # calibration: random boxes of 40..90% of each side
        sizes, boxes = [], []
        for _ in range(n_crops):
            ch, cw = int(h * rng.uniform(0.4, 0.9)), int(w * rng.uniform(0.4, 0.9))
            sizes.append((ch, cw))
            boxes.append((int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))))
    for (t, l), (ch, cw) in zip(boxes, sizes):
        crop = rgb[t : t + ch, l : l + cw]
        views += [crop, crop[:, ::-1]]
    return [np.ascontiguousarray(v) for v in views]


def validation_images() -> list[tuple[str, np.ndarray]]:
    """(label, image) pairs: every sample and extra photo, mirrored and cropped (12 views each)."""
    out = []
    for photo in SAMPLES + _VALIDATION_EXTRA:
        rgb = _skimage_photo(photo.file)
        for i, v in enumerate(_views(rgb, n_crops=5, rng=None)):
            out.append((f"{photo.id}#{i}", v))
    return out


def calibration_images(seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """(label, image) pairs from photos disjoint from the validation set (8 views each)."""
    rng = np.random.default_rng(seed)
    out = []
    for name in _CALIBRATION:
        rgb = _skimage_photo(name)
        for i, v in enumerate(_views(rgb, n_crops=3, rng=rng)):
            out.append((f"{name}#{i}", v))
    return out


def sample_photos() -> list[tuple[Photo, Path]]:
    return [(p, skimage_data_dir() / p.file) for p in SAMPLES]

