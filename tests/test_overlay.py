"""Overlays: merge rules, --set paths, and problems placed in the overlay that caused them."""

from __future__ import annotations

import textwrap

import pytest

from conftest import SPEC, run_sfmon
from sfmon.spec.overlay import apply_set, merge_file, parse_set
from sfmon.pipeline import load, load_and_check
from sfmon.problems import SpecError

BASE = {
    "prometheus": {"scrape_interval": "15s", "external_labels": {"cluster": "prod"}},
    "targets": [{"name": "api", "addresses": ["api:8000"]}, {"name": "db", "addresses": ["db:9187"]}],
    "dashboards": [{"uid": "d1", "title": "One"}],
    "routing": {"routes": [{"notify": ["a"]}, {"notify": ["b"]}]},
}


def merged(text: str) -> dict:
    return merge_file(BASE, "o.yaml", textwrap.dedent(text), {})


def test_mappings_merge_and_null_removes_a_key():
    out = merged(
        """
        prometheus: {scrape_interval: 1s, external_labels: null}
        """
    )
    assert out["prometheus"] == {"scrape_interval": "1s"}
    assert out["targets"] == BASE["targets"]


def test_named_lists_merge_by_name_or_uid_and_append_new_names():
    out = merged(
        """
        targets:
          - {name: db, addresses: ["127.0.0.1:1"]}
          - {name: cache, addresses: ["127.0.0.1:2"]}
        dashboards: [{uid: d1, title: Renamed}]
        """
    )
    assert out["targets"] == [
        {"name": "api", "addresses": ["api:8000"]},
        {"name": "db", "addresses": ["127.0.0.1:1"]},
        {"name": "cache", "addresses": ["127.0.0.1:2"]},
    ]
    assert out["dashboards"] == [{"uid": "d1", "title": "Renamed"}]


def test_unnamed_lists_are_replaced():
    out = merged("routing: {routes: [{notify: [c]}]}")
    assert out["routing"]["routes"] == [{"notify": ["c"]}]


def test_merge_does_not_change_the_base():
    snapshot = repr(BASE)
    merged("targets: [{name: api, addresses: [x]}]\nprometheus: {external_labels: null}")
    apply_set(BASE, "targets[api].addresses=[y]", {})
    assert repr(BASE) == snapshot


@pytest.mark.parametrize(
    "arg, path, value",
    [
        ("prometheus.scrape_interval=5s", ["prometheus", "scrape_interval"], "5s"),
        ('targets[0].addresses=["127.0.0.1:8000"]', ["targets", 0, "addresses"], ["127.0.0.1:8000"]),
        ("alerts[HighErrorRate].above=2%", ["alerts", ("HighErrorRate",), "above"], "2%"),
        ("catalogs.softfactory-api[0].help=x=y", ["catalogs", "softfactory-api", 0, "help"], "x=y"),
        ("grafana.anonymous_access=true", ["grafana", "anonymous_access"], True),
        ("prometheus.external_labels=", ["prometheus", "external_labels"], None),
    ],
)
def test_set_paths_and_yaml_values(arg, path, value):
    assert parse_set(arg) == (path, value)


def test_set_by_index_by_name_creates_missing_mappings_and_removes_with_null():
    out = apply_set(BASE, 'targets[db].addresses=["127.0.0.1:9"]', {})
    assert out["targets"][1]["addresses"] == ["127.0.0.1:9"]
    out = apply_set(out, "prometheus.external_labels.env=test", {})
    assert out["prometheus"]["external_labels"] == {"cluster": "prod", "env": "test"}
    out = apply_set(out, "grafana.url=http://127.0.0.1:1", {})
    assert out["grafana"] == {"url": "http://127.0.0.1:1"}
    out = apply_set(out, "prometheus.external_labels=null", {})
    assert "external_labels" not in out["prometheus"]


@pytest.mark.parametrize(
    "arg, message",
    [
        ("prometheus.scrape_interval", "expected PATH=VALUE"),
        ("=1", "expected PATH=VALUE"),
        ("targets[7].name=x", "targets has 2 items; index 7 is out of range"),
        ("targets[apu].name=x", "targets has no item named 'apu' (did you mean 'api'?)"),
        ("prometheus[0]=x", "prometheus is not a list"),
        ("targets.name=x", "targets is not a mapping"),
        ("targets[0]=null", "cannot remove targets[0]"),
        ("[0].x=1", "a path starts with a key"),
        ("targets[0]..name=1", "cannot read the path"),
    ],
)
def test_bad_set_names_the_argument(arg, message):
    with pytest.raises(SpecError) as err:
        apply_set(BASE, arg, {})
    (problem,) = err.value.problems
    assert problem.file == f"--set {arg}" and problem.check == "spec/overlay"
    assert message in problem.message


def test_overlay_on_the_default_spec_changes_only_what_it_says(tmp_path):
    overlay = tmp_path / "drill.yaml"
    overlay.write_text("prometheus: {scrape_interval: 1s, scrape_timeout: 1s}\nalerts: [{name: ApiDown, for: 2s}]\n")
    plain = load(SPEC).spec
    spec = load(SPEC, [overlay], ['targets[api].addresses=["127.0.0.1:8000"]']).spec
    assert spec.prometheus.scrape_interval == "1s" and spec.prometheus.evaluation_interval == "15s"
    assert spec.targets[0].addresses == ["127.0.0.1:8000"] and spec.targets[1:] == plain.targets[1:]
    api_down = next(a for a in spec.alerts if a.name == "ApiDown")
    assert api_down.for_ == "2s" and api_down.summary == plain.alerts[0].summary
    assert [a.name for a in spec.alerts] == [a.name for a in plain.alerts]


def test_problems_point_into_the_overlay_file(tmp_path):
    overlay = tmp_path / "o.yaml"
    overlay.write_text(
        textwrap.dedent(
            """\
            prometheus:
              scrape_interval: 1s
            alerts:
              - name: ApiDown
                for: 5x
              - {name: Extra, kind: target_down, target: nowhere, severity: critical, summary: s, bogus: 1}
            """
        )
    )
    _, problems = load_and_check(SPEC, [overlay])
    text = [str(p) for p in problems]
    assert any(t.startswith(f"{overlay}:5:10: error: alerts[0].for: invalid duration '5x'") for t in text)
    assert any(t.startswith(f"{overlay}:6:") and "unknown key 'bogus'" in t for t in text)
    # A problem in a value the overlay did not touch still points at the spec.
    assert any(t.startswith(f"{SPEC}:") and "scrape_timeout must not be longer" in t for t in text)


def test_check_problems_point_at_the_set_argument():
    _, problems = load_and_check(SPEC, sets=["alerts[ApiDown].target=ap"])
    (p,) = [p for p in problems if p.check == "names/references"]
    assert p.file == "--set alerts[ApiDown].target=ap" and p.line == 0
    assert "unknown target 'ap' (did you mean 'api'?)" in p.message


def test_later_layers_win_and_take_the_blame(tmp_path):
    overlay = tmp_path / "o.yaml"
    overlay.write_text("alerts: [{name: ApiDown, for: 2s}]\n")
    loaded = load(SPEC, [overlay], ["alerts[ApiDown].for=3s"])
    assert loaded.spec.alerts[0].for_ == "3s"
    assert loaded.smap.where(("alerts", 0, "target_down", "for"))[0] == "--set alerts[ApiDown].for=3s"
    assert loaded.smap.where(("alerts", 0, "target_down", "summary"))[0] == str(SPEC)


def test_cli_generate_and_validate_take_overlays(tmp_path):
    overlay = tmp_path / "o.yaml"
    overlay.write_text("prometheus: {scrape_interval: 2s, scrape_timeout: 1s}\n")
    out = tmp_path / "gen"
    res = run_sfmon("generate", "--out", str(out), "--overlay", str(overlay), "--set", 'targets[api].addresses=["127.0.0.1:8000"]')
    assert res.returncode == 0, res.stdout + res.stderr
    prom = (out / "prometheus.yml").read_text()
    assert 'scrape_interval: "2s"' in prom and '"127.0.0.1:8000"' in prom and '"api:8000"' not in prom
    bad = run_sfmon("validate", "--set", "routing.group_wait=soon")
    assert bad.returncode == 1 and "--set routing.group_wait=soon: error: routing.group_wait: invalid duration" in bad.stdout
