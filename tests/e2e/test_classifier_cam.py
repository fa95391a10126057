"""Where did it look? The class activation map on the classifier page (site_app/cammap.js,
worker.js's MAP, export/cam.py).

- parity: the map the browser computes (the model file's maps, upsampled in the worker) is
  the one PyTorch computes for the same model and photo (correlation >= 0.99, fp32);
- the map of a sample photo peaks on its object;
- the control, the class choice and the opacity work from the keyboard, and the map has a text
  alternative.
"""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest
from playwright.sync_api import expect

from export import cam
from export.images import load_rgb
from export.pipeline import ExportOptions, load_model, resolve_weights
from export.preprocess import preprocess
from export.registry import get_entry

from classifier_page import choose_model, classify_sample, open_classifier, pretrained, results, shown, wait_for_answer

pytestmark = pytest.mark.e2e

# Where the object is in our sample photos, as fractions of the width and height (drawn by
# looking at the photos): Chelsea's face (eyes, nose and muzzle) and the espresso cup
# without its saucer.
OBJECT_BOXES = {
    "chelsea": {"x": (0.2, 0.8), "y": (0.2, 0.95)},
    "coffee": {"x": (0.28, 0.70), "y": (0.03, 0.55)},
}

# The browser side of the parity test: a worker of the page's own (worker.js) loads the model
# once and runs it on each sample photo in turn as the page does (imagefile.js decodes it; the
# page too keeps one worker and one session for every photo), then returns, for each photo, the
# map of each class the model made maps for, as base64 float32.
BROWSER_MAPS = """
async ({ app, sampleUrls, file, sha256, bytes, key, pre, inputName, outputName, cam, size }) => {
  const mod = (name) => import(new URL(name, app).href);
  const { WorkerClient } = await mod('workerclient.js');
  const { MSG } = await mod('messages.js');
  const { decodeToBitmap, toRgba } = await mod('imagefile.js');
  const client = new WorkerClient(new URL('worker.js', app));
  try {
    await client.request(MSG.INIT, { backend: 'wasm' });
    await client.request(MSG.LOAD_MODEL, { url: new URL(file, app).href, sha256, bytes, label: key, optimized: null });
    const perSample = [];
    for (const sampleUrl of sampleUrls) {
      const bitmap = await decodeToBitmap(await (await fetch(sampleUrl)).blob());
      const rgba = toRgba(bitmap, bitmap.width, bitmap.height);
      await client.request(MSG.SET_IMAGE, rgba, { transfer: [rgba.pixels.buffer] });
      const answer = await client.request(MSG.CLASSIFY, { preprocess: pre, inputName, outputName, cam });
      const maps = [];
      for (const classIndex of answer.mapClasses) {
        const m = await client.request(MSG.MAP, { classIndex, size });
        const raw = new Uint8Array(m.grid.buffer);
        let s = '';
        for (let i = 0; i < raw.length; i += 0x8000) s += String.fromCharCode(...raw.subarray(i, i + 0x8000));
        maps.push({ classIndex, grid: btoa(s), mapMs: m.mapMs, region: m.region });
      }
      perSample.push({ classes: answer.mapClasses, maps });
    }
    return perSample;
  } finally {
    client.worker.terminate();
  }
}
"""


def browser_maps(page, site_url, manifest, key, variant, samples):
    """The maps of ``key``'s ``variant`` for each of ``samples``, from one worker."""
    entry = manifest["models"][key]
    v = entry["variants"][variant]
    return page.evaluate(
        BROWSER_MAPS,
        {
            "app": site_url + "app/",
            "sampleUrls": [site_url + "models/" + sample["file"] for sample in samples],
            "file": "../models/" + v["file"],
            "sha256": v["sha256"],
            "bytes": v["bytes"],
            "key": key,
            "pre": entry["preprocess"],
            "inputName": entry["input"]["name"],
            "outputName": entry["output"]["name"],
            "cam": entry["cam"]["outputs"],
            "size": entry["preprocess"]["input_size"],
        },
    )


def test_browser_maps_match_pytorch(page, watch, site_url, models_dir, manifest):
    open_classifier(page, site_url)
    opts = ExportOptions(out_dir=models_dir, allow_download=False, allow_untrained=False)
    keys = [k for k in pretrained(manifest) if manifest["models"][k]["cam"]["kind"]]
    assert keys, "no pretrained model with a map in this build"
    for key in keys:
        model = load_model(key, resolve_weights(key, opts), opts)
        pre = get_entry(key).weights.preprocess
        size = manifest["models"][key]["preprocess"]["input_size"]
        answers = browser_maps(page, site_url, manifest, key, "fp32", manifest["samples"])
        assert len(answers) == len(manifest["samples"])
        for sample, got in zip(manifest["samples"], answers):
            x = preprocess(load_rgb(models_dir / sample["file"]), pre)[:1]
            ref = cam.upsample(cam.torch_cam(model, x, np.array([got["classes"]])), size)[0]
            for j, m in enumerate(got["maps"]):
                grid = np.frombuffer(base64.b64decode(m["grid"]), dtype=np.float32).reshape(size, size)
                corr = cam.correlation(grid, ref[j])
                assert corr >= 0.99, (key, sample["id"], m["classIndex"], corr)
                if j == 0:
                    print(f"{key} {sample['id']}: browser vs PyTorch map correlation {corr:.6f}, "
                          f"upsampled in {m['mapMs']:.1f} ms")
    assert watch.foreign_requests() == []
    assert watch.errors == []


def overlay(page):
    return page.get_by_role("img", name=re.compile(r"^Class activation map of"))


def peak(locator) -> tuple[float, float]:
    return float(locator.get_attribute("data-peak-x")), float(locator.get_attribute("data-peak-y"))


def inside(point, box) -> bool:
    return box["x"][0] <= point[0] <= box["x"][1] and box["y"][0] <= point[1] <= box["y"][1]


def test_the_map_peaks_on_the_object(page, site_url, manifest):
    keys = [k for k in pretrained(manifest) if manifest["models"][k]["cam"]["kind"]]
    assert keys, "no pretrained model with a map in this build"
    boxed = [s for s in manifest["samples"] if s["id"] in OBJECT_BOXES]
    # every photo with a drawn box is one the page offers, or its box would check nothing
    assert sorted(s["id"] for s in boxed) == sorted(OBJECT_BOXES), "a sample photo with a box is missing from models.json"
    open_classifier(page, site_url)
    page.get_by_label("Show the class activation map on the photo").check()
    for key in keys:
        choose_model(page, shown(manifest, key))
        for sample in boxed:
            classify_sample(page, sample)
            wait_for_answer(page, shown(manifest, key))
            expect(overlay(page)).to_be_visible(timeout=30_000)
            expect(overlay(page)).to_have_attribute("data-class-index", str(results_top1(page)))
            where = peak(overlay(page))
            assert inside(where, OBJECT_BOXES[sample["id"]]), (key, sample["id"], where)


def results_top1(page) -> int:
    return int(results(page).get_by_role("listitem").first.get_attribute("data-index"))


def test_map_controls_from_the_keyboard_with_a_text_alternative(page, watch, site_url, manifest):
    open_classifier(page, site_url)
    chelsea = next(s for s in manifest["samples"] if s["id"] == "chelsea")
    classify_sample(page, chelsea)
    wait_for_answer(page)
    expect(overlay(page)).to_have_count(0)  # nothing is drawn until the reader asks

    toggle = page.get_by_label("Show the class activation map on the photo")
    toggle.focus()
    page.keyboard.press("Space")
    expect(toggle).to_be_checked()
    expect(overlay(page)).to_be_visible(timeout=30_000)
    # the text alternative says where, in words, and for which class
    top1 = results_top1(page)
    label = overlay(page).get_attribute("aria-label")
    assert re.search(r"strongest in the (upper left|upper centre|upper right|middle left|centre|middle right|"
                     r"lower left|lower centre|lower right) of the photo", label), label
    assert manifest["classes"][top1] in label
    status = page.get_by_role("status", name="Map status")
    expect(status).to_contain_text("strongest in the")
    expect(status).to_contain_text(re.compile(r"Made in [\d.]+ ms"))

    # another class of the top-5, chosen with the keyboard
    second = results(page).get_by_role("listitem").nth(1)
    index = int(second.get_attribute("data-index"))
    button = second.get_by_role("button", name=manifest["classes"][index])
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(overlay(page)).to_have_attribute("data-class-index", str(index))
    expect(overlay(page)).to_have_attribute("aria-label", re.compile(re.escape(manifest["classes"][index])))

    # opacity, with the arrow keys (steps of 5 %)
    slider = page.get_by_label("Map opacity")
    start = int(slider.input_value())
    slider.focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    assert int(slider.input_value()) == start - 20
    assert overlay(page).evaluate("e => e.style.opacity") == str((start - 20) / 100)

    # off again: the map goes
    toggle.focus()
    page.keyboard.press("Space")
    expect(overlay(page)).to_have_count(0)
    assert watch.foreign_requests() == []
    assert watch.errors == []


def test_a_new_photo_takes_the_old_map_away(page, site_url, manifest):
    open_classifier(page, site_url)
    page.get_by_label("Show the class activation map on the photo").check()
    samples = {s["id"]: s for s in manifest["samples"]}
    classify_sample(page, samples["chelsea"])
    wait_for_answer(page)
    expect(overlay(page)).to_be_visible(timeout=30_000)
    chelsea_label = overlay(page).get_attribute("aria-label")
    classify_sample(page, samples["coffee"])
    expect(results(page)).to_contain_text("espresso", timeout=60_000)
    expect(overlay(page)).to_have_attribute("aria-label", re.compile("espresso"), timeout=30_000)
    assert overlay(page).get_attribute("aria-label") != chelsea_label
