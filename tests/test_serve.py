"""site_app/serve.py: brotli sidecars, models compressed on request, and the headers it keeps.

Run: .venv/bin/python -m pytest tests/test_serve.py

Each test serves a small site made in a temporary folder, on a free port, and talks HTTP to it.
"""

from __future__ import annotations

import http.client
import os
import threading
from pathlib import Path

import brotli
import pytest

from site_app.browser import serve_in_thread
from site_app.serve import BrotliCache, accepts_br, main, make_server

BR = "gzip, deflate, br, zstd"  # what Chromium sends to 127.0.0.1
# a script and a "model" that brotli shrinks
SCRIPT = b"".join(b"export const value%d = %d * 2;\n" % (i, i) for i in range(2000))
MODEL = b"ONNX" + bytes(range(256)) * 400 + b"weights " * 5000


@pytest.fixture
def site(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>home</title>" + "<p>text</p>" * 500)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.js").write_bytes(SCRIPT)
    (tmp_path / "app" / "main.js.br").write_bytes(brotli.compress(SCRIPT))
    (tmp_path / "app" / "plain.css").write_text("body { color: teal }\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.onnx").write_bytes(MODEL)
    (tmp_path / "models" / "m.fp32.tflite").write_bytes(MODEL)  # LiteRT.js's copy (export/tflite.py)
    return tmp_path


def start(directory: Path, **kwargs):
    # a short poll so that shutdown() at the end of each test returns at once
    return serve_in_thread(directory, poll_interval=0.05, **kwargs)


@pytest.fixture
def server(site):
    server = start(site)
    yield server
    server.shutdown()
    server.server_close()


def fetch(server, path, accept=BR, method="GET", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    conn.request(method, path, headers={**({"Accept-Encoding": accept} if accept else {}), **(headers or {})})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def test_sidecar_is_sent_to_a_browser_that_accepts_br(server, site):
    response, body = fetch(server, "/app/main.js")
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "br"
    assert response.getheader("Content-Type") == "text/javascript"
    assert int(response.getheader("Content-Length")) == (site / "app" / "main.js.br").stat().st_size == len(body)
    assert response.getheader("Vary") == "Accept-Encoding"
    assert brotli.decompress(body) == SCRIPT


@pytest.mark.parametrize("accept", [None, "gzip, deflate", "br;q=0, gzip", "identity"])
def test_no_br_for_a_client_that_did_not_ask_for_it(server, accept):
    response, body = fetch(server, "/app/main.js", accept=accept)
    assert response.status == 200
    assert response.getheader("Content-Encoding") is None
    assert body == SCRIPT
    response, body = fetch(server, "/models/m.onnx", accept=accept)
    assert response.getheader("Content-Encoding") is None
    assert body == MODEL


def test_accept_encoding_parsing():
    assert accepts_br("gzip, deflate, br, zstd")
    assert accepts_br("BR;q=0.5")
    assert accepts_br("gzip, *")
    assert not accepts_br("br;q=0, *")
    assert not accepts_br("*;q=0")
    assert not accepts_br("gzip, brotli")
    assert not accepts_br("br;q=nonsense")
    assert not accepts_br("")
    assert not accepts_br(None)


def test_stale_sidecar_is_ignored(server, site):
    sidecar = site / "app" / "main.js.br"
    source = site / "app" / "main.js"
    os.utime(sidecar, ns=(source.stat().st_mtime_ns - 10**9,) * 2)  # the source changed after the build
    response, body = fetch(server, "/app/main.js")
    assert response.getheader("Content-Encoding") is None
    assert body == SCRIPT


def test_a_sidecar_is_not_served_by_its_own_name(server):
    response, _ = fetch(server, "/app/main.js.br")
    assert response.status == 404
    response, _ = fetch(server, "/app/main.js.br", accept=None)
    assert response.status == 404


def test_small_file_without_sidecar_is_sent_as_is(server):
    response, body = fetch(server, "/app/plain.css")
    assert response.getheader("Content-Encoding") is None
    assert response.getheader("Content-Type") == "text/css"
    assert body == b"body { color: teal }\n"


def test_folder_index_uses_its_sidecar(server, site):
    html = (site / "index.html").read_bytes()
    (site / "index.html.br").write_bytes(brotli.compress(html))
    response, body = fetch(server, "/")
    assert response.getheader("Content-Encoding") == "br"
    assert response.getheader("Content-Type") == "text/html"
    assert brotli.decompress(body) == html
    response, _ = fetch(server, "/app")  # a folder without its slash is still redirected
    assert response.status == 301


def test_a_tflite_file_is_compressed_on_request_as_an_onnx_file_is(server):
    response, body = fetch(server, "/models/m.fp32.tflite")
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "br"
    assert response.getheader("Content-Type") == "application/octet-stream"
    assert brotli.decompress(body) == MODEL
    response, body = fetch(server, "/models/m.fp32.tflite", accept=None)
    assert response.getheader("Content-Encoding") is None and body == MODEL


def test_model_is_compressed_once_on_request(server):
    cache = server.model_cache
    assert cache.compressions == 0
    response, body = fetch(server, "/models/m.onnx")
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "br"
    assert response.getheader("Content-Type") == "application/octet-stream"
    assert int(response.getheader("Content-Length")) == len(body) < len(MODEL)
    assert brotli.decompress(body) == MODEL
    assert cache.compressions == 1

    again, body_again = fetch(server, "/models/m.onnx")
    assert body_again == body
    assert cache.compressions == 1  # served from memory


def test_model_changed_on_disk_is_compressed_again(server, site):
    fetch(server, "/models/m.onnx")
    changed = MODEL + b"more weights" * 100
    (site / "models" / "m.onnx").write_bytes(changed)
    os.utime(site / "models" / "m.onnx", ns=(10**18, 10**18))  # a new mtime whatever the clock's grain
    _, body = fetch(server, "/models/m.onnx")
    assert brotli.decompress(body) == changed
    assert server.model_cache.compressions == 2


def test_concurrent_requests_compress_a_model_once(server):
    bodies = []
    threads = [threading.Thread(target=lambda: bodies.append(fetch(server, "/models/m.onnx")[1])) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [brotli.decompress(b) for b in bodies] == [MODEL] * 8
    assert server.model_cache.compressions == 1


def test_cache_evicts_the_least_recently_used(tmp_path):
    files = []
    for i in range(3):
        f = tmp_path / f"{i}.onnx"
        f.write_bytes(bytes([i]) * 100_000)
        files.append(str(f))
    one = len(brotli.compress(bytes(100_000), quality=5))
    cache = BrotliCache(max_bytes=2 * one + one // 2)  # room for two results
    cache.get(files[0])
    cache.get(files[1])
    cache.get(files[0])  # 0 is now the most recent
    cache.get(files[2])  # evicts 1
    assert cache.compressions == 3
    cache.get(files[0])
    assert cache.compressions == 3
    cache.get(files[1])
    assert cache.compressions == 4


def test_head_sends_the_get_headers_without_a_body(server):
    for path in ("/app/main.js", "/models/m.onnx", "/app/plain.css"):
        get, get_body = fetch(server, path)
        head, head_body = fetch(server, path, method="HEAD")
        assert head.status == 200, path
        assert head_body == b"", path
        for name in ("Content-Type", "Content-Encoding", "Content-Length", "Vary", "Last-Modified"):
            assert head.getheader(name) == get.getheader(name), (path, name)
        assert int(head.getheader("Content-Length")) == len(get_body), path


def test_if_modified_since_gives_304_for_compressed_bodies(server):
    first, _ = fetch(server, "/app/main.js")
    again, body = fetch(server, "/app/main.js", headers={"If-Modified-Since": first.getheader("Last-Modified")})
    assert again.status == 304
    assert body == b""


@pytest.mark.parametrize("isolate", [True, False])
def test_isolation_and_cache_headers_are_kept(site, isolate):
    server = start(site, isolate=isolate)
    try:
        for path in ("/app/main.js", "/models/m.onnx", "/app/plain.css"):
            response, _ = fetch(server, path)
            assert response.getheader("Cross-Origin-Resource-Policy") == "same-origin"
            assert response.getheader("Cache-Control") == "no-cache"
            coop, coep = response.getheader("Cross-Origin-Opener-Policy"), response.getheader("Cross-Origin-Embedder-Policy")
            assert (coop, coep) == (("same-origin", "require-corp") if isolate else (None, None)), path
    finally:
        server.shutdown()
        server.server_close()


def test_no_compression_sends_files_as_they_are(site):
    server = start(site, compress=False)
    try:
        assert server.model_cache is None
        for path, data in (("/app/main.js", SCRIPT), ("/models/m.onnx", MODEL)):
            response, body = fetch(server, path)
            assert response.getheader("Content-Encoding") is None
            assert response.getheader("Vary") is None
            assert body == data
    finally:
        server.shutdown()
        server.server_close()


def test_command_line_flags(site, monkeypatch):
    made = {}

    def fake_make_server(directory, port, isolate=True, *, compress=True):
        made.update(directory=directory, port=port, isolate=isolate, compress=compress)
        raise OSError("stop here")

    monkeypatch.setattr("site_app.serve.make_server", fake_make_server)
    assert main(["--dir", str(site), "--port", "0", "--no-compression", "--no-isolation"]) == 1
    assert made == {"directory": site, "port": 0, "isolate": False, "compress": False}
    assert main(["--dir", str(site), "--port", "0"]) == 1
    assert (made["isolate"], made["compress"]) == (True, True)


def test_missing_site_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="make site"):
        make_server(tmp_path, 0)
