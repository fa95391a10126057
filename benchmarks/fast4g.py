"""The classifier's first answer on a slow connection: Chrome's "Fast 4G" profile.

    .venv/bin/python -m benchmarks.fast4g                          # writes benchmarks/fast4g.json
    .venv/bin/python -m benchmarks.fast4g --before ../main/site    # and another build, interleaved
    LWM_SITE_DIR=other/site .venv/bin/python -m benchmarks.fast4g --out other.json --runs 1

A measurement, not a test: it is not collected by pytest and not part of `make bench`. It
serves the built site as site_app/serve.py does (brotli, cross-origin isolated), opens the
classifier in a fresh browser profile each run with the page, its workers and the site's
service worker on a throttled connection (site_app/browser.py's Throttle: 9 Mbit/s down,
1.5 Mbit/s up, 60 ms latency, as Chrome's "Fast 4G"), and times navigation -> five classes
shown, for the manifest's first sample photo given through the file input in two ways:

- ``early``: as soon as the file input exists, long before the page has loaded (a reader in
  a hurry): a script the browser runs before the page's own (site_app/browser.py's
  give_early) watches the document being parsed and gives the photo the moment the input is in it;
- ``after_ready``: once the page says it is ready.

Beside each time: the bytes the network carried until the answer (as every target's DevTools
session counted them, compressed where the server compressed, each request once however
many workers it passed through) and the time those bytes alone need at 9 Mbit/s, so that
"time - bytes' time" is what the page adds to the network. An answer sooner than its bytes
allow means something escaped the throttle: the command then fails rather than record it.
`--before DIR` measures a second build (the one before a change) in the same browser, run
for run alternating with this one, so that both meet the same machine load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
from pathlib import Path

from site_app.browser import CHROMIUM, CHROMIUM_ARGS, FAST_4G, Throttle, give_early, serve_in_thread

from . import ROOT, SITE_DIR, log

TIMEOUT_MS = 120_000  # an answer that has not come by then is recorded as none
OUT = ROOT / "benchmarks" / "fast4g.json"
ANSWER_JS = "() => document.querySelectorAll('#lwm-top5 > li').length >= 5 ? performance.now() : false"


def one_run(browser, base: str, photo: Path, mode: str, timeout_ms: int = TIMEOUT_MS) -> dict:
    context = browser.new_context()
    page = context.new_page()
    throttle = Throttle(context, page, FAST_4G)
    if mode == "early":
        give_early(page, photo)
    page.goto(base + "classifier/", wait_until="commit")
    if mode == "early":
        given_ms = page.wait_for_function("() => window.lwmGivenEarly?.at[0] ?? false", timeout=timeout_ms).json_value()
    else:
        page.get_by_role("status", name="Classifier status").filter(has_text="Ready").wait_for(timeout=timeout_ms)
        given_ms = page.evaluate("performance.now()")
        page.locator("#lwm-file").set_input_files(str(photo))
    try:
        answer_ms = page.wait_for_function(ANSWER_JS, polling=10, timeout=timeout_ms).json_value()
    except Exception:  # noqa: BLE001 - no answer is a result here, not an error
        answer_ms = None
    wire = throttle.wire()  # what had crossed the network when the answer showed
    summary = page.inner_text("#lwm-results-summary")
    # the page's own account of its stages (download, check, session, inference): where the
    # time after the last byte goes
    stages = page.evaluate("Object.fromEntries([...document.querySelectorAll('#lwm-timings tbody tr')]"
                           ".map((tr) => [...tr.cells].map((c) => c.textContent.trim())))")
    context.close()
    sent = sum(r["bytes"] for r in wire)
    bytes_ms = sent * 8 / FAST_4G["download_bits_per_s"] * 1000
    t0 = min(r["start"] for r in wire)
    per_path: dict[str, dict] = {}
    for r in wire:  # one line per file: how often it was fetched, its bytes, when it started and ended
        path = r["url"].removeprefix(base).split("?")[0]
        f = per_path.setdefault(path, {"path": path, "fetches": 0, "transferred_bytes": 0,
                                       "start_ms": round((r["start"] - t0) * 1000), "end_ms": 0})
        f["fetches"] += 1
        f["transferred_bytes"] += r["bytes"]
        f["end_ms"] = max(f["end_ms"], round((r["end"] - t0) * 1000))
    files = sorted(per_path.values(), key=lambda f: -f["transferred_bytes"])
    return {
        "photo_given_ms": round(given_ms, 1),
        "first_answer_ms": None if answer_ms is None else round(answer_ms, 1),
        "answer": summary,
        "transferred_bytes": sent,
        "requests": len(wire),
        "bytes_alone_ms": round(bytes_ms, 1),
        "over_bytes_ms": None if answer_ms is None else round(answer_ms - bytes_ms, 1),
        "stages": stages,
        "targets": throttle.targets,
        "largest_files": files[:8],
    }


def delivered_bits_per_s(browser, base: str, path: str) -> float:
    """What the throttle really delivers on this machine now: one file fetched alone by a page
    on the same connection, no service worker, its bytes over its time. On a loaded machine
    Chromium's throttle falls short of its nominal rate (its timers fire late), which would
    count as time the page adds."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    throttle = Throttle(context, page, FAST_4G)
    page.goto(base + "models/models.json")
    before = len(throttle.wire())
    ms = page.evaluate("async (url) => { const t0 = performance.now(); await (await fetch(url)).arrayBuffer(); "
                       "return performance.now() - t0; }", base + path)
    sent = sum(r["bytes"] for r in throttle.wire()[before:])
    context.close()
    return sent * 8 / (ms / 1000)


def summarize(runs: list[dict]) -> dict:
    answered = [r for r in runs if r["first_answer_ms"] is not None]
    med = lambda key, rs=answered: round(statistics.median(r[key] for r in rs), 1) if rs else None  # noqa: E731
    return {
        "answered": f"{len(answered)} of {len(runs)}",
        "median_first_answer_ms": med("first_answer_ms"),
        "median_answer_after_photo_ms": round(statistics.median(r["first_answer_ms"] - r["photo_given_ms"] for r in answered), 1) if answered else None,
        "median_over_bytes_ms": med("over_bytes_ms"),
        "median_bytes_alone_ms": med("bytes_alone_ms", runs),
        "median_bytes_at_delivered_rate_ms": med("bytes_at_delivered_rate_ms", runs),
        "median_transferred_bytes": round(statistics.median(r["transferred_bytes"] for r in runs)),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per mode, each in a fresh profile")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--timeout", type=float, default=TIMEOUT_MS / 1000, help="seconds to wait for an answer")
    parser.add_argument("--before", type=Path, help="another built site, measured alternately with this one")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    manifest = json.loads((SITE_DIR / "models" / "models.json").read_text())
    photo = SITE_DIR / "models" / manifest["samples"][0]["file"]
    sites = {"after": SITE_DIR} if args.before is None else {"before": args.before.resolve(), "after": SITE_DIR}
    servers = {name: serve_in_thread(site, isolate=True) for name, site in sites.items()}
    runs: dict[str, dict[str, list]] = {name: {"early": [], "after_ready": []} for name in sites}
    load = [os.getloadavg()[0]]
    delivered: list[int] = []
    v = manifest["models"][next(k for k, e in manifest["models"].items() if e.get("pretrained"))]["variants"]["int8"]
    default_file = (v.get("optimized") or v)["file"]
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            first_server = next(iter(servers.values()))
            for i in range(args.runs):
                delivered.append(round(delivered_bits_per_s(browser, first_server.url, "models/" + default_file)))
                log(f"the throttle delivers {delivered[-1] / 1e6:.2f} Mbit/s to one download here, now")
                for mode in ("early", "after_ready"):
                    for name, server in servers.items():
                        run = one_run(browser, server.url, photo, mode, int(args.timeout * 1000))
                        run["load_average"] = round(os.getloadavg()[0], 2)
                        run["bytes_at_delivered_rate_ms"] = round(run["transferred_bytes"] * 8 / delivered[-1] * 1000, 1)
                        load.append(run["load_average"])
                        runs[name][mode].append(run)
                        log(f"{name}, photo {mode}, {i + 1}/{args.runs}: first answer "
                            f"{run['first_answer_ms'] if run['first_answer_ms'] is not None else 'none'} ms, "
                            f"{run['transferred_bytes'] / 1e6:.2f} MB = {run['bytes_alone_ms'] / 1000:.2f} s at 9 Mbit/s, "
                            f"load {run['load_average']}")
            version = browser.version
            browser.close()
    finally:
        for server in servers.values():
            server.shutdown()

    def record(name):
        return {"site": str(sites[name]), "summary": {m: summarize(r) for m, r in runs[name].items()}, "runs": runs[name]}

    result = {
        "measured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1min": {"min": min(load), "max": max(load)},
        "browser": f"Chromium {version}",
        "network": FAST_4G,
        # one download alone, measured before each round of runs (delivered_bits_per_s)
        "delivered_bits_per_s": delivered,
        "photo": photo.name,
        **record("after"),
    }
    if "before" in sites:
        result["before"] = record("before")
    for name in sites:
        for mode, s in record(name)["summary"].items():
            ans = s["median_first_answer_ms"]
            print(f"{name:6s} {mode:12s} answered {s['answered']}; first answer {'—' if ans is None else f'{ans / 1000:.2f} s'}; "
                  f"{s['median_transferred_bytes'] / 1e6:.2f} MB transferred, {s['median_bytes_alone_ms'] / 1000:.2f} s at 9 Mbit/s")
    # an answer sooner than its bytes allow: the figures are wrong and are not recorded (the
    # last good record stays). A dedicated worker always says "not throttled" (its requests go
    # out under its page's setting), so that alone names no culprit; each throttled target (the
    # page, the service worker) is a link of its own, and their requests overlapping can beat
    # one link's rate (site_app/browser.py, Throttle)
    escaped = [(name, mode, r) for name, rs in runs.items() for mode, m in rs.items() for r in m
               if r["first_answer_ms"] is not None and r["first_answer_ms"] < r["bytes_alone_ms"]]
    if escaped:
        raise SystemExit(f"{len(escaped)} answers came sooner than their bytes allow at 9 Mbit/s "
                         f"({', '.join(sorted({f'{n} {m}' for n, m, _ in escaped}))}): requests escaped the "
                         "throttle, or ran on two emulated links at once (see `targets` and the requests' "
                         f"timing in the runs). {args.out} is left as it was")
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"written to {args.out}")
    return result


if __name__ == "__main__":
    main()
