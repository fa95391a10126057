"""The benchmark's results file and the Benchmarks page that renders it (no timing asserted).

Run: .venv/bin/python -m pytest tests/test_bench.py

The benchmark itself (make bench) is a measurement and never runs here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mkdocs.exceptions import PluginError

import lwm_bench  # hooks/ is not a package (MkDocs loads it by path): pyproject puts it on the path
import shortcodes
from lwm_format import fmt_bytes, fmt_ms, fmt_ratio

from export.measure import summarize
from lwm.bench_results import ResultsError, check

ROOT = Path(__file__).resolve().parents[1]


def _timing(median: float) -> dict:
    return {"median_ms": median, "p90_ms": median * 1.25, "runs": 10}


def fixture_results(key: str) -> dict:
    """A small results file: one model, one variant, made-up figures that are easy to find."""
    return {
        "schema_version": 3,
        "generated_at": "2000-01-02T03:04:05+00:00",
        "command": ".venv/bin/python -m benchmarks.run",
        "duration_s": 123.0,
        "machine": {"cpu": "Test CPU 9000", "cores": 2, "memory_bytes": 4_000_000_000, "platform": "Linux"},
        "versions": {"python": "3.11", "onnxruntime": "9.9.9", "onnxruntime_web": "8.8.8", "torch": "7.7",
                     "browser": "Chromium 1.2.3 (headless)", "litertjs": "6.6.6"},
        "manifest_generated_at": "2000-01-01",
        "method": {"native": "native method", "browser": "browser method"},
        "models": {key: {"display_name": "Whatever", "pretrained": False, "variants": {"fp32": {
            "bytes": 1_234_567, "gzip_bytes": 1_000_000,
            "native": {"1": _timing(2.0), "2": _timing(1.5)},
            "browser": {"1": {**_timing(14.0), "session_ms": 5.0, "cross_origin_isolated": False},
                        "2": {**_timing(3.75), "session_ms": 5.0, "cross_origin_isolated": True}},
            "ratio": {"1": 7.0, "2": 2.5},
        }}}},
        "cold_start": {"model": key, "variant": "fp32", "runs_ms": [1111.0, 1222.0, 1333.0], "median_ms": 1222.0,
                       "transfer": {"raw_bytes": 9_876_543, "transferred_bytes": 4_321_000,
                                    "gzip_bytes": 5_432_100, "gzip_level": 6, "requests": 17, "python_loaded": False,
                                    "files": [{"path": "vendor/x.wasm", "bytes": 9_000_000, "transferred_bytes": 4_000_000,
                                               "encoding": "br", "gzip_bytes": 5_000_000},
                                              {"path": "app/y.js", "bytes": 876_543, "transferred_bytes": 321_000,
                                               "encoding": "br", "gzip_bytes": 432_100}]}},
        "ceiling": {"op": "MatMul fp32, test", "macs": 512 ** 3,
                    "native": {"1": _timing(1.25), "2": _timing(0.625)},
                    "browser": {"1": _timing(11.0), "2": _timing(8.125)}, "ratio": {"1": 8.8, "2": 13.0}},
        "webnn": {"default": {"args": [], "available": False, "detail": "navigator.ml is not defined"}},
        "litert": {key: {
            "file": f"{key}.fp32.tflite", "bytes": 1_234_999, "gzip_bytes": 1_000_001,
            "native": {"1": _timing(2.5), "2": _timing(1.75)},
            "browser": {"1": {**_timing(6.5), "session_ms": 4.5, "first_run_ms": 9.5, "cross_origin_isolated": False},
                        "2": {**_timing(3.25), "session_ms": 4.25, "first_run_ms": 8.5, "cross_origin_isolated": True}},
            "onnx": {"file": f"{key}.fp32.onnx", "native": {"1": _timing(2.0), "2": _timing(1.5)},
                     "browser": {"1": {**_timing(13.0), "session_ms": 5.0, "first_run_ms": 20.0,
                                       "cross_origin_isolated": False},
                                 "2": {**_timing(6.5), "session_ms": 5.0, "first_run_ms": 10.0,
                                       "cross_origin_isolated": True}}},
        }},
        "cold_starts": [{"name": "LiteRT.js fp32", "model": key, "variant": "fp32", "backend": "litert",
                         "runs_ms": [2111.0, 2222.0, 2333.0], "median_ms": 2222.0,
                         "transfer": {"raw_bytes": 10_680_833, "transferred_bytes": 3_093_857, "gzip_bytes": 2,
                                      "gzip_level": 6, "requests": 2, "python_loaded": False, "files": [
                                          {"path": "vendor/litertjs/wasm/litert_wasm_threaded_internal.wasm",
                                           "bytes": 9_445_834, "transferred_bytes": 1_993_857, "encoding": "br",
                                           "gzip_bytes": 1},
                                          {"path": f"models/{key}.fp32.tflite", "bytes": 1_234_999,
                                           "transferred_bytes": 1_100_000, "encoding": "br", "gzip_bytes": 1}]}}],
        "experiments": [
            {"name": "default", "change": "nothing", "model": key, "variant": "fp32", "threads": "2",
             "options": {}, **_timing(4.0), "session_ms": 5.0, "first_run_ms": 77.5},
            {"name": "opt-basic", "change": "graphOptimizationLevel 'basic'", "model": key, "variant": "fp32",
             "threads": "2", "options": {"graphOptimizationLevel": "basic"}, **_timing(6.0), "session_ms": 5.0},
            {"name": "bad", "change": "an option refused", "model": key, "variant": "fp32", "threads": "2",
             "options": {}, "error": "refused by the runtime"},
        ],
    }


def with_int8(data: dict, key: str) -> dict:
    """``data`` with ``key``'s int8 files timed too: the main table's .int8.opt.onnx file, and
    the int8 .tflite file beside it in LiteRT.js's rounds."""
    m = data["models"][key]
    m["pretrained"] = True
    m["variants"]["int8"] = {
        "file": f"{key}.int8.opt.onnx", "bytes": 400_000, "gzip_bytes": 350_000,
        "native": {"1": _timing(1.0), "2": _timing(0.5)},
        "browser": {"1": {**_timing(21.0), "session_ms": 5.0, "cross_origin_isolated": False},
                    "2": {**_timing(11.0), "session_ms": 5.0, "cross_origin_isolated": True}},
        "ratio": {"1": 21.0, "2": 22.0},
    }
    data["litert"][key]["int8"] = {
        "file": f"{key}.int8.tflite", "bytes": 420_000, "gzip_bytes": 360_000,
        "native": {"1": _timing(0.75), "2": _timing(0.5)},
        "browser": {"1": {**_timing(4.5), "session_ms": 4.5, "first_run_ms": 9.5, "cross_origin_isolated": False},
                    "2": {**_timing(2.625), "session_ms": 4.25, "first_run_ms": 8.5, "cross_origin_isolated": True}},
        "onnx": {"file": f"{key}.int8.opt.onnx", "native": {"1": _timing(1.0), "2": _timing(0.5)},
                 "browser": {"1": {**_timing(18.0), "session_ms": 5.0, "first_run_ms": 20.0,
                                   "cross_origin_isolated": False},
                             "2": {**_timing(9.75), "session_ms": 5.0, "first_run_ms": 10.0,
                                   "cross_origin_isolated": True}}},
    }
    return data


def pretrained_key(manifest) -> str:
    return next(k for k, m in manifest["models"].items() if m["pretrained"])


@pytest.fixture
def render(manifest, monkeypatch, tmp_path):
    """Render markers as MkDocs does, with a results file of the test's choosing."""
    monkeypatch.setattr(shortcodes, "_MANIFEST", manifest)

    def _render(markdown: str, results: dict | str | None) -> str:
        path = tmp_path / "results.json"
        if isinstance(results, dict):
            path.write_text(json.dumps(results))
        elif isinstance(results, str):
            path.write_text(results)
        monkeypatch.setattr(lwm_bench, "RESULTS", path)
        return shortcodes.expand(markdown, manifest, "benchmarks/", "benchmarks.md", str(ROOT / "docs"))

    return _render


# ---------------------------------------------------------------------------
# The committed results file and the checks its writer and reader run
# ---------------------------------------------------------------------------


def test_results_cover_every_model_and_variant_of_the_manifest(manifest):
    # not a check of the file's shape: it fails when a model is exported but not yet benchmarked
    results = lwm_bench.load_results(ROOT / "benchmarks" / "results.json")
    for key, entry in manifest["models"].items():
        assert key in results["models"], f"{key} is in the manifest but not benchmarked: run make bench"
        assert set(results["models"][key]["variants"]) == set(entry["variants"]), key


def _broken(key: str, edit) -> dict:
    data = fixture_results(key)
    edit(data)
    return data


BROKEN = {
    # figures that contradict each other
    "a ratio that is not browser ÷ native":
        lambda d: d["models"][next(iter(d["models"]))]["variants"]["fp32"]["ratio"].update({"2": 9.0}),
    "a p90 below the median":
        lambda d: d["models"][next(iter(d["models"]))]["variants"]["fp32"]["native"]["1"].update({"p90_ms": 1.0}),
    "a transfer total that is not the sum of its files":
        lambda d: d["cold_start"]["transfer"].update({"gzip_bytes": 1}),
    "a ceiling ratio that is not browser ÷ native": lambda d: d["ceiling"]["ratio"].update({"1": 1.0}),
    # what the file must hold
    "a thread count missing":
        lambda d: d["models"][next(iter(d["models"]))]["variants"]["fp32"]["browser"].pop("2"),
    "a timing without its median":
        lambda d: d["models"][next(iter(d["models"]))]["variants"]["fp32"]["browser"]["1"].pop("median_ms"),
    "2 threads measured on a page that was not isolated":
        lambda d: d["models"][next(iter(d["models"]))]["variants"]["fp32"]["browser"]["2"].update(
            {"cross_origin_isolated": False}),
    "no cold-start runs": lambda d: d["cold_start"].update({"runs_ms": []}),
    "a runtime's cold start whose transfer is not the sum of its files":
        lambda d: d["cold_starts"][0]["transfer"].update({"raw_bytes": 1}),
    "a cold start of an unknown runtime": lambda d: d["cold_starts"][0].update({"backend": "tfjs"}),
    "a LiteRT.js run without 2 threads": lambda d: next(iter(d["litert"].values()))["browser"].pop("2"),
    "LiteRT.js with 1 thread on an isolated page":
        lambda d: next(iter(d["litert"].values()))["browser"]["1"].update({"cross_origin_isolated": True}),
    "onnxruntime-web beside LiteRT.js without its median":
        lambda d: next(iter(d["litert"].values()))["onnx"]["browser"]["1"].pop("median_ms"),
    "LiteRT.js runs without LiteRT.js's version": lambda d: d["versions"].pop("litertjs"),
    "no default experiment": lambda d: d["experiments"].pop(0),
    "no WebNN answer for the default browser": lambda d: d["webnn"].clear(),
    "another schema version": lambda d: d.update({"schema_version": 1}),
    "the machine's CPU missing": lambda d: d["machine"].pop("cpu"),
}


def test_the_fixture_is_a_valid_results_file(manifest):
    check(fixture_results(next(iter(manifest["models"]))))


@pytest.mark.parametrize("what", BROKEN)
def test_a_results_file_that_contradicts_itself_fails_the_build(what, render, manifest):
    data = _broken(next(iter(manifest["models"])), BROKEN[what])
    with pytest.raises(ResultsError):
        check(data)  # what benchmarks/run.py runs before it writes the file
    with pytest.raises(PluginError, match="make bench"):
        render("<!-- benchmark: table -->", data)  # what the site's build runs when it reads it


# ---------------------------------------------------------------------------
# The page's markers
# ---------------------------------------------------------------------------


def test_every_part_renders_the_fixture(render, manifest):
    key = pretrained_key(manifest)
    data = with_int8(fixture_results(key), key)
    html = render("\n".join(f"<!-- benchmark: {p} -->" for p in lwm_bench.PARTS), data)
    assert "Test CPU 9000" in html and "2000-01-02T03:04:05+00:00" in html
    assert fmt_ratio(7.0) in html and fmt_ratio(2.5) in html  # the headline, 1 and 2 threads
    assert fmt_ms(3.75) in html and fmt_ms(14.0) in html  # browser medians
    assert fmt_ms(1222.0) in html  # cold start
    # transfer: on disk, as received (brotli) and for a gzip-only host
    assert fmt_bytes(9_876_543) in html and fmt_bytes(4_321_000) in html and fmt_bytes(5_432_100) in html
    assert fmt_ms(77.5) in html  # an experiment's first run
    assert fmt_ratio(8.8) in html and fmt_ratio(13.0) in html  # the MatMul ceiling
    assert "navigator.ml is not defined" in html  # WebNN
    assert "refused by the runtime" in html and "1.50" in html  # experiments, relative to the default
    assert "<svg" in html and 'role="img"' in html  # the chart
    assert fmt_ratio(9_000_000 / 4_000_000) + " smaller" in html  # the wasm's compression
    # LiteRT.js beside onnxruntime-web: its medians, native LiteRT's, the ratio of the two
    # browser runtimes, its cold start and its runtime's bytes on disk and sent, its version
    assert fmt_ms(6.5) in html and fmt_ms(3.25) in html and fmt_ms(1.75) in html and fmt_ratio(0.5) in html
    assert fmt_ms(2222.0) in html and fmt_bytes(9_445_834) in html and fmt_bytes(1_993_857) in html
    assert "LiteRT.js 6.6.6" in html


def test_the_default_path_is_each_runtimes_int8_file_against_native_fp32(render, manifest):
    """Both browser rows come from the same interleaved rounds, each ÷ native onnxruntime on
    the fp32 file with the same threads; the onnxruntime-web row is marked as the default."""
    key = pretrained_key(manifest)
    data = with_int8(fixture_results(key), key)
    html = render("<!-- benchmark: default-path -->", data)
    # native fp32 (the LiteRT block's: 2.0 / 1.5 ms); onnxruntime-web int8 18 / 9.75 ms; LiteRT.js int8 4.5 / 2.625
    for ms in (2.0, 1.5, 18.0, 9.75, 4.5, 2.625):
        assert fmt_ms(ms) in html, ms
    for x in (9.0, 6.5, 2.25, 1.75):
        assert f"<strong>{fmt_ratio(x)}</strong>" in html, x
    assert "the classifier's default" in html
    # not the main table's int8 run (21 / 11 ms), which was not interleaved with LiteRT.js
    assert fmt_ms(21.0) not in html and fmt_ms(11.0) not in html
    assert render("<!-- benchmark: ort-int8-ratio -->", data).strip() == fmt_ratio(6.5)
    assert render("<!-- benchmark: litert-int8-ratio -->", data).strip() == fmt_ratio(1.75)
    assert render("<!-- benchmark: litert-int8-speedup -->", data).strip() == (
        f"{fmt_ratio(18.0 / 4.5)} sooner with 1 thread and {fmt_ratio(9.75 / 2.625)} with 2")
    # without the int8 .tflite timing: the main table's int8 row, against the main table's fp32
    del data["litert"][key]["int8"]
    html = render("<!-- benchmark: default-path -->", data)
    assert fmt_ms(11.0) in html and fmt_ratio(11.0 / 1.5) in html and "LiteRT.js, int8" not in html


def test_a_model_that_does_not_classify_has_no_default_path(render, manifest):
    untrained = [k for k, m in manifest["models"].items() if not m["pretrained"]]
    if not untrained:
        pytest.skip("every model of this export classifies")
    data = with_int8(fixture_results(untrained[0]), untrained[0])
    with pytest.raises(PluginError, match="no int8 file of a model that classifies"):
        render("<!-- benchmark: default-path -->", data)


def test_every_element_devicebench_looks_up_is_in_the_device_part(render, manifest):
    """templates/device.html holds the ids that site_app/devicebench.js finds its elements by:
    one renamed on either side is a missing element here, not a blank section on the page."""
    import re

    script = (ROOT / "site_app" / "devicebench.js").read_text()
    ids = re.findall(r"\$\('([\w-]+)'\)", script)
    ids += re.findall(r"querySelector\('#([\w-]+)", script)
    assert len(ids) >= 10, ids
    html = render("<!-- benchmark: device -->", fixture_results(next(iter(manifest["models"]))))
    defined = re.findall(r'\bid="([^"]+)"', html)
    assert len(defined) == len(set(defined)), "an id defined twice"
    assert sorted(set(ids) - set(defined)) == []
    # '#lwm-device fieldset': the picker's boxes, one per model file
    picker = html[html.index("<fieldset"):html.index("</fieldset>")]
    assert picker.count('type="checkbox"') == sum(len(m["variants"]) for m in manifest["models"].values())


def test_the_results_file_is_read_and_checked_once_per_page(render, manifest, monkeypatch):
    """The Benchmarks page holds 21 markers; every one reads the same results file."""
    page = (ROOT / "docs" / "benchmarks.md").read_text()
    assert page.count("<!-- benchmark:") > 10
    checked = []
    monkeypatch.setattr(lwm_bench, "check", lambda data: checked.append(data))
    key = pretrained_key(manifest)
    data = with_int8(fixture_results(key), key)
    render(page, data)
    assert len(checked) == 1
    # a page built after the file changed reads it again (mkdocs serve rebuilds)
    data["generated_at"] = "2001-02-03T04:05:06+00:00"
    assert "2001-02-03T04:05:06+00:00" in render("<!-- benchmark: cpu -->\n<!-- benchmark: machine -->", data)
    assert len(checked) == 2


def test_inline_parts_name_the_models_the_results_single_out(render, manifest):
    """The prose's int8 claims are computed from the results: change the figures, the
    sentence changes."""
    key = next(iter(manifest["models"]))
    data = fixture_results(key)
    fp32 = data["models"][key]["variants"]["fp32"]
    int8 = json.loads(json.dumps(fp32))

    def set_1_thread(native: float, browser: float) -> None:
        int8["native"]["1"].update(_timing(native))
        int8["browser"]["1"].update(_timing(browser))
        int8["ratio"]["1"] = round(browser / native, 2)

    set_1_thread(3.0, 10.0)  # slower than fp32's 2.0 natively, faster than its 14.0 in the browser
    data["models"][key]["variants"]["int8"] = int8
    slower = render("<!-- benchmark: int8-slower -->", data)
    assert "int8 is slower than fp32 for" in slower and f"#{key}" in slower
    assert fmt_ratio(1.5) + " the fp32 time, 1 thread)" in slower
    faster = render("<!-- benchmark: int8-faster-browser -->", data)
    assert "faster than the fp32 one for 1 of the 1 models" in faster and "(1 thread only)" in faster
    set_1_thread(1.0, 20.0)
    assert "at least as fast" in render("<!-- benchmark: int8-slower -->", data)
    assert "slower than the fp32 one for all 1 models" in render("<!-- benchmark: int8-faster-browser -->", data)
    assert render("<!-- benchmark: goal-ratio -->", data).strip() == fmt_ratio(lwm_bench.GOAL_RATIO)


# the parts that show native latency or a browser ÷ native ratio
NATIVE_PARTS = ("cpu", "ratio", "table", "chart", "ceiling", "goals", "machine")


def test_every_native_figure_names_the_cpus_instruction_sets(render, manifest):
    data = fixture_results(next(iter(manifest["models"])))
    data["machine"].update(cpu_features=["avx2", "fma", "avx512f", "avx512_vnni"], cpu_summary="AVX-512 + VNNI")
    for part in NATIVE_PARTS:
        html = render(f"<!-- benchmark: {part} -->", data)
        assert "Test CPU 9000" in html and "AVX-512 + VNNI" in html, part
        assert lwm_bench.NOT_RECORDED not in html, part
    assert "avx2 fma avx512f avx512_vnni" in render("<!-- benchmark: machine -->", data)
    assert render("<!-- benchmark: cpu -->", data) == "Test CPU 9000 (AVX-512 + VNNI)"


def test_a_results_file_from_before_the_features_were_recorded_still_renders(render, manifest):
    data = fixture_results(next(iter(manifest["models"])))
    assert "cpu_summary" not in data["machine"]
    for part in NATIVE_PARTS:
        html = render(f"<!-- benchmark: {part} -->", data)
        assert "Test CPU 9000" in html and lwm_bench.NOT_RECORDED in html, part
    # recorded but unknown (a platform the benchmark cannot read features on) reads the same
    data["machine"].update(cpu_features=[], cpu_summary=None)
    assert render("<!-- benchmark: cpu -->", data) == f"Test CPU 9000 ({lwm_bench.NOT_RECORDED})"


def test_the_goal_verdicts_follow_the_figures(render, manifest):
    key = next(iter(manifest["models"]))
    data = fixture_results(key)
    assert "met." in render("<!-- benchmark: ratio -->", data)  # 2.5× is within 3×
    r = data["models"][key]["variants"]["fp32"]
    r["browser"]["2"].update(median_ms=5.25, p90_ms=6.0)
    r["ratio"]["2"] = 3.5
    assert "not met" in render("<!-- benchmark: ratio -->", data)
    assert "not met" not in render("<!-- benchmark: cold-start -->", data)
    data["cold_start"]["median_ms"] = 2000.0
    assert "not met" in render("<!-- benchmark: cold-start -->", data)
    data["cold_start"]["median_ms"] = 1000.0
    transfer = data["cold_start"]["transfer"]
    transfer["files"][0]["transferred_bytes"] += 8_500_000 - transfer["transferred_bytes"]
    transfer["transferred_bytes"] = 8_500_000  # the compressed goal reads the wire
    assert "not met" in render("<!-- benchmark: cold-start -->", data)


def test_a_missing_results_file_fails_the_build_saying_how_to_make_it(render):
    with pytest.raises(PluginError, match="make bench"):
        render("<!-- benchmark: table -->", None)


def test_a_file_that_is_not_a_results_file_fails_the_build(render, manifest):
    with pytest.raises(PluginError, match="not valid JSON"):
        render("<!-- benchmark: table -->", "{not json")
    data = fixture_results(next(iter(manifest["models"])))
    del data["cold_start"]
    with pytest.raises(PluginError, match="cold_start"):
        render("<!-- benchmark: table -->", data)


def test_an_unknown_part_fails_the_build(render, manifest):
    with pytest.raises(PluginError, match="benchmark marker needs one of"):
        render("<!-- benchmark: tabel -->", fixture_results(next(iter(manifest["models"]))))


# ---------------------------------------------------------------------------
# The command's own arithmetic
# ---------------------------------------------------------------------------


def test_median_and_p90_of_timed_runs():
    # export/measure.py's summarize: the exporter's native latency and every benchmark figure
    assert summarize([5.0, 1.0, 4.0, 2.0, 3.0, 10.0, 6.0, 7.0, 8.0, 9.0]) == {"median_ms": 5.5, "p90_ms": 9.0, "runs": 10}
    assert summarize([3.0, 1.0, 2.0]) == {"median_ms": 2.0, "p90_ms": 2.0, "runs": 3}
    assert summarize([0.12345]) == {"median_ms": 0.123, "p90_ms": 0.123, "runs": 1}


def test_litert_parts_compute_their_claims_from_the_runs(render, manifest):
    key = next(iter(manifest["models"]))
    data = fixture_results(key)
    # 6.5 / 13.0 and 3.25 / 6.5: half onnxruntime-web's time on both thread counts
    assert render("<!-- benchmark: litert-ratio -->", data).strip() == (
        f"{fmt_ratio(0.5)} onnxruntime-web's time with 1 thread and {fmt_ratio(0.5)} with 2, "
        "on the same fp32 weights of 1 model")
    lrt = data["litert"][key]
    lrt["browser"]["2"].update(_timing(9.75))
    assert f"{fmt_ratio(1.5)} with 2" in render("<!-- benchmark: litert-ratio -->", data)
    # without the converter's environment there is no native LiteRT: the table says so
    lrt["native"] = None
    check(data)
    assert "—" in render("<!-- benchmark: litert -->", data)
    # a run without .tflite files (make tflite not run) cannot render the LiteRT.js section
    data["litert"] = {}
    check(data)
    with pytest.raises(PluginError, match="make tflite"):
        render("<!-- benchmark: litert -->", data)


def test_results_hold_litert_beside_onnxruntime_for_every_tflite_file(manifest):
    # not a check of the file's shape: it fails when .tflite copies are exported but not benchmarked
    results = lwm_bench.load_results(ROOT / "benchmarks" / "results.json")
    tflite = [k for k, e in manifest["models"].items() if "tflite" in e["variants"].get("fp32", {})]
    assert sorted(results["litert"]) == sorted(tflite), "run make tflite, then make bench"
    for key, r in results["litert"].items():
        assert r["file"] == manifest["models"][key]["variants"]["fp32"]["tflite"]["file"]
        assert r["native"] is not None, f"{key}: native LiteRT not timed (no .venv-litert when make bench ran)"
        # 1 thread: the relaxed-SIMD build without isolation; 2: the threaded build, isolated
        assert r["browser"]["1"]["build"] == "litert_wasm_internal.js"
        assert r["browser"]["2"]["build"] == "litert_wasm_threaded_internal.js"
    assert [c["backend"] for c in results["cold_starts"]] == ["ort", "litert"]


def opprofile_fixture(key: str) -> dict:
    def f(file, browser, native):
        return {"file": file, "browser_median_ms": sum(browser), "browser_ms": dict(zip(lwm_bench_kinds(), browser)),
                "native_ms": dict(zip(lwm_bench_kinds(), native))}
    return {"generated_at": "2000-01-02T03:04:05+00:00", "command": "x", "browser": "Chromium 1.2.3 (headless)",
            "onnxruntime": "9.9.9", "models": {key: {
                "fp32": f(f"{key}.fp32.onnx", [20.0, 40.0, 2.0, 1.0], [2.0, 8.0, 0.5, 0.5]),
                "int8 (QDQ)": f(f"{key}.int8.onnx", [44.0, 26.0, 2.0, 8.0], [2.0, 8.0, 0.5, 0.5]),
                lwm_bench.CLASSIFIER_INT8: f(f"{key}.int8.opt.onnx", [42.0, 24.0, 2.0, 6.0], [2.0, 8.0, 0.5, 0.5]),
            }}}


def lwm_bench_kinds():
    return [k for k, _ in lwm_bench.PROFILE_KINDS]


def test_the_int8_profile_is_read_per_kind_and_its_sentence_computed(render, manifest, monkeypatch, tmp_path):
    key = pretrained_key(manifest)
    path = tmp_path / "opprofile.json"
    path.write_text(json.dumps(opprofile_fixture(key)))
    monkeypatch.setattr(lwm_bench, "OPPROFILE", path)
    data = with_int8(fixture_results(key), key)
    html = render("<!-- benchmark: int8-profile -->", data)
    # the classifier's int8 file: depthwise 42 ms, 21x native; all kernels 74 ms, 6.73x native 11 ms
    assert f"{fmt_ms(42.0)}<br><strong>{fmt_ratio(21.0)}</strong>" in html
    assert f"{fmt_ms(74.0)}<br><strong>{fmt_ratio(74.0 / 11.0)}</strong>" in html
    assert f"{key}.int8.opt.onnx" in html and "Everything else" in html
    text = render("<!-- benchmark: int8-depthwise -->", data)
    assert f"int8 depthwise convolutions took {fmt_ratio(21.0)} their native time" in text
    assert f"int8 pointwise ones {fmt_ratio(3.0)}" in text
    assert f"took {fmt_ratio(24.0 / 40.0)} the time in the pointwise layers and {fmt_ratio(42.0 / 20.0)} in the depthwise" in text
    # a profile without a kind, or no profile at all: the build stops and says what to run
    broken = opprofile_fixture(key)
    del broken["models"][key]["fp32"]["browser_ms"]["other"]
    path.write_text(json.dumps(broken))
    with pytest.raises(PluginError, match="benchmarks.opprofile"):
        render("<!-- benchmark: int8-profile -->", data)
    path.unlink()
    with pytest.raises(PluginError, match="benchmarks.opprofile"):
        render("<!-- benchmark: int8-profile -->", data)


def test_a_worker_fetch_counted_by_the_server_is_what_the_server_sends(tmp_path):
    """Chromium reports no body size for a worker's requests (LiteRT.js's worker fetches the
    model itself), so the cold start counts what site_app/serve.py sends: a model file has no
    brotli sidecar, and counting its own size made the default page's transfer 0.9 MB too large."""
    import brotli

    from benchmarks.coldstart import served_bytes
    from site_app.browser import serve_in_thread
    from urllib.request import Request, urlopen

    (tmp_path / "index.html").write_text("<p>site</p>")
    model = tmp_path / "m.tflite"
    model.write_bytes(bytes(range(64)) * 20_000)  # compressible, as a model's weights partly are
    script = tmp_path / "w.js"
    script.write_text("postMessage(1);\n" * 500)
    script.with_name("w.js.br").write_bytes(brotli.compress(script.read_bytes(), quality=11))
    server = serve_in_thread(tmp_path)
    try:
        for f in (model, script):
            with urlopen(Request(server.url + f.name, headers={"Accept-Encoding": "br"})) as r:
                assert r.headers["Content-Encoding"] == "br"
                sent = len(r.read())
            assert served_bytes(f, f.read_bytes(), "br") == sent < f.stat().st_size
    finally:
        server.shutdown()
    assert served_bytes(model, model.read_bytes(), "identity") == model.stat().st_size
    (tmp_path / "x.bin").write_bytes(b"1")
    with pytest.raises(ValueError, match="no sidecar"):
        served_bytes(tmp_path / "x.bin", b"1", "br")
