"""A probe for real, up to the message a person reads: Debian's blackbox exporter probes a local
HTTP server on 127.0.0.1 with the rendered blackbox.yml, a real Prometheus scrapes it through the
rendered probe job (the standard blackbox relabelling), the failing URL's `probe_success` reaches
0 and fires the generated probe_failed alert while the healthy one stays 1, and a real
Alertmanager, loading the generated notification templates, delivers it to a real SMTP server and
a Slack endpoint. Each field that arrives (subject, HTML and text bodies, Slack title and text) is
exactly what `sfmon validate` renders for that alert with `amtool template render` from the
labels and annotations sfmon predicts; then the URL heals and the resolved notifications are
the same prediction with the alert resolved."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from harness import Fatal, HttpSink, Proc, SmtpSink, free_port, get_json, http, require, wait_until
from sfmon.pipeline import check, load_text, render
from sfmon.problems import has_errors
from sfmon.render import outputs
from sfmon.tools.messages import message_runs, split

pytestmark = [pytest.mark.live, pytest.mark.matrix("newest")]

QUERY = quote('probe_success{job="site"}')
BLACKBOX = shutil.which("prometheus-blackbox-exporter") or "/usr/bin/prometheus-blackbox-exporter"
RUNBOOK = "https://runbooks.example.com/site-down"
SMTP_LOGIN = ("alerts@example.com", "probe-drill-smtp")


def _site(healed: threading.Event) -> type[BaseHTTPRequestHandler]:
    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            status = 200 if self.path == "/ok" or healed.is_set() else 503
            body = b"fine\n" if status == 200 else b"broken\n"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Site


def _spec(site: int, blackbox: int, alertmanager: int, smtp: int, secrets: Path) -> str:
    # The failing URL is the first probed target: sfmon's generated tests (and so its message
    # prediction) take a target's first instance. The route matches Prometheus' external label,
    # which the rule tests never see: the prediction must add it, as Prometheus does.
    return f"""
version: 1
project: probes
prometheus:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
  external_labels: {{env: drill}}
  alertmanagers: ["127.0.0.1:{alertmanager}"]
targets:
  - name: site
    labels: {{team: web}}
    probe: {{module: http_2xx, targets: ["http://127.0.0.1:{site}/fail", "http://127.0.0.1:{site}/ok"]}}
blackbox:
  address: "127.0.0.1:{blackbox}"
  modules:
    http_2xx: {{timeout: 1s, http: {{preferred_ip_protocol: ip4, valid_status_codes: [200]}}}}
alerts:
  - name: SiteDown
    kind: probe_failed
    target: site
    for: 0s
    severity: critical
    summary: "{{{{ $labels.instance }}}} fails"
    description: "The blackbox probe of {{{{ $labels.instance }}}} (team {{{{ $labels.team }}}}) failed."
    runbook_url: {RUNBOOK}
dashboards:
  - uid: probes
    title: Probes
    variables:
      - {{name: instance, label: Instance, query: "label_values(probe_success, instance)"}}
    rows:
      - title: Probes
        panels:
          - {{title: Probe success, expr: 'probe_success{{instance=~"$instance"}}', show_alert: SiteDown}}
alertmanager:
  messages: {{labels: [severity, instance, env]}}
receivers:
  - name: mail
    email:
      to: [ops@example.com]
      from: {SMTP_LOGIN[0]}
      smarthost: "127.0.0.1:{smtp}"
      require_tls: false
      auth_username: {SMTP_LOGIN[0]}
      auth_password_file: {secrets / "smtp_password"}
  - name: chat
    slack: {{channel: "#ops", api_url_file: {secrets / "slack_url"}}}
routing:
  receiver: mail
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - {{matchers: ['env="drill"'], notify: [mail, chat]}}
grafana:
  admin_password_file: /run/secrets/grafana
"""


def _predicted(amtool: str, out: Path, alert: str) -> dict[tuple[str, str, str], str]:
    """(receiver, field, status) -> the text `sfmon validate` renders for `alert` (its runs over
    tests/messages.test.yml); "resolved": the same data with the alert resolved."""
    found: dict[tuple[str, str, str], str] = {}
    for run in message_runs(outputs.MESSAGE_TESTS, out, "probes"):
        m = re.match(r"receiver '([^']+)', alert '([^']+)'", run.succeeded.keywords["where"])  # type: ignore[union-attr]
        assert m is not None, run
        if m.group(2) != alert:
            continue
        data_arg = next(a for a in run.args if a.startswith("--template.data="))
        firing = out / data_arg.split("=", 1)[1]
        resolved = firing.with_suffix(".resolved.json")
        data = json.loads(firing.read_text(encoding="utf-8"))
        data["status"] = "resolved"
        data["alerts"] = [{**a, "status": "resolved", "endsAt": a["startsAt"]} for a in data["alerts"]]
        resolved.write_text(json.dumps(data), encoding="utf-8")
        for status, path in (("firing", firing), ("resolved", resolved)):
            args = [amtool, *(a if a != data_arg else f"--template.data={path.relative_to(out)}" for a in run.args[1:])]
            done = subprocess.run(args, cwd=out, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
            assert done.returncode == 0, done.stdout + done.stderr
            for field, text in split(done.stdout).items():
                found[(m.group(1), field, status)] = text
    return found


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n")  # SMTP carries lines as CRLF


def _received(smtp: SmtpSink, sink: HttpSink) -> dict[tuple[str, str, str], str]:
    """(receiver, field, status) -> the text that arrived, named as alertmanager.yml's fields."""
    got: dict[tuple[str, str, str], str] = {}
    for mail in list(smtp.mails):
        subject = str(mail.message["Subject"])
        status = "resolved" if subject.startswith("[RESOLVED") else "firing"
        got[("mail", "email_configs[0].headers.Subject", status)] = subject
        for kind in ("html", "plain"):
            part = mail.message.get_body((kind,))
            if part is not None:
                got[("mail", f"email_configs[0].{'html' if kind == 'html' else 'text'}", status)] = _crlf(part.get_content())
    for post in list(sink.posts):
        att = ((post.body if isinstance(post.body, dict) else {}).get("attachments") or [{}])[0]
        status = "resolved" if str(att.get("title", "")).startswith("[RESOLVED") else "firing"
        got[("chat", "slack_configs[0].title", status)] = att.get("title", "")
        got[("chat", "slack_configs[0].text", status)] = att.get("text", "")
    return got


def test_failing_probe_fires_and_its_rendered_message_arrives(tmp_path: Path, prometheus_bin: str, alertmanager_bin: str, amtool: str) -> None:
    require(BLACKBOX, "prometheus-blackbox-exporter")
    healed = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _site(healed))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sink, smtp = HttpSink(), SmtpSink(*SMTP_LOGIN)
    site, bb, prom, am = server.server_address[1], free_port(), free_port(), free_port()
    fail, ok = f"http://127.0.0.1:{site}/fail", f"http://127.0.0.1:{site}/ok"
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "smtp_password").write_text(SMTP_LOGIN[1], encoding="utf-8")
    (secrets / "slack_url").write_text(sink.url("/slack/chat"), encoding="utf-8")
    loaded = load_text("probes.yaml", _spec(site, bb, am, smtp.port, secrets))
    problems = check(loaded)
    assert not has_errors(problems), "\n".join(map(str, problems))
    out = tmp_path / "out"
    for rel, text in render(loaded).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")
    predicted = _predicted(amtool, out, "SiteDown")
    procs = [
        Proc("blackbox", [BLACKBOX, "--config.file", str(out / "blackbox.yml"), "--web.listen-address", f"127.0.0.1:{bb}"], tmp_path),
        Proc("prometheus", [prometheus_bin, "--config.file", str(out / "prometheus.yml"), "--storage.tsdb.path", str(tmp_path / "data"),
                            "--web.listen-address", f"127.0.0.1:{prom}"], tmp_path),
        Proc("alertmanager", [alertmanager_bin, f"--config.file={out / 'alertmanager.yml'}", f"--storage.path={tmp_path / 'am-data'}",
                              f"--web.listen-address=127.0.0.1:{am}", "--cluster.listen-address=", "--log.level=warn"], tmp_path),
    ]  # fmt: skip

    def alive() -> None:
        for p in procs:
            if not p.running():
                raise Fatal(f"{p.name} exited:\n{p.tail()}")

    try:
        for p in procs:
            p.start()
        api = f"http://127.0.0.1:{prom}/api/v1"
        wait_until(lambda: alive() or http("GET", f"http://127.0.0.1:{am}/-/ready", timeout=1)[0] == 200, 20, "alertmanager ready")

        def probes() -> dict[str, str] | None:
            alive()
            found = get_json(f"{api}/query?query={QUERY}")["data"]["result"]
            got = {r["metric"]["instance"]: r["value"][1] for r in found}
            return got if len(got) == 2 else None

        got = wait_until(probes, 30, "both probes scraped")
        assert got == {ok: "1", fail: "0"}

        def firing() -> list[dict]:
            alive()
            alerts = get_json(f"{api}/alerts")["data"]["alerts"]
            return [a for a in alerts if a["labels"].get("alertname") == "SiteDown" and a["state"] == "firing"]

        fired = wait_until(firing, 30, "SiteDown firing")
        assert [a["labels"]["instance"] for a in fired] == [fail]
        assert fired[0]["annotations"]["summary"] == f"{fail} fails"

        # The notifications: every predicted field arrives, exactly as sfmon renders it.
        want_firing = {k: v for k, v in predicted.items() if k[2] == "firing"}
        assert {k[:2] for k in want_firing} == {
            ("mail", "email_configs[0].headers.Subject"), ("mail", "email_configs[0].html"), ("mail", "email_configs[0].text"),
            ("chat", "slack_configs[0].title"), ("chat", "slack_configs[0].text"),
        }  # fmt: skip
        arrived = wait_until(lambda: alive() or (lambda r: r if want_firing.keys() <= r.keys() else None)(_received(smtp, sink)), 30,
                             "the firing email and Slack post")  # fmt: skip
        assert {k: arrived[k] for k in want_firing} == want_firing
        # ... and says what it must, so an empty or generic prediction cannot pass.
        link = f"http://grafana:3000/d/probes?viewPanel=2&var-instance={quote(fail, safe='')}"
        assert arrived[("mail", "email_configs[0].headers.Subject", "firing")] == "[FIRING:1] SiteDown"
        text = arrived[("mail", "email_configs[0].text", "firing")]
        for needed in (f"[FIRING] {fail} fails", f"instance: {fail}", "env: drill", "severity: critical", f"Runbook: {RUNBOOK}", f"Dashboard: {link}"):
            assert needed in text, (needed, text)
        html = arrived[("mail", "email_configs[0].html", "firing")]
        assert f'<a href="{RUNBOOK}">Runbook</a>' in html and f'<a href="{link.replace("&", "&amp;")}">Dashboard</a>' in html, html
        slack = arrived[("chat", "slack_configs[0].text", "firing")]
        assert f"*[FIRING] {fail} fails*" in slack and f"<{RUNBOOK}|Runbook>" in slack and f"<{link}|Dashboard>" in slack, slack
        assert all(ok not in t for t in arrived.values()), "a notification names the healthy URL"
        assert smtp.mails[0].login == SMTP_LOGIN and smtp.mails[0].rcpt_tos == ["ops@example.com"]
        assert sink.posts[0].path == "/slack/chat" and sink.posts[0].body.get("channel") == "#ops"

        # The URL heals: the resolved notifications are the prediction with the alert resolved.
        healed.set()
        want_resolved = {k: v for k, v in predicted.items() if k[2] == "resolved"}
        arrived = wait_until(lambda: alive() or (lambda r: r if want_resolved.keys() <= r.keys() else None)(_received(smtp, sink)), 30,
                             "the resolved email and Slack post")  # fmt: skip
        assert {k: arrived[k] for k in want_resolved} == want_resolved
        assert arrived[("mail", "email_configs[0].headers.Subject", "resolved")] == "[RESOLVED] SiteDown"
        assert f"[RESOLVED] {fail} fails" in arrived[("mail", "email_configs[0].text", "resolved")]
        assert (len(smtp.mails), len(sink.posts)) == (2, 2), "one firing and one resolved notification per receiver"
    except AssertionError:
        print("\n".join(f"--- {p.name}\n{p.tail()}" for p in procs))
        print("--- mails:", [(str(m.message["Subject"]), m.rcpt_tos) for m in smtp.mails], "smtp auth failures:", smtp.auth_failures)
        print("--- posts:", [(p.path, p.body) for p in sink.posts])
        raise
    finally:
        for p in procs:
            p.stop()
        server.shutdown()
        sink.close()
        smtp.close()
