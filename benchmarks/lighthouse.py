"""Lighthouse's four scores for every page of the built site, mobile preset.

    .venv/bin/python -m benchmarks.lighthouse                  # every page, writes benchmarks/lighthouse.json
    .venv/bin/python -m benchmarks.lighthouse --pages compare/ benchmarks/ --out /tmp/lh.json
    .venv/bin/python -m benchmarks.lighthouse --pages "" --merge    # measure the home page again, keep the others

A measurement, not a test: it never runs in CI. It serves site/ on a free port as `make serve`
does (cross-origin isolated, brotli), and runs the pinned npm Lighthouse (package.json) on each
page with its default settings, which are the mobile preset: a 412x823 screen, simulated "slow
4G" and a 4x CPU slowdown applied to what this machine measured. The performance score follows
the machine's own speed and load (total blocking time most of all), so the file records the
load average beside the scores. Lighthouse drives Debian's Chromium (CHROMIUM, as the tests).

Per page it prints and records performance, accessibility, best practices and SEO (0-100),
the metrics the performance score is made of, the number of DOM elements, and the id of every
audit that lost points in the other three categories, so a score below 100 says why.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from site_app.browser import CHROMIUM, serve_in_thread

from . import ROOT, SITE_DIR, log

OUT = ROOT / "benchmarks" / "lighthouse.json"
LIGHTHOUSE = ROOT / "node_modules" / "lighthouse" / "cli" / "index.js"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
METRICS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
           "cumulative-layout-shift", "speed-index")
# Lighthouse starts its own Chromium: headless, and without the sandbox (root in CI)
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --no-first-run"
TIMEOUT_S = 900  # one page; a heavily loaded 2-core machine needed over 5 minutes for EfficientNet


def site_pages(site: Path) -> list[str]:
    """Every page, from the search index MkDocs writes (one entry per page), as the tests list them."""
    index = json.loads((site / "search" / "search_index.json").read_text())
    return sorted({doc["location"].split("#")[0] for doc in index["docs"]})


def audit_page(url: str) -> dict:
    """One Lighthouse run on one URL: its scores, metrics and the audits that cost points."""
    cmd = ["node", str(LIGHTHOUSE), url, "--output=json", "--output-path=stdout", "--quiet",
           f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}"]
    # a session of its own: on a timeout the whole group goes, the Chromium Lighthouse started too
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "CHROME_PATH": CHROMIUM}, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise RuntimeError(f"lighthouse took more than {TIMEOUT_S} s on {url}") from None
    if proc.returncode != 0:
        raise RuntimeError(f"lighthouse failed on {url}:\n{err[-2000:]}")
    report = json.loads(out)
    if report.get("runtimeError"):
        raise RuntimeError(f"lighthouse on {url}: {report['runtimeError']}")
    audits = report["audits"]
    scores = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
    lost = {}
    for c in CATEGORIES[1:]:
        # an audit with weight that did not pass: what keeps the category under 100
        lost[c] = sorted(ref["id"] for ref in report["categories"][c]["auditRefs"]
                         if ref["weight"] > 0 and audits[ref["id"]]["score"] is not None
                         and audits[ref["id"]]["score"] < 1)
    dom = audits.get("dom-size", {}).get("numericValue")
    return {
        "scores": scores,
        "metrics_ms": {m: round(audits[m]["numericValue"], 3 if m == "cumulative-layout-shift" else 0)
                       for m in METRICS},
        "dom_elements": int(dom) if dom is not None else None,
        "lost_points": lost,
        "lighthouse": report["lighthouseVersion"],
        "browser": report["environment"]["hostUserAgent"],
        "benchmark_index": report["environment"].get("benchmarkIndex"),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=OUT, help="results file (default benchmarks/lighthouse.json)")
    p.add_argument("--pages", nargs="*", help="site paths such as compare/ (default: every page; '' is home)")
    p.add_argument("--merge", action="store_true", help="keep the other pages already in --out (each records "
                                                         "its own load average)")
    args = p.parse_args(argv)
    if not (SITE_DIR / "index.html").is_file():
        print(f"{SITE_DIR} has no index.html: build the site first (mkdocs build --strict)", file=sys.stderr)
        return 1
    if not LIGHTHOUSE.is_file():
        print(f"{LIGHTHOUSE} not found: run `npm ci` first", file=sys.stderr)
        return 1
    pages = args.pages if args.pages is not None else site_pages(SITE_DIR)
    server = serve_in_thread(SITE_DIR, isolate=True)
    results, started, load = {}, dt.datetime.now(dt.timezone.utc), os.getloadavg()
    if args.merge and args.out.is_file():
        results = {k: v for k, v in json.loads(args.out.read_text())["pages"].items()}

    def write() -> None:
        # after every page: a long run stopped half-way keeps what it measured
        first = next((r for r in results.values() if "error" not in r), {"lighthouse": None, "browser": None})
        doc = {
            "generated_at": started.isoformat(timespec="seconds"),
            "lighthouse": first["lighthouse"],
            "browser": first["browser"],
            "preset": "mobile (Lighthouse's default: simulated slow 4G, 4x CPU slowdown)",
            "load_average_at_start": [round(x, 2) for x in load],
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "pages": results,
        }
        args.out.write_text(json.dumps(doc, indent=1) + "\n")

    try:
        print(f"{'page':34} perf  a11y  best   seo   TBT ms  elements")
        for path in pages:
            before = os.getloadavg()[0]
            try:
                r = audit_page(server.url + path)
                r["load_average_1min"] = [round(before, 2), round(os.getloadavg()[0], 2)]  # before, after
            except RuntimeError as exc:  # recorded, and the other pages still measured
                results[path or "/"] = {"error": str(exc)[:500]}
                write()
                print(f"{path or '/':34} {exc}", flush=True)
                continue
            results[path or "/"] = r
            write()
            s = r["scores"]
            print(f"{path or '/':34} {s['performance']:4}  {s['accessibility']:4}  {s['best-practices']:4}  "
                  f"{s['seo']:4}  {r['metrics_ms']['total-blocking-time']:7.0f}  {r['dom_elements']}", flush=True)
            for c, ids in r["lost_points"].items():
                if ids:
                    print(f"{'':34} {c}: {', '.join(ids)}", flush=True)
    finally:
        server.shutdown()
    log(f"wrote {args.out} ({len(results)} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
