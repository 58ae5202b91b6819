"""The routing tree and time against the real Alertmanager on 127.0.0.1: a nested tree
delivers each alert to exactly the receivers sfmon's evaluator predicts; routes' time intervals hold
notifications back exactly when sfmon predicts, and `sfmon silences apply` keeps the spec's
maintenance windows as silences (idempotent, edits update, foreign silences untouched;
silences.json is what `amtool silence import` reads, and apply recognises what it imported)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from harness import ROOT, HttpSink, Proc, get_json, http, wait_until
from conftest import free_port

pytestmark = [pytest.mark.live, pytest.mark.matrix("newest")]

DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def _spec(tmp: Path, body: dict[str, Any]) -> Path:
    spec = {
        "version": 1, "project": "timelive", "targets": [{"name": "app", "addresses": ["127.0.0.1:1"]}],
        "grafana": {"admin_password_file": "/run/secrets/grafana"}, **body,
    }  # fmt: skip
    path = tmp / "spec.yaml"
    path.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return path


def _sfmon(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sfmon", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


class Alertmanager:
    def __init__(self, binary: str, config: Path, tmp: Path, name: str = "alertmanager"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (tmp / "logs").mkdir(exist_ok=True)
        self.proc = Proc(name, [
            binary, f"--config.file={config}", f"--storage.path={tmp / (name + '-data')}",
            f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=", "--log.level=warn",
        ], tmp / "logs").start()  # fmt: skip
        wait_until(lambda: self.proc.running() and http("GET", self.url + "/-/ready", timeout=1)[0] == 200, 20, f"{name} ready")

    def silences(self) -> list[dict]:
        return [s for s in get_json(self.url + "/api/v2/silences") if s["status"]["state"] != "expired"]

    def close(self) -> None:
        self.proc.stop()


@pytest.fixture
def sink():
    s = HttpSink()
    yield s
    s.close()


# --- the routing tree ----------------------------------------------------------------------------


def test_a_nested_tree_delivers_where_sfmon_predicts(alertmanager_bin, tmp_path, sink):
    """Nested routes with regex and negative matchers, `continue` and inherited receivers:
    every alert reaches exactly the receivers sfmon's evaluator gives, once each."""
    from sfmon.derive.routing_tree import from_spec
    from sfmon.pipeline import load
    from sfmon.semantics.routing import receivers as route

    teams = ("default", "team-x", "team-x-pager", "team-y", "team-db", "team-db-pager")
    body = {
        "receivers": [{"name": n, "webhook": {"url": sink.url("/" + n)}} for n in teams],
        "routing": {
            "receiver": "default", "group_by": ["alertname"], "group_wait": "1s", "group_interval": "1s",
            "routes": [
                {"matchers": ['service=~"foo1|foo2|baz"'], "notify": ["team-x"],
                 "routes": [{"matchers": ['severity="critical"'], "notify": ["team-x-pager"]}]},
                {"matchers": ['service="files"'], "notify": ["team-y"]},
                {"matchers": ['service="database"'], "notify": ["team-db"], "continue": True,
                 "routes": [{"matchers": ['env!~"dev|test"', 'severity!="info"'], "notify": ["team-db-pager"]}]},
                {"matchers": ['owner="team-x"'], "routes": [{"matchers": ['severity="critical"']}]},  # inherits default
            ],
        },
    }  # fmt: skip
    spec = _spec(tmp_path, body)
    out = tmp_path / "out"
    done = _sfmon("generate", "--spec", str(spec), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    tree = from_spec(load(spec).spec)
    label_sets = [
        {"service": "foo1", "severity": "critical"}, {"service": "baz", "severity": "warning"},
        {"service": "files", "severity": "critical"}, {"service": "database", "env": "prod", "severity": "critical"},
        {"service": "database", "env": "dev", "severity": "critical"}, {"service": "database", "env": "prod", "severity": "info"},
        {"owner": "team-x", "severity": "critical"}, {"service": "other"},
        {"service": "database", "owner": "team-x", "env": "prod", "severity": "critical"},  # continue: two routes
    ]  # fmt: skip
    want = set()
    for i, labels in enumerate(label_sets):
        full = {"alertname": f"Tree{i}", **labels}
        want |= {(name, full["alertname"]) for name in route(tree, full)}
    am = Alertmanager(alertmanager_bin, out / "alertmanager.yml", tmp_path)
    try:
        alerts = [{"labels": {"alertname": f"Tree{i}", **labels}} for i, labels in enumerate(label_sets)]
        status, text = http("POST", am.url + "/api/v2/alerts", alerts)
        assert status == 200, text

        def got() -> set[tuple[str, str]]:
            return {(p.path.strip("/"), a["labels"]["alertname"]) for p in sink.posts for a in p.body["alerts"]}

        wait_until(lambda: want <= got(), 30, f"notifications {sorted(want)}")
        time.sleep(3)  # more group rounds: nothing arrives that sfmon did not predict
        assert got() == want, (sorted(got() ^ want), am.proc.tail())
        assert len(want) == 10  # the last alert reaches two receivers (continue)
    finally:
        am.close()


# --- time intervals --------------------------------------------------------------------------


def test_time_intervals_mute_as_sfmon_predicts(alertmanager_bin, tmp_path, sink):
    now = datetime.now(timezone.utc)
    if now.hour == 23 and now.minute >= 55 or (now + timedelta(hours=9)).hour == 23 and now.minute >= 55:
        # too close to midnight (UTC or Tokyo): the weekday may change during the test; wait it out (at most 5 min)
        time.sleep((60 - now.minute) * 60 - now.second + 5)
        now = datetime.now(timezone.utc)
    today = DAYS[(now.weekday() + 1) % 7]
    tokyo = DAYS[((now + timedelta(hours=9)).weekday() + 1) % 7]  # Asia/Tokyo has no DST
    names = ("muted", "open", "active", "inactive", "tokyo")
    body = {
        "receivers": [{"name": "default", "webhook": {"url": sink.url("/default")}}]
        + [{"name": n, "webhook": {"url": sink.url("/" + n)}} for n in names],
        "routing": {
            "receiver": "default", "group_by": ["alertname"], "group_wait": "1s", "group_interval": "1s",
            "time_intervals": [
                {"name": "today", "time_intervals": [{"weekdays": [today]}]},
                {"name": "other-days", "time_intervals": [{"weekdays": [d for d in DAYS if d != today]}]},
                {"name": "today-in-tokyo", "time_intervals": [{"weekdays": [tokyo], "location": "Asia/Tokyo"}]},
            ],
            "routes": [
                {"match": {"route": "muted"}, "notify": ["muted"], "mute_time_intervals": ["today"]},
                {"match": {"route": "open"}, "notify": ["open"], "mute_time_intervals": ["other-days"]},
                {"match": {"route": "active"}, "notify": ["active"], "active_time_intervals": ["today"]},
                {"match": {"route": "inactive"}, "notify": ["inactive"], "active_time_intervals": ["other-days"]},
                {"match": {"route": "tokyo"}, "notify": ["tokyo"], "mute_time_intervals": ["today-in-tokyo"]},
            ],
            "tests": [
                {"labels": {"route": n}, "receivers": [n], "at": now.isoformat(), **({"muted": [n]} if n in ("muted", "inactive", "tokyo") else {})}
                for n in names
            ],
        },
    }  # fmt: skip
    spec = _spec(tmp_path, body)
    out = tmp_path / "out"
    done = _sfmon("generate", "--spec", str(spec), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr  # sfmon's own prediction holds (routing/tests)

    am = Alertmanager(alertmanager_bin, out / "alertmanager.yml", tmp_path)
    try:
        alerts = [{"labels": {"alertname": f"Timed{n}", "route": n}} for n in names]
        status, text = http("POST", am.url + "/api/v2/alerts", alerts)
        assert status == 200, text
        wait_until(lambda: {"/open", "/active"} <= {p.path for p in sink.posts}, 30, "notifications on the open routes")
        time.sleep(4)  # several group_wait / group_interval rounds for the muted routes
        delivered = {p.path.strip("/") for p in sink.posts}
        assert delivered == {"open", "active"}, (delivered, am.proc.tail())
    finally:
        am.close()


# --- maintenance windows -----------------------------------------------------------------------


def _windows(now: datetime, **edits: Any) -> list[dict[str, Any]]:
    iso = lambda t: t.isoformat()  # noqa: E731
    windows = [
        {"name": "db-upgrade", "matchers": ['job="db"', 'severity!="info"'], "start": iso(now - timedelta(hours=1)),
         "end": iso(now + timedelta(hours=2)), "comment": "Postgres upgrade", "creator": "ops@example.com"},
        {"name": "network", "matchers": ['instance=~"10\\\\.0\\\\..*"'], "start": iso(now + timedelta(days=1)),
         "end": iso(now + timedelta(days=1, hours=3)), "comment": "switch firmware", "creator": "net@example.com"},
        {"name": "over", "matchers": ['job="old"'], "start": iso(now - timedelta(days=2)),
         "end": iso(now - timedelta(days=1)), "comment": "already over", "creator": "ops@example.com"},
    ]  # fmt: skip
    for name, change in edits.items():
        windows = [w if w["name"] != name else ({**w, **change} if change else None) for w in windows]
    return [w for w in windows if w]


def _apply(spec: Path, am: Alertmanager, action: str = "apply") -> list[dict]:
    done = _sfmon("silences", action, "--url", am.url, "--spec", str(spec), "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def _actions(steps: list[dict]) -> dict[str, str]:
    return {s["window"]: s["action"] for s in steps}


def test_silences_apply_keeps_exactly_the_windows(alertmanager_bin, tmp_path):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    config = tmp_path / "am.yml"
    config.write_text("route: {receiver: r}\nreceivers: [{name: r}]\n", encoding="utf-8")
    am = Alertmanager(alertmanager_bin, config, tmp_path)
    base = {"receivers": [{"name": "r", "webhook": {"url": "http://127.0.0.1:1/"}}], "routing": {"receiver": "r"}}
    try:
        foreign = {"matchers": [{"name": "job", "value": "db", "isRegex": False}], "startsAt": now.isoformat(),
                   "endsAt": (now + timedelta(hours=5)).isoformat(), "createdBy": "someone", "comment": "not sfmon's"}  # fmt: skip
        status, text = http("POST", am.url + "/api/v2/silences", foreign)
        assert status == 200, text
        foreign_id = json.loads(text)["silenceID"]

        spec = _spec(tmp_path, {**base, "maintenance": _windows(now)})
        assert _actions(_apply(spec, am, "plan")) == {"db-upgrade": "create", "network": "create", "over": "ended"}
        assert len(am.silences()) == 1  # plan changed nothing
        assert _actions(_apply(spec, am)) == {"db-upgrade": "create", "network": "create", "over": "ended"}
        first = {s["id"]: s for s in am.silences()}
        mine = {s["comment"]: s for s in first.values() if s["id"] != foreign_id}
        assert set(mine) == {"Postgres upgrade [sfmon timelive/db-upgrade]", "switch firmware [sfmon timelive/network]"}
        db = mine["Postgres upgrade [sfmon timelive/db-upgrade]"]
        assert db["status"]["state"] == "active" and db["createdBy"] == "ops@example.com"
        assert sorted((m["name"], m["value"], m["isRegex"], m.get("isEqual", True)) for m in db["matchers"]) == [
            ("job", "db", False, True), ("severity", "info", False, False)]  # fmt: skip
        net = mine["switch firmware [sfmon timelive/network]"]
        assert net["status"]["state"] == "pending" and net["matchers"][0]["value"] == "10\\.0\\..*"

        # Again: nothing changes, not even an id.
        assert set(_actions(_apply(spec, am)).values()) == {"unchanged", "ended"}
        assert {s["id"]: s["updatedAt"] for s in am.silences()} == {i: s["updatedAt"] for i, s in first.items()}

        # An edited window updates its silence; a removed one is expired; the foreign one stays.
        spec = _spec(tmp_path, {**base, "maintenance": _windows(now, **{
            "db-upgrade": {"end": (now + timedelta(hours=4)).isoformat(), "matchers": ['job="db"']}, "network": None})})  # fmt: skip
        assert _actions(_apply(spec, am)) == {"db-upgrade": "update", "network": "expire", "over": "ended"}
        live = am.silences()
        assert foreign_id in {s["id"] for s in live} and len(live) == 2
        db = next(s for s in live if s["id"] != foreign_id)
        assert db["comment"].endswith("[sfmon timelive/db-upgrade]") and len(db["matchers"]) == 1
        assert datetime.fromisoformat(db["endsAt"].replace("Z", "+00:00")) == now + timedelta(hours=4)
        assert set(_actions(_apply(spec, am)).values()) == {"unchanged", "ended"}

        # No windows at all: every silence of this project goes, the foreign one stays.
        spec = _spec(tmp_path, base)
        assert _actions(_apply(spec, am)) == {"db-upgrade": "expire"}
        assert [s["id"] for s in am.silences()] == [foreign_id]
    finally:
        am.close()


def test_amtool_imports_silences_json_and_apply_owns_it(alertmanager_bin, amtool, tmp_path):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    config = tmp_path / "am.yml"
    config.write_text("route: {receiver: r}\nreceivers: [{name: r}]\n", encoding="utf-8")
    am = Alertmanager(alertmanager_bin, config, tmp_path)
    try:
        windows = [w for w in _windows(now) if w["name"] != "over"]  # Alertmanager refuses a silence that has ended
        spec = _spec(tmp_path, {"receivers": [{"name": "r", "webhook": {"url": "http://127.0.0.1:1/"}}],
                                "routing": {"receiver": "r"}, "maintenance": windows})  # fmt: skip
        out = tmp_path / "out"
        done = _sfmon("generate", "--spec", str(spec), "--out", str(out))
        assert done.returncode == 0, done.stdout + done.stderr
        imported = subprocess.run(
            [amtool, "silence", "import", f"--alertmanager.url={am.url}", str(out / "silences.json")],
            capture_output=True, text=True, timeout=30,
        )
        assert imported.returncode == 0, imported.stdout + imported.stderr
        assert len(am.silences()) == 2
        assert _actions(_apply(spec, am)) == {"db-upgrade": "unchanged", "network": "unchanged"}
    finally:
        am.close()


def test_a_utf8_maintenance_matcher_silences_what_it_names(alertmanager_bin, tmp_path):
    """`"service.name"="api"` in a window: Alertmanager 0.27 and later take the silence and it
    mutes exactly the alert carrying that label; 0.25 refuses such a silence, which is why
    sfmon refuses the matcher for targets before 0.27 (tests/test_time.py)."""
    from sfmon.derive.silences import silence
    from sfmon.pipeline import load
    from sfmon.tools.versions import detect

    now = datetime.now(timezone.utc).replace(microsecond=0)
    config = tmp_path / "am.yml"
    config.write_text("route: {receiver: r}\nreceivers: [{name: r}]\n", encoding="utf-8")
    window = {"name": "otel", "matchers": ['"service.name"="api"'], "start": (now - timedelta(hours=1)).isoformat(),
              "end": (now + timedelta(hours=1)).isoformat(), "comment": "api upgrade", "creator": "ops@example.com"}  # fmt: skip
    spec = _spec(tmp_path, {"receivers": [{"name": "r", "webhook": {"url": "http://127.0.0.1:1/"}}], "routing": {"receiver": "r"},
                            "maintenance": [window], "alertmanager": {"version": "0.27"}})  # fmt: skip
    am = Alertmanager(alertmanager_bin, config, tmp_path)
    try:
        version = detect(alertmanager_bin)
        assert version is not None
        if (version.major, version.minor) < (0, 27):
            status, text = http("POST", am.url + "/api/v2/silences", silence("timelive", load(spec).spec.maintenance[0]))
            assert status == 400 and b"service.name" in text, (status, text)
            return
        assert _actions(_apply(spec, am)) == {"otel": "create"}
        [made] = am.silences()
        assert [(m["name"], m["value"]) for m in made["matchers"]] == [("service.name", "api")]
        alerts = [{"labels": {"alertname": n, "service.name": v}} for n, v in (("Hit", "api"), ("Miss", "api-2"))]
        status, text = http("POST", am.url + "/api/v2/alerts", alerts)
        assert status == 200, text
        wait_until(lambda: len(get_json(am.url + "/api/v2/alerts")) == 2, 10, "both alerts received")
        state = {a["labels"]["alertname"]: a["status"] for a in get_json(am.url + "/api/v2/alerts")}
        assert state["Hit"]["silencedBy"] == [made["id"]] and state["Miss"]["silencedBy"] == []
    finally:
        am.close()
