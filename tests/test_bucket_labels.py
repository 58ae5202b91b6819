"""Prometheus 3 stores a scraped histogram's `le` (and a summary's `quantile`) normalised
(`1` -> `1.0`; tests/conformance/exposition.yaml): a 3.x spec's generated tests feed the
buckets as 3.x stores them, the selectors sfmon builds match that form, and a spec's own
matcher on a form 3.x never stores is a placed warning (promql/bucket-labels)."""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import edited_spec, run_sfmon
from sfmon.pipeline import load_and_check
from sfmon.problems import Severity

TARGET_3 = ("prometheus:\n", 'prometheus:\n  version: "3.5"\n')
RAW_ALERT = """  - name: Custom
    kind: expr
    expr: '{expr}'
    severity: warning
    summary: custom
  # --- warning: look"""


def _generate(tmp_path, *edits) -> tuple[str, str]:
    tmp_path.mkdir(exist_ok=True)
    spec = edited_spec(tmp_path, *edits)
    done = run_sfmon("generate", "--spec", str(spec), "--out", str(tmp_path / "generated"))
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "generated"
    return (out / "alerts.yml").read_text(encoding="utf-8"), (out / "tests" / "alerts.test.yml").read_text(encoding="utf-8")


def _bucket_bounds(tests: str, family: str) -> set[str]:
    return set(re.findall(rf'{family}_bucket\{{[^}}]*le=\\?"([^"\\]+)', tests))


# p50 over 20s: the tests' buckets are (21, 23] (firing at 22s) and (17, 19] (quiet at 18s)
WHOLE_BOUNDS = ("    quantile: 0.95\n    above: 500ms\n", "    quantile: 0.5\n    above: 20s\n")


def test_a_3x_spec_feeds_its_tests_the_buckets_3x_stores(tmp_path):
    _, two = _generate(tmp_path / "2", WHOLE_BOUNDS)
    _, three = _generate(tmp_path / "3", TARGET_3, WHOLE_BOUNDS)
    assert _bucket_bounds(two, "db_query_duration_ms") == {"+Inf", "1000"}  # as a Go client exposes it
    assert _bucket_bounds(three, "db_query_duration_ms") == {"+Inf", "1000.0"}
    assert _bucket_bounds(two, "http_request_duration_seconds") == {"+Inf", "17", "19", "21", "23"}
    assert _bucket_bounds(three, "http_request_duration_seconds") == {"+Inf", "17.0", "19.0", "21.0", "23.0"}


@pytest.mark.matrix
@pytest.mark.parametrize(
    "edits",
    [
        (TARGET_3, WHOLE_BOUNDS),
        # 20 minutes in milliseconds: every client, and Prometheus 3, writes 1.2e+06
        (TARGET_3, ("    slower_than: 1s\n", "    slower_than: 20m\n")),
        (("    slower_than: 1s\n", "    slower_than: 20m\n"),),
    ],
    ids=["3.5 whole bounds", "3.5 exponent bound", "unset exponent bound"],
)
def test_the_generated_rules_select_the_buckets_their_tests_feed(tmp_path, promtool, edits):
    rules, tests = _generate(tmp_path, *edits)
    if "20m" in edits[-1][1]:
        assert r'le=~\"1200000(\\\\.0+)?|1\\\\.2e\\\\+06\"' in rules, rules
    done = subprocess.run([promtool, "test", "rules", "tests/alerts.test.yml"], cwd=tmp_path / "generated",
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _problems(path) -> list:
    loaded, problems = load_and_check(path)
    assert loaded is not None, problems
    return [p for p in problems if p.check == "promql/bucket-labels"]


@pytest.mark.parametrize(
    ("expr", "flagged"),
    [
        ('sum(rate(http_request_duration_seconds_bucket{le="1"}[5m])) > 3', [("le", "=", "1", "1.0")]),
        ('sum(rate(x_bucket{le=~"0.5|1|2.0"}[5m])) > 3', [("le", "=~", "0.5|1|2.0", "1.0")]),
        ('max(rpc_seconds{quantile="0.990"}) > 3', [("quantile", "=", "0.990", "0.99")]),
        ('sum(rate(x_bucket{le="1e6"}[5m])) > 3', [("le", "=", "1e6", "1e+06")]),
        ('sum(rate(http_request_duration_seconds_bucket{le="1.0"}[5m])) > 3', []),
        ('sum(rate(x_bucket{le=~"1|1.0"}[5m])) > 3', []),  # the transition form
        ('sum(rate(x_bucket{le=~"1(\\\\.0)?"}[5m])) > 3', []),  # not plain alternatives
        ('sum(rate(x_bucket{le!="1"}[5m])) > 3', []),
        ('sum(rate(x_bucket{le="+Inf"}[5m])) > 3', []),
        ('max(active_users_gauge{le="1"}) > 3', []),  # cataloged as a gauge: an ordinary label
        ('max(http_requests_total{quantile="1"}) > 3', []),
    ],
)
def test_a_matcher_on_a_value_3x_never_stores_is_a_placed_warning(tmp_path, expr, flagged):
    spec = edited_spec(tmp_path, TARGET_3, ("  # --- warning: look", RAW_ALERT.format(expr=expr)))
    found = _problems(spec)
    assert len(found) == len(flagged), found
    line = next(i + 1 for i, text in enumerate(spec.read_text().splitlines()) if text.startswith("    expr: '"))
    for p, (label, op, value, form) in zip(found, flagged):
        assert p.severity is Severity.WARNING and (p.line, p.column) == (line, 11)
        assert p.message.startswith(f"alerts[5].expr: alert 'Custom' selects {label}{op}\"{value}\", but Prometheus 3.5 stores")
        assert f'as {label}="{form}"' in p.message


def test_no_warning_when_the_spec_targets_2x_or_names_no_release(tmp_path):
    raw = ("  # --- warning: look", RAW_ALERT.format(expr='sum(rate(x_bucket{le="1"}[5m])) > 3'))
    assert _problems(edited_spec(tmp_path, raw)) == []
    assert _problems(edited_spec(tmp_path, ("prometheus:\n", 'prometheus:\n  version: "2.53"\n'), raw)) == []


def test_recording_rules_and_dashboard_queries_are_checked_at_their_fields(tmp_path):
    spec = edited_spec(
        tmp_path,
        TARGET_3,
        ("recording_rules:\n", 'recording_rules:\n  - {record: "job:fast:rate5m", expr: \'sum by (job) (rate(x_bucket{le="1"}[5m]))\'}\n'),
    )
    [p] = _problems(spec)
    assert p.message.startswith('recording_rules[0].expr: recording rule job:fast:rate5m selects le="1"')
    assert p.line == next(i + 1 for i, t in enumerate(spec.read_text().splitlines()) if "job:fast:rate5m" in t)
