"""The shortcodes hook: markers become the manifest's numbers, and mistakes fail the build.

Run: .venv/bin/python -m pytest tests/test_hooks.py
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from html import unescape
from types import SimpleNamespace

import pytest
from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parents[1]
import assets
import shortcodes  # hooks/ is not a package (MkDocs loads it by path): pyproject puts it on the path
import lwm_context
import lwm_lesson
from lwm_format import fmt_bytes, fmt_count, fmt_ms


def fake_page(url: str = "architectures/mobilenet_v2/", src: str = "architectures/mobilenet_v2.md"):
    return SimpleNamespace(url=url, file=SimpleNamespace(src_uri=src))


@pytest.fixture
def render(manifest, monkeypatch):
    """Call the hook as MkDocs does, on the exported manifest."""
    monkeypatch.setattr(shortcodes, "_MANIFEST", manifest)

    def _render(markdown: str, page=None) -> str:
        config = {"docs_dir": str(ROOT / "docs")}
        return shortcodes.on_page_markdown(markdown, page=page or fake_page(), config=config, files=None)

    return _render


def test_model_card_shows_the_manifest_numbers(render, manifest):
    entry = manifest["models"]["mobilenet_v2"]
    html = render("Before.\n\n<!-- model-card: mobilenet_v2 -->\n\nAfter.")
    assert "<!--" not in html
    assert 'id="mobilenet_v2"' in html
    assert fmt_count(entry["params"]) in html
    assert fmt_count(entry["macs"]) in html
    for variant, v in entry["variants"].items():
        assert fmt_bytes(v["bytes"]) in html, variant
        assert fmt_ms(v["latency_ms"]["1"]["median_ms"]) in html, variant
    assert html.startswith("Before.") and html.endswith("After.")


def test_untrained_and_pretrained_cards_differ(render, manifest):
    for name, entry in manifest["models"].items():
        html = render(f"<!-- model-card: {name} -->")
        if entry["pretrained"]:
            assert f"classifier/?model={name}" in html
            assert "not a classifier" not in html
        elif entry["weights"]["source"] == "none":  # nothing to load, on any machine
            assert "Untrained: not a classifier" in html and "No official PyTorch weights exist" in html
            assert "could not be loaded" not in html and "export guide" not in html
            assert "classifier/?model=" not in html
        else:
            assert "Untrained in this build: not a classifier" in html
            assert "classifier/?model=" not in html


def test_agreement_is_shown_for_trained_models_only(render, manifest):
    """An untrained network's top-1 class is arbitrary: no agreement figure for it."""
    from lwm_format import fmt_pct

    table = render("<!-- quantization-table -->")
    for name, entry in manifest["models"].items():
        row = next(r for r in table.split("<tr>") if f"{name}" in r and "<td>" in r)
        int8 = entry["variants"]["int8"]["validation"]
        if entry["pretrained"]:
            assert fmt_pct(int8["top1_agreement"]) in row, name
            assert lwm_context.NOT_MEASURED_UNTRAINED not in row, name
        else:
            assert row.count(lwm_context.NOT_MEASURED_UNTRAINED) == 3, name
        card = render(f"<!-- model-card: {name} -->")
        assert (lwm_context.NOT_MEASURED_UNTRAINED in card) != entry["pretrained"], name


def test_links_are_relative_to_the_page(render, manifest):
    pretrained = next(n for n, e in manifest["models"].items() if e["pretrained"])
    html = render(f"<!-- model-card: {pretrained} -->")
    # architectures/<page>/ is two levels below the site root, wherever the site is served
    assert f'href="../../classifier/?model={pretrained}"' in html
    home = render("<!-- compare-table -->", fake_page(url="", src="index.md"))
    assert 'href="architectures/mobilenet_v2/#mobilenet_v2"' in home


def test_links_go_to_the_page_the_manifest_names(manifest):
    """A model's link follows the entry's docs_page and display_name, not a copy in the hook."""
    entry = manifest["models"]["mobilenet_v2"]
    moved = {**manifest, "models": {**manifest["models"], "mobilenet_v2": {
        **entry, "docs_page": "elsewhere/", "display_name": "Moved-Net"}}}
    assert '<a href="elsewhere/#mobilenet_v2">Moved-Net</a>' in shortcodes.expand("<!-- compare-table -->", moved, "")
    stale = {**manifest, "models": {**manifest["models"], "mobilenet_v2": {
        k: v for k, v in entry.items() if k != "docs_page"}}}
    with pytest.raises(PluginError, match="re-run the export"):
        shortcodes.expand("<!-- compare-table -->", stale, "")


def test_inline_value_marker(render, manifest):
    assert render("<!-- value: resnet50 macs -->") == fmt_count(manifest["models"]["resnet50"]["macs"])


def test_layer_figures_come_from_the_manifest(manifest):
    """SE layers and the largest tensor are read from the export's entry, not from a model
    the docs build constructs: change them in the manifest and the page changes."""
    entry = manifest["models"]["mobilenet_v2"]
    fake = {**manifest, "models": {**manifest["models"], "mobilenet_v2": {
        **entry, "se_layers": 97, "largest_activation": {"module": "x.y", "shape": [3, 5, 7], "bytes": 420}}}}
    assert shortcodes.expand("<!-- value: mobilenet_v2 se-layers -->", fake, "x/") == "97"
    assert shortcodes.expand("<!-- value: mobilenet_v2 largest-tensor -->", fake, "x/") == "3 × 5 × 7"
    assert shortcodes.expand("<!-- value: mobilenet_v2 largest-tensor-bytes -->", fake, "x/") == fmt_bytes(420)
    assert f"3 × 5 × 7 ({fmt_bytes(420)})" in shortcodes.expand("<!-- activation-memory -->", fake, "")
    # a manifest written before these fields existed fails the build with a way out
    stale = {**manifest, "models": {**manifest["models"], "mobilenet_v2": {
        k: v for k, v in entry.items() if k not in ("se_layers", "largest_activation")}}}
    with pytest.raises(PluginError, match="re-run the export"):
        shortcodes.expand("<!-- value: mobilenet_v2 se-layers -->", stale, "x/")


def test_layer_figures_are_recomputed_from_the_models(manifest):
    import torch

    from export import measure
    from export.registry import build_model

    for name, e in manifest["models"].items():
        with torch.device("meta"):  # module types and output shapes only: nothing is computed
            model = build_model(name)
        assert e["se_layers"] == measure.se_layers(model), name
        big = measure.largest_activation(model, e["preprocess"]["input_size"])
        assert e["largest_activation"] == big, name
        assert big["bytes"] == 4 * int(torch.tensor(big["shape"]).prod()), name


# What the docs build must not import: the layer tables and every other figure come from the
# manifest or the torch-free lwm/, so the site builds in seconds on a machine without torch.
HEAVY_IMPORTS = ("torch", "torchvision", "onnx", "onnxruntime", "export")


def test_the_docs_build_needs_neither_torch_nor_the_model_code(models_dir):
    """Every marker of every page, rendered in a fresh interpreter that refuses the imports
    above: an import of one of them fails with its traceback."""
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path

        class Refuse:
            def find_spec(self, name, path=None, target=None):
                if any(name == h or name.startswith(h + ".") for h in {HEAVY_IMPORTS!r}):
                    raise ImportError(f"the docs build imported {{name}}")

        sys.meta_path.insert(0, Refuse())
        import shortcodes
        from manifest import load_manifest

        manifest = load_manifest()
        pages = sorted(Path("docs").rglob("*.md"))
        for md in pages:
            url = md.relative_to("docs").with_suffix("").as_posix() + "/"
            shortcodes.expand(md.read_text(), manifest, url, str(md), "docs")
        print(len(pages), "pages")
    """)
    env = {**os.environ, "LWM_MODELS_DIR": str(models_dir.resolve()),
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "hooks")])}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "layer-table" in (ROOT / "docs" / "architectures" / "resnet.md").read_text()  # was rendered


def test_lesson_evidence_shows_the_lessons_models_and_the_rules_verdict(render, manifest):
    from lwm.catalog import LESSON_MODELS

    html = render("<!-- lesson-evidence -->")
    assert 'id="lightweight-evidence"' in html
    for lesson_name, key in LESSON_MODELS.items():
        e = manifest["models"][key]
        assert f"<td>{lesson_name}</td><td>{key}</td><td>{e['depth']}</td>" in html
        assert f"<td>{fmt_count(e['params'])} ({e['params']:,})</td>" in html
        assert f"<td>{fmt_count(e['macs'])} ({e['macs']:,})</td>" in html
        assert f"<td>{e['is_lightweight']}</td></tr>" in html
        verdict = "is lightweight" if e["is_lightweight"] else "is not lightweight"
        assert f"{key} (the lesson&#x27;s {lesson_name}) {verdict}" in html


def test_lesson_evidence_names_the_limits_a_model_goes_over(manifest):
    from lwm.catalog import LESSON_MODELS

    key = LESSON_MODELS["ResNet"]
    rule = manifest["lightweight_rule"]

    def evidence(params, macs):
        changed = {**manifest, "models": {**manifest["models"], key: {**manifest["models"][key], "params": params, "macs": macs}}}
        return shortcodes.expand("<!-- lesson-evidence -->", changed, "exercise/")

    over_macs = evidence(rule["max_params"], rule["max_macs"] + 1)
    assert f"is not lightweight: {fmt_count(rule['max_macs'] + 1)} MACs, over {fmt_count(rule['max_macs'])}." in over_macs
    assert "parameters, over" not in over_macs
    within = evidence(rule["max_params"], rule["max_macs"])
    assert f"is lightweight: {fmt_count(rule['max_params'])} parameters and {fmt_count(rule['max_macs'])} MACs" in within
    without = {**manifest, "models": {k: m for k, m in manifest["models"].items() if k != key}}
    with pytest.raises(PluginError, match=f"unknown model '{key}'"):
        shortcodes.expand("<!-- lesson-evidence -->", without, "exercise/")


def test_message_marker_reads_the_type_from_messages_json(render, tmp_path, monkeypatch):
    assert render("<!-- message: INIT -->") == "init"
    assert render("<!-- message: LOAD_MODEL -->") == "load-model"
    # the marker follows the definition, not a copy of it
    renamed = tmp_path / "messages.json"
    renamed.write_text(shortcodes.MESSAGES_JSON.read_text().replace('"INIT": "init"', '"INIT": "start"'))
    monkeypatch.setattr(shortcodes, "MESSAGES_JSON", renamed)
    assert render("<!-- message: INIT -->") == "start"
    with pytest.raises(PluginError, match="no message type 'START'"):
        render("<!-- message: START -->")


def test_messages_js_exports_the_types_of_messages_json():
    """The page's and the worker's modules take their message types from the file the build
    reads: messages.js imports messages.json (an import attribute), under the same names."""
    from nodejs import run_module

    exported = run_module(ROOT / "site_app" / "messages.js", "m",
                          "{MSG: m.MSG, ERROR_KIND: m.ERROR_KIND, names: Object.keys(m).sort(), "
                          "frozen: Object.isFrozen(m.MSG) && Object.isFrozen(m.ERROR_KIND)}")
    assert exported.pop("frozen") is True
    assert exported.pop("names") == ["ERROR_KIND", "MSG"]
    assert exported == json.loads(shortcodes.MESSAGES_JSON.read_text())


def test_the_classifier_page_spells_no_message_type():
    """Its inline script (the early worker) takes every type from messages.json via the marker."""
    page = (ROOT / "docs" / "classifier.md").read_text()
    assert "postMessage" in page
    assert re.findall(r"postMessage\(\{ *type: '([^'<]*)'", page) == []


def test_every_chart_renders_an_svg_with_its_data_table(render, manifest):
    for kind in ("top1-vs-macs", "bytes", "latency"):
        html = render(f"<!-- chart: {kind} -->")
        assert "<svg" in html and "<details" in html and "<table" in html, kind
    html = render("<!-- chart: top1-vs-macs -->")
    assert fmt_count(manifest["models"]["mobilenet_v3_small"]["macs"]) in html


def test_native_latency_names_the_cpus_instruction_sets(manifest):
    recorded = {**manifest, "environment": {**manifest["environment"], "cpu": "Test CPU 9000",
                                            "cpu_features": ["avx2", "fma"],
                                            "cpu_summary": "AVX2 + FMA (no AVX-512, no VNNI)"}}
    chart = shortcodes.expand("<!-- chart: latency -->", recorded, "compare/")
    assert "Test CPU 9000 (AVX2 + FMA (no AVX-512, no VNNI); " in chart
    assert "<code>cpu_features</code></td><td>avx2 fma</td>" in shortcodes.expand("<!-- measurement -->", recorded, "x/")
    # a manifest exported before the features were recorded still renders
    before = {**manifest, "environment": {k: v for k, v in manifest["environment"].items()
                                          if k not in ("cpu", "cpu_features", "cpu_summary")}}
    assert "instruction-set features not recorded" in shortcodes.expand("<!-- chart: latency -->", before, "compare/")


def test_layer_table_totals_match_the_manifest(render, manifest):
    entry = manifest["models"]["squeezenet1_1"]
    html = render("<!-- layer-table: squeezenet1_1 -->")
    assert f"<strong>{fmt_count(entry['params'])}</strong>" in html
    assert f"<strong>{fmt_count(entry['macs'])}</strong>" in html
    assert "Fire" in html  # the block names the export read off our PyTorch model


def test_ordinary_comments_are_left_alone(render):
    text = "<!-- this is a note to the editor, not a marker -->"
    assert render(text) == text


def test_scaling_marker_embeds_the_modules_figures_and_the_published_points(render):
    import json

    from lwm import scaling

    html = render("<!-- scaling: efficientnet_b0 -->")
    data = json.loads(re.search(r'<script type="application/json">(.*?)</script>', html, re.S).group(1))
    assert [c["key"] for c in data["controls"]] == ["phi", "width_mult", "depth_mult", "resolution"]
    assert data["initial"] == scaling.describe("efficientnet_b0", 1.0, 224, 1.0)
    # each phi setting is Equation 3's, with this module's counts for the chart's dashed line
    assert [p["phi"] for p in data["phi"]] == [i / 2 for i in range(15)]
    for p in data["phi"]:
        d = scaling.describe("efficientnet_b0", p["width_mult"], p["resolution"], p["depth_mult"])
        assert (p["params"], p["macs"]) == (d["params"], d["macs"])
    # one table row per published point: the paper's figures beside this module's, and the source
    for p in scaling.PUBLISHED["efficientnet_b0"][0]["points"]:
        d = scaling.describe("efficientnet_b0", p["width_mult"], p["resolution"], p["depth_mult"])
        source = '<a href="https://arxiv.org/abs/1905.11946v5">EfficientNet, Table 2</a>'
        cells = [f'{p["label"]}<br>{source}', fmt_count(p["params_m"] * 1e6), fmt_count(d["params"]),
                 fmt_count(p["macs_m"] * 1e6), fmt_count(d["macs"]), f"{p['top1']:.1f} %"]
        assert "<tr><td>" + "</td><td>".join(cells) + "</td></tr>" in html


def test_diagram_box_is_a_tab_stop_named_after_its_title(render):
    html = render("<!-- diagram: fire-module -->")
    # named at build time, as the tables are: the page needs no script to be right on a phone
    assert html.startswith('<figure class="lwm-figure lwm-diagram-box" role="region" tabindex="0" '
                           'aria-label="Diagram: SqueezeNet fire module">')


@pytest.mark.parametrize(
    "markdown, message",
    [
        ("<!-- model-crad: mobilenet_v2 -->", "unknown marker"),
        ("<!-- model-card: mobilenet_v9 -->", "unknown model"),
        ("<!-- layer-table: not_a_model -->", "unknown model"),
        ("<!-- model-card -->", "needs a model name"),
        ("<!-- chart: pie -->", "unknown chart"),
        ("<!-- value: resnet50 colour -->", "unknown field"),
        ("<!-- diagram: no-such-diagram -->", "no diagram"),
        ("<!-- scaling: efficientnet_lite0 -->", "no scaling controls"),
    ],
)
def test_mistakes_fail_with_a_message(render, markdown, message):
    with pytest.raises(PluginError, match=message):
        render(markdown)


def _build(tmp_path: Path, models_dir: Path, page: str) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` of a one-page site that uses the project's hook."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(page)
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: hook test
        hooks:
          - {ROOT / "hooks" / "shortcodes.py"}
        """))
    env = {**os.environ, "LWM_MODELS_DIR": str(models_dir), "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(tmp_path / "mkdocs.yml")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )


def test_mkdocs_build_fails_on_an_unknown_marker(tmp_path, models_dir):
    result = _build(tmp_path, models_dir.resolve(), "# Page\n\n<!-- modle-card: mobilenet_v2 -->\n")
    assert result.returncode != 0
    assert "unknown marker" in result.stderr + result.stdout


def test_mkdocs_build_succeeds_on_a_known_marker(tmp_path, models_dir, manifest):
    # the control for the test above: the same build, with the marker spelled right
    result = _build(tmp_path, models_dir.resolve(), "# Page\n\n<!-- value: mobilenet_v2 params -->\n")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "site" / "index.html").read_text()
    assert fmt_count(manifest["models"]["mobilenet_v2"]["params"]) in html


# what the site's modules import from each bundle (site_app/py/editor.js, site_app/litert.js)
BUNDLE_EXPORTS = {
    "vendor/codemirror/codemirror.mjs": ("EditorView",),
    "vendor/litertjs/litert.mjs": ("loadLiteRt", "loadAndCompile", "Tensor", "version"),
}


def test_every_bundle_imports_nothing_and_exports_what_the_site_uses(tmp_path, monkeypatch):
    # a browser cannot resolve `from '@codemirror/state'`, nor a worker `from
    # '@litertjs/wasm-utils'`: each bundle holds every package and imports nothing
    monkeypatch.chdir(ROOT)
    assert sorted(dest for _, dest in assets.BUNDLES) == sorted(BUNDLE_EXPORTS)
    for entry, dest in assets.BUNDLES:
        out = tmp_path / dest
        assets.bundle(entry, out)
        text = out.read_text()
        bare = r"""\b(from|import)\s*\(?\s*["'](@[\w.-]+/)?[\w.-]+(/[\w./-]*)?["']"""
        assert not re.search(bare, text), f"{dest} imports another module"
        # `export{a as EditorView,b as ...}`: the names after "as", or the bare names
        exported = {item.split(" as ")[-1].strip() for clause in re.findall(r"export\s*\{([^}]*)\}", text)
                    for item in clause.split(",")}
        assert set(BUNDLE_EXPORTS[dest]) <= exported, (dest, exported)


def test_a_bundle_that_cannot_be_resolved_fails_the_build(tmp_path, monkeypatch):
    # the control for the test above: an import esbuild cannot find is a build failure
    monkeypatch.chdir(ROOT)
    entry = tmp_path / "entry.js"
    entry.write_text("export { EditorView } from '@codemirror/no-such-package';\n")
    with pytest.raises(PluginError, match="esbuild could not bundle"):
        assets.bundle(str(entry), tmp_path / "out.mjs")


def test_the_papers_counts_beside_ours_match_where_the_page_says_so(manifest):
    """The home page: ResNet's and MobileNetV1's totals (the column "the paper's count") match
    ours, and these networks have no SE block."""
    text = " ".join((ROOT / "docs" / "index.md").read_text().split())
    assert "ResNet's and MobileNetV1's totals (the column \"the paper's count\") match ours" in text
    for name, (count, _text, _url) in lwm_lesson.PAPER_LAYERS.items():
        e = manifest["models"][name]
        assert e["depth"] == count and e["se_layers"] == 0, name


def test_the_templates_table_is_the_helpers_table():
    """templates/_table.html writes a table as lwm_html.table does, so a card laid out by a
    template looks like every other table on the site."""
    import lwm_html
    import lwm_templates
    from markupsafe import Markup

    head, rows = ["Model", "MACs"], [["<a href=x>A</a>", "1 M"], ["B &amp; C", "2 M"]]
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    template = lwm_templates.ENV.from_string(
        '{% from "_table.html" import table %}{% call table(head, caption=caption) %}{{ body }}{% endcall %}')
    for caption in ("", "Two <code>models</code>"):
        made = template.render(head=head, caption=Markup(caption), body=Markup(body))
        assert made == lwm_html.table(head, rows, caption=caption)
    # a table without a caption: its box is named by the label, as the helper names it
    labelled = lwm_templates.ENV.from_string(
        '{% from "_table.html" import table %}{% call table(head, label=label) %}{{ body }}{% endcall %}')
    assert labelled.render(head=head, label="A & B", body=Markup(body)) == lwm_html.table(head, rows, label="A & B")
    # a value is escaped as the helpers escape it (html.escape), markup passes through
    assert lwm_templates.ENV.from_string("{{ v }}{{ m }}").render(v="a\"b'c<", m=Markup("<b>")) == \
        "a&quot;b&#x27;c&lt;<b>"


def test_layer_table_is_folded_in_a_box_the_keyboard_reaches(render, manifest):
    html = render("<!-- layer-table: squeezenet1_1 -->")
    name = manifest["models"]["squeezenet1_1"]["display_name"]
    # closed by default (no "open"), named in its summary
    assert html.startswith(f'<details class="lwm-data"><summary>Layer by layer: {name} (')
    # the sideways scroller is a named tab stop
    assert re.search(rf'<div class="lwm-table-wrap lwm-nowrap" role="region" tabindex="0" aria-label="{re.escape(name)}, one',
                     html)


def test_markdown_tables_and_display_math_become_tab_stops_and_the_search_dialog_a_name():
    import a11y

    page = fake_page()
    html = ("<table>\n<thead>\n<tr>\n<th>Model</th>\n<th><em>Top-1</em></th>\n</tr>\n</thead></table>"
            '<div class="lwm-table-wrap" role="region" tabindex="0" aria-label="Done"><table><caption>x</caption></table></div>'
            '<div class="arithmatex">\\[x\\]</div>')
    out = a11y.on_page_content(html, page=page, config={}, files=None)
    assert out.count('role="region" tabindex="0"') == 3  # the Markdown table, the wrapped one, the equation
    assert 'aria-label="Table: Model, Top-1"><table>' in out
    assert 'aria-label="Equation">\\[x\\]' in out
    assert a11y.on_page_content(out, page=page, config={}, files=None) == out  # a box is never wrapped twice
    named = a11y.on_post_page(f"<body>{a11y.SEARCH_DIALOG}</div></body>", page=page, config={})
    assert a11y.NAMED_SEARCH_DIALOG in named
    with pytest.raises(PluginError, match="search dialog"):
        a11y.on_post_page("<body>another theme</body>", page=page, config={})


def test_katex_style_sheet_is_added_only_to_pages_with_math_and_no_script():
    page = fake_page()
    with_math = '<html><head></head><body><div class="arithmatex"><span class="katex"></span></div></body></html>'
    out = assets.on_post_page(with_math, page=page, config={})
    assert '<link rel="stylesheet" href="../../vendor/katex/katex.min.css"></head>' in out
    assert "<script" not in out  # the math is rendered at build time (hooks/katex_build.py)
    plain = "<html><head></head><body><p>No math</p></body></html>"
    assert assets.on_post_page(plain, page=page, config={}) == plain


# ---------------------------------------------------------------------------
# Figures the pages' prose states: each computed from its inputs, never typed
# ---------------------------------------------------------------------------


def _docs(page: str) -> str:
    """A page's Markdown with its line breaks folded into single spaces."""
    return " ".join((ROOT / "docs" / page).read_text().split())


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_googles_crop_share_follows_each_lite_models_input_size(render, manifest):
    """Google's evaluation keeps size / (size + 32) of the shorter side: 87.5 % at 224 px only."""
    lite = [k for k in manifest["models"] if k.startswith("efficientnet_lite")]
    html = render(f"<!-- google-crop: {' '.join(lite)} -->")
    shares = set()
    for k in lite:
        size = manifest["models"][k]["preprocess"]["input_size"]
        share = f"{100 * size / (size + 32):.1f} %"
        shares.add(share)
        assert f"{share} for {lwm_context.Context(manifest, '').display_name(k)} at {size} px" in _text(html), k
    assert len(shares) == len(lite)  # three input sizes, three shares
    page = _docs("architectures/efficientnet.md")
    assert "<!-- google-crop: " in page and "87.5%" not in page


def test_the_cam_grid_of_every_model_comes_from_its_features(render, manifest):
    html = _text(render("<!-- cam-grids -->"))
    ctx = lwm_context.Context(manifest, "")
    with_maps = {k: e["cam"]["features"] for k, e in manifest["models"].items() if e["cam"]["kind"]}
    assert {h for _, h, _ in with_maps.values()} != {7}  # not every grid is 7 × 7
    for k, (_, h, w) in with_maps.items():
        size = manifest["models"][k]["preprocess"]["input_size"]
        group = re.search(rf"{h} × {w} \(([^)]*)\)", html)
        assert group and ctx.display_name(k) in group.group(1) and f"{size} px" in group.group(1), (k, html)
    page = _docs("classifier.md")
    assert "<!-- cam-grids -->" in page and "(7 × 7 for a 224-pixel input)" not in page


def test_microcontroller_budgets_are_compared_with_the_smallest_file_and_peak(render, manifest):
    html = _text(render("<!-- microcontroller-budgets -->"))
    models = manifest["models"].values()
    smallest = {
        "file": min(v["bytes"] for e in models for v in e["variants"].values()),
        "peak": min(v["activation_memory_bytes"] for e in models for v in e["variants"].values()),
    }
    assert fmt_bytes(smallest["file"]) in html and fmt_bytes(smallest["peak"]) in html
    for chip in lwm_lesson.MICROCONTROLLERS:
        for b in chip["budgets"]:
            size = smallest[b["holds"]]
            words = (f"more than the {chip['name']}'s {b['what']}" if size > b["bytes"]
                     else f"{100 * size / b['bytes']:.0f} % of the {chip['name']}'s {b['what']}")
            assert words in html, (chip["name"], b["what"], html)
    page = _docs("index.md")
    assert "<!-- microcontroller-budgets -->" in page and "a large share" not in page


def test_the_nas_reward_example_is_computed_from_the_papers_exponent(render):
    html = _text(render("<!-- nas-reward -->"))
    factor = 2 ** 0.07  # twice the target's FLOPs, under the exponent w = -0.07
    assert f"{75 * factor:.1f} % instead of 75 %" in html
    assert f"about {100 * (factor - 1):.0f} % more accurate" in html
    page = _docs("techniques.md")
    assert "<!-- nas-reward -->" in page and "78.8%" not in page
    # the exponent the page prints is the one the example is computed with
    import lwm_techniques

    assert f"\\(w = {lwm_techniques.NAS_EXPONENT}\\)" in page and lwm_techniques.NAS_EXPONENT == -0.07


def test_cache_against_dram_ratios_are_horowitzs(render):
    import lwm_energy

    html = _text(render("<!-- cache-vs-dram -->"))
    dram_low, dram_high = lwm_energy.HOROWITZ_64BIT_PJ["dram"]
    for cache in ("8 KB", "1 MB"):
        pj = lwm_energy.HOROWITZ_64BIT_PJ[f"cache {cache}"]
        article = "an" if cache == "8 KB" else "a"
        assert f"1/{dram_low / pj:.0f} to 1/{dram_high / pj:.0f} of the DRAM cost with {article} {cache} cache" in html
    page = _docs("energy.md")
    assert "<!-- cache-vs-dram -->" in page and "a hundredth of the DRAM cost" not in page


def test_peak_activations_are_set_against_a_cited_phone_cache(render, manifest):
    import lwm_energy

    html = _text(render("<!-- activations-vs-phone-cache -->"))
    peak, key = max((e["activation_memory_bytes"], k) for k, e in manifest["models"].items())
    assert fmt_bytes(peak) in html and lwm_context.Context(manifest, "").display_name(key) in html
    cache = lwm_energy.PHONE_CACHE
    verdict = "larger than every peak activation here" if cache["bytes"] > peak else "smaller than the largest peak here"
    assert verdict in html and cache["source"] in html
    page = _docs("energy.md")
    assert "<!-- activations-vs-phone-cache -->" in page and "larger than any phone's cache" not in page


@pytest.mark.parametrize("arch", ["mobilenet_v2", "efficientnet_b0"])
def test_the_papers_top1_and_the_weights_top1_are_told_apart(render, manifest, arch):
    """The scaling table shows the paper's figure; the card the one published for the weights."""
    from lwm import scaling

    html = _text(render(f"<!-- scaling: {arch} -->"))
    paper = next(p for s in scaling.PUBLISHED[arch] for p in s["points"]
                 if (p["width_mult"], p["resolution"], p.get("depth_mult", 1.0)) == (1.0, 224, 1.0))
    pub = manifest["models"][arch]["weights"]["published"]
    assert f"{paper['top1']:.1f} %" != f"{pub['top1']:.1f} %"  # the two figures this test is about
    assert f"The paper's {paper['top1']:.1f} % for {paper['label']} is its authors' own training" in html
    assert f"{pub['top1']:.1f} % ({pub['citation']['text']})" in html


def test_the_three_b0_accuracies_are_each_traced_to_their_source(manifest):
    """The EfficientNet page prints B0's top-1 three times, from three sources: the paper's
    Table 2 (the chart's), its Table 7, and the figure published for the weights (the card's)."""
    from lwm import scaling

    page = _docs("architectures/efficientnet.md")
    table7 = re.search(r"\| nothing \(baseline B0\) \| [^|]+ \| ([0-9.]+)% \|", page).group(1)
    table2 = re.search(r"\| B0 \| ([0-9.]+)% \|", page).group(1)
    assert float(table2) == scaling._B_TOP1["B0"]
    said = re.search(r"\*\*Three top-1 figures for B0\.\*\*(.*?)(?=\*\*|$)", page).group(1)
    assert f"{table7}% is the baseline row of the paper's Table 7" in said
    assert f"{table2}% is B0's row in its Table 2" in said
    # the card's figure, from the manifest, and where those weights were trained
    assert "<!-- value: efficientnet_b0 published-top1 --> on the B0 card" in said
    assert manifest["models"]["efficientnet_b0"]["weights"]["filename"].startswith("efficientnet_b0_rwightman")
    assert "timm" in said and "RandAugment" in said
    # the Compare page plots the weights' figure and names the paper's beside it
    compare = _docs("compare.md")
    assert (f"<!-- value: efficientnet_b0 published-top1 -->, is not the {table2}% of the paper's Table 2"
            in compare)


def test_each_card_says_whose_top1_it_shows(render, manifest):
    """A card's top-1 is the figure published for the official weights, or, for a model that
    has none, its paper's: MobileNetV2's card (71.9 %, torchvision's weights) is not the
    paper's 72.0 % that its scaling table shows."""
    for k, e in manifest["models"].items():
        cell = _text(render(f"<!-- model-card: {k} -->")).split("ImageNet top-1 / top-5", 1)[1]
        whose = "the paper's own figure" if e["weights"]["source"] == "none" else "published for the official weights"
        assert whose in cell.split("The exported files")[0], k
# ---------------------------------------------------------------------------------------
# Where the time goes (hooks/lwm_profile.py)
# ---------------------------------------------------------------------------------------
def test_time_split_and_roofline_render_for_every_model(render, manifest):
    import lwm_profile

    for name, e in manifest["models"].items():
        split = render(f"<!-- time-split: {name} -->")
        roof = render(f"<!-- roofline: {name} -->")
        for html in (split, roof):
            assert html.count("<svg") == 1 and "<details" in html and "<table" in html, name
        shares = lwm_profile.shares(e)
        # each column of the split is a whole: the MACs and the profiled time
        assert sum(m for m, _ in shares.values()) == pytest.approx(1.0), name
        assert sum(t for _, t in shares.values()) == pytest.approx(1.0), name
        # the table shows each kind's share as the manifest gives it
        for kind, (m, t) in shares.items():
            if m > 0.0005:
                assert lwm_profile.fmt_pct(m) in split, (name, kind)
        c = e["variants"]["fp32"]["profile"]["ceilings"]
        assert f"{c['compute_gmacs']:.1f} GMAC/s" in roof, name
        # every point's roof is the lower of the compute ceiling and bandwidth × intensity
        for p in lwm_profile.roofline_points(e):
            assert p["roof"] == min(c["compute_gmacs"], c["bandwidth_gbs"] * p["intensity"]), (name, p["kind"])
            assert p["cache_roof"] >= p["roof"]


def test_depthwise_does_less_arithmetic_per_byte_than_pointwise(manifest):
    """What the roofline text teaches, held against the counts: a depthwise layer reuses no
    input across channels, so every model's depthwise kind has the lower intensity."""
    import lwm_profile

    for name, e in manifest["models"].items():
        kinds = lwm_profile.kind_parts(e)
        if "depthwise" in kinds:
            for pw in ("pointwise_expand", "pointwise_project"):
                assert lwm_profile.intensity(kinds["depthwise"]) < lwm_profile.intensity(kinds[pw]), (name, pw)


def test_the_gap_sentence_is_computed_from_the_manifest(render, manifest):
    from lwm_format import fmt_ratio

    html = render("<!-- time-gap -->", page=fake_page("compare/", "compare.md"))
    assert html.count("<svg") == 1
    models = manifest["models"]
    for small in ("mobilenet_v3_small", "efficientnet_b0"):
        a, b = models[small], models["resnet50"]
        macs = b["macs"] / a["macs"]
        time = b["variants"]["fp32"]["latency_ms"]["1"]["median_ms"] / a["variants"]["fp32"]["latency_ms"]["1"]["median_ms"]
        assert (f"{a['display_name']} needs {fmt_ratio(macs)} fewer MACs than ResNet-50 but runs "
                f"{fmt_ratio(time)} faster") in html, small


def test_a_manifest_without_a_profile_fails_the_build(manifest):
    e = manifest["models"]["mobilenet_v2"]
    fp32 = {k: v for k, v in e["variants"]["fp32"].items() if k != "profile"}
    old = {**manifest, "models": {**manifest["models"], "mobilenet_v2": {**e, "variants": {**e["variants"], "fp32": fp32}}}}
    with pytest.raises(PluginError, match="no profile"):
        shortcodes.expand("<!-- roofline: mobilenet_v2 -->", old, "architectures/mobilenet_v2/")


def test_roofline_text_stays_inside_the_chart(render, manifest):
    """Labels on a phone: every text's anchor inside the 400-unit viewBox, and a label that
    starts at its anchor (text-anchor start) ends before the right edge."""
    import lwm_charts

    for name in manifest["models"]:
        svg = render(f"<!-- roofline: {name} -->").split("</svg>")[0]
        height = float(re.search(r'viewBox="0 0 400 (\d+)"', svg).group(1))
        for x, y, anchor, text in re.findall(r'<text[^>]*? x="([-\d.]+)" y="([-\d.]+)"(?: text-anchor="(\w+)")?>([^<]*)<', svg):
            x, y = float(x), float(y)
            assert 0 <= x <= lwm_charts.WIDTH and 0 <= y <= height, (name, text)
            if anchor in ("", "start"):
                assert x + lwm_charts._text_w(text) <= lwm_charts.WIDTH + 1, (name, text)
        # the roofs run inside the axes (SqueezeNet's intensities start right of the cache ridge)
        axes = re.findall(r'<line class="lwm-axis" x1="([\d.]+)" x2="([\d.]+)" y1="([\d.]+)" y2="([\d.]+)"', svg)
        xs, ys = [float(v) for a in axes for v in a[:2]], [float(v) for a in axes for v in a[2:]]
        for points in re.findall(r'<polyline[^>]*points="([^"]+)"', svg):
            for point in points.split():
                x, y = map(float, point.split(","))
                assert min(xs) - 0.5 <= x <= max(xs) + 0.5 and min(ys) - 0.5 <= y <= max(ys) + 0.5, (name, point)

def test_math_is_rendered_at_build_time_as_html_and_mathml():
    import katex_build

    page_html = ('<p>cost <span class="arithmatex">\\(k^2 &lt; d\\)</span></p>'
                 '<div class="arithmatex">\\[\n\\frac{1}{N} + \\frac{1}{k^2}\n\\]</div>')
    try:
        out = katex_build.render_math(page_html)
        # the boxes keep arithmatex's opening tags (hooks/a11y.py names the display box by it)
        assert out.startswith('<p>cost <span class="arithmatex"><span class="katex">')
        assert '<div class="arithmatex"><span class="katex-display">' in out
        assert "\\(" not in out and "\\[" not in out
        # what a screen reader reads: MathML, with the escaped "<" read back as TeX's own
        assert out.count("<math ") == 2 and "<mo>&lt;</mo>" in out and "<mfrac>" in out
        assert out.count('aria-hidden="true"') >= 2  # the drawn HTML is hidden from it
        with pytest.raises(PluginError, match="notacommand"):
            katex_build.render_math('<span class="arithmatex">\\(\\notacommand\\)</span>')
        assert katex_build.render_math("<p>no math</p>") == "<p>no math</p>"
    finally:
        katex_build.close()

def test_theme_palette_rule_that_restyles_every_element_is_dropped_once():
    import material
    import theme

    sheets = list((Path(material.__file__).parent / "templates" / "assets" / "stylesheets").glob("palette.*.min.css"))
    assert len(sheets) == 1
    css = sheets[0].read_text(encoding="utf-8")
    out = theme.drop_switching_rule(css)
    assert "data-md-color-switching" not in out
    assert len(css) - len(out) == len(theme.SWITCHING_RULE)  # nothing else touched
    with pytest.raises(PluginError, match="update hooks/theme.py"):
        theme.drop_switching_rule(out)


def test_sample_gallery_holds_the_photos_place_until_the_app_is_ready(render, manifest):
    html = render("<!-- sample-gallery -->", page=fake_page("classifier/", "classifier.md"))
    samples = manifest["samples"]
    assert samples, "the manifest ships sample photos"
    # the buttons inputs.js builds, disabled until it puts its own in their place
    assert html.count('<button type="button" class="lwm-sample"') == html.count(" disabled>") == len(samples)
    for s in samples:
        assert f'aria-label="Classify the sample photo: {s["description"]}"' in html
        assert f'<img src="../models/{s.get("thumbnail") or s["file"]}" alt="" loading="lazy" width="96" height="72">' in html


def test_roofline_labels_never_overlap_and_crowded_points_get_a_line(render, manifest):
    """Every model's roofline: no two point labels overlap, and where two points sit almost on
    top of each other (MobileNetV3-Small's two kinds of 1×1 layer), each label is joined to its
    point by a line, since no spot beside the pair is clearly either one's."""
    import lwm_charts

    crowded_seen = False
    for name in manifest["models"]:
        svg = render(f"<!-- roofline: {name} -->").split("</svg>")[0]
        boxes = []
        for x, y, anchor, text in re.findall(r'<text class="lwm-point-label" x="([-\d.]+)" y="([-\d.]+)" text-anchor="(\w+)">([^<]*)<', svg):
            x, y, w = float(x), float(y), lwm_charts._text_w(text)
            x0 = x if anchor == "start" else x - w if anchor == "end" else x - w / 2
            boxes.append((text, x0, y - lwm_charts.TEXT + 2, x0 + w, y + 2))
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not (a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]), (name, a[0], b[0])
        centres = [tuple(map(float, c)) for c in re.findall(r'<circle class="lwm-point[^"]*" cx="([\d.]+)" cy="([\d.]+)"', svg)]
        leaders = re.findall(r'<line class="lwm-leader" x1="([\d.]+)" y1="([\d.]+)"', svg)
        for c in centres:
            if any(0 < math.dist(c, d) <= lwm_charts.CROWDED for d in centres):
                crowded_seen = True
                assert any(math.dist(c, tuple(map(float, l))) < 7 for l in leaders), (name, c)
    assert crowded_seen, "no model has two points almost on top of each other: the check checked nothing"


# ---------------------------------------------------------------------------
# Energy, the second estimate: the feature maps each layer moves
# ---------------------------------------------------------------------------
def _maps(e: dict) -> list[dict]:
    return [p for layer in e["layers"] for p in layer["parts"]]


def test_feature_map_traffic_follows_the_stated_cache_model(manifest, monkeypatch):
    import lwm_energy

    for key, e in manifest["models"].items():
        counted = [p for p in _maps(e) if p["kind"] not in lwm_energy.FUSED_KINDS]
        assert counted and len(counted) < len(_maps(e)), key  # every model has convolutions and fused passes
        cache, dram = lwm_energy.activation_traffic(e["layers"], "fp32")
        assert cache + dram == 4 * sum(p["reads"] + p["writes"] for p in counted), key
        # a part stays in the cache when its maps fit, as a whole
        assert dram == 4 * sum(p["reads"] + p["writes"] for p in counted
                               if 4 * (p["reads"] + p["writes"]) > lwm_energy.CACHE_BYTES), key
        # int8 maps are a quarter of the bytes, and so fit more often
        c8, d8 = lwm_energy.activation_traffic(e["layers"], "int8")
        assert c8 + d8 == (cache + dram) // 4 and d8 <= dram // 4, key
        first = lwm_energy.estimate(e["macs"], e["variants"]["fp32"]["bytes"], "fp32")
        second = lwm_energy.estimate_moved(e["macs"], e["variants"]["fp32"]["bytes"], e["layers"], "fp32")
        assert second.compute_pj == first.compute_pj and second.weights_pj == first.memory_pj, key
        assert second.total_pj == pytest.approx(first.total_pj + second.activations_pj), key
        assert second.activations_dram_pj == pytest.approx(dram * lwm_energy.PJ["dram_read_32bit"] / 4), key
        assert second.activations_cache_pj == pytest.approx(cache * lwm_energy.CACHE_READ_32BIT_PJ / 4), key
    # the cache's cost per 32-bit word is Horowitz's 1 MB figure per 64-bit access, halved
    assert lwm_energy.CACHE_READ_32BIT_PJ == lwm_energy.HOROWITZ_64BIT_PJ["cache 1 MB"] / 2
    assert lwm_energy.CACHE_BYTES == 2**20 and lwm_energy.CACHE_LABEL == "1 MB"
    e = next(iter(manifest["models"].values()))
    monkeypatch.setattr(lwm_energy, "CACHE_BYTES", 0)
    assert lwm_energy.activation_traffic(e["layers"], "fp32")[0] == 0
    monkeypatch.setattr(lwm_energy, "CACHE_BYTES", 10**12)
    assert lwm_energy.activation_traffic(e["layers"], "fp32")[1] == 0


def test_the_energy_pages_verdicts_are_computed_from_the_maps(render, manifest, monkeypatch):
    """Which models' maps cost more than their weights, and which places change between the
    two estimates: take the maps away and both sentences say so."""
    import lwm_energy

    html = _text(render("<!-- energy-maps-over-weights --> | <!-- energy-rank-changes -->"))
    ctx = lwm_context.Context(manifest, "")
    over, _, under = html.split(" | ")[0].partition("; the weights still cost more for")
    for key, e in manifest["models"].items():
        m = lwm_energy.estimate_moved(e["macs"], e["variants"]["fp32"]["bytes"], e["layers"], "fp32")
        side, other = (over, under) if m.activations_pj > m.weights_pj else (under, over)
        assert ctx.display_name(key) in side and ctx.display_name(key) not in other, key
    table = _text(render("<!-- energy-moved-table -->"))
    assert "fp32: feature maps (in a 1 MB cache + DRAM)" in table
    # no maps at all: the weights cost more everywhere, and the order is the first estimate's
    bare = {**manifest, "models": {k: {**e, "layers": [{**layer, "parts": [{**p, "reads": 0, "writes": 0}
                                                                          for p in layer["parts"]]}
                                                      for layer in e["layers"]]}
                                   for k, e in manifest["models"].items()}}
    monkeypatch.setattr(shortcodes, "_MANIFEST", bare)
    html = _text(shortcodes.on_page_markdown("<!-- energy-maps-over-weights --> | <!-- energy-rank-changes -->",
                                             page=fake_page(), config={"docs_dir": str(ROOT / "docs")}, files=None))
    assert html == ("for every model here the weights still cost more than the feature maps | "
                    "the two estimates put the models in the same order")
    page = _docs("energy.md")
    for marker in ("energy-moved-table", "energy-maps-over-weights", "energy-rank-changes", "energy-cache-pj"):
        assert f"<!-- {marker} -->" in page


def test_the_default_runtime_is_litert_where_the_default_model_has_an_int8_tflite_file(manifest, monkeypatch):
    """Written into the classifier page (data-default-runtime), read by site_app/runtimes.js."""
    def rendered(m):
        monkeypatch.setattr(shortcodes, "_MANIFEST", m)
        return shortcodes.on_page_markdown("<!-- default-runtime -->", page=fake_page(),
                                           config={"docs_dir": str(ROOT / "docs")}, files=None).strip()

    first = next(k for k, e in manifest["models"].items() if e["pretrained"])
    has = bool(manifest["models"][first]["variants"]["int8"].get("tflite"))
    assert rendered(manifest) == ("litert" if has else "ort")
    bare = json.loads(json.dumps(manifest))
    for e in bare["models"].values():
        for v in e["variants"].values():
            v.pop("tflite", None)
    assert rendered(bare) == "ort"  # a build without `make tflite`
    assert 'data-default-runtime="<!-- default-runtime -->"' in (ROOT / "docs" / "classifier.md").read_text()
