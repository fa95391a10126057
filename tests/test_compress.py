"""The compress hook: brotli sidecars where they save something, reused when fresh or cached.

Run: .venv/bin/python -m pytest tests/test_compress.py
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import brotli
import pytest

import compress  # hooks/ is not a package (MkDocs loads it by path): pyproject puts it on the path

SCRIPT = b"".join(b"function f%d(x) { return x + %d; }\n" % (i, i) for i in range(3000))
NOISE = random.Random(6).randbytes(50_000)  # what brotli cannot shrink (a fixed seed)


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    (root / "vendor").mkdir(parents=True)
    (root / "vendor" / "runtime.js").write_bytes(SCRIPT)
    (root / "vendor" / "runtime.wasm").write_bytes(NOISE)
    (root / "tiny.css").write_text("a { color: red }\n")
    (root / "photo.png").write_bytes(SCRIPT)  # compressible, but not a kind the hook handles
    (root / "model.onnx").write_bytes(SCRIPT)
    return root


def test_sidecar_only_where_it_saves_something(site):
    counts = compress.precompress(site)
    sidecar = site / "vendor" / "runtime.js.br"
    assert brotli.decompress(sidecar.read_bytes()) == SCRIPT
    assert sidecar.stat().st_size <= compress.MAX_RATIO * len(SCRIPT)
    assert not (site / "vendor" / "runtime.wasm.br").exists()  # incompressible
    assert not (site / "tiny.css.br").exists()  # too small to matter
    assert not (site / "photo.png.br").exists()
    assert not (site / "model.onnx.br").exists()  # the server compresses models on request
    assert counts == {"compressed": 1, "skipped": 2}
    assert not [p for p in site.rglob("*.tmp")]


def test_fresh_sidecar_is_not_rewritten(site):
    compress.precompress(site)
    sidecar = site / "vendor" / "runtime.js.br"
    before = sidecar.stat()
    counts = compress.precompress(site)
    assert counts["fresh"] == 1 and "compressed" not in counts
    after = sidecar.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_stale_or_wrong_sidecar_is_replaced(site):
    source = site / "vendor" / "runtime.js"
    sidecar = site / "vendor" / "runtime.js.br"
    compress.precompress(site)
    source.write_bytes(SCRIPT + b"// changed\n")
    os.utime(sidecar, ns=(source.stat().st_mtime_ns - 10**9,) * 2)
    assert compress.precompress(site)["compressed"] == 1
    assert brotli.decompress(sidecar.read_bytes()) == SCRIPT + b"// changed\n"

    sidecar.write_bytes(brotli.compress(b"something else"))  # newer than its source, wrong content
    assert compress.precompress(site)["compressed"] == 1
    assert brotli.decompress(sidecar.read_bytes()) == SCRIPT + b"// changed\n"


def test_a_clean_rebuild_copies_from_the_cache(site, tmp_path):
    cache = tmp_path / "cache"
    assert compress.precompress(site, cache) == {"compressed": 1, "skipped": 2}
    (site / "vendor" / "runtime.js.br").unlink()  # MkDocs empties site/ before each build
    assert compress.precompress(site, cache) == {"cached": 1, "skipped": 2}
    assert brotli.decompress((site / "vendor" / "runtime.js.br").read_bytes()) == SCRIPT
    # the incompressible file's verdict is cached too: it is not compressed again
    assert sorted(p.suffix for p in cache.iterdir()) == [".br", ".none"]

    (site / "vendor" / "runtime.js").write_bytes(SCRIPT * 2)  # new content, new entry; the old one goes
    assert compress.precompress(site, cache)["compressed"] == 1
    assert len(list(cache.glob("*.br"))) == 1


def test_hard_linked_sources_are_never_written(site, tmp_path):
    """site/models holds hard links to build/models: only new files may appear beside them."""
    original = tmp_path / "build-models.json"
    original.write_bytes(SCRIPT)
    os.link(original, site / "models.json")
    before = original.stat()
    compress.precompress(site)
    after = original.stat()
    assert original.read_bytes() == SCRIPT
    assert (after.st_mtime_ns, after.st_nlink) == (before.st_mtime_ns, 2)
    assert (site / "models.json.br").stat().st_ino != after.st_ino


def test_hook_caches_beside_mkdocs_yml_and_can_be_turned_off(site, tmp_path, monkeypatch):
    config = {"site_dir": str(site), "config_file_path": str(tmp_path / "mkdocs.yml")}
    monkeypatch.setenv("LWM_NO_PRECOMPRESS", "1")
    compress.on_post_build(config)
    assert not list(site.rglob("*.br"))
    monkeypatch.delenv("LWM_NO_PRECOMPRESS")
    compress.on_post_build(config)
    assert (site / "vendor" / "runtime.js.br").is_file()
    assert len(list((tmp_path / "build" / "brotli").glob("*.br"))) == 1


def test_missing_folder_is_a_clear_error(site):
    with pytest.raises(FileNotFoundError, match="not a directory"):
        compress.precompress(site / "missing")


def test_opt_in_runtimes_and_large_files_get_the_faster_quality(tmp_path):
    # what the classifier's first visit loads keeps quality 11: LiteRT.js (the default
    # runtime) in its threaded and its compat build; onnxruntime-web and LiteRT.js's
    # one-thread relaxed build load only when asked for: quality 9, as files over LARGE_BYTES
    small = compress.LARGE_BYTES // 2
    for first_visit in ("litert_wasm_threaded_internal.wasm", "litert_wasm_compat_internal.wasm"):
        assert compress.quality(Path(f"site/vendor/litertjs/wasm/{first_visit}"), small) == compress.QUALITY
    assert compress.quality(Path("site/vendor/litertjs/wasm/litert_wasm_internal.wasm"), small) == compress.LARGE_QUALITY
    assert compress.quality(Path("site/vendor/onnxruntime-web/ort-wasm-simd-threaded.wasm"), small) == compress.LARGE_QUALITY
    assert compress.quality(Path("site/vendor/pyodide/pyodide.asm.wasm"), small) == compress.QUALITY
    assert compress.quality(Path("site/vendor/big.wasm"), compress.LARGE_BYTES + 1) == compress.LARGE_QUALITY
    # the cache entry names the quality, so a change of quality never reuses an old result
    source = tmp_path / "vendor" / "onnxruntime-web" / "a.js"
    source.parent.mkdir(parents=True)
    source.write_bytes(b"export const x = 1;\n" * 500)
    (tmp_path / "cache").mkdir()
    outcome, entry = compress.compress_file(source, tmp_path / "cache")
    assert outcome == "compressed" and f".q{compress.LARGE_QUALITY}w" in entry
