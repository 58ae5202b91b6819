"""Raw `expr` alerts proven where sfmon can compute them (sfmon.kinds.exprtests); the rest
reported unproven, and validate's summary counts the proven ones."""

from __future__ import annotations

import re

import pytest

from conftest import FIXTURES, run_sfmon
from sfmon.derive.rule_tests import rule_tests
from sfmon.kinds.exprtests import NotModelled, shape_of
from sfmon.pipeline import load

RAW = FIXTURES / "specs" / "valid" / "raw_exprs.yaml"


def _groups(name: str):
    tests = rule_tests(load(RAW).spec)
    return [g for g in tests.groups if g.alertname == name], tests


def test_the_raw_spec_validates_with_promtool_and_counts_what_is_proven(promtool, amtool, tmp_path):
    got = run_sfmon("validate", "--spec", str(RAW), "--out", str(tmp_path / "gen"), timeout=300)
    out = got.stdout + got.stderr
    assert got.returncode == 0, out
    assert "passed 20 rule test cases (promtool), 0 route tests (amtool), 12 alert notifications rendered (amtool); 10 of 12 alerts proven" in out
    # the two it cannot compute: placed, with the check id and the reason
    assert re.search(r"raw_exprs\.yaml:18:5: warning: alerts\[10\]: TwoSeries: not proven: .*two series.*\[rules/unproven\]", out)
    assert re.search(r"raw_exprs\.yaml:19:5: warning: alerts\[11\]: WithBool: not proven: .*bool.*\[rules/unproven\]", out)


@pytest.mark.parametrize(
    "alert, labels",
    [
        # a plain selector keeps the series' labels: the target's and the ones it matches
        ("Gauge", {"alertname": "Gauge", "instance": "app-1:8000", "job": "app", "service": "shop", "severity": "warning"}),
        # an aggregation keeps its `by` labels only
        ("Rate", {"alertname": "Rate", "job": "app", "severity": "warning"}),
        ("CpuPercent", {"alertname": "CpuPercent", "instance": "200", "severity": "warning"}),
        # min() without `by` keeps none; `without` drops the listed labels and the name
        ("NotReplicating", {"alertname": "NotReplicating", "severity": "critical"}),
        ("Cold", {"alertname": "Cold", "severity": "warning"}),
    ],
)
def test_expected_labels_are_exactly_the_expression_s(alert, labels):
    groups, _ = _groups(alert)
    firing = [a for g in groups for c in g.checks for a in c.alerts]
    assert firing and all(a.labels == labels for a in firing)
    assert any(not c.alerts for g in groups for c in g.checks)  # and a quiet case


def test_values_land_just_past_and_short_of_the_constant():
    groups, _ = _groups("Gauge")
    assert [g.name for g in groups] == ["Gauge: fires at 110 (expr > 100)", "Gauge: stays quiet at 100 (expr > 100)"]
    (fires,) = [a for g in groups for c in g.checks for a in c.alerts]
    assert fires.annotations == {"summary": "deep on app-1:8000: 110 in eu"}
    groups, _ = _groups("OverZero")
    (fires,) = [a for g in groups for c in g.checks for a in c.alerts]
    assert fires.annotations == {"summary": "+Inf +Inf% +Inf"}  # Go's formatting, not Python's inf


def test_unproven_alerts_carry_their_reason_and_can_be_acknowledged(tmp_path):
    _, tests = _groups("TwoSeries")
    assert [n.message.split(":")[0] for n in tests.unproven] == ["TwoSeries", "WithBool"]
    assert tests.coverage[0].proven == 10 and tests.coverage[0].total == 12
    text = RAW.read_text(encoding="utf-8") + (
        "acknowledge:\n"
        "  - {check: rules/unproven, where: 'alerts[TwoSeries]', reason: proven by the team's own drill}\n"
        "  - {check: rules/unproven, where: 'alerts[WithBool]', reason: always fires by design}\n"
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    got = run_sfmon("generate", "--spec", str(spec), "--out", str(tmp_path / "gen"))
    assert got.returncode == 0, got.stdout + got.stderr
    assert "2 warnings acknowledged" in got.stdout + got.stderr
    assert "warning: alerts[10]" not in got.stdout + got.stderr


@pytest.mark.parametrize(
    "expr, reason",
    [
        ("absent(up)", "not a comparison"),
        ("a / b > 1", "two series"),
        ("up == bool 0", "bool"),
        ("up > on() 1", "on()/ignoring()"),
        ("count(up) < 2", "count"),
        ("quantile(0.9, up) > 1", "quantile"),
        ("up offset 5m > 1", "offset"),
        ("deriv(x[5m]) > 1", "deriv"),
        ("up ^ 2 > 1", "`^`"),
        ("rate(x[5m:1m]) > 1", "subquery"),
    ],
)
def test_shapes_sfmon_does_not_compute_say_why(expr, reason):
    with pytest.raises(NotModelled, match=re.escape(reason)):
        shape_of(expr)


def test_a_constant_first_comparison_is_read_flipped():
    shape = shape_of("0.5 < sum(rate(x_total[5m]))")
    assert (shape.op, shape.threshold, shape.func, shape.selector) == (">", 0.5, "rate", "x_total{}")


def test_a_counter_cannot_go_negative_so_no_firing_case_is_made_below_zero():
    """`rate(...) < -1` can never fire: sfmon finds no firing value and says so."""
    from sfmon.kinds.exprtests import rule_tests as expr_tests
    from sfmon.derive.rule_tests import env_for

    spec = load(RAW).spec
    alert = next(a for a in spec.alerts if a.name == "Rate")
    groups, why = expr_tests(alert, env_for(spec), "rate(requests_total[5m]) < -1")
    assert why and "firing" in why
    assert groups and all(not c.alerts for g in groups for c in g.checks)
