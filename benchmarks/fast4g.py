"""The classifier's first answer on a slow connection: Chrome's "Fast 4G" profile.

    .venv/bin/python -m benchmarks.fast4g                    # writes benchmarks/fast4g.json
    LWM_SITE_DIR=other/site .venv/bin/python -m benchmarks.fast4g --out other.json --runs 1

A measurement, not a test: it is not collected by pytest and not part of `make bench`. It
serves the built site as site_app/serve.py does (brotli, cross-origin isolated), opens the
classifier in a fresh browser profile each run with the connection throttled through the
DevTools protocol (Network.emulateNetworkConditions: 9 Mbit/s down, 1.5 Mbit/s up, 60 ms
latency, as Chrome's "Fast 4G"), and times navigation -> five classes shown, for the manifest's
first sample photo given through the file input in two ways:

- ``early``: as soon as the file input exists, long before the page has loaded (a reader in
  a hurry): a script the browser runs before the page's own (EARLY_PHOTO_JS) watches the
  document being parsed and gives the photo the moment the input is in it;
- ``after_ready``: once the page says it is ready.

Beside each time: the bytes the page transferred until the answer (bodies as the browser
received them, compressed where the server compressed) and the time those bytes alone need
at 9 Mbit/s, so that "time - bytes' time" is what the page adds to the network.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import platform
import statistics
from pathlib import Path

from site_app.browser import CHROMIUM, CHROMIUM_ARGS, serve_in_thread

from . import ROOT, SITE_DIR, log
from .coldstart import transfer_sizes

FAST_4G = {"download_bits_per_s": 9_000_000, "upload_bits_per_s": 1_500_000, "latency_ms": 60}
TIMEOUT_MS = 120_000  # an answer that has not come by then is recorded as none
OUT = ROOT / "benchmarks" / "fast4g.json"
# (base64 bytes, file name): gives the photo to #lwm-file as a reader's pick does (input and
# change events) the moment the parser has added the input to the document
EARLY_PHOTO_JS = """(b64, name) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const give = (input) => {
    const files = new DataTransfer();
    files.items.add(new File([bytes], name, { type: 'image/png' }));
    input.files = files.files;
    window.lwmPhotoGivenAt = performance.now();
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  };
  new MutationObserver((records, observer) => {
    const input = document.getElementById('lwm-file');
    if (!input) return;
    observer.disconnect();
    give(input);
  }).observe(document, { childList: true, subtree: true });
}"""
ANSWER_JS = "() => document.querySelectorAll('#lwm-top5 > li').length >= 5 ? performance.now() : false"


def throttle(context, page) -> None:
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False,
        "latency": FAST_4G["latency_ms"],
        "downloadThroughput": FAST_4G["download_bits_per_s"] / 8,  # bytes per second
        "uploadThroughput": FAST_4G["upload_bits_per_s"] / 8,
    })


def early_photo_script(photo: Path) -> str:
    data = base64.b64encode(photo.read_bytes()).decode()
    return f"({EARLY_PHOTO_JS})({json.dumps(data)}, {json.dumps(photo.name)});"


def one_run(browser, base: str, photo: Path, mode: str, timeout_ms: int = TIMEOUT_MS) -> dict:
    context = browser.new_context()
    page = context.new_page()
    throttle(context, page)
    finished: list = []
    page.on("requestfinished", lambda r: finished.append(r))
    if mode == "early":
        page.add_init_script(early_photo_script(photo))
    page.goto(base + "classifier/", wait_until="commit")
    if mode == "early":
        given_ms = page.wait_for_function("() => window.lwmPhotoGivenAt ?? false", timeout=timeout_ms).json_value()
    else:
        page.get_by_role("status", name="Classifier status").filter(has_text="Ready").wait_for(timeout=timeout_ms)
        given_ms = page.evaluate("performance.now()")
        page.locator("#lwm-file").set_input_files(str(photo))
    try:
        answer_ms = page.wait_for_function(ANSWER_JS, polling=10, timeout=timeout_ms).json_value()
        summary = page.inner_text("#lwm-results-summary")
    except Exception:  # noqa: BLE001 - no answer is a result here, not an error
        answer_ms, summary = None, page.inner_text("#lwm-results-summary")
    transfer = transfer_sizes(list(finished))
    context.close()
    sent = transfer["transferred_bytes"]
    bytes_ms = sent * 8 / FAST_4G["download_bits_per_s"] * 1000
    return {
        "photo_given_ms": round(given_ms, 1),
        "first_answer_ms": None if answer_ms is None else round(answer_ms, 1),
        "answer": summary,
        "transferred_bytes": sent,
        "requests": transfer["requests"],
        "bytes_alone_ms": round(bytes_ms, 1),
        "over_bytes_ms": None if answer_ms is None else round(answer_ms - bytes_ms, 1),
        "largest_files": [{k: f[k] for k in ("path", "transferred_bytes", "encoding")} for f in transfer["files"][:6]],
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per mode, each in a fresh profile")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--timeout", type=float, default=TIMEOUT_MS / 1000, help="seconds to wait for an answer")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    manifest = json.loads((SITE_DIR / "models" / "models.json").read_text())
    photo = SITE_DIR / "models" / manifest["samples"][0]["file"]
    server = serve_in_thread(SITE_DIR, isolate=True)
    modes: dict[str, list] = {"early": [], "after_ready": []}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for i in range(args.runs):
                for mode, runs in modes.items():
                    run = one_run(browser, server.url, photo, mode, int(args.timeout * 1000))
                    runs.append(run)
                    log(f"fast 4G, photo {mode}, {i + 1}/{args.runs}: first answer "
                        f"{run['first_answer_ms'] if run['first_answer_ms'] is not None else 'none'} ms, "
                        f"{run['transferred_bytes'] / 1e6:.2f} MB = {run['bytes_alone_ms'] / 1000:.2f} s at 9 Mbit/s")
            version = browser.version
            browser.close()
    finally:
        server.shutdown()

    def summary(runs):
        answered = [r["first_answer_ms"] for r in runs if r["first_answer_ms"] is not None]
        return {
            "answered": f"{len(answered)} of {len(runs)}",
            "median_first_answer_ms": round(statistics.median(answered), 1) if answered else None,
            "median_bytes_alone_ms": round(statistics.median(r["bytes_alone_ms"] for r in runs), 1),
            "median_transferred_bytes": round(statistics.median(r["transferred_bytes"] for r in runs)),
        }

    result = {
        "measured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "site": str(SITE_DIR),
        "machine": platform.platform(),
        "browser": f"Chromium {version}",
        "network": FAST_4G,
        "photo": photo.name,
        "summary": {mode: summary(runs) for mode, runs in modes.items()},
        "runs": modes,
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    for mode, s in result["summary"].items():
        ans = s["median_first_answer_ms"]
        print(f"{mode:12s} answered {s['answered']}; first answer {'—' if ans is None else f'{ans / 1000:.2f} s'}; "
              f"{s['median_transferred_bytes'] / 1e6:.2f} MB transferred, {s['median_bytes_alone_ms'] / 1000:.2f} s at 9 Mbit/s")
    print(f"written to {args.out}")
    return result


if __name__ == "__main__":
    main()
