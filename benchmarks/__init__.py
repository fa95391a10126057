"""The browser-against-native benchmark (make bench); benchmarks/run.py is the command.

    run.py          the command: serves the site, starts Chromium, runs each part, writes the results
    latency.py      one model file natively and in the browser (benchworker.js), the MatMul ceiling
    experiments.py  which files and session options move the browser's latency, one change at a time
    coldstart.py    the classifier page's cold start, the bytes it transfers, WebNN
    litert.py       LiteRT.js beside onnxruntime-web, native LiteRT beside native onnxruntime

The results file's shape is lwm/bench_results.py (the site's Benchmarks page reads it too).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from lwm.constants import models_dir

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = models_dir(ROOT)
SITE_DIR = Path(os.environ.get("LWM_SITE_DIR", ROOT / "site"))


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)
