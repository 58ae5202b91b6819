"""Recording rules, rule group settings, keep_firing_for and enabled: false, proven with the
real promtool where Prometheus is the referee."""

import math
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError
from ruamel.yaml import YAML

from sfmon.model.rules import RecordingRule
from sfmon.pipeline import load, load_and_check, render
from sfmon.problems import Severity
from sfmon.spec.diff import diff_specs

from conftest import SPEC, edited_spec, run_sfmon
from test_rule_tests import TEST_FILE, promtool_test, small_head, write

yaml = YAML(typ="safe")

HEAD = small_head("api")

# Shapes sfmon's evaluator follows step for step; promtool checks every predicted value.
SHAPES = """recording_rules:
  - {record: "job:req:rate5m", expr: 'sum by (job) (rate(req_total[5m]))'}
  - {record: "job:err:rate5m", expr: 'sum by (job) (rate(req_total{code=~"5.."}[5m]))'}
  - {record: "job:err:ratio_rate5m", expr: 'job:err:rate5m / job:req:rate5m', labels: {team: "a \\"b\\": c"}}
  - {record: "job:err:ratio_rate5m_pct", expr: '100 * job:err:ratio_rate5m'}
  - {record: "job:lat:avg", expr: 'avg by (job) (lat_seconds)', group: g}
  - {record: "job:lat:max", expr: 'max without (instance, code) (lat_seconds)', group: g}
  - {record: "job:lat:min", expr: 'min by (job) (lat_seconds{code!="500"})', group: g}
  - {record: "job:lat:count", expr: 'count by (job) (lat_seconds)', group: g}
  - {record: "job:inc:ratio", expr: 'sum by (job) (increase(a_total[10m])) / on (job) sum by (job) (increase(b_total[10m]))', group: g}
  - {record: "job:delta:neg", expr: '-sum by (job) (delta(temp[3m])) - 0.5', group: g}
  - {record: "job:up:ok", expr: 'sum by (job) (up) > bool 0', group: g}
  - {record: ":ratio:", expr: 'sum(rate(req_total[90s])) % 7', group: g}
rule_groups:
  g: {interval: 30s, limit: 5}
"""


# The set operators, time() and the *_over_time functions (the public example's raw alerts).
SET_SHAPES = SHAPES.replace(
    "rule_groups:",
    """  - {record: "job:and", expr: 'temp and on(job) lat_seconds{code="500"}'}
  - {record: "job:or", expr: 'temp > 100 or up'}
  - {record: "job:unless", expr: 'lat_seconds{code="500"} unless on(code) lat_seconds{code!="500"}'}
  - {record: "job:age", expr: 'time() - max_over_time(temp[3m]) + min_over_time(req_total[2m])'}
rule_groups:""",
)


def spec_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


# --- names, as Prometheus validates them -----------------------------------------------------

NAMES = ["job:http_requests:rate5m", "a:b", ":a", "_", "a_1:", "1a", "a-b", "a.b", "a{", "ä", "a b", "job:x:rate5m{}", "a}b", 'a"b', "a,b=c"]


@pytest.mark.matrix
def test_record_names_are_accepted_exactly_where_promtool_accepts_them(tmp_path, promtool):
    """Read as a spec targeting this promtool's release: 2.x takes legacy names, 3.x any UTF-8 name."""
    from sfmon.semantics import names
    from sfmon.tools.versions import detect

    found = detect(promtool)
    assert found is not None
    for name in NAMES:
        try:
            with names.targeting({"prometheus": {"version": f"{found.major}.{found.minor}"}}):
                RecordingRule.model_validate({"record": name, "expr": "up"})
            ours = True
        except ValidationError:
            ours = False
        f = tmp_path / "r.yml"
        f.write_text(f"groups:\n  - name: g\n    rules:\n      - record: {yaml_str(name)}\n        expr: up\n", encoding="utf-8")
        theirs = subprocess.run([promtool, "check", "rules", str(f)], capture_output=True, text=True, timeout=60).returncode == 0
        assert ours == theirs, f"{name!r}: sfmon {'accepts' if ours else 'refuses'}, promtool {'accepts' if theirs else 'refuses'}"


def yaml_str(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


# --- generated tests: values predicted, promtool agrees ---------------------------------------


def test_every_recording_rule_shape_is_proven_and_promtool_agrees_with_each_value(tmp_path, promtool):
    loaded = load(spec_file(tmp_path, SET_SHAPES))
    tests = loaded.derived.rule_tests
    assert (tests.covered('recording rules').total, tests.covered('recording rules').proven) == (16, 16), [n.message for n in tests.notes]
    out = write(render(loaded), tmp_path / "out")
    data = yaml.load((out / TEST_FILE).read_text(encoding="utf-8"))
    # promtool evaluates every group at the file's interval: the gcd of the groups' (15s, 30s).
    assert data["evaluation_interval"] == "15s"
    groups = {g["promql_expr_test"][0]["expr"]: g for g in data["tests"] if "promql_expr_test" in g}
    ratio = groups["job:err:ratio_rate5m"]["promql_expr_test"][0]
    assert ratio["exp_samples"] == [{"labels": 'job:err:ratio_rate5m{job="example",team="a \\"b\\": c"}', "value": ratio["exp_samples"][0]["value"]}]
    assert 0 < ratio["exp_samples"][0]["value"] < 1
    # A rule of group g (30s) is checked on its own evaluation grid.
    at = {g.exprs[0].expr: g.exprs[0].at_ms for g in tests.groups if g.exprs}
    assert all(at[r.record] % 30_000 == 0 for r in loaded.spec.recording_rules if r.group == "g")
    res = promtool_test(promtool, out)
    assert res.returncode == 0, res.stdout + res.stderr
    # promtool is the referee: one digit off in one predicted value fails.
    text = (out / TEST_FILE).read_text(encoding="utf-8")
    value = ratio["exp_samples"][0]["value"]
    assert f"value: {value!r}\n" in text
    (out / TEST_FILE).write_text(text.replace(f"value: {value!r}\n", f"value: {math.nextafter(value, 1)!r}\n", 1), encoding="utf-8")
    res = promtool_test(promtool, out)
    assert res.returncode == 1 and "job:err:ratio_rate5m" in res.stdout + res.stderr


def test_a_value_sfmon_cannot_predict_is_an_unproven_warning_on_the_rule(tmp_path):
    body = """recording_rules:
  - {record: "job:req:rate5m", expr: 'sum by (job) (rate(req_total[5m]))'}
  - {record: "job:lat:p99", expr: 'histogram_quantile(0.99, sum by (job, le) (rate(lat_bucket[5m])))'}
  - {record: "job:top", expr: 'topk(1, req_total)'}
"""
    loaded, problems = load_and_check(spec_file(tmp_path, body))
    unproven = [p for p in problems if "unproven" in p.message]
    assert [(p.line, p.check, p.severity) for p in unproven] == [(13, "rules/tests", Severity.WARNING), (14, "rules/tests", Severity.WARNING)]
    assert "recording_rules[1].expr: recording rule job:lat:p99 is unproven" in unproven[0].message
    assert "histogram_quantile" in unproven[0].message and "topk" in unproven[1].message
    assert (loaded.derived.rule_tests.covered('recording rules').total, loaded.derived.rule_tests.covered('recording rules').proven) == (3, 1)


def test_validate_runs_the_recording_rule_tests_and_counts_them(tmp_path, promtool, amtool):
    body = SHAPES + """  - {record: "job:top", expr: 'topk(1, req_total)'}
"""
    body = body.replace("rule_groups:\n  g: {interval: 30s, limit: 5}\n", "") + "rule_groups:\n  g: {interval: 30s, limit: 5}\n"
    got = run_sfmon("validate", "--spec", str(spec_file(tmp_path, body)), "--out", str(tmp_path / "gen"))
    assert got.returncode == 0, got.stdout + got.stderr
    assert "12 of 13 recording rules proven" in got.stdout


def test_the_default_spec_proves_its_recording_rules():
    loaded = load(SPEC)
    tests = loaded.derived.rule_tests
    rec = tests.covered('recording rules')
    assert rec.total >= 2 and rec.proven == rec.total
    panels = [p.expr or "" for d in loaded.spec.dashboards for r in d.rows for p in r.panels]
    records = {r.record for r in loaded.spec.recording_rules}
    assert any(name in e for e in panels for name in records), "a dashboard panel reads a recorded series"
    assert any(name in r.expr for a in loaded.spec.alerts for r in a.rules() for name in records), "an alert reads one"


# --- checks ---------------------------------------------------------------------------------


def test_cycles_unknown_references_and_dropped_labels_are_placed(tmp_path):
    body = """recording_rules:
  - {record: "job:a:sum", expr: 'sum by (job) (job:b:sum)'}
  - {record: "job:b:sum", expr: 'job:a:sum + 1'}
  - {record: "job:req:rate5m", expr: 'sum by (job) (rate(req_total[5m]))'}
alerts:
  - {name: Typo, kind: threshold, target: api, metric: 'job:req:rate1m', above: 1, severity: warning, summary: s}
  - {name: Dropped, kind: expr, expr: 'job:req:rate5m{instance="a:1"} > 1', severity: warning, summary: s}
"""
    _, problems = load_and_check(spec_file(tmp_path, body))
    by_check = {}
    for p in problems:
        by_check.setdefault(p.check, []).append(p)
    [cycle] = by_check["recording/cycles"]
    assert (cycle.line, cycle.severity) == (12, Severity.ERROR)
    assert "job:a:sum reads job:b:sum reads job:a:sum" in cycle.message
    [typo] = by_check["recording/references"]
    assert (typo.line, typo.severity) == (16, Severity.ERROR)
    assert "alerts[0].metric: alert 'Typo' reads job:req:rate1m" in typo.message and "did you mean 'job:req:rate5m'" in typo.message
    dropped = [p for p in by_check["promql/metrics"] if "keeps only" in p.message]
    assert [(p.line, p.severity) for p in dropped] == [(17, Severity.WARNING)]
    assert "label 'instance' of job:req:rate5m, whose recording rule keeps only job" in dropped[0].message


def test_a_colon_name_is_only_a_warning_without_recording_rules(tmp_path):
    body = """alerts:
  - {name: External, kind: expr, expr: 'job:from_elsewhere:rate5m > 1', severity: warning, summary: s}
"""
    _, problems = load_and_check(spec_file(tmp_path, body))
    [p] = [p for p in problems if p.check == "recording/references"]
    assert p.severity == Severity.WARNING


# --- keep_firing_for --------------------------------------------------------------------------


def test_keep_firing_for_is_rendered_and_debian_promtool_2_42_honours_it(tmp_path, promtool):
    """Prometheus 2.42 added keep_firing_for; Debian's promtool 2.42 accepts it and keeps the
    alert firing: the generated target_down test checks the alert still fires after up is back."""
    body = """alerts:
  - {name: Down, kind: target_down, target: api, for: 2m, keep_firing_for: 5m, severity: critical, summary: s}
"""
    loaded = load(spec_file(tmp_path, body))
    out = write(render(loaded), tmp_path / "out")
    [rule] = yaml.load((out / "alerts.yml").read_text(encoding="utf-8"))["groups"][0]["rules"]
    assert list(rule)[:4] == ["alert", "expr", "for", "keep_firing_for"] and rule["keep_firing_for"] == "5m"
    res = subprocess.run([promtool, "check", "rules", "alerts.yml"], cwd=out, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    data = yaml.load((out / TEST_FILE).read_text(encoding="utf-8"))
    [fires] = [g for g in data["tests"] if "keeps firing 5m" in g["name"]]
    checks = fires["alert_rule_test"]
    assert [bool(c["exp_alerts"]) for c in checks] == [True, True, False]
    assert promtool_test(promtool, out).returncode == 0
    # Without keep_firing_for in the rule file, the middle check fails: it proves the setting.
    (out / "alerts.yml").write_text((out / "alerts.yml").read_text(encoding="utf-8").replace('        keep_firing_for: "5m"\n', ""), encoding="utf-8")
    res = promtool_test(promtool, out)
    assert res.returncode == 1 and "alertname: Down" in res.stdout + res.stderr


# --- enabled: false ---------------------------------------------------------------------------


def test_an_overlay_switches_one_alert_off_and_problems_stay_placed(tmp_path):
    base, _ = load_and_check(SPEC)
    typo = edited_spec(tmp_path, ("  - name: SlowQueries\n    kind: slow_events\n    target: api\n", "  - name: SlowQueries\n    kind: slow_events\n    target: apii\n"))
    loaded, problems = load_and_check(typo, sets=["alerts[HighErrorRate].enabled=false"])
    assert loaded is not None
    rules = [r.name for g in loaded.derived.rule_groups for r in g.rules]
    assert "HighErrorRate" not in rules and "ApiDown" in rules
    assert all(g.alertname != "HighErrorRate" for g in loaded.derived.rule_tests.groups)
    assert all(c.name != "HighErrorRate" for c in loaded.derived.route_cases)
    assert len(loaded.derived.route_cases) == len(base.derived.route_cases) - 1
    # The spec's route test of the disabled alert is skipped with a warning at its line.
    index = next(i for i, t in enumerate(loaded.spec.routing.tests) if t.alert == "HighErrorRate")
    [skipped] = [p for p in problems if "is disabled" in p.message]
    assert skipped.severity == Severity.WARNING and skipped.message.startswith(f"routing.tests[{index}].alert:")
    # A later alert keeps its index: the problem is on SlowQueries' own line.
    i = next(i for i, a in enumerate(loaded.spec.alerts) if a.name == "SlowQueries")
    [unknown] = [p for p in problems if "unknown target 'apii'" in p.message]
    assert unknown.message.startswith(f"alerts[{i}].target:")
    assert (unknown.file, unknown.line) == (str(typo), base.smap.locate(("alerts", i, "target"))[0])


def test_a_disabled_alert_is_not_rendered_and_the_rest_validates(tmp_path, promtool, amtool):
    got = run_sfmon("generate", "--set", "alerts[ApiDown].enabled=false", "--out", str(tmp_path / "gen"))
    assert got.returncode == 0, got.stdout + got.stderr
    for rel in ("alerts.yml", "tests/alerts.test.yml", "tests/routes.test.yml"):
        assert "ApiDown" not in (tmp_path / "gen" / rel).read_text(encoding="utf-8"), rel
    got = run_sfmon("validate", "--set", "alerts[ApiDown].enabled=false")
    assert got.returncode == 0, got.stdout + got.stderr
    assert "alert 'ApiDown' is disabled (enabled: false): this route test is skipped" in got.stderr + got.stdout


# --- rule groups ------------------------------------------------------------------------------


def test_a_group_interval_sets_its_tests_evaluation_grid_and_limit_reaches_promtool(tmp_path, promtool):
    body = """alerts:
  - {name: Down, kind: target_down, target: api, for: 1m, severity: critical, summary: s, group: slow}
  - {name: Fast, kind: target_down, target: api, for: 1m, severity: critical, summary: s}
rule_groups:
  slow: {interval: 2m, limit: 3}
"""
    loaded = load(spec_file(tmp_path, body))
    out = write(render(loaded), tmp_path / "out")
    groups = {g["name"]: g for g in yaml.load((out / "alerts.yml").read_text(encoding="utf-8"))["groups"]}
    assert (groups["slow"]["interval"], groups["slow"]["limit"]) == ("2m", 3) and "interval" not in groups["small"]
    steps = {g.alertname: g.interval_ms for g in loaded.derived.rule_tests.groups}
    assert steps == {"Down": 120_000, "Fast": 15_000}
    times = {g.alertname: [c.at_ms for c in g.checks] for g in loaded.derived.rule_tests.groups}
    assert all(t % 120_000 == 0 for t in times["Down"])
    assert promtool_test(promtool, out).returncode == 0
    res = subprocess.run([promtool, "check", "rules", "alerts.yml"], cwd=out, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr


# --- the per-rule split -----------------------------------------------------------------------


def test_the_split_carries_the_recording_rules_each_rule_reads(tmp_path, promtool):
    from sfmon.tools.proofs import split_rule_tests

    body = SHAPES + """alerts:
  - {name: Errors, kind: threshold, target: api, metric: 'job:err:ratio_rate5m', above: 0.1, severity: warning, summary: s}
  - {name: Down, kind: target_down, target: api, severity: critical, summary: s}
"""
    out = write(render(load(spec_file(tmp_path, body))), tmp_path / "out")
    text = (out / TEST_FILE).read_text(encoding="utf-8")
    split = split_rule_tests(out, text, (out / "alerts.yml").read_text(encoding="utf-8"), above=0)
    assert split is not None and len(split) == 14  # 12 recording rules, 2 alerts
    rules_of = {}
    for f in split:
        test = yaml.load((out / f).read_text(encoding="utf-8"))
        rules = yaml.load((out / Path(f).parent / test["rule_files"][0]).read_text(encoding="utf-8"))
        names = [r.get("alert") or r.get("record") for g in rules["groups"] for r in g["rules"]]
        rules_of[test["tests"][0]["name"]] = (names, rules["groups"])
    ratio = next(v for k, v in rules_of.items() if "job:err:ratio_rate5m_pct" in k)
    assert ratio[0] == ["job:req:rate5m", "job:err:rate5m", "job:err:ratio_rate5m", "job:err:ratio_rate5m_pct"]
    grouped = next(v for k, v in rules_of.items() if "job:lat:avg" in k)
    assert grouped[1] == [{"name": "g", "interval": "30s", "limit": 5, "rules": grouped[1][0]["rules"]}]
    res = promtool_test(promtool, out, *split)
    assert res.returncode == 0, res.stdout + res.stderr


# --- diff -------------------------------------------------------------------------------------


def test_diff_reports_recording_rules_and_enabled_toggles(tmp_path):
    alert = "alerts:\n  - {name: Down, kind: target_down, target: api, severity: critical, summary: s%s}\n"
    old = load(spec_file(tmp_path, SHAPES + alert % "")).spec
    new_body = (
        SHAPES.replace("rate(req_total[5m])", "rate(req_total[10m])", 1)
        .replace("  - {record: \"job:lat:count\", expr: 'count by (job) (lat_seconds)', group: g}\n", "")
        .replace("rule_groups:\n  g: {interval: 30s, limit: 5}", "  - {record: \"job:new\", expr: 'sum(up)'}\nrule_groups:\n  g: {interval: 1m, limit: 5}")
    )
    (tmp_path / "new").mkdir()
    new = load(spec_file(tmp_path / "new", new_body + alert % ", enabled: false")).spec
    texts = [c.text() for c in diff_specs(old, new)]
    assert "alert Down disabled" in texts
    assert "recording rule job:req:rate5m: expr sum by (job) (rate(req_total[5m])) -> sum by (job) (rate(req_total[10m]))" in texts
    assert "recording rule job:lat:count removed" in texts
    assert "recording rule job:new added" in texts
    assert "rule group g: interval 30s -> 1m" in texts


def test_a_kind_reading_a_recorded_series_gets_only_the_labels_the_rule_keeps(tmp_path, promtool):
    body = """recording_rules:
  - {record: "job:req:rate5m", expr: 'sum by (job) (rate(req_total[5m]))'}
  - {record: "job:err:rate5m", expr: 'sum by (job) (rate(req_total{code=~"5.."}[5m]))'}
  - {record: "job:err:ratio", expr: 'job:err:rate5m / job:req:rate5m'}
alerts:
  - {name: Errors, kind: threshold, target: api, metric: 'job:err:ratio', above: 0.1, severity: warning, summary: s}
"""
    loaded = load(spec_file(tmp_path, body))
    [series] = {s.selector() for g in loaded.derived.rule_tests.groups if g.alertname == "Errors" for s in g.series}
    assert series == 'job:err:ratio{job="api"}'  # not the target's instance: the ratio is by job
    out = write(render(loaded), tmp_path / "out")
    assert promtool_test(promtool, out).returncode == 0


def test_the_evaluator_folds_aggregations_as_promtool_does(tmp_path, promtool):
    """sum, avg (2.42's incremental mean, not sum / count), min, max and count over several
    series of seeded random values, each predicted to the last bit and checked by promtool
    (three runs: promtool reads test series in a different order each run, so a sum whose
    float depends on the order must be refused, not predicted)."""
    import json
    import random

    from sfmon.semantics.evaluate import Input, NotEvaluable, evaluate

    rng = random.Random(42)
    exprs = {
        "g:sum": "sum by (job) (lat)", "g:avg": "avg by (job) (lat)", "g:min": "min by (job) (lat)",
        "g:max": "max without (i) (lat)", "g:count": "count by (job) (lat)", "g:ratio": "sum by (job) (lat) / on (job) max by (job) (lat)",
    }  # fmt: skip
    rules = "groups:\n  - name: g\n    rules:\n" + "".join(f"      - {{record: '{r}', expr: '{e}'}}\n" for r, e in exprs.items())
    (tmp_path / "r.yml").write_text(rules, encoding="utf-8")
    groups, refused, predicted_sums = [], 0, 0
    for n in range(12):
        places = rng.choice([0, 1, 6])  # whole numbers add up exactly in any order
        values = {str(i): round(rng.uniform(-10, 10), places) for i in range(rng.randint(2, 6))}
        series = [Input({"__name__": "lat", "job": "a", "i": i}, [v] * 4, 60_000) for i, v in values.items()]
        cases = []
        for record, expr in exprs.items():
            try:
                [(labels, value)] = evaluate(expr, series, 120_000)
            except NotEvaluable:
                refused += 1
                continue
            if not math.isfinite(value):  # a ratio over a max of 0: generated tests refuse those too
                continue
            predicted_sums += record == "g:sum" and len(values) > 2
            cases.append({"expr": record, "eval_time": "2m", "exp_samples": [{"labels": f'{record}{{job="a"}}', "value": value}]})
        inputs = [{"series": f'lat{{job="a",i="{i}"}}', "values": f"{v!r}x3"} for i, v in values.items()]
        groups.append({"name": f"set {n}", "interval": "1m", "input_series": inputs, "promql_expr_test": cases})
    assert refused and predicted_sums, (refused, predicted_sums)
    (tmp_path / "t.yml").write_text(json.dumps({"rule_files": ["r.yml"], "evaluation_interval": "1m", "tests": groups}), encoding="utf-8")
    for _ in range(3):
        res = subprocess.run([promtool, "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stdout + res.stderr
