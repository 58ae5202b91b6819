"""Parse every rendered file back and compare its values with the spec's.

Uses the full fixture too: label values with quotes, colons, braces, newlines, emoji, and
annotations holding Go templates must survive exactly.
"""

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from sfmon.pipeline import load, render
from sfmon.derive.routing_tree import inhibit_rules, root
from sfmon.model.receivers import INTEGRATIONS

from conftest import FIXTURES, SPEC

SPECS = [SPEC, *sorted((FIXTURES / "specs" / "valid").glob("*.yaml"))]
yaml = YAML(typ="safe")


def call(name: str) -> str:
    return '{{ template "' + name + '" . }}'


@pytest.fixture(params=SPECS, ids=lambda p: p.stem)
def case(request):
    loaded = load(request.param)
    # notifications/*.tmpl are Go templates, not YAML (tests/test_messages.py reads them)
    return loaded.spec, {
        rel: (json.loads(t) if rel.endswith(".json") else t if rel.endswith(".tmpl") else yaml.load(t)) for rel, t in render(loaded).items()
    }


def prometheus_configs(out: dict) -> list[dict]:
    """prometheus.yml, or each replica's prometheus-replica-<i>.yml (prometheus.replicas)."""
    return [out["prometheus.yml"]] if "prometheus.yml" in out else [v for k, v in sorted(out.items()) if k.startswith("prometheus-replica-")]


def test_prometheus_config(case):
    spec, out = case
    for i, prom in enumerate(prometheus_configs(out)):
        check_prometheus_config(spec, prom, f"prometheus-{i}" if spec.prometheus.replicas > 1 else None, out)


def check_prometheus_config(spec, prom, replica, out):
    from sfmon.render.views import alertmanager_addresses

    g = dict(prom["global"])
    if replica is not None:
        g["external_labels"] = dict(g["external_labels"])
        assert g["external_labels"].pop(spec.prometheus.replica_label) == replica
    assert (g["scrape_interval"], g["evaluation_interval"], g["scrape_timeout"]) == (
        spec.prometheus.scrape_interval,
        spec.prometheus.evaluation_interval,
        spec.prometheus.scrape_timeout,
    )
    assert g.get("external_labels", {}) == spec.prometheus.external_labels
    assert prom["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == alertmanager_addresses(spec)
    if len(spec.alertmanager.peer_names()) < 2 or "alertmanagers" in spec.prometheus.model_fields_set:
        assert alertmanager_addresses(spec) == spec.prometheus.alertmanagers
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    assert list(jobs) == [t.name for t in spec.targets]
    for t in spec.targets:
        job = jobs[t.name]
        assert job["metrics_path"] == t.scrape_path() and job["scheme"] == t.scheme
        if t.static_targets():
            assert job["static_configs"][0]["targets"] == t.static_targets()
            assert job["static_configs"][0].get("labels", {}) == t.labels
        else:
            assert "static_configs" not in job
        assert job.get("scrape_interval") == t.scrape_interval
        assert job.get("params", {}) == t.scrape_params()
        for key in ("honor_labels", "honor_timestamps", "sample_limit", "label_limit", "label_name_length_limit", "label_value_length_limit", "target_limit"):
            assert job.get(key) == getattr(t, key)
        # Each relabel step reads back as written (the action lower-cased, as Prometheus reads it).
        user = [r.model_dump(include=r.model_fields_set | {"action"}) for r in t.relabel_configs]
        assert job.get("relabel_configs", [])[len(job.get("relabel_configs", [])) - len(user):] == user
        assert job.get("metric_relabel_configs", []) == [r.model_dump(include=r.model_fields_set | {"action"}) for r in t.metric_relabel_configs]
        if t.discovery is not None and t.discovery.file is not None:
            groups = out[f"file_sd/{t.name}.json"]
            assert [g["targets"] for g in groups] == [g.targets for g in t.discovery.file.groups]
            assert [g["labels"] for g in groups] == [{**t.labels, **g.labels} for g in t.discovery.file.groups]
        if t.discovery is not None:
            assert [c["names"] for c in job.get("dns_sd_configs", [])] == [c.names for c in t.discovery.dns]
            assert [c["url"] for c in job.get("http_sd_configs", [])] == [c.url for c in t.discovery.http]


def test_alert_rules(case):
    spec, out = case
    rules: dict[str, list] = {}
    for g in out["alerts.yml"]["groups"]:
        for r in g["rules"]:
            if "alert" in r:  # recording rules have their own round trip (test_recording)
                rules.setdefault(r["alert"], []).append(r)
    assert sorted(rules) == sorted(a.name for _, a in spec.enabled_alerts())
    for _, a in spec.enabled_alerts():
        assert len(rules[a.name]) == len(a.levels())  # one rule per tier
        for r, want, level in zip(rules[a.name], a.alert_rules(), a.levels()):
            assert r["expr"] == want.expr
            assert r["labels"] == {"severity": level.severity, **level.labels}
            assert r["annotations"]["summary"] == level.summary
            assert r["annotations"].get("runbook_url", "") == a.runbook_url
            for k, v in a.annotations.items():
                assert r["annotations"][k] == v
            assert r.get("for", "0s") == level.for_


def test_alertmanager_config(case):
    spec, out = case
    am = out["alertmanager.yml"]
    assert am["route"]["receiver"] == spec.routing.receiver
    assert am["route"]["group_by"] == spec.routing.group_by

    def shape(routes):  # the tree as written: receiver, matchers, continue, options set, children
        return [
            (r["receiver"], r.get("matchers", []), r["continue"], {k: r[k] for k in ("group_by", "group_wait", "group_interval", "repeat_interval") if r.get(k) is not None}, shape(r.get("routes", [])))
            for r in routes
        ]

    assert shape(am["route"].get("routes", [])) == shape(root(spec)["routes"])
    assert [(i["source_matchers"], i["target_matchers"]) for i in am["inhibit_rules"]] == [
        (i["source_matchers"], i["target_matchers"]) for i in inhibit_rules(spec)
    ]
    receivers = {r["name"]: r for r in am["receivers"]}
    assert list(receivers) == [r.name for r in spec.receivers]
    for r in spec.receivers:
        got = receivers[r.name]
        if r.email:
            e = got["email_configs"][0]
            assert e["to"] == ", ".join(r.email.to) and e["from"] == r.email.from_ and e["smarthost"] == r.email.smarthost
        if r.slack:
            s = got["slack_configs"][0]
            # an unset title or text calls sfmon's notification template (notifications/slack.tmpl)
            own = [call(f"sfmon.slack.{f}") if getattr(r.slack, f) is None else getattr(r.slack, f) for f in ("title", "text")]
            assert (s["channel"], s["api_url_file"], s["title"], s["text"]) == (r.slack.channel, r.slack.api_url_file, *own)
        if r.pagerduty:
            pd = got["pagerduty_configs"][0]
            assert (pd.get("routing_key_file"), pd.get("service_key_file")) == (r.pagerduty.routing_key_file, r.pagerduty.service_key_file)
        if r.webhook:
            assert got["webhook_configs"][0]["url"] == r.webhook.url
        assert set(got) - {"name"} == {INTEGRATIONS[k].configs for k in r.integrations()}
        assert all(len(got[INTEGRATIONS[k].configs]) == 1 for k in r.integrations())
        if r.opsgenie:
            og, c = got["opsgenie_configs"][0], r.opsgenie
            message = call("sfmon.opsgenie.message") if c.message is None else c.message
            assert (og["api_key_file"], og.get("api_url"), og.get("message"), og.get("priority"), og["send_resolved"]) == (
                c.api_key_file, c.api_url, message, c.priority, c.send_resolved
            )
            assert og.get("tags", "").split(",") == (c.tags or [""])
            assert og.get("responders", []) == [x.model_dump(exclude_none=True) for x in c.responders]
        if r.victorops:
            vo, c = got["victorops_configs"][0], r.victorops
            assert (vo["api_key_file"], vo["routing_key"], vo.get("api_url"), vo["send_resolved"]) == (
                c.api_key_file, c.routing_key, c.api_url, c.send_resolved
            )
        if r.webex:
            wx, c = got["webex_configs"][0], r.webex
            assert (wx["room_id"], wx.get("api_url"), wx.get("message"), wx["send_resolved"]) == (c.room_id, c.api_url, c.message, c.send_resolved)
            assert wx["http_config"] == {"authorization": {"type": "Bearer", "credentials_file": c.bot_token_file}}
        if r.sns:
            sns, c = got["sns_configs"][0], r.sns
            destination = {k: v for k in ("topic_arn", "target_arn", "phone_number") if (v := getattr(c, k)) is not None}
            assert {k: sns[k] for k in ("topic_arn", "target_arn", "phone_number") if k in sns} == destination
            assert sns["sigv4"] == c.sigv4.model_dump(exclude_none=True)
            assert (sns.get("api_url"), sns.get("subject"), sns.get("message"), sns["send_resolved"]) == (
                c.api_url, c.subject, c.message, c.send_resolved
            )


def test_dashboards(case):
    spec, out = case
    for d in spec.dashboards:
        dash = out[f"grafana/dashboards/{d.uid}.json"]
        assert (dash["uid"], dash["title"], dash["tags"]) == (d.uid, d.title, d.tags)
        panels = [p for p in dash["panels"] if p["type"] != "row"]
        want = [p for row in d.rows for p in row.panels]
        assert [p["title"] for p in panels] == [p.title for p in want]
        for got, p in zip(panels, want):
            assert [t["expr"] for t in got["targets"]] == [q.expr for q in p.all_queries()]
            assert [t["legendFormat"] for t in got["targets"]] == [q.legend for q in p.all_queries()]
            assert got["fieldConfig"]["defaults"]["unit"] == p.unit
        assert [v["name"] for v in dash["templating"]["list"]] == [v.name for v in d.variables]


def test_grafana_provisioning(case):
    spec, out = case
    ds = out["grafana/provisioning/datasources/prometheus.yml"]["datasources"][0]
    assert (ds["uid"], ds["url"], ds["type"]) == (spec.grafana.datasource_uid, spec.grafana.datasource_url, "prometheus")
    prov = out["grafana/provisioning/dashboards/sfmon.yml"]["providers"][0]
    assert prov["folder"] == spec.grafana.folder


def test_compose_carries_retention_and_no_default_password(case):
    spec, out = case
    compose = out["docker-compose.yml"]
    for name in spec.prometheus.replica_names() or ["prometheus"]:
        assert f"--storage.tsdb.retention.time={spec.prometheus.retention}" in compose["services"][name]["command"]
    env = compose["services"]["grafana"]["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == ("true" if spec.grafana.anonymous_access else "false")
    assert "admin" not in env.get("GF_SECURITY_ADMIN_PASSWORD", "")
    assert env.get("GF_SECURITY_ADMIN_PASSWORD__FILE") or env.get("GF_SECURITY_ADMIN_PASSWORD", "").startswith("${")


def test_tricky_values_survive_exactly():
    spec = load(FIXTURES / "specs" / "valid" / "full.yaml").spec
    out = render(load(FIXTURES / "specs" / "valid" / "full.yaml"))
    prom = yaml.load(out["prometheus.yml"])
    assert prom["scrape_configs"][0]["static_configs"][0]["labels"] == {
        "team": "web: {core}", "quote": 'say "hi"', "multi": "line one\nline two"
    }
    rule = next(r for g in yaml.load(out["alerts.yml"])["groups"] for r in g["rules"] if r.get("alert") == spec.alerts[0].name)
    assert rule["labels"]["emoji"] == "🔥 fire"
    assert rule["annotations"]["description"] == "Value: {{ $value }}; labels: {{ $labels }}"
    assert spec.alerts[0].summary == rule["annotations"]["summary"] == "{{ $labels.instance }} of {{ $labels.job }} is down"
    dash = json.loads(out["grafana/dashboards/web-overview.json"])
    assert dash["title"] == 'Web "overview" 🚀'
