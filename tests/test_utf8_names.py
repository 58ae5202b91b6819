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
    assert len(loaded.spec.alerts) == 8 and loaded.spec.recording_rules[0].record == "http.server.requests:rate5m"


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
    # each alert's field (error_ratio: errors and total), the raw expressions', the recording rule's name and expression
    assert len(err.value.problems) == 11


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
    read = {r.get("alert") or r["record"]: names.expr_names(r["expr"]) for g in YAML(typ="safe").load(files["alerts.yml"])["groups"] for r in g["rules"]}
    assert read["ApiSlow"] == (("http.server.request.duration_bucket",), ("http.route",))
    assert read["ApiErrors"] == (("http.server.requests",), ("http.response.status_code",))
    assert read["ApiCpu"] == (("process.cpu.utilization",), ("cpu.mode",))
    assert read["ApiSlowQueries"] == (("db.client.operation.duration_bucket",), ())
    assert read["ApiQueueRaw"] == (("messaging.queue.depth",), ("messaging.destination.name",))
    assert read["ApiBusy"] == (("http.server.requests:rate5m",), ())
    slow = next(t for t in YAML(typ="safe").load(files["tests/alerts.test.yml"])["tests"] if t["name"].startswith("ApiSlow:"))
    series = slow["input_series"][0]["series"]
    assert series.startswith('{"http.server.request.duration_bucket","http.route"="/orders",')


def test_recording_rule_names_take_utf8_for_prometheus_3():
    """Prometheus 3 validates `record:` as a UTF-8 metric name (promtool 3.5.1 and 3.16.0 pass
    the fixture's `http.server.requests:rate5m`, test_each_promtool); its generated test reads
    it quoted, as does the alert that reads it."""
    files = render(load(SPEC))
    assert 'record: "http.server.requests:rate5m"' in files["alerts.yml"]
    assert 'expr: "{\\"http.server.requests:rate5m\\"}"' in files["tests/alerts.test.yml"]
    with pytest.raises(SpecError) as err:
        load_text(str(SPEC), _spec(prometheus="2.53"))
    [p] = [p for p in err.value.problems if p.message.startswith("recording_rules[0].record:")]
    assert p.message.startswith("recording_rules[0].record: invalid recording rule name 'http.server.requests:rate5m': Prometheus takes a metric name")
    assert p.message.endswith("which needs Prometheus 3.0 or later (prometheus.version 2.53)")


@pytest.mark.matrix
def test_each_promtool(promtool, amtool, tmp_path):
    """3.x: `sfmon validate` passes and every alert is proven by promtool's rule tests; 2.42
    refuses the rendered rules, as sfmon refuses the spec when it targets 2.x."""
    found, out = generated_for(promtool, SPEC, tmp_path)
    if found >= (3, 0):
        done = run_sfmon("validate", "--spec", str(SPEC), "--out", str(out), timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "8 of 8 alerts proven, 1 of 1 recording rules proven" in done.stdout
    else:
        done = subprocess.run([promtool, "check", "rules", str(out / "alerts.yml")], capture_output=True, text=True, timeout=60)
        assert done.returncode != 0
        assert 'unexpected string "\\"http.rout"' in done.stdout + done.stderr


# --- UTF-8 names in the spec's own label-name fields (issue #13, item 5) ---------------------

LABELS = FIXTURES / "specs" / "newer" / "utf8-labels.yaml"


def _labels_spec(prometheus: str | None = "3.5", on: str = "job") -> str:
    text = LABELS.read_text(encoding="utf-8").replace("on: [job]}", f"on: [{on}]}}")
    if prometheus is None:
        text = text.replace('prometheus:\n  version: "3.5"\n', "prometheus:\n  replicas: 1\n")
        return text.replace('alertmanager:\n  version: "0.27"\n', "alertmanager:\n  replicas: 1\n")
    return text.replace('prometheus:\n  version: "3.5"\n', f'prometheus:\n  version: "{prometheus}"\n')


def test_label_fields_take_utf8_names_for_prometheus_3():
    spec = load_text(str(LABELS), _labels_spec()).spec
    hot, busy = spec.alerts
    assert hot.by == ["service.name", "cpu.mode"] and hot.labels == {"deployment.environment": "prod"}
    assert spec.targets[0].labels == {"service.name": "api"}
    assert spec.routing.inhibit[0].equal == ["service.name"]
    files = render(load(LABELS))
    rules = {r["alert"]: r for r in YAML(typ="safe").load(files["alerts.yml"])["groups"][0]["rules"]}
    assert rules["ApiHot"]["expr"] == 'max by ("service.name", "cpu.mode") ({"process.cpu.utilization",job="api"}) > 0.9'
    assert rules["ApiHot"]["labels"] == {"deployment.environment": "prod", "severity": "critical"}
    am = YAML(typ="safe").load(files["alertmanager.yml"])
    assert am["route"]["routes"][0]["matchers"] == ['"deployment.environment"="prod"']
    assert am["inhibit_rules"][0]["equal"] == ["service.name"]


def test_label_fields_refused_before_prometheus_3_at_the_field():
    with pytest.raises(SpecError) as err:
        load_text(str(LABELS), _labels_spec(prometheus=None))
    got = {(p.line, p.column, p.message.split(": ")[0]) for p in err.value.problems if "label name" in p.message}
    assert {
        (12, 57, "targets[0].labels.service.name"), (19, 16, "routing.routes[0].match.deployment.environment"),
        (21, 75, "routing.inhibit[0].equal[0]"), (36, 10, "alerts[0].by[0]"), (36, 26, "alerts[0].by[1]"),
        (41, 14, "alerts[0].labels.deployment.environment"),
    } <= got  # fmt: skip
    by = next(p for p in err.value.problems if p.message.startswith("alerts[0].by[0]"))
    assert "needs Prometheus 3.0 or later (the spec targets no prometheus.version (2.42, then))" in by.message
    assert "Alertmanager 0.27 or later, which every alert's labels reach (no alertmanager.version is set (0.25, then))" in by.message


def test_notification_labels_take_utf8_names_for_prometheus_3():
    """The messages list a dotted label as written for 3.x (tests/test_messages.py renders it
    with amtool); for 2.x it is refused at the field."""
    text = _labels_spec().replace('  version: "0.27"\n', '  version: "0.27"\n  messages: {labels: [severity, "service.name"]}\n')
    assert load_text(str(LABELS), text).spec.alertmanager.messages.labels == ["severity", "service.name"]
    old = text.replace('prometheus:\n  version: "3.5"\n', 'prometheus:\n  version: "2.42"\n')
    with pytest.raises(SpecError) as err:
        load_text(str(LABELS), old)
    assert any(
        p.message.startswith("alertmanager.messages.labels[1]: label name 'service.name' is no legacy label name")
        for p in err.value.problems
    ), [p.message for p in err.value.problems]


_WINDOW = """maintenance:
  - {name: otel, matchers: ['"service.name"="api"'], start: "2026-06-01T22:00:00Z", end: "2026-06-02T00:00:00Z", comment: upgrade, creator: ops}
"""


def test_maintenance_matchers_take_utf8_names_for_alertmanager_027():
    """The silence carries the name as written (tests/live/test_time_live.py: 0.27+ mutes
    with it, 0.25 refuses it); for an older target the matcher is refused in place."""
    import json

    files = render(load_text(str(LABELS), _labels_spec() + _WINDOW))
    assert json.loads(files["silences.json"])[0]["matchers"] == [{"name": "service.name", "value": "api", "isRegex": False, "isEqual": True}]
    full = FIXTURES / "specs" / "valid" / "full.yaml"
    text = full.read_text(encoding="utf-8").replace("""matchers: ['job="db"',""", """matchers: ['"job"="db"',""")
    assert load_text(str(full), text).spec.maintenance[0].matchers[0] == '"job"="db"'  # full.yaml targets 0.35
    with pytest.raises(SpecError) as err:
        load_text(str(full), text.replace('alertmanager:\n  version: "0.35"', 'alertmanager:\n  version: "0.26"'))
    [p] = err.value.problems
    assert (p.line, p.column) == (221, 16) and p.message == (
        "maintenance[0].matchers[0]: only Alertmanager 0.27 and later read this matcher: alertmanager.version 0.26 reads "
        'matchers with the classic parser only (bad matcher format: "job"="db"); set alertmanager.version to 0.27 or later, '
        'or write it as job="db"'
    )


def test_matching_labels_need_prometheus_310():
    """3.5 evaluates a rule by re-parsing its expression as printed, and prints on() labels
    bare (fixed by prometheus/prometheus#17687, v3.10.0): refused below 3.10."""
    with pytest.raises(SpecError) as err:
        load_text(str(LABELS), _labels_spec(on='"service.name"'))
    (p,) = err.value.problems
    assert (p.line, p.column) == (51, 49)
    assert p.message.startswith("alerts[1].guards[0].on[0]: label name 'service.name' in on()/ignoring()/group_left()/group_right() needs Prometheus 3.10 or later (prometheus.version 3.5)")
    raw = _spec().replace('sum by ("messaging.destination.name")', 'sum by (job) (up) * on("messaging.destination.name") group_left() sum by ("messaging.destination.name")')
    with pytest.raises(SpecError) as err:
        load_text(str(SPEC), raw)
    assert [q.message.split(": ")[0] for q in err.value.problems] == ["alerts[6].expr"]
    assert load_text(str(LABELS), _labels_spec(prometheus="3.10", on='"service.name"')).spec.alerts[1].guards[0].on == ["service.name"]


def _external_spec() -> str:
    """Replicas told apart by a UTF-8 external label, another one, a UTF-8 group_by label."""
    text = _labels_spec().replace('  version: "3.5"\n', '  version: "3.5"\n  replicas: 2\n  replica_label: "replica.id"\n  external_labels: {"region.name": eu}\n', 1)
    return text.replace("routing:\n  receiver: team\n", 'routing:\n  receiver: team\n  group_by: [alertname, "service.name"]\n')


def test_external_and_group_labels():
    files = render(load_text(str(LABELS), _external_spec()))
    prom = YAML(typ="safe").load(files["prometheus-replica-0.yml"])
    assert prom["global"]["external_labels"] == {"region.name": "eu", "replica.id": "prometheus-0"}
    # labeldrop reads a regex: the dot escaped, so no other label is dropped
    assert prom["alerting"]["alert_relabel_configs"] == [{"action": "labeldrop", "regex": "replica\\.id"}]
    assert YAML(typ="safe").load(files["alertmanager.yml"])["route"]["group_by"] == ["alertname", "service.name"]


@pytest.mark.matrix
def test_label_fields_each_promtool(promtool, amtool, tmp_path):
    """3.x: every alert proven, routes and inhibition tested with amtool; a UTF-8 on() label
    passes 3.16's rule tests and fails 3.5.1's evaluation (why sfmon wants 3.10 for it)."""
    found, out = generated_for(promtool, LABELS, tmp_path)
    if found < (3, 0):  # 2.42 refuses the rendered rules, as sfmon refuses the spec for 2.x
        done = subprocess.run([promtool, "check", "rules", str(out / "alerts.yml")], capture_output=True, text=True, timeout=60)
        assert done.returncode != 0 and "parse error: unexpected string" in done.stdout + done.stderr, done.stdout + done.stderr
        return
    done = run_sfmon("validate", "--spec", str(LABELS), "--out", str(out), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 of 2 alerts proven" in done.stdout and "2 route tests (amtool)" in done.stdout
    spec = tmp_path / "external.yaml"
    spec.write_text(_external_spec(), encoding="utf-8")
    done = run_sfmon("validate", "--spec", str(spec), "--out", str(tmp_path / "external"), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    spec = tmp_path / "on.yaml"
    spec.write_text(_labels_spec(prometheus="3.10", on='"service.name"'), encoding="utf-8")
    done = run_sfmon("validate", "--spec", str(spec), "--out", str(tmp_path / "on"), timeout=300)
    if found >= (3, 10):
        assert done.returncode == 0, done.stdout + done.stderr
        assert "2 of 2 alerts proven" in done.stdout
    else:
        assert done.returncode != 0 and "parse error: unexpected character: '.'" in done.stdout + done.stderr
