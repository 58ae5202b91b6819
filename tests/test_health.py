"""`sfmon health` pieces that need no server: config comparison, exposition names, URLs.
The checks against a running stack are in tests/live/test_health_live.py."""

from __future__ import annotations

import json

from sfmon.tools import health as h
from sfmon.pipeline import load, render

from conftest import SPEC, run_sfmon


def test_running_config_may_add_defaults_but_not_change_settings():
    generated = {"route": {"receiver": "a", "group_wait": "90s", "routes": [{"receiver": "b"}]}, "receivers": [{"name": "a"}]}
    running = {
        "global": {"smtp_hello": "localhost"},
        "route": {"receiver": "a", "group_wait": "1m30s", "continue": False, "routes": [{"receiver": "b", "continue": False}]},
        "receivers": [{"name": "a", "webhook_configs": []}],
    }
    assert h.config_differences(generated, running) == []
    running["route"]["routes"][0]["receiver"] = "c"
    running["route"]["group_wait"] = "30s"
    assert h.config_differences(generated, running) == [
        'route.group_wait: running "30s", generated "90s"',
        'route.routes[0].receiver: running "c", generated "b"',
    ]
    assert h.config_differences({"route": {"routes": [1, 2]}}, {"route": {"routes": [1]}}) == [
        "route.routes: running config has [1], generated [1, 2]"
    ]
    assert h.config_differences({"a": {"b": 1}}, {"a": {}}) == ["a.b: not in the running config (generated 1)"]
    assert h.config_differences({"key": "s3cret"}, {"key": "<secret>"}) == []
    # template globs are resolved against the config file's directory by Alertmanager
    assert h.config_differences({"templates": ["notifications/*.tmpl"]}, {"templates": ["/etc/am/notifications/*.tmpl"]}) == []
    assert h.config_differences({"templates": ["notifications/*.tmpl"]}, {"templates": ["/etc/am/other/*.tmpl"]}) != []


def test_exported_names_include_declared_families_without_samples():
    text = "# HELP x_total X\n# TYPE x_total counter\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\ng 2\n"
    assert h.exported_names(text) == {"x_total", "h", "h_bucket", "g"}


def test_default_urls_come_from_the_spec():
    spec = load(SPEC).spec
    opts = h.default_options(spec)
    assert opts.prometheus == "http://127.0.0.1:9090"  # listen address 0.0.0.0:9090, asked on loopback
    assert opts.alertmanagers == ("http://alertmanager:9093",)
    assert opts.grafana == "http://grafana:3000"
    opts = h.default_options(spec, "https://prom.example:9090/", ["127.0.0.1:9093"], "http://127.0.0.1:3000")
    assert (opts.prometheus, opts.alertmanagers, opts.grafana) == ("https://prom.example:9090", ("http://127.0.0.1:9093",), "http://127.0.0.1:3000")


def test_expected_rules_are_the_rendered_alerting_rules():
    loaded = load(SPEC)
    groups = h.expected_rules(render(loaded))
    assert sum(len(v) for v in groups.values()) == sum(len(a.alert_rules()) for _, a in loaded.spec.enabled_alerts())  # one per tier


def test_nothing_running_is_reported_not_crashed(tmp_path):
    """Every URL refused: one row per check, exit 1, no traceback; Grafana skipped."""
    res = run_sfmon(
        "health", "--format", "json", "--timeout", "1",
        "--set", "prometheus.listen_address=127.0.0.1:9", "--set", 'prometheus.alertmanagers=["127.0.0.1:9"]',
        "--set", "grafana.url=http://127.0.0.1:9",
        *[a for t in load(SPEC).spec.targets for a in ("--set", f'targets[{t.name}].addresses=["127.0.0.1:9"]')],
    )
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    report = json.loads(res.stdout)
    statuses = {(c["component"], c["check"]): c["status"] for c in report["checks"]}
    assert report["ok"] is False
    assert statuses[("grafana", "api/health")] == "skip"
    assert statuses[("prometheus", "ready")] == statuses[("alertmanager", "config as generated")] == "fail"
    assert {c["status"] for c in report["checks"]} == {"fail", "skip"}
