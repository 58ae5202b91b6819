"""Generated and spec-written alert rule tests: built from the spec, proven with the real promtool."""

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from sfmon.semantics.gotemplate import Unsupported, expand, go_float
from sfmon.pipeline import load, render
from sfmon.problems import Severity
from sfmon.derive.rule_tests import rule_tests

from conftest import FIXTURES, GENERATED, SPEC, run_sfmon, edited_spec as edited

# Version-sensitive: once per toolset (tests/toolsets.py).
pytestmark = pytest.mark.matrix

VALID = [SPEC, *sorted((FIXTURES / "specs" / "valid").glob("*.yaml"))]
TEST_FILE = "tests/alerts.test.yml"


def write(files: dict[str, str], root: Path) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def promtool_test(promtool: str, root: Path, *files: str) -> subprocess.CompletedProcess:
    """promtool over `files`, by default the generated test files as `sfmon validate` runs
    them: the main one and the long alerts', each split per alert above SPLIT_ABOVE alerts."""
    from sfmon.tools.proofs import split_rule_tests

    if not files:
        rules = (root / "alerts.yml").read_text(encoding="utf-8")
        for rel in (TEST_FILE, "tests/alerts-long.test.yml"):
            if rel == TEST_FILE or (root / rel).is_file():
                name = Path(rel).name.split(".")[0]
                files += tuple(split_rule_tests(root, (root / rel).read_text(encoding="utf-8"), rules, name=name) or (rel,))
    return subprocess.run([promtool, "test", "rules", *files], cwd=root, capture_output=True, text=True, timeout=120)


def parsed(text: str) -> dict:
    return YAML(typ="safe").load(text)


def small_head(target: str = "app") -> str:
    """The start of a one-target (two instances), one-receiver spec; a test adds the rest."""
    return f"""version: 1
project: small
targets:
  - {{name: {target}, addresses: ["a:1", "b:2"]}}
receivers:
  - {{name: team, webhook: {{url: "http://localhost:5001/"}}}}
routing:
  receiver: team
grafana:
  admin_password_file: /run/secrets/grafana
"""


def small_spec(tmp_path: Path, alerts: str) -> Path:
    """A one-target, one-receiver spec with the given `alerts:` list (YAML text)."""
    path = tmp_path / "small.yaml"
    path.write_text(small_head() + "alerts:\n" + alerts, encoding="utf-8")
    return path




# --- the real promtool agrees --------------------------------------------------------------


@pytest.mark.parametrize("spec", VALID, ids=lambda p: p.stem)
def test_generated_rule_tests_pass_promtool(spec, tmp_path, promtool):
    out = write(render(load(spec)), tmp_path)
    got = promtool_test(promtool, out)
    assert got.returncode == 0, got.stdout + got.stderr
    assert "SUCCESS" in got.stdout


def test_committed_rule_tests_pass_promtool(promtool):
    got = promtool_test(promtool, GENERATED)
    assert got.returncode == 0, got.stdout + got.stderr


def test_every_default_alert_has_a_firing_and_a_quiet_generated_case():
    spec = load(SPEC).spec
    built = rule_tests(spec)
    groups = [g for g in (*built.groups, *built.long) if not any(g.name == f"{a.name}: {t.name}" for a in spec.alerts for t in a.tests)]
    firing, quiet = Counter(), Counter()
    for g in groups:
        for c in g.checks:
            (firing if c.alerts else quiet)[g.alertname] += 1
    names = [a.name for a in spec.alerts]
    assert len(names) == 13
    for name in names:
        assert firing[name] >= 1 and quiet[name] >= 1, name
        assert firing[name] + quiet[name] >= 2
    # target_down alerts also prove `for` (a short outage stays quiet) and resolution.
    assert firing["ApiDown"] + quiet["ApiDown"] == 4


def test_rule_test_file_shape():
    files = render(load(SPEC))
    data = parsed(files[TEST_FILE])
    assert data["rule_files"] == ["../alerts.yml"]
    assert data["evaluation_interval"] == "15s"
    names = [t["name"] for t in data["tests"]]
    assert len(names) == len(set(names)), "test group names are unique (problems point at them)"
    fire = next(t for t in data["tests"] if t["name"] == "HighErrorRate: fires at 5.5% errors (above 5%); other-instance:1 next to it stays quiet")
    (alert,) = fire["alert_rule_test"][0]["exp_alerts"]  # only the instance past the threshold
    assert alert["exp_labels"] == {
        "alertname": "HighErrorRate", "instance": "api:8000", "job": "api", "service": "api", "severity": "critical", "team": "backend",
    }  # fmt: skip
    assert alert["exp_annotations"]["description"] == "5.5% of requests to api returned 5xx over the last 5 minutes."


def test_user_tests_are_rendered_with_the_alerts_own_labels_and_annotations():
    data = parsed(render(load(SPEC))[TEST_FILE])
    case = next(t for t in data["tests"] if t["name"] == "ConnectionPoolNearMax: 90 of 100 connections in use")
    assert case["interval"] == "1m"
    assert case["input_series"][0] == {"series": 'pg_stat_activity_count{job="postgres"}', "values": "90x15"}
    (check,) = case["alert_rule_test"]
    assert check["eval_time"] == "10m"
    (alert,) = check["exp_alerts"]
    assert alert["exp_labels"] == {"alertname": "ConnectionPoolNearMax", "job": "postgres", "severity": "warning"}
    assert alert["exp_annotations"] == {
        "dashboard_url": "http://grafana:3000/d/softfactory-database?viewPanel=6",  # the panel that shows it (derive.links)
        "description": "90% of PostgreSQL connections are in use.",  # written in the spec ($value)
        "runbook_url": "https://runbooks.softfactory.io/alerts/ConnectionPoolNearMax",  # the alert's own
        "summary": "PostgreSQL connections above 80% of max_connections",
    }
    quiet = next(t for t in data["tests"] if t["name"] == "ConnectionPoolNearMax: 50 of 100 connections in use")
    assert quiet["alert_rule_test"][0]["exp_alerts"] == []


# --- thresholds move the tests -------------------------------------------------------------


def _series_of(files: dict[str, str], group: str) -> list[str]:
    data = parsed(files[TEST_FILE])
    return [s["values"] for t in data["tests"] if t["name"].startswith(group) for s in t["input_series"]]


def test_a_threshold_change_moves_the_generated_values(tmp_path, promtool):
    before = render(load(SPEC))
    after = render(load(edited(tmp_path, ("    above: 5%\n    for: 5m\n    severity: critical", "    above: 2%\n    for: 5m\n    severity: critical"))))
    names_before = [t["name"] for t in parsed(before[TEST_FILE])["tests"] if t["name"].startswith("HighErrorRate")]
    names_after = [t["name"] for t in parsed(after[TEST_FILE])["tests"] if t["name"].startswith("HighErrorRate")]
    near = "; other-instance:1 next to it stays quiet"
    assert names_before == [f"HighErrorRate: fires at 5.5% errors (above 5%){near}", "HighErrorRate: stays quiet at 4.5% errors (above 5%)"]
    assert names_after == [f"HighErrorRate: fires at 2.2% errors (above 2%){near}", "HighErrorRate: stays quiet at 1.8% errors (above 2%)"]
    # the firing case holds the quiet case's series too, on the other instance
    assert _series_of(before, "HighErrorRate") == ["0+11x14", "0+189x14", "0+9x14", "0+191x14", "0+9x14", "0+191x14"]
    assert _series_of(after, "HighErrorRate") == ["0+11x14", "0+489x14", "0+9x14", "0+491x14", "0+9x14", "0+491x14"]
    got = promtool_test(promtool, write(after, tmp_path / "out"))
    assert got.returncode == 0, got.stdout + got.stderr


def test_latency_and_slow_event_tests_follow_their_thresholds(tmp_path, promtool):
    spec = edited(tmp_path, ("    above: 500ms\n", "    above: 2s\n"), ("    slower_than: 1s\n    window: 5m\n    above: 5\n", "    slower_than: 1s\n    window: 5m\n    above: 20\n"))
    files = render(load(spec))
    names = [t["name"] for t in parsed(files[TEST_FILE])["tests"]]
    assert "HighResponseTime: fires at p95 2.2s (above 2s); other-instance:1 next to it stays quiet" in names
    assert "HighResponseTime: stays quiet at p95 1.8s (above 2s)" in names
    assert "SlowQueries: fires at 22 slower than 1s in 5m (above 20)" in names
    assert "SlowQueries: stays quiet at 18 slower than 1s in 5m (above 20)" in names
    got = promtool_test(promtool, write(files, tmp_path / "out"))
    assert got.returncode == 0, got.stdout + got.stderr


# --- a broken alert fails validation, naming the alert ------------------------------------


@pytest.mark.parametrize(
    "edit,alert,case",
    [
        (("      - {severity: warning, above: 80%}\n      - {severity: critical, above: 95%,", "      - {severity: warning, below: 80%}\n      - {severity: critical, below: 60%,"), "ConnectionPoolNearMax", "90 of 100 connections in use"),
        (("    below: 70%\n", "    above: 70%\n"), "CacheHitRatioDegraded", "half of the lookups miss"),
    ],
)
def test_flipping_a_threshold_direction_fails_validate_naming_the_alert(tmp_path, promtool, amtool, edit, alert, case):
    spec = edited(tmp_path, edit)
    got = run_sfmon("validate", "--spec", str(spec), "--out", str(tmp_path / "generated"))
    assert got.returncode == 1, got.stdout + got.stderr
    lines = [line for line in got.stdout.splitlines() if "[promtool/test]" in line]
    assert lines, got.stdout + got.stderr
    assert all(f"alert {alert}" in line for line in lines)
    assert any(f'"{alert}: {case}": expected 1 firing alert' in line for line in lines)
    assert re.match(r"^\S+/tests/alerts\.test\.yml:\d+:1: error: ", lines[0])


def test_a_wrong_expectation_reports_labels_and_annotation_differences(tmp_path, promtool, amtool):
    spec = edited(
        tmp_path,
        ('annotations: {description: "90% of PostgreSQL connections are in use."}', 'annotations: {description: "91% of PostgreSQL connections are in use."}'),
    )
    got = run_sfmon("validate", "--spec", str(spec), "--out", "generated")
    assert got.returncode == 1
    (line,) = [line for line in got.stdout.splitlines() if "[promtool/test]" in line]
    assert "alert ConnectionPoolNearMax at 10m" in line
    assert 'annotation description: expected "91% of PostgreSQL connections are in use.", got "90% of PostgreSQL connections are in use."' in line


def test_validate_reports_how_many_tests_ran(promtool, amtool):
    got = run_sfmon("validate")
    assert got.returncode == 0, got.stdout + got.stderr
    m = re.search(r"passed (\d+) rule test cases \(promtool\), (\d+) route tests \(amtool\)", got.stdout)
    assert m, got.stdout
    assert int(m.group(1)) >= 18 + 2 and int(m.group(2)) >= 9


# --- what cannot be predicted is left out, visibly ----------------------------------------


def test_unpredictable_annotation_drops_firing_cases_with_a_warning(tmp_path, promtool):
    """`query` needs a live Prometheus: only that alert's firing cases go, its quiet ones and
    every other alert's cases stay."""
    spec = edited(
        tmp_path,
        ('summary: "Redis is down"', 'summary: "Redis is down {{ with query \\"up\\" }}{{ . | first | value }}{{ end }}"'),
    )
    loaded = load(spec)
    tests = rule_tests(loaded.spec)
    redis = [g for g in tests.groups if g.alertname == "RedisDown"]
    assert redis and all(not c.alerts for g in redis for c in g.checks)
    assert any(c.alerts for g in tests.groups for c in g.checks)  # the other alerts still fire in their tests
    (note,) = tests.notes
    assert note.severity is Severity.WARNING and "RedisDown" in note.message and "running server" in note.message
    got = run_sfmon("generate", "--spec", str(spec), "--out", str(tmp_path / "gen"))
    assert got.returncode == 0
    assert "[rules/tests]" in got.stdout + got.stderr
    assert promtool_test(promtool, tmp_path / "gen").returncode == 0


def test_printf_and_the_template_language_no_longer_switch_generation_off(tmp_path, promtool):
    """Found by the public-corpus rewrite (issue #11): `printf` dropped an alert's generated
    tests. Now printf, humanize, if/else and the string functions are predicted, and promtool
    agrees with every expected annotation."""
    description = (
        '{{ printf "%.2f%%" (humanizePercentage $value | reReplaceAll "%" "" | printf "%s") }}|'
        '{{ printf "%.3f" $value }} of {{ $labels.job | toUpper }}|{{ if gt $value 0.5 }}most{{ else }}some{{ end }}|'
        '{{ $externalLabels.cluster }}'
    )
    spec = edited(
        tmp_path,
        (
            'description: "{{ $value | humanizePercentage }} of requests to {{ $labels.job }} returned 5xx over the last 5 minutes."',
            f"description: '{description}'",
        ),
    )
    tests = rule_tests(load(spec).spec)
    assert not tests.notes
    (fires,) = [a for g in tests.groups if g.alertname == "HighErrorRate" for c in g.checks for a in c.alerts]
    # Go prints a wrong verb's argument with the verb's precision: `%!f(string=5.)` (promtool found it)
    assert fires.annotations["description"] == "%!f(string=5.)%|0.055 of API|some|softfactory-prod"
    got = run_sfmon("generate", "--spec", str(spec), "--out", str(tmp_path / "gen"))
    assert got.returncode == 0, got.stdout + got.stderr
    assert promtool_test(promtool, tmp_path / "gen").returncode == 0


def test_user_test_needs_annotations_that_use_value(tmp_path):
    spec = edited(tmp_path, ('        annotations: {description: "90% of PostgreSQL connections are in use."}\n', ""))
    got = run_sfmon("generate", "--spec", str(spec), "--out", str(tmp_path / "gen"))
    assert got.returncode == 1
    assert "alerts[8].tests[0]" in got.stdout
    assert "annotation 'description' cannot be predicted" in got.stdout
    assert "[rules/tests]" in got.stdout


# --- the template arithmetic matches Prometheus -------------------------------------------


def test_template_expansion_matches_promtool(tmp_path, promtool):
    """One alert per value: its annotations go through promtool, and must equal ours."""
    values = [0.0, 1.0, 0.055, 0.18333333333333335, 5.5, 1e6, 1234567.0, 123456.0, 0.0001, 1e-05, 90.5, 3601.0, 90061.0, 0.000123]
    template = "{{ $value }}|{{ $value | humanize }}|{{ humanizePercentage $value }}|{{ $value | humanizeDuration }}|{{ $value | humanize1024 }}|{{ $labels.job }}|{{ $labels }}"
    rules = ["groups:", "  - name: g", "    rules:"]
    tests = ["rule_files: [rules.yml]", "evaluation_interval: 1m", "tests:", "  - interval: 1m", "    input_series:"]
    checks = []
    for i, v in enumerate(values):
        rules += [f"      - alert: A{i}", f"        expr: v{{i=\"{i}\"}} >= 0", f"        annotations: {{t: '{template}'}}"]
        tests += [f"      - series: 'v{{i=\"{i}\",job=\"api\"}}'", f"        values: '{v!r}x3'"]
        labels = {"__name__": "v", "i": str(i), "job": "api"}
        text = expand(template, labels, v)
        checks += [
            f"      - eval_time: 1m",
            f"        alertname: A{i}",
            f"        exp_alerts: [{{exp_labels: {{i: '{i}', job: api}}, exp_annotations: {{t: '{text}'}}}}]",
        ]
    tests += ["    alert_rule_test:", *checks]
    (tmp_path / "rules.yml").write_text("\n".join(rules) + "\n")
    (tmp_path / "t.yml").write_text("\n".join(tests) + "\n")
    got = subprocess.run([promtool, "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert got.returncode == 0, got.stdout + got.stderr


def test_go_float_formatting():
    assert [go_float(v) for v in (0.0, 6.0, 0.055, 1e6, 123456.0, 1e-05, 0.0001, -2.5)] == [
        "0", "6", "0.055", "1e+06", "123456", "1e-05", "0.0001", "-2.5"
    ]


def test_expand_refuses_what_it_cannot_evaluate():
    assert expand("{{ if $value }}x{{ end }}", {}, 1.0) == "x"  # control flow is evaluated now
    for template in ('{{ query "up" }}', "{{ externalURL }}", "{{ $externalURL }}", '{{ (1 | toTime).Unix }}'):
        with pytest.raises(Unsupported):
            expand(template, {}, 1.0)
    with pytest.raises(Unsupported):  # a run-time error: Prometheus prints its own error text
        expand('{{ title 1 }}', {}, 1.0)
    with pytest.raises(Unsupported):
        expand("{{ $value }}", {}, None)
    # Prometheus runs alert templates with missingkey=zero: a missing label prints as "".
    assert expand("{{- $labels.job -}} / {{ .Labels.missing }}", {"job": "api"}, None) == "api/ "


def test_large_specs_run_each_alerts_tests_against_its_rule_alone(tmp_path, promtool):
    """Above SPLIT_ABOVE alerts, validate splits the test file per alert (promtool's cost is
    rules x groups); the split files pass, and a broken alert is still named."""
    from functools import partial

    from sfmon.tools.proofs import name_lines, parse_rule_test_failure, split_rule_tests
    from sfmon.tools.runner import Run, run

    spec = edited(tmp_path, ("      - {severity: warning, above: 80%}\n      - {severity: critical, above: 95%,", "      - {severity: warning, below: 80%}\n      - {severity: critical, below: 60%,"))
    out = write(render(load(spec)), tmp_path / "out")
    text = (out / TEST_FILE).read_text(encoding="utf-8")
    assert split_rule_tests(out, text, (out / "alerts.yml").read_text(encoding="utf-8")) is None  # 13 alerts: one file
    split = split_rule_tests(out, text, (out / "alerts.yml").read_text(encoding="utf-8"), above=0)
    assert split is not None and len(split) == 15  # 12 alerts (their tiers together; DiskFillsWithin4h is in the long file), 3 recording rules
    parse = partial(parse_rule_test_failure, lines=name_lines(text))
    problems = run(Run("promtool/test", ("promtool", "test", "rules", *split), f"generated/{TEST_FILE}", str(out), parse))
    assert len(problems) == 2, [p.message for p in problems]
    assert all(p.message.startswith("alert ConnectionPoolNearMax at 10m in rule test") and p.line > 0 for p in problems)


def test_generated_tests_hold_with_short_windows_and_fast_evaluation(tmp_path, promtool, amtool):
    """The drill overlay (10s windows, 1s evaluation): evaluations between samples must still
    see two samples per rate window, or `for` never completes and the firing cases fail."""
    from conftest import ROOT

    got = run_sfmon("validate", "--overlay", str(ROOT / "tests" / "live" / "drill-overlay.yaml"), "--out", str(tmp_path / "g"))
    assert got.returncode == 0, got.stdout + got.stderr


def test_generated_tests_hold_for_a_long_for_and_an_hour_long_window(tmp_path, promtool):
    """`for` of hours and windows under the 50,000-evaluation cap still get tests that pass (the
    property tests keep to short durations, or ones far past the cap, to stay fast)."""
    spec = small_spec(
        tmp_path,
        """  - {name: AppDown, kind: target_down, target: app, for: 12h, severity: critical,
     summary: down, description: d, runbook_url: "https://runbooks.example.com/a"}
  - {name: AppErrors, kind: error_ratio, target: app, errors: 'http_requests_total{status=~"5.."}',
     total: http_requests_total, window: 2h, above: 5%, for: 6h, severity: warning,
     summary: errors, description: d, runbook_url: "https://runbooks.example.com/b"}
""",
    )
    built = rule_tests(load(spec).spec)
    assert not built.notes, built.notes  # under the cap: nothing skipped
    # Both span more than MAX_STEPS evaluations at 15s: their tests are the long file's.
    firing = Counter(g.alertname for g in (*built.groups, *built.long) for c in g.checks if c.alerts)
    assert firing["AppDown"] >= 1 and firing["AppErrors"] >= 1
    out = write(render(load(spec)), tmp_path / "out")
    got = promtool_test(promtool, out)
    assert got.returncode == 0, got.stdout + got.stderr
    got = subprocess.run([promtool, "test", "rules", "tests/alerts-long.test.yml"], cwd=out, capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stdout + got.stderr


@pytest.mark.parametrize(
    "template, reads_value",
    [("{{ $value }}", True), ("{{$value|humanize}}", True), ("{{ humanize .Value }}", True),
     ("{{ $labels.Value }}", False), ("{{ .Labels.Value }}", False), ("{{ $values }}", False), ("$value", False)],
)  # fmt: skip
def test_uses_value_tells_the_sample_value_from_a_label_named_value(template, reads_value):
    from sfmon.semantics.gotemplate import uses_value

    assert uses_value(template) is reads_value


def test_a_huge_slow_events_threshold_gets_tests_without_counting_to_it(tmp_path, promtool, amtool):
    """Found by the property tests: pacing the slow observations looped up to `above`, so
    `above: 999999999999` hung generate. The pace now comes from the window's divisors."""
    spec = edited(tmp_path, ("    above: 5\n    for: 5m\n", "    above: 999999999999\n    for: 5m\n"))
    for command in ("generate", "validate"):
        got = run_sfmon(command, "--spec", str(spec), "--out", str(tmp_path / "out"), timeout=120)
        assert got.returncode == 0, got.stdout + got.stderr
    text = (tmp_path / "out" / TEST_FILE).read_text(encoding="utf-8")
    assert "SlowQueries: fires at 1099999999999 slower than 1s in 5m" in text


def test_a_for_shorter_than_the_evaluation_interval_still_fires_in_the_generated_test(tmp_path, promtool):
    """Found by the property tests: `for: 247ms` was added before rounding to the evaluation
    grid, so the firing case was checked at the very evaluation the alert became pending."""
    spec = small_spec(
        tmp_path,
        """  - {name: Busy, kind: threshold, target: app, metric: 'jobs_total{kind=~"5.."}', aggregate: sum, by: [job],
     window: 6s, above: 418264, for: 247ms, severity: warning, summary: busy}
""",
    )
    out = write(render(load(spec)), tmp_path / "out")
    assert 'eval_time: "30s"' in (out / TEST_FILE).read_text(encoding="utf-8")  # pending at 15s, firing at 30s
    got = promtool_test(promtool, out)
    assert got.returncode == 0, got.stdout + got.stderr


COUNTING = """version: 1
project: counting
prometheus: {{scrape_interval: 1m, version: "{version}"}}
targets:
  - {{name: app, addresses: ["app:9100"]}}
alerts:
  - {{name: Flaps, kind: counter_change, target: app, metric: 'm{{code=~"a|b"}}', function: changes, window: 2h,
     above: 29, for: 22m, aggregate: sum, by: [h], severity: critical, summary: "{{{{ humanize $value }}}}"}}
  - {{name: Resets, kind: counter_change, target: app, metric: m, function: resets, window: 10m, above: 3, for: 5m,
     severity: warning, summary: "{{{{ $value }}}}"}}
receivers:
  - {{name: r, webhook: {{url: "http://127.0.0.1:9/"}}}}
routing: {{receiver: r}}
grafana: {{admin_password_file: /run/secrets/grafana}}
"""


def test_counting_windows_follow_the_targeted_release(tmp_path, promtool):
    """changes()/resets() count the intervals between the samples a window holds: 3.x's
    left-open window drops the sample on its start, so a pattern built for 2.x's closed
    window counts one short whenever a change sits there and `for` restarts (a property-test
    find: `changes` over 2h, above 29, for 22m, failed on promtool 3.5 and 3.16)."""
    from sfmon.tools.versions import detect

    found = detect(promtool)
    assert found is not None, promtool
    spec = tmp_path / "counting.yaml"
    spec.write_text(COUNTING.format(version=f"{found.major}.{found.minor}"), encoding="utf-8")
    loaded = load(spec)
    fired = [c for g in rule_tests(loaded.spec).groups for c in g.checks if c.alerts]
    assert {a.labels["alertname"] for c in fired for a in c.alerts} == {"Flaps", "Resets"}
    out = write(render(loaded), tmp_path / "out")
    got = promtool_test(promtool, out)
    assert got.returncode == 0, got.stdout + got.stderr
