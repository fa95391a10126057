"""The benchmark's results file (benchmarks/results.json): its shape, checked by its writer
(``python -m benchmarks.run``) and by its reader (hooks/lwm_bench.py, the Benchmarks page).

It sits in the torch-free package (lwm/) because the site's hooks import it without torch.
A file that fails :func:`check` fails the benchmark before it is written, and the site's
build when it is read: a broken results file never reaches a page.
"""

from __future__ import annotations

import math

# what a results file of this version holds; bump it when the shape changes
SCHEMA_VERSION = 3
# the thread counts every latency is measured with, as the file's keys
THREADS = ("1", "2")
REQUIRED = ("schema_version", "generated_at", "command", "duration_s", "machine", "versions",
            "method", "models", "cold_start", "cold_starts", "litert", "experiments", "ceiling", "webnn")
TIMING_KEYS = ("median_ms", "p90_ms", "runs")


class ResultsError(ValueError):
    """The results file does not have the shape this code writes and reads."""


def _timing(t: dict, where: str) -> None:
    missing = [k for k in TIMING_KEYS if k not in t]
    if missing:
        raise ResultsError(f"{where} lacks {', '.join(missing)}")
    if not t["p90_ms"] >= t["median_ms"] > 0:
        raise ResultsError(f"{where}: median {t['median_ms']} ms and p90 {t['p90_ms']} ms "
                           f"(need 0 < median <= p90)")


def _threads(side: dict, where: str) -> None:
    """A timing for each of THREADS."""
    if set(side) != set(THREADS):
        raise ResultsError(f"{where} has threads {sorted(side)}, not {list(THREADS)}")
    for t in THREADS:
        _timing(side[t], f"{where}.{t}")


def _isolation(browser: dict, where: str) -> None:
    """One thread on a plain page, two on a cross-origin isolated one (SharedArrayBuffer)."""
    for t, isolated in (("1", False), ("2", True)):
        if browser[t].get("cross_origin_isolated", isolated) is not isolated:
            raise ResultsError(f"{where}.{t}: cross_origin_isolated should be {isolated}")


def _cold_start(cold: dict, where: str) -> None:
    if not cold.get("runs_ms"):
        raise ResultsError(f"{where} has no runs")
    transfer = cold["transfer"]
    for total, key in (("raw_bytes", "bytes"), ("transferred_bytes", "transferred_bytes"),
                       ("gzip_bytes", "gzip_bytes")):
        if transfer[total] != sum(f[key] for f in transfer["files"]):
            raise ResultsError(f"{where}.transfer.{total} is not the sum of its files' {key}")


def _ratio(side: dict, where: str) -> None:
    """The recorded browser ÷ native ratio is the quotient of the two recorded medians."""
    for t in THREADS:
        want = side["browser"][t]["median_ms"] / side["native"][t]["median_ms"]
        if not math.isclose(side["ratio"][t], want, abs_tol=0.01):
            raise ResultsError(f"{where}: ratio {side['ratio'][t]} for {t} thread(s), "
                               f"but the medians give {want:.2f}")


def check(data: dict) -> None:
    """Raise :class:`ResultsError` unless ``data`` has the shape of a results file."""
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise ResultsError(f"lacks {', '.join(missing)}: it is not a results file of benchmarks/run.py")
    if data["schema_version"] != SCHEMA_VERSION:
        raise ResultsError(f"schema_version {data['schema_version']!r}, this code reads {SCHEMA_VERSION}")
    for k in ("cpu", "cores"):
        if k not in data["machine"]:
            raise ResultsError(f"machine lacks {k}")
    for k in ("onnxruntime", "onnxruntime_web", "browser"):
        if k not in data["versions"]:
            raise ResultsError(f"versions lacks {k}")
    for key, m in data["models"].items():
        for v, r in m["variants"].items():
            where = f"models.{key}.variants.{v}"
            for side in ("native", "browser"):
                _threads(r[side], f"{where}.{side}")
            _ratio(r, where)
            _isolation(r["browser"], f"{where}.browser")
    _cold_start(data["cold_start"], "cold_start")
    # the classifier's cold start with one model file in each runtime (benchmarks/litert.py)
    for i, cold in enumerate(data["cold_starts"]):
        if cold.get("backend") not in ("ort", "litert"):
            raise ResultsError(f"cold_starts.{i}: backend {cold.get('backend')!r}, not 'ort' or 'litert'")
        _cold_start(cold, f"cold_starts.{i}")
    # each .tflite copy in LiteRT.js and in native LiteRT (null without the converter's
    # environment), beside its fp32 ONNX file in onnxruntime-web and native onnxruntime
    if data["litert"] and "litertjs" not in data["versions"]:
        raise ResultsError("versions lacks litertjs, the LiteRT.js its runs used")
    # the fp32 files' record, with the int8 files' inside it (since the int8 .tflite copies)
    for key, fp32 in data["litert"].items():
        for where, r in ((f"litert.{key}", fp32), (f"litert.{key}.int8", fp32.get("int8"))):
            if r is None:
                continue
            for side, timings in (("browser", r["browser"]), ("native", r["native"]),
                                  ("onnx.browser", r["onnx"]["browser"]), ("onnx.native", r["onnx"]["native"])):
                if timings is not None or side != "native":
                    _threads(timings, f"{where}.{side}")
            _isolation(r["browser"], f"{where}.browser")
            _isolation(r["onnx"]["browser"], f"{where}.onnx.browser")
    _ratio(data["ceiling"], "ceiling")
    if "default" not in data["webnn"]:
        raise ResultsError("webnn lacks the default browser's answer")
    if data["experiments"] and not any(e["name"] == "default" for e in data["experiments"]):
        raise ResultsError("experiments lack the 'default' configuration the others are compared with")
