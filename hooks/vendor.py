"""MkDocs hook: copy runtime files from node_modules into the built site (no CDN).

Each row is (source under node_modules, destination under the site, glob patterns).
Versions are locked by package-lock.json; a missing source fails the build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError

NODE_MODULES = Path("node_modules")

# (package folder, destination folder in the site, files to copy)
VENDOR: list[tuple[str, str, tuple[str, ...]]] = [
    # math on the docs pages: KaTeX, its fonts (loaded relative to katex.min.css) and auto-render
    ("katex/dist", "vendor/katex", ("katex.min.js", "katex.min.css", "fonts/*", "contrib/auto-render.min.js")),
    # Python in the page (site_app/py): Pyodide core and stdlib, loaded by its module worker
    ("pyodide", "vendor/pyodide", ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")),
    # the classifier (site_app/worker.js): onnxruntime-web's WASM build and its threaded
    # .mjs/.wasm pair; the WebGPU build and its (asyncify) pair load only if the reader opts in
    ("onnxruntime-web/dist", "vendor/onnxruntime-web", (
        "ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm",
        "ort.webgpu.min.mjs", "ort-wasm-simd-threaded.asyncify.mjs", "ort-wasm-simd-threaded.asyncify.wasm",
    )),
]


def on_post_build(config, **kwargs):
    site = Path(config["site_dir"])
    for src, dest, patterns in VENDOR:
        src_dir = NODE_MODULES / src
        if not src_dir.is_dir():
            raise PluginError(f"{src_dir} not found: run `npm ci` first")
        out = site / dest
        out.mkdir(parents=True, exist_ok=True)
        for pattern in patterns:
            matches = sorted(src_dir.glob(pattern))
            if not matches:
                raise PluginError(f"{src_dir}/{pattern} matched no file")
            for f in matches:
                target = out / f.relative_to(src_dir)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, target)
