"""MkDocs hook: copy every runtime file the pages load into the built site (no CDN).

One table, one mechanism: each row is (source folder in the repository, destination folder
in the site, glob patterns; a pattern starting with "!" excludes). npm packages are locked by package-lock.json; a missing folder
or a pattern that matches nothing fails the build.

Packages published as ES modules that import each other by bare specifier (CodeMirror,
LiteRT.js) cannot be copied file by file: a browser cannot resolve `import ... from
'@codemirror/state'`, and a worker has no import map to tell it. The
second table lists entry points under site_app/bundles/ that esbuild (an npm devDependency,
pinned like the rest) bundles into one file each; a failed bundle fails the build too.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.utils import get_relative_url

# (source folder, destination folder in the site, files to copy)
ASSETS: list[tuple[str, str, tuple[str, ...]]] = [
    # math on the docs pages: KaTeX's style sheet and its fonts (loaded relative to katex.min.css);
    # the formulas themselves are rendered at build time (hooks/katex_build.py)
    ("node_modules/katex/dist", "vendor/katex", ("katex.min.css", "fonts/*")),
    # Python in the page (site_app/py): Pyodide core and stdlib, loaded by its module worker
    ("node_modules/pyodide", "vendor/pyodide", ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")),
    # the classifier (site_app/worker.js): onnxruntime-web's WASM build and its threaded
    # .mjs/.wasm pair; the WebGPU build and its (asyncify) pair load only if the reader opts in
    ("node_modules/onnxruntime-web/dist", "vendor/onnxruntime-web", (
        "ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm",
        "ort.webgpu.min.mjs", "ort-wasm-simd-threaded.asyncify.mjs", "ort-wasm-simd-threaded.asyncify.wasm",
    )),
    # LiteRT.js, the classifier's other CPU runtime (site_app/litert.js): three of its four
    # Emscripten builds, each a .js loader and its .wasm: relaxed SIMD on one thread, relaxed
    # SIMD with threads, and the "compat" build (plain SIMD) for browsers without relaxed SIMD.
    # The JSPI build only serves WebGPU/WebNN partitioning, which the page does not use. Its
    # ES module is bundled (BUNDLES).
    ("node_modules/@litertjs/core/wasm", "vendor/litertjs/wasm", (
        "litert_wasm_internal.js", "litert_wasm_internal.wasm",
        "litert_wasm_threaded_internal.js", "litert_wasm_threaded_internal.wasm",
        "litert_wasm_compat_internal.js", "litert_wasm_compat_internal.wasm",
    )),
    # the classifier; docs/classifier.md loads app/classifier.js. messages.json: the worker
    # protocol's message types, imported by messages.js (and read by hooks/shortcodes.py)
    ("site_app", "app", ("classifier.js", "*.js", "*.css", "messages.json", "!coi-sw.js")),
    # the isolation service worker sits at the root: it controls only pages at or below it
    ("site_app", ".", ("coi-sw.js",)),
    # the in-page Python (docs/exercise.md, the compare page's console)
    ("site_app/py", "app/py", ("*.js", "*.py", "*.css")),
    # the torch-free package's catalog, which the exporter uses too, so Pyodide builds `models`
    # with the very same code, and the layer tables the MobileNet and EfficientNet builders read
    # (the architecture pages' scaling controls); Pyodide imports both as top-level modules
    ("lwm", "app/py", ("catalog.py", "scaling.py")),
]

# (entry point in the repository, bundle in the site): one minified ES module per entry
BUNDLES: list[tuple[str, str]] = [
    # the exercise editor (site_app/py/editor.js): CodeMirror 6 and its Python mode
    ("site_app/bundles/codemirror.js", "vendor/codemirror/codemirror.mjs"),
    # LiteRT.js's module and its helper (site_app/litert.js loads it in the classifier's worker)
    ("site_app/bundles/litert.js", "vendor/litertjs/litert.mjs"),
]
ESBUILD = Path("node_modules/.bin/esbuild")


def bundle(entry: str, outfile: Path) -> None:
    if not ESBUILD.is_file():
        raise PluginError(f"{ESBUILD} not found: run `npm ci` first")
    cmd = [str(ESBUILD), entry, "--bundle", "--format=esm", "--minify", "--log-level=error", f"--outfile={outfile}"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise PluginError(f"esbuild could not bundle {entry}:\n{done.stderr.strip()}")


# KaTeX's style sheet is loaded only by the pages that have math (pymdownx.arithmatex marks each
# formula with class="arithmatex", which hooks/katex_build.py keeps): a page without math would
# download and parse it for nothing. No KaTeX script: the math is rendered at build time.
KATEX_CSS = ("vendor/katex/katex.min.css",)


def on_post_page(output: str, *, page, config) -> str:
    if 'class="arithmatex"' not in output:
        return output
    if "</head>" not in output:
        raise PluginError(f"{page.file.src_uri}: no </head> to add KaTeX's style sheet to")
    css = "".join(f'<link rel="stylesheet" href="{get_relative_url(f, page.url)}">' for f in KATEX_CSS)
    head, _, rest = output.partition("</head>")
    return f"{head}{css}</head>{rest}"


def on_post_build(config, **kwargs):
    for name in ("catalog.py", "scaling.py"):
        if Path("site_app/py", name).exists():
            raise PluginError(f"site_app/py/{name} would shadow lwm/{name}: keep one copy")
    site = Path(config["site_dir"])
    for src, dest, patterns in ASSETS:
        src_dir = Path(src)
        if not src_dir.is_dir():
            hint = "run `npm ci` first" if src.startswith("node_modules") else "run mkdocs from the repository root"
            raise PluginError(f"{src_dir} not found: {hint}")
        out = site / dest
        excluded = {f for p in patterns if p.startswith("!") for f in src_dir.glob(p[1:])}
        for pattern in (p for p in patterns if not p.startswith("!")):
            matches = sorted(src_dir.glob(pattern))
            if not matches:
                raise PluginError(f"{src_dir}/{pattern} matched no file")
            for f in (m for m in matches if m not in excluded):
                target = out / f.relative_to(src_dir)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, target)
    for entry, dest in BUNDLES:
        bundle(entry, site / dest)
