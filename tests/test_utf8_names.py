"""UTF-8 metric and label names (OpenTelemetry's dotted names): accepted when the spec targets
Prometheus 3.0+ (and, for label names, which every alert carries to Alertmanager, 0.27+),
refused at the field otherwise; written in PromQL's quoted syntax so each promtool 3.x reads
the names the spec wrote, and proven by the generated rule tests
(tests/conformance/test_metric_names.py holds upstream's cases)."""

from __future__ import annotations

import subprocess

import promql_parser
import pytest
from ruamel.yaml import YAML

from sfmon.pipeline import load, load_text, render
from sfmon.problems import SpecError
from sfmon.semantics import names

from conftest import FIXTURES, generated_for, run_sfmon

SPEC = FIXTURES / "specs" / "newer" / "utf8-names.yaml"


def _spec(prometheus: str | None = "3.5", alertmanager: str | None = "0.27") -> str:
    text = SPEC.read_text(encoding="utf-8")
    for section, old, new in (("prometheus", '"3.5"', prometheus), ("alertmanager", '"0.27"', alertmanager)):
        line = f"{section}:\n  version: {old}\n"
        assert line in text
        text = text.replace(line, f"{section}:\n  version: \"{new}\"\n" if new else f"{section}:\n  replicas: 1\n")
    return text


@pytest.mark.parametrize("name, bare", [
    ("up", "up"), ("job:rate5m", "job:rate5m"), ("http.server.duration", '"http.server.duration"'),
    ("9up", '"9up"'), ('a"b\\c', '"a\\"b\\\\c"'), ("é", '"é"'),
])  # fmt: skip
def test_selectors_quote_only_what_is_no_legacy_name(name, bare):
    sel = names.selector(name, [names.matcher("job", "=", "api")])
    assert sel == (f'{name}{{job="api"}}' if bare == name else f'{{{bare},job="api"}}')
    ast = promql_parser.parse(sel)
    assert names.selector_name(ast) == name  # read back as written


def test_a_colon_is_legacy_in_metric_names_only():
    assert names.label("job:rate5m") == '"job:rate5m"' and names.label("job_rate") == "job_rate"


def test_a_label_name_is_quoted_in_matchers_and_groupings():
    expr = f'sum by ({names.label("service.name")}) ({{"a.b",{names.matcher("cpu.mode", "=~", "us.*")}}})'
    assert expr == 'sum by ("service.name") ({"a.b","cpu.mode"=~"us.*"})'
    assert names.expr_names(expr) == (("a.b",), ("cpu.mode", "service.name"))


def test_accepted_for_prometheus_3_and_alertmanager_027():
    loaded = load_text(str(SPEC), _spec())
    assert len(loaded.spec.alerts) == 7


def test_metric_names_alone_need_only_prometheus_3():
    text = _spec(alertmanager=None).replace('"http.route"="/orders"', "route=\"/orders\"")
    text = text.replace('"http.response.status_code"=~"5.."', 'code=~"5.."').replace('"cpu.mode"="user"', 'mode="user"')
    text = text.replace('sum by ("messaging.destination.name")', "sum by (queue)")
    assert load_text(str(SPEC), text).spec.alerts


@pytest.mark.parametrize("version, has", [(None, "the spec targets no prometheus.version (2.42, then)"), ("2.53", "prometheus.version 2.53")])
def test_refused_before_prometheus_3_at_the_field(version, has):
    with pytest.raises(SpecError) as err:
        load_text(str(SPEC), _spec(prometheus=version))
    first = err.value.problems[0]
    assert (first.line, first.column) == (23, 16)
    assert first.message.startswith("alerts[0].histogram: metric name 'http.server.request.duration' is no legacy metric name")
    assert f"needs Prometheus 3.0 or later ({has})" in first.message
    assert len(err.value.problems) == 8  # each alert's field (error_ratio: errors and total), the raw expression's too


def test_label_names_need_alertmanager_027():
    with pytest.raises(SpecError) as err:
        load_text(str(SPEC), _spec(alertmanager="0.26"))
    got = {(p.message.split(":")[0], p.message.split("'")[1]) for p in err.value.problems}
    assert got == {
        ("alerts[0].histogram", "http.route"), ("alerts[1].errors", "http.response.status_code"),
        ("alerts[2].metric", "cpu.mode"), ("alerts[6].expr", "messaging.destination.name"),
    }  # fmt: skip
    assert all("Alertmanager 0.27 or later, which every alert's labels reach (alertmanager.version 0.26)" in p.message for p in err.value.problems)


def test_rendered_expressions_read_the_names_the_spec_wrote():
    files = render(load(SPEC))
    rules = YAML(typ="safe").load(files["alerts.yml"])["groups"][0]["rules"]
    read = {r["alert"]: names.expr_names(r["expr"]) for r in rules}
    assert read["ApiSlow"] == (("http.server.request.duration_bucket",), ("http.route",))
    assert read["ApiErrors"] == (("http.server.requests",), ("http.response.status_code",))
    assert read["ApiCpu"] == (("process.cpu.utilization",), ("cpu.mode",))
    assert read["ApiSlowQueries"] == (("db.client.operation.duration_bucket",), ())
    assert read["ApiQueueRaw"] == (("messaging.queue.depth",), ("messaging.destination.name",))
    series = YAML(typ="safe").load(files["tests/alerts.test.yml"])["tests"][0]["input_series"][0]["series"]
    assert series.startswith('{"http.server.request.duration_bucket","http.route"="/orders",')


@pytest.mark.matrix
def test_each_promtool(promtool, amtool, tmp_path):
    """3.x: `sfmon validate` passes and every alert is proven by promtool's rule tests; 2.42
    refuses the rendered rules, as sfmon refuses the spec when it targets 2.x."""
    found, out = generated_for(promtool, SPEC, tmp_path)
    if found >= (3, 0):
        done = run_sfmon("validate", "--spec", str(SPEC), "--out", str(out), timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "7 of 7 alerts proven" in done.stdout
    else:
        done = subprocess.run([promtool, "check", "rules", str(out / "alerts.yml")], capture_output=True, text=True, timeout=60)
        assert done.returncode != 0
        assert 'unexpected string "\\"http.rout"' in done.stdout + done.stderr
