"""Severity tiers (one alert, several thresholds, one rule per tier) and labels kept (typed
kinds keep each series' identity): rules, generated rule tests, route cases, inhibition,
overlays, all against the real promtool and amtool where a tool is the referee."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

from conftest import FIXTURES, SPEC, own_tests, run_sfmon
from sfmon.derive import derive
from sfmon.derive.route_cases import alert_labels
from sfmon.kinds.testgen import Series
from sfmon.spec.loader import load_spec, parse_spec

FULL = FIXTURES / "specs" / "valid" / "full.yaml"

MINI = """\
version: 1
project: tiers
targets:
  - {name: db, addresses: ["db-1:9187", "db-2:9187"], labels: {service: database, team: storage}}
  - {name: web, addresses: ["web:80"], labels: {service: web, team: frontend}}
alerts:
%(alerts)s
receivers:
  - {name: storage-pager, webhook: {url: "http://127.0.0.1:5001/pager"}}
  - {name: storage-chat, webhook: {url: "http://127.0.0.1:5001/chat"}}
  - {name: fallback, webhook: {url: "http://127.0.0.1:5001/other"}}
routing:
  receiver: fallback
  routes:
    - {match: {team: storage, severity: critical}, notify: [storage-pager]}
    - {match: {team: storage}, notify: [storage-chat]}
  inhibit:
%(inhibit)s
  tests:
%(tests)s
grafana:
  admin_password_file: /run/secrets/grafana
"""

POOL = (
    "  - {name: PoolFull, kind: ratio, target: db, numerator: used, denominator: [size], summary: pool, "
    "tiers: [{severity: warning, above: 80%}, {severity: critical, above: 90%, for: 5m}]}"
)


def mini(tmp_path: Path, alerts: str = POOL, tests: str = "    []", inhibit: str = "    []") -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(MINI % {"alerts": alerts, "tests": tests, "inhibit": inhibit}, encoding="utf-8")
    return path


def load(path: Path):
    return parse_spec(str(path), path.read_text(encoding="utf-8"))


def test_one_rule_per_tier_with_the_alerts_name():
    alert = next(a for a in load_spec(SPEC).alerts if a.name == "ConnectionPoolNearMax")
    rules = alert.rules()
    assert [r.name for r in rules] == ["ConnectionPoolNearMax"] * 2
    assert [r.labels["severity"] for r in rules] == ["warning", "critical"]
    assert [r.expr.rsplit(" ", 1)[1] for r in rules] == ["0.8", "0.95"]
    assert [str(r.for_) for r in rules] == ["5m", "2m"]  # the critical tier's own `for`
    assert rules[1].annotations["summary"] == "PostgreSQL connections above 95% of max_connections"
    assert rules[0].annotations["summary"] == "PostgreSQL connections above 80% of max_connections"


def test_each_tier_fires_at_its_threshold_and_not_below():
    """Recomputed from the series, not from sfmon's own case names: a constant gauge at v
    makes exactly the tiers whose threshold v is above fire."""
    spec = load_spec(FULL)
    alert = next(a for a in spec.alerts if a.name == "QueueTiers")
    thresholds = {lv.severity: lv.value for lv in alert.levels()}
    groups = [g for g in derive(spec).rule_tests.groups if g.alertname == "QueueTiers"]
    assert len(groups) == 6  # per tier: just past it, just short of it
    seen = set()
    for g in groups:
        main = [s for s in g.series if isinstance(s, Series) and dict(s.labels)["instance"] == "web-1:8080"]
        value = main[0].segments[0].start
        want = {sev for sev, t in thresholds.items() if value > t}
        got = {a.labels["severity"] for a in g.checks[-1].alerts}
        assert got == want, g.name
        seen.add(frozenset(got))
    # quiet, info only, info and warning, all three: between tiers only the lower ones fire
    assert seen == {frozenset(), frozenset({"info"}), frozenset({"info", "warning"}), frozenset({"info", "warning", "critical"})}


def test_generated_tier_tests_pass_promtool_and_fail_when_a_tier_moves(tmp_path, promtool):
    out = tmp_path / "gen"
    done = run_sfmon("generate", "--spec", str(FULL), "--out", str(out))
    assert done.returncode == 0, done.stderr
    mine = own_tests(out, "QueueTiers")
    run = subprocess.run([promtool, "test", "rules", *mine], cwd=out, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    # Move the critical tier of QueueTiers from 100 to 85: the "only info and warning at 88" case must fail.
    rules = (out / "alerts.yml").read_text(encoding="utf-8")
    moved = rules.replace('expr: "queue_depth{job=\\"web\\"} > 100"', 'expr: "queue_depth{job=\\"web\\"} > 85"')
    assert moved != rules
    (out / "alerts.yml").write_text(moved, encoding="utf-8")
    own_tests(out, "QueueTiers")  # split again: the per-alert rule files carry the moved rule
    run = subprocess.run([promtool, "test", "rules", *mine], cwd=out, capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and "QueueTiers: fires info and warning at value 88" in run.stdout + run.stderr


def test_one_instance_past_the_threshold_fires_with_its_own_labels():
    spec = load_spec(SPEC)
    group = next(g for g in derive(spec).rule_tests.groups if g.name.startswith("HighErrorRate: fires at"))
    instances = {dict(s.labels)["instance"] for s in group.series}
    assert instances == {"api:8000", "other-instance:1"}
    (alert,) = group.checks[-1].alerts
    assert alert.labels == {
        "alertname": "HighErrorRate", "instance": "api:8000", "job": "api",
        "service": "api", "severity": "critical", "team": "backend",
    }  # fmt: skip
    rule = next(a for a in spec.alerts if a.name == "HighErrorRate").rules()[0]
    assert rule.expr.startswith('sum without (status) (rate(http_requests_total{job="api",status=~"5.."}[5m]))')


def test_by_still_narrows(tmp_path):
    alerts = (
        "  - {name: PoolFull, kind: ratio, target: db, numerator: used, denominator: [size], above: 80%, "
        "by: [job], severity: warning, summary: pool}"
    )
    spec = load(mini(tmp_path, alerts))
    assert spec.alerts[0].rules()[0].expr.startswith('sum by (job) (used{job="db"})')
    groups = derive(spec).rule_tests.groups
    firing = [a for g in groups for c in g.checks for a in c.alerts]
    assert firing and all(a.labels == {"alertname": "PoolFull", "job": "db", "severity": "warning"} for a in firing)
    assert all(len(g.series) == 2 for g in groups)  # no neighbour: the alert does not keep instance


def test_route_cases_carry_target_labels_and_agree_with_amtool(tmp_path):
    tests = (
        "    - {alert: PoolFull, labels: {severity: critical}, receivers: [storage-pager]}\n"
        "    - {alert: PoolFull, labels: {severity: warning}, receivers: [storage-chat]}\n"
        "    - {alert: WebSlow, receivers: [fallback]}"
    )
    alerts = POOL + "\n  - {name: WebSlow, kind: latency_quantile, target: web, histogram: h_seconds, above: 1s, severity: critical, summary: s}"
    spec_path = mini(tmp_path, alerts, tests)
    cases = derive(load(spec_path)).route_cases
    assert cases[0].labels["team"] == "storage" and cases[0].labels["instance"] == "db-1:9187"
    out = tmp_path / "gen"
    assert run_sfmon("generate", "--spec", str(spec_path), "--out", str(out)).returncode == 0
    done = run_sfmon("validate", "--spec", str(spec_path), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 route tests (amtool)" in done.stdout


def test_route_test_of_a_tiered_alert_is_one_case_per_tier(tmp_path):
    spec = load(mini(tmp_path, tests="    - {alert: PoolFull, receivers: [storage-chat]}"))
    derived = derive(spec)
    assert [c.name for c in derived.route_cases] == ["PoolFull (warning)", "PoolFull (critical)"]
    out = tmp_path / "gen"
    path = tmp_path / "spec.yaml"
    done = run_sfmon("generate", "--spec", str(path), "--out", str(out))
    assert done.returncode == 1
    assert 'route test "PoolFull (critical)"' in done.stdout + done.stderr
    assert "storage-pager" in done.stdout + done.stderr


def test_every_tier_must_reach_a_receiver(tmp_path):
    spec = load(mini(tmp_path))
    per_tier = alert_labels(spec.alerts[0], {t.name: t for t in spec.targets})
    assert [lv.labels["severity"] for lv in per_tier] == ["warning", "critical"]
    assert all(lv.labels["team"] == "storage" for lv in per_tier)


def test_templated_severity_makes_route_cases_unpredictable(tmp_path):
    alerts = (
        "  - name: PoolFull\n    kind: expr\n    target: db\n    expr: used / size > 0.8\n    severity: warning\n"
        "    labels: {severity: '{{ if eq $labels.level \"2\" }}critical{{ else }}warning{{ end }}'}\n    summary: pool"
    )
    tests = "    - {alert: PoolFull, receivers: [storage-chat]}\n    - {alert: PoolFull, labels: {severity: critical, team: storage}, receivers: [storage-pager]}"
    path = mini(tmp_path, alerts, tests)
    derived = derive(load(path))
    assert [c.name for c in derived.route_cases] == ["PoolFull"]  # only the one that pins severity
    assert derived.route_cases[0].labels["severity"] == "critical"
    assert "{{" not in str([c.labels for c in derived.route_cases])
    out = tmp_path / "gen"
    done = run_sfmon("generate", "--spec", str(path), "--out", str(out))
    text = done.stdout + done.stderr
    assert done.returncode == 0, text
    assert "routing.tests[0]: route test \"PoolFull\": the alert's severity label is a template" in text
    assert "[routing/tests]" in text and "[routing/alerts]" in text
    assert "{{ if" not in (out / "tests" / "routes.test.yml").read_text(encoding="utf-8")


def test_inhibit_rule_with_alertname_gets_tier_cases(tmp_path):
    good = "    - {source: {severity: critical}, target: {severity: warning}, equal: [alertname, instance]}"
    derived = derive(load(mini(tmp_path, inhibit=good)))
    assert [(c.name, c.expect_muted) for c in derived.inhibit_cases] == [
        ("PoolFull: the critical tier mutes the warning tier", True),
        ("PoolFull: the warning tier does not mute the critical tier", False),
    ]
    # A rule whose two sides match both tiers never mutes (Alertmanager skips a source that
    # is also a target): the generated case says so.
    both = "    - {source: {team: storage}, target: {team: storage}, equal: [alertname]}"
    path = mini(tmp_path, inhibit=both)
    done = run_sfmon("generate", "--spec", str(path), "--out", str(tmp_path / "gen"))
    assert done.returncode == 1
    assert 'inhibition test "PoolFull: the critical tier mutes the warning tier"' in done.stdout + done.stderr


def test_overlay_path_into_a_tier(tmp_path):
    out = tmp_path / "gen"
    done = run_sfmon(
        "generate", "--spec", str(SPEC), "--out", str(out), "--set", "alerts[ConnectionPoolNearMax].tiers[1].above=90%"
    )
    assert done.returncode == 0, done.stderr
    rules = (out / "alerts.yml").read_text(encoding="utf-8")
    assert 'sum without () (pg_settings_max_connections{job=\\"postgres\\"}) > 0.9"' in rules
    assert "> 0.95" not in rules


def test_tiers_thresholds_on_dashboards():
    from sfmon.render.views import alerts_by_name, dashboard_view

    spec = load_spec(SPEC)
    dash = next(d for d in spec.dashboards if d.uid == "softfactory-database")
    items = [i for i in dashboard_view(spec, dash, alerts_by_name(spec))["items"] if "panel" in i]
    steps = next(i["steps"] for i in items if i["panel"].show_alert == "ConnectionPoolNearMax")
    assert steps == [
        {"value": None, "color": "green"},
        {"value": Decimal("0.8"), "color": "orange"},
        {"value": Decimal("0.95"), "color": "red"},
    ]


def test_a_tier_with_a_for_of_years_skips_generated_tests_with_a_warning(tmp_path):
    alerts = (
        "  - {name: PoolFull, kind: ratio, target: db, numerator: used, denominator: [size], summary: pool, "
        "tiers: [{severity: warning, above: 80%}, {severity: critical, above: 90%, for: 30y}]}"
    )
    derived = derive(load(mini(tmp_path, alerts)))
    assert not [g for g in derived.rule_tests.groups if g.alertname == "PoolFull"]
    assert any("tests not generated" in n.message for n in derived.rule_tests.notes)


# The kinds added with the common shapes keep what their PromQL keeps: a filter or a function
# of each series keeps all its labels, `count` drops instance, `absent` has only its selector's
# equality matchers. Found by the public example: their route tests lost the team label.
SHAPES = {
    "state": ("metric: up2, equals: 0", {"instance", "job", "service", "team"}),
    "counter_change": ("metric: errs, function: increase, window: 5m, above: 1", {"instance", "job", "service", "team"}),
    "forecast": ("metric: free, window: 1h, horizon: 4h, below: 0", {"instance", "job", "service", "team"}),
    "deadline": ("metric: expiry, within: 7d", {"instance", "job", "service", "team"}),
    "count": ("metric: queue, above: 3", {"job", "service", "team"}),
    "absent": ("metric: up2", {"job"}),
}


def test_the_shape_kinds_keep_the_labels_their_expression_keeps(tmp_path):
    for kind, (fields, expected) in SHAPES.items():
        alerts = f"  - {{name: Shape, kind: {kind}, target: db, {fields}, severity: warning, summary: s}}"
        spec = load(mini(tmp_path, alerts))
        (level,) = alert_labels(spec.alerts[0], {t.name: t for t in spec.targets})
        assert set(level.labels) - {"alertname", "severity"} == expected, kind


def test_a_state_alert_routes_by_its_targets_team_as_amtool_says(tmp_path, promtool, amtool):
    alerts = "  - {name: DbDown, kind: state, target: db, metric: up2, equals: 0, severity: warning, summary: s}"
    path = mini(tmp_path, alerts, tests="    - {alert: DbDown, receivers: [storage-chat]}")
    out = tmp_path / "gen"
    done = run_sfmon("generate", "--spec", str(path), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'team: "storage"' in (out / "tests" / "routes.test.yml").read_text(encoding="utf-8")
    done = run_sfmon("validate", "--spec", str(path), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 route test (amtool)" in done.stdout
