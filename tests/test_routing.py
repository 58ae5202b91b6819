"""Routing tests in the spec (sfmon's evaluation, then amtool per case), inhibition tests, and
the checks that every alert is routed somewhere real and every receiver is used."""

from pathlib import Path

import pytest
from pydantic import ValidationError
from ruamel.yaml import YAML

from sfmon.model import RouteTest
from sfmon.pipeline import load, load_and_check, render
from sfmon.render import outputs
from sfmon.problems import Severity
from sfmon.tools.validate import tool_runs, validate_files

from conftest import SPEC, run_sfmon, edited_spec as edited

# Version-sensitive: once per toolset (tests/toolsets.py).
pytestmark = pytest.mark.matrix

ROUTE_TESTS = outputs.ROUTE_TESTS.path

CRITICAL = ["pagerduty", "ops-slack", "ops-email", "ops-webhook"]
WARNING = ["ops-slack", "ops-email", "ops-webhook"]




def problems_of(path: Path, check: str) -> list:
    _, problems = load_and_check(path)
    return [p for p in problems if p.check == check]


def test_default_spec_routes_every_alert_and_tier():
    spec = load(SPEC).spec
    tests = {(t.alert, t.labels.get("severity")): t.receivers for t in spec.routing.tests if t.alert}
    want = set()
    for a in spec.alerts:
        for lv in a.levels():  # an alert with tiers has a test per tier, naming its severity
            key = (a.name, lv.severity if len(a.levels()) > 1 else None)
            want.add(key)
            assert tests[key] == (CRITICAL if lv.severity == "critical" else WARNING), key
    assert set(tests) == want and len(tests) == 15
    assert len(spec.routing.inhibit_tests) == 2


def test_route_tests_file_resolves_alert_labels():
    data = YAML(typ="safe").load(render(load(SPEC))[ROUTE_TESTS])
    first = data["tests"][0]
    # the labels the alert really has at Alertmanager: what target_down keeps of its target's
    # series, its own, and Prometheus' external labels
    labels = {"alertname": "ApiDown", "cluster": "softfactory-prod", "instance": "api:8000", "job": "api", "service": "api", "severity": "critical", "team": "backend"}
    assert first == {"name": "ApiDown", "labels": labels, "receivers": CRITICAL}
    assert data["tests"][-1]["name"] == "an alert without severity"


def test_one_amtool_run_per_case_with_receivers_in_amtool_order(tmp_path):
    files = render(load(SPEC))
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    runs = [r for r in tool_runs(tmp_path, "generated") if r.check == "amtool/routes"]
    assert len(runs) == 16
    assert runs[0].args[:5] == ("amtool", "config", "routes", "test", "--config.file=alertmanager.yml")
    assert runs[0].args[5] == "--verify.receivers=pagerduty,ops-slack,ops-email,ops-webhook"
    assert runs[0].args[6:] == (
        'alertname="ApiDown"', 'cluster="softfactory-prod"', 'instance="api:8000"', 'job="api"', 'service="api"', 'severity="critical"',
        'team="backend"',
    )  # fmt: skip


def test_amtool_mismatch_names_the_case_and_both_receiver_lists(amtool, promtool):
    files = render(load(SPEC))
    # The check would stop this spec; tamper with the rendered cases to reach amtool.
    files[ROUTE_TESTS] = files[ROUTE_TESTS].replace(
        '    receivers:\n      - "pagerduty"\n      - "ops-slack"\n      - "ops-email"\n      - "ops-webhook"\n  - name: "HighErrorRate"',
        '    receivers:\n      - "pagerduty"\n      - "ops-email"\n  - name: "HighErrorRate"',
    )
    problems = [p for p in validate_files(files, "generated") if p.check == "amtool/routes"]
    assert len(problems) == 1, problems
    (p,) = problems
    assert p.file == f"generated/{ROUTE_TESTS}" and p.line > 0
    assert p.message == (
        'route test "ApiDown" (alertname=ApiDown, cluster=softfactory-prod, instance=api:8000, job=api, service=api, severity=critical, team=backend): '
        "expected receivers ops-email, pagerduty; amtool resolved pagerduty, ops-slack, ops-email, ops-webhook"
    )


def test_wrong_route_expectation_is_a_spec_error(tmp_path):
    spec = edited(tmp_path, ("- {alert: SlowQueries, receivers: [ops-slack, ops-email, ops-webhook]}", "- {alert: SlowQueries, receivers: [pagerduty, ops-slack]}"))
    (p,) = problems_of(spec, "routing/tests")
    assert p.severity is Severity.ERROR and p.line > 0
    assert p.message.startswith("routing.tests[6]: route test \"SlowQueries\"")
    assert "expected receivers ops-slack, pagerduty; the routing tree sends it to ops-slack, ops-email, ops-webhook" in p.message


def test_unknown_alert_and_receiver_in_route_tests(tmp_path):
    spec = edited(tmp_path, ("- {alert: RedisDown, receivers: [pagerduty,", "- {alert: RedisDwn, receivers: [pagerdut,"))
    messages = [p.message for p in problems_of(spec, "routing/tests")]
    assert "routing.tests[3].alert: unknown alert 'RedisDwn' (did you mean 'RedisDown'?)" in messages
    assert "routing.tests[3].receivers[0]: unknown receiver 'pagerdut' (did you mean 'pagerduty'?)" in messages


def test_route_test_needs_alert_or_labels():
    with pytest.raises(ValidationError, match="set 'alert' or 'labels'"):
        RouteTest(receivers=["x"])


def test_inhibition_cases(tmp_path):
    assert problems_of(SPEC, "routing/tests") == []
    # Without `equal: [job]`, a critical anywhere mutes every warning: the second case fails.
    spec = edited(tmp_path, ("target: {severity: warning}, equal: [job]}", "target: {severity: warning}}"))
    (p,) = problems_of(spec, "routing/tests")
    assert p.message.startswith('routing.inhibit_tests[1]: inhibition test "but not the warnings of another job"')
    assert "not to be muted, but routing.inhibit[0] mutes it" in p.message
    # Without the rule, the first case fails.
    spec = edited(tmp_path, ("  inhibit:\n    - {source: {severity: critical}, target: {severity: warning}, equal: [job]}\n", ""))
    (p,) = problems_of(spec, "routing/tests")
    assert p.message.startswith('routing.inhibit_tests[0]: inhibition test "a critical alert mutes the warnings of its job"')
    assert "but no inhibit rule does" in p.message


def test_validate_runs_route_tests_with_amtool(promtool, amtool):
    got = run_sfmon("validate")
    assert got.returncode == 0, got.stdout + got.stderr
    assert "16 route tests (amtool)" in got.stdout


# --- every alert is routed, every receiver used -------------------------------------------


def test_default_spec_routes_every_alert_and_uses_every_receiver():
    assert problems_of(SPEC, "routing/alerts") == []


def test_alert_reaching_only_a_receiver_without_integration(tmp_path):
    spec = edited(
        tmp_path,
        ("  - name: ops-webhook\n", "  - name: blackhole\n  - name: ops-webhook\n"),
        ("    - {match: {severity: warning}, notify: [ops-slack], continue: true}\n", "    - {match: {alertname: SlowQueries}, notify: [blackhole]}\n    - {match: {severity: warning}, notify: [ops-slack], continue: true}\n"),
    )
    problems = problems_of(spec, "routing/alerts")
    (p,) = problems
    assert p.severity is Severity.ERROR
    assert "alert SlowQueries" in p.message and "reaches no receiver that delivers: it goes to blackhole" in p.message


def test_unused_receiver_is_a_warning(tmp_path):
    spec = edited(tmp_path, ("    - {match: {}, notify: [ops-email, ops-webhook]}\n", "    - {match: {}, notify: [ops-email]}\n"))
    problems = problems_of(spec, "routing/alerts")
    assert [(p.severity, p.message) for p in problems] == [
        (Severity.WARNING, "receivers[3].name: receiver 'ops-webhook' is not used: no route notifies it and it is not routing.receiver")
    ]


def test_a_go_only_regex_routes_as_amtool_routes_it(tmp_path, amtool, promtool):
    """`(?i)` after the start of a pattern: Python's re refuses it, Go's regexp (and so
    sfmon, through RE2) reads it; sfmon's evaluation and amtool agree on both cases."""
    spec = edited(
        tmp_path,
        ("    - {match: {severity: warning}, notify: [ops-slack], continue: true}\n",
         "    - {match: {severity: warning}, notify: [ops-slack], continue: true}\n"
         "    - {match_re: {team: 'db-(?i)ops'}, notify: [pagerduty], continue: true}\n"),
        ("  # Who gets each alert: checked by sfmon, and by amtool in `sfmon validate`.\n  tests:\n",
         "  tests:\n"
         "    - {labels: {team: db-OPS}, receivers: [pagerduty, ops-email, ops-webhook]}\n"
         "    - {labels: {team: DB-ops}, receivers: [ops-email, ops-webhook]}\n"),
    )
    loaded, problems = load_and_check(spec)
    assert [p for p in problems if p.check == "routing/tests"] == []
    files = render(loaded)
    assert [p for p in validate_files(files, "generated") if p.check == "amtool/routes"] == []
