"""The README's picture of the classifier, taken from the built site so it stays true.

    .venv/bin/python -m site_app.screenshot            # or: make screenshot
    .venv/bin/python -m site_app.screenshot --out /tmp/classifier.png

Builds nothing: it serves site/ (as `make site` left it) on a free port, opens the classifier
in headless Chromium at 1280x800, classifies the cat sample photo with the page's default
model, ticks "Show the class activation map on the photo", waits for the map and saves the
window. The picture shows whatever this build's site and models show.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from site_app.browser import CHROMIUM, CHROMIUM_ARGS, serve_in_thread

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / ".github" / "assets" / "readme-classifier.png"
SAMPLE = "chelsea"  # the cat: the map lands on its face
VIEWPORT = {"width": 1280, "height": 800}
# the README shows it at its width; a picture much heavier than this slows the repository's page
MAX_BYTES = 250_000


def take(site: Path, out: Path) -> int:
    """Save the screenshot to ``out``; return its size in bytes."""
    manifest = json.loads((site / "models" / "models.json").read_text())
    sample = next(s for s in manifest["samples"] if s["id"] == SAMPLE)
    server = serve_in_thread(site, isolate=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT, color_scheme="light")
            page.goto(server.url + "classifier/")
            expect(page.get_by_role("status", name="Classifier status")).to_contain_text("Ready", timeout=120_000)
            page.get_by_label("Show the class activation map on the photo").check()
            page.get_by_role("button", name=f"Classify the sample photo: {sample['description']}").click()
            expect(page.get_by_role("status", name="Results")).to_contain_text(re.compile(r"says:"), timeout=120_000)
            expect(page.get_by_role("img", name=re.compile(r"^Class activation map of"))).to_be_visible(timeout=60_000)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
            browser.close()
    finally:
        server.shutdown()
    return out.stat().st_size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site", type=Path, default=ROOT / "site", help="the built site (default: site/)")
    ap.add_argument("--out", type=Path, default=OUT, help=f"where to write the PNG (default: {OUT.relative_to(ROOT)})")
    args = ap.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"{args.site} has no index.html: build the site first (make site)", file=sys.stderr)
        return 1
    size = take(args.site, args.out)
    print(f"wrote {args.out} ({size / 1000:.0f} kB)")
    if size > MAX_BYTES:
        print(f"{args.out} is over {MAX_BYTES / 1000:.0f} kB: too heavy for the README", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
