"""The export cache's key (export/cachekey.py) follows what determines a model's files.

Each case edits a copy of export/ and lwm/ in a temporary folder, as a contributor would
edit the files, and computes export_key there in a fresh interpreter: prose in lwm/ (a
chart label, a docstring, a comment, a slider's range) must leave every key as it was, so
nothing is exported again; a value the model builders or the entry read must change it.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEY_SCRIPT = """
from pathlib import Path
from export.cachekey import export_key
from export.options import ExportOptions, Weights
print(export_key("efficientnet_lite0", Weights(pretrained=True, sha256="0" * 64), ExportOptions(out_dir=Path("out"))))
"""

# (file, text, replacement): what a reader sees, not what the exporter computes
PROSE_EDITS = [
    # a chart label and a citation of the scaling page's published points
    ("lwm/scaling.py", '"label": "α = 0.75, 224 px"', '"label": "alpha 0.75 at 224 px"'),
    ("lwm/scaling.py", '"ref": "MobileNets, Table 6"', '"ref": "Howard et al., Table 6"'),
    # a slider's range on the EfficientNet page
    ("lwm/scaling.py", '"resolution": (96, 600, 4)', '"resolution": (96, 640, 4)'),
    # the docstring of the rounding rule every builder calls, and a comment in the stage table
    ("lwm/scaling.py", "widths divisible by 8 suit hardware", "multiples of 8 suit the hardware"),
    ("lwm/scaling.py", "    # e, k, s,   c, n\n", "    # expansion, kernel, stride, channels, repeats\n"),
    # the docstring of the rule the entry's is_lightweight applies
    ("lwm/catalog.py", "True when a model is within both limits", "Whether a model is within both limits"),
    # the doc of a field of the model entry's record (it goes into the JSON Schema, not a file)
    ("lwm/records.py", '"int8 only: true when no layer can saturate on any CPU', '"int8 only: true if no layer can saturate on any CPU'),
]
# values the builders or the model entry read
VALUE_EDITS = {
    "stage table": ("lwm/scaling.py", "    (6, 5, 2,  40, 2),\n", "    (6, 5, 2,  48, 2),\n"),
    "rounding rule": ("lwm/scaling.py", "if new_v < 0.9 * v:", "if new_v < 0.8 * v:"),
    "lite coefficients": ("lwm/scaling.py", '"lite0": (1.0, 1.0, 224, 0.2)', '"lite0": (1.0, 1.0, 224, 0.3)'),
    "lightweight threshold": ("lwm/catalog.py", "LIGHTWEIGHT_MAX_PARAMS = 10_000_000", "LIGHTWEIGHT_MAX_PARAMS = 12_000_000"),
    "exporter code": ("export/evaluation.py", "INT8_MAX_SIZE_RATIO = 0.28", "INT8_MAX_SIZE_RATIO = 0.3"),
    "agreement threshold": ("lwm/records.py", "CONFIDENT = 0.5", "CONFIDENT = 0.6"),
    "a field of the entry": ("lwm/records.py", "    se_layers: int", "    se_layers: float"),
}


def key_in(tree: Path, edits: list[tuple[str, str, str]] = ()) -> str:
    """export_key of one model in a copy of export/ and lwm/ with ``edits`` made."""
    for pkg in ("export", "lwm"):
        shutil.copytree(ROOT / pkg, tree / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    for file, old, new in edits:
        path = tree / file
        text = path.read_text()
        assert text.count(old) == 1, f"{file} no longer holds {old!r} once: update the test"
        path.write_text(text.replace(old, new))
    done = subprocess.run([sys.executable, "-c", KEY_SCRIPT], cwd=tree, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def unchanged_key(tmp_path_factory) -> str:
    return key_in(tmp_path_factory.mktemp("unchanged"))


def test_prose_in_lwm_changes_no_export_key(unchanged_key, tmp_path):
    assert key_in(tmp_path, PROSE_EDITS) == unchanged_key


@pytest.mark.parametrize("what", list(VALUE_EDITS))
def test_a_value_the_export_reads_changes_the_export_key(unchanged_key, tmp_path, what):
    assert key_in(tmp_path, [VALUE_EDITS[what]]) != unchanged_key


def lwm_names_read_by(path: Path) -> set[tuple[str, str]]:
    """(lwm module, name) for every name a file takes from lwm: `from lwm.m import name`,
    or `m.name` after `from lwm import m`."""
    tree = ast.parse(path.read_text())
    names, aliases = set(), {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lwm."):
            names |= {(node.module.removeprefix("lwm."), a.name) for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module == "lwm":
            aliases.update({a.asname or a.name: a.name for a in node.names})
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            names.add((aliases[node.value.id], node.attr))
    return names


def test_every_lwm_name_the_keyed_export_code_reads_is_keyed_or_said_not_to_be():
    """A new `from lwm.scaling import X` in a builder must enter the key, or be listed as
    not shaping any file (UNKEYED_LWM) with its reason."""
    from export.cachekey import KEYED_LWM, NOT_KEYED, UNKEYED_LWM

    declared = {(m, n) for table in (KEYED_LWM, UNKEYED_LWM) for m, names in table.items() for n in names}
    read = set()
    for path in (ROOT / "export").rglob("*.py"):
        if path.relative_to(ROOT / "export").as_posix() not in NOT_KEYED:
            read |= lwm_names_read_by(path)
    assert read - declared == set()
    assert ("scaling", "efficientnet_stages") in read  # the scan sees the builders' imports
