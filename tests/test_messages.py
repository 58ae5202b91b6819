"""Notifications: the message templates sfmon writes (notifications/*.tmpl), rendered by the
real amtool for every alert and receiver it reaches; deep links to dashboards; Alertmanager's
global settings; the integrations gated on the targeted Alertmanager release."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from conftest import FIXTURES, SPEC, generated_for, run_sfmon, skip_or_fail
from sfmon.derive.message_cases import STARTS_AT
from sfmon.model.receivers import INTEGRATIONS
from sfmon.pipeline import load, load_and_check, render
from sfmon.problems import SpecError, has_errors
from sfmon.tools.messages import MARK, split
from sfmon.tools.validate import validate_files

NEWER = FIXTURES / "specs" / "newer" / "receivers.yaml"
RECEIVERS = FIXTURES / "specs" / "valid" / "receivers.yaml"
# Imported here, not inside a test: importing test_properties defines its @given tests, which
# Hypothesis refuses inside a running @given (nested_given).
from test_properties import dump  # noqa: E402  (escapes what YAML readers disagree on: U+2028, U+0085, ...)

safe = YAML(typ="safe")


def data_of(path: Path) -> dict[str, Any]:
    return safe.load(path.read_text(encoding="utf-8"))


def write_spec(tmp_path: Path, data: Any, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(dump(data), encoding="utf-8")
    return path


def write_files(files: dict[str, str], root: Path) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def render_field(amtool: str, root: Path, text: str, data: dict[str, Any], kind: str = "text") -> str:
    from sfmon.tools.messages import default_templates

    (root / "data.json").write_text(json.dumps(data), encoding="utf-8")
    done = subprocess.run(
        [amtool, "template", "render", *(f"--template.glob={g}" for g in default_templates(amtool)),
         "--template.glob=notifications/*.tmpl", f"--template.type={kind}",
         f"--template.text={text}", "--template.data=data.json"],
        cwd=root, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def cases(files: dict[str, str]) -> list[dict[str, Any]]:
    return safe.load(files["tests/messages.test.yml"])["cases"]


def test_message_cases_carry_prometheus_external_labels(tmp_path):
    """Prometheus adds its external labels to each alert it sends, unless the alert has the
    label (notifier/notifier.go, Manager.Send): the cases' data has them, and the receivers
    are the ones a route on an external label picks."""
    data = data_of(RECEIVERS)
    data["prometheus"] = {"external_labels": {"cluster": "eu-1", "severity": "from-prometheus"}}
    data["routing"] = {"receiver": "mail", "routes": [{"matchers": ['cluster="eu-1"'], "notify": ["chat"]}]}
    loaded = load(write_spec(tmp_path, data))
    assert [(c.receiver, c.alert) for c in loaded.derived.message_cases] == [("chat", "AppDown")]
    case = cases(render(loaded))[0]
    assert case["data"]["commonLabels"] == {
        "alertname": "AppDown", "cluster": "eu-1", "instance": "app:8000", "job": "app", "severity": "critical",
    }  # fmt: skip
    assert case["data"]["alerts"][0]["labels"] == case["data"]["commonLabels"]


# --- the rendered messages, by the real amtool ---------------------------------------------------


def test_every_alert_reaches_its_receivers_notifications():
    loaded = load(SPEC)
    files = render(loaded)
    got = {(c["receiver"], c["alert"]) for c in cases(files)}
    from sfmon.semantics.routing import receivers

    tree = loaded.derived.routing_tree
    assert tree is not None
    for c in loaded.derived.message_cases:
        assert c.receiver in receivers(tree, c.labels)
        assert c.predicted, f"{c.alert}: every default alert has a predicted firing case"
    assert ("pagerduty", "ApiDown") in got and ("ops-email", "ApiDown") in got
    # one case per alert tier and receiver: the rendered file holds every derived case
    assert [(c["receiver"], c["alert"]) for c in cases(files)] == [(c.receiver, c.alert) for c in loaded.derived.message_cases]
    assert len({c.alert for c in loaded.derived.message_cases}) == len(loaded.spec.enabled_alerts())


def test_alertmanager_yml_loads_the_templates_and_its_fields_call_them():
    files = render(load(SPEC))
    am = safe.load(files["alertmanager.yml"])
    assert am["templates"] == ["notifications/*.tmpl"]
    assert sorted(f for f in files if f.startswith("notifications/")) == [
        "notifications/email.tmpl", "notifications/pagerduty.tmpl", "notifications/sfmon.tmpl", "notifications/slack.tmpl",
    ]  # fmt: skip
    by_name = {r["name"]: r for r in am["receivers"]}
    assert by_name["ops-slack"]["slack_configs"][0]["title"] == '{{ template "sfmon.slack.title" . }}'
    assert by_name["ops-email"]["email_configs"][0]["headers"]["Subject"] == '{{ template "sfmon.email.subject" . }}'
    assert by_name["pagerduty"]["pagerduty_configs"][0]["details"]["alerts"] == '{{ template "sfmon.pagerduty.alerts" . }}'
    # every template a field calls is defined in the files (the registry's `messages` names)
    defined = "".join(t for f, t in files.items() if f.startswith("notifications/"))
    for key, integ in INTEGRATIONS.items():
        if f"notifications/{key}.tmpl" not in files:
            continue
        for name in integ.generated.values():
            assert '{{ define "' + name + '" ' in defined, name


def _snapshot_messages(amtool: str, spec: Path, tmp_path: Path, wanted: set[tuple[str, str]]) -> str:
    """Every templated field of the wanted (receiver, alert) cases, rendered by amtool."""
    files = render(load(spec))
    root = write_files(files, tmp_path / "out")
    am = safe.load(files["alertmanager.yml"])
    receivers = {r["name"]: r for r in am["receivers"]}
    out = []
    for case in cases(files):
        if (case["receiver"], case["alert"]) not in wanted:
            continue
        for integ in INTEGRATIONS.values():
            for entry in receivers[case["receiver"]].get(integ.configs) or []:
                for field, _, kind in integ.messages:
                    from sfmon.tools.messages import field_text

                    text = field_text(entry, field)
                    if text is None:
                        continue
                    rendered = render_field(amtool, root, text, case["data"], kind)
                    out.append(f"=== {case['receiver']} / {case['alert']} / {integ.configs}.{field} ({kind})\n{rendered}\n")
    return "".join(out)


def test_rendered_messages_snapshot(amtool, tmp_path, snapshot):
    """What people receive for ApiDown (email, Slack, PagerDuty) and HighResponseTime (which has
    a dashboard link with the instance filled in): amtool renders them from the generated files."""
    text = _snapshot_messages(amtool, SPEC, tmp_path, {
        ("ops-email", "ApiDown"), ("ops-slack", "ApiDown"), ("pagerduty", "ApiDown"), ("ops-slack", "HighErrorRate"),
    })  # fmt: skip
    assert "Dashboard" in text and "var-instance=api%3A8000" in text and "Runbook" in text
    assert text == snapshot


def test_rendered_messages_of_the_receivers_fixtures_snapshot(amtool, tmp_path, snapshot):
    """Opsgenie's message and description (sfmon's and one written in the spec), PagerDuty's."""
    text = _snapshot_messages(amtool, RECEIVERS, tmp_path / "a", {("pager", "AppDown"), ("ops-genie", "AppDown")})
    assert "opsgenie_configs.description" in text
    assert text == snapshot


def test_messages_options_reach_the_rendered_text(amtool, tmp_path):
    data = data_of(NEWER)
    del data["alertmanager"]["version"]  # only email here: no integration gated on a release
    data["receivers"] = [data["receivers"][0]]
    data["routing"] = {"receiver": "mail"}
    files = render(load(write_spec(tmp_path, data)))
    root = write_files(files, tmp_path / "out")
    case = cases(files)[0]
    subject = render_field(amtool, root, '{{ template "sfmon.email.subject" . }}', case["data"])
    assert subject == "AppDown is firing"
    body = render_field(amtool, root, '{{ template "sfmon.email.text" . }}', case["data"])
    assert "  instance: app:8000\n" in body and "severity" not in body  # labels: [instance]
    assert "  How to fix it: https://runbooks.example.com/AppDown\n" in body
    assert "  Graph: https://grafana.example.com/d/app?viewPanel=2&var-instance=app%3A8000\n" in body
    html = render_field(amtool, root, '{{ template "sfmon.email.html" . }}', case["data"], "html")
    assert '<a href="https://grafana.example.com/d/app?viewPanel=2&amp;var-instance=app%3A8000">Graph</a>' in html
    assert case["data"]["alerts"][0]["startsAt"] == STARTS_AT


def test_link_texts_and_labels_with_go_template_characters_render_as_written(amtool, tmp_path):
    """Link texts go into the Go templates as string constants: braces, quotes and a backslash
    come out as written (amtool check-config parses the file; template render executes it)."""
    data = data_of(NEWER)
    del data["alertmanager"]["version"]
    data["receivers"] = [data["receivers"][0]]
    data["routing"] = {"receiver": "mail"}
    odd = 'Fix {{ it }} "now" \\ <b>'
    data["alertmanager"]["messages"]["links"] = {"runbook_url": odd}
    files = render(load(write_spec(tmp_path, data)))
    root = write_files(files, tmp_path / "out")
    done = subprocess.run([amtool, "check-config", "alertmanager.yml"], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    body = render_field(amtool, root, '{{ template "sfmon.email.text" . }}', cases(files)[0]["data"])
    assert f"  {odd}: https://runbooks.example.com/AppDown\n" in body
    html = render_field(amtool, root, '{{ template "sfmon.email.html" . }}', cases(files)[0]["data"], "html")
    assert "Fix {{ it }} &#34;now&#34; \\ &lt;b&gt;</a>" in html


# --- validate: a template that fails at send time is a problem before it ships ----------------------


def _validate(data: dict[str, Any], tmp_path: Path) -> list[str]:
    loaded, problems = load_and_check(write_spec(tmp_path, data))
    assert loaded is not None and not has_errors(problems), problems
    found = validate_files(render(loaded), "generated")
    return [p.message for p in found if p.check == "amtool/templates"]


def test_validate_names_receiver_alert_and_field_of_a_failing_template(amtool, tmp_path):
    data = data_of(RECEIVERS)
    chat = next(r for r in data["receivers"] if r["name"] == "chat")
    chat["slack"]["text"] = "{{ .CommonLabels.alertname }}\n{{ .NoSuchField }}"
    found = _validate(data, tmp_path)
    assert len(found) == 1, found
    assert found[0].startswith("receiver 'chat', alert 'AppDown' (critical): slack_configs[0].text: amtool cannot render it: ")
    assert "can't evaluate field NoSuchField" in found[0]


def test_validate_reports_a_template_that_renders_empty(amtool, tmp_path):
    data = data_of(RECEIVERS)
    bot = next(r for r in data["receivers"] if r["name"] == "bot")
    bot["webex"]["message"] = '{{ if eq .Status "resolved" }}resolved{{ end }}'
    found = _validate(data, tmp_path)
    assert found == ["receiver 'bot', alert 'AppDown' (critical): webex_configs[0].message renders empty"]


def test_validate_renders_the_fixtures_messages_cleanly(amtool, tmp_path):
    for spec in (SPEC, RECEIVERS):
        loaded, problems = load_and_check(spec)
        files = render(loaded)
        assert not [p for p in validate_files(files, "generated") if p.check == "amtool/templates"]


def test_split_reads_back_the_fields_of_one_run():
    out = MARK.format("a") + "one\ntwo" + MARK.format("b") + ""
    assert split(out) == {"a": "one\ntwo", "b": ""}


# --- deep links --------------------------------------------------------------------------------


def test_dashboard_url_opens_the_panel_that_shows_the_alert(tmp_path):
    files = render(load(SPEC))
    panels = {}
    for rel, text in files.items():
        if rel.startswith("grafana/dashboards/"):
            dash = json.loads(text)
            for p in dash["panels"]:
                panels[(dash["uid"], p["id"])] = p["title"]
    spec = load(SPEC).spec
    shown = {}
    for d in spec.dashboards:
        for panel, pid in d.panel_ids():
            if panel.show_alert:
                shown.setdefault(panel.show_alert, (d.uid, pid, panel.title))
    rules = {r["alert"]: r for g in safe.load(files["alerts.yml"])["groups"] for r in g["rules"] if "alert" in r}
    assert shown
    for alert, (uid, pid, title) in shown.items():
        assert panels[(uid, pid)] == title  # the id the dashboard JSON gives that panel
        url = rules[alert]["annotations"]["dashboard_url"]
        assert url.startswith(f"http://grafana:3000/d/{uid}?viewPanel={pid}")
    assert all("dashboard_url" not in r.get("annotations", {}) for a, r in rules.items() if a not in shown)


def test_generated_tests_predict_the_dashboard_url_with_variables_filled(promtool, tmp_path):
    files = render(load(NEWER))
    tests = safe.load(files["tests/alerts.test.yml"])
    fired = [a for t in tests["tests"] for c in t["alert_rule_test"] for a in c.get("exp_alerts", [])]
    assert fired
    for a in fired:
        assert a["exp_annotations"]["dashboard_url"] == f"https://grafana.example.com/d/app?viewPanel=2&var-instance={a['exp_labels']['instance'].replace(':', '%3A')}"
    root = write_files(files, tmp_path)
    done = subprocess.run([promtool, "test", "rules", "tests/alerts.test.yml"], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_probe_alert_shown_by_a_panel_links_to_it_with_the_probed_url(promtool, tmp_path):
    """A probe target has no address: the link's variables come from the probed URL, its
    instance label."""
    data = {
        "version": 1, "project": "probelinks",
        "targets": [{"name": "site", "probe": {"module": "http_2xx", "targets": ["https://example.com/health"]}}],
        "blackbox": {"address": "blackbox:9115", "modules": {"http_2xx": {"http": {"valid_status_codes": [200]}}}},
        "alerts": [{"name": "SiteDown", "kind": "probe_failed", "target": "site", "for": "1m", "severity": "critical",
                    "summary": "{{ $labels.instance }} fails"}],
        "dashboards": [{"uid": "probes", "title": "Probes",
                        "variables": [{"name": "instance", "label": "Instance", "query": "label_values(probe_success, instance)"}],
                        "rows": [{"title": "Probes", "panels": [{"title": "Up", "expr": "probe_success", "show_alert": "SiteDown"}]}]}],
        "receivers": [{"name": "mail", "email": {"to": ["ops@example.com"], "from": "am@example.com", "smarthost": "smtp.example.com:587"}}],
        "routing": {"receiver": "mail"},
        "grafana": {"admin_password_file": "/run/secrets/grafana"},
    }  # fmt: skip
    files = render(load(write_spec(tmp_path, data)))
    fired = [a for t in safe.load(files["tests/alerts.test.yml"])["tests"] for c in t["alert_rule_test"] for a in c.get("exp_alerts", [])]
    assert fired and {a["exp_annotations"]["dashboard_url"] for a in fired} == {
        "http://grafana:3000/d/probes?viewPanel=2&var-instance=https%3A%2F%2Fexample.com%2Fhealth"}  # fmt: skip
    root = write_files(files, tmp_path / "out")
    done = subprocess.run([promtool, "test", "rules", "tests/alerts.test.yml"], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_alerts_own_dashboard_url_wins(tmp_path):
    data = data_of(NEWER)
    data["alerts"][0]["annotations"] = {"dashboard_url": "https://elsewhere.example.com/"}
    files = render(load(write_spec(tmp_path, data)))
    rule = safe.load(files["alerts.yml"])["groups"][0]["rules"][0]
    assert rule["annotations"]["dashboard_url"] == "https://elsewhere.example.com/"


# --- global settings -------------------------------------------------------------------------------


def test_global_smtp_and_http_client_render_and_amtool_accepts_them(amtool, tmp_path):
    data = data_of(NEWER)
    del data["alertmanager"]["version"]
    data["receivers"] = [data["receivers"][0], data["receivers"][-1]]  # email, webhook
    data["routing"] = {"receiver": "mail", "routes": [{"match": {}, "notify": ["hook"], "continue": True}]}
    files = render(load(write_spec(tmp_path, data)))
    am = safe.load(files["alertmanager.yml"])
    assert am["global"]["smtp_smarthost"] == "smtp.example.com:587" and am["global"]["smtp_from"] == "am@example.com"
    assert am["global"]["http_config"]["proxy_url"] == "http://proxy.example.com:3128"
    assert "smarthost" not in am["receivers"][0]["email_configs"][0]
    hook = am["receivers"][1]["webhook_configs"][0]["http_config"]
    assert hook["proxy_url"] == "http://proxy.example.com:3128" and hook["tls_config"]["ca_file"] == "/etc/alertmanager/ca.crt"
    root = write_files(files, tmp_path / "out")
    done = subprocess.run([amtool, "check-config", "alertmanager.yml"], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    compose = safe.load(files["docker-compose.yml"])
    targets = {s["target"] for s in compose["services"]["alertmanager"]["secrets"]}
    assert "/run/secrets/smtp_password" in targets


def test_an_email_receiver_without_smtp_server_is_refused_in_place(tmp_path):
    data = data_of(NEWER)
    del data["alertmanager"]["global"]["smtp"]
    spec = write_spec(tmp_path, data)
    done = run_sfmon("generate", "--spec", str(spec), "--out", str(tmp_path / "out"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    line = next(n for n, t in enumerate(spec.read_text().splitlines(), 1) if "ops@example.com" in t)
    assert f"{spec}:{line - 1}:" in done.stdout + done.stderr or f"{spec}:{line}:" in done.stdout + done.stderr
    assert "receivers[0].email: no SMTP server: set smarthost here or alertmanager.global.smtp.smarthost" in done.stdout + done.stderr


# --- integrations gated on the Alertmanager release --------------------------------------------------


GATED = {k: e.since for k, e in INTEGRATIONS.items() if e.since is not None}


def test_the_gated_integrations_are_the_ones_upstream_reads_from_files_late():
    # alertmanager config/notifiers.go: bot_token_file, user_key_file and token_file appear in
    # v0.26.0; discord's and msteams' webhook_url_file in v0.27.0.
    assert {k: f"{v.major}.{v.minor}" for k, v in GATED.items()} == {
        "telegram": "0.26", "pushover": "0.26", "discord": "0.27", "msteams": "0.27",
    }  # fmt: skip


@pytest.mark.parametrize("key", sorted(GATED))
@pytest.mark.parametrize("version", [None, "0.25", "0.26"])
def test_a_gated_integration_is_refused_below_its_release(tmp_path, key, version):
    data = data_of(NEWER)
    if version is None:
        del data["alertmanager"]["version"]
    else:
        data["alertmanager"]["version"] = version
    since = GATED[key]
    # one gated integration (the model reports the first receiver that does not fit)
    data["receivers"] = [data["receivers"][0], {"name": "x", key: next(r[key] for r in data["receivers"] if key in r)}]
    data["routing"] = {"receiver": "mail", "routes": [{"match": {"severity": "critical"}, "notify": ["x"]}]}
    i = 1
    done = run_sfmon("generate", "--spec", str(write_spec(tmp_path, data)), "--out", str(tmp_path / "out"))
    out = done.stdout + done.stderr
    refused = version is None or (int(version.split(".")[1]) < since.minor)
    if not refused:
        assert f"receivers[{i}].{key}" not in out
        return
    assert done.returncode == 1 and "Traceback" not in out
    assert f"receivers[{i}].{key}: Alertmanager reads {key}'s credentials from files from {since.major}.{since.minor} on" in out
    assert (version or "does not say which release") in out


def test_debian_amtool_refuses_the_file_fields_the_gate_protects(amtool, tmp_path):
    """Why the gate exists: Alertmanager 0.25 does not know the *_file fields of the gated
    integrations (it would need the secret inline)."""
    from sfmon.tools.versions import detect

    version = detect(amtool)
    files = render(load(NEWER))
    root = write_files(files, tmp_path)
    done = subprocess.run([amtool, "check-config", "alertmanager.yml"], cwd=root, capture_output=True, text=True, timeout=60)
    if version is not None and version[:2] >= (0, 27):  # an amtool that reads the files accepts them
        assert done.returncode == 0, done.stdout + done.stderr
        return
    assert done.returncode != 0
    for field in ("bot_token_file", "webhook_url_file", "user_key_file", "token_file"):
        assert f"field {field} not found" in done.stdout + done.stderr


def test_a_newer_amtool_accepts_the_gated_integrations(tmp_path):
    """amtool 0.27 or later (a toolset built by scripts/install-go-tools) accepts the file and
    renders every notification."""
    files = render(load(NEWER))
    root = write_files(files, tmp_path)
    done = subprocess.run([_newer_amtool(), "check-config", "alertmanager.yml"], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_inline_token_is_refused_with_the_file_hint(tmp_path):
    data = data_of(NEWER)
    chat = data["receivers"][1]
    del chat["telegram"]["bot_token_file"]
    chat["telegram"]["bot_token"] = "123456:hunter2-secret"
    done = run_sfmon("generate", "--spec", str(write_spec(tmp_path, data)), "--out", str(tmp_path / "out"))
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "hunter2" not in out
    assert "receivers[1].telegram.bot_token" in out


def test_compose_mounts_the_gated_integrations_secret_files():
    files = render(load(NEWER))
    compose = safe.load(files["docker-compose.yml"])
    targets = {s["target"] for s in compose["services"]["alertmanager"]["secrets"]}
    assert {
        "/run/secrets/telegram_bot_token", "/run/secrets/discord_webhook_url", "/run/secrets/pushover_user_key",
        "/run/secrets/pushover_token", "/run/secrets/teams_webhook_url", "/run/secrets/smtp_password",
    } <= targets  # fmt: skip


def test_gated_receivers_reach_alertmanager_yml_as_written():
    """The strategies' gated integrations (tests/spec_strategies.py), in a spec that targets 0.27:
    every field the spec sets is in the entry as written (amtool 0.27+ checks the file in
    test_a_newer_amtool_accepts_the_gated_integrations)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from spec_strategies import GATED, NEW_INTEGRATIONS

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(key=st.sampled_from(GATED), data=st.data())
    def check(key: str, data: Any) -> None:
        entry = data.draw(NEW_INTEGRATIONS[key]())
        spec = data_of(NEWER)
        spec["receivers"] = [spec["receivers"][0], {"name": "x", key: entry}]
        spec["routing"] = {"receiver": "x"}
        loaded, problems = load_and_check_text(spec)
        assert loaded is not None and not has_errors(problems), problems
        am = safe.load(render(loaded)["alertmanager.yml"])
        got = am["receivers"][1][INTEGRATIONS[key].configs][0]
        for field, value in entry.items():
            assert got[field] == value, field

    check()


def load_and_check_text(data: dict[str, Any]) -> Any:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return load_and_check(write_spec(Path(tmp), data))


@pytest.mark.parametrize("rel", ["alertmanager.yml", "notifications/sfmon.tmpl", "notifications/email.tmpl"])
def test_newer_receivers_fixture_snapshot(rel, snapshot):
    """The gated integrations' entries, global SMTP/HTTP and the messages options as rendered
    (the fixture is outside valid/: Debian's amtool 0.25 refuses its file fields)."""
    from conftest import snapshot_extension

    assert render(load(NEWER))[rel] == snapshot(extension_class=snapshot_extension(rel))


# --- values the hostile sweep found (tests/hostile.py, docs/hardening.md) ---------------------------


def _newer_amtool() -> str:
    from toolsets import all_toolsets

    from sfmon.tools.versions import detect

    newer = [p for t in all_toolsets().values() if (p := t.path("amtool")) and (v := detect(p)) and v[:2] >= (0, 27)]
    if not newer:
        skip_or_fail("no amtool 0.27 or later (make tools builds Alertmanager 0.35)")
    return newer[0]


@pytest.mark.parametrize("title", ["{", "Alert {", "{{ .Status }} {"])
def test_a_title_ending_in_a_brace_renders_as_written(amtool, tmp_path, title):
    """The title sits right before `{{ end }}` in sfmon.tmpl: a trailing `{` must not join it
    into `{{{`, which Go reads as an action (amtool refused the file)."""
    data = data_of(NEWER)
    del data["alertmanager"]["version"]
    data["receivers"] = [data["receivers"][0]]
    data["routing"] = {"receiver": "mail"}
    data["alertmanager"]["messages"]["title"] = title
    files = render(load(write_spec(tmp_path, data)))
    root = write_files(files, tmp_path / "out")
    done = subprocess.run([amtool, "check-config", "alertmanager.yml"], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    subject = render_field(amtool, root, '{{ template "sfmon.email.subject" . }}', cases(files)[0]["data"])
    assert subject == title.replace("{{ .Status }}", "firing")


def test_pushover_durations_are_written_in_go_units(tmp_path):
    """Alertmanager reads Pushover's retry and expire with Go's time.ParseDuration, which has no
    d, w or y: 4w is written 672h, and the newest amtool accepts the file."""
    data = data_of(NEWER)
    phone = next(r for r in data["receivers"] if r["name"] == "phone")
    phone["pushover"] |= {"retry": "1d1m", "expire": "4w"}
    files = render(load(write_spec(tmp_path, data)))
    entry = safe.load(files["alertmanager.yml"])["receivers"][2]["pushover_configs"][0]
    assert (entry["retry"], entry["expire"]) == ("24h1m", "672h")
    root = write_files(files, tmp_path / "out")
    done = subprocess.run([_newer_amtool(), "check-config", "alertmanager.yml"], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


# --- UTF-8 label and annotation names in the messages (Prometheus 3, Alertmanager 0.27) -------------


def _utf8_messages(tmp_path: Path, prometheus: str | None = "3.5") -> Path:
    """The email receiver of the newer fixture, its alert carrying a dotted label and a dotted
    annotation, which the messages list and link."""
    data = data_of(NEWER)
    data["receivers"] = [data["receivers"][0], {"name": "chat", "slack": {"channel": "#ops", "api_url_file": "/run/secrets/slack"}}]
    data["routing"] = {"receiver": "mail", "routes": [{"match": {"severity": "critical"}, "notify": ["chat"], "continue": True}]}
    data["alertmanager"]["version"] = "0.27"
    if prometheus:
        data["prometheus"] = {"version": prometheus}
    alert = data["alerts"][0]
    alert["labels"] = {"deployment.environment": "prod"}
    alert["annotations"] = {"runbook.url": "https://runbooks.example.com/x"}
    data["alertmanager"]["messages"] = {"labels": ["deployment.environment", "instance"], "links": {"runbook.url": "Runbook"}}
    return write_spec(tmp_path, data)


@pytest.mark.matrix
def test_utf8_label_and_annotation_names_reach_the_messages(amtool, tmp_path):
    """A dotted name is printed through a Go string constant and looked up with `index`: the
    text, HTML and Slack bodies show it as written (every amtool renders these templates)."""
    files = render(load(_utf8_messages(tmp_path)))
    assert '{{ "deployment.environment" }}: ' in files["notifications/sfmon.tmpl"]
    root = write_files(files, tmp_path / "out")
    data = cases(files)[0]["data"]
    body = render_field(amtool, root, '{{ template "sfmon.email.text" . }}', data)
    assert "  deployment.environment: prod\n  instance: app:8000\n" in body
    assert "  Runbook: https://runbooks.example.com/x\n" in body
    html = render_field(amtool, root, '{{ template "sfmon.email.html" . }}', data, "html")
    assert "<li>deployment.environment: prod</li>" in html and '<a href="https://runbooks.example.com/x">Runbook</a>' in html
    slack = render_field(amtool, root, '{{ template "sfmon.slack.text" . }}', data)
    assert "• deployment.environment: `prod`" in slack and "<https://runbooks.example.com/x|Runbook>" in slack


@pytest.mark.matrix
def test_utf8_messages_validate_on_prometheus_3(promtool, amtool, tmp_path):
    """3.x: `sfmon validate` passes, the message tests included; promtool 2.42 refuses the dotted
    annotation name, as sfmon refuses the spec when it targets 2.x."""
    spec = _utf8_messages(tmp_path)
    found, out = generated_for(promtool, spec, tmp_path)
    if found >= (3, 0):
        done = run_sfmon("validate", "--spec", str(spec), "--out", str(out), timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    else:
        done = subprocess.run([promtool, "check", "rules", str(out / "alerts.yml")], capture_output=True, text=True, timeout=60)
        assert done.returncode != 0
        assert "runbook.url" in done.stdout + done.stderr


def test_utf8_message_labels_refused_before_prometheus_3_at_the_field(tmp_path):
    with pytest.raises(SpecError) as err:
        load(_utf8_messages(tmp_path, prometheus=None))
    found = {p.message.split(":")[0]: p for p in err.value.problems}
    assert "alertmanager.messages.labels[0]" in found and "alertmanager.messages.links.runbook.url" in found, list(found)
    assert "is no legacy label name" in found["alertmanager.messages.labels[0]"].message
