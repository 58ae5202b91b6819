"""The metric catalog cross-check: PromQL syntax errors and unknown metric names, placed on the spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SPEC, run_sfmon, edited_spec as edited
from sfmon.checks.promql_metrics import BUILTIN_SERIES, known_series, metric_names, substitute
from sfmon.pipeline import load_and_check
from sfmon.problems import Severity

RAW_ALERT = """  - name: Custom
    kind: expr
    expr: {expr}
    severity: warning
    summary: custom
  # --- warning: look"""




def metric_problems(path: Path) -> list:
    loaded, problems = load_and_check(path)
    assert loaded is not None, problems
    return [p for p in problems if p.check == "promql/metrics"]


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if needle in line]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


def test_default_spec_has_no_metric_problems():
    assert metric_problems(SPEC) == []


def test_misspelt_metric_in_raw_expr_warns_with_did_you_mean(tmp_path):
    spec = edited(tmp_path, ("  # --- warning: look", RAW_ALERT.format(expr="sum(rate(http_request_total[5m])) > 3")))
    [p] = metric_problems(spec)
    assert p.severity is Severity.WARNING
    assert (p.line, p.column) == (line_of(spec, "http_request_total[5m]"), 11)
    assert p.message == (
        "alerts[5].expr: metric 'http_request_total' in alert 'Custom' is not in any catalog "
        "(did you mean 'http_requests_total'?)"
    )


def test_misspelt_histogram_of_builtin_kind_points_at_its_field(tmp_path):
    spec = edited(tmp_path, ("histogram: http_request_duration_seconds", "histogram: http_request_duration_secs"))
    [p] = metric_problems(spec)
    assert p.line == line_of(spec, "http_request_duration_secs")
    assert p.message.startswith("alerts[5].histogram: metric 'http_request_duration_secs_bucket' in alert 'HighResponseTime'")
    assert p.message.endswith("(did you mean 'http_request_duration_seconds_bucket'?)")


def test_name_matchers_are_checked_too(tmp_path):
    expr = '{__name__="cache_hit_total"} or {__name__=~"nope_.*"} or {__name__=~"cache_.*"}'
    spec = edited(tmp_path, ("  # --- warning: look", RAW_ALERT.format(expr=f"'{expr}'")))
    messages = sorted(p.message for p in metric_problems(spec))
    assert messages == [
        "alerts[5].expr: metric 'cache_hit_total' in alert 'Custom' is not in any catalog (did you mean 'cache_hits_total'?)",
        "alerts[5].expr: no cataloged metric matches __name__=~'nope_.*' in alert 'Custom'",
    ]


def test_raw_expr_syntax_error_is_a_spec_error_on_its_line(tmp_path):
    spec = edited(tmp_path, ("  # --- warning: look", RAW_ALERT.format(expr="sum(rate(up[5m]) > 3")))
    loaded, problems = load_and_check(spec)
    assert loaded is None
    [p] = problems
    assert (p.line, p.column, p.severity) == (line_of(spec, "sum(rate(up[5m]) > 3"), 11, Severity.ERROR)
    assert p.message == "alerts[5].expr: PromQL syntax error in alert 'Custom': unclosed left parenthesis"


def test_panel_syntax_error_names_the_panel_and_its_line(tmp_path):
    spec = edited(tmp_path, ("expr: max(process_memory_mb)", "expr: max(process_memory_mb"))
    [p] = metric_problems(spec)
    assert p.severity is Severity.ERROR
    assert p.line == line_of(spec, "max(process_memory_mb,")
    assert p.message == (
        "dashboards[0].rows[3].panels[0].expr: PromQL syntax error in panel 'Memory' of dashboard "
        "'softfactory-api': unclosed left parenthesis"
    )


def test_queries_list_and_grafana_globals(tmp_path):
    spec = edited(
        tmp_path,
        ('{expr: "sum(rate(cache_misses_total[5m]))"', '{expr: "sum(rate(cache_misses_totl[$__rate_interval]))"'),
    )
    [p] = metric_problems(spec)
    assert p.severity is Severity.WARNING
    assert p.message.startswith("dashboards[2].rows[0].panels[1].queries[1].expr: metric 'cache_misses_totl' in query 2")
    assert "(did you mean 'cache_misses_total'?)" in p.message


def test_unknown_dashboard_variable_is_an_error_with_hint(tmp_path):
    spec = edited(tmp_path, ('(rate(http_slow_requests_total{endpoint=~"$endpoint"}', '(rate(http_slow_requests_total{endpoint=~"${endpont}"}'))
    [p] = metric_problems(spec)
    assert p.severity is Severity.ERROR
    assert "unknown dashboard variable $endpont in panel 'Slow requests per second'" in p.message
    assert p.message.endswith("(did you mean $endpoint?)")


def test_variable_query_metric_is_checked(tmp_path):
    spec = edited(tmp_path, ('query: "label_values(http_requests_total, endpoint)"', 'query: "label_values(http_request_total, endpoint)"'))
    [p] = metric_problems(spec)
    assert p.message.startswith("dashboards[0].variables[0].query: metric 'http_request_total' in variable $endpoint")


def test_no_catalogs_means_no_name_warnings(tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(
        "version: 1\nproject: tiny\ntargets: [{name: app, addresses: ['a:1']}]\n"
        "alerts: [{name: X, kind: expr, expr: 'whatever_metric > 1', severity: info, summary: s}]\n"
        "receivers: [{name: r, webhook: {url: 'http://127.0.0.1:1/'}}]\nrouting: {receiver: r}\n"
        "grafana: {admin_password_file: /run/secrets/g}\n",
        encoding="utf-8",
    )
    assert metric_problems(spec) == []


@pytest.mark.parametrize(
    "query, expected",
    [
        ('x{a=~"$v"}', 'x{a=~"S"}'),
        ('x{a=~"${v}"}', 'x{a=~"S"}'),
        ('x{a=~"${v:regex}"}', 'x{a=~"S"}'),
        ('x{a=~"[[v]]"}', 'x{a=~"S"}'),
        ("rate(x[$__rate_interval]) + rate(x[$__interval]) + rate(x[${__range}])", "rate(x[5m]) + rate(x[5m]) + rate(x[5m])"),
        ("x > $__interval_ms", "x > 300"),
    ],
)
def test_substitute(query, expected):
    assert substitute(query, {"v": "S"}) == (expected, [])


def test_substitute_reports_undefined_variables():
    assert substitute("x{a=~'$nope'}", {}) == ("x{a=~'$nope'}", ["nope"])


def test_metric_names_walks_the_whole_tree():
    import promql_parser

    ast = promql_parser.parse('sum by (a) (rate(foo{a="b"}[5m])) / on() group_left bar + max_over_time(baz[5m:1m]) + {__name__="qux"}')
    assert metric_names(ast) == [("foo", False), ("bar", False), ("baz", False), ("qux", False)]


def test_known_series_include_suffixes_and_builtins():
    from sfmon.spec.loader import load_spec

    known = known_series(load_spec(SPEC))
    assert {"http_requests_total", "db_query_count_total", "http_request_duration_seconds_bucket",
            "http_request_duration_seconds_sum", "http_request_duration_seconds_count"} <= known
    assert BUILTIN_SERIES <= known


def test_warnings_are_printed_but_generate_and_validate_exit_zero(tmp_path, promtool, amtool):
    # A misspelt metric in an alert without hand-written tests: its generated tests use the same
    # (wrong) name, so only the catalog check can catch it, as a warning.
    spec = edited(tmp_path, ("    numerator: pg_stat_activity_count\n", "    numerator: pg_stat_activity_cnt\n"))
    text = spec.read_text()
    text = text.replace("'pg_stat_activity_count{job=\"postgres\"}'", "'pg_stat_activity_cnt{job=\"postgres\"}'")
    spec.write_text(text)
    out = tmp_path / "generated"
    expected = f"{spec}:{line_of(spec, 'numerator: pg_stat_activity_cnt')}:16: warning: alerts[8].numerator: metric 'pg_stat_activity_cnt'"
    for args in (("generate",), ("validate",)):
        result = run_sfmon(*args, "--spec", str(spec), "--out", str(out))
        assert result.returncode == 0, result.stdout + result.stderr
        assert expected in result.stdout
    assert (out / "alerts.yml").is_file()


# One alert per kind, each with one misspelt metric (`@` marks its field's value): the warning
# is placed on the field that names it (an item of a list field), found through selectors().
MISSPELT = {
    "target_down": "{name: X, kind: target_down, target: api, metric: @up_api, severity: info, summary: s}",
    "error_ratio errors": "{name: X, kind: error_ratio, target: api, errors: @'http_request_total{status=~\"5..\"}', total: http_requests_total, above: 5%, severity: info, summary: s}",
    "error_ratio total": "{name: X, kind: error_ratio, target: api, errors: 'http_requests_total{status=~\"5..\"}', total: @http_request_total, above: 5%, severity: info, summary: s}",
    "latency_quantile": "{name: X, kind: latency_quantile, target: api, histogram: @http_request_duration_secs, above: 1s, severity: info, summary: s}",
    "slow_events": "{name: X, kind: slow_events, target: api, histogram: @db_query_duration_mss, unit: milliseconds, slower_than: 1s, above: 5, severity: info, summary: s}",
    "ratio numerator": "{name: X, kind: ratio, target: api, numerator: @cache_hit_total, denominator: [cache_hits_total, cache_misses_total], below: 70%, severity: info, summary: s}",
    "ratio denominator": "{name: X, kind: ratio, target: api, numerator: cache_hits_total, denominator: [cache_hits_total, @cache_miss_total], below: 70%, severity: info, summary: s}",
    "threshold": "{name: X, kind: threshold, target: api, metric: @process_memory_mbb, above: 512, severity: info, summary: s}",
    "expr": "{name: X, kind: expr, expr: @'sum(http_request_total) > 1', severity: info, summary: s}",
}
PLACED = {  # message prefix and the metric as the rule reads it
    "target_down": ("alerts[5].metric", "up_api"),
    "error_ratio errors": ("alerts[5].errors", "http_request_total"),
    "error_ratio total": ("alerts[5].total", "http_request_total"),
    "latency_quantile": ("alerts[5].histogram", "http_request_duration_secs_bucket"),
    "slow_events": ("alerts[5].histogram", "db_query_duration_mss_bucket"),
    "ratio numerator": ("alerts[5].numerator", "cache_hit_total"),
    "ratio denominator": ("alerts[5].denominator[1]", "cache_miss_total"),
    "threshold": ("alerts[5].metric", "process_memory_mbb"),
    "expr": ("alerts[5].expr", "http_request_total"),
}


@pytest.mark.parametrize("case", list(MISSPELT))
def test_each_kind_places_an_unknown_metric_on_its_field(tmp_path, case):
    line = "  - " + MISSPELT[case]
    column = line.index("@") + 1
    spec = edited(tmp_path, ("  # --- warning: look", line.replace("@", "") + "\n  # --- warning: look"))
    [p] = metric_problems(spec)
    where, metric = PLACED[case]
    assert p.severity is Severity.WARNING
    assert (p.line, p.column) == (line_of(spec, "name: X, kind:"), column)
    assert p.message.startswith(f"{where}: metric {metric!r} in alert 'X' is not in any catalog")


def test_a_metric_misspelt_in_two_fields_is_placed_on_both(tmp_path):
    line = "  - {name: X, kind: error_ratio, target: api, errors: 'http_request_total{status=~\"5..\"}', total: http_request_total, above: 5%, severity: info, summary: s}"
    spec = edited(tmp_path, ("  # --- warning: look", line + "\n  # --- warning: look"))
    assert [p.message.split(":")[0] for p in metric_problems(spec)] == ["alerts[5].errors", "alerts[5].total"]
