"""Property: any valid spec (tests/spec_strategies.py) renders into files that promtool,
amtool and Grafana's dashboard schema accept, and every value reaches them exactly as the
spec has it, whatever characters it holds.

Each example is a batch of specs: they are rendered one by one, then each tool runs once
over the whole batch (promtool and amtool take many files), which keeps process start-up
out of the per-spec cost. CI runs the "ci" profile (30 examples); `make fuzz` (scripts/fuzz)
runs SFMON_HYPOTHESIS=fuzz, 1,000 examples over one process per core.
SFMON_HYPOTHESIS_EXAMPLES overrides the count.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator
from ruamel.yaml import YAML

from sfmon.semantics.quoting import alertmanager_string, alertmanager_unquote

from conftest import SCHEMAS
from spec_strategies import specs

# Version-sensitive: on Debian's tools and the newest Prometheus 3 build (the batches are costly).
pytestmark = pytest.mark.matrix("newest")

PROFILES = {"ci": 30, "fuzz": 1000}
PROFILE = os.environ.get("SFMON_HYPOTHESIS", "ci")
EXAMPLES = int(os.environ.get("SFMON_HYPOTHESIS_EXAMPLES", PROFILES.get(PROFILE, 30)))
BATCH = 4  # specs per example: one run of each tool checks them all
PHASES = tuple(Phase) if PROFILE == "fuzz" else tuple(p for p in Phase if p is not Phase.shrink)

safe = YAML(typ="safe", pure=True)
dumper = YAML(typ="safe")  # libyaml's emitter: what it writes, the libyaml parser sfmon uses reads
# Non-ASCII escaped: a raw NEL, LS, PS or BOM is refused by the loader (YAML readers
# disagree on them), and escaped they are what a careful user writes.
dumper.allow_unicode = False
dumper.default_flow_style = False
dumper.width = 1 << 20  # no folding: long values stay on one line


def dump(data: Any) -> str:
    import io

    buf = io.StringIO()
    dumper.dump(data, buf)
    return buf.getvalue()


class DashboardSchema:
    """Grafana's dashboard schema, with a short repr: Hypothesis prints the fixtures of a
    failing example, and a validator's repr is the whole schema registry."""

    def __init__(self) -> None:
        schema = json.loads((SCHEMAS / "grafana" / "dashboard.jsonschema.json").read_text(encoding="utf-8"))
        self.iter_errors = Draft7Validator(schema).iter_errors

    def __repr__(self) -> str:
        return "<Grafana dashboard schema>"


@pytest.fixture(scope="module")
def dashboard_schema() -> DashboardSchema:
    return DashboardSchema()


def am_matcher(text: str) -> tuple[str, str, str]:
    """A matcher as Alertmanager reads it (pkg/labels ParseMatcher, v0.25: only \\\\, \\" and
    \\n are escapes), in canonical quoting; the amtool test below proves that reading."""
    ws = r"[\t\n\f\r ]*"  # RE2's \s: ASCII white space only
    m = re.fullmatch(rf"{ws}([a-zA-Z_:][a-zA-Z0-9_:]*){ws}(=~|=|!=|!~){ws}(.*?){ws}", text, re.S)
    assert m, text
    name, op, raw = m.groups()
    assert raw.startswith('"') and raw.endswith('"') and len(raw) >= 2, text
    value = alertmanager_unquote(raw)
    assert alertmanager_string(value) == raw, f"unescaped quote or stray escape in {text!r}"
    return name, op, value


def want_matchers(match: dict[str, str], match_re: dict[str, str], lines: list[str]) -> set[tuple[str, str, str]]:
    from sfmon.semantics.matchers import parse

    out = {(k, "=", v) for k, v in match.items()} | {(k, "=~", v) for k, v in match_re.items()}
    return out | {(m.name, m.op, m.value) for line in lines for m in parse(line)}


def check_routes(nodes: list[dict], routes: list[Any], inherited: list[str]) -> None:
    """The rendered tree is the spec's: one route per (spec route, receiver), inherited
    receivers written out, the last copy holding the children."""
    flat = [(route, receiver, i == len(route.receivers(inherited)) - 1) for route in routes for i, receiver in enumerate(route.receivers(inherited))]
    assert len(nodes) == len(flat)
    for node, (route, receiver, last) in zip(nodes, flat):
        assert node["receiver"] == receiver
        assert {am_matcher(m) for m in node.get("matchers", [])} == want_matchers(route.match, route.match_re, route.matchers)
        assert node["continue"] == (route.continue_ if last else True)
        for opt in ("group_by", "group_wait", "group_interval", "repeat_interval"):
            want = getattr(route, opt)  # `group_by: []` renders as an empty key: both inherit in Alertmanager
            assert node.get(opt) == (None if not want else (want if opt == "group_by" else str(want)))
        assert node.get("mute_time_intervals", []) == route.mute_time_intervals
        assert node.get("active_time_intervals", []) == route.active_time_intervals
        check_routes(node.get("routes", []) if last else [], route.routes if last else [], [receiver])
        if not last:
            assert "routes" not in node


def check_round_trip(spec: Any, files: dict[str, str]) -> None:
    """The values of the rendered files, read back, are the spec's values."""
    prom = safe.load(files.get("prometheus.yml") or files["prometheus-replica-0.yml"])
    external = prom["global"].get("external_labels", {})
    if spec.prometheus.replicas > 1:
        assert external.pop(spec.prometheus.replica_label) == "prometheus-0"
    assert external == spec.prometheus.external_labels
    if spec.outputs.operator is not None:  # the manifests carry the same rules, routing and dashboards
        from sfmon.tools.operator import check_manifests

        assert check_manifests(files, "out") == [], "a manifest its CRD schema refuses"
        assert safe.load(files["operator/prometheusrule.yaml"])["spec"]["groups"] == safe.load(files["alerts.yml"])["groups"]
        assert safe.load(files["operator/alertmanager-secret.yaml"])["stringData"]["alertmanager.yaml"] == files["alertmanager.yml"]
        for d in spec.dashboards:
            assert safe.load(files[f"operator/dashboard-{d.uid}.yaml"])["data"] == {f"{d.uid}.json": files[f"grafana/dashboards/{d.uid}.json"]}
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    assert list(jobs) == [t.name for t in spec.targets]
    for t in spec.targets:
        job = jobs[t.name]
        assert job["static_configs"][0]["targets"] == t.addresses
        assert job["static_configs"][0].get("labels", {}) == t.labels
        assert (job["metrics_path"], job["scheme"]) == (t.metrics_path, t.scheme)
        if t.basic_auth:
            assert job["basic_auth"] == {"username": t.basic_auth.username, "password_file": t.basic_auth.password_file}

    groups = safe.load(files["alerts.yml"])["groups"]
    rules: dict[str, list] = {}
    for g in groups:
        for r in g["rules"]:
            if "alert" in r:
                rules.setdefault(r["alert"], []).append(r)
    assert set(rules) == {a.name for _, a in spec.enabled_alerts()}  # enabled: false is not rendered
    from sfmon.derive.links import linked

    for _, a in linked(spec).enabled_alerts():  # one rule per tier, in tier order; with its dashboard_url
        got = [(r["expr"], r["labels"], r["annotations"]) for r in rules[a.name]]
        assert got == [(w.expr, w.labels, w.annotations) for w in a.alert_rules()]
        for r in rules[a.name]:
            assert r.get("keep_firing_for") == (str(a.keep_firing_for) if a.keep_firing_for.ms else None)
    records = [(g["name"], r["record"], r["expr"], r.get("labels", {})) for g in groups for r in g["rules"] if "record" in r]
    want_records = [(r.group or spec.project, r.record, r.expr, r.labels) for r in spec.recording_rules]
    assert sorted(records) == sorted(want_records)
    for g in groups:
        settings = spec.rule_groups.get(g["name"])
        assert (g.get("interval"), g.get("limit")) == ((str(settings.interval) if settings.interval else None, settings.limit) if settings else (None, None))

    am = safe.load(files["alertmanager.yml"])
    got = {r["name"]: r for r in am["receivers"]}
    for r in spec.receivers:
        rec = got[r.name]
        if r.email:
            e = rec["email_configs"][0]
            assert (e["to"], e["from"], e.get("auth_username")) == (", ".join(r.email.to), r.email.from_, r.email.auth_username)
        if r.slack:
            s = rec["slack_configs"][0]
            own = tuple(call(f"sfmon.slack.{f}") if getattr(r.slack, f) is None else getattr(r.slack, f) for f in ("title", "text"))
            assert (s["channel"], s["title"], s["text"]) == (r.slack.channel, *own)
        if r.webhook:
            assert rec["webhook_configs"][0]["url"] == r.webhook.url
        if r.opsgenie:
            og = rec["opsgenie_configs"][0]
            message = call("sfmon.opsgenie.message") if r.opsgenie.message is None else r.opsgenie.message
            assert (og.get("message"), og.get("tags", "")) == (message, ",".join(r.opsgenie.tags))
            assert og.get("responders", []) == [x.model_dump(exclude_none=True) for x in r.opsgenie.responders]
        if r.victorops:
            assert rec["victorops_configs"][0]["routing_key"] == r.victorops.routing_key
        if r.webex:
            assert (rec["webex_configs"][0]["room_id"], rec["webex_configs"][0].get("message")) == (r.webex.room_id, r.webex.message)
        if r.sns:
            sns = rec["sns_configs"][0]
            assert (sns.get("subject"), sns.get("message")) == (r.sns.subject, r.sns.message)
    check_routes(am["route"].get("routes", []), spec.routing.routes, [spec.routing.receiver])
    for rule, inhibit in zip(am["inhibit_rules"] or [], spec.routing.inhibit):
        assert {am_matcher(m) for m in rule["source_matchers"]} == want_matchers(inhibit.source, {}, inhibit.source_matchers)
        assert {am_matcher(m) for m in rule["target_matchers"]} == want_matchers(inhibit.target, {}, inhibit.target_matchers)
    from sfmon.derive.routing_tree import from_spec
    from sfmon.semantics.routing import from_config

    assert from_config(am) == from_spec(spec), "sfmon's tree differs from the one it rendered"

    # Time intervals read back as Alertmanager reads them: the same periods, field by field.
    from sfmon.semantics.timeintervals import parse_interval

    assert [t["name"] for t in am.get("time_intervals") or []] == [t.name for t in spec.routing.time_intervals]
    for got, t in zip(am.get("time_intervals") or [], spec.routing.time_intervals):
        assert [parse_interval(i) for i in got.get("time_intervals") or []] == [s.interval() for s in t.time_intervals]
    silences = json.loads(files["silences.json"]) if spec.maintenance else []
    assert [(s["createdBy"], s["comment"]) for s in silences] == [(w.creator, f"{w.comment} [sfmon {spec.project}/{w.name}]") for w in spec.maintenance]

    for d in spec.dashboards:
        dash = json.loads(files[f"grafana/dashboards/{d.uid}.json"])
        assert (dash["title"], dash["description"], dash["tags"]) == (d.title, d.description, d.tags)
        panels = [p for p in dash["panels"] if p["type"] != "row"]
        want = [p for row in d.rows for p in row.panels]
        assert [p["title"] for p in panels] == [p.title for p in want]
        for got_panel, panel in zip(panels, want):
            assert got_panel["description"] == panel.description
            assert [(q["expr"], q["legendFormat"]) for q in got_panel["targets"]] == [(q.expr, q.legend) for q in panel.all_queries()]
        assert [p["title"] for p in dash["panels"] if p["type"] == "row"] == [r.title for r in d.rows]

    provider = safe.load(files["grafana/provisioning/dashboards/sfmon.yml"])["providers"][0]
    # Read as Grafana and Compose read them: both expand `$`, so sfmon writes a literal as `$$`.
    from hostile import compose_value, grafana_value

    assert grafana_value(provider["folder"]) == spec.grafana.folder
    compose = safe.load(files["docker-compose.yml"])
    assert compose_value(compose["services"]["grafana"]["environment"]["GF_SECURITY_ADMIN_USER"]) == spec.grafana.admin_user
    for server, web in (("prometheus", spec.prometheus.web), ("alertmanager", spec.alertmanager.web)):
        if web is not None:
            assert safe.load(files[f"{server}-web.yml"]).get("basic_auth_users", {}) == web.basic_auth_users


def call(name: str) -> str:
    """What a field that uses one of sfmon's notification templates holds."""
    return '{{ template "' + name + '" . }}'


def run_tool(*args: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{' '.join(args[:3])}:\n{done.stdout}{done.stderr}"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    # Each example runs four tools (about 1 s), so shrinking a failure can take Hypothesis'
    # full five minutes; CI reports the failing example as found (with its seed blob) and
    # keeps its time bounded; `make fuzz` shrinks.
    phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
    print_blob=True,
)
@given(batch=st.lists(specs(), min_size=1, max_size=BATCH))
def test_any_valid_spec_renders_into_files_the_tools_accept(batch, promtool, amtool, dashboard_schema):
    from sfmon.pipeline import load_and_check, render
    from sfmon.problems import has_errors
    from sfmon.tools.standins import prepare

    with tempfile.TemporaryDirectory(prefix="sfmon-prop-") as tmp:
        root = Path(tmp)
        dirs = []
        from sfmon.tools.versions import detect

        found = detect(promtool)
        release = f"{found.major}.{found.minor}" if found is not None else "2.42"
        for i, data in enumerate(batch):
            # The spec names the release it targets (sfmon predicts templates and windows for
            # it); here, the release of the promtool that judges it.
            data = {**data, "prometheus": {**data["prometheus"], "version": release}}
            text = dump(data)
            assert safe.load(text) == data, "the test's own YAML dump must round-trip"
            path = root / f"spec{i}.yaml"
            path.write_text(text, encoding="utf-8")
            loaded, problems = load_and_check(path)
            assert loaded is not None and not has_errors(problems), "\n".join(map(str, problems)) + "\n" + text
            assert loaded.data == data, "the loader read the spec differently from a YAML parser"
            files = render(loaded)
            check_round_trip(loaded.spec, files)
            for rel, content in files.items():
                if rel.startswith("grafana/dashboards/"):  # (file_sd/*.json are promtool's, below)
                    errors = sorted(dashboard_schema.iter_errors(json.loads(content)), key=str)
                    assert not errors, f"{rel}: {errors[0].message}"
            out = root / f"out{i}"
            for rel, content in files.items():
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                (out / rel).write_text(content, encoding="utf-8")
            prepare(out)  # stand-ins for the certificate and credential files the configs name
            dirs.append(out)
        # prometheus.yml, or each replica's prometheus-replica-<i>.yml (prometheus.replicas)
        configs = [str(p) for d in dirs for p in sorted(d.glob("prometheus*.yml")) if not p.name.endswith("-web.yml")]
        assert len(configs) >= len(dirs)
        run_tool(promtool, "check", "config", *configs)
        run_tool(promtool, "check", "rules", *(str(d / "alerts.yml") for d in dirs))
        run_tool(amtool, "check-config", *(str(d / "alertmanager.yml") for d in dirs))
        # The rule tests sfmon generates predict each alert's labels and annotations exactly.
        tests = [str(d / "tests" / "alerts.test.yml") for d in dirs if (d / "tests" / "alerts.test.yml").is_file()]
        if tests:
            run_tool(promtool, "test", "rules", *tests)
        webs = [str(d / f"{s}-web.yml") for d in dirs for s in ("prometheus", "alertmanager") if (d / f"{s}-web.yml").is_file()]
        if webs:
            run_tool(promtool, "check", "web-config", *webs)


ODD_VALUES = ["a\tb", "bell\x07", "back\\slash", 'say "hi"', "two\nlines", "comma, brace}", "{{ $value }}", "é😀\u2028", "\\n", "\\", ""]


def test_route_matchers_reach_alertmanager_as_written(tmp_path, amtool):
    """A regression the property found: matchers were quoted as JSON, but Alertmanager's
    matcher parser knows only \\\\, \\" and \\n; a tab or \\u0007 reached it as letters, so
    alerts with such label values went to the wrong receiver."""
    from sfmon.pipeline import load, render
    names = [f"r{i}" for i in range(len(ODD_VALUES))]
    data = {
        "version": 1,
        "project": "odd",
        "targets": [{"name": "api", "addresses": ["api:1"]}],
        "receivers": [{"name": "default", "webhook": {"url": "http://127.0.0.1:1/"}}]
        + [{"name": n, "webhook": {"url": "http://127.0.0.1:1/"}} for n in names],
        "routing": {"receiver": "default", "routes": [{"match": {"team": v}, "notify": [n]} for v, n in zip(ODD_VALUES, names)]},
        "grafana": {"admin_password_file": "/run/secrets/grafana"},
    }
    spec = tmp_path / "odd.yaml"
    spec.write_text(dump(data), encoding="utf-8")
    (tmp_path / "alertmanager.yml").write_text(render(load(spec))["alertmanager.yml"], encoding="utf-8")
    for value, receiver in zip(ODD_VALUES, names):
        done = subprocess.run(
            [amtool, "config", "routes", "test", "--config.file=alertmanager.yml", f"--verify.receivers={receiver}",
             f"team={alertmanager_string(value)}"],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, f"{value!r}: {done.stdout}{done.stderr}"
