"""The live stack for drills: the default spec rendered with a test overlay and run for real.

Real `prometheus` and `prometheus-alertmanager` (Debian packages), the example app, a
stand-in exporter for services that cannot run here, a real Redis with its exporter when
installed, an HTTP sink for Slack / PagerDuty / webhook posts and an SMTP server.
Everything listens on 127.0.0.1 free ports, lives in one temp directory and is stopped by
`Stack.close()`, which the fixtures call also when a test fails. Every wait has a deadline.
"""

from __future__ import annotations

import contextlib
import email
import functools
import email.policy
import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

import pytest

from conftest import free_port  # noqa: F401  (re-exported for the live tests)

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "specs.yaml"
DRILL_OVERLAY = Path(__file__).with_name("drill-overlay.yaml")
# The default spec is hardened (TLS, basic auth); the drills run plain HTTP on 127.0.0.1.
PLAIN_HTTP_OVERLAY = ROOT / "specs" / "overlays" / "plain-http.yaml"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager") or "/usr/bin/prometheus-alertmanager"
REDIS_SERVER = shutil.which("redis-server")
REDIS_EXPORTER = shutil.which("prometheus-redis-exporter")
START_TIMEOUT = 20.0  # seconds for any component to answer after start
CRITICAL = {"pagerduty", "ops-slack", "ops-email", "ops-webhook"}  # default routing: severity=critical
WARNING = {"ops-slack", "ops-email", "ops-webhook"}  # severity=warning: no page


# --- small tools ---------------------------------------------------------------------------


class Fatal(AssertionError):
    """Raised by a probe when waiting longer cannot help (a process exited)."""


def wait_until(probe: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll `probe` until it returns something truthy; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = probe()
        except Fatal:
            raise
        except Exception as exc:  # a component still starting: keep polling until the deadline
            last = exc
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what} (last: {last!r:.300})")
        time.sleep(interval)


def http(method: str, url: str, body: Any = None, timeout: float = 3.0) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def get_json(url: str, timeout: float = 3.0) -> Any:
    status, body = http("GET", url, timeout=timeout)
    if status != 200:
        raise RuntimeError(f"GET {url}: {status} {body[:200]!r}")
    return json.loads(body)


def _die_with_parent() -> None:
    # Children get SIGKILL if the test process dies, so a killed pytest leaves no servers behind.
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Proc:
    """One child process with its output in a log file; stop() is idempotent and bounded."""

    def __init__(self, name: str, args: list[str], logdir: Path, cwd: Path = ROOT):
        self.name, self.args, self.cwd = name, args, cwd
        self.log = logdir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Proc":
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(
                self.args, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
        return self

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        if not self.running():
            return
        assert self.popen is not None
        self.popen.terminate()
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout)

    def kill(self, timeout: float = 5.0) -> None:
        """SIGKILL, as a crash: no graceful shutdown (a peer that leaves no goodbye, a
        remote-write queue not flushed)."""
        if self.running():
            assert self.popen is not None
            self.popen.kill()
            self.popen.wait(timeout)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# --- notification sinks --------------------------------------------------------------------


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: Any
    at: float


class HttpSink:
    """Records every POST (Slack, PagerDuty and webhook notifications) and answers 200."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        lock = threading.Lock()
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body: Any = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
                with lock:
                    posts.append(Post(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()))
                # Alertmanager 0.26+ reads Slack's answer: {"ok": true}, as Slack gives it.
                payload = b'{"ok":true}' if self.path.startswith("/slack") else b'{"status":"success","message":"Event processed"}'
                self.send_response(202 if self.path.startswith("/pagerduty") else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="http-sink", daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: Any  # email.message.EmailMessage
    login: tuple[str, str] | None
    at: float


class SmtpSink:
    """A real SMTP server (aiosmtpd) that accepts AUTH without TLS, as on a trusted loopback."""

    def __init__(self, username: str, password: str):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.mails: list[Mail] = []
        self.auth_failures: list[str] = []
        mails, failures = self.mails, self.auth_failures

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
            ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (username, password)
            if not ok:
                failures.append(f"{mechanism} {getattr(data, 'login', b'?')!r}")
            return AuthResult(success=ok, auth_data=data if ok else None)

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                login = session.auth_data
                mails.append(
                    Mail(
                        envelope.mail_from,
                        list(envelope.rcpt_tos),
                        email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default),
                        (login.login.decode(), login.password.decode()) if login else None,
                        time.monotonic(),
                    )
                )
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(
            Handler(), hostname="127.0.0.1", port=self.port, authenticator=authenticator, auth_require_tls=False, ready_timeout=10,
            auth_exclude_mechanism=["LOGIN"],  # its challenge text differs from the one Alertmanager's LOGIN expects
        )
        self.controller.start()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.controller.stop()


# --- notifications, read back into one shape ---------------------------------------------------


@dataclass
class Notification:
    receiver: str
    integration: str  # email | slack | pagerduty | webhook
    status: str  # firing | resolved
    alertname: str
    alerts: list[dict[str, dict[str, str]]]  # [{"labels": ..., "annotations": ...}]; Slack: []
    text: str  # what a person reads (Slack text, the email's HTML); "" elsewhere
    at: float
    problems: list[str] = field(default_factory=list)  # wrong credentials, channel, ...

    def key(self) -> tuple[str, str, str]:
        return (self.receiver, self.status, self.alertname)


_SUBJECT = re.compile(r"^\[(FIRING|RESOLVED)(?::\d+)?\] (\S+)")
_PAIR = re.compile(r"^ - (\S+) = (.*)$")


def _text_alerts(text: str) -> list[dict[str, dict[str, str]]]:
    """Alerts from Alertmanager's `__text_alert_list` template (PagerDuty custom details)."""
    alerts: list[dict[str, dict[str, str]]] = []
    section = ""
    for line in text.splitlines():
        if line == "Labels:":
            alerts.append({"labels": {}, "annotations": {}})
            section = "labels"
        elif line == "Annotations:":
            section = "annotations"
        elif (m := _PAIR.match(line)) and alerts and section:
            alerts[-1][section][m.group(1)] = m.group(2)
        elif line.startswith("Source:"):
            section = ""
    return alerts


def _html_alerts(body: str, links: dict[str, str]) -> list[dict[str, dict[str, str]]]:
    """Alerts from sfmon's HTML email (templates/notifications/email.tmpl.j2): per alert an
    `<h3>[STATUS] summary</h3>`, its description in a `<p>`, the labels alertmanager.messages
    lists as `<li>name: value</li>`, its links as `<a href="url">text</a>` (`links`: text ->
    annotation)."""
    alerts: list[dict[str, dict[str, str]]] = []
    body = body.replace("\r\n", "\n")
    for block in re.split(r"(?=<h3>)", body)[1:]:
        head = re.match(r"<h3>\[(?:FIRING|RESOLVED)\] (.*?)</h3>\s*(?:<p>(.*?)</p>)?", block, re.S)
        if head is None:
            continue
        annotations = {"summary": html.unescape(head.group(1))}
        if head.group(2) is not None:
            annotations["description"] = html.unescape(head.group(2))
        for url, text in re.findall(r'<a href="([^"]*)">(.*?)</a>', block):
            if html.unescape(text) in links:
                annotations[links[html.unescape(text)]] = html.unescape(url)
        labels = {k: html.unescape(v) for k, v in re.findall(r"<li>([A-Za-z_][A-Za-z0-9_]*): (.*?)</li>", block)}
        alerts.append({"labels": labels, "annotations": annotations})
    return alerts


def from_post(post: Post, secrets: dict[str, str]) -> Notification:
    _, integration, receiver = (post.path.split("/", 2) + ["", ""])[:3]
    body = post.body if isinstance(post.body, dict) else {}
    problems: list[str] = []
    if integration == "webhook":
        if post.headers.get("authorization") != f"Bearer {secrets.get(f'webhook/{receiver}')}":
            problems.append(f"webhook {receiver}: wrong Authorization header {post.headers.get('authorization')!r}")
        if body.get("receiver") != receiver:
            problems.append(f"webhook {receiver}: payload names receiver {body.get('receiver')!r}")
        alerts = [{"labels": a["labels"], "annotations": a["annotations"]} for a in body.get("alerts", [])]
        name = body.get("groupLabels", {}).get("alertname") or body.get("commonLabels", {}).get("alertname", "")
        return Notification(receiver, integration, body.get("status", "?"), name, alerts, "", post.at, problems)
    if integration == "slack":
        att = (body.get("attachments") or [{}])[0]
        m = _SUBJECT.match(att.get("title", "")) or _SUBJECT.match("[?] ?")
        if body.get("channel") != secrets.get(f"slack-channel/{receiver}"):
            problems.append(f"slack {receiver}: posted to channel {body.get('channel')!r}")
        status = {"FIRING": "firing", "RESOLVED": "resolved"}.get(m.group(1) if m else "", "?")
        return Notification(receiver, integration, status, m.group(2) if m else "?", [], att.get("text", ""), post.at, problems)
    if integration == "pagerduty":
        if body.get("routing_key") != secrets.get(f"pagerduty/{receiver}"):
            problems.append(f"pagerduty {receiver}: wrong routing_key {body.get('routing_key')!r}")
        payload = body.get("payload", {})
        status = {"trigger": "firing", "resolve": "resolved"}.get(body.get("event_action", ""), "?")
        details = payload.get("custom_details", {})
        listed = details.get(status, "")
        # Alertmanager 0.25 sends the alerts as text; newer ones as JSON objects.
        alerts = [{"labels": a.get("labels", {}), "annotations": a.get("annotations", {})} for a in listed] if isinstance(listed, list) else _text_alerts(listed)
        m = _SUBJECT.match(payload.get("summary", ""))
        return Notification(receiver, integration, status, m.group(2) if m else "?", alerts, "", post.at, problems)
    return Notification(receiver or post.path, integration or "?", "?", "?", [], str(post.body)[:200], post.at, ["unknown path"])


def from_mail(mail: Mail, receivers_by_rcpt: dict[frozenset, str], login: tuple[str, str], links: dict[str, str]) -> Notification:
    receiver = receivers_by_rcpt.get(frozenset(mail.rcpt_tos), f"unknown recipients {sorted(mail.rcpt_tos)}")
    problems = [] if mail.login == login else [f"email {receiver}: SMTP login {mail.login!r}"]
    m = _SUBJECT.match(str(mail.message["Subject"]))
    part = mail.message.get_body(("html", "plain"))
    body = part.get_content() if part is not None else ""
    status = {"FIRING": "firing", "RESOLVED": "resolved"}.get(m.group(1) if m else "", "?")
    return Notification(receiver, "email", status, m.group(2) if m else "?", _html_alerts(body, links), body, mail.at, problems)


# --- load -----------------------------------------------------------------------------------------


class Traffic:
    """Background requests against the app, from a few threads, until stopped (bounded)."""

    def __init__(self, url: str, threads: int = 3, pause: float = 0.05, max_seconds: float = 120):
        self.url, self.pause, self.max_seconds = url, pause, max_seconds
        self.stopped = threading.Event()
        self.sent = 0
        self.threads = [threading.Thread(target=self._run, daemon=True, name=f"traffic-{i}") for i in range(threads)]

    def _run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        while not self.stopped.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                http("GET", self.url, timeout=5)
                self.sent += 1
            self.stopped.wait(self.pause)

    def __enter__(self) -> "Traffic":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stopped.set()
        for t in self.threads:
            t.join(10)


# --- the stack ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _drill_spec() -> Any:
    """The spec with the drill clock, before this run's addresses (the same for every stack)."""
    from sfmon.pipeline import load

    return load(SPEC, [DRILL_OVERLAY]).spec


class Stack:
    """Start with `Stack(tmp).start()`; always `close()` (the fixture does)."""

    def __init__(self, tmp: Path, redis: bool | None = None, prometheus: str = PROMETHEUS, alertmanager: str = ALERTMANAGER):
        self.tmp = tmp
        self.prometheus_bin, self.alertmanager_bin = prometheus, alertmanager
        self.logs = tmp / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.secrets_dir = tmp / "secrets"
        self.secrets_dir.mkdir(mode=0o700, exist_ok=True)
        self.out = tmp / "generated"
        self.use_redis = bool(REDIS_SERVER and REDIS_EXPORTER) if redis is None else redis
        self.ports = {name: free_port() for name in ("prometheus", "alertmanager", "app", "fake", "redis", "redis_exporter", "grafana")}
        self.procs: dict[str, Proc] = {}
        self.sink: HttpSink | None = None
        self.smtp: SmtpSink | None = None
        self.fake_server: Any = None
        self.secrets: dict[str, str] = {}
        self.smtp_login = ("alerts@softfactory.io", "smtp-drill-password")
        self.overlay = tmp / "live-overlay.yaml"
        self.sets: list[str] = []  # --set assignments after the overlays
        self.spec: Any = None

    # URLs
    def url(self, name: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    @property
    def overlays(self) -> list[Path]:
        return [PLAIN_HTTP_OVERLAY, DRILL_OVERLAY, self.overlay]

    # -- configuration --

    def _secret(self, key: str, name: str, value: str) -> str:
        path = self.secrets_dir / name
        path.write_text(value)
        path.chmod(0o600)
        self.secrets[key] = value
        return str(path)

    def live_overlay(self, base: Any) -> dict[str, Any]:
        """Addresses, secrets and sinks for this run, for every target and receiver of `base`."""
        assert self.sink is not None and self.smtp is not None
        targets = []
        for t in base.targets:
            item: dict[str, Any] = {"name": t.name, "scheme": "http"}
            if t.name in ("api", "prometheus", "alertmanager"):
                item["addresses"] = [f"127.0.0.1:{self.ports['app' if t.name == 'api' else t.name]}"]
            elif t.name == "redis" and self.use_redis:
                item["addresses"] = [f"127.0.0.1:{self.ports['redis_exporter']}"]
            else:  # no such service here: the stand-in exporter serves its catalog; no health endpoint
                assert t.catalog, f"target {t.name} has no catalog for the stand-in exporter to serve"
                item.update(addresses=[f"127.0.0.1:{self.ports['fake']}"], metrics_path=f"/metrics/{t.catalog}", health_path=None)
            targets.append(item)
        receivers = []
        for r in base.receivers:
            item = {"name": r.name}
            if r.email:
                item["email"] = {"smarthost": f"127.0.0.1:{self.smtp.port}", "require_tls": False,
                                 "auth_username": self.smtp_login[0],
                                 "auth_password_file": self._secret("smtp", f"smtp_{r.name}", self.smtp_login[1])}
            if r.slack:
                self.secrets[f"slack-channel/{r.name}"] = r.slack.channel
                item["slack"] = {"api_url_file": self._secret(f"slack/{r.name}", f"slack_{r.name}", self.sink.url(f"/slack/{r.name}"))}
            if r.pagerduty:
                item["pagerduty"] = {"url": self.sink.url(f"/pagerduty/{r.name}"),
                                     "routing_key_file": self._secret(f"pagerduty/{r.name}", f"pd_{r.name}", f"drill-key-{r.name}")}
            if r.webhook:
                item["webhook"] = {"url": self.sink.url(f"/webhook/{r.name}"), "basic_auth": None,
                                   "bearer_token_file": self._secret(f"webhook/{r.name}", f"webhook_{r.name}", f"drill-token-{r.name}")}
            receivers.append(item)
        return {
            "prometheus": {
                "listen_address": f"127.0.0.1:{self.ports['prometheus']}",
                "alertmanagers": [f"127.0.0.1:{self.ports['alertmanager']}"],
            },
            "targets": targets,
            "receivers": receivers,
            # Grafana cannot run here: nothing listens on this port, so `sfmon health` skips it.
            "grafana": {"url": self.url("grafana")},
        }

    def render(self) -> None:
        from sfmon.write import writer
        from sfmon.pipeline import check, load, render
        from sfmon.problems import has_errors

        base = _drill_spec()
        self.overlay.write_text(json.dumps(self.live_overlay(base), indent=2))  # JSON is YAML
        loaded = load(SPEC, self.overlays, self.sets)
        problems = check(loaded)
        assert not has_errors(problems), "\n".join(map(str, problems))
        self.spec = loaded.spec
        writer.write(self.out, render(loaded))

    # -- processes --

    def start(self) -> "Stack":
        self.sink = HttpSink()
        self.smtp = SmtpSink(*self.smtp_login)
        self.render()
        self.start_prometheus()  # first: Prometheus hands targets to its scrapers only ~5 s after start
        self._start_fake()
        if self.use_redis:
            self.start_redis()
            self.procs["redis_exporter"] = Proc("redis_exporter", [
                REDIS_EXPORTER, f"--redis.addr=redis://127.0.0.1:{self.ports['redis']}",
                f"--web.listen-address=127.0.0.1:{self.ports['redis_exporter']}", "--log-format=txt",
            ], self.logs).start()
        self.start_app()
        self.start_alertmanager()
        self.wait_ready("prometheus", self.url("prometheus", "/-/ready"))
        self.wait_ready("alertmanager", self.url("alertmanager", "/-/ready"))
        self.wait_ready("app", self.url("app", "/health"))
        if self.use_redis:
            self.wait_ready("redis_exporter", f"http://127.0.0.1:{self.ports['redis_exporter']}/metrics")
        # Every target scraped once, so a drill starts from a known, healthy state.
        wait_until(self.all_targets_up, START_TIMEOUT, "every target up in Prometheus")
        return self

    def _start_fake(self) -> None:
        import logging

        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no log line per scrape

        from examples.softfactory_app.exporter import create_exporter

        catalogs = sorted({t.catalog for t in self.spec.targets if t.catalog and t.catalog != "softfactory-api"})
        self.fake_server = make_server("127.0.0.1", self.ports["fake"], create_exporter(catalogs, SPEC), threaded=True)
        threading.Thread(target=self.fake_server.serve_forever, daemon=True, name="fake-exporter").start()

    def start_prometheus(self) -> None:
        self.procs["prometheus"] = Proc("prometheus", [
            self.prometheus_bin, f"--config.file={self.out / 'prometheus.yml'}", f"--storage.tsdb.path={self.tmp / 'prometheus-data'}",
            f"--storage.tsdb.retention.time={self.spec.prometheus.retention}",
            f"--web.listen-address=127.0.0.1:{self.ports['prometheus']}", "--log.level=warn",
        ], self.logs).start()

    def start_app(self) -> None:
        self.procs["app"] = Proc("app", [
            sys.executable, "-m", "examples.softfactory_app", "--port", str(self.ports["app"]), "--spec", str(SPEC),
        ], self.logs).start()

    def stop(self, name: str) -> None:
        self.procs[name].stop()

    def start_alertmanager(self) -> None:
        self.procs["alertmanager"] = Proc("alertmanager", [
            self.alertmanager_bin, f"--config.file={self.out / 'alertmanager.yml'}", f"--storage.path={self.tmp / 'alertmanager-data'}",
            f"--web.listen-address=127.0.0.1:{self.ports['alertmanager']}", "--cluster.listen-address=", "--log.level=warn",
        ], self.logs).start()

    def start_redis(self) -> None:
        assert REDIS_SERVER
        self.procs["redis"] = Proc("redis", [
            REDIS_SERVER, "--port", str(self.ports["redis"]), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.tmp),
        ], self.logs).start()

    def wait_ready(self, name: str, url: str) -> None:
        def ready() -> bool:
            proc = self.procs.get(name)
            if proc is not None and not proc.running():
                raise Fatal(f"{name} exited during start-up:\n{proc.tail()}")
            return http("GET", url, timeout=1)[0] == 200

        wait_until(ready, START_TIMEOUT, f"{name} at {url}", interval=0.1)

    def close(self) -> None:
        for proc in reversed(list(self.procs.values())):
            with contextlib.suppress(Exception):
                proc.stop()
        if self.fake_server is not None:
            self.fake_server.shutdown()
            self.fake_server.server_close()
        for sink in (self.sink, self.smtp):
            if sink is not None:
                sink.close()

    def logs_tail(self) -> str:
        return "\n".join(f"--- {p.name} ({p.log})\n{p.tail()}" for p in self.procs.values())

    # -- what the servers say --

    def targets(self) -> list[dict]:
        return get_json(self.url("prometheus", "/api/v1/targets"))["data"]["activeTargets"]

    def all_targets_up(self) -> bool:
        targets = self.targets()
        return len(targets) == len(self.spec.targets) and all(t["health"] == "up" for t in targets)

    def prometheus_alerts(self, state: str | None = None) -> list[dict]:
        alerts = get_json(self.url("prometheus", "/api/v1/alerts"))["data"]["alerts"]
        return [a for a in alerts if state is None or a["state"] == state]

    def firing(self, alertname: str) -> bool:
        return any(a["labels"]["alertname"] == alertname for a in self.prometheus_alerts("firing"))

    def alertmanager_alerts(self) -> list[dict]:
        return get_json(self.url("alertmanager", "/api/v2/alerts"))

    def set_faults(self, **faults: Any) -> None:
        status, body = http("POST", self.url("app", "/control"), faults)
        assert status == 200, body

    def set_exporter(self, **values: float) -> None:
        status, body = http("POST", self.url("fake", "/control"), values)
        assert status == 200, body

    def traffic(self, **kw: Any) -> Traffic:
        return Traffic(self.url("app", "/api/users"), **kw)

    def notifications(self) -> list[Notification]:
        assert self.sink is not None and self.smtp is not None
        by_rcpt = {frozenset(r.email.to): r.name for r in self.spec.receivers if r.email}
        out = [from_post(p, self.secrets) for p in list(self.sink.posts)]
        links = {text: annotation for annotation, text in self.spec.alertmanager.messages.links.items()}
        out += [from_mail(m, by_rcpt, self.smtp_login, links) for m in list(self.smtp.mails)]
        return sorted(out, key=lambda n: n.at)

    def settle(self, want: set[tuple[str, str, str]], timeout: float) -> list[Notification]:
        """Wait for `want`, then two more group intervals, long enough for a duplicate or a
        stray notification to show up, and return everything received."""
        self.wait_notifications(want, timeout)
        time.sleep(2 * self.spec.routing.group_interval.ms / 1000 + 0.5)
        return self.notifications()

    def wait_notifications(self, want: set[tuple[str, str, str]], timeout: float) -> list[Notification]:
        """Wait until every (receiver, status, alertname) in `want` has arrived."""
        return wait_until(
            lambda: (lambda got: got if want <= {n.key() for n in got} else None)(self.notifications()),
            timeout,
            f"notifications {sorted(want)}; SMTP auth failures: {self.smtp.auth_failures if self.smtp else []}",
            interval=0.25,
        )


# --- what a notification must say ------------------------------------------------------------


def want(receivers: set[str], status: str, alertname: str) -> set[tuple[str, str, str]]:
    return {(r, status, alertname) for r in receivers}


def template_pattern(template: str, labels: dict[str, str] | None) -> str:
    """A regex for an annotation template as Prometheus renders it: `{{ $labels.x }}` is the
    alert's label (any text when `labels` is None), any other `{{ ... }}` is some text."""
    out, pos = "", 0
    for m in re.finditer(r"\{\{\s*(.*?)\s*\}\}", template):
        out += re.escape(template[pos : m.start()])
        lab = re.fullmatch(r"\$labels\.([A-Za-z_][A-Za-z0-9_]*)", m.group(1))
        out += re.escape(labels[lab.group(1)]) if lab and labels is not None and lab.group(1) in labels else ".+?"
        pos = m.end()
    return out + re.escape(template[pos:])


def expected_labels(spec: Any, alert: Any) -> dict[str, str]:
    target = next(t for t in spec.targets if t.name == alert.target_name())
    kept = {**target.labels, "job": target.name}
    by = getattr(alert, "by", None)  # aggregating kinds keep only their `by` labels
    if by is not None:
        kept = {k: v for k, v in kept.items() if k in by}
    return {**spec.prometheus.external_labels, **kept, **alert.alert_rule().labels, "alertname": alert.name}


def dashboard_links(spec: Any) -> dict[str, str]:
    from sfmon.derive.links import dashboard_links as links

    return links(spec)


def check_notifications(spec: Any, got: list[Notification], expected: set[tuple[str, str, str]]) -> list[str]:
    """Problems with `got`: not exactly one notification per expected (receiver, status,
    alertname), or one whose labels and annotations are not the spec's."""
    from collections import Counter

    problems = []
    counts = Counter(n.key() for n in got)
    if counts != Counter(expected):
        problems.append(f"notifications {sorted(counts.items())}, want each of {sorted(expected)} exactly once")
    return problems + content_problems(spec, got)


def content_problems(spec: Any, got: list[Notification]) -> list[str]:
    """Problems with what each notification of `got` says: labels and annotations not the
    spec's, wrong credentials or channel."""
    problems: list[str] = []
    alerts = {a.name: a for a in spec.alerts}
    for n in got:
        problems += n.problems
        alert = alerts.get(n.alertname)
        if alert is None:
            problems.append(f"{n.receiver}: notification for unknown alert {n.alertname!r}")
            continue
        annotations = dict(alert.alert_rule().annotations)
        link = dashboard_links(spec).get(alert.name)
        if link is not None:
            annotations.setdefault("dashboard_url", link)
        if n.integration == "slack":
            # sfmon's Slack text (templates/notifications/slack.tmpl.j2): the summary in bold,
            # the runbook and dashboard as Slack links.
            summary = template_pattern(annotations["summary"], None)
            if not re.search(r"\*\[(FIRING|RESOLVED)\] " + summary + r"\*", n.text) or f"<{alert.runbook_url}|Runbook>" not in n.text:
                problems.append(f"{n.receiver}: Slack text {n.text!r} lacks the summary or runbook of {alert.name}")
            if link is not None and not re.search(r"<" + re.escape(link.split("{{")[0]) + r"[^|>]*\|Dashboard>", n.text):
                problems.append(f"{n.receiver}: Slack text {n.text!r} lacks the dashboard link of {alert.name}")
            continue
        if not n.alerts:
            problems.append(f"{n.receiver} ({n.integration}): no alerts found in the {n.status} {alert.name} notification")
        shown = spec.alertmanager.messages.labels if n.integration == "email" else None  # an email lists these labels
        for a in n.alerts:
            want_labels = expected_labels(spec, alert)
            if shown is not None:
                want_labels = {k: v for k, v in want_labels.items() if k in shown}
                annotations = {k: v for k, v in annotations.items() if k in ("summary", "description", *spec.alertmanager.messages.links)}
            missing = {k: v for k, v in want_labels.items() if a["labels"].get(k) != v}
            if missing:
                problems.append(f"{n.receiver} ({n.integration}): labels {a['labels']} lack {missing}")
            for key, template in annotations.items():
                # the link's variables are filled only where the alert has the label
                pattern = re.escape(template.split("{{")[0]) + ".*" if key == "dashboard_url" else template_pattern(template, a["labels"])
                if not re.fullmatch(pattern, a["annotations"].get(key, ""), re.S):
                    problems.append(f"{n.receiver} ({n.integration}): annotation {key}={a['annotations'].get(key)!r} is not {template!r}")
    return problems


# --- pytest fixtures (imported by the test modules: a conftest.py here would shadow the
# --- top-level one, which test modules import as `conftest`) ------------------------------


def require(path: str | None, package: str) -> None:
    """Skip without a binary on a laptop; in CI (CI set) fail instead."""
    if path and (shutil.which(path) or os.access(path, os.X_OK)):
        return
    from conftest import skip_or_fail  # the suite's one skip-or-fail rule

    skip_or_fail(f"{path or package} is not installed (apt-get install {package})")


@pytest.fixture
def stack(tmp_path: Path, prometheus_bin: str, alertmanager_bin: str) -> Any:
    """A whole stack for one test, on the test's toolset (tests/toolsets.py: Debian's servers
    unless the test is marked `matrix`); stopped also when the test fails. The components'
    log tails are printed at teardown, which pytest shows only for a failed test."""
    yield from running(Stack(tmp_path, prometheus=prometheus_bin, alertmanager=alertmanager_bin))


def running(s: Any) -> Any:
    """A fixture's life of a stack: started, handed to the test, its log tails printed (pytest
    shows them only for a failed test) and closed, also when the test fails."""
    try:
        s.start()
        yield s
    finally:
        print(s.logs_tail())
        s.close()
