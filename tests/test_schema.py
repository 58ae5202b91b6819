"""The spec's JSON Schema: current with the models, accepts the shipped specs, rejects mistakes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from conftest import FIXTURES, ROOT, SPEC, run_sfmon
from sfmon.spec.jsonschema import DRAFT, schema_text, spec_schema

COMMITTED = ROOT / "schema" / "sfmon.schema.json"
VALID_SPECS = [SPEC, *sorted((FIXTURES / "specs" / "valid").glob("*.yaml"))]


def load_yaml(path: Path):
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = spec_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_committed_schema_is_current():
    assert COMMITTED.is_file(), "schema/sfmon.schema.json is missing: run `make schema` and commit it"
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), (
        "schema/sfmon.schema.json is out of date with the models in sfmon/: run `make schema` and commit it"
    )


def test_schema_header():
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert schema["$schema"] == DRAFT == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "sfmon spec"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) >= {"version", "project", "targets", "receivers", "routing", "grafana"}


def test_spec_carries_the_editor_modeline():
    first = SPEC.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schema/sfmon.schema.json"
    assert (SPEC.parent / "../schema/sfmon.schema.json").resolve() == COMMITTED.resolve()


@pytest.mark.parametrize("path", VALID_SPECS, ids=lambda p: p.name)
def test_schema_accepts_valid_specs(validator, path):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(load_yaml(path))]
    assert errors == []


def _mutated(change) -> dict:
    data = copy.deepcopy(load_yaml(SPEC))
    change(data)
    return data


@pytest.mark.parametrize(
    "what, change",
    [
        ("unknown top-level key", lambda d: d.update(alertz=[])),
        ("unknown key in a target", lambda d: d["targets"][0].update(adress="x:1")),
        ("unknown key in an alert", lambda d: d["alerts"][1].update(abvoe="3%")),
        ("unknown key in a receiver", lambda d: d["receivers"][1]["slack"].update(api_url="https://hooks")),
        ("unknown alert kind", lambda d: d["alerts"][0].update(kind="target_gone")),
        ("duration in words", lambda d: d["prometheus"].update(scrape_interval="15 seconds")),
        ("empty duration", lambda d: d["alerts"][0].update({"for": ""})),
        ("percent without %", lambda d: d["alerts"][1].update(above="5")),
        ("negative number", lambda d: d["alerts"][6].update(above=-1)),
        ("number as text", lambda d: d["alerts"][6].update(above="5")),
        ("reserved label name", lambda d: d["targets"][0]["labels"].update(__meta="x")),
        ("bad target name", lambda d: d["targets"][0].update(name="API Server")),
        ("empty metric name", lambda d: d["catalogs"]["softfactory-api"][0].update(name="")),  # any other: a UTF-8 name (Prometheus 3)
        ("empty summary", lambda d: d["alerts"][0].update(summary="  ")),
        ("missing required field", lambda d: d.pop("routing")),
        ("wrong version", lambda d: d.update(version=2)),
    ],
)
def test_schema_rejects_mistakes(validator, what, change):
    assert not validator.is_valid(_mutated(change)), what


def test_custom_types_have_sensible_entries():
    defs = spec_schema()["$defs"]
    window = defs["ErrorRatio"]["properties"]["window"]
    assert window["type"] == "string" and window["default"] == "5m" and "5m" in window["examples"]
    above, null = defs["ErrorRatio"]["properties"]["above"]["anyOf"]  # optional: an alert with tiers has none
    assert null == {"type": "null"}
    assert above["type"] == "string" and above["examples"] == ["5%", "99.5%"]
    quantile = defs["LatencyQuantile"]["properties"]["quantile"]
    assert quantile == {"default": 0.95, "minimum": 0, "title": "Quantile", "type": "number"}  # a number, not "0.95"
    labels = defs["Target"]["properties"]["labels"]
    # UTF-8 names too (an editor cannot know the targeted release), not __; control characters never
    assert labels["propertyNames"] == {"pattern": "^(?!__)[^\\x00-\\x1f\\x7f]+$"}
    assert defs["Variable"]["properties"]["name"]["pattern"] == "^(?!__)[a-zA-Z_][a-zA-Z0-9_]*$"  # Grafana: legacy only
    assert labels["additionalProperties"] == {"type": "string"}


def test_cli_prints_the_schema_and_writes_it(tmp_path):
    result = run_sfmon("schema")
    assert result.returncode == 0, result.stderr
    assert result.stdout == schema_text()
    out = tmp_path / "nested" / "s.json"
    written = run_sfmon("schema", "--output", str(out))
    assert written.returncode == 0, written.stderr
    assert out.read_text(encoding="utf-8") == schema_text()
    assert [p.name for p in out.parent.iterdir()] == ["s.json"]  # no temporary left behind
