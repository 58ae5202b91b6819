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
    assert "passed 34 rule test cases (promtool), 0 route tests (amtool); 15 of 17 alerts proven" in out
    # the two it cannot compute: placed, with the check id and the reason
    assert re.search(r"raw_exprs\.yaml:19:5: warning: alerts\[10\]: WithOffset: not proven: .*offset.*\[rules/unproven\]", out)
    assert re.search(r"raw_exprs\.yaml:20:5: warning: alerts\[11\]: WithBool: not proven: .*bool.*\[rules/unproven\]", out)


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
    _, tests = _groups("WithOffset")
    assert [n.message.split(":")[0] for n in tests.unproven] == ["WithOffset", "WithBool"]
    assert tests.coverage[0].proven == 15 and tests.coverage[0].total == 17
    text = RAW.read_text(encoding="utf-8") + (
        "acknowledge:\n"
        "  - {check: rules/unproven, where: 'alerts[WithOffset]', reason: proven by the team's own drill}\n"
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


# --- several series: cases found by search (sfmon.kinds.exprsearch) ------------------------


def _cases(name: str):
    groups, _ = _groups(name)
    firing = [g for g in groups if any(c.alerts for c in g.checks)]
    quiet = [g for g in groups if not any(c.alerts for c in g.checks)]
    return firing, quiet


def _levels(group) -> dict[str, str]:
    return {s.name: s.values() for s in group.series}


def test_a_ratio_with_a_guard_fires_just_past_its_threshold_and_each_series_decides():
    firing, quiet = _cases("PoolUse")
    (f,) = firing
    assert _levels(f) == {"pool_used": "81x10", "pool_size": "101x10"}
    (alert,) = f.checks[0].alerts
    # exactly the float Prometheus computes, printed as Go prints it
    assert alert.annotations == {"summary": f"{81 / 101 * 100}% of the pool on app-1:8000"}
    assert alert.labels == {"alertname": "PoolUse", "instance": "app-1:8000", "job": "app", "service": "shop", "severity": "warning"}
    # one quiet case per series, each the smallest change that silences it: 80/101 is not
    # over 80%, and with pool_size 110 neither is 81/110
    assert [_levels(g) for g in quiet] == [{"pool_used": "80x10", "pool_size": "101x10"}, {"pool_used": "81x10", "pool_size": "110x10"}]


def test_an_or_of_two_comparisons_is_quiet_only_when_neither_holds():
    firing, quiet = _cases("EitherDown")
    (f,) = firing
    assert f.checks[0].alerts[0].annotations == {"summary": "io_running is 0"}  # `or` keeps the name
    (q,) = quiet
    assert set(_levels(q).values()) == {"1x8"}  # both running


def test_time_minus_a_timestamp_and_a_guard_on_instance():
    firing, quiet = _cases("Stale")
    assert firing and quiet
    firing, quiet = _cases("Lagging")
    (f,) = firing
    assert len(quiet) == 3  # behind, delay and the guard's source_id each silence it alone


def test_the_search_reports_why_it_found_nothing():
    from sfmon.derive.rule_tests import env_for
    from sfmon.kinds.exprtests import rule_tests as expr_tests

    spec = load(RAW).spec
    alert = next(a for a in spec.alerts if a.name == "TwoSeries")
    env = env_for(spec)
    assert expr_tests(alert, env, "a - b > 5 and b > 10")[1] is None
    groups, why = expr_tests(alert, env, "a - a offset 1h > 1")
    assert not groups and "offset" in why
    groups, why = expr_tests(alert, env, "a > 1 and a < 1")
    assert not groups and "no firing case" in why
    groups, why = expr_tests(alert, env, "a + b + c + d + e > 1")
    assert not groups and "at most 4" in why
