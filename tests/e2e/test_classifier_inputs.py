"""Everything a reader may hand the classifier: odd files, drops, pastes, the camera.

The awkward files are made here at run time with Pillow and numpy (nothing binary is
committed). Each gets a clear message or a clear note, and the app keeps working: the next
photo is classified as usual.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from classifier_page import CAT_CLASSES, ESPRESSO, choose_file, open_classifier, results, top5, wait_for_answer

pytestmark = pytest.mark.e2e


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(side: int) -> bytes:
    """A valid side x side grey PNG, compressed row by row (never held in memory whole)."""
    z = zlib.compressobj(9)
    row = bytes(side + 1)  # filter byte + a black row
    idat = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def odd_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("odd_inputs")
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))

    (d / "empty.jpg").write_bytes(b"")
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=90)
    (d / "truncated.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    (d / "notes.jpg").write_text("These are my holiday notes, not a photo.\n")
    # an SVG that would fetch from another origin if it were ever rendered
    (d / "drawing.svg").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
        '<image href="http://example.com/tracker.png" width="64" height="64"/></svg>\n'
    )
    Image.new("RGB", (1, 1), (200, 30, 30)).save(d / "tiny.png")
    (d / "huge.png").write_bytes(huge_png(12000))
    photo.convert("CMYK").save(d / "cmyk.jpg", "JPEG")
    Image.fromarray(rng.integers(0, 65536, (64, 64), dtype=np.uint16)).save(d / "deep.png")  # 16-bit grey
    frames = [Image.new("RGB", (64, 48), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(d / "animated.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    # an iPhone photo's first bytes: an ISO media 'ftyp' box with the HEIC brands
    (d / "photo.heic").write_bytes(struct.pack(">I", 24) + b"ftypheic" + bytes(4) + b"mif1heic" + bytes(64))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    photo.resize((60, 40)).save(d / "rotated.jpg", "JPEG", exif=exif)
    return d


def alert_with(page, pattern):
    return page.get_by_role("alert").filter(has_text=re.compile(pattern))


REFUSED = [
    ("empty.jpg", r"empty \(0 bytes\)"),
    ("truncated.jpg", r"JPEG file is truncated"),
    ("notes.jpg", r"holds text, not an image"),
    ("drawing.svg", r"SVG drawings are not accepted"),
    ("huge.png", r"12000 × 12000 pixels .*over 50 megapixels"),
    ("photo.heic", r"HEIC/HEIF images .* are not supported"),
]

ACCEPTED = [
    ("tiny.png", r"only 1 × 1 pixels"),
    ("cmyk.jpg", r"CMYK JPEG"),
    ("deep.png", r"16-bit PNG"),
    ("animated.gif", r"Animated GIF \(3 frames\): only the first frame"),
]


@pytest.fixture(scope="module")
def reader(browser, browser_context_args, site_url):
    """One classifier page for the odd files below, handed one after another as a reader
    would: each file's message or note, then a photo that must still be classified, is the
    very claim "the app keeps working". Opening the page (runtime, model) is most of each
    test's time otherwise. ``watch`` sees every test of the module: an error or a foreign
    request in any of them fails the ones that check. Each answer read is the one for the file
    just given: the file input's change handler replaces the answer shown with "Reading
    <file>…" before it returns (inputs.js), so no answer for an earlier file is read as its."""
    import conftest

    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    session = SimpleNamespace(page=page, watch=conftest.PageWatch(page))
    open_classifier(page, site_url)
    yield session
    context.close()


@pytest.mark.parametrize("name, message", REFUSED)
def test_refused_with_a_clear_message_then_keeps_working(reader, odd_files, models_dir, name, message):
    page = reader.page
    choose_file(page, odd_files / name)
    expect(alert_with(page, message)).to_be_visible()
    expect(results(page)).to_contain_text("not classified")
    choose_file(page, models_dir / "samples" / "chelsea.png")
    wait_for_answer(page)
    assert top5(page)[0][0] in CAT_CLASSES
    expect(alert_with(page, message)).to_have_count(0)  # the message went with the bad file
    assert reader.watch.foreign_requests() == []  # the SVG's external image was never fetched
    assert reader.watch.errors == []


@pytest.mark.parametrize("name, note", ACCEPTED)
def test_accepted_with_a_note(reader, odd_files, models_dir, name, note):
    page = reader.page
    choose_file(page, odd_files / name)
    wait_for_answer(page)
    expect(page.get_by_role("list", name="Notes about this image")).to_contain_text(re.compile(note))
    choose_file(page, models_dir / "samples" / "coffee.png")
    wait_for_answer(page)
    assert top5(page)[0][0] == ESPRESSO
    assert reader.watch.errors == []


def test_exif_orientation_is_honoured(reader, odd_files):
    page = reader.page
    choose_file(page, odd_files / "rotated.jpg")  # stored 60 x 40, displayed 40 x 60
    wait_for_answer(page)
    expect(page.get_by_text("rotated.jpg: JPEG, 40 × 60 pixels")).to_be_visible()


# ---------------------------------------------------------------------------------------
# Drag and drop, paste
# ---------------------------------------------------------------------------------------
MAKE_TRANSFER = """async (url) => {
  const blob = await (await fetch(url)).blob();
  const transfer = new DataTransfer();
  transfer.items.add(new File([blob], url.split('/').pop(), { type: blob.type }));
  return transfer;
}"""


def test_drop_and_paste(page, site_url):
    open_classifier(page, site_url)
    coffee = page.evaluate_handle(MAKE_TRANSFER, site_url + "models/samples/coffee.png")
    page.get_by_text("or drop an image here").dispatch_event("drop", {"dataTransfer": coffee})
    wait_for_answer(page)
    assert top5(page)[0][0] == ESPRESSO

    chelsea = page.evaluate_handle(MAKE_TRANSFER, site_url + "models/samples/chelsea.png")
    page.evaluate("(t) => document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: t }))", chelsea)
    wait_for_answer(page)
    assert top5(page)[0][0] in CAT_CLASSES


# ---------------------------------------------------------------------------------------
# Camera
# ---------------------------------------------------------------------------------------
def test_no_camera_is_said_plainly(page, site_url):
    """Headless Chromium has no camera: the reader is told, and the rest works."""
    open_classifier(page, site_url)
    page.get_by_role("button", name="Start camera").click()
    expect(alert_with(page, r"camera")).to_be_visible()
    expect(page.get_by_role("button", name="Start camera")).to_be_enabled()
    expect(page.get_by_role("button", name="Stop camera")).to_be_disabled()


def test_camera_frame_and_live_mode(browser_type, browser_type_launch_args, site_url, models_dir):
    """Chromium's fake camera (a test pattern) stands in for a real one."""
    args = [*browser_type_launch_args.get("args", []), "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    try:
        page = browser.new_page()
        open_classifier(page, site_url)
        page.get_by_role("button", name="Start camera").click()
        expect(page.get_by_role("button", name="Stop camera")).to_be_enabled()
        page.get_by_role("button", name="Classify this frame").click()
        wait_for_answer(page)
        expect(page.get_by_text("Camera frame: camera")).to_be_visible()

        live = page.get_by_role("status", name="Live status")
        page.get_by_label("Live: classify frame after frame").check()
        expect(live).to_contain_text(re.compile(r"\b([3-9]|\d\d+) frames classified"), timeout=60_000)
        page.get_by_role("button", name="Stop camera").click()
        expect(page.get_by_role("button", name="Start camera")).to_be_enabled()
        expect(page.get_by_label("Live: classify frame after frame")).not_to_be_checked()
        # The page's work runs one step at a time (classifier.js's serial chain), so once a
        # photo chosen after the click has its answer, a frame captured before the click has
        # finished and been counted; a loop still running would classify frames around the
        # next photo, and count them
        choose_file(page, models_dir / "samples" / "coffee.png")
        expect(results(page)).to_contain_text("espresso", timeout=60_000)
        assert top5(page)[0][0] == ESPRESSO
        stopped_at = live.inner_text()
        choose_file(page, models_dir / "samples" / "chelsea.png")
        wait_for_answer(page)
        assert top5(page)[0][0] in CAT_CLASSES
        assert live.inner_text() == stopped_at  # and then no more frames
    finally:
        browser.close()
