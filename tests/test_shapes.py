"""The shapes public rule sets use, as typed kinds (counter_change, state, absent, forecast,
deadline, count), plain-number ratios, negative thresholds and guards: their generated
cases fire and stay quiet as promtool says, and a wrong rule fails them."""

import subprocess
from decimal import Decimal

import pytest
from ruamel.yaml import YAML

from sfmon.derive.rule_tests import rule_tests
from sfmon.kinds.absent import absent_labels
from sfmon.pipeline import load, load_and_check, render
from sfmon.semantics.gotemplate import expand
from sfmon.semantics.promql import Segment, notation, over_window, predict_linear, samples

from conftest import own_tests
from test_rule_tests import promtool_test, small_spec, write

SHAPES = """\
  - {name: Restarts, kind: counter_change, target: app, metric: restarts_total, function: resets, window: 15m, above: 2, severity: warning, summary: "{{ $labels.instance }}: {{ $value }}"}
  - {name: Errors, kind: counter_change, target: app, metric: 'errors_total{code=~"5.."}', window: 10m, above: 50, for: 5m, by: [job], severity: warning, summary: "{{ $value }}"}
  - {name: Flapping, kind: counter_change, target: app, metric: link_up, function: changes, window: 10m, above: 4, for: 2m, severity: warning, summary: "{{ $value }}"}
  - {name: Stuck, kind: counter_change, target: app, metric: progress_total, function: changes, window: 30m, below: 1, severity: info, summary: "{{ $value }}"}
  - {name: TempDrop, kind: counter_change, target: app, metric: temp_celsius, function: delta, window: 30m, below: -5, severity: info, summary: "{{ $value }}"}
  - {name: RaidBad, kind: state, target: app, metric: raid_ok, not_equals: 1, for: 1m, severity: critical, summary: "{{ $labels.__name__ }} is {{ $value }}"}
  - {name: Gone, kind: absent, target: app, metric: 'redis_up{role="primary",zone=~"a|b",env!="dev"}', for: 2m, severity: critical, summary: "{{ $labels }}"}
  - {name: NeverThere, kind: absent, target: app, metric: 'redis_up{role="primary",env="prod",env="dev"}', severity: critical, summary: "{{ $labels }}"}
  - {name: GoneLong, kind: absent, target: app, metric: redis_up, window: 10m, severity: critical, summary: "{{ $labels.job }}"}
  - {name: DiskFull, kind: forecast, target: app, metric: 'disk_free_bytes{mountpoint="/"}', window: 6h, horizon: 4h, below: 0, for: 30m, severity: warning, summary: "{{ $value }}"}
  - {name: TooHot, kind: forecast, target: app, metric: temp_celsius, window: 1h, horizon: 2h, above: 90.5, by: [job], severity: warning, summary: "{{ $value }}"}
  - {name: SoonLow, kind: forecast, target: app, metric: 'm{code="200"}', window: 1m, horizon: 260ms, below: 0.197, severity: critical, summary: "{{ $value }}"}
  - {name: CertExpiry, kind: deadline, target: app, metric: cert_expiry_timestamp_seconds, within: 7d, for: 10m, severity: warning, summary: "{{ $value | humanizeDuration }}"}
  - {name: FewReplicas, kind: count, target: app, metric: up, below: 2.5, severity: warning, summary: "{{ $value }}"}
  - {name: TooMany, kind: count, target: app, metric: sessions, above: 3, by: [job], severity: warning, summary: "{{ $value }}"}
  - {name: SlowOps, kind: ratio, target: app, numerator: op_seconds_sum, denominator: [op_seconds_count], window: 5m, above: 2.5, severity: warning, summary: "{{ $value }}"}
  - {name: Cold, kind: threshold, target: app, metric: temp_celsius, below: -10, severity: warning, summary: "{{ $value }}"}
  - name: GuardedDown
    kind: target_down
    target: app
    for: 1m
    severity: critical
    summary: down
    guards:
      - {unless: 'maintenance{job="app"}', on: [job]}
      - {and: expected_up, on: [instance]}
"""


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shapes")
    spec = small_spec(tmp, SHAPES)
    loaded, problems = load_and_check(spec)
    assert loaded is not None and not [p for p in problems if p.severity.name == "ERROR"], problems
    return tmp, loaded


def groups_of(loaded, name):
    built = rule_tests(loaded.spec)
    return [g for g in (*built.groups, *built.long) if g.alertname == name]  # long: tests at the coarser interval


def test_generated_cases_pass_promtool(shapes, promtool):
    tmp, loaded = shapes
    out = write(render(loaded), tmp / "out")
    got = promtool_test(promtool, out)
    assert got.returncode == 0, got.stdout + got.stderr


@pytest.mark.parametrize(
    "name",
    ["Restarts", "Errors", "Flapping", "Stuck", "TempDrop", "RaidBad", "Gone", "GoneLong", "DiskFull", "TooHot", "SoonLow", "CertExpiry", "FewReplicas", "TooMany", "SlowOps", "Cold", "GuardedDown"],
)
def test_every_shape_has_a_firing_and_a_quiet_case(shapes, name):
    _, loaded = shapes
    checks = [c for g in groups_of(loaded, name) for c in g.checks]
    assert any(c.alerts for c in checks), name
    assert any(not c.alerts for c in checks), name
    assert not [n for n in rule_tests(loaded.spec).notes if n.message.startswith(name + ":")]


def test_expected_labels_are_the_series_identity_or_the_by_labels(shapes):
    _, loaded = shapes

    def labels(name):
        return next(a.labels for g in groups_of(loaded, name) for c in g.checks for a in c.alerts)

    assert labels("Restarts") == {"alertname": "Restarts", "instance": "a:1", "job": "app", "severity": "warning"}
    assert labels("Errors") == {"alertname": "Errors", "job": "app", "severity": "warning"}
    assert labels("FewReplicas") == {"alertname": "FewReplicas", "job": "app", "severity": "warning"}
    # absent(): the equality matchers; a regex or a second matcher on a label drops it.
    assert labels("Gone") == {"alertname": "Gone", "job": "app", "role": "primary", "severity": "critical"}
    assert labels("NeverThere") == {"alertname": "NeverThere", "job": "app", "role": "primary", "severity": "critical"}


def test_absent_labels_follow_prometheus():
    assert absent_labels('x{job="a",job="b",foo="bar"}') == {"foo": "bar"}
    assert absent_labels('x{job="a",instance=~".*"}') == {"job": "a"}
    assert absent_labels('x{a="",b="1"}') == {"b": "1"}
    assert absent_labels("x") == {}


# A wrong rule (what a careless edit or a wrong prediction would give) fails the generated
# cases of that alert: the cases pin the threshold, the function, the window and the guards.
MUTATIONS = [
    ("Restarts", "resets(restarts_total", "changes(restarts_total"),
    ("Errors", "[10m])) > 50", "[10m])) > 60"),
    ("Flapping", "changes(link_up{job=\\\"app\\\"}[10m]) > 4", "changes(link_up{job=\\\"app\\\"}[10m]) > 5"),
    ("Stuck", "[30m]) < 1", "[30m]) < 2"),
    ("TempDrop", "< -5", "< -6"),
    ("RaidBad", "raid_ok{job=\\\"app\\\"} != 1", "raid_ok{job=\\\"app\\\"} != 0"),
    ("GoneLong", "redis_up{job=\\\"app\\\"}[10m]", "redis_up{job=\\\"app\\\"}[20m]"),
    ("DiskFull", "[6h], 14400)", "[6h], 12000)"),
    ("TooHot", "> 90.5", "> -200"),  # the quiet case forecasts about -150
    ("CertExpiry", "time() < 604800", "time() < 540000"),
    ("FewReplicas", "count without (instance)", "count by (instance)"),
    ("TooMany", "> 3", "> 4"),
    ("SlowOps", "> 2.5", "> 2.8"),
    ("Cold", "< -10", "< -11.5"),
    ("GuardedDown", " unless on(job) ", " and on(job) "),
    ("GuardedDown", " and on(instance) expected_up", " and on(job) expected_up"),
]


@pytest.mark.parametrize("alert,old,new", MUTATIONS, ids=[f"{a}:{o}" for a, o, _ in MUTATIONS])
def test_a_wrong_rule_fails_its_generated_cases(shapes, promtool, alert, old, new):
    tmp, loaded = shapes
    files = render(loaded)
    rules = files["alerts.yml"]
    assert rules.count(old) == 1, (old, rules)
    files["alerts.yml"] = rules.replace(old, new)
    out = write(files, tmp / f"mut-{alert}-{abs(hash(old))}")
    got = promtool_test(promtool, out, *own_tests(out, alert))
    assert got.returncode != 0, f"{alert}: promtool accepted the mutated rule {new!r}"
    assert f"alertname: {alert}" in got.stdout + got.stderr, got.stdout + got.stderr


def test_a_guard_that_cannot_match_drops_the_firing_cases_with_a_note(tmp_path):
    spec = small_spec(
        tmp_path,
        '  - {name: Down, kind: target_down, target: app, severity: critical, summary: s, guards: [{and: \'ok{instance="elsewhere"}\', on: [instance]}]}\n',
    )
    built = rule_tests(load(spec).spec)
    assert [n.message for n in built.notes] == [
        'Down: guard ok{instance="elsewhere"} selects no series sharing its `on` labels with the alert\'s; only its quiet cases are generated'
    ]
    assert built.groups and all(not c.alerts for g in built.groups for c in g.checks)


def test_an_unknown_guard_metric_is_placed_on_the_guard(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(
        """version: 1
project: small
catalogs:
  app: [{name: queue_depth, type: gauge}]
targets:
  - {name: app, addresses: ["a:1"], catalog: app}
receivers:
  - {name: team, webhook: {url: "http://localhost:5001/"}}
routing:
  receiver: team
grafana:
  admin_password_file: /run/secrets/grafana
alerts:
  - name: Deep
    kind: threshold
    target: app
    metric: queue_depth
    above: 5
    severity: warning
    summary: s
    guards:
      - {unless: maintenanse_mode, on: []}
""",
        encoding="utf-8",
    )
    _, problems = load_and_check(path)
    found = [p for p in problems if "maintenanse_mode" in p.message]
    assert found and (found[0].line, found[0].column) == (22, 18), found


@pytest.mark.parametrize(
    "segments",
    [
        (Segment(Decimal("0.1"), Decimal("0.37"), 40),),
        (Segment(Decimal("1e9"), Decimal("-3.3"), 40),),
        (Segment(Decimal("7.77"), Decimal("1.01"), 20), Segment(Decimal("3"), Decimal("0"), 20)),
    ],
)
def test_range_functions_match_promtool_digit_for_digit(tmp_path, promtool, segments):
    """predict_linear (Kahan sums), changes, resets and delta on values with rounding."""
    rules = {
        "P": "predict_linear(x[10m], 3600) > -1e300",
        "C": "changes(x[10m]) >= 0",
        "R": "resets(x[10m]) >= 0",
        "D": "delta(x[7m]) > -1e300",
    }
    (tmp_path / "rules.yml").write_text(
        "groups:\n  - name: g\n    rules:\n"
        + "".join(f"      - {{alert: {k}, expr: '{v}', annotations: {{v: '{{{{ $value }}}}'}}}}\n" for k, v in rules.items()),
        encoding="utf-8",
    )
    xs = samples(segments)
    cases = []
    for at in (600_000, 1_200_000, 1_500_000):
        predicted = {
            "P": predict_linear(xs, 60_000, at, 600_000, 3600.0),
            "C": over_window(xs, 60_000, at, 600_000, "changes"),
            "R": over_window(xs, 60_000, at, 600_000, "resets"),
            "D": over_window(xs, 60_000, at, 420_000, "delta"),
        }
        for name, value in predicted.items():
            text = expand("{{ $value }}", {}, value)
            cases.append({"eval_time": f"{at // 1000}s", "alertname": name, "exp_alerts": [{"exp_labels": {}, "exp_annotations": {"v": text}}]})
    test = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": [{"series": "x", "values": notation(segments)}], "alert_rule_test": cases}],
    }
    with open(tmp_path / "t.yml", "w", encoding="utf-8") as fh:
        YAML(typ="safe").dump(test, fh)
    got = subprocess.run([promtool, "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert got.returncode == 0, got.stdout + got.stderr


def test_a_guard_series_the_alert_itself_would_read_is_not_added(tmp_path, promtool):
    """`and: up{job="app"}` on a count of up: a guard series would be counted too."""
    spec = small_spec(
        tmp_path,
        "  - {name: Few, kind: count, target: app, metric: up, below: 2, severity: warning, summary: s, guards: [{and: 'up{job=\"app\"}', on: []}]}\n",
    )
    loaded = load(spec)
    built = rule_tests(loaded.spec)
    assert [n.message for n in built.notes] == [
        'Few: guard up{job="app"} would select a series the alert itself reads; only its quiet cases are generated'
    ]
    got = promtool_test(promtool, write(render(loaded), tmp_path / "out"))
    assert got.returncode == 0, got.stdout + got.stderr


def test_a_count_of_changes_no_window_can_hold_is_reported(tmp_path):
    spec = small_spec(
        tmp_path,
        "  - {name: Flaps, kind: counter_change, target: app, metric: link_up, function: changes, window: 2m, above: 500, severity: info, summary: s}\n",
    )
    notes = [n.message for n in rule_tests(load(spec).spec).notes]
    assert notes == ["Flaps: no whole number of changes above 500 fits a 2m window of 8 samples; firing case not generated"]
