"""site_app/preprocess.js computes what export/preprocess.py computes, in Chromium.

The manifest's reference probabilities were computed in Python, so the browser's
preprocessing must be the same arithmetic, not a look-alike. These tests import the
module the site serves (app/preprocess.js) into a page and compare it with the Python
functions on the same random pixels.
"""

from __future__ import annotations

import base64
from dataclasses import asdict

import numpy as np
import pytest

from export.preprocess import preprocess, resize_plan, to_rgb
from export.weights import HALF_MEAN, HALF_STD, Preprocess

pytestmark = pytest.mark.e2e

# Both sides compute in float64 and round to float32 once; only the order of additions
# differs, so a difference is at most one float32 step (about 2.4e-7 near 2).
TOLERANCE = 1e-5

CROP_BICUBIC = Preprocess(input_size=224, resize_size=256, crop_size=224, interpolation="bicubic")
CROP_BILINEAR = Preprocess(input_size=224, resize_size=256, crop_size=224)
PLAIN = Preprocess(224, 224, 224, resize_mode="plain", mean=HALF_MEAN, std=HALF_STD)
# small sizes where the crop offset is x.5 with x even: (13 - 8) / 2 = 2.5 rounds to 2 in
# Python (half to even), to 3 with JavaScript's Math.round
HALF_EVEN = Preprocess(input_size=8, resize_size=10, crop_size=8, interpolation="bicubic")

RUN = """async ({url, cases}) => {
  const m = await import(url);
  const decode = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const encode = (bytes) => {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  };
  return cases.map((c) => {
    const { data, dims } = m.preprocess(decode(c.pixels), c.width, c.height, c.channels, c.p);
    return { data: encode(new Uint8Array(data.buffer)), dims, plan: m.resizePlan(c.height, c.width, c.p) };
  });
}"""


@pytest.fixture
def module_url(page, site_url):
    page.goto(site_url)  # any page of the site: the module is imported by URL
    return site_url + "app/preprocess.js"


def run_js(page, url, cases):
    payload = [
        {
            "pixels": base64.b64encode(img.tobytes()).decode(),
            "height": img.shape[0],
            "width": img.shape[1],
            "channels": 1 if img.ndim == 2 else img.shape[2],
            "p": asdict(p),
        }
        for img, p in cases
    ]
    out = page.evaluate(RUN, {"url": url, "cases": payload})
    return [
        (np.frombuffer(base64.b64decode(o["data"]), dtype=np.float32).reshape(o["dims"]), tuple(o["plan"]))
        for o in out
    ]


def random_image(rng, h, w, c):
    shape = (h, w) if c == 1 else (h, w, c)
    return rng.integers(0, 256, shape, dtype=np.uint8)


def test_preprocess_matches_python_on_random_pixels(page, module_url):
    rng = np.random.default_rng(20261121)
    cases = [
        (random_image(rng, 300, 451, 3), CROP_BICUBIC),  # downscale, landscape
        (random_image(rng, 451, 300, 3), CROP_BILINEAR),  # downscale, portrait
        (random_image(rng, 37, 53, 3), PLAIN),  # upscale, aspect ratio not kept
        (random_image(rng, 480, 640, 4), PLAIN),  # alpha flattened onto white
        (random_image(rng, 61, 47, 1), CROP_BICUBIC),  # grey expanded to RGB
        (random_image(rng, 1, 1, 3), CROP_BILINEAR),  # a single pixel
        (random_image(rng, 20, 26, 3), HALF_EVEN),  # crop offset rounded half to even
    ]
    for (img, p), (js, plan) in zip(cases, run_js(page, module_url, cases)):
        py = preprocess(img, p)
        assert plan == resize_plan(img.shape[0], img.shape[1], p)
        assert js.shape == py.shape
        assert np.abs(js - py).max() < TOLERANCE, (img.shape, p)


def test_crop_offset_rounds_half_to_even(page, module_url):
    img = random_image(np.random.default_rng(1), 20, 26, 3)
    [(_, plan)] = run_js(page, module_url, [(img, HALF_EVEN)])
    assert plan == (10, 13, 1, 2)  # left = round(2.5) = 2, as Python rounds it


def test_manifest_preprocessing_of_every_pretrained_model(page, module_url, manifest):
    """The exact settings the site uses, on a photo-sized RGBA image."""
    rng = np.random.default_rng(7)
    img = random_image(rng, 333, 500, 4)
    entries = [m for m in manifest["models"].values() if m["pretrained"]]
    assert entries, "the manifest has no pretrained model"
    cases = [(img, Preprocess(**{**m["preprocess"], "mean": tuple(m["preprocess"]["mean"]), "std": tuple(m["preprocess"]["std"])})) for m in entries]
    for (img_, p), (js, _) in zip(cases, run_js(page, module_url, cases)):
        assert np.abs(js - preprocess(img_, p)).max() < TOLERANCE


def test_alpha_and_grey_match_to_rgb(page, module_url):
    """toRgb on its own: transparent black becomes white, half alpha blends exactly."""
    rgba = np.array([[[0, 0, 0, 0], [255, 0, 0, 128], [10, 20, 30, 255], [7, 7, 7, 1]]], dtype=np.uint8)
    js = page.evaluate(
        "async ({url, px}) => Array.from((await import(url)).toRgb(Uint8Array.from(px), 4, 1, 4))",
        {"url": module_url, "px": rgba.ravel().tolist()},
    )
    assert js == to_rgb(rgba).ravel().tolist()
