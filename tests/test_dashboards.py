"""Dashboards validate against Grafana's own dashboard JSON Schema; ids and uids are unique."""

import json

import jsonschema
import pytest

from sfmon.pipeline import load, render

from conftest import FIXTURES, SCHEMAS, SPEC

SPECS = [SPEC, *sorted((FIXTURES / "specs" / "valid").glob("*.yaml"))]


@pytest.fixture(scope="module")
def validator():
    path = SCHEMAS / "grafana" / "dashboard.jsonschema.json"
    if not path.exists():
        pytest.fail(f"Grafana dashboard schema missing at {path} (../shared/schemas beside the repo)")
    schema = json.loads(path.read_text())
    return jsonschema.Draft7Validator(schema)


def dashboards(spec_path):
    return {rel: json.loads(t) for rel, t in render(load(spec_path)).items() if rel.startswith("grafana/dashboards/")}


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_dashboards_match_grafana_schema(spec, validator):
    dashes = dashboards(spec)
    assert dashes or spec.stem == "minimal"
    for rel, dash in dashes.items():
        errors = sorted(validator.iter_errors(dash), key=lambda e: list(e.path))
        best = jsonschema.exceptions.best_match(errors)
        assert not errors, f"{rel}: {best.message} at {list(best.path)}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_ids_unique_and_grid_does_not_overlap(spec):
    uids = []
    for rel, dash in dashboards(spec).items():
        uids.append(dash["uid"])
        ids = [p["id"] for p in dash["panels"]]
        assert len(ids) == len(set(ids)), rel
        cells = set()
        for p in dash["panels"]:
            g = p["gridPos"]
            assert 0 <= g["x"] and g["x"] + g["w"] <= 24
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    assert (x, y) not in cells, f"{rel}: panel {p['title']} overlaps at {(x, y)}"
                    cells.add((x, y))
    assert len(uids) == len(set(uids))


def test_default_spec_has_five_dashboards_using_all_app_families():
    dashes = dashboards(SPEC)
    assert len(dashes) == 5
    exprs = " ".join(t["expr"] for d in dashes.values() for p in d["panels"] for t in p.get("targets", []))
    spec = load(SPEC).spec
    for family in spec.catalogs["softfactory-api"]:
        assert any(name in exprs for name in family.series_names()), family.name


def test_alert_threshold_shown_on_panel():
    dash = dashboards(SPEC)["grafana/dashboards/softfactory-api.json"]
    p95 = next(p for p in dash["panels"] if p["title"] == "p95 latency")
    steps = p95["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert {"value": 0.5, "color": "red"} in steps
    assert p95["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] == "line"
