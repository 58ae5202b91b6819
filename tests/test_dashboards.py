"""Dashboards validate against Grafana's own dashboard JSON Schema, in the tests and in
`sfmon validate`; ids and uids are unique."""

import json
import shutil

import jsonschema
import pytest

from sfmon.pipeline import load, render
from sfmon.paths import default_templates
from sfmon.tools.dashboards import check_dashboard, check_dashboards

from conftest import FIXTURES, SCHEMAS, SPEC, run_sfmon

SPECS = [SPEC, *sorted((FIXTURES / "specs" / "valid").glob("*.yaml"))]


@pytest.fixture(scope="module")
def validator():
    schema = json.loads((SCHEMAS / "grafana" / "dashboard.jsonschema.json").read_text())
    return jsonschema.Draft7Validator(schema)


def dashboards(spec_path):
    return {rel: json.loads(t) for rel, t in render(load(spec_path)).items() if rel.startswith("grafana/dashboards/")}


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_dashboards_match_grafana_schema(spec, validator):
    dashes = dashboards(spec)
    assert dashes or spec.stem in ("minimal", "raw_exprs", "am-simple-example", "am-nested", "discovery", "scraping")  # rules, routing or scraping only
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


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_validate_check_accepts_rendered_dashboards(spec):
    assert check_dashboards(render(load(spec)), "generated") == []


def test_validate_places_and_names_a_dashboard_the_schema_refuses(tmp_path):
    tpl = tmp_path / "templates"
    shutil.copytree(default_templates(), tpl)
    dash = tpl / "grafana" / "dashboard.json.j2"
    panel_grid = '"datasource": {"type": {{ ds.type }}, "uid": {{ ds.uid }}},\n     "gridPos": {"h": {{ item.grid.h }}'
    assert panel_grid in dash.read_text()
    dash.write_text(dash.read_text().replace(panel_grid, panel_grid.replace("item.grid.h", 'item.grid.h ~ "u"')))
    res = run_sfmon("validate", "--templates", str(tpl))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    # where the first refused value sits in the file validate rendered
    text = render(load(SPEC), tpl)["grafana/dashboards/softfactory-api.json"]
    offset = text.index('"h": "8u"') + len('"h": ')
    line = text.count("\n", 0, offset) + 1
    column = offset - text.rfind("\n", 0, offset)
    first = next(i for i, p in enumerate(json.loads(text)["panels"]) if p["type"] != "row")
    expected = (
        f"generated/grafana/dashboards/softfactory-api.json:{line}:{column}: error: "
        f"$.panels[{first}].gridPos.h: '8u' is not of type 'integer' [grafana/schema]"
    )
    assert expected in res.stdout.splitlines(), res.stdout
    for uid in ("softfactory-api", "softfactory-cache", "softfactory-search"):
        assert f"generated/grafana/dashboards/{uid}.json:" in res.stdout


@pytest.fixture(scope="module")
def api_dashboard():
    return render(load(SPEC))["grafana/dashboards/softfactory-api.json"]


def refused(dash: dict) -> list[str]:
    return [f"{p.location()}: {p.message}" for p in check_dashboard(json.dumps(dash, indent=2), "d.json")]


def test_a_panel_is_judged_as_the_kind_it_is_meant_to_be(api_dashboard):
    """A panel is a Panel or a RowPanel (oneOf): the finding is about the branch it fits,
    not the whole panel, and not "'row' was expected" for a timeseries with one stray key."""
    dash = json.loads(api_dashboard)
    row = next(i for i, p in enumerate(dash["panels"]) if p["type"] == "row")
    series = next(i for i, p in enumerate(dash["panels"]) if p["type"] == "timeseries")
    dash["panels"][row]["panels"] = 3
    dash["panels"][series]["colour"] = "red"
    found = refused(dash)
    assert len(found) == 2, found
    assert found[0].endswith(f"$.panels[{row}].panels: 3 is not of type 'array'"), found
    assert found[1].endswith(f"$.panels[{series}]: Additional properties are not allowed ('colour' was unexpected)"), found


def test_findings_point_at_the_offending_node(api_dashboard):
    dash = json.loads(api_dashboard)
    dash["refresh"] = 30
    dash["templating"]["list"][0]["type"] = "dropdown"
    text = json.dumps(dash, indent=2)
    lines = text.splitlines()
    problems = check_dashboard(text, "d.json")
    assert [p.message.split(":")[0] for p in problems] == ["$.refresh", "$.templating.list[0].type"]
    assert lines[problems[0].line - 1][problems[0].column - 1 :] == "30,"
    assert lines[problems[1].line - 1][problems[1].column - 1 :].startswith('"dropdown"')
    assert all(p.check == "grafana/schema" and p.file == "d.json" for p in problems)


def test_findings_per_dashboard_are_capped(api_dashboard):
    dash = json.loads(api_dashboard)
    dash["panels"] = [{**dash["panels"][1], "id": i, "gridPos": {**dash["panels"][1]["gridPos"], "h": "8u"}} for i in range(25)]
    problems = check_dashboard(json.dumps(dash, indent=2), "d.json")
    assert len(problems) == 21
    assert problems[-1].message == "5 more schema findings not shown"
    assert [p.message for p in problems[:2]] == [f"$.panels[{i}].gridPos.h: '8u' is not of type 'integer'" for i in (0, 1)]
