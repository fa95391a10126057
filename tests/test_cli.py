"""The exporter's command line: help, a clear non-zero exit for each kind of bad input, and a
second export that keeps what has not changed.

``main(argv)`` is called in this process: it returns the exit code ``python -m export`` exits
with, and one test runs the real entry point to hold that last step.
"""

import copy
import json
import os
import subprocess
import sys

import pytest

from export.cli import main
from export.measure import file_stats
from export.cachekey import reusable
from export.registry import list_models

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(capsys, *args):
    """``main`` on these arguments: (exit code, stdout, stderr)."""
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_python_m_export_exits_with_mains_code():
    # the one subprocess: export/__main__.py must hand main's code to the shell, not exit 0
    r = subprocess.run(
        [sys.executable, "-m", "export", "mobilenet_v9", "--out", "/tmp/never-written"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 2
    assert "unknown model(s): mobilenet_v9" in r.stderr


def test_help_lists_every_model(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    flat = " ".join(capsys.readouterr().out.split())
    for name in list_models():
        assert name in flat


def test_unknown_model_exits_2_and_lists_valid_names(capsys):
    code, _, err = run(capsys, "mobilenet_v9", "--out", "/tmp/never-written")
    assert code == 2
    assert "unknown model(s): mobilenet_v9" in err and "efficientnet_lite0" in err


def test_unknown_variant_exits_2(capsys):
    code, _, err = run(capsys, "squeezenet1_1", "--variants", "fp8")
    assert code == 2 and "fp8" in err


def test_output_under_a_read_only_filesystem_exits_4(capsys):
    # /proc is read-only even for root, so this holds in CI too
    code, _, err = run(capsys, "squeezenet1_1", "--out", "/proc/lightweight-models")
    assert code == 4 and "cannot write to output folder /proc/lightweight-models" in err


def test_missing_weights_exit_3_and_say_where_to_put_them(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    code, _, err = run(capsys, "resnet18", "--no-download", "--out", str(tmp_path / "out"),
                       "--weights-dir", str(tmp_path / "w"))
    assert code == 3
    assert "resnet18-f37072fd.pth" in err and str(tmp_path / "w") in err
    assert "--allow-untrained" in err
    assert not (tmp_path / "out" / "resnet18.fp32.onnx").exists()


def test_jobs_must_not_be_negative(capsys):
    code, _, err = run(capsys, "squeezenet1_1", "--jobs", "-1")
    assert code == 2 and "--jobs" in err


# --- keeping an unchanged export -----------------------------------------------------------

def written_entry(manifest, out_dir, key="k"):
    """A real manifest entry (so it has every field its record asks for), whose int8 variant
    and optimized copy are two small files on disk, as it measured them."""
    entry = copy.deepcopy(manifest["models"]["squeezenet1_1"])
    int8 = entry["variants"]["int8"]
    for name, data, record in (("m.int8.onnx", b"the int8 model", int8),
                               ("m.int8.opt.onnx", b"its optimized copy", int8["optimized"])):
        (out_dir / name).write_bytes(data)
        record.update({"file": name, **file_stats(out_dir / name, compress=False)})
    entry["variants"] = {"int8": int8}
    entry["export_key"] = key
    return entry


def test_an_entry_is_reused_only_with_the_same_key_and_every_file_as_measured(manifest, tmp_path):
    entry = written_entry(manifest, tmp_path)
    assert reusable(entry, "k", tmp_path)
    assert not reusable(None, "k", tmp_path)  # nothing exported before
    assert not reusable(entry, "another key", tmp_path)  # code, weights, libraries or options changed
    stale = {k: v for k, v in entry.items() if k != "cam"}
    assert not reusable(stale, "k", tmp_path)  # written before a field was added


@pytest.mark.parametrize("name", ["m.int8.onnx", "m.int8.opt.onnx"])
@pytest.mark.parametrize("change", ["deleted", "other size", "same size, other bytes"])
def test_an_entry_whose_file_changed_is_not_reused(manifest, tmp_path, name, change):
    entry = written_entry(manifest, tmp_path)
    path = tmp_path / name
    if change == "deleted":
        path.unlink()
    elif change == "other size":
        path.write_bytes(b"not a model")
    else:
        data = path.read_bytes()
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert not reusable(entry, "k", tmp_path)


def test_a_second_export_keeps_what_has_not_changed(capsys, tmp_path, monkeypatch):
    """Unchanged code, weights, libraries and options: the model is kept, its files untouched.
    A file that no longer matches its checksum is exported again, to the same bytes (the
    export is deterministic)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    out = tmp_path / "out"
    args = ("mobilenet_v3_small", "--allow-untrained", "--no-download", "--variants", "fp32",
            "--threads", "1", "--out", str(out), "--weights-dir", str(tmp_path / "w"))
    code, _, err = run(capsys, *args)
    assert code == 0, err
    entry = json.loads((out / "models.json").read_text())["models"]["mobilenet_v3_small"]
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.onnx")}
    assert list(stamps) == ["mobilenet_v3_small.fp32.onnx"]

    code, stdout, _ = run(capsys, *args)
    assert code == 0 and "kept, unchanged since the last export" in stdout
    assert json.loads((out / "models.json").read_text())["models"]["mobilenet_v3_small"] == entry
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.onnx")} == stamps

    (out / "mobilenet_v3_small.fp32.onnx").write_bytes(b"not a model")
    code, stdout, _ = run(capsys, *args)
    assert code == 0 and "kept" not in stdout
    again = json.loads((out / "models.json").read_text())["models"]["mobilenet_v3_small"]
    assert again["variants"]["fp32"]["sha256"] == entry["variants"]["fp32"]["sha256"]
