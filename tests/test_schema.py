"""models.json against the JSON Schema generated from its records (lwm/records.py), checked
in Python (the jsonschema package) and in JavaScript (site_app/jsonschema.js under Node.js).

Reads build/models (``make models``), where the export writes models.schema.json.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from nodejs import run_module

from export import manifest as M
from lwm import records

VALIDATOR_JS = Path(__file__).resolve().parents[1] / "site_app" / "jsonschema.js"


def js_errors(schema_path: Path, paths: list[Path]) -> list[list[str]]:
    """site_app/jsonschema.js's errors for each JSON file, read by Node.js itself."""
    read = "(p) => JSON.parse(fs.readFileSync(p, 'utf8'))"
    body = (f"await (async () => {{ const fs = await import('node:fs'); const read = {read}; "
            f"const schema = read({json.dumps(str(schema_path))}); "
            f"return {json.dumps([str(p) for p in paths])}.map((p) => S.validate(schema, read(p))); }})()")
    return run_module(VALIDATOR_JS, "S", body)


def py_errors(value) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in Draft202012Validator(records.schema()).iter_errors(value)]


def test_the_generated_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(records.schema())
    assert records.schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_export_writes_the_generated_schema_beside_the_manifest(models_dir):
    assert (models_dir / M.SCHEMA_NAME).read_text() == records.schema_text()


def test_every_field_is_described_in_the_schema():
    """The manifest's description is the schema: every field carries its doc."""
    for name, definition in records.schema()["$defs"].items():
        assert definition["description"], name
        for field, prop in definition["properties"].items():
            assert prop["description"].strip(), (name, field)


def test_the_built_manifest_conforms_in_python(manifest):
    assert py_errors(manifest) == []


def test_the_built_manifest_conforms_in_javascript(models_dir):
    assert js_errors(models_dir / M.SCHEMA_NAME, [models_dir / M.MANIFEST_NAME]) == [[]]


def test_the_records_read_and_write_the_built_manifest_unchanged(models_dir):
    """Written from records, read back into them: the same bytes, key order included."""
    text = (models_dir / M.MANIFEST_NAME).read_text()
    assert M.dumps(records.Manifest.from_json(json.loads(text))) == text


def _broken(manifest: dict) -> dict[str, dict]:
    """Manifests that break the schema in one place each."""
    name = next(iter(manifest["models"]))

    def edit(change) -> dict:
        m = copy.deepcopy(manifest)
        change(m, m["models"][name])
        return m

    def misspell(m, e):
        fp32 = e["variants"]["fp32"]
        fp32["gzip_byte"] = fp32.pop("gzip_bytes")

    return {
        "missing variant field": edit(lambda m, e: e["variants"]["fp32"].pop("sha256")),
        "misspelled variant field": edit(misspell),
        "missing top-level field": edit(lambda m, e: m.pop("realtime")),
        "unknown model field": edit(lambda m, e: e.update(extra=1)),
        "params as a string": edit(lambda m, e: e.update(params=str(e["params"]))),
        "null where a count is required": edit(lambda m, e: e["variants"]["fp32"]["validation"].update(images=None)),
        "unknown map kind": edit(lambda m, e: e.update(cam={"kind": "conv", "reason": "x"})),
        "wrong schema version": edit(lambda m, e: m.update(schema_version=2)),
        "999 classes": edit(lambda m, e: m["classes"].pop()),
        "mean of two channels": edit(lambda m, e: e["preprocess"]["mean"].pop()),
        "a bad layer row": edit(lambda m, e: e["layers"][0].pop("macs")),
    }


def test_a_broken_manifest_fails_in_python_javascript_and_the_records(manifest, models_dir, tmp_path):
    broken = _broken(manifest)
    paths = []
    for i, (why, m) in enumerate(broken.items()):
        assert py_errors(m), why
        with pytest.raises(ValueError):
            records.Manifest.from_json(m)
        paths.append(tmp_path / f"broken-{i}.json")
        paths[-1].write_text(json.dumps(m))
    for why, errors in zip(broken, js_errors(models_dir / M.SCHEMA_NAME, paths)):
        assert errors, why


def test_the_javascript_validator_refuses_a_keyword_it_does_not_check(tmp_path):
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"type": "object", "minProperties": 1}))
    value = tmp_path / "value.json"
    value.write_text("{}")
    with pytest.raises(AssertionError, match="unsupported schema keyword minProperties"):
        js_errors(schema, [value])


def test_the_schema_command_prints_the_schema(capsys):
    assert records.main(["--schema"]) == 0
    assert json.loads(capsys.readouterr().out) == records.schema()
