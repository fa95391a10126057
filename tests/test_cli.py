"""The exporter's command line: help, and a clear non-zero exit for each kind of bad input."""

import os
import subprocess
import sys

from export.registry import list_models

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "export", *args], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, **(env or {})}, timeout=300,
    )


def test_help_lists_every_model():
    r = run("--help")
    assert r.returncode == 0
    flat = " ".join(r.stdout.split())
    for name in list_models():
        assert name in flat


def test_unknown_model_exits_2_and_lists_valid_names():
    r = run("mobilenet_v9", "--out", "/tmp/never-written")
    assert r.returncode == 2
    assert "unknown model(s): mobilenet_v9" in r.stderr and "efficientnet_lite0" in r.stderr


def test_unknown_variant_exits_2():
    r = run("squeezenet1_1", "--variants", "fp8")
    assert r.returncode == 2 and "fp8" in r.stderr


def test_output_under_a_read_only_filesystem_exits_4():
    # /proc is read-only even for root, so this holds in CI too
    r = run("squeezenet1_1", "--out", "/proc/lightweight-models")
    assert r.returncode == 4 and "cannot write to output folder /proc/lightweight-models" in r.stderr


def test_missing_weights_exit_3_and_say_where_to_put_them(tmp_path):
    r = run(
        "resnet18", "--no-download", "--out", str(tmp_path / "out"), "--weights-dir", str(tmp_path / "w"),
        env={"TORCH_HOME": str(tmp_path / "th")},
    )
    assert r.returncode == 3
    assert "resnet18-f37072fd.pth" in r.stderr and str(tmp_path / "w") in r.stderr
    assert "--allow-untrained" in r.stderr
    assert not (tmp_path / "out" / "resnet18.fp32.onnx").exists()


def test_a_second_export_keeps_what_has_not_changed(tmp_path):
    """Unchanged code, weights, libraries and options: the model is kept, its files untouched.
    A file that no longer matches its checksum is exported again, to the same bytes (the
    export is deterministic)."""
    import json

    out = tmp_path / "out"
    args = ("mobilenet_v3_small", "--allow-untrained", "--no-download", "--variants", "fp32",
            "--threads", "1", "--out", str(out))
    env = {"TORCH_HOME": str(tmp_path / "th")}
    first = run(*args, env=env)
    assert first.returncode == 0, first.stderr
    entry = json.loads((out / "models.json").read_text())["models"]["mobilenet_v3_small"]
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.onnx")}
    assert list(stamps) == ["mobilenet_v3_small.fp32.onnx"]

    second = run(*args, env=env)
    assert second.returncode == 0 and "kept, unchanged since the last export" in second.stdout
    assert json.loads((out / "models.json").read_text())["models"]["mobilenet_v3_small"] == entry
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.onnx")} == stamps

    (out / "mobilenet_v3_small.fp32.onnx").write_bytes(b"not a model")
    third = run(*args, env=env)
    assert third.returncode == 0 and "kept" not in third.stdout
    again = json.loads((out / "models.json").read_text())["models"]["mobilenet_v3_small"]
    assert again["variants"]["fp32"]["sha256"] == entry["variants"]["fp32"]["sha256"]


def test_jobs_must_not_be_negative():
    r = run("squeezenet1_1", "--jobs", "-1")
    assert r.returncode == 2 and "--jobs" in r.stderr
